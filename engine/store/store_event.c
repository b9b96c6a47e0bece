/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of events: the row, its full-text entry
 * (queued until the end of the transaction, see store-private.h), and
 * trimming the oldest rows with their entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

static char *
dup_or_null(const char *v, bool *ret_failed)
{
	char *p;

	if (v == NULL || *v == '\0')
		return NULL;
	if ((p = strdup(v)) == NULL)
		*ret_failed = true;
	return p;
}

/* Queues the full-text row of event rowid for store_fts_flush(). */
static int
store_fts_queue(struct store *s, int64_t rowid, const struct store_event *ev)
{
	const char *cols[STORE_FTS_COLUMNS] = {
		ev->title, ev->description, ev->object_path, ev->threat_name,
		ev->user_name, ev->hostname,
	};
	struct store_fts_row *row;
	bool failed = false;

	if (s->n_fts == s->cap_fts) {
		size_t cap = s->cap_fts ? s->cap_fts * 2 : 256;
		struct store_fts_row *p = realloc(s->fts, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		s->fts = p;
		s->cap_fts = cap;
	}
	row = &s->fts[s->n_fts];
	row->rowid = rowid;
	for (int i = 0; i < STORE_FTS_COLUMNS; i++)
		row->text[i] = dup_or_null(cols[i], &failed);
	if (failed) {
		for (int i = 0; i < STORE_FTS_COLUMNS; i++)
			free(row->text[i]);
		return -ENOMEM;
	}
	s->n_fts++;
	return 0;
}

void
store_fts_truncate(struct store *s, size_t keep)
{
	while (s->n_fts > keep) {
		struct store_fts_row *row = &s->fts[--s->n_fts];

		for (int i = 0; i < STORE_FTS_COLUMNS; i++)
			free(row->text[i]);
	}
	if (s->fts_savepoint > s->n_fts)
		s->fts_savepoint = s->n_fts;
}

int
store_fts_flush(struct store *s)
{
	sqlite3_stmt *st;
	int r = 0;

	for (size_t i = 0; i < s->n_fts && r == 0; i++) {
		st = store_stmt(s, STMT_EVENT_FTS,
		    "INSERT INTO events_fts (rowid, title, description, "
		    "object_path, threat_name, user_name, hostname) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
		if (st == NULL) {
			r = -EIO;
			break;
		}
		(void)sqlite3_bind_int64(st, 1, s->fts[i].rowid);
		for (int c = 0; c < STORE_FTS_COLUMNS; c++)
			(void)store_bind_text(st, c + 2, s->fts[i].text[c]);
		r = store_exec_stmt(s, st);
	}
	store_fts_truncate(s, 0);
	return r;
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
	int64_t rowid;
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
	rowid = sqlite3_last_insert_rowid(s->db);
	if ((r = store_fts_queue(s, rowid, ev)) < 0)
		return r;
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
