/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of a device's EPP applications (issue 17): the store's list
 * replacement, which reads the device's rows first and writes only the
 * applications that changed, stores on every step exactly what the plain
 * path stores (an upsert of every listed application, then a sweep of
 * the others), run here as SQL on a second real SQLite file; triggers
 * count the rows written in both. Then the same through the engine: a
 * changed list updates exactly its rows, an unchanged one writes none.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "store.h"
#include "testutil.h"

/* Both files: the store under test and the reference written by SQL. */
struct pair {
	char		*dir;
	char		path[2][512];
	struct store	*s;	/* on path[0] */
	sqlite3		*db[2];	/* plain connections to both */
	int64_t		device;
	int64_t		agent[2];
};

static const char *const count_writes =
    "CREATE TABLE app_writes (op TEXT NOT NULL);"
    "CREATE TRIGGER app_i AFTER INSERT ON epp_applications "
    "BEGIN INSERT INTO app_writes VALUES ('insert'); END;"
    "CREATE TRIGGER app_u AFTER UPDATE ON epp_applications "
    "BEGIN INSERT INTO app_writes VALUES ('update'); END;"
    "CREATE TRIGGER app_d AFTER DELETE ON epp_applications "
    "BEGIN INSERT INTO app_writes VALUES ('delete'); END;";

static void
pair_open(struct pair *p)
{
	struct store *s;
	int64_t dev, a0, a1;

	memset(p, 0, sizeof(*p));
	p->dir = testutil_mkdtemp();
	for (int i = 0; i < 2; i++) {
		(void)snprintf(p->path[i], sizeof(p->path[i]), "%s/%s.db",
		    p->dir, i == 0 ? "store" : "reference");
		CHECK_EQ(store_open(p->path[i], NULL, 0, &s), 0);
		CHECK_EQ(store_device_insert(s, STORE_SOURCE_EPP, 1, &dev), 0);
		CHECK_EQ(store_agent_insert(s, "agent-a", dev, 0, "1.0", NULL,
		    1, &a0), 0);
		CHECK_EQ(store_agent_insert(s, "agent-b", dev, 0, "1.0", NULL,
		    1, &a1), 0);
		p->device = dev;
		p->agent[0] = a0;
		p->agent[1] = a1;
		CHECK(sqlite3_open(p->path[i], &p->db[i]) == SQLITE_OK);
		CHECK(sqlite3_exec(p->db[i], count_writes, NULL, NULL,
		    NULL) == SQLITE_OK);
		if (i == 0)
			p->s = s;
		else
			store_free(s);
	}
}

static void
pair_close(struct pair *p)
{
	for (int i = 0; i < 2; i++)
		(void)sqlite3_close(p->db[i]);
	store_free(p->s);
	testutil_rmtree(p->dir);
	free(p->dir);
}

/* The plain path, as SQL on the reference file. */
static void
reference_replace(sqlite3 *db, int64_t device, int64_t agent,
    const struct store_application *apps, size_t n, int64_t now_ms)
{
	char json[4096] = "[";
	sqlite3_stmt *st;

	for (size_t i = 0; i < n; i++) {
		CHECK(sqlite3_prepare_v2(db,
		    "INSERT INTO epp_applications (device_id, product, "
		    "version, state, realtime_protection, bases_date_ms, "
		    "agent_ref, updated_ms) VALUES (?1, ?2, NULLIF(?3, ''), "
		    "?4, ?5, NULLIF(?6, 0), NULLIF(?7, 0), ?8) "
		    "ON CONFLICT (device_id, product) DO UPDATE SET "
		    "version = excluded.version, state = excluded.state, "
		    "realtime_protection = excluded.realtime_protection, "
		    "bases_date_ms = excluded.bases_date_ms, "
		    "agent_ref = excluded.agent_ref, "
		    "updated_ms = excluded.updated_ms "
		    "WHERE version IS NOT excluded.version "
		    "OR state IS NOT excluded.state OR realtime_protection "
		    "IS NOT excluded.realtime_protection "
		    "OR bases_date_ms IS NOT excluded.bases_date_ms "
		    "OR agent_ref IS NOT excluded.agent_ref", -1, &st,
		    NULL) == SQLITE_OK);
		(void)sqlite3_bind_int64(st, 1, device);
		(void)sqlite3_bind_text(st, 2, apps[i].product, -1, NULL);
		(void)sqlite3_bind_text(st, 3, apps[i].version, -1, NULL);
		(void)sqlite3_bind_text(st, 4, apps[i].state, -1, NULL);
		(void)sqlite3_bind_int(st, 5, apps[i].realtime_protection);
		(void)sqlite3_bind_int64(st, 6, apps[i].bases_date_ms);
		(void)sqlite3_bind_int64(st, 7, agent);
		(void)sqlite3_bind_int64(st, 8, now_ms);
		CHECK_EQ(sqlite3_step(st), SQLITE_DONE);
		(void)sqlite3_finalize(st);
		(void)snprintf(json + strlen(json), sizeof(json) -
		    strlen(json), "%s\"%s\"", i > 0 ? "," : "",
		    apps[i].product);
	}
	(void)snprintf(json + strlen(json), sizeof(json) - strlen(json), "]");
	CHECK(sqlite3_prepare_v2(db, "DELETE FROM epp_applications "
	    "WHERE device_id = ?1 AND product NOT IN "
	    "(SELECT value FROM json_each(?2))", -1, &st, NULL) == SQLITE_OK);
	(void)sqlite3_bind_int64(st, 1, device);
	(void)sqlite3_bind_text(st, 2, json, -1, NULL);
	CHECK_EQ(sqlite3_step(st), SQLITE_DONE);
	(void)sqlite3_finalize(st);
}

/* Every row of the table and the writes counted, as one text. */
static char *
dump(sqlite3 *db)
{
	sqlite3_stmt *st;
	char *text;

	CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT ifnull(group_concat("
	    "device_id || '|' || product || '|' || ifnull(version, 'NULL') "
	    "|| '|' || state || '|' || realtime_protection || '|' || "
	    "ifnull(bases_date_ms, 'NULL') || '|' || "
	    "ifnull(agent_ref, 'NULL') || '|' || updated_ms, ';'), '') "
	    "FROM (SELECT * FROM epp_applications ORDER BY device_id, "
	    "product)) || ' writes ' || (SELECT ifnull(group_concat(op, ','), "
	    "'') FROM app_writes)", -1, &st, NULL) == SQLITE_OK);
	CHECK_EQ(sqlite3_step(st), SQLITE_ROW);
	text = strdup((const char *)sqlite3_column_text(st, 0));
	CHECK(text != NULL);
	(void)sqlite3_finalize(st);
	return text;
}

/* Rows written since the last call in the store's file. */
static long long
writes(struct pair *p)
{
	sqlite3_stmt *st;
	long long n;

	CHECK(sqlite3_prepare_v2(p->db[0], "SELECT count(*) FROM app_writes",
	    -1, &st, NULL) == SQLITE_OK);
	CHECK_EQ(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	(void)sqlite3_finalize(st);
	for (int i = 0; i < 2; i++)
		CHECK(sqlite3_exec(p->db[i], "DELETE FROM app_writes", NULL,
		    NULL, NULL) == SQLITE_OK);
	return n;
}

/* One step on both files; aborts unless they hold the same. */
static long long
step(struct pair *p, int agent, const struct store_application *apps,
    size_t n, int64_t now_ms)
{
	int64_t ref = agent < 0 ? 0 : p->agent[agent];
	char *got, *want;

	CHECK_EQ(store_applications_replace(p->s, p->device, ref, apps, n,
	    now_ms), 0);
	reference_replace(p->db[1], p->device, ref, apps, n, now_ms);
	got = dump(p->db[0]);
	want = dump(p->db[1]);
	if (strcmp(got, want) != 0) {
		(void)fprintf(stderr, "at %lld:\n store     %s\n reference "
		    "%s\n", (long long)now_ms, got, want);
		CHECK(!"the store differs from the plain path");
	}
	free(got);
	free(want);
	return writes(p);
}

static void
test_same_as_plain_path(void)
{
	struct store_application l[3] = {
		{ "Endpoint Security", "12.1", "running", true, 1000 },
		{ "Network Agent", NULL, "stopped", false, 0 },
		{ "Patch Manager", "3", "failed", false, 5 },
	};
	struct pair p;

	pair_open(&p);
	CHECK_EQ(step(&p, 0, l, 2, 10), 2);		/* two inserts */
	CHECK_EQ(step(&p, 0, l, 2, 11), 0);		/* same list */
	l[0].bases_date_ms = 2000;
	CHECK_EQ(step(&p, 0, l, 2, 12), 1);		/* one row changed */
	CHECK_EQ(step(&p, 0, l, 2, 13), 0);
	CHECK_EQ(step(&p, 1, l, 2, 14), 2);		/* another agent */
	CHECK_EQ(step(&p, -1, l, 2, 15), 2);		/* no agent */
	CHECK_EQ(step(&p, -1, l, 2, 16), 0);
	l[1].version = "";				/* empty is none */
	l[0].realtime_protection = false;
	CHECK_EQ(step(&p, -1, l, 2, 17), 1);
	l[0].state = "stopped";
	l[0].version = "12.2";
	CHECK_EQ(step(&p, -1, l, 2, 18), 1);
	l[1].bases_date_ms = 7;
	CHECK_EQ(step(&p, -1, l, 2, 19), 1);
	l[1].bases_date_ms = 0;				/* back to none */
	CHECK_EQ(step(&p, -1, l, 2, 20), 1);
	CHECK_EQ(step(&p, 0, &l[1], 2, 21), 3);	/* in, out, agent */
	CHECK_EQ(step(&p, 0, &l[1], 2, 22), 0);
	CHECK_EQ(step(&p, 0, l, 3, 23), 1);		/* one back in */
	/* reordered: the same rows */
	{
		struct store_application r[3] = { l[2], l[0], l[1] };

		CHECK_EQ(step(&p, 0, r, 3, 24), 0);
	}
	/* one product twice: the later entry wins, and both write */
	{
		struct store_application d[2] = { l[2], l[2] };

		d[0].version = "2";
		CHECK_EQ(step(&p, 0, d, 2, 25), 4);	/* 2 updates, 2 out */
		CHECK_EQ(step(&p, 0, d, 2, 26), 2);
	}
	CHECK_EQ(step(&p, 0, NULL, 0, 27), 1);		/* none left */
	CHECK_EQ(step(&p, 0, NULL, 0, 28), 0);
	pair_close(&p);
}

/* The same step inside the writer's transaction and after its rollback. */
static void
test_transaction(void)
{
	struct store_application a = { "Endpoint Security", "12.1", "running",
		true, 1000 };
	struct pair p;

	pair_open(&p);
	CHECK_EQ(step(&p, 0, &a, 1, 10), 1);
	CHECK_EQ(store_begin(p.s), 0);
	a.version = "12.2";
	CHECK_EQ(store_applications_replace(p.s, p.device, p.agent[0], &a, 1,
	    11), 0);
	CHECK_EQ(store_rollback(p.s), 0);
	/* nothing of the rolled-back list remains to be skipped */
	CHECK_EQ(step(&p, 0, &a, 1, 12), 1);
	CHECK_EQ(step(&p, 0, &a, 1, 13), 0);
	pair_close(&p);
}

/* A report of one agent with host info and two applications. */
static rb_report *
apps_report(uint64_t seq, const char *version, long long bases)
{
	rb_report *r = rb_new("agent-apps", seq);

	(void)rb_host(r, "ENG-WS-015", "Windows 10 Enterprise", "10.0.19044",
	    "00:1a:2b:3c:4d:5e", "10.0.0.5");
	rb_app(r, "Endpoint Security", version);
	rb_app(r, "Network Agent", "14.0");
	r->applications[0]->bases_date_ms = bases;
	r->applications[1]->bases_date_ms = 5;
	return r;
}

static void
test_engine(void)
{
	struct fx f;
	rb_report *r;
	long long t0 = testutil_now_ms();

	fx_open(&f);
	r = apps_report(1, "12.1", 1000);
	CHECK_EQ(fx_apply_at(&f, r, t0), REPORT_STATUS_COMMITTED);
	rb_free(r);
	CHECK_EQ(q_int(&f, "SELECT count(*) FROM epp_applications"), 2);
	/* the same list later: no row written, updated_ms stays */
	r = apps_report(2, "12.1", 1000);
	CHECK_EQ(fx_apply_at(&f, r, t0 + 120000), REPORT_STATUS_COMMITTED);
	rb_free(r);
	CHECK_EQ(q_int(&f, "SELECT count(*) FROM epp_applications "
	    "WHERE updated_ms = " "(SELECT min(updated_ms) FROM "
	    "epp_applications)"), 2);
	/* one application changed: its row only */
	r = apps_report(3, "12.2", 2000);
	CHECK_EQ(fx_apply_at(&f, r, t0 + 240000), REPORT_STATUS_COMMITTED);
	rb_free(r);
	check_text(&f, "SELECT group_concat(product || ' ' || version || ' ' "
	    "|| ifnull(bases_date_ms, '-') || ' ' || (updated_ms - "
	    "(SELECT min(updated_ms) FROM epp_applications)), '; ') FROM "
	    "(SELECT * FROM epp_applications ORDER BY product)",
	    "Endpoint Security 12.2 2000 240000; Network Agent 14.0 5 0");
	fx_close(&f);
}

int
main(void)
{
	test_same_as_plain_path();
	test_transaction();
	test_engine();
	return 0;
}
