-- SPDX-License-Identifier: Apache-2.0
-- An agent's repeated event id is found by a 64-bit key of the id (issue
-- 17). The unique index on (agent_ref, event_id) held the 36-character
-- text ids: about 50 bytes an entry, so that the ten events of a report
-- fell on three or more of its pages, each written to the WAL and copied
-- by the checkpointer. The index on (agent_ref, event_key) takes about 20
-- bytes an entry. It is not unique: two different ids may share a key,
-- and the writer then compares the ids of the rows that have it
-- (store_event_insert()), so a shared key never drops an event.
--
-- event_key is SipHash-2-4 of the id's bytes under a fixed key, computed
-- by kics_event_key(), which the daemon's connection registers before it
-- runs migrations; NULL for events without an id (system events). The
-- column is the last of the table and no view shows it.
ALTER TABLE events ADD COLUMN event_key INTEGER;

UPDATE events SET event_key = kics_event_key(event_id)
WHERE event_id IS NOT NULL;

DROP INDEX events_agent_event;
CREATE INDEX events_agent_key ON events (agent_ref, event_key)
	WHERE event_key IS NOT NULL;
