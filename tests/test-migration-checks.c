/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Migration 0009 (issue 13): on a database made at version 8 that holds
 * rows, every CHECK (col IN (...)) becomes an OR chain that accepts the
 * same values and refuses others, with no table rebuilt and no row lost.
 * Migration 0010 (issue 17): on a database made at version 9 that holds
 * events, every event with an id gets its key, and repeats of the events
 * stored before it are still found.
 * Migration 0011 (issue 17): FTS5 merges sixteen segments at a time, on
 * a new database and on one made at version 10, which keeps its index.
 * Migration 0012 (issue 17): FTS5 merges step by step, a whole level at
 * once only from 64 segments; the index still gets merged and stays
 * whole.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "embedded.h"
#include "engine-fx.h"
#include "sqlite-fault.h"
#include "store.h"
#include "testutil.h"

#define MAX_TOKENS	2048
#define MAX_CHECKS	64
#define MAX_VALUES	16
#define TOKEN_LEN	64
#define FAULT_MAX_RUNS	100000	/* a bound, far above what 0009 needs */
#define FAULT_STRIDE	11	/* every 11th allocation fails once: all of
				   them take minutes under ASan (fsyncs) */

/* The IN lists of constants found in the CHECKs of the version 8 schema. */
struct in_check {
	char	table[TOKEN_LEN];
	char	column[TOKEN_LEN];
	char	values[MAX_VALUES][TOKEN_LEN];	/* SQL literals as written */
	size_t	nvalues;
};

struct tokens {
	char	text[MAX_TOKENS][TOKEN_LEN];
	size_t	n;
};

/* Opens path with extended result codes (SQLITE_CONSTRAINT_CHECK). */
static sqlite3 *
open_db(const char *path)
{
	sqlite3 *db;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	(void)sqlite3_extended_result_codes(db, 1);
	return db;
}

/* Opens path with the store and closes it: the migrations run. */
static void
migrate(const char *path)
{
	struct store *s = NULL;

	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	store_free(s);
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		(void)fprintf(stderr, "%s: %s\n", sql, err);
	CHECK(err == NULL);
}

/* Appends the token [p, p + len) to t. */
static void
token_add(struct tokens *t, const char *p, size_t len)
{
	CHECK(t->n < MAX_TOKENS && len < TOKEN_LEN);
	memcpy(t->text[t->n], p, len);
	t->text[t->n][len] = '\0';
	t->n++;
}

/* The length of the token at p: a string, a word or one character. */
static size_t
token_len(const char *p)
{
	size_t n = 1;

	if (*p == '\'' || *p == '"') {
		for (;; n++) {
			CHECK(p[n] != '\0');
			if (p[n] == *p && p[n + 1] != *p)
				return n + 1;
			if (p[n] == *p)
				n++;
		}
	}
	if (*p == '_' || (*p >= '0' && *p <= '9') ||
	    ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')) {
		while (p[n] == '_' || (p[n] >= '0' && p[n] <= '9') ||
		    ((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z'))
			n++;
	}
	return n;
}

/* Splits SQL text into tokens, leaving out white space and comments. */
static void
tokenize(const char *sql, struct tokens *t)
{
	const char *p = sql;

	t->n = 0;
	while (*p != '\0') {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
		} else if (strncmp(p, "--", 2) == 0) {
			p += strcspn(p, "\n");
		} else if (strncmp(p, "/*", 2) == 0) {
			CHECK(strstr(p + 2, "*/") != NULL);
			p = strstr(p + 2, "*/") + 2;
		} else {
			size_t n = token_len(p);

			token_add(t, p, n);
			p += n;
		}
	}
}

/* Index of the ")" that closes the "(" at t->text[open]. */
static size_t
closing(const struct tokens *t, size_t open)
{
	int depth = 0;

	for (size_t i = open; i < t->n; i++) {
		depth += strcmp(t->text[i], "(") == 0;
		depth -= strcmp(t->text[i], ")") == 0;
		if (depth == 0)
			return i;
	}
	CHECK(!"unbalanced parentheses");
	return 0;
}

/*
 * Calls fn for each CHECK of the CREATE TABLE text sql with the tokens of
 * its expression, [first, last).
 */
static void
each_check(const char *table, const char *sql,
    void (*fn)(const char *, const struct tokens *, size_t, size_t, void *),
    void *arg)
{
	static struct tokens t;

	tokenize(sql, &t);
	for (size_t i = 0; i + 1 < t.n; i++) {
		if (strcasecmp(t.text[i], "CHECK") != 0 ||
		    strcmp(t.text[i + 1], "(") != 0)
			continue;
		fn(table, &t, i + 2, closing(&t, i + 1), arg);
	}
}

/* Calls each_check() for every table of db. */
static void
each_table_check(sqlite3 *db,
    void (*fn)(const char *, const struct tokens *, size_t, size_t, void *),
    void *arg)
{
	sqlite3_stmt *st;

	CHECK(sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_schema "
	    "WHERE type = 'table' AND sql IS NOT NULL", -1, &st,
	    NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		each_check((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1), fn, arg);
	(void)sqlite3_finalize(st);
}

/* each_check() callback: records "col IN (v, ...)" into the array arg. */
static void
collect_in(const char *table, const struct tokens *t, size_t first,
    size_t last, void *arg)
{
	struct in_check *c = arg;
	size_t n = 0;

	while (c[n].table[0] != '\0')
		n++;
	if (last - first < 4 || strcasecmp(t->text[first + 1], "IN") != 0)
		return;
	CHECK(n + 1 < MAX_CHECKS);
	/* nothing else may share the CHECK with the list */
	CHECK(strcmp(t->text[first + 2], "(") == 0 &&
	    closing(t, first + 2) == last - 1);
	(void)snprintf(c[n].table, TOKEN_LEN, "%s", table);
	(void)snprintf(c[n].column, TOKEN_LEN, "%s", t->text[first]);
	for (size_t i = first + 3; i < last - 1; i += 2) {
		CHECK(c[n].nvalues < MAX_VALUES);
		(void)snprintf(c[n].values[c[n].nvalues++], TOKEN_LEN, "%s",
		    t->text[i]);
	}
}

/* each_check() callback: counts the CHECKs that still hold an IN. */
static void
count_in(const char *table, const struct tokens *t, size_t first,
    size_t last, void *arg)
{
	size_t *count = arg;

	(void)table;
	for (size_t i = first; i < last; i++)
		*count += strcasecmp(t->text[i], "IN") == 0;
}

/* Applies migrations 0001..version as the store's runner does. */
static void
make_version(sqlite3 *db, int version)
{
	char sql[64];

	exec_ok(db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON");
	for (const struct embedded_file *m = embedded_migrations;
	    m->name != NULL && embedded_migration_number(m->name) <= version;
	    m++) {
		exec_ok(db, "BEGIN IMMEDIATE");
		exec_ok(db, m->text);
		(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    embedded_migration_number(m->name));
		exec_ok(db, sql);
		exec_ok(db, "COMMIT");
	}
	CHECK_EQ(q_int_db(db, "PRAGMA user_version"), version);
}

/* One row in every table that has a CHECK with an IN list. */
static void
fill(sqlite3 *db)
{
	exec_ok(db,
	    "INSERT INTO integration_servers (id, name, address, port, "
	    "transport, created_ms, udp_port) VALUES "
	    "(1, 's', '127.0.0.1', 8443, 'https', 1, 8443);"
	    "INSERT INTO certificates (server_id, kind, serial, sha256, "
	    "not_after_ms, created_ms) VALUES (1, 'client', '01', 'ab', 2, 1);"
	    "INSERT INTO devices (id, status, source, created_ms, "
	    "last_seen_ms) VALUES (1, 'authorized', 'epp', 1, 1);"
	    "INSERT INTO device_attributes (device_id, name, source, value, "
	    "updated_ms) VALUES (1, 'hostname', 'epp', 'h', 1);"
	    "INSERT INTO addresses (device_id, kind, value, source, "
	    "first_seen_ms, last_seen_ms) VALUES "
	    "(1, 'ipv4', '10.0.0.1', 'epp', 1, 1);"
	    "INSERT INTO agents (id, agent_id, device_id, server_id, "
	    "first_contact_ms, last_contact_ms) VALUES (1, 'a1', 1, 1, 1, 1);"
	    "INSERT INTO epp_applications (device_id, product, state, "
	    "realtime_protection, agent_ref, updated_ms) VALUES "
	    "(1, 'p', 'running', 1, 1, 1);"
	    "INSERT INTO events (id, agent_ref, device_id, occurred_at_ms, "
	    "registered_at_ms, code, title, severity, technology) VALUES "
	    "(1, 1, 1, 1, 1, 4000005500, 't', 1, 'epp');"
	    "INSERT INTO events_fts (rowid, title) VALUES (1, 't');"
	    "INSERT INTO interactions (src_device_id, dst_device_id, "
	    "protocol, port, source, first_seen_ms, last_seen_ms) VALUES "
	    "(1, 1, 'tcp', 443, 'traffic', 1, 1);"
	    "INSERT INTO users (name, role, created_ms) VALUES "
	    "('u', 'operator', 1);"
	    "INSERT INTO connectors (id, name, address, port, transport, "
	    "format, created_ms) VALUES "
	    "(1, 'c', '127.0.0.1', 514, 'udp', 'cef', 1);");
}

/*
 * Sets c's column in the one row of its table to the SQL literal value
 * and returns the result code (the change is rolled back).
 */
static int
try_value(sqlite3 *db, const struct in_check *c, const char *value)
{
	char sql[256];
	int rc;

	(void)snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = %s",
	    c->table, c->column, value);
	exec_ok(db, "SAVEPOINT try");
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		CHECK_EQ(sqlite3_changes(db), 1);
	exec_ok(db, "ROLLBACK TO try; RELEASE try");
	return rc;
}

/* Every value of c's list is accepted; others are refused. */
static void
check_values(sqlite3 *db, const struct in_check *c)
{
	char bad[TOKEN_LEN + 8];

	for (size_t i = 0; i < c->nvalues; i++)
		CHECK_EQ(try_value(db, c, c->values[i]), SQLITE_OK);
	if (c->values[0][0] == '\'') {
		CHECK_EQ(try_value(db, c, "'no-such-value'"),
		    SQLITE_CONSTRAINT_CHECK);
		/* upper case: the comparison stays BINARY */
		(void)snprintf(bad, sizeof(bad), "upper(%s)", c->values[0]);
		CHECK_EQ(try_value(db, c, bad), SQLITE_CONSTRAINT_CHECK);
	} else {
		CHECK_EQ(try_value(db, c, "2"), SQLITE_CONSTRAINT_CHECK);
		CHECK_EQ(try_value(db, c, "-1"), SQLITE_CONSTRAINT_CHECK);
	}
}

/* The number of OpenEphemeral steps in the plan of an insert into devices. */
static int
devices_insert_ephemerals(sqlite3 *db)
{
	sqlite3_stmt *st;
	int n = 0;

	/* a read notices a changed schema version; EXPLAIN alone does not */
	CHECK(q_int_db(db, "SELECT COUNT(*) FROM devices") >= 0);
	CHECK(sqlite3_prepare_v2(db, "EXPLAIN INSERT INTO devices (status, "
	    "source, created_ms, last_seen_ms) VALUES ('authorized', 'epp', "
	    "1, 1)", -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		n += strcmp((const char *)sqlite3_column_text(st, 1),
		    "OpenEphemeral") == 0;
	(void)sqlite3_finalize(st);
	return n;
}

static size_t
checks_with_in(sqlite3 *db)
{
	size_t n = 0;

	each_table_check(db, count_in, &n);
	return n;
}

static void
test_migration_0009_on_filled_database(void)
{
	static struct in_check checks[MAX_CHECKS];
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	sqlite3 *db, *other;
	size_t n = 0;

	db = open_db(path);
	make_version(db, 8);
	fill(db);
	each_table_check(db, collect_in, checks);
	while (checks[n].table[0] != '\0')
		n++;
	/* the lists of 0001..0008, in 11 tables */
	CHECK_EQ(n, 24);
	for (size_t i = 0; i < n; i++)
		check_values(db, &checks[i]);
	/* a connection open across the migration must reload its schema */
	other = open_db(path);
	CHECK(devices_insert_ephemerals(other) > 0);

	migrate(path);

	CHECK_EQ(q_int_db(db, "PRAGMA user_version"), store_schema_version());
	CHECK_EQ(checks_with_in(db), 0);
	CHECK_EQ(devices_insert_ephemerals(other), 0);
	for (size_t i = 0; i < n; i++) {
		check_values(db, &checks[i]);
		check_values(other, &checks[i]);
	}
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM pragma_integrity_check "
	    "WHERE integrity_check <> 'ok'"), 0);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM pragma_foreign_key_check"),
	    0);
	/* the rows and the renderers' views are intact */
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM map_nodes"), 1);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM map_edges"), 1);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM event_log"), 1);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM agents a JOIN certificates "
	    "c ON c.server_id = a.server_id"), 1);
	(void)sqlite3_close(other);
	(void)sqlite3_close(db);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

static void
test_fresh_database_has_no_in_check(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	sqlite3 *db;

	migrate(path);
	db = open_db(path);
	CHECK_EQ(checks_with_in(db), 0);
	CHECK_EQ(devices_insert_ephemerals(db), 0);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM pragma_integrity_check "
	    "WHERE integrity_check <> 'ok'"), 0);
	(void)sqlite3_close(db);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	CHECK(in != NULL && out != NULL);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		CHECK(fwrite(buf, 1, n, out) == n);
	CHECK(fclose(in) == 0 && fclose(out) == 0);
}

/*
 * After store_open() returned r: migrated (no IN left) when it succeeded,
 * else each migration all or nothing: still version 8 with its IN lists,
 * or 0009 done and a later one not; the rows and the file whole.
 */
static void
check_all_or_none(const char *path, int r)
{
	sqlite3 *db = open_db(path);
	long long v = q_int_db(db, "PRAGMA user_version");

	CHECK(r == 0 ? v == store_schema_version() :
	    v >= 8 && v < store_schema_version());
	CHECK_EQ(checks_with_in(db), v >= 9 ? 0 : 24);
	CHECK_EQ(devices_insert_ephemerals(db), v >= 9 ? 0 : 2);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM pragma_integrity_check "
	    "WHERE integrity_check <> 'ok'"), 0);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM devices"), 1);
	(void)sqlite3_close(db);
}

/*
 * Migration 0009 with SQLite's Nth allocation failing, for every N until
 * it succeeds: all of it or none of it, never a damaged schema.
 */
static void
test_migration_0009_under_allocation_failures(void)
{
	char *dir = testutil_mkdtemp(), *tmpl = db_path(dir), *path;
	struct store *s = NULL;
	sqlite3 *db;
	long run, hits, failed = 0;
	int r;

	path = malloc(strlen(dir) + 16);
	CHECK(path != NULL);
	(void)sprintf(path, "%s/run.db", dir);
	sqlite_fault_install();
	db = open_db(tmpl);
	make_version(db, 8);
	fill(db);
	exec_ok(db, "PRAGMA journal_mode = DELETE");
	(void)sqlite3_close(db);
	for (run = 0; run < FAULT_MAX_RUNS; run += FAULT_STRIDE) {
		copy_file(tmpl, path);
		sqlite_fault_arm(run);
		r = store_open(path, NULL, 0, &s);
		hits = sqlite_fault_disarm();
		failed += hits;
		store_free(s);
		s = NULL;
		check_all_or_none(path, r);
		if (r == 0 && hits == 0)
			break;
	}
	CHECK(run < FAULT_MAX_RUNS && failed > 0);
	(void)fprintf(stderr, "migrated after %ld failed allocations\n",
	    failed);
	testutil_rmtree(dir);
	free(path);
	free(tmpl);
	free(dir);
}

/* An epp event of agent with event_id; store_event_insert()'s result. */
static int
event_of(struct store *s, int64_t agent, const char *event_id)
{
	struct store_event ev = {
		.event_id = event_id,
		.agent_ref = agent,
		.device_id = 1,
		.occurred_at_ms = 5,
		.registered_at_ms = 5,
		.code = 4000005500,
		.title = "t",
		.severity = 1,
		.technology = "epp",
	};

	return store_event_insert(s, &ev);
}

/* Each event's key is what the writer computes; NULL without an id. */
static void
check_event_keys(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rows = 0;

	CHECK(sqlite3_prepare_v2(db, "SELECT event_id, event_key FROM events",
	    -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (id == NULL)
			CHECK_EQ(sqlite3_column_type(st, 1), SQLITE_NULL);
		else
			CHECK(sqlite3_column_int64(st, 1) ==
			    store_event_key(id));
		rows++;
	}
	(void)sqlite3_finalize(st);
	CHECK(rows > 0);
}

static void
test_migration_0010_keys_existing_events(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	struct store *s = NULL;
	sqlite3 *db, *other;

	db = open_db(path);
	make_version(db, 9);
	fill(db);
	exec_ok(db,
	    "INSERT INTO agents (id, agent_id, device_id, server_id, "
	    "first_contact_ms, last_contact_ms) VALUES (2, 'a2', 1, 1, 1, 1);"
	    "INSERT INTO events (id, event_id, agent_ref, device_id, "
	    "occurred_at_ms, registered_at_ms, code, title, severity, "
	    "technology) VALUES "
	    "(2, 'e-1', 1, 1, 2, 2, 4000005500, 'one', 1, 'epp'),"
	    "(3, 'e-2', 1, 1, 3, 3, 4000005500, 'two', 1, 'epp'),"
	    "(4, 'e-1', 2, 1, 4, 4, 4000005500, 'three', 1, 'epp');"
	    "INSERT INTO events_fts (rowid, title) VALUES (2, 'one'), "
	    "(3, 'two'), (4, 'three');");
	/* a connection open across the migration must reload its schema */
	other = open_db(path);
	CHECK_EQ(q_int_db(other, "SELECT COUNT(*) FROM events"), 4);

	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	CHECK_EQ(q_int_db(db, "PRAGMA user_version"), store_schema_version());
	check_event_keys(db);
	check_event_keys(other);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = "
	    "'events_agent_event'"), 0);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = "
	    "'events_agent_key'"), 1);
	/* the events stored before are found again, per agent */
	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(event_of(s, 1, "e-1"), 0);
	CHECK_EQ(event_of(s, 1, "e-2"), 0);
	CHECK_EQ(event_of(s, 2, "e-1"), 0);
	CHECK_EQ(event_of(s, 2, "e-2"), 1);
	CHECK_EQ(event_of(s, 1, "e-3"), 1);
	CHECK_EQ(event_of(s, 1, "e-3"), 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(event_of(s, 1, "e-3"), 0);
	CHECK_EQ(event_of(s, 2, "e-2"), 0);
	CHECK_EQ(store_commit(s), 0);
	store_free(s);

	check_event_keys(db);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM events"), 6);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM event_log"), 6);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM events_fts WHERE events_fts "
	    "MATCH 'three'"), 1);
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM pragma_integrity_check "
	    "WHERE integrity_check <> 'ok'"), 0);
	(void)sqlite3_close(other);
	(void)sqlite3_close(db);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

/* n transactions of one event each from id, as the writer's batches add
   a segment each. */
static void
fts_batches(sqlite3 *db, int id, int n)
{
	char sql[512];

	for (int i = id; i < id + n; i++) {
		(void)snprintf(sql, sizeof(sql),
		    "BEGIN; INSERT INTO events (id, agent_ref, device_id, "
		    "occurred_at_ms, registered_at_ms, code, title, severity, "
		    "technology) VALUES (%d, 1, 1, 1, 1, 4000005500, "
		    "'word%d common', 1, 'epp'); INSERT INTO events_fts "
		    "(rowid, title) VALUES (%d, 'word%d common'); COMMIT",
		    i, i, i, i);
		exec_ok(db, sql);
	}
}

/* FTS5's automerge setting of the events' full-text index. */
static long long
fts_automerge(sqlite3 *db)
{
	return q_int_db(db, "SELECT v FROM events_fts_config "
	    "WHERE k = 'automerge'");
}

static void
test_migration_0011_fts_automerge(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	sqlite3 *db;

	migrate(path);
	db = open_db(path);
	CHECK_EQ(fts_automerge(db), 16);
	/* back to version 10 and its setting, with an index of segments:
	   one a transaction, as the writer's batches make them */
	exec_ok(db, "INSERT INTO events_fts (events_fts, rank) "
	    "VALUES ('automerge', 8); PRAGMA user_version = 10");
	CHECK_EQ(fts_automerge(db), 8);
	fill(db);
	fts_batches(db, 100, 40);

	migrate(path);
	CHECK_EQ(q_int_db(db, "PRAGMA user_version"), store_schema_version());
	CHECK_EQ(fts_automerge(db), 16);
	/* the index written before is whole and still found */
	exec_ok(db, "INSERT INTO events_fts (events_fts) "
	    "VALUES ('integrity-check')");
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM events_fts WHERE "
	    "events_fts MATCH 'common'"), 40);
	CHECK_EQ(q_int_db(db, "SELECT rowid FROM events_fts WHERE "
	    "events_fts MATCH 'word117'"), 117);
	(void)sqlite3_close(db);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

/* FTS5's crisismerge setting; FTS5's default (16) when none is set. */
static long long
fts_crisismerge(sqlite3 *db)
{
	return q_int_db(db, "SELECT coalesce((SELECT v FROM "
	    "events_fts_config WHERE k = 'crisismerge'), 16)");
}

/* Segments of the events' full-text index. */
static long long
fts_segments(sqlite3 *db)
{
	return q_int_db(db, "SELECT COUNT(DISTINCT segid) FROM events_fts_idx");
}

static void
test_migration_0012_fts_crisismerge(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	long long segments;
	sqlite3 *db;

	migrate(path);
	db = open_db(path);
	CHECK_EQ(fts_crisismerge(db), 64);
	CHECK_EQ(fts_automerge(db), 16);
	/* back to version 11 and FTS5's default, with segments */
	exec_ok(db, "DELETE FROM events_fts_config WHERE k = 'crisismerge'; "
	    "PRAGMA user_version = 11");
	CHECK_EQ(fts_crisismerge(db), 16);
	fill(db);
	fts_batches(db, 100, 40);

	migrate(path);
	CHECK_EQ(q_int_db(db, "PRAGMA user_version"), store_schema_version());
	CHECK_EQ(fts_crisismerge(db), 64);
	/*
	 * Merging goes on, step by step: 1,000 more segments of one event
	 * each would be 1,000 without it; FTS5 merges about a work unit (64
	 * pages) times the levels each time 64 pages were written, so the
	 * levels stay near 16 segments each.
	 */
	fts_batches(db, 1000, 1000);
	segments = fts_segments(db);
	CHECK(segments >= 1 && segments < 64);
	exec_ok(db, "INSERT INTO events_fts (events_fts) "
	    "VALUES ('integrity-check')");
	CHECK_EQ(q_int_db(db, "SELECT COUNT(*) FROM events_fts WHERE "
	    "events_fts MATCH 'common'"), 1040);
	CHECK_EQ(q_int_db(db, "SELECT rowid FROM events_fts WHERE "
	    "events_fts MATCH 'word117'"), 117);
	CHECK_EQ(q_int_db(db, "SELECT rowid FROM events_fts WHERE "
	    "events_fts MATCH 'word1999'"), 1999);
	(void)sqlite3_close(db);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

int
main(void)
{
	RUN(test_migration_0009_under_allocation_failures);
	RUN(test_migration_0009_on_filled_database);
	RUN(test_fresh_database_has_no_in_check);
	RUN(test_migration_0010_keys_existing_events);
	RUN(test_migration_0011_fts_automerge);
	RUN(test_migration_0012_fts_crisismerge);
	return 0;
}
