/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the interactions of a group-commit batch written at its end,
 * merged by interaction (issue 17), through the engine on real SQLite
 * files: the same reports applied one per batch and all in one batch give
 * the same rows, with counters that add up and seen times that widen; a
 * batch larger than the queue; and a report that fails inside a batch,
 * rolled back alone while the merged interactions of the others stay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "strbuf.h"
#include "testutil.h"

#define ICMP	KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP
#define AGENTS	6
#define MAX_REPORTS	512

/* What a reader sees after COMMIT: every row of the tables the
   connections write, and the renderers' view of the edges. */
static const char *const dumps[] = {
	"SELECT * FROM interactions ORDER BY 1, 2, 3, 4, 5",
	"SELECT * FROM map_edges ORDER BY 1, 2, 3, 4, 5",
	"SELECT id, status, ip, mac, source, created_ms, last_seen_ms "
	    "FROM devices ORDER BY id",
	"SELECT device_id, kind, value, source, first_seen_ms, last_seen_ms "
	    "FROM addresses ORDER BY value",
	"SELECT device_id, code, description FROM events ORDER BY id",
	"SELECT agent_id, device_id, sequence FROM agents ORDER BY agent_id",
};

#define N_DUMPS	(sizeof(dumps) / sizeof(dumps[0]))

/* Every row of sql on f's reader, one line each; the caller frees it. */
static char *
dump(struct fx *f, const char *sql)
{
	struct strbuf b;
	sqlite3_stmt *st;
	char *text;

	strbuf_init(&b);
	CHECK(sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			(void)strbuf_printf(&b, "%s%s", i > 0 ? "|" : "",
			    t != NULL ? (const char *)t : "NULL");
		}
		(void)strbuf_append(&b, "\n");
	}
	(void)sqlite3_finalize(st);
	CHECK(b.error == 0);
	text = strdup(strbuf_str(&b));
	CHECK(text != NULL);
	strbuf_fini(&b);
	return text;
}

/* Aborts unless a and b hold the same rows in every table of dumps[]. */
static void
check_same_rows(struct fx *a, struct fx *b)
{
	for (size_t i = 0; i < N_DUMPS; i++) {
		char *x = dump(a, dumps[i]), *y = dump(b, dumps[i]);

		if (strcmp(x, y) != 0) {
			(void)fprintf(stderr, "%s\n-- one:\n%s-- other:\n%s",
			    dumps[i], x, y);
			abort();
		}
		free(x);
		free(y);
	}
}

/* A connection of r to or from service port, with its seen times. */
static void
conn(rb_report *r, int protocol, int direction, const char *ip,
    const char *mac, uint32_t port, uint64_t packets, long long first,
    long long last)
{
	Kics__Epp__V1__Connection *k = rb_conn(r, protocol, direction, ip,
	    mac, port, packets, packets + 1);

	k->first_seen_ms = first;
	k->last_seen_ms = last;
	if (direction == IN) {
		/* the service is here, the peer's port is its own */
		k->local_port = port;
		k->remote_port = 50000 + port;
	}
}

/*
 * Two reports of each of AGENTS agents (host info first): connections
 * that repeat inside a report, across an agent's two reports and across
 * agents (one's inbound RDP is its neighbour's outbound RDP; the
 * neighbour may not have reported yet, so the peer made from its IP
 * becomes its device), a peer with
 * a MAC and ones without, ICMP, and a one-way connection that makes
 * nothing. Returns how many reports it wrote to reps.
 */
static size_t
make_reports(rb_report **reps, long long now)
{
	size_t n = 0;

	for (int seq = 1; seq <= 2; seq++) {
		for (int i = 0; i < AGENTS; i++) {
			char agent[32], mac[32], ip[32], next[32], prev[32];
			long long t = now - 60000 * (3 - seq) - i * 10;
			rb_report *r;

			(void)snprintf(agent, sizeof(agent), "agent-%d", i);
			(void)snprintf(mac, sizeof(mac), "02:00:00:00:01:%02x",
			    i + 1);
			(void)snprintf(ip, sizeof(ip), "10.1.0.%d", i + 1);
			(void)snprintf(next, sizeof(next), "10.1.0.%d",
			    (i + 1) % AGENTS + 1);
			(void)snprintf(prev, sizeof(prev), "10.1.0.%d",
			    (i + AGENTS - 1) % AGENTS + 1);
			r = seq == 1 ? host_report(agent, 1, mac, ip) :
			    rb_new(agent, 2);
			conn(r, TCP, OUT, "10.9.0.1", "02:00:00:00:09:01", 445,
			    10 + i, t - 5000, t - 100);
			conn(r, TCP, OUT, "10.9.0.1", "02:00:00:00:09:01", 445,
			    7, t - 9000 + seq, t - 200);
			conn(r, UDP, OUT, "10.9.0.2", NULL, 53, 2 * seq, t - 50,
			    t - 40);
			conn(r, TCP, IN, next, NULL, 3389, 100 + seq, t - 30000,
			    t - 20);
			conn(r, TCP, OUT, prev, NULL, 3389, 50 + i, t - 40000,
			    t - 10);
			conn(r, ICMP, OUT, "10.9.0.3", NULL, 0, 3, t - 10, t);
			(void)rb_conn(r, UDP, OUT, "10.9.0.4", NULL, 514, 5, 0);
			reps[n++] = r;
		}
	}
	return n;
}

/*
 * Applies reps[0 … n) at now in batches of batch reports (marking
 * bad one validated so that the engine does not check it); writes the
 * statuses to ret_status.
 */
static void
apply(struct fx *f, rb_report **reps, size_t n, size_t batch, long long now,
    const rb_report *bad, enum report_status *ret_status)
{
	static struct engine_report er[MAX_REPORTS];

	CHECK(n <= MAX_REPORTS);
	for (size_t i = 0; i < n; i += batch) {
		size_t k = n - i < batch ? n - i : batch;

		memset(er, 0, k * sizeof(er[0]));
		for (size_t j = 0; j < k; j++) {
			er[j].report = reps[i + j];
			er[j].validated = reps[i + j] == bad;
		}
		CHECK_EQ(engine_apply_batch(f->e, er, k, now), 0);
		for (size_t j = 0; j < k; j++)
			ret_status[i + j] = er[j].status;
	}
}

static void
check_all_committed(const enum report_status *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(st[i], REPORT_STATUS_COMMITTED);
}

/*
 * Sum of packets, both ways, of the bidirectional connections of reps to
 * service port (with ip unless NULL), and their earliest first and latest last seen.
 */
static long long
sent_to(rb_report **reps, size_t n, const char *ip, uint32_t port,
    long long *ret_first, long long *ret_last)
{
	long long sum = 0;

	*ret_first = -1;
	*ret_last = -1;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < reps[i]->n_connections; j++) {
			const Kics__Epp__V1__Connection *k =
			    reps[i]->connections[j];

			uint32_t service = k->direction == OUT ?
			    k->remote_port : k->local_port;

			if ((ip != NULL && strcmp(k->remote_address, ip) != 0) ||
			    service != port || k->packets_sent == 0 ||
			    k->packets_received == 0)
				continue;
			sum += (long long)(k->packets_sent +
			    k->packets_received);
			if (*ret_first < 0 || k->first_seen_ms < *ret_first)
				*ret_first = k->first_seen_ms;
			if (k->last_seen_ms > *ret_last)
				*ret_last = k->last_seen_ms;
		}
	}
	return sum;
}

static void
free_reports(rb_report **reps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rb_free(reps[i]);
}

/* One report per batch and all in one batch: the same rows. */
static void
test_batch_same_rows(void)
{
	static enum report_status st[MAX_REPORTS];
	rb_report *reps[2 * AGENTS];
	long long now = testutil_now_ms(), first, last, sum;
	struct fx one, all, three;
	char sql[256];
	size_t n;

	n = make_reports(reps, now);
	fx_open(&one);
	fx_open(&all);
	fx_open(&three);
	apply(&one, reps, n, 1, now, NULL, st);
	check_all_committed(st, n);
	apply(&all, reps, n, n, now, NULL, st);
	check_all_committed(st, n);
	apply(&three, reps, n, 3, now, NULL, st);
	check_all_committed(st, n);
	check_same_rows(&one, &all);
	check_same_rows(&one, &three);
	/* and they are the sums of what the reports said */
	sum = sent_to(reps, n, "10.9.0.1", 445, &first, &last);
	(void)snprintf(sql, sizeof(sql), "SELECT SUM(packets) || ' ' || "
	    "MIN(first_seen_ms) || ' ' || MAX(last_seen_ms) FROM interactions "
	    "WHERE dst_device_id = (SELECT device_id FROM addresses "
	    "WHERE value = '02:00:00:00:09:01') AND port = 445");
	{
		char want[96];

		(void)snprintf(want, sizeof(want), "%lld %lld %lld", sum,
		    first, last);
		check_text(&all, sql, want);
	}
	/* one row per agent and peer: 2 reports x 2 connections merged */
	CHECK_EQ(q_int(&all, "SELECT COUNT(*) FROM interactions WHERE "
	    "port = 445"), AGENTS);
	/* an agent's inbound RDP is its neighbour's outbound: one row each,
	   of both reports of both agents */
	CHECK_EQ(q_int(&all, "SELECT COUNT(*) FROM interactions WHERE "
	    "port = 3389"), AGENTS);
	CHECK_EQ(q_int(&all, "SELECT SUM(packets) FROM interactions WHERE "
	    "port = 3389"), sent_to(reps, n, NULL, 3389, &first, &last));
	CHECK_EQ(q_int(&all, "SELECT MIN(first_seen_ms) FROM interactions "
	    "WHERE port = 3389"), first);
	CHECK_EQ(q_int(&all, "SELECT COUNT(*) FROM interactions WHERE "
	    "port = 514"), 0);
	fx_close(&one);
	fx_close(&all);
	fx_close(&three);
	free_reports(reps, n);
}

/*
 * More distinct interactions in one batch than the queue holds (4,096):
 * written when full, the same rows as one report per batch.
 */
static void
test_batch_queue_full(void)
{
	static enum report_status st[MAX_REPORTS];
	static rb_report *reps[MAX_REPORTS];
	long long now = testutil_now_ms();
	struct fx one, all;
	size_t n = 360;

	/* 120 agents, 3 reports each: 40 interactions per agent */
	for (size_t i = 0; i < n; i++) {
		char agent[32], ip[32];

		(void)snprintf(agent, sizeof(agent), "agent-%zu", i % 120);
		reps[i] = rb_new(agent, 1 + i / 120);
		for (int j = 0; j < 20; j++) {
			(void)snprintf(ip, sizeof(ip), "10.%zu.%d.%d",
			    20 + i % 120, j, (int)(i / 120) % 2 + 1);
			conn(reps[i], TCP, OUT, ip, NULL, 502, 1 + j, now - 1000,
			    now - (long long)i);
		}
	}
	fx_open(&one);
	fx_open(&all);
	apply(&one, reps, n, 1, now, NULL, st);
	check_all_committed(st, n);
	apply(&all, reps, n, n, now, NULL, st);
	check_all_committed(st, n);
	CHECK_EQ(q_int(&all, "SELECT COUNT(*) FROM interactions"), 4800);
	check_same_rows(&one, &all);
	fx_close(&one);
	fx_close(&all);
	free_reports(reps, n);
}

/*
 * A report whose interaction the database refuses (a port beyond 65535,
 * let through as already validated) fails at the end of the batch: the
 * batch is applied again a report at a time and only that report is
 * rolled back, with its peers and events; the others' interactions,
 * merged across reports, are written once. Checked against the same
 * batch without the report.
 */
static void
test_failed_report_rolled_back(void)
{
	static enum report_status st[MAX_REPORTS];
	rb_report *reps[2 * AGENTS], *good[2 * AGENTS], *bad;
	long long now = testutil_now_ms();
	struct fx with, without;
	size_t n, n_good = 0, bad_at = AGENTS + 2;

	n = make_reports(reps, now);
	bad = reps[bad_at];
	/* a new peer first: its device must go with the report */
	(void)rb_conn(bad, TCP, OUT, "10.99.0.1", NULL, 80, 4, 4);
	(void)rb_conn(bad, TCP, OUT, "10.99.0.2", NULL, 70000, 4, 4);
	for (size_t i = 0; i < n; i++)
		if (i != bad_at)
			good[n_good++] = reps[i];
	fx_open(&with);
	fx_open(&without);
	apply(&with, reps, n, n, now, bad, st);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(st[i], i == bad_at ? REPORT_STATUS_FAILED :
		    REPORT_STATUS_COMMITTED);
	apply(&without, good, n_good, n_good, now, NULL, st);
	check_all_committed(st, n_good);
	check_same_rows(&with, &without);
	CHECK_EQ(q_int(&with, "SELECT COUNT(*) FROM addresses WHERE "
	    "value LIKE '10.99.%'"), 0);
	CHECK_EQ(q_int(&with, "SELECT sequence FROM agents WHERE "
	    "agent_id = 'agent-2'"), 1);
	fx_close(&with);
	fx_close(&without);
	free_reports(reps, n);
}

int
main(void)
{
	RUN(test_batch_same_rows);
	RUN(test_batch_queue_full);
	RUN(test_failed_report_rolled_back);
	return 0;
}
