-- SPDX-License-Identifier: Apache-2.0
-- Agent identity (issue 11): the first accepted report of an agent_id
-- binds a random token to it, which the agent must send with every report
-- once it has sent it back the first time. The token is kept as issued
-- (not hashed): it must be sent again in every ack until it is used, and
-- the database is readable only by the daemon's user and group.
ALTER TABLE agents ADD COLUMN token TEXT;	-- NULL: none bound
ALTER TABLE agents ADD COLUMN token_used INTEGER NOT NULL DEFAULT 0
    CHECK (token_used IN (0, 1));	-- 1: the agent has sent it back
-- A sequence above INT64_MAX used to be stored negative, which made
-- every later report of the agent look like a resend: heal such agents.
UPDATE agents SET sequence = 0 WHERE sequence < 0;
