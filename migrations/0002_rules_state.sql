-- SPDX-License-Identifier: Apache-2.0
-- The rule set the daemon applies, with its per-rule match and drop
-- counters, so that kics-query (which only reads) can show them. The
-- writer refreshes the one row when rules load and every few seconds.
CREATE TABLE rules_state (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	file		TEXT NOT NULL,	-- where the rules were read from
	loaded_ms	INTEGER NOT NULL,
	updated_ms	INTEGER NOT NULL,
	rules		TEXT NOT NULL	-- JSON array, one object per rule
) STRICT;
