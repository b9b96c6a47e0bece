/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of how events reach their table and the full-text index (issue
 * 17): the index gets the rows a transaction kept, written at its end,
 * including after savepoint and full rollbacks, and a repeated (agent,
 * event_id) is still ignored within one transaction and across them,
 * found by the id's 64-bit key (migration 0010), also when two ids share
 * a key.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "siphash.h"
#include "store.h"
#include "testutil.h"

/* store_event_key() of the id in test_event_key_is_stored_and_fixed() */
#define KEY_PINNED	INT64_C(0x0eb964ea863c4d04)

struct sfx {
	char		*dir;
	char		*path;
	struct store	*s;
	int64_t		agent;	/* an agent row for the epp events */
};

static void
sfx_open(struct sfx *f)
{
	f->dir = testutil_mkdtemp();
	f->path = db_path(f->dir);
	CHECK_EQ(store_open(f->path, NULL, 0, &f->s), 0);
	CHECK_EQ(store_begin(f->s), 0);
	CHECK_EQ(store_agent_insert(f->s, "agent-1", 0, 0, "1.0", "t", 1000,
	    &f->agent), 0);
	CHECK_EQ(store_commit(f->s), 0);
}

static void
sfx_close(struct sfx *f)
{
	store_free(f->s);
	testutil_rmtree(f->dir);
	free(f->path);
	free(f->dir);
}

/* Inserts an epp event of agent whose description is text;
   store_event_insert()'s result (1 stored, 0 a repeat). */
static int
sfx_event_of(struct sfx *f, int64_t agent, const char *event_id,
    const char *text)
{
	struct store_event ev = {
		.event_id = event_id,
		.agent_ref = agent,
		.occurred_at_ms = 2000,
		.registered_at_ms = 2000,
		.code = 4900005510,
		.title = "Threat detected",
		.severity = 2,
		.technology = "epp",
		.category = "threat_detected",
		.description = text,
		.hostname = "ENG-WS-017",
	};

	return store_event_insert(f->s, &ev);
}

/* The same for the fixture's agent. */
static int
sfx_event(struct sfx *f, const char *event_id, const char *text)
{
	return sfx_event_of(f, f->agent, event_id, text);
}

/* Runs sql on a connection of its own (the store between transactions). */
static void
sfx_exec(struct sfx *f, const char *sql)
{
	sqlite3 *db;

	CHECK(sqlite3_open(f->path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	(void)sqlite3_close(db);
}

static long long
sfx_hits(struct sfx *f, const char *word)
{
	char sql[160];

	(void)snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM events_fts "
	    "WHERE events_fts MATCH '%s'", word);
	return q_int_path(f->path, sql);
}

/* FTS5's own check of the index against itself and its content. */
static void
sfx_check_index(struct sfx *f)
{
	sqlite3 *db;

	CHECK(sqlite3_open(f->path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "INSERT INTO events_fts (events_fts) "
	    "VALUES ('integrity-check')", NULL, NULL, NULL) == SQLITE_OK);
	(void)sqlite3_close(db);
	/* every row is found by its own text, none twice */
	CHECK_EQ(q_int_path(f->path, "SELECT COUNT(*) FROM events e WHERE "
	    "(SELECT COUNT(*) FROM events_fts WHERE events_fts MATCH "
	    "'\"' || e.description || '\"' AND rowid = e.id) != 1"), 0);
}

static void
test_rows_of_a_transaction_are_indexed_at_commit(void)
{
	struct sfx f;

	sfx_open(&f);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "a", "alpha"), 1);
	CHECK_EQ(sfx_event(&f, "b", "bravo"), 1);
	/* not before the end of the transaction */
	CHECK_EQ(sfx_hits(&f, "alpha"), 0);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(sfx_hits(&f, "alpha"), 1);
	CHECK_EQ(sfx_hits(&f, "bravo"), 1);
	/* the next transaction indexes only its own rows */
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "c", "charlie"), 1);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(sfx_hits(&f, "alpha"), 1);
	CHECK_EQ(sfx_hits(&f, "charlie"), 1);
	sfx_check_index(&f);
	sfx_close(&f);
}

static void
test_savepoint_rollback_leaves_no_entry(void)
{
	struct sfx f;

	sfx_open(&f);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "a", "alpha"), 1);
	CHECK_EQ(store_savepoint(f.s), 0);
	CHECK_EQ(sfx_event(&f, "b", "bravo"), 1);
	CHECK_EQ(store_savepoint_rollback(f.s), 0);
	/* the rolled-back row's rowid is given again */
	CHECK_EQ(store_savepoint(f.s), 0);
	CHECK_EQ(sfx_event(&f, "c", "charlie"), 1);
	CHECK_EQ(store_savepoint_release(f.s), 0);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(sfx_hits(&f, "alpha"), 1);
	CHECK_EQ(sfx_hits(&f, "bravo"), 0);
	CHECK_EQ(sfx_hits(&f, "charlie"), 1);
	CHECK_EQ(q_int_path(f.path, "SELECT COUNT(*) FROM events"), 2);
	sfx_check_index(&f);

	/* a transaction whose only rows were rolled back indexes nothing */
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(store_savepoint(f.s), 0);
	CHECK_EQ(sfx_event(&f, "d", "delta"), 1);
	CHECK_EQ(store_savepoint_rollback(f.s), 0);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(sfx_hits(&f, "delta"), 0);
	sfx_check_index(&f);
	sfx_close(&f);
}

static void
test_rollback_forgets_the_rows(void)
{
	struct sfx f;

	sfx_open(&f);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "a", "alpha"), 1);
	CHECK_EQ(store_rollback(f.s), 0);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "b", "bravo"), 1);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(sfx_hits(&f, "alpha"), 0);
	CHECK_EQ(sfx_hits(&f, "bravo"), 1);
	CHECK_EQ(q_int_path(f.path, "SELECT COUNT(*) FROM events"), 1);
	/* store_end() with an error rolls back the same way */
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "c", "charlie"), 1);
	CHECK_EQ(store_end(f.s, -EIO), -EIO);
	CHECK_EQ(sfx_hits(&f, "charlie"), 0);
	sfx_check_index(&f);
	sfx_close(&f);
}

static void
test_repeat_is_ignored_within_and_across_transactions(void)
{
	struct sfx f;

	sfx_open(&f);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "same", "first"), 1);
	CHECK_EQ(sfx_event(&f, "same", "second"), 0);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "same", "third"), 0);
	CHECK_EQ(sfx_event(&f, "other", "fourth"), 1);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(q_int_path(f.path, "SELECT COUNT(*) FROM events"), 2);
	CHECK_EQ(sfx_hits(&f, "first"), 1);
	CHECK_EQ(sfx_hits(&f, "second"), 0);
	CHECK_EQ(sfx_hits(&f, "third"), 0);
	CHECK_EQ(sfx_hits(&f, "fourth"), 1);
	sfx_check_index(&f);
	sfx_close(&f);
}

/* The key is SipHash-2-4, its stored values fixed for good (migration
   0010 computed them); events without an id have none. */
static void
test_event_key_is_stored_and_fixed(void)
{
	/* the paper's test vector: key 00..0f, message 00..0e */
	uint8_t key[SIPHASH_KEY_LEN], msg[15];
	struct sfx f;
	char sql[160];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	CHECK(siphash24(key, msg, sizeof(msg)) ==
	    UINT64_C(0xa129ca6149be45e5));
	CHECK(store_event_key("5f0c0001-0000-4000-8000-000000000001") ==
	    KEY_PINNED);
	sfx_open(&f);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "a", "alpha"), 1);
	CHECK_EQ(sfx_event_of(&f, 0, NULL, "system"), 1);
	CHECK_EQ(store_commit(f.s), 0);
	(void)snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM events WHERE "
	    "event_id = 'a' AND event_key = %lld",
	    (long long)store_event_key("a"));
	CHECK_EQ(q_int_path(f.path, sql), 1);
	CHECK_EQ(q_int_path(f.path, "SELECT COUNT(*) FROM events WHERE event_id IS "
	    "NULL AND event_key IS NULL"), 1);
	sfx_close(&f);
}

/*
 * Two different ids with one key (made here by giving x's row y's key, as
 * no real pair of SipHash collisions is at hand): both are stored, and a
 * repeat of the second is still found behind the first, within one
 * transaction and across them.
 */
static void
test_ids_sharing_a_key_are_both_stored(void)
{
	struct sfx f;
	char sql[160];
	int64_t other;

	sfx_open(&f);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "x", "xray"), 1);
	CHECK_EQ(store_agent_insert(f.s, "agent-2", 0, 0, "1.0", "t2", 1000,
	    &other), 0);
	CHECK_EQ(store_commit(f.s), 0);
	(void)snprintf(sql, sizeof(sql), "UPDATE events SET event_key = %lld "
	    "WHERE event_id = 'x'", (long long)store_event_key("y"));
	sfx_exec(&f, sql);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "y", "yankee"), 1);
	CHECK_EQ(sfx_event(&f, "y", "again"), 0);
	CHECK_EQ(sfx_event(&f, "x", "xray"), 1);	/* x's row has y's key */
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(sfx_event(&f, "y", "again"), 0);
	CHECK_EQ(sfx_event(&f, "x", "again"), 0);
	/* another agent's ids are its own */
	CHECK_EQ(sfx_event_of(&f, other, "y", "zulu"), 1);
	CHECK_EQ(store_commit(f.s), 0);
	(void)snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM events WHERE "
	    "event_key = %lld", (long long)store_event_key("y"));
	CHECK_EQ(q_int_path(f.path, sql), 3);
	CHECK_EQ(q_int_path(f.path, "SELECT COUNT(*) FROM events"), 4);
	CHECK_EQ(sfx_hits(&f, "yankee"), 1);
	CHECK_EQ(sfx_hits(&f, "again"), 0);
	sfx_check_index(&f);
	sfx_close(&f);
}

/* The writer's lookup of a repeat reads the key index, not the table. */
static void
test_repeat_lookup_uses_the_key_index(void)
{
	struct sfx f;
	sqlite3 *db;
	sqlite3_stmt *st;
	int found = 0;

	sfx_open(&f);
	CHECK(sqlite3_open_v2(f.path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT event_id "
	    "FROM events WHERE agent_ref = ?1 AND event_key = ?2", -1, &st,
	    NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		found += strstr((const char *)sqlite3_column_text(st, 3),
		    "USING INDEX events_agent_key (agent_ref=? AND "
		    "event_key=?)") != NULL;
	(void)sqlite3_finalize(st);
	(void)sqlite3_close(db);
	CHECK_EQ(found, 1);
	sfx_close(&f);
}

/*
 * store_event_count() counts by the span of rowids, before and after a
 * trim; its SQL looks each end up in the table's b-tree instead of
 * scanning it (one query for both ends scanned every row: 30-110 ms of
 * the writer's time every 10 s under load, issue 17).
 */
static void
test_count_reads_the_ends_only(void)
{
	char id[32];
	struct sfx f;
	int64_t n = -1;
	sqlite3 *db;
	sqlite3_stmt *st;
	int scans = 0, searches = 0;

	sfx_open(&f);
	CHECK_EQ(store_event_count(f.s, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(store_begin(f.s), 0);
	for (int i = 0; i < 300; i++) {
		(void)snprintf(id, sizeof(id), "count-%d", i);
		CHECK_EQ(sfx_event(&f, id, "counted"), 1);
	}
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(store_event_count(f.s, &n), 0);
	CHECK_EQ(n, 300);
	CHECK_EQ(store_begin(f.s), 0);
	CHECK_EQ(store_event_trim(f.s, 120), 0);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(store_event_count(f.s, &n), 0);
	CHECK_EQ(n, 180);
	CHECK_EQ(q_int_path(f.path, "SELECT COUNT(*) FROM events"), 180);

	CHECK(sqlite3_open_v2(f.path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT COALESCE("
	    "(SELECT MAX(id) FROM events) - (SELECT MIN(id) FROM events) + 1, "
	    "0)", -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		scans += strncmp(d, "SCAN events", 11) == 0;
		searches += strncmp(d, "SEARCH events", 13) == 0;
	}
	(void)sqlite3_finalize(st);
	(void)sqlite3_close(db);
	CHECK_EQ(scans, 0);
	CHECK_EQ(searches, 2);
	sfx_close(&f);
}

/*
 * A trim in the transaction that inserted the rows it removes: their
 * full-text rows, held until the transaction's end, go in first, so that
 * FTS5 is told the values of rows it has (a 'delete' of a row it never
 * had left its index corrupt and the statement failed).
 */
static void
test_trim_in_the_inserting_transaction(void)
{
	char id[32], text[32];
	struct sfx f;
	int64_t n = -1;

	sfx_open(&f);
	CHECK_EQ(store_begin(f.s), 0);
	for (int i = 0; i < 10; i++) {
		(void)snprintf(id, sizeof(id), "trim-%d", i);
		(void)snprintf(text, sizeof(text), "wombat%d", i);
		CHECK_EQ(sfx_event(&f, id, text), 1);
	}
	CHECK_EQ(store_event_trim(f.s, 4), 0);
	CHECK_EQ(sfx_event(&f, "trim-10", "wombat10"), 1);
	CHECK_EQ(store_commit(f.s), 0);
	CHECK_EQ(store_event_count(f.s, &n), 0);
	CHECK_EQ(n, 7);
	CHECK_EQ(sfx_hits(&f, "wombat0"), 0);
	CHECK_EQ(sfx_hits(&f, "wombat3"), 0);
	CHECK_EQ(sfx_hits(&f, "wombat4"), 1);
	CHECK_EQ(sfx_hits(&f, "wombat10"), 1);
	sfx_check_index(&f);
	sfx_close(&f);
}

/* Two reports of one agent in one batch (one transaction) repeat an id. */
static void
test_repeat_in_one_batch_is_acked_and_stored_once(void)
{
	struct fx f;
	rb_report *r1 = host_report("e-9", 1, "aa:bb:cc:00:00:90", NULL);
	rb_report *r2 = rb_new("e-9", 2);
	struct engine_report er[2];

	fx_open(&f);
	(void)rb_event(r1, "same", "threat_detected", "Quokka found");
	(void)rb_event(r2, "same", "threat_detected", "Wombat found");
	(void)rb_event(r2, "new", "threat_detected", "Numbat found");
	memset(er, 0, sizeof(er));
	er[0].report = r1;
	er[1].report = r2;
	CHECK_EQ(engine_apply_batch(f.e, er, 2, testutil_now_ms()), 0);
	CHECK_EQ(er[0].status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(er[1].status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(er[1].acked_sequence, 2);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log "
	    "WHERE technology = 'epp'"), 2);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events_fts "
	    "WHERE events_fts MATCH 'quokka'"), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events_fts "
	    "WHERE events_fts MATCH 'wombat'"), 0);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events_fts "
	    "WHERE events_fts MATCH 'numbat'"), 1);
	/* and the system events of the batch (agent connected, device
	   added) are searchable too */
	CHECK(q_int(&f, "SELECT COUNT(*) FROM events_fts WHERE events_fts "
	    "MATCH 'connected' AND rowid IN (SELECT id FROM events WHERE "
	    "technology = 'system')") >= 1);
	rb_free(r1);
	rb_free(r2);
	fx_close(&f);
}

int
main(void)
{
	RUN(test_rows_of_a_transaction_are_indexed_at_commit);
	RUN(test_savepoint_rollback_leaves_no_entry);
	RUN(test_rollback_forgets_the_rows);
	RUN(test_repeat_is_ignored_within_and_across_transactions);
	RUN(test_repeat_in_one_batch_is_acked_and_stored_once);
	RUN(test_event_key_is_stored_and_fixed);
	RUN(test_ids_sharing_a_key_are_both_stored);
	RUN(test_repeat_lookup_uses_the_key_index);
	RUN(test_count_reads_the_ends_only);
	RUN(test_trim_in_the_inserting_transaction);
	return 0;
}
