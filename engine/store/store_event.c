/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of events: the row, its full-text entry
 * (written at the end of the transaction, see store-private.h), the key
 * that finds an agent's repeated event id, and trimming the oldest rows
 * with their entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"
#include "store-private.h"

/* The key of store_event_key(): fixed, stored keys depend on it. */
static const uint8_t event_key_secret[SIPHASH_KEY_LEN] = {
	0x6b, 0x69, 0x63, 0x73, 0x2d, 0x65, 0x70, 0x70,
	0x2e, 0x65, 0x76, 0x65, 0x6e, 0x74, 0x5f, 0x69,
};

int64_t
store_event_key(const char *event_id)
{
	return (int64_t)siphash24(event_key_secret, event_id,
	    strlen(event_id));
}

/* kics_event_key(text): store_event_key() of the text, NULL for NULL. */
static void
event_key_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *text = sqlite3_value_text(argv[0]);

	(void)argc;
	if (text == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_int64(ctx, (int64_t)siphash24(event_key_secret, text,
	    (size_t)sqlite3_value_bytes(argv[0])));
}

int
store_event_key_register(struct store *s)
{
	/* direct only: no view, trigger or index of the schema may use it,
	   as kics-query and renderers do not have it */
	int rc = sqlite3_create_function(s->db, "kics_event_key", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
	    event_key_sql, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_error(s, rc);
}

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

/*
 * Whether agent_ref already stored event_id, by its key (issue 17): the
 * index on (agent_ref, event_key) is a third of the size of one on the
 * text ids, and holds no id, so two ids that share a key both have rows
 * and each row's id is compared. Returns 1, 0, or a negative errno.
 */
static int
store_event_seen(struct store *s, int64_t agent_ref, const char *event_id,
    int64_t key)
{
	sqlite3_stmt *st = store_stmt_rebound(s, STMT_EVENT_SEEN,
	    "SELECT event_id FROM events WHERE agent_ref = ?1 AND "
	    "event_key = ?2");
	int rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, agent_ref);
	(void)sqlite3_bind_int64(st, 2, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (id != NULL && strcmp(id, event_id) == 0) {
			(void)sqlite3_reset(st);
			return 1;
		}
	}
	(void)sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_error(s, rc);
}

int
store_event_insert(struct store *s, const struct store_event *ev)
{
	bool has_id = ev->event_id != NULL && *ev->event_id != '\0';
	int64_t key = has_id ? store_event_key(ev->event_id) : 0;
	sqlite3_stmt *st;
	int r;

	/* without an agent, as NULLs in the old unique index, no repeat */
	if (has_id && ev->agent_ref != 0 &&
	    (r = store_event_seen(s, ev->agent_ref, ev->event_id, key)) != 0)
		return r < 0 ? r : 0;
	st = store_stmt_rebound(s, STMT_EVENT_INSERT,
	    "INSERT INTO events (event_id, agent_ref, device_id, "
	    "occurred_at_ms, registered_at_ms, code, title, severity, "
	    "technology, category, product, agent_title, description, "
	    "object_path, threat_name, user_name, hostname, attributes, tags, "
	    "event_key) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18, COALESCE(?19, '[]'), ?20)");
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
	if (has_id)
		(void)sqlite3_bind_int64(st, 20, key);
	else
		(void)sqlite3_bind_null(st, 20);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	store_fts_note(s, sqlite3_last_insert_rowid(s->db));
	return 1;
}

int
store_event_count(struct store *s, int64_t *ret_count)
{
	/*
	 * Rowids only grow and trimming removes the lowest, so the span of
	 * rowids counts the rows without a full scan. Each end in a query
	 * of its own: SQLite looks a lone MIN() or MAX() up in the b-tree,
	 * but scans the table for both in one (30-110 ms of the writer's
	 * time every 10 s at 300,000-700,000 events, issue 17).
	 */
	sqlite3_stmt *st = store_stmt(s, STMT_EVENT_COUNT,
	    "SELECT COALESCE((SELECT MAX(id) FROM events) - "
	    "(SELECT MIN(id) FROM events) + 1, 0)");

	if (st == NULL)
		return -EIO;
	return store_step_int(s, st, ret_count);
}

int
store_event_max_id(struct store *s, int64_t *ret_id)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EVENT_MAX,
	    "SELECT COALESCE(MAX(id), 0) FROM events");

	if (st == NULL)
		return -EIO;
	return store_step_int(s, st, ret_id);
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

	/*
	 * External content: the index must be told the old values, of rows
	 * it has: the transaction's own, held until its end, go in first.
	 */
	if ((r = store_fts_flush(s)) < 0)
		return r;
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
