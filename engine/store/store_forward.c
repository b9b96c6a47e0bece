/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the forwarder's read-only connection: connectors,
 * cursors and events in id order, joined with their device's addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"
#include "store_forward.h"

enum reader_stmt {
	READER_EVENTS,
	READER_BOUNDS,
	READER_MAX
};

struct store_reader {
	sqlite3		*db;
	sqlite3_stmt	*stmt[READER_MAX];
	char		errmsg[STORE_ERRMSG_LEN];
};

static const char *const reader_sql[READER_MAX] = {
	[READER_EVENTS] = "SELECT e.id, e.occurred_at_ms, e.code, "
	    "e.severity, e.title, COALESCE(e.description, ''), e.technology, "
	    "COALESCE(e.category, ''), COALESCE(e.device_id, 0), "
	    "COALESCE(d.ip, ''), COALESCE(d.mac, ''), "
	    "COALESCE(e.hostname, d.hostname, ''), "
	    "COALESCE((SELECT group_concat(value, ',') FROM "
	    "json_each(e.tags)), '') "
	    "FROM events e LEFT JOIN devices d ON d.id = e.device_id "
	    "WHERE e.id > ?1 AND e.id <= ?3 ORDER BY e.id LIMIT ?2",
	[READER_BOUNDS] = "SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) "
	    "FROM events",
};

static int
reader_error(struct store_reader *rd, int rc)
{
	(void)snprintf(rd->errmsg, sizeof(rd->errmsg), "%s",
	    sqlite3_errmsg(rd->db));
	if (rc == SQLITE_NOMEM)
		return -ENOMEM;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return -EBUSY;
	return -EIO;
}

int
store_reader_open(const char *path, char *errbuf, size_t errlen,
    struct store_reader **ret_reader)
{
	struct store_reader *rd;
	int rc, r;

	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &rd->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		r = rc == SQLITE_CANTOPEN ? -ENOENT : reader_error(rd, rc);
		if (errbuf != NULL)
			(void)snprintf(errbuf, errlen, "%s: %s", path,
			    rd->db != NULL ? sqlite3_errmsg(rd->db) :
			    "out of memory");
		store_reader_free(rd);
		return r;
	}
	(void)sqlite3_busy_timeout(rd->db, 2000);
	(void)sqlite3_exec(rd->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	*ret_reader = rd;
	return 0;
}

void
store_reader_free(struct store_reader *rd)
{
	if (rd == NULL)
		return;
	for (int i = 0; i < READER_MAX; i++)
		(void)sqlite3_finalize(rd->stmt[i]);
	(void)sqlite3_close(rd->db);
	free(rd);
}

const char *
store_reader_errmsg(const struct store_reader *rd)
{
	return rd->errmsg;
}

/* The cached statement of slot, reset; NULL on failure (errmsg set). */
static sqlite3_stmt *
reader_stmt(struct store_reader *rd, enum reader_stmt slot)
{
	int rc;

	if (rd->stmt[slot] == NULL) {
		rc = sqlite3_prepare_v3(rd->db, reader_sql[slot], -1,
		    SQLITE_PREPARE_PERSISTENT, &rd->stmt[slot], NULL);
		if (rc != SQLITE_OK) {
			(void)reader_error(rd, rc);
			return NULL;
		}
	}
	(void)sqlite3_reset(rd->stmt[slot]);
	(void)sqlite3_clear_bindings(rd->stmt[slot]);
	return rd->stmt[slot];
}

int
store_reader_connectors(struct store_reader *rd,
    struct engine_connector **ret_v, int64_t **ret_cursors, size_t *ret_n)
{
	struct engine_connector *v = NULL;
	sqlite3_stmt *st = NULL;
	int64_t *cur = NULL;
	size_t n = 0;
	int r, rc;

	if ((r = store_connector_select(rd->db, NULL, &v, &n)) < 0) {
		(void)reader_error(rd, sqlite3_errcode(rd->db));
		return r;
	}
	if ((cur = calloc(n + 1, sizeof(*cur))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	rc = sqlite3_prepare_v2(rd->db, "SELECT event_id FROM "
	    "connector_cursors WHERE connector_id = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = reader_error(rd, rc);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		(void)sqlite3_reset(st);
		(void)sqlite3_bind_int64(st, 1, v[i].id);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			cur[i] = sqlite3_column_int64(st, 0);
		else if (rc != SQLITE_DONE) {
			r = reader_error(rd, rc);
			goto out;
		}
	}
	*ret_v = v;
	*ret_cursors = cur;
	*ret_n = n;
	v = NULL;
	cur = NULL;
	n = 0;
out:
	(void)sqlite3_finalize(st);
	engine_connectors_free(v, n);
	free(cur);
	return r;
}

static const char *
reader_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL ? s : "";
}

int
store_reader_events(struct store_reader *rd, int64_t after_id,
    int64_t up_to, size_t max, store_reader_event_fn *fn, void *arg)
{
	sqlite3_stmt *st = reader_stmt(rd, READER_EVENTS);
	struct engine_fwd_event ev;
	int count = 0, rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, after_id);
	(void)sqlite3_bind_int64(st, 2, (int64_t)max);
	(void)sqlite3_bind_int64(st, 3, up_to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev.id = sqlite3_column_int64(st, 0);
		ev.occurred_at_ms = sqlite3_column_int64(st, 1);
		ev.code = sqlite3_column_int64(st, 2);
		ev.severity = sqlite3_column_int(st, 3);
		ev.title = reader_text(st, 4);
		ev.description = reader_text(st, 5);
		ev.technology = reader_text(st, 6);
		ev.category = reader_text(st, 7);
		ev.device_id = sqlite3_column_int64(st, 8);
		ev.ip = reader_text(st, 9);
		ev.mac = reader_text(st, 10);
		ev.hostname = reader_text(st, 11);
		ev.tags = reader_text(st, 12);
		count++;
		if (fn(arg, &ev) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	/* ends the read transaction, so that checkpoints can move on */
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return reader_error(rd, rc);
	return count;
}

int
store_reader_bounds(struct store_reader *rd, int64_t *ret_min,
    int64_t *ret_max)
{
	sqlite3_stmt *st = reader_stmt(rd, READER_BOUNDS);
	int rc;

	if (st == NULL)
		return -EIO;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		(void)sqlite3_reset(st);
		return reader_error(rd, rc);
	}
	*ret_min = sqlite3_column_int64(st, 0);
	*ret_max = sqlite3_column_int64(st, 1);
	(void)sqlite3_reset(st);
	return 0;
}
