/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the store's VFS write coalescing (engine/store/store_vfs_wbuf.c,
 * issue 17) on real database files: what goes through it reads back the
 * same, from the same connection in the middle of a transaction that
 * spills pages into the WAL and from other connections on SQLite's own
 * VFS after a commit; a process killed in the middle of a transaction
 * leaves every commit it made and nothing of the rest; writes reach the
 * files in far fewer calls than SQLite made; the WAL's writeback
 * descriptor comes and goes with it. The fsync of a COMMIT runs on the
 * syncer thread while the overlap function runs on the committing one,
 * and that thread starts the WAL's writes on their way to the device
 * (store_vfs_sync.c); a COMMIT may also leave its fsync to that thread
 * and not wait for it (deferred).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine-fx.h"
#include "store_vfs.h"
#include "store_wal.h"
#include "testutil.h"

#define ROWS		3000	/* rows of a spilling transaction */
#define BLOB_BYTES	700	/* per row: about 5 rows a page */
#define TABLE_T		"CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, " \
			    "b BLOB, s INTEGER)"

/* A connection through the store's VFS (vfs NULL: SQLite's default). */
static sqlite3 *
open_db(const char *path, const char *vfs)
{
	sqlite3 *db;

	CHECK_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
	exec_db(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
	return db;
}

/* A read-only connection on SQLite's own VFS: what others read. */
static sqlite3 *
open_plain(const char *path)
{
	sqlite3 *db;

	CHECK_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	return db;
}

/* Removes a test's directory and frees it and its database's path. */
static void
remove_dir(char *dir, char *path)
{
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

/*
 * Rows id first.., of generation g, whose s must equal length(b) + g:
 * a row read back wrong shows.
 */
static void
fill(sqlite3 *db, int first, int n, int g)
{
	char sql[256];

	(void)snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO t (id, g, b, "
	    "s) WITH RECURSIVE c(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM "
	    "c WHERE i < %d) SELECT i, %d, randomblob(%d), %d FROM c", first,
	    first + n - 1, g, BLOB_BYTES, BLOB_BYTES + g);
	exec_db(db, sql);
}

/* Rows whose s does not match. */
static long long
broken(sqlite3 *db)
{
	return q_int_db(db, "SELECT count(*) FROM t WHERE s IS NOT "
	    "length(b) + g");
}

static long long
total(sqlite3 *db)
{
	return q_int_db(db, "SELECT count(*) * 1000000 + coalesce(sum(g), 0) "
	    "FROM t");
}

/*
 * A transaction far larger than a tiny page cache: SQLite spills pages
 * into the WAL before COMMIT, reads them back and may write a frame
 * again. The connection sees its own writes throughout; after COMMIT a
 * connection on SQLite's own VFS sees the same, and the file is sound.
 */
static void
test_spill_and_read_back(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	struct store_sync_stats a, b;
	sqlite3 *db, *other;
	int64_t mine;

	db = open_db(path, store_vfs_name());
	exec_db(db, "PRAGMA cache_size = 20");
	exec_db(db, TABLE_T);
	exec_db(db, "BEGIN");
	fill(db, 1, ROWS, 1);
	fill(db, 1, ROWS / 2, 2);	/* rewrites spilled pages */
	exec_db(db, "UPDATE t SET s = s + 1, g = g + 1 WHERE id % 7 = 0");
	CHECK_EQ(total(db), (int64_t)ROWS * 1000000 + ROWS + ROWS / 2 +
	    ROWS / 7);
	CHECK_EQ(broken(db), 0);
	exec_db(db, "COMMIT");
	/*
	 * A transaction that fits in the cache: a few hundred frames of
	 * two writes each reach the WAL in a handful of calls.
	 */
	exec_db(db, "PRAGMA cache_size = 2000");
	store_sync_stats(&a);
	fill(db, ROWS + 1, 1000, 3);
	store_sync_stats(&b);
	CHECK(b.sqlite_writes - a.sqlite_writes > 300);
	CHECK((b.file_writes - a.file_writes) * 20 <
	    b.sqlite_writes - a.sqlite_writes);
	mine = total(db);

	other = open_db(path, NULL);
	CHECK_EQ(total(other), mine);
	CHECK_EQ(broken(other), 0);
	CHECK_EQ(q_int_db(other, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check != 'ok'"), 0);
	sqlite3_close(other);

	/* a checkpoint through the VFS writes the database file */
	exec_db(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	other = open_db(path, NULL);
	CHECK_EQ(total(other), mine);
	CHECK_EQ(q_int_db(other, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check != 'ok'"), 0);
	sqlite3_close(other);
	remove_dir(dir, path);
}

/* Descriptors of this process open on path. */
static int
fds_on(const char *path)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += testutil_fd_on(fd, path);
	return n;
}

/*
 * The WAL gets a descriptor of the VFS's own, through which its writes
 * start on their way to the device; it goes with the file. The database
 * file never gets one: closing it would drop SQLite's locks there.
 */
static void
test_wal_writeback_descriptor(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir), wal[4200];
	sqlite3 *db;

	(void)snprintf(wal, sizeof(wal), "%s-wal", path);
	db = open_db(path, store_vfs_name());
	exec_db(db, TABLE_T);
	fill(db, 1, 100, 1);
	CHECK_EQ(fds_on(wal), 2);
	CHECK_EQ(fds_on(path), 1);
	CHECK_EQ(broken(db), 0);
	sqlite3_close(db);
	CHECK_EQ(fds_on(wal), 0);
	CHECK_EQ(fds_on(path), 0);
	remove_dir(dir, path);
}

/*
 * A child commits transactions through the VFS and reports each after
 * its COMMIT, then is killed in the middle of a large transaction whose
 * writes it holds or has made: every commit it reported is there, the
 * unfinished transaction is not, and the database is sound.
 */
static void
test_killed_mid_transaction(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	int fds[2], committed = 0, n, status;
	sqlite3 *db;
	pid_t pid;

	db = open_db(path, store_vfs_name());
	exec_db(db, TABLE_T);
	sqlite3_close(db);
	CHECK_EQ(pipe(fds), 0);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		(void)close(fds[0]);
		db = open_db(path, store_vfs_name());
		exec_db(db, "PRAGMA cache_size = 20");
		for (int i = 0; i < 5; i++) {
			fill(db, 1 + i * 100, 100, 1);
			if (write(fds[1], &i, sizeof(i)) != sizeof(i))
				_exit(1);
		}
		exec_db(db, "BEGIN");
		fill(db, 10000, ROWS, 9);
		n = -1;
		if (write(fds[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		pause();	/* killed holding the transaction */
		_exit(1);
	}
	(void)close(fds[1]);
	while (read(fds[0], &n, sizeof(n)) == sizeof(n) && n >= 0)
		committed = n + 1;
	CHECK_EQ(n, -1);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	(void)close(fds[0]);
	CHECK_EQ(committed, 5);

	db = open_db(path, NULL);
	CHECK_EQ(q_int_db(db, "SELECT count(*) FROM t"), 500);
	CHECK_EQ(q_int_db(db, "SELECT count(*) FROM t WHERE g = 9"), 0);
	CHECK_EQ(broken(db), 0);
	CHECK_EQ(q_int_db(db, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check != 'ok'"), 0);
	sqlite3_close(db);
	remove_dir(dir, path);
}

/* Copies the database file alone (no -wal) to copy. */
static void
copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;

	CHECK(in != NULL && out != NULL);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		CHECK_EQ(fwrite(buf, 1, n, out), n);
	CHECK_EQ(fclose(in), 0);
	CHECK_EQ(fclose(out), 0);
}

/*
 * Checkpoints read the WAL ahead (store_vfs_rbuf.c). Rounds of commits
 * of random rows, a checkpoint on a second connection in the
 * checkpointer's role after each: the database file alone then holds
 * exactly what the writer sees, also after the WAL has started over and
 * reused the offsets a window read in an earlier checkpoint.
 */
static void
test_checkpoint_read_ahead(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir), copy[4200];
	sqlite3 *db, *ckpt, *alone;
	int log, done;

	(void)snprintf(copy, sizeof(copy), "%s/copy.db", dir);
	db = open_db(path, store_vfs_name());
	exec_db(db, TABLE_T);
	ckpt = open_db(path, store_vfs_name());
	for (int round = 1; round <= 30; round++) {
		for (int k = 0; k < 1 + round % 3; k++)
			fill(db, 1 + (round * 7919 + k * 104729) % 5000,
			    50 + round * 10, round);
		store_vfs_role(STORE_SYNC_CHECKPOINT);
		CHECK_EQ(sqlite3_wal_checkpoint_v2(ckpt, "main",
		    SQLITE_CHECKPOINT_PASSIVE, &log, &done), SQLITE_OK);
		store_vfs_role(STORE_SYNC_NONE);
		CHECK(log > 0);
		CHECK_EQ(done, log);
		copy_file(path, copy);
		CHECK_EQ(sqlite3_open_v2(copy, &alone, SQLITE_OPEN_READONLY,
		    NULL), SQLITE_OK);
		CHECK_EQ(total(alone), total(db));
		CHECK_EQ(broken(alone), 0);
		sqlite3_close(alone);
		CHECK_EQ(unlink(copy), 0);
	}
	sqlite3_close(ckpt);
	sqlite3_close(db);
	remove_dir(dir, path);
}

struct overlap_seen {
	pthread_t	thread;		/* the committing thread */
	int		calls;
	int		waited;		/* calls that saw the fsync return */
};

/*
 * The overlap: waits, on the committing thread, until the fsync has
 * returned, which it can only do on another thread (bounded: 10 s).
 */
static void
overlap_wait(void *arg, const atomic_bool *synced)
{
	struct overlap_seen *o = arg;

	CHECK(pthread_equal(pthread_self(), o->thread));
	o->calls++;
	for (int i = 0; i < 10000 && !atomic_load(synced); i++)
		(void)usleep(1000);
	if (atomic_load(synced))
		o->waited++;
}

static uint64_t
commit_syncs(void)
{
	struct store_sync_stats st;

	store_sync_stats(&st);
	return st.commit_syncs;
}

/*
 * A COMMIT in the writer's role with an overlap set: the overlap runs
 * once, on the committing thread, and sees the fsync end while it runs
 * (were the fsync made on that thread after it, it would wait in vain);
 * the fsync is counted as the COMMIT's. Commits in no role, reads, and
 * commits after the overlap stopped do not call it; what was committed
 * reads back whole on SQLite's own VFS.
 */
static void
test_commit_fsync_overlap(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	struct overlap_seen o = { .thread = pthread_self() };
	sqlite3 *db, *plain;
	uint64_t syncs;

	db = open_db(path, store_vfs_name());
	exec_db(db, TABLE_T);
	CHECK_EQ(store_vfs_overlap_start(overlap_wait, &o), 0);
	CHECK_EQ(store_vfs_overlap_start(overlap_wait, &o), -EALREADY);

	syncs = commit_syncs();
	store_vfs_role(STORE_SYNC_COMMIT);
	fill(db, 1, 200, 1);
	CHECK_EQ(o.calls, 1);
	CHECK_EQ(o.waited, 1);
	CHECK_EQ(commit_syncs(), syncs + 1);
	fill(db, 101, 200, 2);
	CHECK_EQ(o.calls, 2);
	CHECK_EQ(q_int_db(db, "SELECT count(*) FROM t"), 300);
	CHECK_EQ(o.calls, 2);		/* a read syncs nothing */
	store_vfs_role(STORE_SYNC_NONE);
	fill(db, 1, 10, 3);
	CHECK_EQ(o.calls, 2);		/* not the writer's COMMIT */
	CHECK_EQ(commit_syncs(), syncs + 2);

	store_vfs_overlap_stop();
	store_vfs_role(STORE_SYNC_COMMIT);
	fill(db, 301, 50, 4);
	store_vfs_role(STORE_SYNC_NONE);
	CHECK_EQ(o.calls, 2);
	CHECK_EQ(commit_syncs(), syncs + 3);
	store_vfs_overlap_stop();	/* none set: nothing to stop */

	plain = open_plain(path);
	CHECK_EQ(total(plain), total(db));
	CHECK_EQ(q_int_db(plain, "SELECT count(*) FROM t"), 350);
	CHECK_EQ(broken(plain), 0);
	sqlite3_close(plain);
	sqlite3_close(db);
	remove_dir(dir, path);
}

static atomic_int durable_calls;

static void
durable_seen(void *arg)
{
	CHECK(arg == &durable_calls);
	atomic_fetch_add(&durable_calls, 1);
}

/*
 * Deferred fsyncs (store_vfs_defer()): a COMMIT in the writer's role
 * neither waits for the fsync beside the overlap nor calls it; each asks
 * for a ticket, the fsync thread covers them and says so, and
 * store_vfs_durable_wait() returns once all are on disk. A COMMIT that
 * waits covers the tickets asked before it. Closing the database with a
 * ticket pending syncs it first, and what was committed reads back whole.
 */
static void
test_commit_fsync_deferred(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir), wal[4200];
	struct overlap_seen o = { .thread = pthread_self() };
	struct store_sync_stats a, b;
	uint64_t asked, done;
	sqlite3 *db, *plain;

	(void)snprintf(wal, sizeof(wal), "%s-wal", path);
	db = open_db(path, store_vfs_name());
	exec_db(db, TABLE_T);		/* the WAL synced once, waited for */
	CHECK_EQ(store_vfs_defer_notify(durable_seen, &durable_calls),
	    -ENOENT);
	CHECK_EQ(store_vfs_durable(&asked, &done), 0);
	CHECK_EQ(asked, 0);
	CHECK_EQ(store_vfs_overlap_start(overlap_wait, &o), 0);
	CHECK_EQ(store_vfs_defer_notify(durable_seen, &durable_calls), 0);
	store_vfs_role(STORE_SYNC_COMMIT);
	store_vfs_defer(true);
	store_sync_stats(&a);
	for (int g = 1; g <= 3; g++)
		fill(db, 1 + 100 * (g - 1), 200, g);
	store_sync_stats(&b);
	CHECK_EQ(o.calls, 0);
	CHECK_EQ(b.deferred_commits - a.deferred_commits, 3);
	CHECK_EQ(store_vfs_durable(&asked, &done), 0);
	CHECK_EQ(asked, 3);
	CHECK(done <= asked);
	CHECK_EQ(store_vfs_durable_wait(), 0);
	CHECK_EQ(store_vfs_durable(&asked, &done), 0);
	CHECK_EQ(done, 3);
	CHECK(atomic_load(&durable_calls) >= 1);
	store_sync_stats(&b);
	CHECK(b.deferred_syncs - a.deferred_syncs >= 1 &&
	    b.deferred_syncs - a.deferred_syncs <= 3);
	CHECK_EQ(b.commit_syncs - a.commit_syncs,
	    b.deferred_syncs - a.deferred_syncs);

	/* one asked for, then a COMMIT that waits: it covers it */
	fill(db, 1001, 10, 4);
	store_vfs_defer(false);
	fill(db, 2001, 10, 5);
	CHECK_EQ(o.calls, 1);
	CHECK_EQ(store_vfs_durable(&asked, &done), 0);
	CHECK_EQ(asked, 4);
	CHECK_EQ(done, 4);

	/* closed with a ticket pending */
	store_vfs_defer(true);
	fill(db, 3001, 10, 6);
	sqlite3_close(db);
	CHECK_EQ(fds_on(wal), 0);
	CHECK_EQ(store_vfs_durable_wait(), 0);
	CHECK_EQ(store_vfs_durable(&asked, &done), 0);
	CHECK_EQ(done, asked);
	store_vfs_defer(false);
	store_vfs_role(STORE_SYNC_NONE);
	store_vfs_overlap_stop();

	plain = open_plain(path);
	CHECK_EQ(q_int_db(plain, "SELECT count(*) FROM t"), 430);
	CHECK_EQ(q_int_db(plain, "SELECT count(*) FROM t WHERE g = 6"), 10);
	CHECK_EQ(broken(plain), 0);
	sqlite3_close(plain);
	remove_dir(dir, path);
}

/*
 * A deferred fsync that fails (the WAL's descriptor broken underneath):
 * its ticket is never on disk, store_vfs_durable() says so, and every
 * later COMMIT of the thread fails, deferred or waited for, so that
 * nothing more is published; what committed before reads back.
 */
static void
test_commit_fsync_deferred_fails(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir), wal[4200];
	struct overlap_seen o = { .thread = pthread_self() };
	uint64_t asked, done;
	sqlite3 *db, *plain;

	(void)snprintf(wal, sizeof(wal), "%s-wal", path);
	db = open_db(path, store_vfs_name());
	exec_db(db, TABLE_T);
	fill(db, 1, 100, 1);
	CHECK_EQ(store_vfs_overlap_start(overlap_wait, &o), 0);
	store_vfs_role(STORE_SYNC_COMMIT);
	store_vfs_defer(true);
	CHECK(testutil_break_fsync(wal) >= 0);
	fill(db, 101, 10, 2);		/* returns: its fsync is deferred */
	CHECK_EQ(store_vfs_durable_wait(), -EIO);
	CHECK_EQ(store_vfs_durable(&asked, &done), -EIO);
	CHECK_EQ(asked, 1);
	CHECK_EQ(done, 0);
	CHECK(sqlite3_exec(db, "INSERT INTO t (id, g, b, s) VALUES "
	    "(1000, 3, x'00', 4)", NULL, NULL, NULL) != SQLITE_OK);
	store_vfs_defer(false);
	CHECK(sqlite3_exec(db, "INSERT INTO t (id, g, b, s) VALUES "
	    "(1001, 4, x'00', 5)", NULL, NULL, NULL) != SQLITE_OK);
	CHECK_EQ(o.calls, 0);
	store_vfs_role(STORE_SYNC_NONE);
	sqlite3_close(db);
	store_vfs_overlap_stop();

	plain = open_plain(path);
	CHECK_EQ(q_int_db(plain, "SELECT count(*) FROM t WHERE g = 1"), 100);
	CHECK_EQ(q_int_db(plain, "SELECT count(*) FROM t WHERE g >= 3"), 0);
	CHECK_EQ(broken(plain), 0);
	sqlite3_close(plain);
	remove_dir(dir, path);
}

/*
 * Waits (at most 10 s) until the fsync thread has started the writeback
 * of the WAL's writes; returns the count then.
 */
static uint64_t
wait_writebacks_beside(uint64_t before)
{
	struct store_sync_stats st;

	for (int i = 0; i < 10000; i++) {
		store_sync_stats(&st);
		if (st.writebacks_beside > before)
			return st.writebacks_beside;
		(void)usleep(1000);
	}
	return before;
}

/*
 * With an overlap set, the WAL's writes are started on their way to the
 * device by the fsync thread, not by the thread that writes them; without
 * one, by that thread. Closing the database while the fsync thread has
 * writes of its WAL waiting is safe, and what was committed reads back.
 */
static void
test_writeback_beside(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir), wal[4200];
	struct overlap_seen o = { .thread = pthread_self() };
	struct store_sync_stats a, b;
	sqlite3 *db, *plain;

	(void)snprintf(wal, sizeof(wal), "%s-wal", path);
	db = open_db(path, store_vfs_name());
	exec_db(db, "PRAGMA cache_size = 20");
	exec_db(db, TABLE_T);
	CHECK_EQ(store_vfs_overlap_start(overlap_wait, &o), 0);
	store_vfs_role(STORE_SYNC_COMMIT);
	store_sync_stats(&a);
	/* spilling: megabytes reach the WAL before the COMMIT's fsync */
	exec_db(db, "BEGIN");
	fill(db, 1, ROWS, 1);
	CHECK(wait_writebacks_beside(a.writebacks_beside) >
	    a.writebacks_beside);
	exec_db(db, "COMMIT");
	store_sync_stats(&b);
	CHECK_EQ(b.writebacks - a.writebacks,
	    b.writebacks_beside - a.writebacks_beside);
	CHECK_EQ(o.calls, 1);
	/* writes waiting for the fsync thread when the file closes */
	exec_db(db, "BEGIN");
	fill(db, 1, ROWS, 2);
	sqlite3_close(db);
	CHECK_EQ(fds_on(wal), 0);
	store_vfs_overlap_stop();

	db = open_db(path, store_vfs_name());
	exec_db(db, "PRAGMA cache_size = 20");
	store_sync_stats(&a);
	fill(db, ROWS + 1, ROWS, 3);
	store_sync_stats(&b);
	store_vfs_role(STORE_SYNC_NONE);
	CHECK(b.writebacks > a.writebacks);
	CHECK_EQ(b.writebacks_beside, a.writebacks_beside);

	plain = open_plain(path);
	CHECK_EQ(q_int_db(plain, "SELECT count(*) FROM t WHERE g = 1"), ROWS);
	CHECK_EQ(q_int_db(plain, "SELECT count(*) FROM t WHERE g = 2"), 0);
	CHECK_EQ(q_int_db(plain, "SELECT count(*) FROM t WHERE g = 3"), ROWS);
	CHECK_EQ(broken(plain), 0);
	sqlite3_close(plain);
	sqlite3_close(db);
	remove_dir(dir, path);
}

int
main(void)
{
	CHECK(store_vfs_name() != NULL);
	RUN(test_spill_and_read_back);
	RUN(test_killed_mid_transaction);
	RUN(test_checkpoint_read_ahead);
	RUN(test_wal_writeback_descriptor);
	RUN(test_commit_fsync_overlap);
	RUN(test_commit_fsync_deferred);
	RUN(test_commit_fsync_deferred_fails);
	RUN(test_writeback_beside);
	return 0;
}
