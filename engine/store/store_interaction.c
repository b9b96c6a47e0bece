/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of interactions (map edges): adding counters
 * of one initiator → responder / protocol / port / source, and trimming.
 */
#include <errno.h>

#include "store-private.h"

#define COUNTER_MAX	((int64_t)1 << 48)	/* per report and counter */

/* Binds the key of in to ?1 … ?5 and its times and counters to ?6 … ?9. */
static void
bind_interaction(sqlite3_stmt *st, const struct store_interaction *in)
{
	(void)sqlite3_bind_int64(st, 1, in->src_device_id);
	(void)sqlite3_bind_int64(st, 2, in->dst_device_id);
	(void)sqlite3_bind_text(st, 3, in->protocol, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 4, (int)in->port);
	(void)sqlite3_bind_text(st, 5, in->source, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 6, in->first_seen_ms);
	(void)sqlite3_bind_int64(st, 7, in->last_seen_ms);
	/* counters are signed 64-bit in SQLite: clamp one report's share so
	   that sums cannot overflow into REAL */
	(void)sqlite3_bind_int64(st, 8, in->packets > COUNTER_MAX ?
	    COUNTER_MAX : (int64_t)in->packets);
	(void)sqlite3_bind_int64(st, 9, in->bytes > COUNTER_MAX ?
	    COUNTER_MAX : (int64_t)in->bytes);
}

int
store_interaction_add(struct store *s, const struct store_interaction *in)
{
	/*
	 * One statement per interaction (issue 17): the primary key of the
	 * WITHOUT ROWID table is the conflict target, so a known interaction
	 * costs one b-tree search, as the UPDATE it replaces did, and a new
	 * one no longer pays for a missed UPDATE first.
	 */
	sqlite3_stmt *st = store_stmt(s, STMT_INTERACTION_UPSERT,
	    "INSERT INTO interactions (src_device_id, dst_device_id, protocol, "
	    "port, source, first_seen_ms, last_seen_ms, packets, bytes) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT (src_device_id, dst_device_id, protocol, port, source) "
	    "DO UPDATE SET "
	    "first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms), "
	    "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms), "
	    "packets = packets + excluded.packets, "
	    "bytes = bytes + excluded.bytes");

	if (st == NULL)
		return -EIO;
	bind_interaction(st, in);
	return store_exec_stmt(s, st);
}

int
store_interaction_count(struct store *s, int64_t *ret_count)
{
	sqlite3_stmt *st = store_stmt(s, STMT_INTERACTION_COUNT,
	    "SELECT COUNT(*) FROM interactions");

	if (st == NULL)
		return -EIO;
	return store_step_int(s, st, ret_count);
}

int
store_interaction_trim(struct store *s, int64_t n)
{
	sqlite3_stmt *st = store_stmt(s, STMT_INTERACTION_TRIM,
	    "DELETE FROM interactions WHERE (src_device_id, dst_device_id, "
	    "protocol, port, source) IN (SELECT src_device_id, dst_device_id, "
	    "protocol, port, source FROM interactions "
	    "ORDER BY first_seen_ms LIMIT ?1)");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, n);
	return store_exec_stmt(s, st);
}
