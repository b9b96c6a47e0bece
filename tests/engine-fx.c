/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the fixture of the engine tests (engine-fx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "testutil.h"

void
fx_open_cfg(struct fx *f, const struct engine_config *cfg)
{
	struct diag *d = diag_new();

	memset(f, 0, sizeof(*f));
	f->dir = testutil_mkdtemp();
	f->path = db_path(f->dir);
	CHECK(d != NULL);
	CHECK_EQ(event_types_load_default(d, &f->types), 0);
	diag_free(d);
	CHECK_EQ(engine_open(f->path, cfg, f->types, &f->e), 0);
	CHECK_EQ(sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
}

void
fx_open(struct fx *f)
{
	struct engine_config cfg;

	engine_config_init(&cfg);
	fx_open_cfg(f, &cfg);
}

void
fx_close(struct fx *f)
{
	(void)sqlite3_close(f->db);
	engine_free(f->e);
	event_types_free(f->types);
	testutil_rmtree(f->dir);
	free(f->dir);
	free(f->path);
}

/* Applies r alone at now_ms and returns its status. */
enum report_status
fx_apply_at(struct fx *f, rb_report *r, long long now_ms)
{
	struct engine_report er = { .report = r, .server_id = 0 };

	CHECK_EQ(engine_apply_batch(f->e, &er, 1, now_ms), 0);
	return er.status;
}

enum report_status
fx_apply(struct fx *f, rb_report *r)
{
	return fx_apply_at(f, r, testutil_now_ms());
}

char *
db_path(const char *dir)
{
	char *p = malloc(strlen(dir) + 16);

	CHECK(p != NULL);
	(void)sprintf(p, "%s/kics-epp.db", dir);
	return p;
}

void
exec_db(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		(void)fprintf(stderr, "%s: %s\n", sql, err);
		abort();
	}
}

long long
q_int_db(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		(void)fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		abort();
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	(void)sqlite3_finalize(st);
	return v;
}

long long
q_int_path(const char *path, const char *sql)
{
	sqlite3 *db;
	long long v;

	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	v = q_int_db(db, sql);
	(void)sqlite3_close(db);
	return v;
}

/* The first column of the first row of sql as an integer (-1: no row). */
long long
q_int(struct fx *f, const char *sql)
{
	return q_int_db(f->db, sql);
}

/* Like q_int for text; the caller frees the result (NULL: no row/NULL). */
char *
q_text(struct fx *f, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	CHECK(sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	(void)sqlite3_finalize(st);
	return v;
}

void
check_text(struct fx *f, const char *sql, const char *want)
{
	char *got = q_text(f, sql);

	if (got == NULL || strcmp(got, want) != 0) {
		(void)fprintf(stderr, "%s: got '%s', want '%s'\n", sql,
		    got != NULL ? got : "(null)", want);
		abort();
	}
	free(got);
}

long long
holder(struct fx *f, const char *value)
{
	char sql[160];

	(void)snprintf(sql, sizeof(sql), "SELECT device_id FROM addresses "
	    "WHERE value = '%s'", value);
	return q_int(f, sql);
}

void
count_device_updates(struct fx *f)
{
	sqlite3 *db = NULL;

	CHECK_EQ(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db, "CREATE TABLE t_updates (id INTEGER); "
	    "CREATE TRIGGER t_count AFTER UPDATE ON devices BEGIN "
	    "INSERT INTO t_updates VALUES (new.id); END", NULL, NULL, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_close(db), SQLITE_OK);
}

/* Sum of row counts of every table, to prove nothing changed. */
long long
all_rows(struct fx *f)
{
	return q_int(f, "SELECT (SELECT COUNT(*) FROM devices) + "
	    "(SELECT COUNT(*) FROM addresses) + "
	    "(SELECT COUNT(*) FROM device_attributes) + "
	    "(SELECT COUNT(*) FROM agents) + "
	    "(SELECT COUNT(*) FROM epp_applications) + "
	    "(SELECT COUNT(*) FROM events) + "
	    "(SELECT COUNT(*) FROM interactions) + "
	    "(SELECT COUNT(*) FROM events_fts)");
}

rb_report *
host_report(const char *agent, uint64_t seq, const char *mac, const char *ip)
{
	rb_report *r = rb_new(agent, seq);

	(void)rb_host(r, "ENG-WS-014", "Windows 10 Enterprise", "10.0.19044",
	    mac, ip);
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	return r;
}

void
apply_host(struct fx *f, const char *agent, uint64_t seq, const char *mac,
    const char *ip, long long at_ms)
{
	rb_report *r = host_report(agent, seq, mac, ip);

	CHECK_EQ(fx_apply_at(f, r, at_ms), REPORT_STATUS_COMMITTED);
	rb_free(r);
}


void
fx_commit(struct engine *e, rb_report *r, long long now_ms)
{
	struct engine_report er = { .report = r, .server_id = 0 };

	CHECK_EQ(engine_apply_batch(e, &er, 1, now_ms), 0);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	rb_free(r);
}

void
fx_fill_dir(const char *dir, fx_fill_fn *fill)
{
	struct engine_config cfg;
	struct event_types *types = NULL;
	struct diag *d = diag_new();
	struct engine *e = NULL;
	char path[4096];

	CHECK(d != NULL);
	CHECK_EQ(event_types_load_default(d, &types), 0);
	engine_config_init(&cfg);
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", dir);
	CHECK_EQ(engine_open(path, &cfg, types, &e), 0);
	fill(e, testutil_now_ms());
	engine_free(e);
	event_types_free(types);
	diag_free(d);
}

void
fx_fail_port_9999(struct fx *f)
{
	sqlite3 *db;

	CHECK(sqlite3_open(f->path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TRIGGER fail_9999 BEFORE INSERT ON "
	    "interactions WHEN NEW.port = 9999 BEGIN SELECT RAISE(ABORT, "
	    "'port 9999'); END", NULL, NULL, NULL) == SQLITE_OK);
	(void)sqlite3_close(db);
}

enum report_status
fx_connect(struct fx *f, const char *agent, uint64_t seq, const char *ip,
    const char *mac, int port, long long at)
{
	rb_report *r = rb_new(agent, seq);
	enum report_status st;

	(void)rb_conn(r, TCP, OUT, ip, mac, (uint32_t)port, 3, 2);
	st = fx_apply_at(f, r, at);
	rb_free(r);
	return st;
}
