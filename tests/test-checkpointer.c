/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/checkpointer.c and engine/store/store_wal.c (issue 17):
 * the checkpointer thread copies the writer's WAL on its own connection,
 * no checkpoint runs inside a commit once it was handed over, a drain
 * copies everything so that the WAL starts over, a reader holding an old
 * snapshot makes it incomplete (and releasing it completes it), the
 * writer's bound starts the WAL over early, and a clean close leaves an empty WAL and a sound database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "checkpointer.h"
#include "engine.h"
#include "event_types.h"
#include "testutil.h"

struct fixture {
	char			*dir;
	char			path[4096];
	struct event_types	*types;
	struct engine		*engine;
	struct checkpointer	*cp;
};

static void
fixture_init(struct fixture *f)
{
	struct engine_config cfg;
	struct store_ckpt *c = NULL;
	struct diag *diag;

	f->dir = testutil_mkdtemp();
	(void)snprintf(f->path, sizeof(f->path), "%s/kics-epp.db", f->dir);
	CHECK((diag = diag_new()) != NULL);
	CHECK_EQ(event_types_load_default(diag, &f->types), 0);
	diag_free(diag);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(f->path, &cfg, f->types, &f->engine), 0);
	CHECK_EQ(engine_wal_handoff(f->engine, &c), 0);
	CHECK_EQ(checkpointer_new(c, &f->cp), 0);
}

static void
fixture_fini(struct fixture *f)
{
	checkpointer_free(f->cp);
	engine_free(f->engine);
	event_types_free(f->types);
	testutil_rmtree(f->dir);
	free(f->dir);
}

/* Commits n system events, one transaction each. */
static void
write_events(struct fixture *f, int n)
{
	for (int i = 0; i < n; i++)
		CHECK_EQ(engine_system_event(f->engine, EVENT_DEVICE_ADDED, 0,
		    "checkpointer test", testutil_now_ms()), 0);
}

static uint64_t
wal_frames(struct fixture *f)
{
	struct store_wal_stats ws;

	engine_wal_stats(f->engine, &ws);
	return ws.wal_frames;
}

/*
 * Waits (at most 10 s) until the checkpointer made n early syncs of the
 * database file (checkpointer_bound()'s, before a short wait).
 */
static void
wait_early_sync(struct fixture *f, uint64_t n)
{
	struct timespec tick = { 0, 1000000 };
	struct checkpointer_stats st;

	checkpointer_stats(f->cp, &st);
	for (int i = 0; i < 10000 && st.early_syncs < n; i++) {
		(void)nanosleep(&tick, NULL);
		checkpointer_stats(f->cp, &st);
	}
	CHECK_EQ(st.early_syncs, n);
}

static void
test_drain_starts_wal_over(void)
{
	struct checkpointer_stats st, again;
	struct store_wal_stats ws;
	struct fixture f;
	uint64_t before;

	fixture_init(&f);
	write_events(&f, 40);
	engine_wal_stats(f.engine, &ws);
	CHECK(ws.commits >= 40);
	CHECK(ws.commit_us_max > 0 && ws.commit_us_total >= ws.commit_us_max);
	CHECK_EQ(ws.inline_checkpoints, 0);
	before = wal_frames(&f);
	CHECK(before >= 40);
	CHECK_EQ(checkpointer_drain(f.cp, 5000), 0);
	checkpointer_stats(f.cp, &st);
	CHECK(st.runs >= 1 && st.frames_total >= before);
	CHECK(st.drains == 1 && st.failures == 0);
	CHECK_EQ(st.wal_frames, before);
	CHECK(st.wal_bytes > 0 && st.wal_bytes_max >= st.wal_bytes);
	/* nothing new: nothing counted again */
	CHECK_EQ(checkpointer_drain(f.cp, 5000), 0);
	checkpointer_stats(f.cp, &again);
	CHECK_EQ(again.frames_total, st.frames_total);
	CHECK_EQ(again.runs, st.runs);
	/* everything was copied: the next transaction starts the WAL over */
	write_events(&f, 1);
	CHECK(wal_frames(&f) < before);
	fixture_fini(&f);
}

static void
test_reader_pins_wal(void)
{
	struct checkpointer_stats st;
	struct fixture f;
	sqlite3 *rd = NULL;
	sqlite3_stmt *q = NULL;

	fixture_init(&f);
	write_events(&f, 5);
	CHECK_EQ(sqlite3_open_v2(f.path, &rd, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_exec(rd, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(rd, "SELECT COUNT(*) FROM events", -1,
	    &q, NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_step(q), SQLITE_ROW);
	(void)sqlite3_finalize(q);
	/* frames after the reader's snapshot cannot be copied yet */
	write_events(&f, 5);
	CHECK_EQ(checkpointer_drain(f.cp, 5000), -EBUSY);
	checkpointer_stats(f.cp, &st);
	CHECK(st.incomplete >= 1);
	CHECK_EQ(sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ(checkpointer_drain(f.cp, 5000), 0);
	(void)sqlite3_close(rd);
	fixture_fini(&f);
}

/*
 * The writer's bound (checkpointer_bound()): below the soft bound it only
 * kicks, and from CHECKPOINTER_EARLY_PERCENT of it has the checkpointer
 * checkpoint and sync the database file without waiting; from it, it
 * waits briefly for a whole checkpoint, so that the next transaction
 * starts the WAL over; after a reader pinned the WAL it waits for
 * nothing for a while.
 */
static void
test_bound_starts_wal_over_early(void)
{
	struct checkpointer_stats st;
	struct fixture f;
	sqlite3 *rd = NULL;
	uint64_t before;

	fixture_init(&f);
	checkpointer_set_bound(f.cp, 200, 100000, 100000);
	write_events(&f, 1);
	before = wal_frames(&f);
	CHECK(before > 0 && before < 200);
	CHECK_EQ(checkpointer_bound(f.cp, before), 0);
	checkpointer_stats(f.cp, &st);
	CHECK_EQ(st.drains, 0);
	/* short of the soft bound: the early sync is asked for, no wait */
	while (wal_frames(&f) < 200 * CHECKPOINTER_EARLY_PERCENT / 100) {
		write_events(&f, 1);
		CHECK_EQ(checkpointer_bound(f.cp, wal_frames(&f)), 0);
	}
	wait_early_sync(&f, 1);
	checkpointer_stats(f.cp, &st);
	CHECK_EQ(st.drains, 0);
	while (wal_frames(&f) < 200)
		write_events(&f, 1);
	before = wal_frames(&f);
	(void)checkpointer_bound(f.cp, before);
	checkpointer_stats(f.cp, &st);
	CHECK(st.drains == 1 && st.soft_drains == 1);
	CHECK_EQ(st.early_syncs, 1);
	/* a loaded machine may take longer than the short wait */
	if (st.soft_timeouts == 1)
		CHECK_EQ(checkpointer_drain(f.cp, 5000), 0);
	write_events(&f, 1);
	CHECK(wal_frames(&f) < before);
	/* the writer calls it after every batch: a new round of the WAL */
	CHECK_EQ(checkpointer_bound(f.cp, wal_frames(&f)), 0);

	/* a reader pins the WAL: one short wait, then none for a while */
	CHECK_EQ(sqlite3_open_v2(f.path, &rd, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_exec(rd, "BEGIN; SELECT COUNT(*) FROM events", NULL,
	    NULL, NULL), SQLITE_OK);
	while (wal_frames(&f) < 200)
		write_events(&f, 1);
	CHECK_EQ(checkpointer_bound(f.cp, wal_frames(&f)), 0);
	wait_early_sync(&f, 2);
	(void)checkpointer_bound(f.cp, wal_frames(&f));
	write_events(&f, 1);
	CHECK_EQ(checkpointer_bound(f.cp, wal_frames(&f)), 0);
	checkpointer_stats(f.cp, &st);
	CHECK(st.soft_drains == 2 && st.drains == st.soft_drains +
	    (st.soft_timeouts == 1 ? 1 : 0));
	CHECK_EQ(sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	(void)sqlite3_close(rd);
	fixture_fini(&f);
}

/*
 * Past the soft bound, while the last checkpoint left more than
 * catchup_frames to copy, the writer does not wait: it kicks the
 * checkpointer, which copies the WAL while the writer goes on, and the
 * WAL starts over at a later transaction. (Close to it, the writer waits:
 * test_bound_starts_wal_over_early, where every distance is close.)
 */
static void
test_bound_kicks_when_behind(void)
{
	struct timespec tick = { 0, 10 * 1000000 };
	struct checkpointer_stats st;
	struct fixture f;
	uint64_t before;
	int i;

	fixture_init(&f);
	checkpointer_set_bound(f.cp, 60, 100000, 20);
	while (wal_frames(&f) < 60)
		write_events(&f, 1);
	before = wal_frames(&f);
	CHECK_EQ(checkpointer_bound(f.cp, before), 0);
	checkpointer_stats(f.cp, &st);
	CHECK_EQ(st.drains, 0);
	for (i = 0; i < 500 && st.frames_total < before; i++) {
		(void)nanosleep(&tick, NULL);
		checkpointer_stats(f.cp, &st);
	}
	CHECK(st.runs >= 1 && st.frames_total >= before);
	write_events(&f, 1);
	CHECK(wal_frames(&f) < before);
	checkpointer_stats(f.cp, &st);
	CHECK_EQ(st.drains, 0);
	fixture_fini(&f);
}

static void
test_close_leaves_empty_wal(void)
{
	struct fixture f;
	char wal[4200];
	struct stat sb;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;

	fixture_init(&f);
	write_events(&f, 20);
	checkpointer_free(f.cp);
	f.cp = NULL;
	engine_free(f.engine);
	f.engine = NULL;
	(void)snprintf(wal, sizeof(wal), "%s-wal", f.path);
	CHECK(stat(wal, &sb) < 0 || sb.st_size == 0);
	CHECK_EQ(sqlite3_open_v2(f.path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q,
	    NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_step(q), SQLITE_ROW);
	CHECK(strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0);
	(void)sqlite3_finalize(q);
	CHECK_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM events "
	    "WHERE description = 'checkpointer test'", -1, &q, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_step(q), SQLITE_ROW);
	CHECK_EQ(sqlite3_column_int(q, 0), 20);
	(void)sqlite3_finalize(q);
	(void)sqlite3_close(db);
	fixture_fini(&f);
}

/* Without a checkpointer the store checkpoints inline, as SQLite would. */
static void
test_memory_database_stays_inline(void)
{
	struct engine_config cfg;
	struct event_types *types = NULL;
	struct store_ckpt *c = NULL;
	struct engine *e = NULL;
	struct diag *diag;

	CHECK((diag = diag_new()) != NULL);
	CHECK_EQ(event_types_load_default(diag, &types), 0);
	diag_free(diag);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(":memory:", &cfg, types, &e), 0);
	CHECK_EQ(engine_wal_handoff(e, &c), -EINVAL);
	CHECK(c == NULL);
	engine_free(e);
	event_types_free(types);
}

int
main(void)
{
	test_drain_starts_wal_over();
	test_reader_pins_wal();
	test_bound_starts_wal_over_early();
	test_bound_kicks_when_behind();
	test_close_leaves_empty_wal();
	test_memory_database_stays_inline();
	return 0;
}
