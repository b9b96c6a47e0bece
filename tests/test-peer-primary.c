/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the peer cache's primary bit (issue 17) on a real SQLite file:
 * store_device_set_primary() runs no statement for a peer seen again on
 * the IP and MAC its devices row already shows, and still writes every
 * change after the primary IP moved by a report, by hand, by traffic or
 * was undone by a rollback; and, at the store, random moves, drops,
 * traffic fills and rollbacks never make it skip an update it needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "store.h"
#include "testutil.h"
#include "traffic.h"

#define MAC_P	"aa:bb:cc:18:00:50"	/* the peer of every scenario */

/* Aborts unless device id shows ip as its primary IP ("": none). */
static void
check_ip(struct fx *f, long long id, const char *ip)
{
	char sql[160];
	char *got;

	(void)snprintf(sql, sizeof(sql), "SELECT ip FROM devices WHERE id = "
	    "%lld", id);
	got = q_text(f, sql);
	if (strcmp(got != NULL ? got : "", ip) != 0) {
		(void)fprintf(stderr, "device %lld: ip '%s', want '%s'\n", id,
		    got != NULL ? got : "", ip);
		abort();
	}
	free(got);
}

static uint64_t
skips(struct fx *f)
{
	struct engine_peer_cache_stats st;

	engine_peer_cache_stats(f->e, &st);
	return st.primary_skips;
}

/* Agent agent's report seq at at: one connection to the peer at ip. */
static enum report_status
peer_at(struct fx *f, const char *agent, uint64_t seq, const char *ip,
    int port, long long at)
{
	return fx_connect(f, agent, seq, ip, MAC_P, port, at);
}

/* Agent h-1 on its host, then its peer at ip twice: cached, bit set. */
static long long
peer_known(struct fx *f, const char *ip, long long now)
{
	long long p;

	apply_host(f, "h-1", 1, "aa:bb:cc:18:00:01", "10.18.0.1", now);
	CHECK_EQ(peer_at(f, "h-1", 2, ip, 502, now + 1),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(peer_at(f, "h-1", 3, ip, 502, now + 2),
	    REPORT_STATUS_COMMITTED);
	p = holder(f, MAC_P);
	CHECK(p > 0 && holder(f, ip) == p);
	check_ip(f, p, ip);
	return p;
}

static void
test_peer_seen_again_runs_no_statement(void)
{
	struct fx f;
	long long now = testutil_now_ms(), p;
	uint64_t before;

	fx_open(&f);
	p = peer_known(&f, "10.18.0.50", now);
	before = skips(&f);
	CHECK(before >= 1);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(peer_at(&f, "h-1", (uint64_t)(4 + i), "10.18.0.50",
		    502, now + 3 + i), REPORT_STATUS_COMMITTED);
	/* one spared statement per report, and the row still right */
	CHECK_EQ(skips(&f), before + 5);
	check_ip(&f, p, "10.18.0.50");
	check_text(&f, "SELECT mac FROM devices WHERE ip = '10.18.0.50'",
	    MAC_P);
	fx_close(&f);
}

/*
 * The MAC's IP goes X, Y, X, Y: the bit of X, set while X was primary,
 * must go when Y becomes primary, or X would not come back.
 */
static void
test_ip_alternating_on_one_mac(void)
{
	static const char *const ips[] = { "10.18.1.51", "10.18.1.50",
	    "10.18.1.51", "10.18.1.50", "10.18.1.50" };
	struct fx f;
	long long now = testutil_now_ms(), p;

	fx_open(&f);
	p = peer_known(&f, "10.18.1.50", now);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(peer_at(&f, "h-1", (uint64_t)(4 + i), ips[i], 502,
		    now + 3 + i), REPORT_STATUS_COMMITTED);
		CHECK_EQ(holder(&f, ips[i]), p);
		check_ip(&f, p, ips[i]);
	}
	fx_close(&f);
}

/* An IP set by hand becomes primary; the report's IP then comes back. */
static void
test_ip_set_by_hand_then_reported(void)
{
	const char *keys[] = { MAC_P };
	struct engine_device_select sel = { .keys = keys, .n_keys = 1 };
	struct engine_device_edit d = { .ip = "10.18.2.77" };
	struct engine_device_result res;
	struct fx f;
	long long now = testutil_now_ms(), p;

	fx_open(&f);
	p = peer_known(&f, "10.18.2.50", now);
	CHECK_EQ(engine_device_set(f.e, &sel, &d, now + 3, &res), 0);
	CHECK_EQ(res.changed, 1);
	check_ip(&f, p, "10.18.2.77");
	CHECK_EQ(peer_at(&f, "h-1", 4, "10.18.2.50", 502, now + 4),
	    REPORT_STATUS_COMMITTED);
	check_ip(&f, p, "10.18.2.50");
	/* and the hand-set one again, by a report this time */
	CHECK_EQ(peer_at(&f, "h-1", 5, "10.18.2.77", 502, now + 5),
	    REPORT_STATUS_COMMITTED);
	check_ip(&f, p, "10.18.2.77");
	fx_close(&f);
}

/* Traffic binds the peer's IP to another MAC; a report takes it back. */
static void
test_ip_taken_by_traffic_then_reported(void)
{
	struct traffic_binding a;
	struct traffic_batch b = { .bindings = &a, .n_bindings = 1 };
	struct traffic_result tr;
	struct fx f;
	long long now = testutil_now_ms(), p, t;

	fx_open(&f);
	p = peer_known(&f, "10.18.3.50", now);
	memset(&a, 0, sizeof(a));
	(void)snprintf(a.host.ip, sizeof(a.host.ip), "10.18.3.50");
	(void)snprintf(a.host.mac, sizeof(a.host.mac), "aa:bb:cc:18:03:99");
	a.seen_ms = now + 3;
	(void)snprintf(b.point, sizeof(b.point), "span1");
	memset(&tr, 0, sizeof(tr));
	CHECK_EQ(engine_traffic_apply(f.e, &b, now + 3, &tr), 0);
	t = holder(&f, "aa:bb:cc:18:03:99");
	CHECK(t > 0 && t != p);
	CHECK_EQ(holder(&f, "10.18.3.50"), t);
	check_ip(&f, p, "");
	check_ip(&f, t, "10.18.3.50");
	CHECK_EQ(peer_at(&f, "h-1", 4, "10.18.3.50", 502, now + 4),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(holder(&f, "10.18.3.50"), p);
	check_ip(&f, p, "10.18.3.50");
	CHECK_EQ(peer_at(&f, "h-1", 5, "10.18.3.50", 502, now + 5),
	    REPORT_STATUS_COMMITTED);
	check_ip(&f, p, "10.18.3.50");
	fx_close(&f);
}

/*
 * A report that made Y primary is rolled back after Y's bit was set: the
 * row says X again, so the next report on Y must write.
 */
static void
test_rolled_back_primary(void)
{
	struct fx f;
	long long now = testutil_now_ms(), p;
	rb_report *r;

	fx_open(&f);
	p = peer_known(&f, "10.18.4.50", now);
	/* Y on the peer too, then X primary again: both cached */
	CHECK_EQ(peer_at(&f, "h-1", 4, "10.18.4.51", 502, now + 3),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(peer_at(&f, "h-1", 5, "10.18.4.50", 502, now + 4),
	    REPORT_STATUS_COMMITTED);
	check_ip(&f, p, "10.18.4.50");
	fx_fail_port_9999(&f);
	r = rb_new("h-1", 6);
	(void)rb_conn(r, TCP, OUT, "10.18.4.51", MAC_P, 502, 3, 2);
	(void)rb_conn(r, TCP, OUT, "10.18.4.51", MAC_P, 9999, 3, 2);
	CHECK_EQ(fx_apply_at(&f, r, now + 5), REPORT_STATUS_FAILED);
	rb_free(r);
	check_ip(&f, p, "10.18.4.50");
	CHECK_EQ(peer_at(&f, "h-1", 6, "10.18.4.51", 502, now + 6),
	    REPORT_STATUS_COMMITTED);
	check_ip(&f, p, "10.18.4.51");
	fx_close(&f);
}

/* --- at the store: random operations against the row itself --------- */

#define R_DEVICES	4
#define R_IPS		5
#define R_MACS		3
#define R_STEPS		1000

struct rnd {
	struct store	*s;
	int64_t		dev[R_DEVICES];
	unsigned	seed;
	int64_t		now;
};

static const char *const r_ips[R_IPS] = { "10.19.0.1", "10.19.0.2",
    "10.19.0.3", "fd00::19:1", "fd00::19:2" };
static const char *const r_macs[R_MACS] = { "aa:bb:cc:19:00:01",
    "aa:bb:cc:19:00:02", "aa:bb:cc:19:00:03" };

static const char *
r_kind(const char *ip)
{
	return strchr(ip, ':') != NULL ? "ipv6" : "ipv4";
}

/* Looks every address up, so that the cache holds them with their bits. */
static void
r_lookup_all(struct rnd *x)
{
	struct store_holder h;

	for (int i = 0; i < R_IPS; i++)
		(void)store_address_holder(x->s, r_ips[i], &h);
	for (int i = 0; i < R_MACS; i++)
		(void)store_address_holder(x->s, r_macs[i], &h);
}

/* A random IP and MAC for a primary (each maybe none). */
static void
r_pick(struct rnd *x, const char **ret_ip, const char **ret_mac)
{
	int i = rand_r(&x->seed) % (R_IPS + 1);
	int m = rand_r(&x->seed) % (R_MACS + 2);

	*ret_ip = i < R_IPS ? r_ips[i] : NULL;
	*ret_mac = m < R_MACS ? r_macs[m] : NULL;
}

/*
 * Sets the primary ip and mac of device d, twice (the second time is the
 * fast path when d holds both), and checks each time that the row, read
 * on the same connection, says so: a wrong skip would leave the old value.
 */
static void
r_set_primary(struct rnd *x, int64_t d, const char *ip, const char *mac)
{
	struct store_device dv;

	for (int k = 0; k < 2; k++) {
		CHECK_EQ(store_device_set_primary(x->s, d, ip, mac), 0);
		CHECK_EQ(store_device_get(x->s, d, &dv), 0);
		if (ip != NULL)
			CHECK(dv.ip != NULL && strcmp(dv.ip, ip) == 0);
		if (mac != NULL)
			CHECK(dv.mac != NULL && strcmp(dv.mac, mac) == 0);
		store_device_clear(&dv);
	}
}

/*
 * One random step that may change who holds what or the rows' columns,
 * then a random primary of the device it changed; returns that device.
 */
static int64_t
r_step(struct rnd *x)
{
	int64_t d = x->dev[rand_r(&x->seed) % R_DEVICES], from;
	const char *ip = r_ips[rand_r(&x->seed) % R_IPS];
	const char *mac = r_macs[rand_r(&x->seed) % R_MACS];
	const char *pip, *pmac;

	x->now += rand_r(&x->seed) % (2 * STORE_TOUCH_MS);
	r_lookup_all(x);
	switch (rand_r(&x->seed) % 5) {
	case 0:
		CHECK(store_address_put(x->s, d, r_kind(ip), ip, NULL,
		    STORE_SOURCE_EPP, x->now, &from) >= 0);
		break;
	case 1:
		CHECK(store_address_put(x->s, d, "mac", mac, NULL,
		    STORE_SOURCE_EPP, x->now, &from) >= 0);
		break;
	case 2:
		/* also an IP the device still holds: another one may follow,
		   and the dropped one must then be written again */
		CHECK_EQ(store_device_drop_primary_ip(x->s, d, ip), 0);
		r_set_primary(x, d, ip, NULL);
		break;
	case 3:
		CHECK_EQ(store_traffic_fill_primary(x->s, d,
		    rand_r(&x->seed) % 2 ? ip : NULL,
		    rand_r(&x->seed) % 2 ? mac : NULL), 0);
		break;
	default:
		break;
	}
	r_lookup_all(x);
	r_pick(x, &pip, &pmac);
	r_set_primary(x, d, pip, pmac);
	return d;
}

static void
test_random_never_skips_a_needed_update(void)
{
	char *dir = testutil_mkdtemp(), path[4096];
	struct store_peer_cache_stats st;
	struct rnd x = { .seed = 18, .now = 1790000000000LL };
	const char *ip, *mac;
	int64_t d;

	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", dir);
	CHECK_EQ(store_open(path, NULL, 0, &x.s), 0);
	for (int i = 0; i < R_DEVICES; i++)
		CHECK_EQ(store_device_insert(x.s, STORE_SOURCE_EPP, x.now,
		    &x.dev[i]), 0);
	for (int step = 0; step < R_STEPS; step++) {
		bool tx = rand_r(&x.seed) % 2;
		int undo = rand_r(&x.seed) % 4;

		if (tx)
			CHECK_EQ(store_begin(x.s), 0);
		d = r_step(&x);
		if (tx && undo == 0) {
			/* a primary set, then undone as a failed report is;
			   the same one must then be written again */
			CHECK_EQ(store_savepoint(x.s), 0);
			r_pick(&x, &ip, &mac);
			r_set_primary(&x, d, ip, mac);
			CHECK_EQ(store_savepoint_rollback(x.s), 0);
			r_lookup_all(&x);
			r_set_primary(&x, d, ip, mac);
		}
		if (tx)
			CHECK_EQ(undo == 1 ? store_rollback(x.s) :
			    store_commit(x.s), 0);
		r_lookup_all(&x);
		r_pick(&x, &ip, &mac);
		r_set_primary(&x, x.dev[rand_r(&x.seed) % R_DEVICES], ip, mac);
	}
	/* the fast path was taken, often, and the checks still held */
	store_peer_cache_stats(x.s, &st);
	CHECK(st.primary_skips > R_STEPS / 4);
	store_free(x.s);
	testutil_rmtree(dir);
	free(dir);
}

int
main(void)
{
	RUN(test_peer_seen_again_runs_no_statement);
	RUN(test_ip_alternating_on_one_mac);
	RUN(test_ip_set_by_hand_then_reported);
	RUN(test_ip_taken_by_traffic_then_reported);
	RUN(test_rolled_back_primary);
	RUN(test_random_never_skips_a_needed_update);
	return 0;
}
