/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fault injection for the engine (STYLE.md §7, after SQLite's
 * do_faultsim_test): SQLite's allocator is swapped for one that fails the
 * Nth allocation, and a batch of reports is applied again and again with
 * N = 1, 2, 3 … until a run no longer reaches N. Every run must end in a
 * clean state: the batch either committed or failed as a whole report by
 * report (never half a report), the database passes its integrity checks
 * (FTS5 included), and a failed report left no row behind. The same for
 * a batch of monitoring-point traffic (issue 13): it is stored whole or
 * not at all. ASan checks that no run leaks.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "sqlite-fault.h"
#include "testutil.h"
#include "traffic.h"

#define FAULT_MAX_RUNS	20000	/* a bound, far above what a batch needs */
#define FAULT_CHECK_EVERY 25	/* runs between whole-file checks */

/* q_int_path() with no fault armed: the checks themselves never fail. */
static long long
q_val(const char *path, const char *sql)
{
	CHECK(!sqlite_fault_armed());
	return q_int_path(path, sql);
}

static void
check_integrity(const char *path)
{
	sqlite3 *db;

	CHECK(!sqlite_fault_armed());
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "INSERT INTO events_fts (events_fts) "
	    "VALUES ('integrity-check')", NULL, NULL, NULL) == SQLITE_OK);
	(void)sqlite3_close(db);
	CHECK(q_val(path, "SELECT COUNT(*) FROM pragma_integrity_check "
	    "WHERE integrity_check <> 'ok'") == 0);
	CHECK(q_val(path, "SELECT COUNT(*) FROM pragma_foreign_key_check") ==
	    0);
}

/* A new computer with events and peers, and a known one that changes. */
static void
make_batch(int run, rb_report **ret)
{
	char id[32], mac[32], ip[32], eid[32];
	rb_report *r;

	(void)snprintf(id, sizeof(id), "fault-%d", run);
	(void)snprintf(mac, sizeof(mac), "02:fa:00:00:%02x:%02x",
	    (run >> 8) & 0xff, run & 0xff);
	(void)snprintf(ip, sizeof(ip), "10.77.%d.%d", (run >> 8) & 0xff,
	    run & 0xff);
	r = rb_new(id, 1);
	(void)rb_host(r, "FAULT-HOST", "Windows Server 2022", "10.0.20348",
	    mac, ip);
	rb_app(r, "Kaspersky Endpoint Security", "12.3");
	for (int i = 0; i < 3; i++) {
		(void)snprintf(eid, sizeof(eid), "e%d", i);
		(void)rb_event(r, eid, i == 0 ? "network_attack" :
		    "threat_detected", "injected fault run");
	}
	(void)snprintf(ip, sizeof(ip), "10.78.%d.%d", (run >> 8) & 0xff,
	    run & 0xff);
	(void)rb_conn(r, TCP, OUT, ip, NULL, 502, 4, 4);
	ret[0] = r;

	r = rb_new("fault-steady", (uint64_t)run + 2);
	(void)rb_host(r, "STEADY", "Windows 10 Enterprise", run % 2 ?
	    "10.0.19045" : "10.0.19044", "02:fa:ff:ff:ff:01", "10.76.0.1");
	(void)snprintf(eid, sizeof(eid), "s%d", run);
	(void)rb_event(r, eid, "file_modified", "steady agent");
	ret[1] = r;
}

static void
test_every_sqlite_allocation_failure(void)
{
	char *dir = testutil_mkdtemp(), path[512], sql[256];
	struct event_types *types = NULL;
	struct engine_config cfg;
	struct engine *e = NULL;
	struct diag *d = diag_new();
	rb_report *seed = rb_new("fault-steady", 1);
	struct engine_report first = { .report = seed };
	int run, failed_runs = 0;

	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", dir);
	CHECK(d != NULL);
	CHECK_EQ(event_types_load_default(d, &types), 0);
	engine_config_init(&cfg);
	cfg.max_agents = FAULT_MAX_RUNS + 1;	/* each run is a new computer */
	CHECK_EQ(engine_open(path, &cfg, types, &e), 0);
	(void)rb_host(seed, "STEADY", "Windows 10 Enterprise", "10.0.19044",
	    "02:fa:ff:ff:ff:01", "10.76.0.1");
	CHECK_EQ(engine_apply_batch(e, &first, 1, testutil_now_ms()), 0);
	rb_free(seed);

	for (run = 0; run < FAULT_MAX_RUNS; run++) {
		rb_report *batch[2];
		struct engine_report er[2];
		long long events_before;
		long hits;
		int r;

		make_batch(run, batch);
		memset(er, 0, sizeof(er));
		er[0].report = batch[0];
		er[1].report = batch[1];
		events_before = q_val(path, "SELECT COUNT(*) FROM events");
		sqlite_fault_arm(run);
		r = engine_apply_batch(e, er, 2, testutil_now_ms());
		hits = sqlite_fault_disarm();

		/* the engine answers for every report, never half of one */
		for (int i = 0; i < 2; i++) {
			if (er[i].status != REPORT_STATUS_COMMITTED &&
			    er[i].status != REPORT_STATUS_FAILED)
				(void)fprintf(stderr, "run %d report %d: status "
				    "%d (%s), batch %d\n", run, i,
				    (int)er[i].status, er[i].reason, r);
			CHECK(er[i].status == REPORT_STATUS_COMMITTED ||
			    er[i].status == REPORT_STATUS_FAILED);
			(void)snprintf(sql, sizeof(sql), "SELECT COUNT(*) "
			    "FROM agents WHERE agent_id = '%s' AND "
			    "sequence = %llu", batch[i]->agent_id,
			    (unsigned long long)batch[i]->sequence);
			CHECK_EQ(q_val(path, sql),
			    er[i].status == REPORT_STATUS_COMMITTED);
			if (er[i].status == REPORT_STATUS_FAILED)
				CHECK(strstr(er[i].reason, "storage") != NULL);
		}
		if (r < 0) {
			CHECK(er[0].status == REPORT_STATUS_FAILED &&
			    er[1].status == REPORT_STATUS_FAILED);
			CHECK_EQ(q_val(path, "SELECT COUNT(*) FROM events"),
			    events_before);
		}
		/* the whole-file checks are slow: every few runs and last */
		if (run % FAULT_CHECK_EVERY == 0 || hits == 0) {
			check_integrity(path);
			CHECK_EQ(q_val(path, "SELECT COUNT(*) FROM events"),
			    q_val(path, "SELECT COUNT(*) FROM events WHERE id "
			    "IN (SELECT rowid FROM events_fts)"));
		}
		failed_runs += hits > 0 &&
		    (er[0].status == REPORT_STATUS_FAILED ||
		    er[1].status == REPORT_STATUS_FAILED);
		rb_free(batch[0]);
		rb_free(batch[1]);
		if (hits == 0)
			break;	/* the batch needs fewer allocations than run */
	}
	CHECK(run < FAULT_MAX_RUNS);
	CHECK(failed_runs > 0);
	(void)fprintf(stderr, "fault runs: %d, of which %d failed a report\n",
	    run, failed_runs);
	/* and the engine still works */
	{
		rb_report *r = rb_new("fault-after", 1);
		struct engine_report er = { .report = r };

		(void)rb_host(r, "AFTER", "Windows 11 Pro", "10.0.22631",
		    "02:fa:ee:ee:ee:01", NULL);
		CHECK_EQ(engine_apply_batch(e, &er, 1, testutil_now_ms()), 0);
		CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
		rb_free(r);
	}
	engine_free(e);
	event_types_free(types);
	diag_free(d);
	testutil_rmtree(dir);
	free(dir);
}

/* Rows of the tables traffic writes, to prove a failed batch wrote none. */
static long long
traffic_rows(const char *path)
{
	return q_val(path, "SELECT (SELECT COUNT(*) FROM devices) + "
	    "(SELECT COUNT(*) FROM addresses) + (SELECT COUNT(*) FROM "
	    "interactions) + (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) "
	    "FROM device_attributes) + (SELECT SUM(last_seen_ms) FROM "
	    "devices) + (SELECT SUM(packets) FROM interactions)");
}

static void
traffic_host(struct traffic_host *h, const char *ip, const char *mac,
    const char *vendor)
{
	memset(h, 0, sizeof(*h));
	(void)snprintf(h->ip, sizeof(h->ip), "%s", ip);
	(void)snprintf(h->mac, sizeof(h->mac), "%s", mac);
	(void)snprintf(h->vendor, sizeof(h->vendor), "%s", vendor);
}

/*
 * Run n: a flow from a new host to a known one, and an ARP reply that
 * moves 10.79.0.1 between two MACs (an unauthorized holder: it moves).
 */
static void
make_traffic(int n, long long now, struct traffic_flow *f,
    struct traffic_binding *a, struct traffic_batch *b)
{
	char ip[TRAFFIC_IP_LEN], mac[TRAFFIC_MAC_LEN];

	(void)snprintf(ip, sizeof(ip), "10.79.%d.%d", 1 + ((n >> 8) & 0x7f),
	    n & 0xff);
	(void)snprintf(mac, sizeof(mac), "02:fb:00:00:%02x:%02x",
	    (unsigned)(n >> 8) & 0xff, (unsigned)n & 0xff);
	memset(f, 0, sizeof(*f));
	traffic_host(&f->src, ip, mac, "Fault Vendor");
	traffic_host(&f->dst, "10.79.0.2", "02:fb:ff:ff:ff:02", "Server Vendor");
	f->protocol = TRAFFIC_PROTO_TCP;
	f->port = 502;
	(void)snprintf(f->app_protocol, sizeof(f->app_protocol), "Modbus");
	f->packets = 4;
	f->bytes = 400;
	f->first_seen_ms = now - 1000;
	f->last_seen_ms = now;
	memset(a, 0, sizeof(*a));
	traffic_host(&a->host, "10.79.0.1", n % 2 ? "02:fb:ff:ff:ff:11" :
	    "02:fb:ff:ff:ff:12", "");
	a->seen_ms = now;
	memset(b, 0, sizeof(*b));
	(void)snprintf(b->point, sizeof(b->point), "fault");
	b->flows = f;
	b->n_flows = 1;
	b->bindings = a;
	b->n_bindings = 1;
}

static void
test_every_traffic_allocation_failure(void)
{
	char *dir = testutil_mkdtemp(), path[512];
	struct event_types *types = NULL;
	struct engine_config cfg;
	struct engine *e = NULL;
	struct diag *d = diag_new();
	struct traffic_flow f;
	struct traffic_binding a;
	struct traffic_batch b;
	struct traffic_result res;
	long long now = testutil_now_ms(), moved;
	int run, failed_runs = 0;

	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", dir);
	CHECK(d != NULL);
	CHECK_EQ(event_types_load_default(d, &types), 0);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(path, &cfg, types, &e), 0);
	make_traffic(0, now, &f, &a, &b);
	memset(&res, 0, sizeof(res));
	CHECK_EQ(engine_traffic_apply(e, &b, now, &res), 0);
	/*
	 * Both MACs of the ARP reply known from the start (an odd run, its
	 * host beyond the loop's), so that what the last batch adds does not
	 * hang on the parity of the run that first needed no allocation
	 * failure, which moves with SQLite's allocations (migration 0009).
	 */
	make_traffic(FAULT_MAX_RUNS + 1, now, &f, &a, &b);
	memset(&res, 0, sizeof(res));
	CHECK_EQ(engine_traffic_apply(e, &b, now, &res), 0);

	for (run = 1; run < FAULT_MAX_RUNS; run++) {
		long long before = traffic_rows(path);
		long hits;
		int r;

		make_traffic(run, now + run * 120000LL, &f, &a, &b);
		memset(&res, 0, sizeof(res));
		sqlite_fault_arm(run);
		r = engine_traffic_apply(e, &b, now + run * 120000LL, &res);
		hits = sqlite_fault_disarm();
		/* stored whole, or not at all */
		if (r < 0) {
			CHECK(hits > 0);
			CHECK_EQ(traffic_rows(path), before);
			failed_runs++;
		} else {
			CHECK_EQ(r, 0);
			CHECK_EQ(res.flows_applied, 1);
			CHECK(traffic_rows(path) > before);
		}
		if (run % FAULT_CHECK_EVERY == 0 || hits == 0)
			check_integrity(path);
		if (hits == 0)
			break;
	}
	CHECK(run < FAULT_MAX_RUNS);
	CHECK(failed_runs > 0);
	(void)fprintf(stderr, "traffic fault runs: %d, of which %d failed\n",
	    run, failed_runs);
	/* and the engine still works: the IP moved on every stored run */
	moved = q_val(path, "SELECT COUNT(*) FROM events WHERE category = "
	    "'ip_moved'");
	make_traffic(run + 1, now + (run + 1) * 120000LL, &f, &a, &b);
	memset(&res, 0, sizeof(res));
	CHECK_EQ(engine_traffic_apply(e, &b, now + (run + 1) * 120000LL, &res),
	    0);
	CHECK_EQ(res.devices_added, 1);
	CHECK(q_val(path, "SELECT COUNT(*) FROM events WHERE category = "
	    "'ip_moved'") > moved);
	engine_free(e);
	event_types_free(types);
	diag_free(d);
	testutil_rmtree(dir);
	free(dir);
}

int
main(void)
{
	sqlite_fault_install();
	RUN(test_every_sqlite_allocation_failure);
	RUN(test_every_traffic_allocation_failure);
	return 0;
}
