/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the engine rules (DESIGN.md "Engine rules") on a real SQLite
 * file in a temporary directory, read back through the public views:
 * device identity, agents, interactions and events.
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
	RUN(test_invalid_report_stores_nothing);
	RUN(test_batch_isolates_bad_and_good);
	return 0;
}
