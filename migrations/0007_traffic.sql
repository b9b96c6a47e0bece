-- SPDX-License-Identifier: Apache-2.0
-- Monitoring points (issue 13): interactions learned from traffic carry
-- the application protocol nDPI named ('' when unknown or from EPP data),
-- and map_edges gains it as its last column. A view's columns are only
-- ever appended, so the view is recreated with the old ones first.
ALTER TABLE interactions ADD COLUMN app_protocol TEXT NOT NULL DEFAULT '';

DROP VIEW map_edges;
CREATE VIEW map_edges (src_device_id, dst_device_id, protocol, port, source,
    first_seen_ms, last_seen_ms, packets, bytes, app_protocol) AS
SELECT i.src_device_id, i.dst_device_id, i.protocol, i.port, i.source,
	i.first_seen_ms, i.last_seen_ms, i.packets, i.bytes, i.app_protocol
FROM interactions i
WHERE i.source = 'traffic' OR NOT EXISTS (
	SELECT 1 FROM interactions t
	WHERE t.src_device_id = i.src_device_id
	  AND t.dst_device_id = i.dst_device_id
	  AND t.protocol = i.protocol
	  AND t.port = i.port
	  AND t.source = 'traffic');
