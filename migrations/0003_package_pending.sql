-- SPDX-License-Identifier: Apache-2.0
-- A communication data package is made in two steps (issue 10): the
-- daemon issues its client certificate, kics-query writes the file, and
-- only then is the package activated, which revokes the server's earlier
-- client certificates. Until then the new certificate is pending.
ALTER TABLE certificates ADD COLUMN package_id TEXT;	-- client: its package
ALTER TABLE certificates ADD COLUMN pending INTEGER NOT NULL DEFAULT 0
    CHECK (pending IN (0, 1));	-- 1: package made, not activated yet
