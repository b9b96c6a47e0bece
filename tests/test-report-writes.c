/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of what a report leaves alone when nothing changed (issue 17),
 * through the engine on a real SQLite file: its device's last_seen_ms
 * moves on once a minute, not per report, also after a peer's connection
 * moved it, with a trigger of the test counting the updates of the row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "store.h"
#include "testutil.h"

static long long
last_seen(struct fx *f, long long id)
{
	char sql[96];

	(void)snprintf(sql, sizeof(sql), "SELECT last_seen_ms FROM devices "
	    "WHERE id = %lld", id);
	return q_int(f, sql);
}

static long long
updates_of(struct fx *f, long long id)
{
	char sql[96];

	(void)snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM t_updates "
	    "WHERE id = %lld", id);
	return q_int(f, sql);
}

/* Agent agent's report seq at at, with one event and nothing else. */
static void
report_at(struct fx *f, const char *agent, uint64_t seq, long long at)
{
	rb_report *r = rb_new(agent, seq);
	char id[32];

	(void)snprintf(id, sizeof(id), "ev-%llu", (unsigned long long)seq);
	(void)rb_event(r, id, "scan_completed", "scan completed");
	CHECK_EQ(fx_apply_at(f, r, at), REPORT_STATUS_COMMITTED);
	rb_free(r);
}

static void
test_own_device_touched_once_a_minute(void)
{
	struct fx f;
	long long t0 = testutil_now_ms() - 10 * STORE_TOUCH_MS, d;

	fx_open(&f);
	apply_host(&f, "w-1", 1, "aa:bb:cc:21:00:01", "10.21.0.1", t0);
	d = holder(&f, "aa:bb:cc:21:00:01");
	CHECK_EQ(last_seen(&f, d), t0);
	count_device_updates(&f);
	/* within the minute: the row is not written */
	report_at(&f, "w-1", 2, t0 + 1000);
	report_at(&f, "w-1", 3, t0 + STORE_TOUCH_MS);
	CHECK_EQ(last_seen(&f, d), t0);
	CHECK_EQ(updates_of(&f, d), 0);
	/* past it: written once, then not again within the next minute */
	report_at(&f, "w-1", 4, t0 + STORE_TOUCH_MS + 1);
	CHECK_EQ(last_seen(&f, d), t0 + STORE_TOUCH_MS + 1);
	CHECK_EQ(updates_of(&f, d), 1);
	report_at(&f, "w-1", 5, t0 + 2 * STORE_TOUCH_MS);
	CHECK_EQ(last_seen(&f, d), t0 + STORE_TOUCH_MS + 1);
	report_at(&f, "w-1", 6, t0 + 3 * STORE_TOUCH_MS);
	CHECK_EQ(last_seen(&f, d), t0 + 3 * STORE_TOUCH_MS);
	CHECK_EQ(updates_of(&f, d), 2);
	fx_close(&f);
}

/*
 * Another agent's connection to the device moves its last_seen_ms; the
 * device's own next report starts from that value, whichever is newer.
 */
static void
test_peer_touch_then_own_report(void)
{
	struct fx f;
	long long t0 = testutil_now_ms() - 10 * STORE_TOUCH_MS, a, b;
	Kics__Epp__V1__Connection *k;
	rb_report *r;

	fx_open(&f);
	apply_host(&f, "w-1", 1, "aa:bb:cc:21:01:01", "10.21.1.1", t0);
	apply_host(&f, "w-2", 1, "aa:bb:cc:21:01:02", "10.21.1.2", t0);
	a = holder(&f, "aa:bb:cc:21:01:01");
	b = holder(&f, "aa:bb:cc:21:01:02");
	r = rb_new("w-2", 2);
	k = rb_conn(r, TCP, OUT, "10.21.1.1", NULL, 502, 3, 2);
	k->first_seen_ms = t0 + 2 * STORE_TOUCH_MS - 5000;
	k->last_seen_ms = t0 + 2 * STORE_TOUCH_MS - 1000;
	CHECK_EQ(fx_apply_at(&f, r, t0 + 2 * STORE_TOUCH_MS),
	    REPORT_STATUS_COMMITTED);
	rb_free(r);
	CHECK_EQ(last_seen(&f, a), t0 + 2 * STORE_TOUCH_MS - 1000);
	CHECK_EQ(last_seen(&f, b), t0 + 2 * STORE_TOUCH_MS);
	count_device_updates(&f);
	/* a's own report within a minute of the peer's touch: no write */
	report_at(&f, "w-1", 2, t0 + 2 * STORE_TOUCH_MS + 30000);
	CHECK_EQ(last_seen(&f, a), t0 + 2 * STORE_TOUCH_MS - 1000);
	CHECK_EQ(updates_of(&f, a), 0);
	report_at(&f, "w-1", 3, t0 + 3 * STORE_TOUCH_MS);
	CHECK_EQ(last_seen(&f, a), t0 + 3 * STORE_TOUCH_MS);
	CHECK_EQ(updates_of(&f, a), 1);
	fx_close(&f);
}

int
main(void)
{
	RUN(test_own_device_touched_once_a_minute);
	RUN(test_peer_touch_then_own_report);
	return 0;
}
