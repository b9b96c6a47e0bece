/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the event queries: filters over the event_log
 * columns, full-text search with FTS5 (the text rewritten by search.c),
 * the one order of every event list (newest first by occurred time) and
 * the polling of events --follow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "query-private.h"

#define EVENT_COLS \
	"e.id AS event_id, e.occurred_at_ms, e.registered_at_ms, " \
	"e.device_id, ag.agent_id, e.code, e.title, CASE e.severity " \
	"WHEN 3 THEN 'critical' WHEN 2 THEN 'warning' ELSE 'info' END " \
	"AS severity, e.technology, e.category, e.description, e.tags, " \
	"COALESCE(d.name, d.hostname, d.ip, d.mac, 'device-' || d.id) " \
	"AS _device_name, d.ip AS _device_ip"

/* Words of a snippet around the hits. */
#define SNIPPET_TOKENS	12
/* Newest hits a search looks at first (search_bound()), and the largest
 * --limit that does so. */
#define SEARCH_NEWEST		1000
#define SEARCH_NEWEST_MAX	200

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

/* How events_select() reads: what it selects and which table leads. */
enum events_shape {
	EVENTS_ROWS,		/* EVENT_COLS (and the snippet) */
	EVENTS_KEYS,		/* event_id and occurred_at_ms only */
	EVENTS_PROBE,		/* keys, events leading, FTS5 probed per row */
	EVENTS_SHAPE_MAX
};

/*
 * SELECT ... FROM ... WHERE <filters of o>; fts is the rewritten search.
 * With a search, FTS5 leads (its hits, then their rows) unless shape is
 * EVENTS_PROBE.
 */
static void
events_select(const struct query_events_opts *o, const char *fts,
    enum events_shape shape, struct qsql *q)
{
	qsql_add(q, "SELECT %s", shape == EVENTS_ROWS ? EVENT_COLS :
	    "e.id AS event_id, e.occurred_at_ms");
	if (fts != NULL && shape == EVENTS_ROWS)
		qsql_add(q, ", snippet(events_fts, -1, char(1), char(2), "
		    "'...', %d) AS _snippet", SNIPPET_TOKENS);
	if (fts != NULL && shape == EVENTS_PROBE)
		qsql_add(q, " FROM events e CROSS JOIN events_fts f ON "
		    "f.rowid = e.id");
	else if (fts != NULL)
		qsql_add(q, " FROM events_fts f JOIN events e ON "
		    "e.id = f.rowid");
	else
		qsql_add(q, " FROM events e");
	qsql_add(q, " LEFT JOIN agents ag ON ag.id = e.agent_ref "
	    "LEFT JOIN devices d ON d.id = e.device_id WHERE 1");
	if (fts != NULL)
		qsql_add(q, " AND events_fts MATCH ?%d", qsql_text(q, fts));
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
}

/*
 * Runs q for o: rows to s, and a refused search explained. fts is the
 * rewritten search (NULL without one).
 */
static int
events_run(struct query_db *db, const struct query_events_opts *o,
    const char *fts, struct qsql *q, const struct query_sink *s)
{
	int r = qsql_emit(db, q, s);

	if (r == -EIO && fts != NULL && strstr(db->errmsg, "fts5") != NULL)
		r = query_search_explain(db, o->search, fts);
	return r;
}

/* The rewritten search of o into *ret_fts (NULL without one). */
static int
events_fts(struct query_db *db, const struct query_events_opts *o,
    char **ret_fts)
{
	char why[QUERY_ERRMSG_LEN];
	int r;

	*ret_fts = NULL;
	if (o->search == NULL)
		return 0;
	if ((r = query_search_rewrite(o->search, ret_fts, why,
	    sizeof(why))) == -EINVAL)
		return qdb_fail(db, r, "%s", why);
	return r < 0 ? qdb_fail(db, r, "out of memory") : 0;
}

/* Runs q (one row of integers) into ret[0..n). Returns 0, -ENOENT, -EIO. */
static int
int_row(struct query_db *db, struct qsql *q, int64_t *ret, size_t n)
{
	struct query_table *t = query_table_new();
	int r;

	if (t == NULL)
		return -ENOMEM;
	if ((r = qsql_each(db, q, query_table_add_row, t)) == 0 &&
	    (t->nrows == 0 || t->ncols < n))
		r = -ENOENT;
	for (size_t i = 0; r == 0 && i < n; i++)
		ret[i] = query_table_cell(t, 0, i)->i;
	query_table_free(t);
	return r;
}

/*
 * Whether a hit older than edge (by event id; with o->reverse newer)
 * occurred after t (before t): one walk of events_occurred from t, each
 * row probed in FTS5. Returns 1, 0, or a negative errno.
 */
static int
older_hit_after(struct query_db *db, const struct query_events_opts *o,
    const char *fts, int64_t edge, int64_t t)
{
	struct qsql q, c;
	int64_t n = 0;
	int r;

	qsql_init(&q);
	qsql_init(&c);
	events_select(o, fts, EVENTS_PROBE, &q);
	/* "+e.id": walk events_occurred from t, not the ids below edge */
	qsql_add(&q, o->reverse ? " AND e.occurred_at_ms < ?%d AND "
	    "+e.id > ?%d" : " AND e.occurred_at_ms > ?%d AND +e.id < ?%d",
	    qsql_int(&q, t), qsql_int(&q, edge));
	qsql_add(&c, "SELECT count(*) FROM (%s LIMIT 1)", strbuf_str(&q.sql));
	c.nbinds = q.nbinds;
	memcpy(c.binds, q.binds, sizeof(q.binds));
	r = int_row(db, &c, &n, 1);
	qsql_fini(&c);
	qsql_fini(&q);
	return r < 0 ? r : n > 0;
}

/*
 * A search sorted by occurred time must look at every hit, which costs
 * hundreds of milliseconds for a common word over millions of events,
 * while FTS5 hands out the newest hits (highest event id) at once. Events
 * are stored roughly in the order they occur, so the first o->limit rows
 * are nearly always among the SEARCH_NEWEST newest hits: when no older hit
 * occurred after the limit-th of those (older_hit_after()), they are the
 * answer and *ret_bound is the lowest event id among them (with
 * o->reverse: the oldest hits, the highest id). An older hit that occurred
 * at the same millisecond ranks below it (ties: the higher id first).
 * Else *ret_bound stays 0 and every hit is sorted. Returns 0 or a negative
 * errno.
 */
static int
search_bound(struct query_db *db, const struct query_events_opts *o,
    const char *fts, int64_t *ret_bound)
{
	const char *dir = o->reverse ? "ASC" : "DESC";
	int64_t v[3];
	struct qsql q, k;
	int r;

	qsql_init(&q);
	qsql_init(&k);
	events_select(o, fts, EVENTS_KEYS, &k);
	qsql_add(&k, " ORDER BY f.rowid %s LIMIT %d", dir, SEARCH_NEWEST);
	/* how many, the id at the edge, the limit-th occurred time */
	qsql_add(&q, "SELECT count(*), %s(event_id), (SELECT occurred_at_ms "
	    "FROM (%s) ORDER BY occurred_at_ms %s, event_id %s LIMIT 1 "
	    "OFFSET ?%d) FROM (%s)", o->reverse ? "max" : "min",
	    strbuf_str(&k.sql), dir, dir, (int)k.nbinds + 1,
	    strbuf_str(&k.sql));
	q.nbinds = k.nbinds;
	memcpy(q.binds, k.binds, sizeof(k.binds));
	(void)qsql_int(&q, o->limit - 1);
	/* fewer hits than SEARCH_NEWEST: sorting them all is cheap */
	if ((r = int_row(db, &q, v, 3)) == 0 && v[0] == SEARCH_NEWEST &&
	    (r = older_hit_after(db, o, fts, v[1], v[2])) == 0)
		*ret_bound = v[1];
	qsql_fini(&q);
	qsql_fini(&k);
	return r == -ENOENT || r == 1 ? 0 : r;
}

int
query_events_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	const struct query_events_opts *o = arg;
	const char *dir = o->reverse ? "ASC" : "DESC";
	char *fts;
	struct qsql q;
	int r;

	int64_t bound = 0;

	if ((r = events_fts(db, o, &fts)) < 0)
		return r;
	if (fts != NULL && o->limit > 0 && o->limit <= SEARCH_NEWEST_MAX &&
	    (r = search_bound(db, o, fts, &bound)) < 0) {
		if (r == -EIO && strstr(db->errmsg, "fts5") != NULL)
			r = query_search_explain(db, o->search, fts);
		free(fts);
		return r;
	}
	qsql_init(&q);
	events_select(o, fts, EVENTS_ROWS, &q);
	if (bound > 0)
		qsql_add(&q, o->reverse ? " AND e.id <= ?%d" :
		    " AND e.id >= ?%d", qsql_int(&q, bound));
	/* events_occurred (occurred_at_ms, then rowid) gives this order */
	qsql_add(&q, " ORDER BY e.occurred_at_ms %s, e.id %s", dir, dir);
	if (o->limit > 0)
		qsql_add(&q, " LIMIT ?%d", qsql_int(&q, o->limit));
	r = events_run(db, o, fts, &q, s);
	qsql_fini(&q);
	free(fts);
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

int
query_events_last_id(struct query_db *db, int64_t *ret_id)
{
	struct qsql q;
	char *text = NULL;
	int r;

	qsql_init(&q);
	qsql_add(&q, "SELECT COALESCE(MAX(id), 0) FROM events");
	if ((r = qsql_text_result(db, &q, &text)) == 0)
		*ret_id = strtoll(text, NULL, 10);
	free(text);
	qsql_fini(&q);
	return r;
}

int
query_events_after(struct query_db *db, const struct query_events_opts *o,
    int64_t after, int64_t upto, int64_t last_n, bool json, query_row_fn fn,
    void *ctx)
{
	struct query_sink s = { fn, ctx, NULL };
	struct qsql q, outer;
	char *fts;
	int r;

	if ((r = events_fts(db, o, &fts)) < 0)
		return r;
	qsql_init(&q);
	qsql_init(&outer);
	events_select(o, fts, EVENTS_ROWS, &q);
	/* The writer numbers rows in commit order: nothing lands below upto
	 * once upto is visible. */
	qsql_add(&q, " AND e.id > ?%d AND e.id <= ?%d ORDER BY e.id DESC",
	    qsql_int(&q, after), qsql_int(&q, upto));
	if (last_n > 0)
		qsql_add(&q, " LIMIT ?%d", qsql_int(&q, last_n));
	qsql_add(&outer, "SELECT * FROM (%s) ORDER BY event_id",
	    strbuf_str(&q.sql));
	outer.nbinds = q.nbinds;
	memcpy(outer.binds, q.binds, sizeof(q.binds));
	if (json)
		r = qsql_json_each(db, &outer, fn, ctx);
	else
		r = events_run(db, o, fts, &outer, &s);
	if (json && r == -EIO && fts != NULL &&
	    strstr(db->errmsg, "fts5") != NULL)
		r = query_search_explain(db, o->search, fts);
	qsql_fini(&outer);
	qsql_fini(&q);
	free(fts);
	return r;
}
