/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of events: the row, its full-text entry
 * (written at the end of the transaction, see store-private.h), and
 * trimming the oldest rows with their entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

/*
 * Notes that event rowid was inserted in this transaction. SQLite gives a
 * new row the largest rowid plus one, so every row this transaction
 * inserts has a rowid at or above its first one, and every older row one
 * below: the transaction's rows are the range from the first on, and
 * rows a savepoint rolled back are simply gone from it.
 */
static void
store_fts_note(struct store *s, int64_t rowid)
{
	if (s->fts_first == 0 || rowid < s->fts_first)
		s->fts_first = rowid;
}

void
store_fts_forget(struct store *s)
{
	s->fts_first = 0;
}

int
store_fts_flush(struct store *s)
{
	sqlite3_stmt *st;
	int64_t first = s->fts_first;

	if (first == 0)
		return 0;
	s->fts_first = 0;
	/*
	 * One statement for the whole transaction (issue 17): the rows are
	 * read back from the pages the transaction just wrote, with the
	 * values stored, which are also the ones store_event_trim() gives
	 * FTS5 when it deletes them.
	 */
	st = store_stmt(s, STMT_EVENT_FTS,
	    "INSERT INTO events_fts (rowid, title, description, "
	    "object_path, threat_name, user_name, hostname) "
	    "SELECT id, title, description, object_path, threat_name, "
	    "user_name, hostname FROM events WHERE id >= ?1");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, first);
	return store_exec_stmt(s, st);
}

int
store_device_mark_severity(struct store *s, int64_t device_id,
    int64_t warning_ms, int64_t critical_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EVENT_MARK_DEVICE,
	    "UPDATE devices SET "
	    "last_warning_ms = MAX(COALESCE(last_warning_ms, 0), ?2), "
	    "last_critical_ms = MAX(COALESCE(last_critical_ms, 0), ?3) "
	    "WHERE id = ?1 AND (COALESCE(last_warning_ms, 0) < ?2 OR "
	    "COALESCE(last_critical_ms, 0) < ?3)");

	if (device_id == 0 || (warning_ms == 0 && critical_ms == 0))
		return 0;
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_int64(st, 2, warning_ms);
	(void)sqlite3_bind_int64(st, 3, critical_ms);
	return store_exec_stmt(s, st);
}

int
store_event_insert(struct store *s, const struct store_event *ev)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EVENT_INSERT,
	    "INSERT OR IGNORE INTO events (event_id, agent_ref, device_id, "
	    "occurred_at_ms, registered_at_ms, code, title, severity, "
	    "technology, category, product, agent_title, description, "
	    "object_path, threat_name, user_name, hostname, attributes, tags) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18, COALESCE(?19, '[]'))");
	int r;

	if (st == NULL)
		return -EIO;
	(void)store_bind_text(st, 1, ev->event_id);
	(void)store_bind_id(st, 2, ev->agent_ref);
	(void)store_bind_id(st, 3, ev->device_id);
	(void)sqlite3_bind_int64(st, 4, ev->occurred_at_ms);
	(void)sqlite3_bind_int64(st, 5, ev->registered_at_ms);
	(void)sqlite3_bind_int64(st, 6, ev->code);
	(void)sqlite3_bind_text(st, 7, ev->title, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 8, ev->severity);
	(void)sqlite3_bind_text(st, 9, ev->technology, -1, SQLITE_STATIC);
	(void)store_bind_text(st, 10, ev->category);
	(void)store_bind_text(st, 11, ev->product);
	(void)store_bind_text(st, 12, ev->agent_title);
	(void)store_bind_text(st, 13, ev->description);
	(void)store_bind_text(st, 14, ev->object_path);
	(void)store_bind_text(st, 15, ev->threat_name);
	(void)store_bind_text(st, 16, ev->user_name);
	(void)store_bind_text(st, 17, ev->hostname);
	(void)store_bind_text(st, 18, ev->attributes);
	(void)store_bind_text(st, 19, ev->tags);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return 0;
	store_fts_note(s, sqlite3_last_insert_rowid(s->db));
	return 1;
}

int
store_event_count(struct store *s, int64_t *ret_count)
{
	/* rowids only grow and trimming removes the lowest, so the span of
	   rowids counts the rows without a full scan */
	sqlite3_stmt *st = store_stmt(s, STMT_EVENT_COUNT,
	    "SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM events");

	if (st == NULL)
		return -EIO;
	return store_step_int(s, st, ret_count);
}

int
store_event_trim(struct store *s, int64_t n)
{
	sqlite3_stmt *st;
	int64_t last;
	int rc, r;

	if (n <= 0)
		return 0;
	st = store_stmt(s, STMT_EVENT_OLDEST,
	    "SELECT id FROM events ORDER BY id LIMIT 1 OFFSET ?1");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, n - 1);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		(void)sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : store_error(s, rc);
	}
	last = sqlite3_column_int64(st, 0);
	(void)sqlite3_reset(st);

	/* external content: the index must be told the old values */
	st = store_stmt(s, STMT_EVENT_FTS_DELETE,
	    "INSERT INTO events_fts (events_fts, rowid, title, description, "
	    "object_path, threat_name, user_name, hostname) "
	    "SELECT 'delete', id, title, description, object_path, "
	    "threat_name, user_name, hostname FROM events WHERE id <= ?1");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, last);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	st = store_stmt(s, STMT_EVENT_DELETE,
	    "DELETE FROM events WHERE id <= ?1");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, last);
	return store_exec_stmt(s, st);
}
