-- SPDX-License-Identifier: Apache-2.0
-- SIEM connectors (issue 16): where events are forwarded over syslog, and
-- per connector the durable cursor of the forwarder. The cursor is the
-- highest event id of which every event up to it was delivered or did
-- not pass the connector's filter; the daemon's writer saves it.
CREATE TABLE connectors (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	type		TEXT NOT NULL DEFAULT 'syslog' CHECK (type IN ('syslog')),
	address		TEXT NOT NULL,	-- IP literal or host name
	port		INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
	transport	TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
	ca		TEXT,		-- PEM file verifying a tls receiver
	format		TEXT NOT NULL CHECK (format IN ('rfc5424', 'cef')),
	min_severity	INTEGER NOT NULL DEFAULT 1
			    CHECK (min_severity BETWEEN 1 AND 3),
	technologies	TEXT NOT NULL DEFAULT 'epp,system',
	enabled		INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	created_ms	INTEGER NOT NULL
) STRICT;

CREATE TABLE connector_cursors (
	connector_id	INTEGER PRIMARY KEY REFERENCES connectors(id)
			    ON DELETE CASCADE,
	event_id	INTEGER NOT NULL DEFAULT 0,	-- the cursor
	delivered	INTEGER NOT NULL DEFAULT 0,	-- messages, ever
	trimmed		INTEGER NOT NULL DEFAULT 0,	-- lost to retention
	errors		INTEGER NOT NULL DEFAULT 0,	-- failed attempts
	state		TEXT NOT NULL DEFAULT 'starting',
	last_error	TEXT,
	last_delivered_ms INTEGER,
	updated_ms	INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
