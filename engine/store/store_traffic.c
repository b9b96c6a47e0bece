/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL that only monitoring-point traffic needs
 * (issue 13): interactions of source traffic with their application
 * protocol, and the few lookups of its device rules.
 */
#include <errno.h>
#include <string.h>

#include "store-private.h"

#define COUNTER_MAX	((int64_t)1 << 48)	/* per batch and counter */

static void
bind_edge(sqlite3_stmt *st, const struct store_interaction *in,
    const char *app)
{
	(void)sqlite3_bind_int64(st, 1, in->src_device_id);
	(void)sqlite3_bind_int64(st, 2, in->dst_device_id);
	(void)sqlite3_bind_text(st, 3, in->protocol, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 4, (int)in->port);
	(void)sqlite3_bind_int64(st, 5, in->first_seen_ms);
	(void)sqlite3_bind_int64(st, 6, in->last_seen_ms);
	(void)sqlite3_bind_int64(st, 7, in->packets > COUNTER_MAX ?
	    COUNTER_MAX : (int64_t)in->packets);
	(void)sqlite3_bind_int64(st, 8, in->bytes > COUNTER_MAX ?
	    COUNTER_MAX : (int64_t)in->bytes);
	(void)sqlite3_bind_text(st, 9, app != NULL ? app : "", -1,
	    SQLITE_STATIC);
}

int
store_traffic_edge_add(struct store *s, const struct store_interaction *in,
    const char *app_protocol, bool *ret_created)
{
	sqlite3_stmt *st;
	int r;

	/*
	 * UPDATE first: a live capture mostly adds to known interactions,
	 * and an UPSERT would check the CHECK constraints of every row
	 * (RETURNING, to tell an insert, costs a temporary table more).
	 * A later flow that nDPI could not name keeps the earlier name.
	 */
	st = store_stmt(s, STMT_TRAFFIC_EDGE_UPDATE,
	    "UPDATE interactions SET "
	    "first_seen_ms = MIN(first_seen_ms, ?5), "
	    "last_seen_ms = MAX(last_seen_ms, ?6), "
	    "packets = packets + ?7, bytes = bytes + ?8, "
	    "app_protocol = CASE WHEN ?9 = '' THEN app_protocol ELSE ?9 END "
	    "WHERE src_device_id = ?1 AND dst_device_id = ?2 "
	    "AND protocol = ?3 AND port = ?4 AND source = 'traffic'");
	if (st == NULL)
		return -EIO;
	bind_edge(st, in, app_protocol);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	if (sqlite3_changes(s->db) > 0) {
		*ret_created = false;
		return 0;
	}
	s->interaction_writes++;
	st = store_stmt(s, STMT_TRAFFIC_EDGE_INSERT,
	    "INSERT INTO interactions (src_device_id, dst_device_id, protocol, "
	    "port, source, first_seen_ms, last_seen_ms, packets, bytes, "
	    "app_protocol) VALUES (?1, ?2, ?3, ?4, 'traffic', ?5, ?6, ?7, ?8, "
	    "?9)");
	if (st == NULL)
		return -EIO;
	bind_edge(st, in, app_protocol);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	*ret_created = true;
	return 0;
}

int
store_traffic_address_new(struct store *s, int64_t device_id,
    const char *kind, const char *value, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_TRAFFIC_ADDR_NEW,
	    "INSERT INTO addresses (device_id, kind, value, source, "
	    "first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, 'traffic', ?4, "
	    "?4)");

	if (st == NULL)
		return -EIO;
	/* the peer cache (issue 17): a MAC changes the device's has_mac */
	peer_cache_forget(s->peer_cache, value);
	if (strcmp(kind, "mac") == 0)
		peer_cache_forget_device(s->peer_cache, device_id);
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 4, now_ms);
	return store_exec_stmt(s, st);
}

/* Both addresses of a new device in one statement. */
static int
store_traffic_address_pair(struct store *s, int64_t device_id,
    const char *ip_kind, const char *ip, const char *mac, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_TRAFFIC_ADDR_PAIR,
	    "INSERT INTO addresses (device_id, kind, value, source, "
	    "first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, 'traffic', ?5, "
	    "?5), (?1, 'mac', ?4, 'traffic', ?5, ?5)");

	if (st == NULL)
		return -EIO;
	peer_cache_forget(s->peer_cache, ip);
	peer_cache_forget(s->peer_cache, mac);
	peer_cache_forget_device(s->peer_cache, device_id);
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, ip_kind, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, ip, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 4, mac, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 5, now_ms);
	return store_exec_stmt(s, st);
}

static int
store_traffic_addresses(struct store *s, int64_t device_id,
    const char *ip_kind, const char *ip, const char *mac, int64_t now_ms)
{
	if (ip[0] != '\0' && mac[0] != '\0')
		return store_traffic_address_pair(s, device_id, ip_kind, ip, mac,
		    now_ms);
	if (ip[0] != '\0')
		return store_traffic_address_new(s, device_id, ip_kind, ip,
		    now_ms);
	if (mac[0] != '\0')
		return store_traffic_address_new(s, device_id, "mac", mac,
		    now_ms);
	return 0;
}

int
store_traffic_device_fill(struct store *s, int64_t device_id,
    const char *ip_kind, const char *ip, const char *mac, const char *vendor,
    int64_t now_ms)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_traffic_addresses(s, device_id, ip_kind, ip, mac,
	    now_ms)) < 0)
		return r;
	if (vendor[0] != '\0') {
		st = store_stmt(s, STMT_TRAFFIC_VENDOR_NEW,
		    "INSERT INTO device_attributes (device_id, name, source, "
		    "value, updated_ms) VALUES (?1, 'vendor', 'traffic', ?2, "
		    "?3)");
		if (st == NULL)
			return -EIO;
		(void)sqlite3_bind_int64(st, 1, device_id);
		(void)sqlite3_bind_text(st, 2, vendor, -1, SQLITE_STATIC);
		(void)sqlite3_bind_int64(st, 3, now_ms);
		if ((r = store_exec_stmt(s, st)) < 0)
			return r;
	}
	if (ip[0] == '\0' && mac[0] == '\0' && vendor[0] == '\0')
		return 0;
	/* the device's only values: those of its devices row */
	st = store_stmt(s, STMT_TRAFFIC_DEVICE_ROW,
	    "UPDATE devices SET ip = ?2, mac = ?3, vendor = ?4 WHERE id = ?1");
	if (st == NULL)
		return -EIO;
	peer_cache_primary_lost(s->peer_cache, device_id);
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)store_bind_text(st, 2, ip);
	(void)store_bind_text(st, 3, mac);
	(void)store_bind_text(st, 4, vendor);
	return store_exec_stmt(s, st);
}

int
store_traffic_fill_primary(struct store *s, int64_t device_id,
    const char *ip, const char *mac)
{
	sqlite3_stmt *st = store_stmt(s, STMT_TRAFFIC_FILL_PRIMARY,
	    "UPDATE devices SET ip = COALESCE(ip, ?2), mac = COALESCE(mac, ?3) "
	    "WHERE id = ?1 AND ((ip IS NULL AND ?2 IS NOT NULL) OR "
	    "(mac IS NULL AND ?3 IS NOT NULL))");

	if (st == NULL)
		return -EIO;
	peer_cache_primary_lost(s->peer_cache, device_id);
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)store_bind_text(st, 2, ip);
	(void)store_bind_text(st, 3, mac);
	return store_exec_stmt(s, st);
}
