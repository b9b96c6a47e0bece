/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL that selects devices for device set (issue
 * 12): a device by id or by name, and every IP address, which the engine
 * tests against a network.
 */
#include <errno.h>

#include "store-private.h"

int
store_device_exists(struct store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_EXISTS,
	    "SELECT id FROM devices WHERE id = ?1");
	int64_t v;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	return store_step_int(s, st, &v);
}

int
store_device_by_name(struct store *s, const char *name, int64_t *ret_id,
    int64_t *ret_count)
{
	/* as kics-query device show: devices_hostname is NOCASE */
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_BY_NAME,
	    "SELECT COUNT(*), MIN(id) FROM (SELECT id FROM devices "
	    "WHERE hostname = ?1 COLLATE NOCASE UNION SELECT id FROM devices "
	    "WHERE name = ?1 COLLATE NOCASE)");
	int64_t n, id;
	int rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		(void)sqlite3_reset(st);
		return store_error(s, rc);
	}
	n = sqlite3_column_int64(st, 0);
	id = sqlite3_column_int64(st, 1);
	(void)sqlite3_reset(st);
	if (n == 0)
		return -ENOENT;
	if (n > 1) {
		*ret_count = n;
		return -EEXIST;
	}
	*ret_id = id;
	return 0;
}

int
store_ip_each(struct store *s, store_ip_fn fn, void *ctx)
{
	sqlite3_stmt *st = store_stmt(s, STMT_IP_EACH,
	    "SELECT device_id, value FROM addresses "
	    "WHERE kind IN ('ipv4', 'ipv6')");
	int rc, r = 0;

	if (st == NULL)
		return -EIO;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = fn(ctx, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
	if (r == 0 && rc != SQLITE_DONE)
		r = store_error(s, rc);
	(void)sqlite3_reset(st);
	return r;
}
