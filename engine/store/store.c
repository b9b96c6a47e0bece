/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the store's connection: opening the database with its
 * pragmas, the embedded migrations, transactions, settings and the cache of
 * prepared statements.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "embedded.h"
#include "log.h"	/* KICS_PRINTF */
#include "store-private.h"
#include "store_pcache.h"

static void store_set_errmsg(struct store *s, const char *fmt, ...)
    KICS_PRINTF(2, 3);

static void
store_set_errmsg(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
}

/* Maps an SQLite result code to a negative errno (0 for success codes). */
static int
store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

char *
store_column_dup(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return strdup(v != NULL ? v : "");
}

int
store_error(struct store *s, int rc)
{
	const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) :
	    sqlite3_errstr(rc);

	store_set_errmsg(s, "%s", msg);
	return store_errno(rc);
}

/* The statement of slot, prepared on first use, reset. */
static sqlite3_stmt *
stmt_get(struct store *s, enum store_stmt slot, const char *sql)
{
	sqlite3_stmt *st = s->stmt[slot];
	int rc;

	if (st == NULL) {
		rc = sqlite3_prepare_v3(s->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK) {
			(void)store_error(s, rc);
			return NULL;
		}
		s->stmt[slot] = st;
		return st;
	}
	(void)sqlite3_reset(st);
	return st;
}

sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt slot, const char *sql)
{
	sqlite3_stmt *st = stmt_get(s, slot, sql);

	if (st != NULL)
		(void)sqlite3_clear_bindings(st);
	return st;
}

sqlite3_stmt *
store_stmt_rebound(struct store *s, enum store_stmt slot, const char *sql)
{
	return stmt_get(s, slot, sql);
}

int
store_exec_stmt(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		(void)sqlite3_reset(st);
		return 0;
	}
	rc = store_error(s, rc);
	(void)sqlite3_reset(st);
	return rc;
}

int
store_step_int(struct store *s, sqlite3_stmt *st, int64_t *ret_value)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*ret_value = sqlite3_column_int64(st, 0);
		(void)sqlite3_reset(st);
		return 0;
	}
	(void)sqlite3_reset(st);
	return rc == SQLITE_DONE ? -ENOENT : store_error(s, rc);
}

int
store_bind_text(sqlite3_stmt *st, int i, const char *value)
{
	if (value == NULL || *value == '\0')
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, value, -1, SQLITE_STATIC);
}

int
store_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, id);
}

const char *
store_errmsg(const struct store *s)
{
	return s->errmsg;
}

int
store_schema_version(void)
{
	return embedded_schema_version();
}

static int
store_exec(struct store *s, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &err);

	if (rc == SQLITE_OK)
		return 0;
	store_set_errmsg(s, "%s", err != NULL ? err : sqlite3_errstr(rc));
	sqlite3_free(err);
	return store_errno(rc) < 0 ? store_errno(rc) : -EIO;
}

static int
store_user_version(struct store *s, int *ret_version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ret_version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	(void)sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : store_error(s, rc);
}

/* Applies migration m (number n) in one transaction. */
static int
store_migrate_one(struct store *s, const struct embedded_file *m, int n)
{
	char pragma[64];
	int r;

	if ((r = store_exec(s, "BEGIN IMMEDIATE")) < 0)
		return r;
	(void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", n);
	if ((r = store_exec(s, m->text)) < 0 ||
	    (r = store_exec(s, pragma)) < 0) {
		char msg[STORE_ERRMSG_LEN];

		(void)snprintf(msg, sizeof(msg), "%s", s->errmsg);
		(void)store_exec(s, "ROLLBACK");
		store_set_errmsg(s, "migration %s: %s", m->name, msg);
		return r;
	}
	return store_exec(s, "COMMIT");
}

static int
store_migrate(struct store *s, const char *path)
{
	int have = 0, want = store_schema_version(), r;

	if ((r = store_user_version(s, &have)) < 0)
		return r;
	if (have > want) {
		store_set_errmsg(s, "database '%s' has schema version %d but "
		    "this kics-epp knows only up to %d: use a newer kics-epp",
		    path, have, want);
		return -EPROTO;
	}
	/* embedded_migrations is sorted by name, hence by number */
	for (const struct embedded_file *m = embedded_migrations;
	    m->name != NULL; m++) {
		int n = embedded_migration_number(m->name);

		if (n <= have)
			continue;
		if ((r = store_migrate_one(s, m, n)) < 0)
			return r;
	}
	return 0;
}

static int
store_configure(struct store *s)
{
	/*
	 * WAL so that readers never block the writer; FULL so that an
	 * acknowledged report survives power loss. The VFS's write buffer
	 * needs FULL too: it writes a commit's frames out at the commit's
	 * sync, before the commit publishes them to other connections
	 * (store_vfs_wbuf.c); under NORMAL there is no such sync and the
	 * checkpointer read frames that were not yet written (issue 17,
	 * docs/performance.md). The rest are the settings
	 * that sustained FTS5 ingest at 1M rows (DESIGN.md), Debian enables
	 * secure_delete by default.
	 */
	static const char *const pragmas =
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    /*
	     * 48 MB: the page cache is the largest item of the daemon's
	     * 128 MB budget at 1,000 agents (docs/performance.md). 16 MB
	     * were enough on a fresh database, but once it holds a few
	     * hundred thousand events the indexes that reports write at
	     * random places (events by agent and key, by device,
	     * interactions) outgrow it, and at 2,500 reports/s the writer
	     * fell behind (issue 17).
	     */
	    "PRAGMA cache_size = -49152;"
	    "PRAGMA secure_delete = OFF;"
	    /* no wal_autocheckpoint: store_wal_init()'s hook replaces it */
	    /* savepoint journals stay in memory: bounded by one report */
	    "PRAGMA temp_store = MEMORY;";

	(void)sqlite3_busy_timeout(s->db, 5000);
	return store_exec(s, pragmas);
}

/*
 * Process-wide SQLite settings, before SQLite initializes: on the thread
 * that opens the first store, before any other uses SQLite (like
 * store_vfs_name()). Without memory statistics, which nothing reads,
 * every sqlite3_malloc() and sqlite3_free() no longer takes a global
 * mutex (issue 17: 3-5 % of the writer's CPU); the page cache of
 * store_pcache.c (about 3 % of it). Once SQLite is initialized (a test's own
 * connection first) they change nothing.
 */
static void
store_sqlite_config(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	(void)store_pcache_install();
}

int
store_open(const char *path, char *errbuf, size_t errlen,
    struct store **ret_store)
{
	struct store *s = NULL;
	char *dir = NULL, *slash;
	struct stat sb;
	int persist_wal = 1, r;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (dir = strdup(path)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			store_set_errmsg(s, "directory '%s' of database '%s' "
			    "does not exist", dir, path);
			r = -ENOENT;
			goto out;
		}
	}
	store_sqlite_config();
	r = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, store_vfs_name());
	if (r != SQLITE_OK) {
		r = store_error(s, r);
		goto out;
	}
	(void)sqlite3_extended_result_codes(s->db, 1);
	/*
	 * Keep -wal and -shm when the last connection closes. Readers such
	 * as kics-query open the database read-only and, in a data directory
	 * they may not write (0750, owned by the daemon's user), cannot
	 * create them: SQLite then fails with "attempt to write a readonly
	 * database" while the daemon is stopped. With the files kept (empty
	 * WAL after the TRUNCATE checkpoint of store_free()), read-only
	 * readers work whether or not the daemon runs
	 * (https://www.sqlite.org/wal.html, "Read-Only Databases").
	 */
	(void)sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL,
	    &persist_wal);
	if ((r = store_configure(s)) < 0 ||
	    (r = store_event_key_register(s)) < 0 ||
	    (r = store_migrate(s, path)) < 0)
		goto out;
	store_wal_init(s);
	*ret_store = s;
	s = NULL;
out:
	if (s != NULL && errbuf != NULL)
		(void)snprintf(errbuf, errlen, "%s", s->errmsg);
	store_free(s);
	free(dir);
	return r;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	interaction_queue_free(s->interactions);
	peer_cache_free(s->peer_cache);
	for (int i = 0; i < STMT_MAX; i++)
		(void)sqlite3_finalize(s->stmt[i]);
	if (s->db != NULL) {
		/* leave a small WAL behind: readers start faster */
		(void)sqlite3_wal_checkpoint_v2(s->db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		(void)sqlite3_close(s->db);
	}
	free(s);
}

static int
store_simple(struct store *s, enum store_stmt slot, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, slot, sql);

	if (st == NULL)
		return -EIO;
	return store_exec_stmt(s, st);
}

bool
store_writing(const struct store *s)
{
	return sqlite3_txn_state(s->db, NULL) == SQLITE_TXN_WRITE;
}

int
store_read_begin(struct store *s)
{
	return store_simple(s, STMT_BEGIN_READ, "BEGIN DEFERRED");
}

void
store_read_end(struct store *s)
{
	/* a transaction that only read: nothing to write or sync */
	if (!sqlite3_get_autocommit(s->db))
		(void)store_simple(s, STMT_COMMIT, "COMMIT");
}

int
store_begin(struct store *s)
{
	return store_simple(s, STMT_BEGIN, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *s)
{
	int64_t t0;
	int r;

	/* the full-text rows of the transaction go in together, last */
	if ((r = store_interaction_flush(s)) < 0 ||
	    (r = store_fts_flush(s)) < 0) {
		peer_cache_clear(s->peer_cache);	/* may have rolled back */
		return r;
	}
	t0 = clock_mono_us();
	store_vfs_role(STORE_SYNC_COMMIT);
	r = store_simple(s, STMT_COMMIT, "COMMIT");
	store_vfs_role(STORE_SYNC_NONE);
	if (r == 0)
		store_wal_commit_timed(s, clock_mono_us() - t0);
	else
		peer_cache_clear(s->peer_cache);	/* may have rolled back */
	return r;
}

int
store_rollback(struct store *s)
{
	store_fts_forget(s);
	interaction_queue_clear(s->interactions);
	/* also when SQLite rolled back by itself after an error */
	peer_cache_clear(s->peer_cache);
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return store_simple(s, STMT_ROLLBACK, "ROLLBACK");
}

int
store_end(struct store *s, int r)
{
	int rc;

	if (r >= 0) {
		if ((rc = store_commit(s)) == 0)
			return r;
		r = rc;
	}
	/* also after a failed COMMIT, which can leave the transaction open */
	(void)store_rollback(s);
	return r;
}

int
store_savepoint(struct store *s)
{
	int r;

	/* queued interactions may merge across it: written before */
	if ((r = store_interaction_flush(s)) < 0)
		return r;
	return store_simple(s, STMT_SAVEPOINT, "SAVEPOINT report");
}

int
store_savepoint_release(struct store *s)
{
	return store_simple(s, STMT_RELEASE, "RELEASE report");
}

int
store_savepoint_rollback(struct store *s)
{
	int r;

	/* the events rolled back leave the transaction's range by themselves */
	/* all of the queue was added after the savepoint (store_savepoint()) */
	interaction_queue_clear(s->interactions);
	peer_cache_clear(s->peer_cache);
	if ((r = store_simple(s, STMT_ROLLBACK_TO, "ROLLBACK TO report")) < 0)
		return r;
	return store_savepoint_release(s);
}

int
store_setting_set_int(struct store *s, const char *key, int64_t value)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SETTING_SET,
	    "INSERT INTO settings (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 2, value);
	return store_exec_stmt(s, st);
}

int
store_setting_get_int(struct store *s, const char *key, int64_t *ret_value)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SETTING_GET,
	    "SELECT value FROM settings WHERE key = ?1");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return store_step_int(s, st, ret_value);
}
