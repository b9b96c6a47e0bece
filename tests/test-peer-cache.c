/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the peer cache (issue 17) on a real SQLite file: answers of
 * store_address_holder() come from the cache and stay what the database
 * says after IP and MAC moves, status changes, touches, a changed source,
 * traffic's new addresses, pruned devices, rollbacks (full and to a savepoint, with reused device
 * ids) and evictions, checked against a second, read-only connection.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "testutil.h"

#define T0	1790000000000LL

struct pc {
	char		*dir;
	char		*path;
	struct store	*s;
	sqlite3		*db;	/* the truth, read beside the store */
};

static void
pc_open(struct pc *p)
{
	p->dir = testutil_mkdtemp();
	CHECK((p->path = malloc(strlen(p->dir) + 16)) != NULL);
	(void)sprintf(p->path, "%s/kics-epp.db", p->dir);
	CHECK_EQ(store_open(p->path, NULL, 0, &p->s), 0);
	CHECK(sqlite3_open_v2(p->path, &p->db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
}

static void
pc_close(struct pc *p)
{
	(void)sqlite3_close(p->db);
	store_free(p->s);
	testutil_rmtree(p->dir);
	free(p->dir);
	free(p->path);
}

static struct store_peer_cache_stats
stats(struct pc *p)
{
	struct store_peer_cache_stats st;

	store_peer_cache_stats(p->s, &st);
	return st;
}

static int64_t
device_new(struct pc *p)
{
	int64_t id;

	CHECK_EQ(store_device_insert(p->s, STORE_SOURCE_EPP, T0, &id), 0);
	return id;
}

static void
put_at(struct pc *p, int64_t id, const char *kind, const char *value,
    int64_t now_ms)
{
	int64_t from;

	CHECK(store_address_put(p->s, id, kind, value, NULL, STORE_SOURCE_EPP,
	    now_ms, &from) >= 0);
}

static void
put(struct pc *p, int64_t id, const char *kind, const char *value)
{
	put_at(p, id, kind, value, T0);
}

/* The holder of value through the store (and so the cache). */
static struct store_holder
held(struct pc *p, const char *value)
{
	struct store_holder h;

	CHECK_EQ(store_address_holder(p->s, value, &h), 0);
	return h;
}

/*
 * Checks the store's answer for value against the committed database
 * (call outside transactions).
 */
static void
check_truth(struct pc *p, const char *value)
{
	sqlite3_stmt *st;
	struct store_holder h;
	int r = store_address_holder(p->s, value, &h);

	CHECK(sqlite3_prepare_v2(p->db, "SELECT a.device_id, d.last_seen_ms, "
	    "d.status, a.source, EXISTS (SELECT 1 FROM addresses m WHERE "
	    "m.device_id = a.device_id AND m.kind = 'mac'), a.last_seen_ms "
	    "FROM addresses a "
	    "JOIN devices d ON d.id = a.device_id WHERE a.value = ?1", -1, &st,
	    NULL) == SQLITE_OK);
	(void)sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		CHECK_EQ(r, -ENOENT);
	} else {
		CHECK_EQ(r, 0);
		CHECK_EQ(h.device_id, sqlite3_column_int64(st, 0));
		CHECK_EQ(h.last_seen_ms, sqlite3_column_int64(st, 1));
		CHECK(strcmp(store_status_names[h.status],
		    (const char *)sqlite3_column_text(st, 2)) == 0);
		CHECK(strcmp(store_source_names[h.source],
		    (const char *)sqlite3_column_text(st, 3)) == 0);
		CHECK_EQ(h.has_mac, sqlite3_column_int(st, 4));
		/* it may lag, never lead */
		CHECK(h.addr_seen_ms <= sqlite3_column_int64(st, 5));
	}
	(void)sqlite3_finalize(st);
}

static void
test_second_lookup_is_a_hit(void)
{
	struct pc p;
	int64_t a;
	struct store_holder h;

	pc_open(&p);
	a = device_new(&p);
	put(&p, a, "ipv4", "10.1.0.1");
	CHECK_EQ(store_address_holder(p.s, "10.9.9.9", &h), -ENOENT);
	CHECK_EQ(held(&p, "10.1.0.1").device_id, a);
	CHECK_EQ(stats(&p).hits, 0);
	CHECK_EQ(stats(&p).entries, 1);
	CHECK_EQ(held(&p, "10.1.0.1").device_id, a);
	CHECK_EQ(stats(&p).hits, 1);
	/* device lookups share it */
	CHECK_EQ(store_address_device(p.s, "10.1.0.1", &a), 0);
	CHECK_EQ(stats(&p).hits, 2);
	/* unknown addresses are not cached */
	CHECK_EQ(store_address_holder(p.s, "10.9.9.9", &h), -ENOENT);
	CHECK_EQ(stats(&p).entries, 1);
	pc_close(&p);
}

/* Last_seen_ms of address value in the database. */
static int64_t
addr_seen(struct pc *p, const char *value)
{
	sqlite3_stmt *st;
	int64_t r = -1;

	CHECK(sqlite3_prepare_v2(p->db, "SELECT last_seen_ms FROM addresses "
	    "WHERE value = ?1", -1, &st, NULL) == SQLITE_OK);
	(void)sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		r = sqlite3_column_int64(st, 0);
	(void)sqlite3_finalize(st);
	return r;
}

/*
 * Issue 17: an address its device showed again within STORE_TOUCH_MS is
 * answered by the cache (a hit, no write); later, the address's
 * last_seen_ms moves forward in the database and in the cache alike.
 */
static void
test_known_address_is_not_written(void)
{
	struct pc p;
	int64_t a;
	uint64_t hits;

	pc_open(&p);
	a = device_new(&p);
	put(&p, a, "ipv4", "10.1.0.9");
	CHECK_EQ(held(&p, "10.1.0.9").addr_seen_ms, T0);
	hits = stats(&p).hits;
	put_at(&p, a, "ipv4", "10.1.0.9", T0 + 1000);
	CHECK_EQ(stats(&p).hits, hits + 1);
	CHECK_EQ(addr_seen(&p, "10.1.0.9"), T0);
	put_at(&p, a, "ipv4", "10.1.0.9", T0 + STORE_TOUCH_MS + 1);
	CHECK_EQ(addr_seen(&p, "10.1.0.9"), T0 + STORE_TOUCH_MS + 1);
	CHECK_EQ(held(&p, "10.1.0.9").addr_seen_ms, T0 + STORE_TOUCH_MS + 1);
	put_at(&p, a, "ipv4", "10.1.0.9", T0 + STORE_TOUCH_MS + 2);
	CHECK_EQ(addr_seen(&p, "10.1.0.9"), T0 + STORE_TOUCH_MS + 1);
	check_truth(&p, "10.1.0.9");
	pc_close(&p);
}

static void
test_ip_moves_to_new_holder(void)
{
	struct pc p;
	int64_t a, b;

	pc_open(&p);
	a = device_new(&p);
	b = device_new(&p);
	put(&p, a, "ipv4", "10.1.0.2");
	CHECK_EQ(held(&p, "10.1.0.2").device_id, a);
	put(&p, b, "ipv4", "10.1.0.2");
	CHECK_EQ(held(&p, "10.1.0.2").device_id, b);
	check_truth(&p, "10.1.0.2");
	/* and back, by the device lookup too */
	put(&p, a, "ipv4", "10.1.0.2");
	CHECK_EQ(store_address_device(p.s, "10.1.0.2", &b), 0);
	CHECK_EQ(b, a);
	pc_close(&p);
}

static void
test_mac_changes_has_mac(void)
{
	struct pc p;
	int64_t a, b, id;

	pc_open(&p);
	a = device_new(&p);
	b = device_new(&p);
	put(&p, a, "ipv4", "10.1.0.3");
	put(&p, b, "ipv4", "10.1.0.4");
	CHECK(!held(&p, "10.1.0.3").has_mac);
	CHECK(!held(&p, "10.1.0.4").has_mac);
	CHECK_EQ(store_address_device_without_mac(p.s, "10.1.0.3", &id), 0);
	put(&p, a, "mac", "aa:bb:cc:00:00:03");
	CHECK(held(&p, "10.1.0.3").has_mac);
	CHECK_EQ(store_address_device_without_mac(p.s, "10.1.0.3", &id),
	    -ENOENT);
	/* the MAC moves: a loses it, b gains it */
	CHECK(!held(&p, "10.1.0.4").has_mac);
	put(&p, b, "mac", "aa:bb:cc:00:00:03");
	CHECK(!held(&p, "10.1.0.3").has_mac);
	CHECK(held(&p, "10.1.0.4").has_mac);
	CHECK_EQ(held(&p, "aa:bb:cc:00:00:03").device_id, b);
	check_truth(&p, "10.1.0.3");
	check_truth(&p, "10.1.0.4");
	check_truth(&p, "aa:bb:cc:00:00:03");
	/* traffic's own insert of an address nobody holds */
	CHECK_EQ(store_traffic_address_new(p.s, a, "mac",
	    "aa:bb:cc:00:00:04", T0), 0);
	CHECK(held(&p, "10.1.0.3").has_mac);
	check_truth(&p, "10.1.0.3");
	pc_close(&p);
}

static void
test_status_source_and_touch(void)
{
	struct pc p;
	int64_t a;

	pc_open(&p);
	a = device_new(&p);
	put(&p, a, "ipv4", "10.1.0.5");
	CHECK_EQ(held(&p, "10.1.0.5").status, STORE_STATUS_UNAUTHORIZED);
	CHECK_EQ(store_device_status_set(p.s, a, STORE_STATUS_ARCHIVED), 1);
	CHECK_EQ(held(&p, "10.1.0.5").status, STORE_STATUS_ARCHIVED);
	CHECK_EQ(held(&p, "10.1.0.5").source, STORE_SOURCE_EPP);
	CHECK_EQ(store_address_set_source(p.s, "10.1.0.5",
	    STORE_SOURCE_MANUAL), 0);
	CHECK_EQ(held(&p, "10.1.0.5").source, STORE_SOURCE_MANUAL);
	/* a touch within STORE_TOUCH_MS writes nothing, a later one does */
	CHECK_EQ(held(&p, "10.1.0.5").last_seen_ms, T0);
	CHECK_EQ(store_device_touch(p.s, a, T0 + 1000), 0);
	CHECK_EQ(held(&p, "10.1.0.5").last_seen_ms, T0);
	CHECK_EQ(store_device_touch(p.s, a, T0 + STORE_TOUCH_MS + 1), 0);
	CHECK_EQ(held(&p, "10.1.0.5").last_seen_ms, T0 + STORE_TOUCH_MS + 1);
	check_truth(&p, "10.1.0.5");
	pc_close(&p);
}

static void
test_rollback_forgets(void)
{
	struct pc p;
	int64_t a, b, c, d;
	struct store_holder h;

	pc_open(&p);
	a = device_new(&p);
	b = device_new(&p);
	put(&p, a, "ipv4", "10.1.0.6");
	CHECK_EQ(held(&p, "10.1.0.6").device_id, a);
	/* moved and looked up inside a transaction that rolls back */
	CHECK_EQ(store_begin(p.s), 0);
	put(&p, b, "ipv4", "10.1.0.6");
	CHECK_EQ(store_device_touch(p.s, b, T0 + 2 * STORE_TOUCH_MS), 0);
	CHECK_EQ(held(&p, "10.1.0.6").device_id, b);
	CHECK_EQ(store_rollback(p.s), 0);
	CHECK_EQ(held(&p, "10.1.0.6").device_id, a);
	check_truth(&p, "10.1.0.6");
	/* the same to a savepoint, the transaction committing after */
	CHECK_EQ(store_begin(p.s), 0);
	CHECK_EQ(store_savepoint(p.s), 0);
	put(&p, b, "ipv4", "10.1.0.6");
	CHECK_EQ(held(&p, "10.1.0.6").device_id, b);
	CHECK_EQ(store_savepoint_rollback(p.s), 0);
	CHECK_EQ(held(&p, "10.1.0.6").device_id, a);
	CHECK_EQ(store_commit(p.s), 0);
	check_truth(&p, "10.1.0.6");
	/* a rolled-back device's id comes back for the next device */
	CHECK_EQ(store_begin(p.s), 0);
	c = device_new(&p);
	put(&p, c, "ipv4", "10.1.0.7");
	CHECK_EQ(held(&p, "10.1.0.7").device_id, c);
	CHECK_EQ(store_end(p.s, -EIO), -EIO);
	d = device_new(&p);
	CHECK_EQ(d, c);
	CHECK_EQ(store_address_holder(p.s, "10.1.0.7", &h), -ENOENT);
	CHECK(stats(&p).clears >= 3);
	pc_close(&p);
}

static void
test_prune_forgets_deleted_devices(void)
{
	struct pc p;
	int64_t a, b;
	struct store_holder h;

	pc_open(&p);
	a = device_new(&p);
	b = device_new(&p);
	put(&p, a, "ipv4", "10.1.0.8");
	put(&p, b, "ipv4", "10.1.0.9");
	CHECK_EQ(store_device_status_set(p.s, a, STORE_STATUS_ARCHIVED), 1);
	CHECK_EQ(held(&p, "10.1.0.8").status, STORE_STATUS_ARCHIVED);
	CHECK_EQ(held(&p, "10.1.0.9").device_id, b);
	CHECK_EQ(store_archive_prune(p.s, 10), 1);
	CHECK_EQ(store_address_holder(p.s, "10.1.0.8", &h), -ENOENT);
	CHECK_EQ(held(&p, "10.1.0.9").device_id, b);
	pc_close(&p);
}

/* More addresses than slots: bounded, evicting, and still right. */
static void
test_eviction_keeps_answers_right(void)
{
	struct pc p;
	enum { n = 40000, n_dev = 4000 };
	char ip[32];
	int64_t *dev = calloc(n_dev, sizeof(*dev));
	struct store_peer_cache_stats st;

	CHECK(dev != NULL);
	pc_open(&p);
	CHECK_EQ(store_begin(p.s), 0);
	for (int i = 0; i < n_dev; i++)
		dev[i] = device_new(&p);
	for (int i = 0; i < n; i++) {
		(void)snprintf(ip, sizeof(ip), "10.2.%d.%d", i / 250,
		    i % 250 + 1);
		put(&p, dev[i % n_dev], "ipv4", ip);
	}
	CHECK_EQ(store_commit(p.s), 0);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < n; i++) {
			(void)snprintf(ip, sizeof(ip), "10.2.%d.%d", i / 250,
			    i % 250 + 1);
			CHECK_EQ(held(&p, ip).device_id, dev[i % n_dev]);
		}
	st = stats(&p);
	CHECK(st.entries > 30000 && st.entries <= 32768);
	CHECK(st.evictions >= (uint64_t)(n - 32768));
	/* an address kept hit survives a sweep of new ones */
	for (int i = 0; i < n; i++) {
		(void)snprintf(ip, sizeof(ip), "10.2.%d.%d", i % n / 250,
		    i % n % 250 + 1);
		CHECK_EQ(held(&p, "10.2.0.1").device_id, dev[0]);
		CHECK_EQ(held(&p, ip).device_id, dev[i % n % n_dev]);
	}
	st = stats(&p);
	CHECK_EQ(held(&p, "10.2.0.1").device_id, dev[0]);
	CHECK_EQ(stats(&p).hits, st.hits + 1);
	/* moves of evicted and cached addresses alike */
	CHECK_EQ(store_begin(p.s), 0);
	for (int i = 0; i < n; i += 7) {
		(void)snprintf(ip, sizeof(ip), "10.2.%d.%d", i / 250,
		    i % 250 + 1);
		put(&p, dev[(i + 1) % n_dev], "ipv4", ip);
	}
	CHECK_EQ(store_commit(p.s), 0);
	for (int i = 0; i < n; i += 7) {
		(void)snprintf(ip, sizeof(ip), "10.2.%d.%d", i / 250,
		    i % 250 + 1);
		check_truth(&p, ip);
	}
	free(dev);
	pc_close(&p);
}

/*
 * Random moves, MACs, status changes, touches and rollbacks over a few
 * addresses and devices; after each step every answer must be the
 * database's.
 */
static void
test_random_against_database(void)
{
	static const char *const ips[] = { "10.3.0.1", "10.3.0.2", "10.3.0.3",
	    "fd00::1", "fd00::2" };
	static const char *const macs[] = { "aa:bb:cc:00:01:01",
	    "aa:bb:cc:00:01:02", "aa:bb:cc:00:01:03" };
	struct pc p;
	int64_t dev[5], now = T0;
	unsigned seed = 17;

	pc_open(&p);
	for (int i = 0; i < 5; i++)
		dev[i] = device_new(&p);
	for (int step = 0; step < 1000; step++) {
		int op = rand_r(&seed) % 6;
		int64_t d = dev[rand_r(&seed) % 5];
		bool tx = rand_r(&seed) % 2, undo = rand_r(&seed) % 4 == 0;

		if (tx)
			CHECK_EQ(store_begin(p.s), 0);
		/* look up first so that the cache holds what may change */
		for (size_t i = 0; i < 5; i++) {
			struct store_holder h;

			(void)store_address_holder(p.s, ips[i], &h);
		}
		now += rand_r(&seed) % (2 * STORE_TOUCH_MS);
		switch (op) {
		case 0:
		case 1:
			put_at(&p, d, strchr(ips[step % 5], ':') ? "ipv6" :
			    "ipv4", ips[step % 5], now);
			break;
		case 2:
			put_at(&p, d, "mac", macs[step % 3], now);
			break;
		case 3:
			CHECK(store_device_status_set(p.s, d, (enum store_status)
			    (rand_r(&seed) % STORE_STATUS_MAX)) >= 0);
			break;
		case 4:
			CHECK_EQ(store_device_touch(p.s, d, now), 0);
			break;
		default:
			CHECK_EQ(store_address_set_source(p.s, ips[step % 5],
			    (enum store_source)(rand_r(&seed) %
			    STORE_SOURCE_MAX)), 0);
			break;
		}
		for (size_t i = 0; i < 5; i++) {
			struct store_holder h;

			(void)store_address_holder(p.s, ips[i], &h);
		}
		if (tx)
			CHECK_EQ(undo ? store_rollback(p.s) : store_commit(p.s),
			    0);
		for (size_t i = 0; i < 5; i++)
			check_truth(&p, ips[i]);
		for (size_t i = 0; i < 3; i++)
			check_truth(&p, macs[i]);
	}
	CHECK(stats(&p).hits > 3000);
	pc_close(&p);
}

int
main(void)
{
	RUN(test_second_lookup_is_a_hit);
	RUN(test_known_address_is_not_written);
	RUN(test_ip_moves_to_new_holder);
	RUN(test_mac_changes_has_mac);
	RUN(test_status_source_and_touch);
	RUN(test_rollback_forgets);
	RUN(test_prune_forgets_deleted_devices);
	RUN(test_eviction_keeps_answers_right);
	RUN(test_random_against_database);
	return 0;
}
