/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of SIEM connectors as the writer changes
 * them: the rows of table connectors and the forwarder's cursors, which
 * the writer saves for the forwarder thread (forward/), so that the
 * database keeps one writer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "store-private.h"

/* The columns connector rows are read with, in order. */
#define CONNECTOR_COLUMNS "id, name, address, port, transport, ca, " \
	"format, min_severity, technologies, enabled"

int
store_connector_count(struct store *s, int64_t *ret_count)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CONNECTOR_COUNT,
	    "SELECT COUNT(*) FROM connectors");

	if (st == NULL)
		return -EIO;
	return store_step_int(s, st, ret_count);
}

/* Binds the values of c as ?2 … ?10 (?1 is the id of an update). */
static void
store_connector_bind(sqlite3_stmt *st, const struct engine_connector *c)
{
	(void)sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, c->address, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 4, c->port);
	(void)sqlite3_bind_text(st, 5, connector_transport_name(c->transport),
	    -1, SQLITE_STATIC);
	(void)store_bind_text(st, 6, c->ca);
	(void)sqlite3_bind_text(st, 7, connector_format_name(c->format), -1,
	    SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 8, c->min_severity);
	(void)sqlite3_bind_text(st, 9,
	    connector_technologies_name(c->technologies), -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 10, c->enabled);
}

int
store_connector_insert(struct store *s, const struct engine_connector *c,
    int64_t now_ms, int64_t *ret_id)
{
	sqlite3_stmt *st;
	int64_t id;
	int r;

	/* rare: prepared per call rather than cached */
	if (sqlite3_prepare_v2(s->db, "INSERT INTO connectors (name, address, "
	    "port, transport, ca, format, min_severity, technologies, "
	    "enabled, created_ms) VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10, ?11)", -1, &st, NULL) != SQLITE_OK)
		return store_error(s, sqlite3_errcode(s->db));
	store_connector_bind(st, c);
	(void)sqlite3_bind_int64(st, 11, now_ms);
	r = store_exec_stmt(s, st);
	(void)sqlite3_finalize(st);
	if (r < 0)
		return r;
	id = sqlite3_last_insert_rowid(s->db);
	/* A new connector forwards what happens from now on. */
	if (sqlite3_prepare_v2(s->db, "INSERT INTO connector_cursors "
	    "(connector_id, event_id, state, updated_ms) SELECT ?1, "
	    "COALESCE(MAX(id), 0), 'starting', ?2 FROM events", -1, &st,
	    NULL) != SQLITE_OK)
		return store_error(s, sqlite3_errcode(s->db));
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_int64(st, 2, now_ms);
	r = store_exec_stmt(s, st);
	(void)sqlite3_finalize(st);
	if (r < 0)
		return r;
	*ret_id = id;
	return 0;
}

int
store_connector_update(struct store *s, const struct engine_connector *c)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "UPDATE connectors SET name = ?2, "
	    "address = ?3, port = ?4, transport = ?5, ca = ?6, format = ?7, "
	    "min_severity = ?8, technologies = ?9, enabled = ?10 "
	    "WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_error(s, sqlite3_errcode(s->db));
	(void)sqlite3_bind_int64(st, 1, c->id);
	store_connector_bind(st, c);
	r = store_exec_stmt(s, st);
	if (r == 0 && sqlite3_changes(s->db) == 0)
		r = -ENOENT;
	(void)sqlite3_finalize(st);
	return r;
}

int
store_connector_delete(struct store *s, int64_t id)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "DELETE FROM connectors WHERE id = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return store_error(s, sqlite3_errcode(s->db));
	(void)sqlite3_bind_int64(st, 1, id);
	r = store_exec_stmt(s, st);
	if (r == 0 && sqlite3_changes(s->db) == 0)
		r = -ENOENT;
	(void)sqlite3_finalize(st);
	return r;
}

int
store_connector_row(sqlite3_stmt *st, struct engine_connector *c)
{
	const char *t;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->name = store_column_dup(st, 1);
	c->address = store_column_dup(st, 2);
	c->port = (uint16_t)sqlite3_column_int(st, 3);
	t = (const char *)sqlite3_column_text(st, 4);
	if (t == NULL || connector_transport_parse(t, &c->transport) < 0)
		c->transport = CONNECTOR_TCP;
	if (sqlite3_column_type(st, 5) != SQLITE_NULL)
		c->ca = store_column_dup(st, 5);
	t = (const char *)sqlite3_column_text(st, 6);
	if (t == NULL || connector_format_parse(t, &c->format) < 0)
		c->format = CONNECTOR_RFC5424;
	c->min_severity = sqlite3_column_int(st, 7);
	t = (const char *)sqlite3_column_text(st, 8);
	if (t == NULL || connector_technologies_parse(t, &c->technologies) < 0)
		c->technologies = CONNECTOR_TECH_ALL;
	c->enabled = sqlite3_column_int(st, 9) != 0;
	if (c->name == NULL || c->address == NULL ||
	    (sqlite3_column_type(st, 5) != SQLITE_NULL && c->ca == NULL)) {
		engine_connector_clear(c);
		return -ENOMEM;
	}
	return 0;
}

int
store_connector_select(sqlite3 *db, const char *name,
    struct engine_connector **ret_v, size_t *ret_n)
{
	sqlite3_stmt *st = NULL;
	struct engine_connector *v = NULL, *p;
	size_t n = 0;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(db, name != NULL ? "SELECT " CONNECTOR_COLUMNS
	    " FROM connectors WHERE name = ?1" : "SELECT " CONNECTOR_COLUMNS
	    " FROM connectors ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	if (name != NULL)
		(void)sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		v = p;
		if ((r = store_connector_row(st, &v[n])) < 0)
			goto out;
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = rc == SQLITE_BUSY ? -EBUSY : -EIO;
		goto out;
	}
	*ret_v = v;
	*ret_n = n;
	v = NULL;
	n = 0;
out:
	(void)sqlite3_finalize(st);
	engine_connectors_free(v, n);
	return r;
}

int
store_connector_list(struct store *s, const char *name,
    struct engine_connector **ret_v, size_t *ret_n)
{
	int r = store_connector_select(s->db, name, ret_v, ret_n);

	if (r == -EIO || r == -EBUSY)
		(void)store_error(s, sqlite3_errcode(s->db));
	return r;
}

int
store_connector_progress(struct store *s,
    const struct engine_connector_progress *p, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CONNECTOR_PROGRESS,
	    "UPDATE connector_cursors SET event_id = MAX(event_id, ?2), "
	    "delivered = delivered + ?3, trimmed = trimmed + ?4, "
	    "errors = errors + ?5, state = ?6, last_error = ?7, "
	    "last_delivered_ms = COALESCE(?8, last_delivered_ms), "
	    "updated_ms = ?9 WHERE connector_id = ?1");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, p->id);
	(void)sqlite3_bind_int64(st, 2, p->cursor);
	(void)sqlite3_bind_int64(st, 3, p->delivered);
	(void)sqlite3_bind_int64(st, 4, p->trimmed);
	(void)sqlite3_bind_int64(st, 5, p->errors);
	(void)sqlite3_bind_text(st, 6, p->state, -1, SQLITE_STATIC);
	(void)store_bind_text(st, 7, p->last_error);
	(void)store_bind_id(st, 8, p->last_delivered_ms);
	(void)sqlite3_bind_int64(st, 9, now_ms);
	/* a connector removed meanwhile has no row: nothing to save */
	return store_exec_stmt(s, st);
}
