/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of libkicsquery on a database filled through the engine. With
 * "--fill DIR" it only writes that fixture database to DIR/kics-epp.db,
 * for test-kics-query.sh.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "engine.h"
#include "query.h"
#include "query-fx.h"
#include "testutil.h"

#define CRIT KICS__EPP__V1__EPP_EVENT__SEVERITY__CRITICAL

/*
 * The fixture: ENG-WS-01 (agent connected, a critical modbus event, two
 * peers) and SCADA-SRV (agent silent for an hour: disconnected).
 */
static void
fill(struct engine *e, long long now)
{
	rb_report *r;
	Kics__Epp__V1__EppEvent *ev;

	r = rb_new("agent-scada", 1);
	(void)rb_host(r, "SCADA-SRV", "Windows Server 2019", "1809",
	    "02:00:00:00:00:02", "10.0.0.2");
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	(void)rb_event(r, "s1", "scan_completed", "Scan of drive D: done");
	fx_commit(e, r, now - 3600000);

	r = rb_new("agent-eng", 1);
	(void)rb_host(r, "ENG-WS-01", "Windows 10 Enterprise", "10.0.19045",
	    "02:00:00:00:00:01", "10.0.0.1");
	rb_iface(r, "eth1", "02:00:00:00:01:01", "2001:db8::1");
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	ev = rb_event(r, "e1", "network_attack", "Modbus write to PLC, "
	    "register 40001 \"quoted\"");
	ev->severity = CRIT;
	(void)rb_event(r, "e2", "firewall_blocked", "Blocked SMB from "
	    "10.0.0.60");
	(void)rb_conn(r, TCP, OUT, "10.0.0.50", NULL, 502, 10, 9);
	(void)rb_conn(r, UDP, IN, "10.0.0.60", NULL, 161, 4, 4);
	(void)rb_conn(r, TCP, OUT, "10.0.0.2", "02:00:00:00:00:02", 445, 3,
	    3);
	fx_commit(e, r, now);
}

static struct query_table *
collect_devices(struct query_fx *f, const char *epp, const char *status)
{
	struct query_devices_opts o = { .epp = epp, .status = status };
	struct query_table *t = query_table_new();

	CHECK(t != NULL);
	CHECK_EQ(query_devices(f->db, &o, query_table_add_row, t), 0);
	return t;
}

static size_t
count_commas(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == ',';
	return n;
}

static const char *
cell(const struct query_table *t, size_t row, const char *col)
{
	int c = query_table_column(t, col);

	CHECK(c >= 0);
	CHECK(row < t->nrows);
	return query_table_cell(t, row, (size_t)c)->text;
}

/* Row index whose column col equals v, or -1. */
static int
find_row(const struct query_table *t, const char *col, const char *v)
{
	for (size_t i = 0; i < t->nrows; i++) {
		const char *x = cell(t, i, col);

		if (x != NULL && strcmp(x, v) == 0)
			return (int)i;
	}
	return -1;
}

static void
test_open_errors(void)
{
	char err[QUERY_ERRMSG_LEN], *dir = testutil_mkdtemp(), path[4096];
	struct query_db *db = NULL;
	sqlite3 *w;

	CHECK_EQ(query_db_open("/nonexistent/kics", err, sizeof(err), &db),
	    -ENOENT);
	CHECK(strstr(err, "/nonexistent/kics") != NULL);
	CHECK_EQ(query_db_open(dir, err, sizeof(err), &db), -ENOENT);
	CHECK(strstr(err, "kics-epp.db") != NULL);
	CHECK(db == NULL);
	/* Never created by a reader. */
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", dir);
	CHECK(access(path, F_OK) != 0);
	/* A newer schema is refused. */
	fx_fill_dir(dir, fill);
	CHECK(sqlite3_open(path, &w) == SQLITE_OK);
	CHECK(sqlite3_exec(w, "PRAGMA user_version = 999", NULL, NULL,
	    NULL) == SQLITE_OK);
	(void)sqlite3_close(w);
	CHECK_EQ(query_db_open(dir, err, sizeof(err), &db), -EPROTO);
	CHECK(strstr(err, "999") != NULL && strstr(err, "newer") != NULL);
	/* An older one too: only the daemon migrates, a reader says so. */
	CHECK(sqlite3_open(path, &w) == SQLITE_OK);
	CHECK(sqlite3_exec(w, "PRAGMA user_version = 1", NULL, NULL,
	    NULL) == SQLITE_OK);
	(void)sqlite3_close(w);
	CHECK_EQ(query_db_open(dir, err, sizeof(err), &db), -EPROTO);
	CHECK(strstr(err, "older") != NULL &&
	    strstr(err, "start kics-epp-proxy") != NULL);
	CHECK(db == NULL);
	testutil_rmtree(dir);
	free(dir);
}

static void
test_devices(void)
{
	struct query_fx f;
	struct query_table *t;
	int eng, scada;

	query_fx_open(&f, fill);
	t = collect_devices(&f, NULL, NULL);
	CHECK_EQ(t->nrows, 4);	/* two agents' hosts and two new peers */
	CHECK_EQ(t->ncols, 12);
	eng = find_row(t, "name", "ENG-WS-01");
	scada = find_row(t, "name", "SCADA-SRV");
	CHECK(eng >= 0 && scada >= 0);
	CHECK(strcmp(cell(t, (size_t)eng, "epp_icon"), "connected") == 0);
	CHECK(strcmp(cell(t, (size_t)eng, "security_state"), "critical") ==
	    0);
	CHECK(strcmp(cell(t, (size_t)eng, "ip"), "10.0.0.1") == 0);
	CHECK(strcmp(cell(t, (size_t)scada, "epp_icon"), "disconnected") ==
	    0);
	query_table_free(t);
	t = collect_devices(&f, "none", NULL);
	CHECK_EQ(t->nrows, 2);
	query_table_free(t);
	t = collect_devices(&f, "disconnected", "unauthorized");
	CHECK_EQ(t->nrows, 1);
	query_table_free(t);
	{
		struct query_devices_opts o = { .epp = "bogus" };
		char *json = NULL;

		CHECK_EQ(query_devices_json(f.db, &o, &json), -EINVAL);
		CHECK(json == NULL);
		CHECK(strstr(query_db_errmsg(f.db), "bogus") != NULL);
		o.epp = NULL;
		o.limit = 1;
		CHECK_EQ(query_devices_json(f.db, &o, &json), 0);
		CHECK(json[0] == '[' && strstr(json, "\"device_id\":1,") !=
		    NULL && strstr(json, "\"device_id\":2") == NULL);
		free(json);
	}
	query_fx_close(&f);
}

static void
find(struct query_fx *f, const char *q, struct query_table **ret)
{
	struct query_table *t = query_table_new();

	CHECK(t != NULL);
	CHECK_EQ(query_device_find(f->db, q, 0, query_table_add_row, t), 0);
	*ret = t;
}

static void
test_find(void)
{
	static const char *const same_mac[] = { "02:00:00:00:00:01",
	    "02-00-00-00-00-01", "0200.0000.0001", "02:00:00:00:00:01" };
	struct query_fx f;
	struct query_table *t;
	char buf[64];

	query_fx_open(&f, fill);
	for (size_t i = 0; i < 4; i++) {
		find(&f, same_mac[i], &t);
		CHECK_EQ(t->nrows, 1);
		CHECK(strcmp(cell(t, 0, "name"), "ENG-WS-01") == 0);
		CHECK(strcmp(cell(t, 0, "_match"), "address") == 0);
		query_table_free(t);
	}
	find(&f, "2001:DB8:0:0::1", &t);
	CHECK_EQ(t->nrows, 1);
	CHECK(strcmp(cell(t, 0, "name"), "ENG-WS-01") == 0);
	query_table_free(t);
	/* exact 10.0.0.2 first, nothing else starts with "10.0.0.2" */
	find(&f, "10.0.0.2", &t);
	CHECK(t->nrows >= 1);
	CHECK(strcmp(cell(t, 0, "name"), "SCADA-SRV") == 0);
	query_table_free(t);
	/* host name prefix, any case, ranks above free text */
	find(&f, "eng-ws", &t);
	CHECK_EQ(t->nrows, 1);
	CHECK(strcmp(cell(t, 0, "_match"), "host name prefix") == 0);
	query_table_free(t);
	find(&f, "scada-srv", &t);
	CHECK(strcmp(cell(t, 0, "_match"), "host name") == 0);
	query_table_free(t);
	find(&f, "server 2019", &t);
	CHECK_EQ(t->nrows, 1);
	CHECK(strcmp(cell(t, 0, "_match"), "text") == 0);
	query_table_free(t);
	find(&f, "no-such-thing", &t);
	CHECK_EQ(t->nrows, 0);
	query_table_free(t);
	t = query_table_new();
	CHECK_EQ(query_device_find(f.db, "10.0.0.300", 0, query_table_add_row,
	    t), -EINVAL);
	CHECK(strstr(query_db_errmsg(f.db), "10.0.0.300") != NULL);
	CHECK_EQ(query_device_find(f.db, "aa:bb:cc:dd:ee", 0,
	    query_table_add_row, t), -EINVAL);
	query_table_free(t);
	CHECK_EQ(query_address_classify("::ffff:10.0.0.1", buf, sizeof(buf)),
	    1);
	CHECK(strcmp(buf, "10.0.0.1") == 0);
	CHECK_EQ(query_address_classify("plc-7", buf, sizeof(buf)), 0);
	CHECK_EQ(query_address_classify("1.2.3", buf, sizeof(buf)), 0);
	query_fx_close(&f);
}

static void
test_resolve_show(void)
{
	struct query_fx f;
	struct query_table *t;
	int64_t id, id2;
	char *json = NULL;

	query_fx_open(&f, fill);
	CHECK_EQ(query_device_resolve(f.db, "10.0.0.1", &id), 0);
	CHECK_EQ(query_device_resolve(f.db, "0200.0000.0001", &id2), 0);
	CHECK_EQ(id, id2);
	CHECK_EQ(query_device_resolve(f.db, "eng-ws-01", &id2), 0);
	CHECK_EQ(id, id2);
	CHECK_EQ(query_device_resolve(f.db, "9999", &id2), -ENOENT);
	CHECK_EQ(query_device_resolve(f.db, "10.0.0.300", &id2), -EINVAL);
	CHECK_EQ(query_device_show(f.db, 9999, &json), -ENOENT);
	CHECK_EQ(query_device_show(f.db, id, &json), 0);
	t = query_table_new();
	CHECK_EQ(query_json_rows(f.db, json, "$.peers", query_table_add_row,
	    t), 0);
	CHECK_EQ(t->nrows, 3);
	CHECK(find_row(t, "port", "502") >= 0);
	CHECK(strcmp(cell(t, (size_t)find_row(t, "port", "49152"),
	    "direction"), "inbound") == 0);
	CHECK(strcmp(cell(t, (size_t)find_row(t, "port", "445"),
	    "peer_name"), "SCADA-SRV") == 0);
	query_table_free(t);
	t = query_table_new();
	CHECK_EQ(query_json_rows(f.db, json, "$.agent", query_table_add_row,
	    t), 0);
	CHECK_EQ(t->nrows, 1);
	CHECK(strcmp(cell(t, 0, "state"), "connected") == 0);
	CHECK(strcmp(cell(t, 0, "agent_id"), "agent-eng") == 0);
	query_table_free(t);
	t = query_table_new();
	CHECK_EQ(query_json_rows(f.db, json, "$.addresses",
	    query_table_add_row, t), 0);
	CHECK(find_row(t, "value", "2001:db8::1") >= 0);
	CHECK(find_row(t, "value", "02:00:00:00:01:01") >= 0);
	query_table_free(t);
	t = query_table_new();
	CHECK_EQ(query_json_rows(f.db, json, "$.attributes",
	    query_table_add_row, t), 0);
	CHECK(strcmp(cell(t, (size_t)find_row(t, "name", "hostname"),
	    "source"), "epp") == 0);
	query_table_free(t);
	t = query_table_new();
	CHECK_EQ(query_json_rows(f.db, json, "$.events", query_table_add_row,
	    t), 0);
	CHECK(t->nrows >= 2 && t->nrows <= QUERY_SHOW_EVENTS);
	CHECK(find_row(t, "severity", "critical") >= 0);
	query_table_free(t);
	free(json);
	query_fx_close(&f);
}

static size_t
count_events(struct query_fx *f, const struct query_events_opts *o, int want_r)
{
	struct query_table *t = query_table_new();
	size_t n;

	CHECK(t != NULL);
	CHECK_EQ(query_events(f->db, o, query_table_add_row, t), want_r);
	n = t->nrows;
	query_table_free(t);
	return n;
}

static void
test_events(void)
{
	struct query_events_opts o;
	struct query_table *t;
	struct query_fx f;
	size_t all;
	char *json = NULL;

	query_fx_open(&f, fill);
	query_events_opts_init(&o);
	all = count_events(&f, &o, 0);
	CHECK(all >= 4);	/* 3 EPP events plus the engine's own */
	o.min_severity = 3;
	CHECK_EQ(count_events(&f, &o, 0), 1);
	o.min_severity = 0;
	o.code = 4000005500;
	CHECK_EQ(count_events(&f, &o, 0), 1);
	o.code = 0;
	o.search = "modbus";
	t = query_table_new();
	CHECK_EQ(query_events(f.db, &o, query_table_add_row, t), 0);
	CHECK_EQ(t->nrows, 1);
	CHECK(strstr(cell(t, 0, "_snippet"), "\001Modbus\002") != NULL);
	CHECK(strcmp(cell(t, 0, "severity"), "critical") == 0);
	query_table_free(t);
	o.search = "modbus AND";
	CHECK_EQ(count_events(&f, &o, -EINVAL), 0);
	CHECK(strstr(query_db_errmsg(f.db), "invalid search") != NULL);
	CHECK(strstr(query_db_errmsg(f.db), "fts5") == NULL);
	/* not a column: the word is quoted, no error (issue 12) */
	o.search = "nosuchcol:x";
	CHECK_EQ(query_events_json(f.db, &o, &json), 0);
	CHECK(strcmp(json, "[]") == 0);
	free(json);
	/* punctuation needs no quotes: an address in a description */
	o.search = "10.0.0.60";
	CHECK(count_events(&f, &o, 0) >= 1);
	o.search = "NOT modbus";
	CHECK_EQ(count_events(&f, &o, -EINVAL), 0);
	CHECK(strstr(query_db_errmsg(f.db), "at 'NOT'") != NULL);
	CHECK(strstr(query_db_errmsg(f.db), "--search '\"NOT\" modbus'") !=
	    NULL);
	o.search = NULL;
	o.since_ms = testutil_now_ms() + 3600000;
	CHECK_EQ(count_events(&f, &o, 0), 0);
	o.since_ms = QUERY_TIME_NONE;
	o.until_ms = testutil_now_ms() - 1800000;	/* SCADA's only */
	CHECK(count_events(&f, &o, 0) >= 1 && count_events(&f, &o, 0) < all);
	o.until_ms = QUERY_TIME_NONE;
	o.limit = 2;
	CHECK_EQ(query_events_json(f.db, &o, &json), 0);
	CHECK(strstr(json, "\"tags\":[]") != NULL);
	free(json);
	CHECK_EQ(count_events(&f, &o, 0), 2);
	query_fx_close(&f);
}

/* The one order of event lists (issue 12): occurred DESC, id DESC. */
static void
test_events_order(void)
{
	struct query_events_opts o;
	struct query_table *t = query_table_new(), *r = query_table_new();
	struct query_fx f;
	int64_t last;

	CHECK(t != NULL && r != NULL);
	query_fx_open(&f, fill);
	query_events_opts_init(&o);
	o.limit = 0;
	CHECK_EQ(query_events(f.db, &o, query_table_add_row, t), 0);
	CHECK(t->nrows >= 4);
	for (size_t i = 1; i < t->nrows; i++) {
		long long a = atoll(cell(t, i - 1, "occurred_at_ms"));
		long long b = atoll(cell(t, i, "occurred_at_ms"));

		CHECK(a > b || (a == b && atoll(cell(t, i - 1, "event_id")) >
		    atoll(cell(t, i, "event_id"))));
	}
	/* device name and IP ride along for the table */
	CHECK(cell(t, 0, "_device_name") != NULL);
	o.reverse = true;
	CHECK_EQ(query_events(f.db, &o, query_table_add_row, r), 0);
	CHECK_EQ(r->nrows, t->nrows);
	for (size_t i = 0; i < t->nrows; i++)
		CHECK(strcmp(cell(t, i, "event_id"),
		    cell(r, t->nrows - 1 - i, "event_id")) == 0);
	query_table_free(r);
	/* --limit keeps the first rows of the order */
	r = query_table_new();
	o.reverse = false;
	o.limit = 2;
	CHECK_EQ(query_events(f.db, &o, query_table_add_row, r), 0);
	CHECK_EQ(r->nrows, 2);
	CHECK(strcmp(cell(r, 1, "event_id"), cell(t, 1, "event_id")) == 0);
	query_table_free(r);
	/* follow: by id, after and up to, the last n */
	r = query_table_new();
	CHECK_EQ(query_events_last_id(f.db, &last), 0);
	CHECK_EQ((size_t)last, t->nrows);
	CHECK_EQ(query_events_after(f.db, &o, 0, last, 2, false,
	    query_table_add_row, r), 0);
	CHECK_EQ(r->nrows, 2);
	CHECK_EQ(atoll(cell(r, 0, "event_id")), last - 1);
	CHECK_EQ(atoll(cell(r, 1, "event_id")), last);
	query_table_free(r);
	r = query_table_new();
	CHECK_EQ(query_events_after(f.db, &o, last - 3, last - 1, 0, true,
	    query_table_add_row, r), 0);
	CHECK_EQ(r->nrows, 2);
	CHECK(strncmp(cell(r, 0, "json"), "{\"event_id\":", 12) == 0);
	query_table_free(r);
	query_table_free(t);
	query_fx_close(&f);
}

/* Device ids holding an address in cidr, by addr_cidr_contains(). */
static void
expected_subnet(struct query_fx *f, const char *cidr, char *ids, size_t len)
{
	char path[4096];
	struct addr_cidr c;
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t last = -1;
	size_t n = 0;

	ids[0] = '\0';
	CHECK_EQ(addr_cidr_parse(cidr, &c), 0);
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", f->dir);
	CHECK_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(db, "SELECT device_id, value FROM "
	    "addresses WHERE kind <> 'mac' ORDER BY device_id", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct addr_ip ip;
		int64_t id = sqlite3_column_int64(st, 0);

		CHECK_EQ(addr_ip_parse((const char *)sqlite3_column_text(st, 1),
		    &ip), 0);
		if (id != last && addr_cidr_contains(&c, &ip)) {
			n += (size_t)snprintf(ids + n, len - n, "%lld,",
			    (long long)id);
			last = id;
		}
	}
	(void)sqlite3_finalize(st);
	(void)sqlite3_close(db);
}

/* devices --subnet and device find CIDR against addr_cidr_contains(). */
static void
test_subnet(void)
{
	static const char *const nets[] = { "10.0.0.0/24", "10.0.0.0/30",
	    "10.0.0.48/28", "10.0.0.50/31", "10.0.0.60/32", "10.0.0.64/26",
	    "10.0.0.0/25", "8.0.0.0/5", "0.0.0.0/0", "11.0.0.0/8",
	    "10.0.0.0/8", "10.0.0.0/12", "10.0.0.0/20", "10.0.0.0/31",
	    "2001:db8::/32", "2001:db8::/127", "2001:db8::2/127", "::/0",
	    "2000::/3", "::ffff:10.0.0.0/120", "fe80::/10", "10.0.0.1" };
	struct query_fx f;
	char want[256], got[256];

	query_fx_open(&f, fill);
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct query_devices_opts o = { .subnet = nets[i] };
		struct query_table *t = query_table_new();
		size_t n = 0;

		CHECK(t != NULL);
		expected_subnet(&f, nets[i], want, sizeof(want));
		CHECK_EQ(query_devices(f.db, &o, query_table_add_row, t), 0);
		got[0] = '\0';
		for (size_t r = 0; r < t->nrows; r++)
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s,",
			    cell(t, r, "device_id"));
		if (strcmp(got, want) != 0)
			(void)fprintf(stderr, "%s: got %s want %s\n", nets[i],
			    got, want);
		CHECK(strcmp(got, want) == 0);
		query_table_free(t);
		if (strchr(nets[i], '/') == NULL)
			continue;
		t = query_table_new();
		CHECK_EQ(query_device_find(f.db, nets[i], 0,
		    query_table_add_row, t), 0);
		CHECK_EQ(t->nrows, (size_t)(strchr(want, ',') != NULL ?
		    count_commas(want) : 0));
		if (t->nrows > 0)
			CHECK(strcmp(cell(t, 0, "_match"), "subnet") == 0);
		query_table_free(t);
	}
	{
		struct query_devices_opts o = { .subnet = "10.0.0.1/24" };
		char *sql = NULL;

		CHECK_EQ(query_devices(f.db, &o, query_table_add_row, NULL),
		    -EINVAL);
		CHECK(strstr(query_db_errmsg(f.db), "did you mean "
		    "10.0.0.0/24?") != NULL);
		o.subnet = "10.0.0.0/24";
		CHECK_EQ(query_devices_sql(f.db, &o, &sql), 0);
		CHECK(strstr(sql, "value >= '10.0.0.' AND value < '10.0.0/'") !=
		    NULL);
		free(sql);
	}
	query_fx_close(&f);
}

/* devices --category, --security and --since. */
static void
test_device_filters(void)
{
	struct query_devices_opts o = { .category = "SERVER" };
	struct query_table *t = query_table_new();
	struct query_fx f;

	query_fx_open(&f, fill);
	CHECK_EQ(query_devices(f.db, &o, query_table_add_row, t), 0);
	CHECK_EQ(t->nrows, 1);
	CHECK(strcmp(cell(t, 0, "name"), "SCADA-SRV") == 0);
	query_table_free(t);
	t = query_table_new();
	o.category = NULL;
	o.security = "critical";
	CHECK_EQ(query_devices(f.db, &o, query_table_add_row, t), 0);
	CHECK_EQ(t->nrows, 1);
	CHECK(strcmp(cell(t, 0, "name"), "ENG-WS-01") == 0);
	query_table_free(t);
	o.security = "high";
	CHECK_EQ(query_devices(f.db, &o, query_table_add_row, NULL), -EINVAL);
	o.security = NULL;
	t = query_table_new();
	o.since_ms = testutil_now_ms() + 3600000;
	CHECK_EQ(query_devices(f.db, &o, query_table_add_row, t), 0);
	CHECK_EQ(t->nrows, 0);
	o.since_ms = testutil_now_ms() - 86400000;
	CHECK_EQ(query_devices(f.db, &o, query_table_add_row, t), 0);
	CHECK_EQ(t->nrows, 4);
	query_table_free(t);
	query_fx_close(&f);
}

static void
test_time(void)
{
	int64_t ms, now = 1700000000000;

	CHECK_EQ(query_time_parse("24h", now, &ms), 0);
	CHECK_EQ(ms, now - 86400000);
	CHECK_EQ(query_time_parse("7d", now, &ms), 0);
	CHECK_EQ(ms, now - 7 * 86400000LL);
	CHECK_EQ(query_time_parse("30m", now, &ms), 0);
	CHECK_EQ(ms, now - 1800000);
	CHECK_EQ(query_time_parse("now", now, &ms), 0);
	CHECK_EQ(ms, now);
	CHECK_EQ(query_time_parse("2023-11-14T22:13:20Z", now, &ms), 0);
	CHECK_EQ(ms, 1700000000000);
	CHECK_EQ(query_time_parse("2023-11-15T00:13:20+02:00", now, &ms), 0);
	CHECK_EQ(ms, 1700000000000);
	CHECK_EQ(query_time_parse("2023-11-14", now, &ms), 0);
	CHECK_EQ(query_time_parse("2023-11-14 10:00", now, &ms), 0);
	ms = 42;
	CHECK_EQ(query_time_parse("2023-02-29", now, &ms), -EINVAL);
	CHECK_EQ(query_time_parse("2023-13-01", now, &ms), -EINVAL);
	CHECK_EQ(query_time_parse("24x", now, &ms), -EINVAL);
	CHECK_EQ(query_time_parse("h", now, &ms), -EINVAL);
	CHECK_EQ(query_time_parse("2023-11-14T25:00", now, &ms), -EINVAL);
	CHECK_EQ(query_time_parse("yesterday", now, &ms), -EINVAL);
	CHECK_EQ(ms, 42);
}

static void
test_map_status(void)
{
	struct query_fx f;
	struct query_table *t = query_table_new();
	char *json = NULL;
	FILE *out;
	char *buf = NULL;
	size_t len = 0;

	query_fx_open(&f, fill);
	CHECK_EQ(query_map_edges(f.db, query_table_add_row, t), 0);
	CHECK_EQ(t->nrows, 3);
	CHECK(find_row(t, "protocol", "udp") >= 0);
	CHECK(strcmp(cell(t, 0, "source"), "epp") == 0);
	query_table_free(t);
	CHECK_EQ(query_map_export_json(f.db, &json), 0);
	CHECK(strncmp(json, "{\"nodes\":[{", 11) == 0);
	CHECK(strstr(json, "\"edges\":[{\"src_device_id\"") != NULL);
	free(json);
	CHECK((out = open_memstream(&buf, &len)) != NULL);
	CHECK_EQ(query_map_export_dot(f.db, out), 0);
	(void)fclose(out);
	CHECK(strstr(buf, "digraph") != NULL);
	CHECK(strstr(buf, "label=\"tcp/502\", style=dashed") != NULL);
	CHECK(strstr(buf, "EPP: connected") != NULL);
	CHECK(strstr(buf, "EPP: disconnected") != NULL);
	CHECK(strstr(buf, "security: critical") != NULL);
	free(buf);
	CHECK_EQ(query_status_json(f.db, NULL, &json), 0);
	CHECK(strstr(json, "\"agents_connected\":1,") != NULL);
	free(json);
	CHECK_EQ(query_status_json(f.db, "{\"states\":{}}", &json), 0);
	CHECK(strstr(json, "\"devices\":4,") != NULL);
	CHECK(strstr(json, "\"max_agents\":1000") != NULL);
	free(json);
	query_fx_close(&f);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--fill") == 0) {
		fx_fill_dir(argv[2], fill);
		return 0;
	}
	RUN(test_open_errors);
	RUN(test_devices);
	RUN(test_find);
	RUN(test_resolve_show);
	RUN(test_events);
	RUN(test_events_order);
	RUN(test_subnet);
	RUN(test_device_filters);
	RUN(test_time);
	RUN(test_map_status);
	return 0;
}
