/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the event queries: filters over the event_log
 * columns and full-text search with FTS5, newest rowid first (never bm25,
 * see DESIGN.md "Performance facts"), and the explanation of a bad search.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "query-private.h"

#define EVENT_COLS \
	"e.id AS event_id, e.occurred_at_ms, e.registered_at_ms, " \
	"e.device_id, ag.agent_id, e.code, e.title, CASE e.severity " \
	"WHEN 3 THEN 'critical' WHEN 2 THEN 'warning' ELSE 'info' END " \
	"AS severity, e.technology, e.category, e.description, e.tags"

/* Words of a snippet around the hits. */
#define SNIPPET_TOKENS	12

void
query_events_opts_init(struct query_events_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->since_ms = QUERY_TIME_NONE;
	o->until_ms = QUERY_TIME_NONE;
	o->limit = QUERY_EVENTS_LIMIT;
}

int
query_severity_parse(const char *name)
{
	if (strcmp(name, "info") == 0)
		return 1;
	if (strcmp(name, "warning") == 0)
		return 2;
	if (strcmp(name, "critical") == 0)
		return 3;
	return -EINVAL;
}

static void
events_sql(const struct query_events_opts *o, struct qsql *q)
{
	bool fts = o->search != NULL;

	/* The newest rows first inside, newest last outside. */
	qsql_add(q, "SELECT * FROM (SELECT " EVENT_COLS);
	if (fts)
		qsql_add(q, ", snippet(events_fts, -1, char(1), char(2), "
		    "'...', %d) AS _snippet FROM events_fts f JOIN events e "
		    "ON e.id = f.rowid", SNIPPET_TOKENS);
	else
		qsql_add(q, " FROM events e");
	qsql_add(q, " LEFT JOIN agents ag ON ag.id = e.agent_ref WHERE 1");
	if (fts)
		qsql_add(q, " AND events_fts MATCH ?%d",
		    qsql_text(q, o->search));
	if (o->device_id > 0)
		qsql_add(q, " AND e.device_id = ?%d",
		    qsql_int(q, o->device_id));
	if (o->min_severity > 1)
		qsql_add(q, " AND e.severity >= ?%d",
		    qsql_int(q, o->min_severity));
	if (o->code != 0)
		qsql_add(q, " AND e.code = ?%d", qsql_int(q, o->code));
	if (o->since_ms != QUERY_TIME_NONE)
		qsql_add(q, " AND e.occurred_at_ms >= ?%d",
		    qsql_int(q, o->since_ms));
	if (o->until_ms != QUERY_TIME_NONE)
		qsql_add(q, " AND e.occurred_at_ms < ?%d",
		    qsql_int(q, o->until_ms));
	qsql_add(q, fts ? " ORDER BY f.rowid DESC" : " ORDER BY e.id DESC");
	if (o->limit > 0)
		qsql_add(q, " LIMIT ?%d", qsql_int(q, o->limit));
	qsql_add(q, ") ORDER BY event_id");
}

/*
 * Replaces SQLite's text for a bad MATCH expression by one line a person
 * can act on. Returns r unchanged when the failure was something else.
 */
static int
explain_search(struct query_db *db, const struct query_events_opts *o, int r)
{
	char raw[QUERY_ERRMSG_LEN];
	const char *p;

	if (r != -EIO || o->search == NULL)
		return r;
	(void)snprintf(raw, sizeof(raw), "%s", db->errmsg);
	if ((p = strstr(raw, "fts5: syntax error near ")) != NULL)
		return qdb_fail(db, -EINVAL, "invalid search '%s': unexpected "
		    "%s; put words with punctuation in double quotes, e.g. "
		    "'\"C:\\\\Windows\"'", o->search,
		    strcmp(p + 24, "\"\"") == 0 ? "end of the expression" :
		    p + 24);
	if ((p = strstr(raw, "no such column: ")) != NULL)
		return qdb_fail(db, -EINVAL, "invalid search '%s': '%s' is "
		    "not a searchable column (title, description, object_path, "
		    "threat_name, user_name, hostname); quote words that "
		    "contain ':'", o->search, p + 16);
	if ((p = strstr(raw, "fts5:")) != NULL ||
	    (p = strstr(raw, "unterminated string")) != NULL ||
	    (p = strstr(raw, "unknown special query")) != NULL)
		return qdb_fail(db, -EINVAL, "invalid search '%s': %s (see "
		    "FTS5 query syntax in kics-query(1))", o->search, p);
	return r;
}

int
query_events_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	const struct query_events_opts *o = arg;
	struct qsql q;
	int r;

	qsql_init(&q);
	events_sql(o, &q);
	r = explain_search(db, o, qsql_emit(db, &q, s));
	qsql_fini(&q);
	return r;
}

int
query_events(struct query_db *db, const struct query_events_opts *o,
    query_row_fn fn, void *ctx)
{
	struct query_sink s = { fn, ctx, NULL };

	return query_events_emit(db, o, &s);
}

int
query_events_json(struct query_db *db, const struct query_events_opts *o,
    char **ret_json)
{
	struct query_sink s = { NULL, NULL, ret_json };

	return query_events_emit(db, o, &s);
}
