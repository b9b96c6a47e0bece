/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the engine rules (DESIGN.md "Engine rules") on a real SQLite
 * file in a temporary directory, read back through the public views.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "rules.h"
#include "report-build.h"
#include "testutil.h"

#define TCP KICS__EPP__V1__CONNECTION__PROTOCOL__TCP
#define UDP KICS__EPP__V1__CONNECTION__PROTOCOL__UDP
#define OUT KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND
#define IN KICS__EPP__V1__CONNECTION__DIRECTION__INBOUND

struct fx {
	char			*dir;
	char			*path;
	struct event_types	*types;
	struct engine		*e;
	sqlite3			*db;	/* a reader, as renderers would be */
};

static void
fx_open_cfg(struct fx *f, const struct engine_config *cfg)
{
	struct diag *d = diag_new();

	memset(f, 0, sizeof(*f));
	f->dir = testutil_mkdtemp();
	CHECK((f->path = malloc(strlen(f->dir) + 16)) != NULL);
	(void)sprintf(f->path, "%s/kics-epp.db", f->dir);
	CHECK(d != NULL);
	CHECK_EQ(event_types_load_default(d, &f->types), 0);
	diag_free(d);
	CHECK_EQ(engine_open(f->path, cfg, f->types, &f->e), 0);
	CHECK_EQ(sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
}

static void
fx_open(struct fx *f)
{
	struct engine_config cfg;

	engine_config_init(&cfg);
	fx_open_cfg(f, &cfg);
}

static void
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
static enum report_status
fx_apply_at(struct fx *f, rb_report *r, long long now_ms)
{
	struct engine_report er = { .report = r, .server_id = 0 };

	CHECK_EQ(engine_apply_batch(f->e, &er, 1, now_ms), 0);
	return er.status;
}

static enum report_status
fx_apply(struct fx *f, rb_report *r)
{
	return fx_apply_at(f, r, testutil_now_ms());
}

/* The first column of the first row of sql as an integer (-1: no row). */
static long long
q_int(struct fx *f, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) != SQLITE_OK) {
		(void)fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(f->db));
		abort();
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	(void)sqlite3_finalize(st);
	return v;
}

/* Like q_int for text; the caller frees the result (NULL: no row/NULL). */
static char *
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

static void
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

/* Sum of row counts of every table, to prove nothing changed. */
static long long
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

static rb_report *
host_report(const char *agent, uint64_t seq, const char *mac, const char *ip)
{
	rb_report *r = rb_new(agent, seq);

	(void)rb_host(r, "ENG-WS-014", "Windows 10 Enterprise", "10.0.19044",
	    mac, ip);
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	return r;
}

static void
test_new_agent_creates_device(void)
{
	struct fx f;
	rb_report *r = host_report("a-1", 1, "AA-BB-CC-00-00-01", "10.10.0.5");

	fx_open(&f);
	CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM map_nodes"), 1);
	check_text(&f, "SELECT mac FROM map_nodes", "aa:bb:cc:00:00:01");
	check_text(&f, "SELECT ip FROM map_nodes", "10.10.0.5");
	check_text(&f, "SELECT os FROM map_nodes",
	    "Windows 10 Enterprise 10.0.19044");
	check_text(&f, "SELECT name FROM map_nodes", "ENG-WS-014");
	check_text(&f, "SELECT category FROM map_nodes", "workstation");
	check_text(&f, "SELECT status FROM map_nodes", "unauthorized");
	check_text(&f, "SELECT epp_icon FROM map_nodes", "connected");
	check_text(&f, "SELECT security_state FROM map_nodes", "ok");
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE category = 'device_added' AND technology = 'system'"), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE category = 'agent_connected'"), 1);
	rb_free(r);
	fx_close(&f);
}

static void
test_reinstall_same_mac_keeps_device(void)
{
	struct engine_config cfg;
	struct fx f;
	rb_report *a = host_report("agent-old", 5, "aa:bb:cc:00:00:02",
	    "10.10.0.6");
	rb_report *b = host_report("agent-new", 1, "aa:bb:cc:00:00:02",
	    "10.10.0.6");
	long long now = testutil_now_ms();

	engine_config_init(&cfg);
	cfg.max_agents = 1;
	fx_open_cfg(&f, &cfg);
	/* the old agent fell silent long ago, then the machine was
	   reinstalled */
	CHECK_EQ(fx_apply_at(&f, a, now - 3600000), REPORT_STATUS_COMMITTED);
	CHECK_EQ(fx_apply_at(&f, b, now), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(DISTINCT device_id) FROM agents"), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM agents"), 2);
	/* the new agent owns the device: no duplicate identity */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events "
	    "WHERE category = 'duplicate_agent_identity'"), 0);
	CHECK_EQ(q_int(&f, "SELECT owner_agent FROM devices"),
	    q_int(&f, "SELECT id FROM agents WHERE agent_id = 'agent-new'"));
	rb_free(a);
	rb_free(b);
	fx_close(&f);
}

static void
test_cloned_machine_is_duplicate_identity(void)
{
	struct fx f;
	rb_report *a = host_report("clone-a", 1, "aa:bb:cc:00:00:03", NULL);
	rb_report *b = host_report("clone-b", 1, "aa:bb:cc:00:00:03", NULL);
	rb_report *b2 = host_report("clone-b", 2, "aa:bb:cc:00:00:03", NULL);

	fx_open(&f);
	CHECK_EQ(fx_apply(&f, a), REPORT_STATUS_COMMITTED);
	free(b->host->os_version);
	b->host->os_version = strdup("10.0.99999");
	CHECK_EQ(fx_apply(&f, b), REPORT_STATUS_COMMITTED);
	CHECK_EQ(fx_apply(&f, b2), REPORT_STATUS_COMMITTED);
	/* once, not per report; the clone does not rewrite the device */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events "
	    "WHERE category = 'duplicate_agent_identity'"), 1);
	check_text(&f, "SELECT os_version FROM devices", "10.0.19044");
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events "
	    "WHERE category = 'device_attributes_changed'"), 0);
	rb_free(a);
	rb_free(b);
	rb_free(b2);
	fx_close(&f);
}

static void
test_agent_limit_refuses_new_computer(void)
{
	struct engine_config cfg;
	struct fx f;
	rb_report *a = host_report("lim-a", 1, "aa:bb:cc:00:01:01", NULL);
	rb_report *b = host_report("lim-b", 1, "aa:bb:cc:00:01:02", NULL);
	rb_report *a2 = host_report("lim-a", 2, "aa:bb:cc:00:01:01", NULL);
	struct engine_report er = { .report = b };
	long long before;

	engine_config_init(&cfg);
	cfg.max_agents = 1;
	fx_open_cfg(&f, &cfg);
	CHECK_EQ(fx_apply(&f, a), REPORT_STATUS_COMMITTED);
	before = all_rows(&f);
	CHECK_EQ(engine_apply_batch(f.e, &er, 1, testutil_now_ms()), 0);
	CHECK_EQ(er.status, REPORT_STATUS_AGENT_LIMIT);
	CHECK(strstr(er.reason, "agent limit") != NULL);
	/* nothing of the report; one "agent limit reached" event (its row
	   and its full-text row) */
	CHECK_EQ(all_rows(&f), before + 2);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE "
	    "category = 'agent_limit_reached' AND description LIKE "
	    "'%lim-b%'"), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM agents "
	    "WHERE agent_id = 'lim-b'"), 0);
	/* the same computer again within the hour: no second event */
	CHECK_EQ(engine_apply_batch(f.e, &er, 1, testutil_now_ms()), 0);
	CHECK_EQ(er.status, REPORT_STATUS_AGENT_LIMIT);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE "
	    "category = 'agent_limit_reached'"), 1);
	/* and again an hour later */
	CHECK_EQ(engine_apply_batch(f.e, &er, 1,
	    testutil_now_ms() + 3600001), 0);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE "
	    "category = 'agent_limit_reached'"), 2);
	/* the known computer goes on */
	CHECK_EQ(fx_apply(&f, a2), REPORT_STATUS_COMMITTED);
	rb_free(a);
	rb_free(b);
	rb_free(a2);
	fx_close(&f);
}

static void
test_unidirectional_makes_no_peer(void)
{
	struct fx f;
	rb_report *r = host_report("p-1", 1, "aa:bb:cc:00:00:10", "10.10.0.10");
	rb_report *r2 = rb_new("p-1", 2);

	fx_open(&f);
	(void)rb_conn(r, TCP, OUT, "192.168.10.20", NULL, 502, 10, 0);
	CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM map_edges"), 0);

	(void)rb_conn(r2, TCP, OUT, "192.168.10.20", "00:1b:1b:00:00:20",
	    502, 10, 8);
	CHECK_EQ(fx_apply(&f, r2), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 2);
	check_text(&f, "SELECT status FROM map_nodes WHERE ip = "
	    "'192.168.10.20'", "unauthorized");
	check_text(&f, "SELECT mac FROM map_nodes WHERE ip = '192.168.10.20'",
	    "00:1b:1b:00:00:20");
	check_text(&f, "SELECT epp_icon FROM map_nodes WHERE ip = "
	    "'192.168.10.20'", "none");
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM map_edges"), 1);
	CHECK_EQ(q_int(&f, "SELECT port FROM map_edges"), 502);
	check_text(&f, "SELECT protocol || ',' || source FROM map_edges",
	    "tcp,epp");
	CHECK_EQ(q_int(&f, "SELECT packets FROM map_edges"), 18);
	CHECK_EQ(q_int(&f, "SELECT bytes FROM map_edges"), 1800);
	/* initiator → responder */
	CHECK_EQ(q_int(&f, "SELECT src_device_id FROM map_edges"),
	    q_int(&f, "SELECT device_id FROM map_nodes WHERE ip = "
	    "'10.10.0.10'"));
	rb_free(r);
	rb_free(r2);
	fx_close(&f);
}

static void
test_interaction_counters_add_up(void)
{
	struct fx f;
	rb_report *r1 = host_report("c-1", 1, "aa:bb:cc:00:00:30", "10.0.0.30");
	rb_report *r2 = rb_new("c-1", 2);
	Kics__Epp__V1__Connection *k;

	fx_open(&f);
	k = rb_conn(r1, UDP, IN, "10.0.0.31", NULL, 40000, 3, 4);
	k->local_port = 161;
	k->first_seen_ms = 1000000;
	k->last_seen_ms = 2000000;
	CHECK_EQ(fx_apply(&f, r1), REPORT_STATUS_COMMITTED);
	k = rb_conn(r2, UDP, IN, "10.0.0.31", NULL, 40001, 5, 6);
	k->local_port = 161;
	k->first_seen_ms = 500000;
	k->last_seen_ms = 3000000;
	CHECK_EQ(fx_apply(&f, r2), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM map_edges"), 1);
	CHECK_EQ(q_int(&f, "SELECT packets FROM map_edges"), 18);
	CHECK_EQ(q_int(&f, "SELECT port FROM map_edges"), 161);
	CHECK_EQ(q_int(&f, "SELECT first_seen_ms FROM map_edges"), 500000);
	CHECK_EQ(q_int(&f, "SELECT last_seen_ms FROM map_edges"), 3000000);
	/* inbound: the peer initiated */
	CHECK_EQ(q_int(&f, "SELECT dst_device_id FROM map_edges"),
	    q_int(&f, "SELECT device_id FROM map_nodes WHERE ip = "
	    "'10.0.0.30'"));
	rb_free(r1);
	rb_free(r2);
	fx_close(&f);
}

static void
test_same_report_twice_changes_nothing(void)
{
	struct fx f;
	rb_report *r = host_report("d-1", 7, "aa:bb:cc:00:00:40", "10.0.0.40");
	struct engine_report er = { .report = r };
	long long before;

	fx_open(&f);
	(void)rb_event(r, "ev-1", "network_attack", "Port scan from 10.0.0.99");
	(void)rb_conn(r, TCP, OUT, "10.0.0.41", NULL, 445, 4, 4);
	CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
	before = all_rows(&f);
	CHECK(before > 0);
	CHECK_EQ(engine_apply_batch(f.e, &er, 1, testutil_now_ms()), 0);
	CHECK_EQ(er.status, REPORT_STATUS_ALREADY);
	CHECK_EQ(er.acked_sequence, 7);
	CHECK_EQ(all_rows(&f), before);
	CHECK_EQ(q_int(&f, "SELECT packets FROM map_edges"), 8);
	rb_free(r);
	fx_close(&f);
}

static void
test_repeated_event_id_is_ignored(void)
{
	struct fx f;
	rb_report *r1 = host_report("e-1", 1, "aa:bb:cc:00:00:50", NULL);
	rb_report *r2 = rb_new("e-1", 2);

	fx_open(&f);
	(void)rb_event(r1, "same", "threat_detected", "first");
	(void)rb_event(r2, "same", "threat_detected", "again");
	(void)rb_event(r2, "other", "threat_detected", "new one");
	CHECK_EQ(fx_apply(&f, r1), REPORT_STATUS_COMMITTED);
	CHECK_EQ(fx_apply(&f, r2), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE technology = 'epp'"), 2);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events_fts "
	    "WHERE events_fts MATCH 'again'"), 0);
	rb_free(r1);
	rb_free(r2);
	fx_close(&f);
}

static void
test_os_change_gives_one_event(void)
{
	struct fx f;
	rb_report *r1 = host_report("o-1", 1, "aa:bb:cc:00:00:60", NULL);
	rb_report *r2 = host_report("o-1", 2, "aa:bb:cc:00:00:60", NULL);
	rb_report *r3 = host_report("o-1", 3, "aa:bb:cc:00:00:60", NULL);
	char *desc;

	fx_open(&f);
	free(r2->host->os_version);
	r2->host->os_version = strdup("10.0.19045");
	free(r3->host->os_version);
	r3->host->os_version = strdup("10.0.19045");
	CHECK_EQ(fx_apply(&f, r1), REPORT_STATUS_COMMITTED);
	CHECK_EQ(fx_apply(&f, r2), REPORT_STATUS_COMMITTED);
	CHECK_EQ(fx_apply(&f, r3), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE category = 'device_attributes_changed'"), 1);
	desc = q_text(&f, "SELECT description FROM event_log "
	    "WHERE category = 'device_attributes_changed'");
	CHECK(desc != NULL);
	CHECK(strstr(desc, "10.0.19044") != NULL);
	CHECK(strstr(desc, "10.0.19045") != NULL);
	free(desc);
	check_text(&f, "SELECT os FROM map_nodes",
	    "Windows 10 Enterprise 10.0.19045");
	check_text(&f, "SELECT source FROM device_attributes "
	    "WHERE name = 'os_version'", "epp");
	rb_free(r1);
	rb_free(r2);
	rb_free(r3);
	fx_close(&f);
}

static void
test_fts_finds_event_by_word(void)
{
	struct fx f;
	rb_report *r = host_report("f-1", 1, "aa:bb:cc:00:00:70", NULL);
	Kics__Epp__V1__EppEvent *ev;

	fx_open(&f);
	ev = rb_event(r, "x1", "untrusted_device",
	    "USB mass storage SanDisk Cruzer inserted on port 3");
	rb_event_attr(ev, "vid", "0781");
	(void)rb_event(r, "x2", "firewall_blocked", "Blocked outbound 445");
	CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events_fts "
	    "WHERE events_fts MATCH 'cruzer'"), 1);
	CHECK_EQ(q_int(&f, "SELECT e.code FROM events_fts JOIN event_log e "
	    "ON e.event_id = events_fts.rowid WHERE events_fts MATCH "
	    "'Cruzer'"), 4000005501LL);
	check_text(&f, "SELECT title FROM event_log WHERE code = 4000005501",
	    "Connection of an untrusted external device");
	check_text(&f, "SELECT attributes FROM events WHERE event_id = 'x1'",
	    "{\"vid\":\"0781\"}");
	/* the host name is indexed as well */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events_fts "
	    "WHERE events_fts MATCH 'hostname:\"ENG-WS-014\"' "
	    "AND rowid IN (SELECT id FROM events WHERE technology='epp')"), 2);
	rb_free(r);
	fx_close(&f);
}

static void
test_epp_icon_times_out_without_writes(void)
{
	struct engine_config cfg;
	struct fx f;
	rb_report *r = host_report("t-1", 1, "aa:bb:cc:00:00:80", NULL);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 800 * 1000000L };

	engine_config_init(&cfg);
	cfg.report_interval_s = 1;
	cfg.agent_timeout_ms = 2000;
	fx_open_cfg(&f, &cfg);
	CHECK_EQ(q_int(&f, "SELECT value FROM settings "
	    "WHERE key = 'agent_timeout_ms'"), 2000);
	/* the report arrived 1.5 s ago: connected for another 0.5 s */
	CHECK_EQ(fx_apply_at(&f, r, testutil_now_ms() - 1500),
	    REPORT_STATUS_COMMITTED);
	check_text(&f, "SELECT epp_icon FROM map_nodes", "connected");
	(void)nanosleep(&ts, NULL);
	check_text(&f, "SELECT epp_icon FROM map_nodes", "disconnected");
	rb_free(r);
	fx_close(&f);
}

static void
test_timeout_never_below_twice_interval(void)
{
	struct engine_config cfg;
	struct fx f;

	engine_config_init(&cfg);
	cfg.report_interval_s = 60;
	cfg.agent_timeout_ms = 10000;
	fx_open_cfg(&f, &cfg);
	CHECK_EQ(q_int(&f, "SELECT value FROM settings "
	    "WHERE key = 'agent_timeout_ms'"), 120000);
	fx_close(&f);
}

static void
test_tick_registers_disconnect_once(void)
{
	struct fx f;
	rb_report *r1 = host_report("k-1", 1, "aa:bb:cc:00:00:90", NULL);
	rb_report *r2 = rb_new("k-1", 2);
	long long now = testutil_now_ms();

	fx_open(&f);
	CHECK_EQ(fx_apply_at(&f, r1, now - 600000), REPORT_STATUS_COMMITTED);
	CHECK(engine_tick(f.e, now) >= 0);
	CHECK(engine_tick(f.e, now + 1000) >= 0);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE category = 'agent_disconnected'"), 1);
	CHECK_EQ(fx_apply_at(&f, r2, now + 2000), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE category = 'agent_connected'"), 2);
	rb_free(r1);
	rb_free(r2);
	fx_close(&f);
}

static void
test_traffic_row_hides_epp_row(void)
{
	struct fx f;
	rb_report *r = host_report("m-1", 1, "aa:bb:cc:00:00:a0", "10.0.0.100");
	sqlite3 *w;

	fx_open(&f);
	(void)rb_conn(r, TCP, OUT, "10.0.0.101", NULL, 102, 5, 5);
	(void)rb_conn(r, TCP, OUT, "10.0.0.102", NULL, 502, 5, 5);
	CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM map_edges"), 2);
	/* monitoring-point traffic data describes the S7 connection */
	CHECK_EQ(sqlite3_open(f.path, &w), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(w, "INSERT INTO interactions (src_device_id, "
	    "dst_device_id, protocol, port, source, first_seen_ms, "
	    "last_seen_ms, packets, bytes) SELECT src_device_id, "
	    "dst_device_id, protocol, port, 'traffic', 1, 2, 999, 99999 "
	    "FROM interactions WHERE port = 102", NULL, NULL, NULL),
	    SQLITE_OK);
	(void)sqlite3_close(w);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), 3);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM map_edges"), 2);
	check_text(&f, "SELECT source FROM map_edges WHERE port = 102",
	    "traffic");
	CHECK_EQ(q_int(&f, "SELECT packets FROM map_edges WHERE port = 102"),
	    999);
	check_text(&f, "SELECT source FROM map_edges WHERE port = 502", "epp");
	rb_free(r);
	fx_close(&f);
}

static void
test_invalid_report_stores_nothing(void)
{
	static const char *const bad[][2] = {
		{ "zz:bb:cc:00:00:01", "10.0.0.1" },
		{ "aa:bb:cc:00:00:01", "10.0.0.300" },
		{ "aa:bb:cc:00:00", "10.0.0.1" },
		{ "aa:bb:cc:00:00:01", "fe80::1::2" },
	};
	struct fx f;

	fx_open(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rb_report *r = host_report("bad-1", 1, bad[i][0], bad[i][1]);
		struct engine_report er = { .report = r };

		(void)rb_event(r, "e", "threat_detected", "would be stored");
		CHECK_EQ(engine_apply_batch(f.e, &er, 1, testutil_now_ms()),
		    0);
		CHECK_EQ(er.status, REPORT_STATUS_INVALID);
		CHECK(er.reason[0] != '\0');
		CHECK_EQ(all_rows(&f), 0);
		rb_free(r);
	}
	fx_close(&f);
}

static void
test_batch_isolates_bad_and_good(void)
{
	struct fx f;
	rb_report *good = host_report("g-1", 1, "aa:bb:cc:00:00:b0", NULL);
	rb_report *badr = host_report("g-2", 1, "not-a-mac", NULL);
	rb_report *good2 = host_report("g-3", 1, "aa:bb:cc:00:00:b1", NULL);
	struct engine_report er[3] = {
		{ .report = good }, { .report = badr }, { .report = good2 },
	};

	fx_open(&f);
	CHECK_EQ(engine_apply_batch(f.e, er, 3, testutil_now_ms()), 0);
	CHECK_EQ(er[0].status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(er[1].status, REPORT_STATUS_INVALID);
	CHECK(strstr(er[1].reason, "not-a-mac") != NULL);
	CHECK_EQ(er[2].status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM agents"), 2);
	rb_free(good);
	rb_free(badr);
	rb_free(good2);
	fx_close(&f);
}

static void
test_ip_of_macless_device_and_move(void)
{
	struct fx f;
	rb_report *a = host_report("i-1", 1, "aa:bb:cc:00:00:c0", "10.0.0.50");
	rb_report *peer = rb_new("i-1", 2);
	rb_report *b = host_report("i-2", 1, NULL, "10.0.0.60");
	rb_report *a2 = host_report("i-1", 3, "aa:bb:cc:00:00:c0", "10.0.0.60");

	fx_open(&f);
	CHECK_EQ(fx_apply(&f, a), REPORT_STATUS_COMMITTED);
	/* a peer known only by IP */
	(void)rb_conn(peer, TCP, OUT, "10.0.0.60", NULL, 3389, 2, 2);
	CHECK_EQ(fx_apply(&f, peer), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 2);
	/* an agent without MAC lands on the MAC-less device holding its IP */
	CHECK_EQ(fx_apply(&f, b), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 2);
	CHECK_EQ(q_int(&f, "SELECT device_id FROM agents WHERE "
	    "agent_id = 'i-2'"), q_int(&f, "SELECT device_id FROM addresses "
	    "WHERE value = '10.0.0.60'"));
	/* the IP moves to the first device, with an event */
	CHECK_EQ(fx_apply(&f, a2), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT device_id FROM addresses "
	    "WHERE value = '10.0.0.60'"), q_int(&f, "SELECT device_id FROM "
	    "addresses WHERE value = 'aa:bb:cc:00:00:c0'"));
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE category = 'ip_moved'"), 1);
	rb_free(a);
	rb_free(peer);
	rb_free(b);
	rb_free(a2);
	fx_close(&f);
}

static void
test_security_state_from_last_day(void)
{
	struct fx f;
	rb_report *r = host_report("s-1", 1, "aa:bb:cc:00:00:d0", NULL);
	Kics__Epp__V1__EppEvent *old, *w;

	fx_open(&f);
	old = rb_event(r, "old", "threat_detected", "two days ago");
	old->severity = KICS__EPP__V1__EPP_EVENT__SEVERITY__CRITICAL;
	old->occurred_at_ms = testutil_now_ms() - 2 * 86400000LL;
	w = rb_event(r, "new", "bases_outdated", "bases are 9 days old");
	w->severity = KICS__EPP__V1__EPP_EVENT__SEVERITY__WARNING;
	CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
	check_text(&f, "SELECT security_state FROM map_nodes", "warning");
	check_text(&f, "SELECT severity FROM event_log WHERE "
	    "description = 'two days ago'", "critical");
	rb_free(r);
	fx_close(&f);
}

static void
test_event_trim_keeps_fts_in_sync(void)
{
	struct engine_config cfg;
	struct fx f;
	char id[32];

	engine_config_init(&cfg);
	cfg.max_events = 40;
	fx_open_cfg(&f, &cfg);
	for (int seq = 1; seq <= 5; seq++) {
		rb_report *r = host_report("r-1", (uint64_t)seq,
		    "aa:bb:cc:00:00:e0", NULL);

		for (int i = 0; i < 10; i++) {
			(void)snprintf(id, sizeof(id), "%d-%d", seq, i);
			(void)rb_event(r, id, "scan_completed",
			    seq == 1 ? "earliest scan" : "later scan");
		}
		CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
		rb_free(r);
	}
	CHECK(q_int(&f, "SELECT COUNT(*) FROM events") > 40);
	while (engine_tick(f.e, testutil_now_ms()) == 1)
		;
	CHECK(q_int(&f, "SELECT COUNT(*) FROM events") <= 49);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events"),
	    q_int(&f, "SELECT COUNT(*) FROM events_fts"));
	CHECK_EQ(q_int(&f, "SELECT MIN(id) FROM events"),
	    q_int(&f, "SELECT MIN(rowid) FROM events_fts WHERE events_fts "
	    "MATCH 'scan OR connected OR added'"));
	/* the index agrees with its content (FTS5 integrity-check) */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events"), q_int(&f,
	    "SELECT COUNT(*) FROM events WHERE id IN (SELECT rowid FROM "
	    "events_fts)"));
	fx_close(&f);
}

static void
test_servers_seed_list_cert(void)
{
	static const struct engine_server_spec specs[] = {
		{ "local", "127.0.0.1", 8081, true, false },
		{ "plant-b", "::1", 8443, false, true },
	};
	struct engine_server *v = NULL;
	struct fx f;
	rb_report *r = host_report("srv-1", 1, "aa:bb:cc:00:00:f0", NULL);
	struct engine_report er = { .report = r, .server_id = 1 };
	size_t n = 0;

	fx_open(&f);
	CHECK_EQ(engine_servers_seed(f.e, specs, 2, 1000), 2);
	/* only at first start: the table rules afterwards */
	CHECK_EQ(engine_servers_seed(f.e, specs, 1, 2000), 0);
	CHECK_EQ(engine_servers_list(f.e, &v, &n), 0);
	CHECK_EQ(n, 2);
	CHECK(strcmp(v[0].name, "local") == 0 && v[0].port == 8081);
	CHECK(v[0].enabled && !v[0].verify_client_cert);
	CHECK(strcmp(v[1].address, "::1") == 0 && !v[1].enabled);
	CHECK(v[1].verify_client_cert);
	CHECK_EQ(v[0].last_data_ms, 0);
	engine_servers_free(v, n);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE "
	    "category = 'integration_server_added'"), 2);
	CHECK_EQ(engine_server_set_cert(f.e, 1, "0a1b", "ab12", 5000, 1000),
	    0);
	CHECK_EQ(engine_server_set_cert(f.e, 99, "0a1c", "ab13", 5000, 1000),
	    -ENOENT);
	CHECK_EQ(q_int(&f, "SELECT cert_not_after_ms FROM integration_servers "
	    "WHERE id = 1"), 5000);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM certificates"), 1);
	/* a report on server 1 notes when it last received data */
	CHECK_EQ(engine_apply_batch(f.e, &er, 1, 777000), 0);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT last_data_ms FROM integration_servers "
	    "WHERE id = 1"), 777000);
	CHECK_EQ(q_int(&f, "SELECT server_id FROM agents"), 1);
	rb_free(r);
	fx_close(&f);
}

static void
test_rules_change_tag_and_drop(void)
{
	static const char yaml[] =
	    "rules:\n"
	    "  - name: plc-net\n"
	    "    match: { category: network_attack, device: 10.20.0.0/16 }\n"
	    "    set:\n"
	    "      severity: critical\n"
	    "      title: \"PLC attack on {hostname}: {threat_name}\"\n"
	    "    tags: [plc]\n"
	    "  - name: no-scans\n"
	    "    match: { category: scan_completed }\n"
	    "    drop: true\n";
	struct diag *d = diag_new();
	struct rules *rules = NULL;
	struct fx f;
	rb_report *r = host_report("rl-1", 1, "aa:bb:cc:00:01:f0",
	    "10.20.3.4/24");
	rb_report *other = host_report("rl-2", 1, "aa:bb:cc:00:01:f1",
	    "10.30.3.4");

	CHECK(d != NULL);
	CHECK_EQ(rules_load_string("test-rules.yaml", yaml, sizeof(yaml) - 1,
	    d, &rules), 0);
	fx_open(&f);
	engine_set_rules(f.e, rules);
	(void)rb_event(r, "a", "network_attack", "Modbus write flood");
	(void)rb_event(r, "b", "scan_completed", "Scan finished, 0 threats");
	(void)rb_event(other, "a", "network_attack", "elsewhere");
	CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
	CHECK_EQ(fx_apply(&f, other), REPORT_STATUS_COMMITTED);
	check_text(&f, "SELECT severity || '|' || title || '|' || tags "
	    "FROM event_log WHERE description = 'Modbus write flood'",
	    "critical|PLC attack on ENG-WS-014: HEUR:Trojan.Win32.Generic|"
	    "[\"plc\"]");
	/* the other device is outside 10.20.0.0/16: unchanged */
	check_text(&f, "SELECT severity || '|' || tags FROM event_log "
	    "WHERE description = 'elsewhere'", "warning|[]");
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events "
	    "WHERE category = 'scan_completed'"), 0);
	CHECK_EQ(rules_matches(rules, 0), 1);
	CHECK_EQ(rules_drops(rules, 1), 1);
	/* the renamed title is what full-text search finds */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events_fts "
	    "WHERE events_fts MATCH 'title:PLC'"), 1);
	/* the next tick saves the set and its counters for kics-query */
	CHECK(engine_tick(f.e, testutil_now_ms()) >= 0);
	check_text(&f, "SELECT file FROM rules_state", "test-rules.yaml");
	CHECK_EQ(q_int(&f, "SELECT json_array_length(rules) FROM "
	    "rules_state"), 2);
	CHECK_EQ(q_int(&f, "SELECT json_extract(rules, '$[1].drops') FROM "
	    "rules_state"), 1);
	rb_free(r);
	rb_free(other);
	fx_close(&f);
	rules_free(rules);
	diag_free(d);
}

static void
test_device_limit_and_interaction_trim(void)
{
	struct engine_config cfg;
	struct fx f;
	rb_report *r = host_report("cap-1", 1, "aa:bb:cc:00:02:01", NULL);
	rb_report *r2 = rb_new("cap-1", 2);
	char ip[32];

	engine_config_init(&cfg);
	cfg.max_devices = 6;
	cfg.max_interactions = 3;
	fx_open_cfg(&f, &cfg);
	for (int i = 0; i < 10; i++) {
		(void)snprintf(ip, sizeof(ip), "10.9.0.%d", i + 1);
		(void)rb_conn(i < 5 ? r : r2, TCP, OUT, ip, NULL, 443, 2, 2);
	}
	CHECK_EQ(fx_apply(&f, r), REPORT_STATUS_COMMITTED);
	CHECK_EQ(fx_apply(&f, r2), REPORT_STATUS_COMMITTED);
	/* the agent's device and five peers: no more */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 6);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE category = 'device_limit_reached'"), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), 5);
	/* past max_interactions the oldest 10 % go, in bounded steps */
	while (engine_tick(f.e, testutil_now_ms()) == 1)
		;
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), 3);
	/* the ones seen first went */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions i JOIN "
	    "addresses a ON a.device_id = i.dst_device_id WHERE a.value IN "
	    "('10.9.0.1', '10.9.0.2')"), 0);
	rb_free(r);
	rb_free(r2);
	fx_close(&f);
}

static void
test_silent_device_is_archived(void)
{
	struct fx f;
	rb_report *r = host_report("arc-1", 1, "aa:bb:cc:00:03:01", NULL);
	rb_report *r2 = host_report("arc-2", 1, "aa:bb:cc:00:03:02", NULL);
	long long now = testutil_now_ms();

	fx_open(&f);
	CHECK_EQ(fx_apply_at(&f, r, now - 31LL * 86400000), REPORT_STATUS_COMMITTED);
	CHECK_EQ(fx_apply_at(&f, r2, now - 29LL * 86400000),
	    REPORT_STATUS_COMMITTED);
	CHECK(engine_tick(f.e, now) >= 0);
	check_text(&f, "SELECT status FROM map_nodes WHERE mac = "
	    "'aa:bb:cc:00:03:01'", "archived");
	check_text(&f, "SELECT status FROM map_nodes WHERE mac = "
	    "'aa:bb:cc:00:03:02'", "unauthorized");
	rb_free(r);
	rb_free(r2);
	fx_close(&f);
}

int
main(void)
{
	RUN(test_new_agent_creates_device);
	RUN(test_reinstall_same_mac_keeps_device);
	RUN(test_cloned_machine_is_duplicate_identity);
	RUN(test_agent_limit_refuses_new_computer);
	RUN(test_unidirectional_makes_no_peer);
	RUN(test_interaction_counters_add_up);
	RUN(test_same_report_twice_changes_nothing);
	RUN(test_repeated_event_id_is_ignored);
	RUN(test_os_change_gives_one_event);
	RUN(test_fts_finds_event_by_word);
	RUN(test_epp_icon_times_out_without_writes);
	RUN(test_timeout_never_below_twice_interval);
	RUN(test_tick_registers_disconnect_once);
	RUN(test_traffic_row_hides_epp_row);
	RUN(test_invalid_report_stores_nothing);
	RUN(test_batch_isolates_bad_and_good);
	RUN(test_ip_of_macless_device_and_move);
	RUN(test_security_state_from_last_day);
	RUN(test_event_trim_keeps_fts_in_sync);
	RUN(test_servers_seed_list_cert);
	RUN(test_rules_change_tag_and_drop);
	RUN(test_device_limit_and_interaction_trim);
	RUN(test_silent_device_is_archived);
	return 0;
}
