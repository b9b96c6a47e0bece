/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the rules lookups of kics-query: the rule set the
 * daemon runs with its counters (table rules_state, read-only), and
 * "rules test", which applies a rules file to one event given as JSON
 * without touching any database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_types.h"
#include "query-private.h"
#include "rules.h"

#define RULES_LIST_SQL \
	"SELECT json_extract(r.value, '$.name') AS name, " \
	"json_extract(r.value, '$.matches') AS matches, " \
	"json_extract(r.value, '$.drops') AS drops, " \
	"json_extract(r.value, '$.match') AS match, " \
	"json_extract(r.value, '$.set') AS \"set\", " \
	"json_extract(r.value, '$.tags') AS tags, " \
	"json_extract(r.value, '$.drop') AS \"drop\", " \
	"json_extract(r.value, '$.stop') AS stop " \
	"FROM rules_state s, json_each(s.rules) r ORDER BY r.key"

int
query_rules_list(struct query_db *db, query_row_fn fn, void *ctx)
{
	struct qsql q;
	int r;

	qsql_init(&q);
	qsql_add(&q, RULES_LIST_SQL);
	r = qsql_each(db, &q, fn, ctx);
	qsql_fini(&q);
	return r;
}

int
query_rules_list_json(struct query_db *db, char **ret_json)
{
	struct qsql q;
	char *json = NULL;
	int r;

	qsql_init(&q);
	qsql_add(&q, "SELECT json(rules) FROM rules_state");
	r = qsql_text_result(db, &q, &json);
	qsql_fini(&q);
	if (r == -ENOENT) {
		/* the daemon never ran with rules: an empty list */
		if ((json = strdup("[]")) == NULL)
			return -ENOMEM;
		r = 0;
	}
	if (r == 0)
		*ret_json = json;
	return r;
}

/*
 * Unlike the other lists, the JSON is the array the daemon saved (it has
 * "line", which the rows leave out), so the two stay separate queries.
 */
int
query_rules_list_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	(void)arg;
	if (s->ret_json != NULL)
		return query_rules_list_json(db, s->ret_json);
	return query_rules_list(db, s->fn, s->ctx);
}

/* The event fields "rules test" accepts, in the order of the SELECT. */
static const char *const test_fields[] = {
	"category", "code", "product", "severity", "title", "description",
	"object_path", "threat_name", "user_name", "hostname", "ip", "mac",
	"device_category", "attributes", "device_ips",
};
#define TEST_FIELDS	(sizeof(test_fields) / sizeof(test_fields[0]))
#define TEST_ATTRS	64	/* attributes of a test event */
#define TEST_IPS	16	/* device_ips of a test event */

/* The parsed test event; strings live in the statement that gave them. */
struct test_event {
	sqlite3		*mem;
	char		*text[TEST_FIELDS];	/* owned copies, NULL if absent */
	char		*keys[TEST_ATTRS], *values[TEST_ATTRS];
	size_t		n_attrs;
	char		*ips[TEST_IPS];
	size_t		n_ips;
};

static void
test_event_fini(struct test_event *t)
{
	for (size_t i = 0; i < TEST_FIELDS; i++)
		free(t->text[i]);
	for (size_t i = 0; i < t->n_attrs; i++) {
		free(t->keys[i]);
		free(t->values[i]);
	}
	for (size_t i = 0; i < t->n_ips; i++)
		free(t->ips[i]);
	if (t->mem != NULL)
		(void)sqlite3_close(t->mem);
}

static int
test_fail(char *errbuf, size_t errlen, int r, const char *fmt, ...)
    KICS_PRINTF(4, 5);

static int
test_fail(char *errbuf, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v != NULL ? strdup((const char *)v) : NULL;
}

/* Runs sql with json bound to ?1 over an in-memory database. */
static int
test_each(struct test_event *t, const char *sql, const char *json,
    sqlite3_stmt **ret_st)
{
	if (sqlite3_prepare_v2(t->mem, sql, -1, ret_st, NULL) != SQLITE_OK)
		return -EIO;
	(void)sqlite3_bind_text(*ret_st, 1, json, -1, SQLITE_STATIC);
	return 0;
}

/*
 * Parses the event JSON with SQLite's JSON functions on an in-memory
 * database: an object whose keys are test_fields, attributes an object of
 * strings, device_ips an array of strings.
 */
static int
test_event_parse(struct test_event *t, const char *json, char *errbuf,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct strbuf sql;
	int rc, r = 0;

	if (sqlite3_open_v2(":memory:", &t->mem, SQLITE_OPEN_READWRITE,
	    NULL) != SQLITE_OK)
		return test_fail(errbuf, errlen, -ENOMEM, "out of memory");
	if (test_each(t, "SELECT json_valid(?1) AND json_type(?1) = 'object'",
	    json, &st) < 0)
		return test_fail(errbuf, errlen, -EIO, "%s",
		    sqlite3_errmsg(t->mem));
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || sqlite3_column_int(st, 0) != 1)
		r = test_fail(errbuf, errlen, -EINVAL, "--event-json is not a "
		    "JSON object");
	(void)sqlite3_finalize(st);
	if (r < 0)
		return r;
	/* unknown keys are errors, as everywhere else */
	if (test_each(t, "SELECT key FROM json_each(?1)", json, &st) < 0)
		return -EIO;
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		bool known = false;

		for (size_t i = 0; i < TEST_FIELDS; i++)
			known |= strcmp(k, test_fields[i]) == 0;
		if (!known)
			r = test_fail(errbuf, errlen, -EINVAL, "--event-json: "
			    "unknown key '%s' (known: category, code, product, "
			    "severity, title, description, object_path, "
			    "threat_name, user_name, hostname, ip, mac, "
			    "device_category, attributes, device_ips)", k);
	}
	(void)sqlite3_finalize(st);
	if (r < 0)
		return r;
	strbuf_init(&sql);
	(void)strbuf_append(&sql, "SELECT ");
	for (size_t i = 0; i < TEST_FIELDS; i++)
		(void)strbuf_printf(&sql, "%sjson_extract(?1, '$.%s')",
		    i > 0 ? ", " : "", test_fields[i]);
	r = sql.error < 0 ? sql.error :
	    test_each(t, strbuf_str(&sql), json, &st);
	strbuf_fini(&sql);
	if (r < 0)
		return test_fail(errbuf, errlen, r, "out of memory");
	if (sqlite3_step(st) == SQLITE_ROW)
		for (size_t i = 0; i < TEST_FIELDS; i++)
			t->text[i] = col_dup(st, (int)i);
	(void)sqlite3_finalize(st);
	if (test_each(t, "SELECT key, value FROM json_each(?1, '$.attributes')",
	    json, &st) < 0)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW && t->n_attrs < TEST_ATTRS) {
		t->keys[t->n_attrs] = col_dup(st, 0);
		t->values[t->n_attrs++] = col_dup(st, 1);
	}
	(void)sqlite3_finalize(st);
	if (test_each(t, "SELECT value FROM json_each(?1, '$.device_ips')",
	    json, &st) < 0)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW && t->n_ips < TEST_IPS)
		t->ips[t->n_ips++] = col_dup(st, 0);
	(void)sqlite3_finalize(st);
	return 0;
}

/* Field i of the test event, or NULL. */
static const char *
tf(const struct test_event *t, const char *name)
{
	for (size_t i = 0; i < TEST_FIELDS; i++)
		if (strcmp(test_fields[i], name) == 0)
			return t->text[i];
	return NULL;
}

/* Writes the outcome document with SQLite's JSON functions. */
static int
test_outcome(struct test_event *t, const char *matched,
    const struct rule_result *res, const char *title, int64_t code,
    char **ret_json)
{
	sqlite3_stmt *st = NULL;
	int r = -EIO;

	if (test_each(t, "SELECT json_object('matched', json(?1), 'event', "
	    "json_object('code', ?2, 'category', ?3, 'severity', ?4, "
	    "'title', ?5, 'tags', json(?6), 'stored', json(?7)))", matched,
	    &st) < 0)
		return -EIO;
	(void)sqlite3_bind_int64(st, 2, code);
	(void)sqlite3_bind_text(st, 3, tf(t, "category"), -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 4, severity_name(res->severity), -1,
	    SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 5, title, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 6, res->tags_json != NULL ?
	    res->tags_json : "[]", -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 7, res->drop ? "false" : "true", -1,
	    SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		*ret_json = col_dup(st, 0);
		r = *ret_json != NULL ? 0 : -ENOMEM;
	}
	(void)sqlite3_finalize(st);
	return r;
}

/* Hands the outcome to fn as one row, for table and CSV output. */
static int
test_outcome_row(const char *matched, const struct rule_result *res,
    const char *title, query_row_fn fn, void *ctx)
{
	static const char *const names[] = {
		"matched", "severity", "title", "tags", "stored",
	};
	const char *text[] = {
		matched, severity_name(res->severity), title,
		res->tags_json != NULL ? res->tags_json : "[]",
		res->drop ? "no (dropped)" : "yes",
	};
	struct query_value values[5];
	struct query_row row = { 5, names, values };

	for (size_t i = 0; i < 5; i++) {
		values[i].type = QUERY_TYPE_TEXT;
		values[i].i = 0;
		values[i].text = text[i];
	}
	return fn(ctx, &row);
}

/*
 * Fills ev from the parsed event t (borrowing its strings), with the code
 * and severity of its category where it gives none. Returns 0 or -EINVAL
 * with the reason in errbuf.
 */
static int
test_rule_event(const struct test_event *t, const struct event_types *types,
    struct rule_event *ev, char *errbuf, size_t errlen)
{
	const struct event_type *type = event_types_find(types,
	    tf(t, "category"));
	enum severity sev = type->severity;
	char *end;

	if (tf(t, "severity") != NULL &&
	    severity_parse(tf(t, "severity"), &sev) < 0)
		return test_fail(errbuf, errlen, -EINVAL, "--event-json: "
		    "severity '%s' is not info, warning or critical",
		    tf(t, "severity"));
	memset(ev, 0, sizeof(*ev));
	ev->category = tf(t, "category");
	ev->code = type->code;
	if (tf(t, "code") != NULL) {
		errno = 0;
		ev->code = strtoll(tf(t, "code"), &end, 10);
		if (errno != 0 || *end != '\0')
			return test_fail(errbuf, errlen, -EINVAL,
			    "--event-json: code '%s' is not an integer",
			    tf(t, "code"));
	}
	ev->product = tf(t, "product");
	ev->severity = sev;
	ev->title = tf(t, "title");
	ev->description = tf(t, "description");
	ev->object_path = tf(t, "object_path");
	ev->threat_name = tf(t, "threat_name");
	ev->user_name = tf(t, "user_name");
	ev->attr_keys = (const char *const *)t->keys;
	ev->attr_values = (const char *const *)t->values;
	ev->n_attrs = t->n_attrs;
	ev->hostname = tf(t, "hostname");
	ev->ip = tf(t, "ip");
	ev->mac = tf(t, "mac");
	ev->device_category = tf(t, "device_category");
	ev->device_ips = (const char *const *)t->ips;
	ev->n_device_ips = t->n_ips;
	return 0;
}

int
query_rules_test(const char *file, const char *event_json, query_row_fn fn,
    void *ctx, char **ret_json, char *errbuf, size_t errlen)
{
	struct test_event t = { 0 };
	struct rule_result res = { .severity = SEVERITY_INFO };
	struct event_types *types = NULL;
	struct rules *rules = NULL;
	struct diag *diag = diag_new();
	const struct event_type *type;
	struct rule_event ev;
	char *matched = NULL;
	int r;

	if (diag == NULL)
		return test_fail(errbuf, errlen, -ENOMEM, "out of memory");
	if ((r = rules_load(file, diag, &rules)) < 0) {
		size_t len = 0;

		errbuf[0] = '\0';
		/* every error, one per line, as --check prints them */
		for (size_t i = 0; i < diag_count(diag) && len < errlen; i++)
			len += (size_t)snprintf(errbuf + len, errlen - len,
			    "%s%s", i > 0 ? "\n" : "", diag_get(diag, i));
		goto out;
	}
	if ((r = event_types_load_default(diag, &types)) < 0) {
		r = test_fail(errbuf, errlen, r, "built-in event types: %s",
		    diag_count(diag) > 0 ? diag_get(diag, 0) : "unreadable");
		goto out;
	}
	if ((r = test_event_parse(&t, event_json, errbuf, errlen)) < 0)
		goto out;
	if ((r = test_rule_event(&t, types, &ev, errbuf, errlen)) < 0)
		goto out;
	type = event_types_find(types, tf(&t, "category"));
	if ((r = rules_explain(rules, &ev, &res, &matched)) < 0) {
		r = test_fail(errbuf, errlen, r, "out of memory");
		goto out;
	}
	if (ret_json != NULL)
		r = test_outcome(&t, matched, &res, res.title != NULL ?
		    res.title : type->title, ev.code, ret_json);
	if (r == 0 && fn != NULL)
		r = test_outcome_row(matched, &res, res.title != NULL ?
		    res.title : type->title, fn, ctx);
	if (r < 0)
		(void)test_fail(errbuf, errlen, r, "cannot write the outcome");
out:
	free(matched);
	rule_result_fini(&res);
	test_event_fini(&t);
	rules_free(rules);
	event_types_free(types);
	diag_free(diag);
	return r;
}
