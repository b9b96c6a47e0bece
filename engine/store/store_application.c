/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of a device's EPP applications: the list an
 * agent reports replaces the device's rows, writing only what changed.
 *
 * The device's rows are read first, in one scan of its primary-key range,
 * and compared with the list: a listed application whose row holds the
 * same values is not written at all, and the sweep of rows that left the
 * list runs only when the scan saw one. What is stored is exactly what
 * the upsert of every listed application followed by the sweep stores
 * (tests/test-engine-apps.c compares both on every step). A product
 * listed twice is compared with its first entry only: when the row holds
 * that entry, its upsert would write nothing; when it holds other values,
 * the upsert would update it, as the UPDATE by primary key does; the
 * later entries are upserted in order as on the plain path.
 */
#include <errno.h>
#include <string.h>

#include "store-private.h"
#include "strbuf.h"

/* Longer lists (none pass report validation) take the plain path. */
#define APP_SCAN_MAX	32

/* The device's rows as the scan found them, against the list. */
struct app_scan {
	bool	found[APP_SCAN_MAX];	/* a row names a's product */
	bool	same[APP_SCAN_MAX];	/* that row holds a's values */
	bool	stale;		/* a row whose product left the list */
};

/* The entry of apps[0..n) naming product, or -1. */
static int
apps_find(const struct store_application *apps, size_t n,
    const char *product)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(apps[i].product, product) == 0)
			return (int)i;
	return -1;
}

/* Column i of st against value as store_bind_text() binds it. */
static bool
same_text(sqlite3_stmt *st, int i, const char *value)
{
	const char *col = (const char *)sqlite3_column_text(st, i);

	if (value == NULL || *value == '\0')
		return col == NULL;
	return col != NULL && strcmp(col, value) == 0;
}

/* Column i of st against v, bound as NULL when 0. */
static bool
same_int_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return v == 0;
	return v != 0 && sqlite3_column_int64(st, i) == v;
}

/* The current row of the scan against a (the upsert's WHERE, negated). */
static bool
app_row_same(sqlite3_stmt *st, const struct store_application *a,
    int64_t agent_ref)
{
	return same_text(st, 1, a->version) && same_text(st, 2, a->state) &&
	    sqlite3_column_type(st, 3) == SQLITE_INTEGER &&
	    sqlite3_column_int64(st, 3) == (a->realtime_protection ? 1 : 0) &&
	    same_int_or_null(st, 4, a->bases_date_ms) &&
	    same_int_or_null(st, 5, agent_ref);
}

/* Reads device_id's rows into *scan against apps[0..n). */
static int
apps_scan(struct store *s, int64_t device_id, int64_t agent_ref,
    const struct store_application *apps, size_t n, struct app_scan *scan)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APP_SCAN,
	    "SELECT product, version, state, realtime_protection, "
	    "bases_date_ms, agent_ref FROM epp_applications "
	    "WHERE device_id = ?1");
	int rc, i;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		i = apps_find(apps, n, (const char *)sqlite3_column_text(st,
		    0));
		if (i < 0)
			scan->stale = true;
		else {
			scan->found[i] = true;
			scan->same[i] = app_row_same(st, &apps[i], agent_ref);
		}
	}
	(void)sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_error(s, rc);
}

/*
 * Binds the application a of device_id (?1 device, ?2 product, ?3
 * version, ?4 state, ?5 realtime protection, ?6 bases date, ?7 agent,
 * ?8 now) to st, the upsert or the update, and runs it.
 */
static int
app_exec(struct store *s, sqlite3_stmt *st, int64_t device_id,
    int64_t agent_ref, const struct store_application *a, int64_t now_ms)
{
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, a->product, -1, SQLITE_STATIC);
	(void)store_bind_text(st, 3, a->version);
	(void)sqlite3_bind_text(st, 4, a->state, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 5, a->realtime_protection);
	if (a->bases_date_ms != 0)
		(void)sqlite3_bind_int64(st, 6, a->bases_date_ms);
	(void)store_bind_id(st, 7, agent_ref);
	(void)sqlite3_bind_int64(st, 8, now_ms);
	return store_exec_stmt(s, st);
}

/* Inserts or updates one application, writing only what changed. */
static int
app_upsert(struct store *s, int64_t device_id, int64_t agent_ref,
    const struct store_application *a, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APP_UPSERT,
	    "INSERT INTO epp_applications (device_id, product, version, "
	    "state, realtime_protection, bases_date_ms, agent_ref, "
	    "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	    "ON CONFLICT (device_id, product) DO UPDATE SET "
	    "version = excluded.version, state = excluded.state, "
	    "realtime_protection = excluded.realtime_protection, "
	    "bases_date_ms = excluded.bases_date_ms, "
	    "agent_ref = excluded.agent_ref, "
	    "updated_ms = excluded.updated_ms "
	    "WHERE version IS NOT excluded.version "
	    "OR state IS NOT excluded.state "
	    "OR realtime_protection IS NOT excluded.realtime_protection "
	    "OR bases_date_ms IS NOT excluded.bases_date_ms "
	    "OR agent_ref IS NOT excluded.agent_ref");

	if (st == NULL)
		return -EIO;
	return app_exec(s, st, device_id, agent_ref, a, now_ms);
}

/* Updates the row of an application that holds other values. */
static int
app_update(struct store *s, int64_t device_id, int64_t agent_ref,
    const struct store_application *a, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APP_UPDATE,
	    "UPDATE epp_applications SET version = ?3, state = ?4, "
	    "realtime_protection = ?5, bases_date_ms = ?6, agent_ref = ?7, "
	    "updated_ms = ?8 WHERE device_id = ?1 AND product = ?2");

	if (st == NULL)
		return -EIO;
	return app_exec(s, st, device_id, agent_ref, a, now_ms);
}

/* Deletes device_id's rows whose product is not in apps[0..n). */
static int
apps_sweep(struct store *s, int64_t device_id,
    const struct store_application *apps, size_t n)
{
	sqlite3_stmt *st;
	struct strbuf products;
	int r;

	strbuf_init(&products);
	(void)strbuf_append(&products, "[");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			(void)strbuf_append(&products, ",");
		(void)strbuf_json_string(&products, apps[i].product);
	}
	if ((r = strbuf_append(&products, "]")) < 0)
		goto out;
	st = store_stmt(s, STMT_APP_SWEEP,
	    "DELETE FROM epp_applications WHERE device_id = ?1 "
	    "AND product NOT IN (SELECT value FROM json_each(?2))");
	if (st == NULL) {
		r = -EIO;
		goto out;
	}
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, strbuf_str(&products), -1,
	    SQLITE_STATIC);
	r = store_exec_stmt(s, st);
out:
	strbuf_fini(&products);
	return r;
}

int
store_applications_replace(struct store *s, int64_t device_id,
    int64_t agent_ref, const struct store_application *apps, size_t n,
    int64_t now_ms)
{
	struct app_scan scan = { .stale = true };
	int r;

	if (n <= APP_SCAN_MAX) {
		scan.stale = false;
		if ((r = apps_scan(s, device_id, agent_ref, apps, n,
		    &scan)) < 0)
			return r;
	}
	for (size_t i = 0; i < n; i++) {
		if (i < APP_SCAN_MAX && scan.same[i])
			continue;
		/* a row found holds other values: the upsert would update */
		if (i < APP_SCAN_MAX && scan.found[i])
			r = app_update(s, device_id, agent_ref, &apps[i], now_ms);
		else
			r = app_upsert(s, device_id, agent_ref, &apps[i],
			    now_ms);
		if (r < 0)
			return r;
	}
	return scan.stale ? apps_sweep(s, device_id, apps, n) : 0;
}
