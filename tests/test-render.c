/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of map render and the filtered map export (issue 15) on a database
 * filled through the engine. With "--fill DIR" it only writes that fixture
 * to DIR/kics-epp.db for test-render.sh, which checks the pictures and the
 * filter sets through the kics-query binary; the tests here check the
 * library's errors and that a failed render leaves nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "traffic.h"
#include "query.h"
#include "query-fx.h"
#include "testutil.h"

#define WARN KICS__EPP__V1__EPP_EVENT__SEVERITY__WARNING
#define CRIT KICS__EPP__V1__EPP_EVENT__SEVERITY__CRITICAL
#define HOUR_MS 3600000LL

/* Sets the status and category of the device with IP ip, by hand. */
static void
edit(struct engine *e, const char *ip, const char *status,
    const char *category, long long now)
{
	const char *keys[] = { ip };
	struct engine_device_select sel = { .keys = keys, .n_keys = 1 };
	struct engine_device_edit d = { .status = status,
	    .category = category };
	struct engine_device_result res;

	CHECK_EQ(engine_device_set(e, &sel, &d, now, &res), 0);
	CHECK_EQ(res.matched, 1);
}

/*
 * PLC-GW to the router on tcp/22 as a monitoring point reports it: one
 * flow of traffic data, with the application protocol nDPI named.
 */
static void
traffic(struct engine *e, long long now)
{
	struct traffic_flow fl = { .protocol = TRAFFIC_PROTO_TCP, .port = 22,
	    .packets = 50, .bytes = 6400, .first_seen_ms = now - 60000,
	    .last_seen_ms = now };
	struct traffic_batch b = { .point = "render-test", .flows = &fl,
	    .n_flows = 1 };
	struct traffic_result res = { 0 };

	(void)snprintf(fl.src.ip, sizeof(fl.src.ip), "10.1.0.1");
	(void)snprintf(fl.src.mac, sizeof(fl.src.mac), "02:00:00:00:00:01");
	(void)snprintf(fl.dst.ip, sizeof(fl.dst.ip), "10.1.0.254");
	(void)snprintf(fl.app_protocol, sizeof(fl.app_protocol), "SSH");
	CHECK_EQ(engine_traffic_apply(e, &b, now, &res), 0);
	CHECK_EQ(res.flows_applied, 1);
	CHECK_EQ(res.interactions_added, 1);
}

/*
 * The fixture, 7 devices and 5 device pairs:
 *   PLC-GW 10.1.0.1     EPP connected, critical, authorized, workstation
 *   HIST-SRV 10.1.0.2   EPP connected, warning, unauthorized, server
 *   OLD-WS 10.2.0.3     EPP disconnected (reported 2 h ago), ok
 *   10.1.0.50           peer of PLC-GW on tcp/502 and tcp/102
 *   10.1.0.60           peer of HIST-SRV on udp/161
 *   10.2.0.70           peer of OLD-WS on tcp/445, 2 h ago
 *   10.1.0.254          router (network_device), PLC-GW to it on tcp/22,
 *                       traffic data (SSH) from a monitoring point
 *   PLC-GW <-> HIST-SRV tcp/445 one way and tcp/1433 the other
 */
static void
fill(struct engine *e, long long now)
{
	Kics__Epp__V1__Connection *k;
	rb_report *r;

	r = rb_new("agent-old", 1);
	(void)rb_host(r, "OLD-WS", "Windows 10 Enterprise", "10.0.19045",
	    "02:00:00:00:00:03", "10.2.0.3");
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	k = rb_conn(r, TCP, OUT, "10.2.0.70", NULL, 445, 5, 5);
	k->first_seen_ms = now - 2 * HOUR_MS - 60000;
	k->last_seen_ms = now - 2 * HOUR_MS;
	fx_commit(e, r, now - 2 * HOUR_MS);

	r = rb_new("agent-hist", 1);
	(void)rb_host(r, "HIST-SRV", "Windows Server 2019", "1809",
	    "02:00:00:00:00:02", "10.1.0.2");
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	rb_event(r, "h1", "firewall_blocked", "Blocked SNMP")->severity = WARN;
	(void)rb_conn(r, UDP, OUT, "10.1.0.60", NULL, 161, 4, 4);
	(void)rb_conn(r, TCP, OUT, "10.1.0.1", "02:00:00:00:00:01", 1433, 3,
	    3);
	fx_commit(e, r, now);

	r = rb_new("agent-plc", 1);
	(void)rb_host(r, "PLC-GW", "Windows 10 Enterprise", "10.0.19045",
	    "02:00:00:00:00:01", "10.1.0.1");
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	rb_event(r, "p1", "network_attack", "Modbus write & <script>")
	    ->severity = CRIT;
	(void)rb_conn(r, TCP, OUT, "10.1.0.50", NULL, 502, 1000, 900);
	(void)rb_conn(r, TCP, OUT, "10.1.0.50", NULL, 102, 10, 9);
	(void)rb_conn(r, TCP, OUT, "10.1.0.2", "02:00:00:00:00:02", 445, 3,
	    3);
	fx_commit(e, r, now);
	traffic(e, now);

	edit(e, "10.1.0.1", "authorized", NULL, now);
	edit(e, "10.1.0.254", NULL, "network_device", now);
}

/* Number of entries in dir besides . and .. */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	CHECK(d != NULL);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..")
		    != 0;
	(void)closedir(d);
	return n;
}

static void
test_render_counts(void)
{
	struct query_render_stats st;
	struct query_map_filter flt;
	struct query_fx f;
	char out[4200];
	struct stat sb;

	query_fx_open(&f, fill);
	query_map_filter_init(&flt);
	(void)snprintf(out, sizeof(out), "%s/map.SVG", f.dir);
	CHECK_EQ(query_map_render(f.db, &flt, out, &st), 0);
	CHECK_EQ(st.nodes, 7);
	CHECK_EQ(st.pairs, 5);
	CHECK(strcmp(st.layout, "dot") == 0);
	CHECK(st.layout_s >= 0 && st.render_s >= 0);
	CHECK(stat(out, &sb) == 0 && sb.st_size > 1000);
	flt.subnet = "10.1.0.0/24";
	CHECK_EQ(query_map_render(f.db, &flt, out, &st), 0);
	CHECK_EQ(st.nodes, 5);
	CHECK_EQ(st.pairs, 4);
	query_fx_close(&f);
}

static void
test_render_errors(void)
{
	struct query_map_filter flt;
	struct query_fx f;
	char out[4200], ro[4200];
	int before;

	query_fx_open(&f, fill);
	query_map_filter_init(&flt);
	before = entries(f.dir);
	(void)snprintf(out, sizeof(out), "%s/map.jpg", f.dir);
	CHECK_EQ(query_map_render(f.db, &flt, out, NULL), -EINVAL);
	CHECK(strstr(query_db_errmsg(f.db), "map.jpg") != NULL);
	(void)snprintf(out, sizeof(out), "%s/map", f.dir);
	CHECK_EQ(query_map_render(f.db, &flt, out, NULL), -EINVAL);
	flt.subnet = "10.1.0.0/33";
	(void)snprintf(out, sizeof(out), "%s/map.svg", f.dir);
	CHECK_EQ(query_map_render(f.db, &flt, out, NULL), -EINVAL);
	CHECK(strstr(query_db_errmsg(f.db), "10.1.0.0/33") != NULL);
	flt.subnet = "192.168.0.0/16";
	CHECK_EQ(query_map_render(f.db, &flt, out, NULL), -ENOENT);
	CHECK(strcmp(query_db_errmsg(f.db), "no devices match") == 0);
	CHECK_EQ(entries(f.dir), before);
	/* a missing directory and a directory without write permission */
	query_map_filter_init(&flt);
	(void)snprintf(out, sizeof(out), "%s/missing/map.svg", f.dir);
	CHECK_EQ(query_map_render(f.db, &flt, out, NULL), -EIO);
	CHECK(strstr(query_db_errmsg(f.db), "missing/map.svg") != NULL);
	(void)snprintf(ro, sizeof(ro), "%s/ro", f.dir);
	CHECK_EQ(mkdir(ro, 0500), 0);
	(void)snprintf(out, sizeof(out), "%s/ro/map.png", f.dir);
	if (geteuid() != 0) {
		CHECK_EQ(query_map_render(f.db, &flt, out, NULL), -EIO);
		CHECK_EQ(entries(ro), 0);
	}
	/* a device filtered out by another filter leaves nothing */
	flt.subnet = "10.2.0.0/24";
	flt.device_id = 1;
	flt.since_ms = testutil_now_ms() - HOUR_MS;
	(void)snprintf(out, sizeof(out), "%s/map.svg", f.dir);
	CHECK_EQ(query_map_render(f.db, &flt, out, NULL), -ENOENT);
	CHECK_EQ(entries(f.dir), before + 1);
	query_fx_close(&f);
}

/* An existing picture stays whole when the new one cannot be made. */
static void
test_render_keeps_old(void)
{
	struct query_map_filter flt;
	struct query_fx f;
	char out[4200];
	struct stat a, b;

	query_fx_open(&f, fill);
	query_map_filter_init(&flt);
	(void)snprintf(out, sizeof(out), "%s/map.png", f.dir);
	CHECK_EQ(query_map_render(f.db, &flt, out, NULL), 0);
	CHECK(stat(out, &a) == 0);
	flt.subnet = "172.16.0.0/12";
	CHECK_EQ(query_map_render(f.db, &flt, out, NULL), -ENOENT);
	CHECK(stat(out, &b) == 0);
	CHECK(a.st_size == b.st_size && a.st_mtime == b.st_mtime);
	query_fx_close(&f);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--fill") == 0) {
		fx_fill_dir(argv[2], fill);
		return 0;
	}
	test_render_counts();
	test_render_errors();
	test_render_keeps_old();
	(void)printf("render: all tests passed\n");
	return 0;
}
