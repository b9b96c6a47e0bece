-- SPDX-License-Identifier: Apache-2.0
-- The first schema of the kics-epp database. Times are unix milliseconds.
-- The views map_nodes, map_edges and event_log are a public interface for
-- map renderers (DESIGN.md): their names, columns and values are stable.

-- Key/value settings the views and the daemon read, e.g. the agent timeout
-- with which map_nodes decides connected or disconnected at read time.
CREATE TABLE settings (
	key	TEXT PRIMARY KEY,
	value	ANY NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO settings (key, value) VALUES
	('agent_timeout_ms', 180000),
	('report_interval_s', 60),
	('max_agents', 1000);

CREATE TABLE integration_servers (
	id			INTEGER PRIMARY KEY,
	name			TEXT NOT NULL UNIQUE,
	address			TEXT NOT NULL,
	port			INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
	transport		TEXT NOT NULL DEFAULT 'https'
				    CHECK (transport IN ('https')),
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
	UNIQUE (address, port)
) STRICT;

-- Certificates issued by the installation CA (never their keys).
CREATE TABLE certificates (
	id		INTEGER PRIMARY KEY,
	server_id	INTEGER REFERENCES integration_servers(id)
			    ON DELETE SET NULL,
	kind		TEXT NOT NULL CHECK (kind IN ('ca', 'server', 'client')),
	serial		TEXT NOT NULL UNIQUE,
	sha256		TEXT NOT NULL,
	not_after_ms	INTEGER NOT NULL,
	created_ms	INTEGER NOT NULL,
	revoked_ms	INTEGER
) STRICT;

CREATE TABLE devices (
	id		INTEGER PRIMARY KEY,
	status		TEXT NOT NULL DEFAULT 'unauthorized'
			    CHECK (status IN ('authorized', 'unauthorized',
			    'archived')),
	source		TEXT NOT NULL CHECK (source IN ('epp', 'traffic',
			    'manual')),	-- how the device was first learned
	category_manual	TEXT,		-- set by an administrator, wins
	category	TEXT NOT NULL DEFAULT 'unknown',	-- derived
	-- Effective attribute values (highest precedence in
	-- device_attributes), kept here so that map_nodes needs no joins.
	name		TEXT,
	hostname	TEXT,
	domain		TEXT,
	os_name		TEXT,
	os_version	TEXT,
	vendor		TEXT,
	model		TEXT,
	serial_number	TEXT,
	ip		TEXT,		-- current primary addresses
	mac		TEXT,
	owner_agent	INTEGER,	-- agents.id whose host info wins
	-- When the device's latest warning and critical events occurred, so
	-- that map_nodes.security_state needs no scan of its events.
	last_warning_ms	INTEGER,
	last_critical_ms INTEGER,
	created_ms	INTEGER NOT NULL,
	last_seen_ms	INTEGER NOT NULL	-- to STORE_TOUCH_MS
) STRICT;

CREATE INDEX devices_hostname ON devices (hostname COLLATE NOCASE);

-- Every value of an attribute per source; devices holds the winner by
-- precedence manual > epp > traffic.
CREATE TABLE device_attributes (
	device_id	INTEGER NOT NULL REFERENCES devices(id)
			    ON DELETE CASCADE,
	name		TEXT NOT NULL CHECK (name IN ('name', 'hostname',
			    'domain', 'os_name', 'os_version', 'vendor', 'model',
			    'serial_number', 'category')),
	source		TEXT NOT NULL CHECK (source IN ('manual', 'epp',
			    'traffic')),
	value		TEXT NOT NULL,
	updated_ms	INTEGER NOT NULL,
	PRIMARY KEY (device_id, name, source)
) STRICT, WITHOUT ROWID;

-- MAC and IP addresses. An address belongs to one device at a time.
CREATE TABLE addresses (
	id		INTEGER PRIMARY KEY,
	device_id	INTEGER NOT NULL REFERENCES devices(id)
			    ON DELETE CASCADE,
	kind		TEXT NOT NULL CHECK (kind IN ('mac', 'ipv4', 'ipv6')),
	value		TEXT NOT NULL UNIQUE,	-- canonical text
	interface	TEXT,
	source		TEXT NOT NULL CHECK (source IN ('epp', 'traffic',
			    'manual')),
	first_seen_ms	INTEGER NOT NULL,
	last_seen_ms	INTEGER NOT NULL
) STRICT;

CREATE INDEX addresses_device ON addresses (device_id);

CREATE TABLE agents (
	id		INTEGER PRIMARY KEY,
	agent_id	TEXT NOT NULL UNIQUE,	-- the agent's own text id
	device_id	INTEGER REFERENCES devices(id) ON DELETE SET NULL,
	server_id	INTEGER REFERENCES integration_servers(id)
			    ON DELETE SET NULL,
	agent_version	TEXT,
	sequence	INTEGER NOT NULL DEFAULT 0,	-- last committed
	first_contact_ms INTEGER NOT NULL,
	last_contact_ms	INTEGER NOT NULL,
	last_sent_at_ms	INTEGER,	-- agent clock of the last report
	connected	INTEGER NOT NULL DEFAULT 1 CHECK (connected IN (0, 1)),
	duplicate_event_ms INTEGER,	-- last "duplicate agent identity"
	host_digest	INTEGER,	-- of the last HostInfo applied
	apps_digest	INTEGER		-- of the last application list applied
) STRICT;

CREATE INDEX agents_device ON agents (device_id, last_contact_ms);

CREATE TABLE epp_applications (
	device_id	INTEGER NOT NULL REFERENCES devices(id)
			    ON DELETE CASCADE,
	product		TEXT NOT NULL,
	version		TEXT,
	state		TEXT NOT NULL CHECK (state IN ('unspecified', 'running',
			    'stopped', 'failed')),
	realtime_protection INTEGER NOT NULL CHECK (realtime_protection
			    IN (0, 1)),
	bases_date_ms	INTEGER,
	agent_ref	INTEGER REFERENCES agents(id) ON DELETE SET NULL,
	updated_ms	INTEGER NOT NULL,
	PRIMARY KEY (device_id, product)
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
	id		INTEGER PRIMARY KEY,
	event_id	TEXT,		-- the agent's id; NULL for system events
	agent_ref	INTEGER REFERENCES agents(id) ON DELETE SET NULL,
	device_id	INTEGER REFERENCES devices(id) ON DELETE SET NULL,
	occurred_at_ms	INTEGER NOT NULL,
	registered_at_ms INTEGER NOT NULL,
	code		INTEGER NOT NULL,
	title		TEXT NOT NULL,
	severity	INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),
	technology	TEXT NOT NULL CHECK (technology IN ('epp', 'system')),
	category	TEXT,
	product		TEXT,
	agent_title	TEXT,		-- the title the agent sent
	description	TEXT,
	object_path	TEXT,
	threat_name	TEXT,
	user_name	TEXT,
	hostname	TEXT,		-- of the device when registered
	attributes	TEXT,		-- JSON object from the agent
	tags		TEXT NOT NULL DEFAULT '[]'	-- JSON array
) STRICT;

-- A repeated (agent, event_id) is ignored.
CREATE UNIQUE INDEX events_agent_event ON events (agent_ref, event_id)
	WHERE event_id IS NOT NULL;
CREATE INDEX events_device ON events (device_id, occurred_at_ms);
CREATE INDEX events_code ON events (code);
CREATE INDEX events_occurred ON events (occurred_at_ms);

-- Full-text index over the text of events, external content. The writer
-- inserts into it directly in the same transaction as the row (faster than
-- a trigger, DESIGN.md "Performance facts"); deletions go through
-- store_event_trim, which issues the FTS5 'delete' command.
CREATE VIRTUAL TABLE events_fts USING fts5 (
	title, description, object_path, threat_name, user_name, hostname,
	content = 'events', content_rowid = 'id'
);
INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 8);

-- Keyed by the interaction itself (no rowid): an upsert then touches one
-- b-tree instead of a table and its unique index.
CREATE TABLE interactions (
	src_device_id	INTEGER NOT NULL REFERENCES devices(id)
			    ON DELETE CASCADE,	-- initiator
	dst_device_id	INTEGER NOT NULL REFERENCES devices(id)
			    ON DELETE CASCADE,	-- responder
	protocol	TEXT NOT NULL CHECK (protocol IN ('tcp', 'udp', 'icmp')),
	port		INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
	source		TEXT NOT NULL CHECK (source IN ('traffic', 'epp')),
	first_seen_ms	INTEGER NOT NULL,
	last_seen_ms	INTEGER NOT NULL,
	packets		INTEGER NOT NULL DEFAULT 0,
	bytes		INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (src_device_id, dst_device_id, protocol, port, source)
) STRICT, WITHOUT ROWID;

CREATE INDEX interactions_dst ON interactions (dst_device_id);

CREATE TABLE users (
	name		TEXT PRIMARY KEY,
	role		TEXT NOT NULL CHECK (role IN ('administrator',
			    'operator')),
	created_ms	INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_log (
	id		INTEGER PRIMARY KEY,
	at_ms		INTEGER NOT NULL,
	os_user		TEXT NOT NULL,
	uid		INTEGER NOT NULL,
	role		TEXT NOT NULL,
	action		TEXT NOT NULL,
	target		TEXT,
	result		TEXT NOT NULL,
	detail		TEXT
) STRICT;

-- Now in unix milliseconds, for the views.
CREATE VIEW now_ms (ms) AS
	SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER);

CREATE VIEW map_nodes (device_id, name, category, status, ip, mac, vendor,
    model, os, epp_icon, security_state, last_seen_ms) AS
SELECT
	d.id,
	COALESCE(d.name, d.hostname, d.ip, d.mac, 'device-' || d.id),
	COALESCE(d.category_manual, d.category),
	d.status,
	d.ip,
	d.mac,
	d.vendor,
	d.model,
	NULLIF(TRIM(COALESCE(d.os_name, '') || ' ' ||
	    COALESCE(d.os_version, '')), ''),
	CASE
	WHEN a.last_contact_ms IS NULL THEN 'none'
	WHEN a.last_contact_ms >= (SELECT ms FROM now_ms) -
	    (SELECT value FROM settings WHERE key = 'agent_timeout_ms')
	    THEN 'connected'
	ELSE 'disconnected'
	END,
	CASE
	WHEN d.last_critical_ms >= (SELECT ms FROM now_ms) - 86400000
	    THEN 'critical'
	WHEN d.last_warning_ms >= (SELECT ms FROM now_ms) - 86400000
	    THEN 'warning'
	ELSE 'ok'
	END,
	d.last_seen_ms
FROM devices d
LEFT JOIN (SELECT device_id, MAX(last_contact_ms) AS last_contact_ms
    FROM agents WHERE device_id IS NOT NULL GROUP BY device_id) a
    ON a.device_id = d.id;

CREATE VIEW map_edges (src_device_id, dst_device_id, protocol, port, source,
    first_seen_ms, last_seen_ms, packets, bytes) AS
SELECT i.src_device_id, i.dst_device_id, i.protocol, i.port, i.source,
	i.first_seen_ms, i.last_seen_ms, i.packets, i.bytes
FROM interactions i
WHERE i.source = 'traffic' OR NOT EXISTS (
	SELECT 1 FROM interactions t
	WHERE t.src_device_id = i.src_device_id
	  AND t.dst_device_id = i.dst_device_id
	  AND t.protocol = i.protocol
	  AND t.port = i.port
	  AND t.source = 'traffic');

CREATE VIEW event_log (event_id, occurred_at_ms, registered_at_ms, device_id,
    agent_id, code, title, severity, technology, category, description,
    tags) AS
SELECT e.id, e.occurred_at_ms, e.registered_at_ms, e.device_id,
	ag.agent_id, e.code, e.title,
	CASE e.severity WHEN 3 THEN 'critical' WHEN 2 THEN 'warning'
	    ELSE 'info' END,
	e.technology, e.category, e.description, e.tags
FROM events e
LEFT JOIN agents ag ON ag.id = e.agent_ref
ORDER BY e.id;
