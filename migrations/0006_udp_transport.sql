-- SPDX-License-Identifier: Apache-2.0
-- UDP mode for data diodes (issue 14): an integration server's transport
-- becomes https, udp or both, with its UDP port and whether datagrams
-- must be encrypted; agents remember when "EPP data lost over UDP" was
-- last registered for them and how many reports went missing since.
--
-- SQLite cannot change a CHECK constraint in place, so the table is
-- rebuilt. foreign_keys is on while migrations run: dropping the old
-- table sets certificates.server_id and agents.server_id to NULL, so
-- those references are saved first and put back afterwards.
CREATE TABLE migration_0006_refs (
	tbl		TEXT NOT NULL,
	id		INTEGER NOT NULL,
	server_id	INTEGER NOT NULL,
	PRIMARY KEY (tbl, id)
) STRICT, WITHOUT ROWID;
INSERT INTO migration_0006_refs (tbl, id, server_id)
	SELECT 'certificates', id, server_id FROM certificates
	WHERE server_id IS NOT NULL;
INSERT INTO migration_0006_refs (tbl, id, server_id)
	SELECT 'agents', id, server_id FROM agents WHERE server_id IS NOT NULL;

CREATE TABLE integration_servers_0006 (
	id			INTEGER PRIMARY KEY,
	name			TEXT NOT NULL UNIQUE,
	address			TEXT NOT NULL,
	port			INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
	transport		TEXT NOT NULL DEFAULT 'https'
				    CHECK (transport IN ('https', 'udp', 'both')),
	enabled			INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	verify_client_cert	INTEGER NOT NULL DEFAULT 0
				    CHECK (verify_client_cert IN (0, 1)),
	cert_serial		TEXT,		-- current server certificate
	cert_sha256		TEXT,
	cert_not_after_ms	INTEGER,
	package_id		TEXT,		-- current communication data package
	package_created_ms	INTEGER,
	last_data_ms		INTEGER,
	created_ms		INTEGER NOT NULL,
	udp_port		INTEGER NOT NULL
				    CHECK (udp_port BETWEEN 1 AND 65535),
	udp_encryption		INTEGER NOT NULL DEFAULT 1
				    CHECK (udp_encryption IN (0, 1)),
	UNIQUE (address, port)
) STRICT;
INSERT INTO integration_servers_0006 (id, name, address, port, transport,
	enabled, verify_client_cert, cert_serial, cert_sha256,
	cert_not_after_ms, package_id, package_created_ms, last_data_ms,
	created_ms, udp_port, udp_encryption)
	SELECT id, name, address, port, transport, enabled, verify_client_cert,
	cert_serial, cert_sha256, cert_not_after_ms, package_id,
	package_created_ms, last_data_ms, created_ms, port, 1
	FROM integration_servers;
DROP TABLE integration_servers;
ALTER TABLE integration_servers_0006 RENAME TO integration_servers;

UPDATE certificates SET server_id = (SELECT r.server_id
	FROM migration_0006_refs r WHERE r.tbl = 'certificates' AND
	r.id = certificates.id)
	WHERE id IN (SELECT id FROM migration_0006_refs
	WHERE tbl = 'certificates');
UPDATE agents SET server_id = (SELECT r.server_id
	FROM migration_0006_refs r WHERE r.tbl = 'agents' AND
	r.id = agents.id)
	WHERE id IN (SELECT id FROM migration_0006_refs WHERE tbl = 'agents');
DROP TABLE migration_0006_refs;

ALTER TABLE agents ADD COLUMN udp_lost_ms INTEGER;	-- last event, NULL never
ALTER TABLE agents ADD COLUMN udp_lost_count INTEGER NOT NULL DEFAULT 0;
					-- reports missing, not yet in an event
