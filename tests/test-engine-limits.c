/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the engine rules on a real SQLite file, read back through the
 * public views: addresses that move, traffic over EPP, security state,
 * integration servers, rules, limits, retention and the archive.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine-fx.h"
#include "rules.h"
#include "testutil.h"

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
		{ "local", "127.0.0.1", 8081, true, false,
		  SERVER_TRANSPORT_HTTPS, 0, true },
		{ "plant-b", "::1", 8443, false, true,
		  SERVER_TRANSPORT_BOTH, 9443, false },
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
	/* issue 14: transport, UDP port (default: port) and encryption */
	CHECK(v[0].transport == SERVER_TRANSPORT_HTTPS);
	CHECK(v[0].udp_port == 8081 && v[0].udp_encryption);
	CHECK(v[1].transport == SERVER_TRANSPORT_BOTH);
	CHECK(v[1].udp_port == 9443 && !v[1].udp_encryption);
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

/*
 * The interactions are counted only when the rows written since the last
 * count could have passed max_interactions (issue 17: counting reads them
 * all); once they can, the cap holds as before.
 */
static void
test_interaction_cap_after_counting(void)
{
	struct engine_config cfg;
	struct fx f;
	rb_report *r = host_report("cnt-1", 1, "aa:bb:cc:00:04:01", NULL);
	rb_report *r2 = rb_new("cnt-1", 2);
	long long t = testutil_now_ms();
	char ip[32];

	engine_config_init(&cfg);
	cfg.max_interactions = 8;
	fx_open_cfg(&f, &cfg);
	for (int i = 0; i < 10; i++) {
		(void)snprintf(ip, sizeof(ip), "10.8.0.%d", i + 1);
		(void)rb_conn(i < 5 ? r : r2, TCP, OUT, ip, NULL, 443, 2, 2);
	}
	CHECK_EQ(fx_apply_at(&f, r, t), REPORT_STATUS_COMMITTED);
	/* counted: 5, under the cap */
	CHECK_EQ(engine_tick(f.e, t), 0);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), 5);
	/* the same five again: at most 10 now, so counted again, 5 */
	r->sequence = 2;
	CHECK_EQ(fx_apply_at(&f, r, t + 1000), REPORT_STATUS_COMMITTED);
	CHECK_EQ(engine_tick(f.e, t + 11000), 0);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), 5);
	/* five new: 10 rows, over the cap, trimmed to it */
	r2->sequence = 3;
	CHECK_EQ(fx_apply_at(&f, r2, t + 12000), REPORT_STATUS_COMMITTED);
	for (int i = 0; i < 20 && engine_tick(f.e, t + 22000 + i) == 1; i++)
		;
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), 8);
	rb_free(r);
	rb_free(r2);
	fx_close(&f);
}

/*
 * A large table is counted in steps, one a tick, each of whole initiators
 * (ENGINE_COUNT_STEP rows or more): the first tick leaves rows to count,
 * and the count over the steps is exact, so the cap trims as before,
 * a tenth at a time until under it.
 */
static void
test_interaction_count_in_steps(void)
{
	struct engine_config cfg;
	struct fx f;
	rb_report *r = host_report("step-1", 1, "aa:bb:cc:00:05:01", NULL);
	long long t = testutil_now_ms(), rows;
	sqlite3 *db;
	char ip[32];
	int ticks = 1;

	engine_config_init(&cfg);
	cfg.max_interactions = 25000;
	fx_open_cfg(&f, &cfg);
	for (int i = 0; i < 5; i++) {
		(void)snprintf(ip, sizeof(ip), "10.7.0.%d", i + 1);
		(void)rb_conn(r, TCP, OUT, ip, NULL, 443, 2, 2);
	}
	CHECK_EQ(fx_apply_at(&f, r, t), REPORT_STATUS_COMMITTED);
	/* 5,000 more from each of the six devices: 30,005 rows */
	CHECK_EQ(sqlite3_open(f.path, &db), SQLITE_OK);
	exec_db(db, "INSERT INTO interactions (src_device_id, dst_device_id, "
	    "protocol, port, source, first_seen_ms, last_seen_ms) "
	    "WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p "
	    "WHERE n < 5000) SELECT s.id, d.id, 'udp', p.n, 'epp', 1, 1 "
	    "FROM devices s JOIN devices d ON d.id = (SELECT MIN(id) FROM "
	    "devices WHERE id != s.id) JOIN p");
	sqlite3_close(db);
	rows = q_int(&f, "SELECT COUNT(*) FROM interactions");
	CHECK_EQ(rows, 30005);
	/* the first step leaves rows to count: nothing trimmed yet */
	CHECK_EQ(engine_tick(f.e, t + 1000), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), rows);
	while (engine_tick(f.e, t + 1000 + ticks) == 1 && ticks < 100)
		ticks++;
	/* counted in steps, a tenth trimmed, counted again (27,005: still
	   over the cap), another tenth trimmed */
	CHECK(ticks >= 3 && ticks < 100);
	rows -= rows / 10;
	rows -= rows / 10;
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), rows);
	CHECK(rows <= 25000);
	rb_free(r);
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
	RUN(test_traffic_row_hides_epp_row);
	RUN(test_ip_of_macless_device_and_move);
	RUN(test_security_state_from_last_day);
	RUN(test_event_trim_keeps_fts_in_sync);
	RUN(test_interaction_cap_after_counting);
	RUN(test_interaction_count_in_steps);
	RUN(test_servers_seed_list_cert);
	RUN(test_rules_change_tag_and_drop);
	RUN(test_device_limit_and_interaction_trim);
	RUN(test_silent_device_is_archived);
	return 0;
}
