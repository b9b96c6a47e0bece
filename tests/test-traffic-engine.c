/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine_traffic_apply() (issue 13) on a real SQLite file: devices
 * from traffic by the identity rules, vendors that lose to EPP, routers,
 * ARP bindings, IP conflicts and moves by the rules of EPP data (issue
 * 12), archived devices seen again, and traffic winning over EPP in
 * map_edges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "testutil.h"
#include "traffic.h"

#define NOW	1700000000000LL

static void
host(struct traffic_host *h, const char *ip, const char *mac,
    const char *vendor)
{
	memset(h, 0, sizeof(*h));
	(void)snprintf(h->ip, sizeof(h->ip), "%s", ip);
	(void)snprintf(h->mac, sizeof(h->mac), "%s", mac);
	(void)snprintf(h->vendor, sizeof(h->vendor), "%s", vendor);
}

static struct traffic_flow
flow(const char *sip, const char *smac, const char *dip, const char *dmac,
    enum traffic_proto p, uint16_t port, const char *app)
{
	struct traffic_flow f;

	memset(&f, 0, sizeof(f));
	host(&f.src, sip, smac, "");
	host(&f.dst, dip, dmac, "");
	f.protocol = p;
	f.port = port;
	(void)snprintf(f.app_protocol, sizeof(f.app_protocol), "%s", app);
	f.packets = 10;
	f.bytes = 1000;
	f.first_seen_ms = NOW - 5000;
	f.last_seen_ms = NOW - 1000;
	return f;
}

static struct traffic_result
apply(struct fx *x, struct traffic_batch *b)
{
	struct traffic_result res;

	memset(&res, 0, sizeof(res));
	if (b->point[0] == '\0')
		(void)snprintf(b->point, sizeof(b->point), "span1");
	CHECK_EQ(engine_traffic_apply(x->e, b, NOW, &res), 0);
	return res;
}

static void
test_flow_creates_devices_and_edge(void)
{
	struct fx x;
	struct traffic_flow f = flow("10.0.0.1", "00:1b:1b:00:00:01",
	    "10.0.0.2", "00:0e:8c:00:00:02", TRAFFIC_PROTO_TCP, 502, "Modbus");
	struct traffic_batch b = { .flows = &f, .n_flows = 1 };
	struct traffic_result res;

	fx_open(&x);
	(void)snprintf(f.dst.vendor, sizeof(f.dst.vendor), "Siemens AG");
	res = apply(&x, &b);
	CHECK_EQ(res.devices_added, 2);
	CHECK_EQ(res.interactions_added, 1);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM devices WHERE source = "
	    "'traffic'"), 2);
	check_text(&x, "SELECT app_protocol FROM map_edges", "Modbus");
	check_text(&x, "SELECT source || ' ' || protocol || ' ' || port || ' ' "
	    "|| packets || ' ' || bytes FROM map_edges", "traffic tcp 502 10 "
	    "1000");
	check_text(&x, "SELECT s.ip || ' ' || d.ip FROM map_edges e JOIN "
	    "map_nodes s ON s.device_id = e.src_device_id JOIN map_nodes d ON "
	    "d.device_id = e.dst_device_id", "10.0.0.1 10.0.0.2");
	check_text(&x, "SELECT vendor FROM map_nodes WHERE ip = '10.0.0.2'",
	    "Siemens AG");
	CHECK_EQ(q_int(&x, "SELECT first_seen_ms FROM map_edges"), NOW - 5000);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE category = "
	    "'device_added' AND description LIKE '%from traffic data%'"), 2);
	/* the same interaction again adds up, no new device or edge */
	res = apply(&x, &b);
	CHECK_EQ(res.devices_added, 0);
	CHECK_EQ(res.interactions_added, 0);
	CHECK_EQ(q_int(&x, "SELECT packets FROM map_edges"), 20);
	CHECK_EQ(res.flows_applied, 1);
	/* a record that adds up 7 flows of the interaction counts 7 */
	f.flows = 7;
	res = apply(&x, &b);
	CHECK_EQ(res.flows_applied, 7);
	CHECK_EQ(q_int(&x, "SELECT packets FROM map_edges"), 30);
	fx_close(&x);
}

static void
test_traffic_wins_over_epp(void)
{
	struct fx x;
	rb_report *r = host_report("agent-1", 1, "00:1b:1b:00:00:10",
	    "10.0.1.10");
	struct traffic_flow f = flow("10.0.1.10", "00:1b:1b:00:00:10",
	    "10.0.1.20", "00:0e:8c:00:00:20", TRAFFIC_PROTO_TCP, 102, "S7Comm");
	struct traffic_batch b = { .flows = &f, .n_flows = 1 };

	fx_open(&x);
	(void)rb_conn(r, TCP, OUT, "10.0.1.20", "00:0e:8c:00:00:20", 102, 3,
	    4);
	CHECK_EQ(fx_apply(&x, r), REPORT_STATUS_COMMITTED);
	check_text(&x, "SELECT source FROM map_edges", "epp");
	(void)apply(&x, &b);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM interactions"), 2);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM map_edges"), 1);
	check_text(&x, "SELECT source || ' ' || packets || ' ' || app_protocol "
	    "FROM map_edges", "traffic 10 S7Comm");
	/* the agent's device and the peer were found, not duplicated */
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM devices"), 2);
	rb_free(r);
	fx_close(&x);
}

static void
test_epp_vendor_wins(void)
{
	struct fx x;
	rb_report *r = host_report("agent-2", 1, "00:1b:1b:00:00:30",
	    "10.0.2.30");
	struct traffic_binding a;
	struct traffic_batch b = { .bindings = &a, .n_bindings = 1 };

	fx_open(&x);
	CHECK_EQ(fx_apply(&x, r), REPORT_STATUS_COMMITTED);
	check_text(&x, "SELECT vendor FROM map_nodes", "Dell Inc.");
	memset(&a, 0, sizeof(a));
	host(&a.host, "10.0.2.30", "00:1b:1b:00:00:30", "Siemens AG");
	a.seen_ms = NOW;
	(void)apply(&x, &b);
	check_text(&x, "SELECT vendor FROM map_nodes", "Dell Inc.");
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM device_attributes WHERE "
	    "name = 'vendor' AND source = 'traffic' AND value = "
	    "'Siemens AG'"), 1);
	rb_free(r);
	fx_close(&x);
}

static void
test_router_fronts_ips(void)
{
	struct fx x;
	struct traffic_flow f[5];
	struct traffic_router rt;
	struct traffic_batch b = { .flows = f, .n_flows = 4 };
	char ip[32];

	fx_open(&x);
	/* four IPs behind one MAC: still a host's own MAC */
	for (int i = 0; i < 5; i++) {
		(void)snprintf(ip, sizeof(ip), "172.16.%d.1", i);
		f[i] = flow(ip, "00:00:0c:00:00:01", "10.0.3.1",
		    "00:1b:1b:00:00:31", TRAFFIC_PROTO_TCP, 443, "TLS");
	}
	(void)apply(&x, &b);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM addresses a JOIN addresses m "
	    "ON m.device_id = a.device_id WHERE m.value = "
	    "'00:00:0c:00:00:01' AND a.kind = 'ipv4'"), 4);
	/* the fifth: a router, the IPs leave its device */
	memset(&rt, 0, sizeof(rt));
	(void)snprintf(rt.mac, sizeof(rt.mac), "00:00:0c:00:00:01");
	(void)snprintf(rt.vendor, sizeof(rt.vendor), "Cisco Systems, Inc");
	for (int i = 0; i < 5; i++)
		(void)snprintf(rt.ips[i], sizeof(rt.ips[i]), "172.16.%d.1", i);
	rt.n_ips = 5;
	rt.seen_ms = NOW;
	for (int i = 0; i < 5; i++)
		f[i].src.mac[0] = '\0';
	memset(&b, 0, sizeof(b));
	b.routers = &rt;
	b.n_routers = 1;
	b.flows = f;
	b.n_flows = 5;
	(void)apply(&x, &b);
	check_text(&x, "SELECT category || ' ' || COALESCE(ip, '-') || ' ' || "
	    "vendor FROM map_nodes WHERE mac = '00:00:0c:00:00:01'",
	    "network_device - Cisco Systems, Inc");
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM map_nodes WHERE ip LIKE "
	    "'172.16.%' AND mac IS NULL"), 5);
	/* edges of the flows since: from each IP's own device */
	CHECK_EQ(q_int(&x, "SELECT COUNT(DISTINCT e.src_device_id) FROM "
	    "map_edges e JOIN map_nodes n ON n.device_id = e.src_device_id "
	    "WHERE n.ip LIKE '172.16.%' AND n.mac IS NULL"), 5);
	fx_close(&x);
}

static void
test_arp_binds_and_new_ip_event(void)
{
	struct fx x;
	struct traffic_binding a;
	struct traffic_flow f = flow("10.0.4.9", "", "10.0.4.1",
	    "00:1b:1b:00:00:41", TRAFFIC_PROTO_UDP, 47808, "BACnet");
	struct traffic_batch b = { .flows = &f, .n_flows = 1 };

	fx_open(&x);
	(void)apply(&x, &b);
	/* a MAC-less device for 10.0.4.9, then ARP says its MAC */
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM map_nodes WHERE ip = "
	    "'10.0.4.9' AND mac IS NULL"), 1);
	memset(&b, 0, sizeof(b));
	memset(&a, 0, sizeof(a));
	host(&a.host, "10.0.4.9", "00:1b:1b:00:00:49", "");
	a.seen_ms = NOW;
	b.bindings = &a;
	b.n_bindings = 1;
	(void)apply(&x, &b);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM map_nodes WHERE ip = "
	    "'10.0.4.9' AND mac = '00:1b:1b:00:00:49'"), 1);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM devices"), 2);
	/* the known MAC shows a new IP: ip_moved (4000005007 after #12) */
	host(&a.host, "10.0.4.10", "00:1b:1b:00:00:49", "");
	(void)apply(&x, &b);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE category = "
	    "'ip_moved' AND description LIKE '%10.0.4.10%'"), 1);
	/* another MAC shows 10.0.4.1 of an unauthorized device: it moves */
	host(&a.host, "10.0.4.1", "00:1b:1b:00:00:99", "");
	(void)apply(&x, &b);
	(void)apply(&x, &b);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005005"), 0);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005007 AND description LIKE 'new IP address 10.0.4.1 %moved from%'"), 1);
	CHECK_EQ(holder(&x, "10.0.4.1"), holder(&x, "00:1b:1b:00:00:99"));
	check_text(&x, "SELECT mac FROM map_nodes WHERE ip = '10.0.4.1'",
	    "00:1b:1b:00:00:99");
	/* and it is no longer the old device's primary IP */
	CHECK_EQ(q_int(&x, "SELECT ip IS NULL FROM map_nodes WHERE mac = "
	    "'00:1b:1b:00:00:41'"), 1);
	fx_close(&x);
}

/* One ARP binding of ip to mac, applied at now_ms. */
static void
apply_binding(struct fx *x, const char *ip, const char *mac,
    long long now_ms)
{
	struct traffic_binding a;
	struct traffic_batch b = { .bindings = &a, .n_bindings = 1 };
	struct traffic_result res;

	memset(&a, 0, sizeof(a));
	host(&a.host, ip, mac, "");
	a.seen_ms = now_ms;
	(void)snprintf(b.point, sizeof(b.point), "span1");
	memset(&res, 0, sizeof(res));
	CHECK_EQ(engine_traffic_apply(x->e, &b, now_ms, &res), 0);
}

/* engine_device_set() of one key with status and ip (either NULL). */
static int
set_one(struct fx *x, const char *key, const char *status, const char *ip)
{
	const char *keys[] = { key };
	struct engine_device_select sel = { .keys = keys, .n_keys = 1 };
	struct engine_device_edit d = { .status = status, .ip = ip };
	struct engine_device_result res;

	return engine_device_set(x->e, &sel, &d, NOW, &res);
}

static void
test_ip_of_authorized_device_conflicts(void)
{
	struct fx x;
	long long a;
	char *text;

	fx_open(&x);
	apply_binding(&x, "10.0.5.1", "00:1b:1b:00:00:51", NOW);
	a = holder(&x, "10.0.5.1");
	CHECK_EQ(set_one(&x, "00:1b:1b:00:00:51", "authorized", NULL), 0);
	/* another MAC shows it in traffic: it stays, a conflict */
	apply_binding(&x, "10.0.5.1", "00:1b:1b:00:00:59", NOW + 1000);
	CHECK_EQ(holder(&x, "10.0.5.1"), a);
	CHECK(holder(&x, "00:1b:1b:00:00:59") != a);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005005"), 1);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005007"), 0);
	CHECK_EQ(q_int(&x, "SELECT device_id FROM event_log WHERE code = "
	    "4000005005"), holder(&x, "00:1b:1b:00:00:59"));
	text = q_text(&x, "SELECT description FROM event_log WHERE code = "
	    "4000005005");
	CHECK(text != NULL && strstr(text, "IP address 10.0.5.1 is held by "
	    "device") != NULL && strstr(text, "(authorized) and is also used "
	    "by device") != NULL && strstr(text, "(MAC 00:1b:1b:00:00:59)") !=
	    NULL);
	free(text);
	check_text(&x, "SELECT mac FROM map_nodes WHERE ip = '10.0.5.1'",
	    "00:1b:1b:00:00:51");
	CHECK_EQ(q_int(&x, "SELECT ip IS NULL FROM map_nodes WHERE mac = "
	    "'00:1b:1b:00:00:59'"), 1);
	/* while it lasts: once an hour, not once a batch */
	apply_binding(&x, "10.0.5.1", "00:1b:1b:00:00:59", NOW + 120000);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005005"), 1);
	apply_binding(&x, "10.0.5.1", "00:1b:1b:00:00:59", NOW + 7200000);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005005"), 2);
	CHECK_EQ(holder(&x, "10.0.5.1"), a);
	fx_close(&x);
}

static void
test_ip_set_by_hand_conflicts(void)
{
	struct fx x;
	long long a;
	char *text;

	fx_open(&x);
	apply_binding(&x, "10.0.6.1", "00:1b:1b:00:00:61", NOW);
	a = holder(&x, "10.0.6.1");
	/* unauthorized, but the administrator gives it 10.0.6.9 by hand */
	CHECK_EQ(set_one(&x, "00:1b:1b:00:00:61", NULL, "10.0.6.9"), 0);
	check_text(&x, "SELECT source FROM addresses WHERE value = "
	    "'10.0.6.9'", "manual");
	apply_binding(&x, "10.0.6.9", "00:1b:1b:00:00:69", NOW + 1000);
	CHECK_EQ(holder(&x, "10.0.6.9"), a);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005005"), 1);
	text = q_text(&x, "SELECT description FROM event_log WHERE code = "
	    "4000005005");
	CHECK(text != NULL && strstr(text, "(set by hand)") != NULL);
	free(text);
	/* its IP from traffic is not set by hand: that one moves */
	apply_binding(&x, "10.0.6.1", "00:1b:1b:00:00:69", NOW + 2000);
	CHECK(holder(&x, "10.0.6.1") != a);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005005"), 1);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005007 AND description LIKE 'new IP address 10.0.6.1 %'"), 1);
	fx_close(&x);
}

static void
test_archived_device_in_traffic(void)
{
	struct fx x;
	struct traffic_flow f = flow("10.0.7.1", "00:1b:1b:00:00:71",
	    "10.0.7.2", "", TRAFFIC_PROTO_TCP, 502, "Modbus");
	struct traffic_batch b = { .flows = &f, .n_flows = 1 };
	char *text;

	fx_open(&x);
	(void)apply(&x, &b);
	CHECK_EQ(set_one(&x, "00:1b:1b:00:00:71", "archived", NULL), 0);
	CHECK_EQ(set_one(&x, "10.0.7.2", "archived", NULL), 0);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM devices WHERE status = "
	    "'archived'"), 2);
	/* both show activity in traffic: unauthorized, one event each */
	(void)apply(&x, &b);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005006 AND category = 'archived_device_activity'"), 2);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM devices WHERE status = "
	    "'unauthorized'"), 2);
	text = q_text(&x, "SELECT description FROM event_log WHERE code = "
	    "4000005006 AND device_id = (SELECT device_id FROM addresses "
	    "WHERE value = '00:1b:1b:00:00:71')");
	CHECK(text != NULL && strstr(text, "was seen in traffic at monitoring "
	    "point 'span1': it is unauthorized now") != NULL);
	free(text);
	/* the same devices, no new ones; once only */
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM devices"), 2);
	(void)apply(&x, &b);
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4000005006"), 2);
	fx_close(&x);
}

static void
test_silence_event(void)
{
	struct fx x;

	fx_open(&x);
	CHECK_EQ(engine_traffic_silence(x.e, "span1", 300, NOW - 400000, NOW),
	    0);
	check_text(&x, "SELECT code || ' ' || severity FROM event_log",
	    "4000002700 warning");
	CHECK_EQ(q_int(&x, "SELECT COUNT(*) FROM event_log WHERE description "
	    "LIKE '%''span1''%'"), 1);
	fx_close(&x);
}

int
main(void)
{
	RUN(test_flow_creates_devices_and_edge);
	RUN(test_traffic_wins_over_epp);
	RUN(test_epp_vendor_wins);
	RUN(test_router_fronts_ips);
	RUN(test_arp_binds_and_new_ip_event);
	RUN(test_ip_of_authorized_device_conflicts);
	RUN(test_ip_set_by_hand_conflicts);
	RUN(test_archived_device_in_traffic);
	RUN(test_silence_event);
	return 0;
}
