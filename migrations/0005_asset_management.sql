-- SPDX-License-Identifier: Apache-2.0
-- Asset management as the monitoring product documents it (issue 12).
--
-- Event codes: the product's documented asset-management codes replace
-- ours for device added (4000005003), device attributes changed
-- (4000005004) and IP moved (4000005007); every other type of our own
-- leaves the product's range for 4900000000..4999999999 by replacing the
-- leading 40 with 49 (4000005506 -> 4900005506 ... 4000005599 ->
-- 4900005599). The six EPP codes 4000005500..4000005505 stay. Only
-- events store codes: the once-an-hour notices keep times, not codes, and
-- rules_state is rewritten from the rules file when the daemon starts.
UPDATE events SET code = CASE category
	WHEN 'device_added' THEN 4000005003
	WHEN 'device_attributes_changed' THEN 4000005004
	ELSE 4000005007 END
WHERE code BETWEEN 4000005506 AND 4000005599 AND technology = 'system'
    AND category IN ('device_added', 'device_attributes_changed',
    'ip_moved');
UPDATE events SET code = code + 900000000
WHERE code BETWEEN 4000005506 AND 4000005599;

-- The archive is a pool of its own: the sweep looks for silent devices
-- that are not archived, the pool is counted and its longest-silent
-- devices are deleted first, and max_devices counts the others.
CREATE INDEX devices_status ON devices (status, last_seen_ms);

-- IP conflicts being reported: an IP held by an authorized device, or set
-- by hand, that another device (device_id) uses too. "IP address
-- conflict" is registered when a conflict starts and then at most once an
-- hour while it lasts; the row goes when the IP moves to that device.
CREATE TABLE address_conflicts (
	device_id	INTEGER NOT NULL REFERENCES devices(id)
			    ON DELETE CASCADE,	-- the device that uses it too
	value		TEXT NOT NULL,		-- the IP, canonical text
	first_ms	INTEGER NOT NULL,	-- conflict first seen
	event_ms	INTEGER NOT NULL,	-- last "IP address conflict"
	PRIMARY KEY (device_id, value)
) STRICT, WITHOUT ROWID;
