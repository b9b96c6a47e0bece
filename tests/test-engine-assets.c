/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the asset-management rules of issue 12 on a real SQLite file:
 * IP conflicts and moves with the product's codes, the archive (events,
 * its own pool, devices outside max_devices, both pools at their caps)
 * and archived devices that show activity again, and device set over
 * names and networks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "testutil.h"

#define DAY	86400000LL

/* Events of category, and of its documented code, in the event log. */
static long long
events_of(struct fx *f, const char *category, long long code)
{
	char sql[256];

	(void)snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM event_log "
	    "WHERE category = '%s' AND code = %lld", category, code);
	return q_int(f, sql);
}

/* engine_device_set() of one key with status and ip (either NULL). */
static int
set_one(struct fx *f, const char *key, const char *status, const char *ip)
{
	const char *keys[] = { key };
	struct engine_device_select sel = { .keys = keys, .n_keys = 1 };
	struct engine_device_edit d = { .status = status, .ip = ip };
	struct engine_device_result res;

	return engine_device_set(f->e, &sel, &d, testutil_now_ms(), &res);
}

static void
test_ip_of_authorized_device_conflicts(void)
{
	struct fx f;
	long long now = testutil_now_ms(), a, b;
	char *text;

	fx_open(&f);
	apply_host(&f, "c-1", 1, "aa:bb:cc:01:00:01", "10.1.0.5", now);
	a = holder(&f, "10.1.0.5");
	CHECK_EQ(set_one(&f, "aa:bb:cc:01:00:01", "authorized", NULL), 0);
	/* a new device with another MAC shows the same IP */
	apply_host(&f, "c-2", 1, "aa:bb:cc:01:00:02", "10.1.0.5", now + 1000);
	b = holder(&f, "aa:bb:cc:01:00:02");
	CHECK(b != a);
	CHECK_EQ(holder(&f, "10.1.0.5"), a);
	CHECK_EQ(events_of(&f, "ip_conflict", 4000005005LL), 1);
	CHECK_EQ(events_of(&f, "ip_moved", 4000005007LL), 0);
	text = q_text(&f, "SELECT description FROM event_log "
	    "WHERE category = 'ip_conflict'");
	CHECK(text != NULL);
	CHECK(strstr(text, "IP address 10.1.0.5 is held by device") != NULL);
	CHECK(strstr(text, "(authorized) and is also used by device") != NULL);
	CHECK(strstr(text, "(MAC aa:bb:cc:01:00:02)") != NULL);
	free(text);
	CHECK_EQ(q_int(&f, "SELECT device_id FROM event_log "
	    "WHERE category = 'ip_conflict'"), b);
	/* the IP is not the other device's, not even as its primary */
	CHECK_EQ(q_int(&f, "SELECT ip IS NULL FROM map_nodes WHERE "
	    "mac = 'aa:bb:cc:01:00:02'"), 1);
	/* while it lasts: once an hour, not once a report */
	apply_host(&f, "c-2", 2, "aa:bb:cc:01:00:02", "10.1.0.5",
	    now + 120000);
	CHECK_EQ(events_of(&f, "ip_conflict", 4000005005LL), 1);
	apply_host(&f, "c-2", 3, "aa:bb:cc:01:00:02", "10.1.0.5",
	    now + 2 * 3600000LL);
	CHECK_EQ(events_of(&f, "ip_conflict", 4000005005LL), 2);
	CHECK_EQ(holder(&f, "10.1.0.5"), a);
	fx_close(&f);
}

static void
test_ip_set_by_hand_conflicts(void)
{
	struct fx f;
	long long now = testutil_now_ms(), a;

	fx_open(&f);
	apply_host(&f, "m-1", 1, "aa:bb:cc:02:00:01", "10.2.0.5", now);
	/* unauthorized, but the administrator gives it 10.2.0.9 by hand */
	CHECK_EQ(set_one(&f, "10.2.0.5", NULL, "10.2.0.9"), 0);
	a = holder(&f, "10.2.0.5");
	CHECK_EQ(holder(&f, "10.2.0.9"), a);
	check_text(&f, "SELECT source FROM addresses WHERE value = "
	    "'10.2.0.9'", "manual");
	check_text(&f, "SELECT ip FROM map_nodes WHERE mac = "
	    "'aa:bb:cc:02:00:01'", "10.2.0.9");
	/* a new IP for a known MAC, set by hand */
	CHECK_EQ(events_of(&f, "ip_moved", 4000005007LL), 1);
	/* an IP for one device only */
	CHECK_EQ(set_one(&f, "10.2.0.5", NULL, "not-an-ip"), -EINVAL);
	apply_host(&f, "m-2", 1, "aa:bb:cc:02:00:02", "10.2.0.9", now + 1000);
	CHECK_EQ(holder(&f, "10.2.0.9"), a);
	CHECK_EQ(events_of(&f, "ip_conflict", 4000005005LL), 1);
	/* the unauthorized device's EPP IP moves as before */
	apply_host(&f, "m-3", 1, "aa:bb:cc:02:00:03", "10.2.0.5", now + 2000);
	CHECK(holder(&f, "10.2.0.5") != a);
	CHECK_EQ(events_of(&f, "ip_moved", 4000005007LL), 2);
	fx_close(&f);
}

static void
test_ip_moves_and_new_ip_for_known_mac(void)
{
	struct fx f;
	long long now = testutil_now_ms(), a, b;
	char *text;

	fx_open(&f);
	apply_host(&f, "v-1", 1, "aa:bb:cc:03:00:01", "10.3.0.5", now);
	a = holder(&f, "10.3.0.5");
	/* a device added with its IPs: "new device" is all it registers */
	CHECK_EQ(events_of(&f, "device_added", 4000005003LL), 1);
	text = q_text(&f, "SELECT description FROM event_log "
	    "WHERE category = 'device_added'");
	CHECK(text != NULL && strstr(text, "from epp data: the host of agent "
	    "'v-1'") != NULL);
	free(text);
	CHECK_EQ(events_of(&f, "ip_moved", 4000005007LL), 0);
	/* the same MAC with a new IP (DHCP) */
	apply_host(&f, "v-1", 2, "aa:bb:cc:03:00:01", "10.3.0.6", now + 1000);
	CHECK_EQ(holder(&f, "10.3.0.6"), a);
	CHECK_EQ(events_of(&f, "ip_moved", 4000005007LL), 1);
	text = q_text(&f, "SELECT description FROM event_log "
	    "WHERE category = 'ip_moved'");
	CHECK(text != NULL && strstr(text, "new IP address 10.3.0.6 for "
	    "device") != NULL && strstr(text, "moved from") == NULL);
	free(text);
	/* another device takes the old IP of an unauthorized device */
	apply_host(&f, "v-2", 1, "aa:bb:cc:03:00:02", "10.3.0.5", now + 2000);
	b = holder(&f, "aa:bb:cc:03:00:02");
	CHECK_EQ(holder(&f, "10.3.0.5"), b);
	CHECK_EQ(events_of(&f, "ip_moved", 4000005007LL), 2);
	CHECK_EQ(q_int(&f, "SELECT device_id FROM event_log WHERE category = "
	    "'ip_moved' ORDER BY event_id DESC LIMIT 1"), b);
	text = q_text(&f, "SELECT description FROM event_log WHERE category "
	    "= 'ip_moved' ORDER BY event_id DESC LIMIT 1");
	CHECK(text != NULL && strstr(text, "moved from device") != NULL);
	free(text);
	fx_close(&f);
}

static void
test_peer_ip_on_another_mac(void)
{
	struct fx f;
	rb_report *r1 = host_report("p-1", 1, "aa:bb:cc:04:00:01", "10.4.0.1");
	rb_report *r2 = rb_new("p-1", 2), *r3 = rb_new("p-1", 3);
	long long now = testutil_now_ms(), p1, p2;

	fx_open(&f);
	(void)rb_conn(r1, TCP, OUT, "10.4.0.20", "aa:bb:cc:04:00:20", 502, 3,
	    3);
	CHECK_EQ(fx_apply_at(&f, r1, now), REPORT_STATUS_COMMITTED);
	p1 = holder(&f, "aa:bb:cc:04:00:20");
	CHECK_EQ(holder(&f, "10.4.0.20"), p1);
	/* the IP shows up on another MAC: another device, the IP moves */
	(void)rb_conn(r2, TCP, OUT, "10.4.0.20", "aa:bb:cc:04:00:21", 502, 3,
	    3);
	CHECK_EQ(fx_apply_at(&f, r2, now + 1000), REPORT_STATUS_COMMITTED);
	p2 = holder(&f, "aa:bb:cc:04:00:21");
	CHECK(p2 != p1 && p2 > 0);
	CHECK_EQ(holder(&f, "10.4.0.20"), p2);
	CHECK_EQ(events_of(&f, "ip_moved", 4000005007LL), 1);
	/* the device table shows the IP on its new holder only */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices WHERE ip = "
	    "'10.4.0.20'"), 1);
	CHECK_EQ(q_int(&f, "SELECT id FROM devices WHERE ip = '10.4.0.20'"),
	    p2);
	/* authorized, it keeps it: the first MAC again is a conflict */
	CHECK_EQ(set_one(&f, "aa:bb:cc:04:00:21", "authorized", NULL), 0);
	(void)rb_conn(r3, TCP, OUT, "10.4.0.20", "aa:bb:cc:04:00:20", 502, 3,
	    3);
	CHECK_EQ(fx_apply_at(&f, r3, now + 2000), REPORT_STATUS_COMMITTED);
	CHECK_EQ(holder(&f, "10.4.0.20"), p2);
	CHECK_EQ(events_of(&f, "ip_conflict", 4000005005LL), 1);
	CHECK_EQ(q_int(&f, "SELECT device_id FROM event_log WHERE category = "
	    "'ip_conflict'"), p1);
	/* the connection still belongs to the device of its MAC */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions WHERE "
	    "dst_device_id = (SELECT device_id FROM addresses WHERE value = "
	    "'aa:bb:cc:04:00:20')"), 1);
	rb_free(r1);
	rb_free(r2);
	rb_free(r3);
	fx_close(&f);
}

static void
test_archive_events_and_pool(void)
{
	struct engine_config cfg;
	struct fx f;
	long long now = testutil_now_ms();
	char agent[16], mac[32];
	char *text;

	engine_config_init(&cfg);
	cfg.max_archived_devices = 3;
	fx_open_cfg(&f, &cfg);
	for (int i = 0; i < 5; i++) {
		(void)snprintf(agent, sizeof(agent), "a-%d", i);
		(void)snprintf(mac, sizeof(mac), "aa:bb:cc:05:00:%02d", i);
		apply_host(&f, agent, 1, mac, NULL, now - (40 - i) * DAY);
	}
	apply_host(&f, "a-recent", 1, "aa:bb:cc:05:00:99", NULL, now - DAY);
	while (engine_tick(f.e, now) == 1)
		;
	/* one event per device archived */
	CHECK_EQ(events_of(&f, "device_archived", 4900005558LL), 5);
	text = q_text(&f, "SELECT description FROM event_log WHERE category "
	    "= 'device_archived' LIMIT 1");
	CHECK(text != NULL && strstr(text, "archived: no activity for 30 "
	    "days") != NULL);
	free(text);
	/* the pool of 3 kept the ones silent the shortest */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices WHERE status = "
	    "'archived'"), 3);
	CHECK_EQ(holder(&f, "aa:bb:cc:05:00:00"), -1);
	CHECK_EQ(holder(&f, "aa:bb:cc:05:00:01"), -1);
	CHECK(holder(&f, "aa:bb:cc:05:00:02") > 0);
	CHECK_EQ(events_of(&f, "device_limit_reached", 4900005557LL), 1);
	text = q_text(&f, "SELECT description FROM event_log WHERE category "
	    "= 'device_limit_reached'");
	CHECK(text != NULL && strstr(text, "the 2 archived devices silent "
	    "the longest were deleted") != NULL);
	free(text);
	check_text(&f, "SELECT status FROM map_nodes WHERE mac = "
	    "'aa:bb:cc:05:00:99'", "unauthorized");
	/* nothing more to do: no more events */
	CHECK_EQ(engine_tick(f.e, now + 120000), 0);
	CHECK_EQ(events_of(&f, "device_archived", 4900005558LL), 5);
	fx_close(&f);
}

static void
test_both_pools_at_their_caps(void)
{
	struct engine_config cfg;
	struct fx f;
	rb_report *old = host_report("q-1", 1, "aa:bb:cc:06:00:01", NULL);
	rb_report *now_r = host_report("q-2", 1, "aa:bb:cc:06:00:02", NULL);
	rb_report *more = rb_new("q-2", 2);
	long long now = testutil_now_ms();

	engine_config_init(&cfg);
	cfg.max_devices = 3;
	cfg.max_archived_devices = 3;
	fx_open_cfg(&f, &cfg);
	/* three devices, silent 40 days: the active pool is full */
	(void)rb_conn(old, TCP, OUT, "10.6.0.1", NULL, 443, 2, 2);
	(void)rb_conn(old, TCP, OUT, "10.6.0.2", NULL, 443, 2, 2);
	CHECK_EQ(fx_apply_at(&f, old, now - 40 * DAY), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 3);
	while (engine_tick(f.e, now) == 1)
		;
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices WHERE status = "
	    "'archived'"), 3);
	/* archived devices do not count: three new ones fit */
	(void)rb_conn(now_r, TCP, OUT, "10.6.1.1", NULL, 443, 2, 2);
	(void)rb_conn(now_r, TCP, OUT, "10.6.1.2", NULL, 443, 2, 2);
	CHECK_EQ(fx_apply_at(&f, now_r, now), REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 6);
	CHECK_EQ(events_of(&f, "device_limit_reached", 4900005557LL), 0);
	/* both pools full: a fourth active device is not added */
	(void)rb_conn(more, TCP, OUT, "10.6.1.3", NULL, 443, 2, 2);
	CHECK_EQ(fx_apply_at(&f, more, now + 1000), REPORT_STATUS_COMMITTED);
	CHECK_EQ(holder(&f, "10.6.1.3"), -1);
	CHECK_EQ(events_of(&f, "device_limit_reached", 4900005557LL), 1);
	/* archiving one more pushes the longest-silent archived one out */
	CHECK_EQ(set_one(&f, "10.6.1.2", "archived", NULL), 0);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices WHERE status = "
	    "'archived'"), 3);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices"), 5);
	CHECK_EQ(holder(&f, "10.6.1.2") > 0, 1);
	CHECK_EQ(events_of(&f, "device_limit_reached", 4900005557LL), 2);
	CHECK_EQ(events_of(&f, "device_archived", 4900005558LL), 4);
	/* and makes room in the active pool */
	CHECK_EQ(fx_apply_at(&f, more, now + 2000), REPORT_STATUS_ALREADY);
	rb_free(more);
	more = rb_new("q-2", 3);
	(void)rb_conn(more, TCP, OUT, "10.6.1.3", NULL, 443, 2, 2);
	CHECK_EQ(fx_apply_at(&f, more, now + 3000), REPORT_STATUS_COMMITTED);
	CHECK(holder(&f, "10.6.1.3") > 0);
	rb_free(old);
	rb_free(now_r);
	rb_free(more);
	fx_close(&f);
}

static void
test_archived_device_activity(void)
{
	struct fx f;
	rb_report *r = rb_new("r-2", 1);
	long long now = testutil_now_ms(), h, peer;
	char *text;

	fx_open(&f);
	apply_host(&f, "r-1", 1, "aa:bb:cc:07:00:01", "10.7.0.1",
	    now - 40 * DAY);
	h = holder(&f, "aa:bb:cc:07:00:01");
	CHECK_EQ(set_one(&f, "10.7.0.1", "authorized", NULL), 0);
	apply_host(&f, "r-3", 1, "aa:bb:cc:07:00:03", "10.7.0.3",
	    now - 40 * DAY);
	peer = holder(&f, "10.7.0.3");
	while (engine_tick(f.e, now) == 1)
		;
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices WHERE status = "
	    "'archived'"), 2);
	/* its agent reports again: unauthorized, nobody authorized that */
	apply_host(&f, "r-1", 2, "aa:bb:cc:07:00:01", "10.7.0.1", now);
	CHECK_EQ(events_of(&f, "archived_device_activity", 4000005006LL), 1);
	CHECK_EQ(q_int(&f, "SELECT device_id FROM event_log WHERE category = "
	    "'archived_device_activity'"), h);
	check_text(&f, "SELECT status FROM devices WHERE id = (SELECT "
	    "device_id FROM addresses WHERE value = 'aa:bb:cc:07:00:01')",
	    "unauthorized");
	text = q_text(&f, "SELECT description FROM event_log WHERE category "
	    "= 'archived_device_activity'");
	CHECK(text != NULL && strstr(text, "reported as the host of agent "
	    "'r-1': it is unauthorized now") != NULL);
	free(text);
	/* an archived device that shows up as a peer */
	apply_host(&f, "r-2", 1, "aa:bb:cc:07:00:02", "10.7.0.2", now);
	(void)rb_conn(r, TCP, OUT, "10.7.0.3", NULL, 22, 4, 4);
	CHECK_EQ(fx_apply_at(&f, r, now + 1000), REPORT_STATUS_ALREADY);
	rb_free(r);
	r = rb_new("r-2", 2);
	(void)rb_conn(r, TCP, OUT, "10.7.0.3", NULL, 22, 4, 4);
	CHECK_EQ(fx_apply_at(&f, r, now + 2000), REPORT_STATUS_COMMITTED);
	CHECK_EQ(events_of(&f, "archived_device_activity", 4000005006LL), 2);
	CHECK_EQ(q_int(&f, "SELECT status = 'unauthorized' FROM devices "
	    "WHERE id = (SELECT device_id FROM addresses WHERE value = "
	    "'10.7.0.3')"), 1);
	CHECK_EQ(holder(&f, "10.7.0.3"), peer);
	/* active again: it counts towards max_devices and stays */
	CHECK_EQ(engine_tick(f.e, now + 120000), 0);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices WHERE status = "
	    "'archived'"), 0);
	rb_free(r);
	fx_close(&f);
}

static void
test_device_set_by_network(void)
{
	struct fx f;
	long long now = testutil_now_ms();
	struct engine_device_select sel = { .subnet = "10.8.0.0/24" };
	struct engine_device_edit d = { .status = "authorized",
	    .vendor = "Acme" };
	struct engine_device_result res;
	const char *keys[] = { "ENG-WS-014" };
	char agent[16], mac[32], ip[32];
	long long before;

	fx_open(&f);
	for (int i = 0; i < 5; i++) {
		(void)snprintf(agent, sizeof(agent), "n-%d", i);
		(void)snprintf(mac, sizeof(mac), "aa:bb:cc:08:00:%02d", i);
		(void)snprintf(ip, sizeof(ip), "10.8.%d.%d", i < 4 ? 0 : 1,
		    i + 1);
		apply_host(&f, agent, 1, mac, ip, now);
	}
	CHECK_EQ(engine_device_set(f.e, &sel, &d, now, &res), 0);
	CHECK_EQ(res.matched, 4);
	CHECK_EQ(res.changed, 4);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM map_nodes WHERE status = "
	    "'authorized' AND vendor = 'Acme'"), 4);
	CHECK_EQ(events_of(&f, "device_attributes_changed", 4000005004LL), 4);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE category = "
	    "'device_attributes_changed' AND description = 'set by an "
	    "administrator: status ''authorized'' (was ''unauthorized'') "
	    "vendor ''Acme'' (was ''Dell Inc.'')'"), 4);
	/* again: matched, nothing changed, nothing registered */
	CHECK_EQ(engine_device_set(f.e, &sel, &d, now, &res), 0);
	CHECK_EQ(res.matched, 4);
	CHECK_EQ(res.changed, 0);
	CHECK_EQ(events_of(&f, "device_attributes_changed", 4000005004LL), 4);
	/* nothing in the network, a bad status, an ambiguous name: no
	   change at all */
	before = all_rows(&f);
	sel.subnet = "10.99.0.0/16";
	CHECK_EQ(engine_device_set(f.e, &sel, &d, now, &res), -ENOENT);
	CHECK(res.bad == NULL);
	sel.subnet = "10.8.0.0/24";
	d.status = "gone";
	CHECK_EQ(engine_device_set(f.e, &sel, &d, now, &res), -EINVAL);
	CHECK(res.bad == d.status);
	d.status = "unauthorized";
	sel.subnet = NULL;
	sel.keys = keys;
	sel.n_keys = 1;
	CHECK_EQ(engine_device_set(f.e, &sel, &d, now, &res), -EEXIST);
	CHECK_EQ(res.named, 5);
	CHECK_EQ(all_rows(&f), before);
	fx_close(&f);
}

int
main(void)
{
	RUN(test_ip_of_authorized_device_conflicts);
	RUN(test_ip_set_by_hand_conflicts);
	RUN(test_ip_moves_and_new_ip_for_known_mac);
	RUN(test_peer_ip_on_another_mac);
	RUN(test_archive_events_and_pool);
	RUN(test_both_pools_at_their_caps);
	RUN(test_archived_device_activity);
	RUN(test_device_set_by_network);
	return 0;
}
