/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of peers resolved through the peer cache (issue 17), through the
 * engine on a real SQLite file: a peer's IP that moves to another device
 * (by a report or by device set), a report rolled back after it moved an
 * IP, and an archived peer, each looked up before the change so that the
 * cache holds the old answer; and interactions that add up in one row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "testutil.h"

#define DAY	86400000LL

/* Packets of the interaction src → dst on port (-1: none). */
static long long
packets(struct fx *f, long long src, long long dst, int port)
{
	char sql[256];

	(void)snprintf(sql, sizeof(sql), "SELECT packets FROM interactions "
	    "WHERE src_device_id = %lld AND dst_device_id = %lld "
	    "AND port = %d", src, dst, port);
	return q_int(f, sql);
}

/* Agent agent's report seq at at: one outbound TCP connection to ip. */
static enum report_status
connect_to(struct fx *f, const char *agent, uint64_t seq, const char *ip,
    int port, long long at)
{
	return fx_connect(f, agent, seq, ip, NULL, port, at);
}

static void
test_peer_follows_ip_moved_by_report(void)
{
	struct fx f;
	long long now = testutil_now_ms(), a, p, b;

	fx_open(&f);
	apply_host(&f, "m-1", 1, "aa:bb:cc:10:00:01", "10.10.0.1", now);
	a = holder(&f, "aa:bb:cc:10:00:01");
	CHECK_EQ(connect_to(&f, "m-1", 2, "10.10.0.50", 502, now + 1),
	    REPORT_STATUS_COMMITTED);
	p = holder(&f, "10.10.0.50");
	CHECK_EQ(connect_to(&f, "m-1", 3, "10.10.0.50", 502, now + 2),
	    REPORT_STATUS_COMMITTED);
	/* one interaction, the counters of both reports */
	CHECK_EQ(packets(&f, a, p, 502), 10);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), 1);
	/* another agent's host (found by its MAC) shows the unauthorized
	   peer's IP */
	apply_host(&f, "m-2", 1, "aa:bb:cc:10:00:02", "10.10.0.2", now + 3);
	b = holder(&f, "aa:bb:cc:10:00:02");
	CHECK(b != p && b > 0);
	apply_host(&f, "m-2", 2, "aa:bb:cc:10:00:02", "10.10.0.50", now + 3);
	CHECK_EQ(holder(&f, "10.10.0.50"), b);
	CHECK_EQ(connect_to(&f, "m-1", 4, "10.10.0.50", 8080, now + 4),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(packets(&f, a, b, 8080), 5);
	CHECK_EQ(packets(&f, a, p, 8080), -1);
	fx_close(&f);
}

static void
test_peer_follows_ip_set_by_hand(void)
{
	struct fx f;
	long long now = testutil_now_ms(), a, p, b;
	const char *keys[] = { "aa:bb:cc:11:00:02" };
	struct engine_device_select sel = { .keys = keys, .n_keys = 1 };
	struct engine_device_edit d = { .ip = "10.11.0.50" };
	struct engine_device_result res;

	fx_open(&f);
	apply_host(&f, "s-1", 1, "aa:bb:cc:11:00:01", "10.11.0.1", now);
	apply_host(&f, "s-2", 1, "aa:bb:cc:11:00:02", "10.11.0.2", now);
	a = holder(&f, "aa:bb:cc:11:00:01");
	b = holder(&f, "aa:bb:cc:11:00:02");
	CHECK_EQ(connect_to(&f, "s-1", 2, "10.11.0.50", 22, now + 1),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(connect_to(&f, "s-1", 3, "10.11.0.50", 22, now + 2),
	    REPORT_STATUS_COMMITTED);
	p = holder(&f, "10.11.0.50");
	CHECK_EQ(packets(&f, a, p, 22), 10);
	CHECK_EQ(engine_device_set(f.e, &sel, &d, now + 3, &res), 0);
	CHECK_EQ(holder(&f, "10.11.0.50"), b);
	CHECK_EQ(connect_to(&f, "s-1", 4, "10.11.0.50", 22, now + 4),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(packets(&f, a, b, 22), 5);
	CHECK_EQ(packets(&f, a, p, 22), 10);
	fx_close(&f);
}

static void
test_rolled_back_report_leaves_no_stale_peer(void)
{
	struct fx f;
	long long now = testutil_now_ms(), c, p, b, q;
	rb_report *r = host_report("r-2", 2, "aa:bb:cc:12:00:02", "10.12.0.50");

	fx_open(&f);
	apply_host(&f, "r-1", 1, "aa:bb:cc:12:00:01", "10.12.0.1", now);
	apply_host(&f, "r-2", 1, "aa:bb:cc:12:00:02", "10.12.0.2", now);
	c = holder(&f, "aa:bb:cc:12:00:01");
	b = holder(&f, "aa:bb:cc:12:00:02");
	CHECK_EQ(connect_to(&f, "r-1", 2, "10.12.0.50", 502, now + 1),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(connect_to(&f, "r-1", 3, "10.12.0.50", 502, now + 2),
	    REPORT_STATUS_COMMITTED);
	p = holder(&f, "10.12.0.50");
	fx_fail_port_9999(&f);
	/*
	 * r-2's device takes the peer's IP and finds it there through its
	 * own connection; a new peer is created and found again; then a
	 * storage error undoes the whole report, the new device's id
	 * included, after all of it was cached.
	 */
	(void)rb_conn(r, TCP, OUT, "10.12.0.50", NULL, 502, 3, 2);
	(void)rb_conn(r, TCP, OUT, "10.12.0.99", NULL, 502, 3, 2);
	(void)rb_conn(r, TCP, OUT, "10.12.0.99", NULL, 503, 3, 2);
	(void)rb_conn(r, TCP, OUT, "10.12.0.99", NULL, 9999, 3, 2);
	CHECK_EQ(fx_apply_at(&f, r, now + 3), REPORT_STATUS_FAILED);
	CHECK_EQ(holder(&f, "10.12.0.50"), p);
	CHECK_EQ(holder(&f, "10.12.0.99"), -1);
	/* the next device created gets the rolled-back id */
	q = q_int(&f, "SELECT MAX(id) + 1 FROM devices");
	CHECK_EQ(connect_to(&f, "r-1", 4, "10.12.0.60", 502, now + 4),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(holder(&f, "10.12.0.60"), q);
	CHECK_EQ(connect_to(&f, "r-1", 5, "10.12.0.50", 502, now + 5),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(packets(&f, c, p, 502), 15);
	CHECK_EQ(packets(&f, c, b, 502), -1);
	CHECK_EQ(connect_to(&f, "r-1", 6, "10.12.0.99", 502, now + 6),
	    REPORT_STATUS_COMMITTED);
	CHECK(holder(&f, "10.12.0.99") > q);
	CHECK_EQ(packets(&f, c, q, 502), 5);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM interactions"), 3);
	rb_free(r);
	fx_close(&f);
}

static void
test_archived_peer_cached_comes_back(void)
{
	struct fx f;
	long long now = testutil_now_ms(), p;

	fx_open(&f);
	apply_host(&f, "z-1", 1, "aa:bb:cc:13:00:01", "10.13.0.1", now);
	CHECK_EQ(connect_to(&f, "z-1", 2, "10.13.0.50", 502, now - 40 * DAY),
	    REPORT_STATUS_COMMITTED);
	p = holder(&f, "10.13.0.50");
	CHECK_EQ(connect_to(&f, "z-1", 3, "10.13.0.50", 502,
	    now - 40 * DAY + 1), REPORT_STATUS_COMMITTED);
	/* z-1's own device stays active: it reported now */
	while (engine_tick(f.e, now + 1000) == 1)
		;
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices WHERE status = "
	    "'archived'"), 1);
	check_text(&f, "SELECT status FROM devices WHERE id = (SELECT "
	    "device_id FROM addresses WHERE value = '10.13.0.50')", "archived");
	CHECK_EQ(connect_to(&f, "z-1", 4, "10.13.0.50", 502, now + 2000),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(holder(&f, "10.13.0.50"), p);
	check_text(&f, "SELECT status FROM devices WHERE id = (SELECT "
	    "device_id FROM addresses WHERE value = '10.13.0.50')",
	    "unauthorized");
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE category = "
	    "'archived_device_activity' AND code = 4000005006"), 1);
	fx_close(&f);
}

/*
 * Issue 17: a peer found again by its MAC, on the IP it already shows,
 * leaves its devices row alone (a trigger of the test counts the
 * updates) after the report that made it, and a new IP on the same MAC still becomes its primary IP.
 */
static void
test_known_peer_is_not_rewritten(void)
{
	struct fx f;
	long long now = testutil_now_ms(), p;
	rb_report *r;

	fx_open(&f);
	apply_host(&f, "k-1", 1, "aa:bb:cc:17:00:01", "10.17.0.1", now);
	for (int i = 0; i < 3; i++) {
		/* after the report that made the peer */
		if (i == 1)
			count_device_updates(&f);
		r = rb_new("k-1", (uint64_t)(2 + i));
		(void)rb_conn(r, TCP, OUT, "10.17.0.50", "aa:bb:cc:17:00:50",
		    502, 3, 2);
		CHECK_EQ(fx_apply_at(&f, r, now + 1 + i),
		    REPORT_STATUS_COMMITTED);
		rb_free(r);
	}
	p = holder(&f, "aa:bb:cc:17:00:50");
	CHECK(p > 0 && holder(&f, "10.17.0.50") == p);
	CHECK_EQ(packets(&f, holder(&f, "aa:bb:cc:17:00:01"), p, 502), 15);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM t_updates WHERE id IN "
	    "(SELECT device_id FROM addresses WHERE value = "
	    "'aa:bb:cc:17:00:50')"), 0);
	r = rb_new("k-1", 5);
	(void)rb_conn(r, TCP, OUT, "10.17.0.51", "aa:bb:cc:17:00:50", 502, 3,
	    2);
	CHECK_EQ(fx_apply_at(&f, r, now + 5), REPORT_STATUS_COMMITTED);
	rb_free(r);
	check_text(&f, "SELECT ip FROM devices WHERE mac = "
	    "'aa:bb:cc:17:00:50'", "10.17.0.51");
	fx_close(&f);
}

int
main(void)
{
	RUN(test_peer_follows_ip_moved_by_report);
	RUN(test_peer_follows_ip_set_by_hand);
	RUN(test_rolled_back_report_leaves_no_stale_peer);
	RUN(test_archived_peer_cached_comes_back);
	RUN(test_known_peer_is_not_rewritten);
	return 0;
}
