/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of the archive (issue 12): devices silent
 * long enough to be archived, the status of a device, the archive's pool
 * counted and pruned of the devices silent the longest, and the IP
 * conflicts being reported.
 */
#include <errno.h>

#include "store-private.h"

int
store_device_silent(struct store *s, int64_t before_ms, int64_t *ret_ids,
    size_t max)
{
	/* devices_status (status, last_seen_ms) gives them in order */
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_SILENT,
	    "SELECT id FROM devices WHERE status IN ('authorized', "
	    "'unauthorized') AND last_seen_ms < ?1 "
	    "ORDER BY last_seen_ms, id LIMIT ?2");
	size_t n = 0;
	int rc = SQLITE_DONE, r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, before_ms);
	(void)sqlite3_bind_int64(st, 2, (int64_t)max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ret_ids[n++] = sqlite3_column_int64(st, 0);
	r = n < max && rc != SQLITE_DONE ? store_error(s, rc) : (int)n;
	(void)sqlite3_reset(st);
	return r;
}

int
store_device_status_set(struct store *s, int64_t id, enum store_status status)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_STATUS,
	    "UPDATE devices SET status = ?2 WHERE id = ?1 AND status <> ?2");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_text(st, 2, store_status_names[status], -1,
	    SQLITE_STATIC);
	peer_cache_forget_device(s->peer_cache, id);	/* holders' status */
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	if (sqlite3_changes(s->db) > 0)
		return 1;
	return store_device_exists(s, id);
}

int
store_archive_count(struct store *s, int64_t *ret_count)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ARCHIVE_COUNT,
	    "SELECT COUNT(*) FROM devices WHERE status = 'archived'");

	if (st == NULL)
		return -EIO;
	return store_step_int(s, st, ret_count);
}

int
store_archive_prune(struct store *s, int64_t n)
{
	/* the foreign keys take addresses, attributes, applications,
	   interactions and conflicts with them, and unlink events and
	   agents */
	sqlite3_stmt *st = store_stmt(s, STMT_ARCHIVE_PRUNE,
	    "DELETE FROM devices WHERE id IN (SELECT id FROM devices "
	    "WHERE status = 'archived' ORDER BY last_seen_ms, id LIMIT ?1)");
	int r;

	/* queued interactions go first, so that the cascade takes them */
	if ((r = store_interaction_flush(s)) < 0)
		return r;
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, n);
	/* the cascade deletes addresses of devices the cache cannot name */
	peer_cache_clear(s->peer_cache);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	return sqlite3_changes(s->db);
}

int
store_conflict_note(struct store *s, int64_t device_id, const char *value,
    int64_t now_ms, int64_t every_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CONFLICT_GET,
	    "SELECT event_ms FROM address_conflicts "
	    "WHERE device_id = ?1 AND value = ?2");
	int64_t last = 0;
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	r = store_step_int(s, st, &last);
	if (r == 0 && now_ms - last < every_ms)
		return 0;
	if (r < 0 && r != -ENOENT)
		return r;
	st = store_stmt(s, STMT_CONFLICT_PUT,
	    "INSERT INTO address_conflicts (device_id, value, first_ms, "
	    "event_ms) VALUES (?1, ?2, ?3, ?3) ON CONFLICT (device_id, value) "
	    "DO UPDATE SET event_ms = excluded.event_ms");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 3, now_ms);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	return 1;
}

int
store_conflict_clear(struct store *s, int64_t device_id, const char *value)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CONFLICT_CLEAR,
	    "DELETE FROM address_conflicts WHERE device_id = ?1 "
	    "AND value = ?2");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st);
}
