/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of how events reach their table and the full-text index (issue
 * 17): the index gets the rows a transaction kept, written at its end,
 * including after savepoint and full rollbacks, and a repeated (agent,
 * event_id) is still ignored within one transaction and across them.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "store.h"
#include "testutil.h"

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

/* Inserts an epp event whose description is text; store_event_insert()'s
   result (1 stored, 0 a repeat). */
static int
sfx_event(struct sfx *f, const char *event_id, const char *text)
{
	struct store_event ev = {
		.event_id = event_id,
		.agent_ref = f->agent,
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
	return 0;
}
