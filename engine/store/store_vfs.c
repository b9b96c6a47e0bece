/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the "kics-timed" VFS: SQLite's default VFS with every
 * call passed through, and the time of each xSync measured and counted by
 * what the calling thread is doing (store_vfs_role()): a COMMIT of the
 * writer's connection (synchronous=FULL: the WAL's fsync before an ack)
 * or a checkpoint (the WAL's and the database file's). Syncs at other
 * times (migrations, close) are not counted. The writer's and the
 * checkpointer's connections open their files through it (store_wal.h:
 * struct store_sync_stats).
 *
 * THREAD SAFETY NOTES: the role is thread-local; the counters are atomics
 * shared by every connection of the process; the VFS is registered once,
 * by store_vfs_name() on the thread that opens the first store (the
 * daemon's main thread), before any other thread uses it.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "clock.h"
#include "store-private.h"
#include "store_wal.h"

#define STORE_VFS_NAME	"kics-timed"

/* An open file: ours first, the default VFS's right after it. */
struct timed_file {
	sqlite3_file	base;		/* pMethods = our methods */
	sqlite3_file	*real;		/* the default VFS's file */
	struct wbuf	wbuf;		/* writes not yet made (the WAL and
					   the database file only) */
	bool		coalesce;	/* writes go through wbuf */
	bool		wal;		/* a checkpoint's reads go through
					   rbuf */
	bool		synced;		/* SQLite's own xSync ran once: a new
					   file's directory entry is synced */
	struct rbuf	rbuf;
};

struct timed_counter {
	atomic_uint_fast64_t n, us_total, us_max;
};

static struct timed_counter timed_counters[STORE_SYNC_ROLE_MAX];
static _Thread_local enum store_sync_role timed_role;
static _Thread_local uint64_t timed_epoch;	/* one per role set */
static sqlite3_vfs timed_vfs;
static atomic_uint_fast64_t writebacks, writebacks_beside;
static atomic_uint_fast64_t deferred_commits, deferred_syncs;

static sqlite3_vfs *
real_vfs(void)
{
	return timed_vfs.pAppData;
}

static sqlite3_file *
real(sqlite3_file *f)
{
	return ((struct timed_file *)f)->real;
}

static void
timed_count(struct timed_counter *c, int64_t us)
{
	uint_fast64_t v = us > 0 ? (uint_fast64_t)us : 0;
	uint_fast64_t max = atomic_load(&c->us_max);

	atomic_fetch_add(&c->n, 1);
	atomic_fetch_add(&c->us_total, v);
	while (v > max && !atomic_compare_exchange_weak(&c->us_max, &max, v))
		;
}

/* Makes the writes held for f; every method but xWrite starts with it. */
static int
flush(sqlite3_file *f)
{
	struct timed_file *t = (struct timed_file *)f;

	return wbuf_flush(&t->wbuf, t->real);
}

static int
timed_sync(sqlite3_file *f, int flags)
{
	struct timed_file *t = (struct timed_file *)f;
	enum store_sync_role role = timed_role;
	int rc = flush(f);	/* writing, not syncing: not timed */
	int64_t t0 = clock_mono_us(), us;

	rbuf_drop(&t->rbuf);
	if (rc != SQLITE_OK)
		return rc;
	/*
	 * The writer's WAL at a COMMIT: deferred while the writer defers
	 * (store_vfs_sync.c), else beside the next batch's decoding.
	 */
	if (t->wal && role == STORE_SYNC_COMMIT && vfs_sync_overlap_set()) {
		if (t->synced &&
		    (rc = vfs_sync_deferred(t->wbuf.writeback_fd)) != -1) {
			if (rc == SQLITE_OK)
				atomic_fetch_add_explicit(&deferred_commits, 1,
				    memory_order_relaxed);
			return rc;
		}
		rc = vfs_sync_overlapped(t->real, t->wbuf.writeback_fd, flags,
		    &us);
		timed_count(&timed_counters[role], us);
	} else {
		rc = t->real->pMethods->xSync(t->real, flags);
		if (role != STORE_SYNC_NONE)
			timed_count(&timed_counters[role],
			    clock_mono_us() - t0);
	}
	t->synced = t->synced || rc == SQLITE_OK;
	return rc;
}

/*
 * The rest of the file methods pass through, after the held writes
 * (store_vfs_wbuf.c). A read needs them only where it overlaps them.
 */
static int
timed_close(sqlite3_file *f)
{
	struct timed_file *t = (struct timed_file *)f;
	int rc = flush(f);
	int rc_close = t->real->pMethods->xClose(t->real);

	wbuf_free(&t->wbuf);
	rbuf_free(&t->rbuf);
	return rc != SQLITE_OK ? rc : rc_close;
}

static int
timed_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	struct timed_file *t = (struct timed_file *)f;
	int rc = wbuf_flush_overlap(&t->wbuf, t->real, off, n);

	if (rc != SQLITE_OK)
		return rc;
	if (t->wal && timed_role == STORE_SYNC_CHECKPOINT)
		return rbuf_read(&t->rbuf, t->real, buf, n, off, timed_epoch);
	return t->real->pMethods->xRead(t->real, buf, n, off);
}

static int
timed_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct timed_file *t = (struct timed_file *)f;

	rbuf_drop(&t->rbuf);
	if (!t->coalesce)
		return t->real->pMethods->xWrite(t->real, buf, n, off);
	return wbuf_write(&t->wbuf, t->real, buf, n, off);
}

static int
timed_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = flush(f);

	rbuf_drop(&((struct timed_file *)f)->rbuf);
	return rc != SQLITE_OK ? rc : real(f)->pMethods->xTruncate(real(f),
	    size);
}

static int
timed_file_size(sqlite3_file *f, sqlite3_int64 *ret_size)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real(f)->pMethods->xFileSize(real(f),
	    ret_size);
}

static int
timed_lock(sqlite3_file *f, int lock)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real(f)->pMethods->xLock(real(f), lock);
}

static int
timed_unlock(sqlite3_file *f, int lock)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real(f)->pMethods->xUnlock(real(f),
	    lock);
}

static int
timed_check_reserved(sqlite3_file *f, int *ret_out)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
	    real(f)->pMethods->xCheckReservedLock(real(f), ret_out);
}

static int
timed_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real(f)->pMethods->xFileControl(real(f),
	    op, arg);
}

static int
timed_sector_size(sqlite3_file *f)
{
	return real(f)->pMethods->xSectorSize(real(f));
}

static int
timed_device(sqlite3_file *f)
{
	return real(f)->pMethods->xDeviceCharacteristics(real(f));
}

static int
timed_shm_map(sqlite3_file *f, int pg, int pgsz, int extend,
    void volatile **ret_p)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real(f)->pMethods->xShmMap(real(f), pg,
	    pgsz, extend, ret_p);
}

static int
timed_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real(f)->pMethods->xShmLock(real(f),
	    offset, n, flags);
}

static void
timed_shm_barrier(sqlite3_file *f)
{
	struct timed_file *t = (struct timed_file *)f;
	int rc = flush(f);

	if (rc != SQLITE_OK)	/* returned by the next method */
		t->wbuf.err = rc;
	t->real->pMethods->xShmBarrier(t->real);
}

static int
timed_shm_unmap(sqlite3_file *f, int delete_flag)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real(f)->pMethods->xShmUnmap(real(f),
	    delete_flag);
}

static int
timed_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **ret_p)
{
	struct timed_file *t = (struct timed_file *)f;
	int rc = wbuf_flush_overlap(&t->wbuf, t->real, off, n);

	*ret_p = NULL;
	return rc != SQLITE_OK ? rc : t->real->pMethods->xFetch(t->real, off,
	    n, ret_p);
}

static int
timed_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return real(f)->pMethods->xUnfetch(real(f), off, p);
}

/* Version 3 (shared memory, memory-mapped I/O), as the unix VFS's files. */
static const sqlite3_io_methods timed_io = {
	.iVersion = 3,
	.xClose = timed_close,
	.xRead = timed_read,
	.xWrite = timed_write,
	.xTruncate = timed_truncate,
	.xSync = timed_sync,
	.xFileSize = timed_file_size,
	.xLock = timed_lock,
	.xUnlock = timed_unlock,
	.xCheckReservedLock = timed_check_reserved,
	.xFileControl = timed_file_control,
	.xSectorSize = timed_sector_size,
	.xDeviceCharacteristics = timed_device,
	.xShmMap = timed_shm_map,
	.xShmLock = timed_shm_lock,
	.xShmBarrier = timed_shm_barrier,
	.xShmUnmap = timed_shm_unmap,
	.xFetch = timed_fetch,
	.xUnfetch = timed_unfetch,
};

static int
timed_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f,
    int flags, int *ret_flags)
{
	struct timed_file *t = (struct timed_file *)f;
	int rc;

	(void)vfs;
	t->real = (sqlite3_file *)(t + 1);
	t->wbuf = (struct wbuf){ .writeback_fd = -1 };
	t->rbuf = (struct rbuf){0};
	t->wal = (flags & SQLITE_OPEN_WAL) != 0;
	/* SQLite's appends and a checkpoint's page writes */
	t->coalesce = (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)) != 0;
	rc = real_vfs()->xOpen(real_vfs(), name, t->real, flags, ret_flags);
	/* no methods: SQLite will not call xClose */
	if (t->real->pMethods == NULL) {
		t->base.pMethods = NULL;
		return rc;
	}
	if (t->real->pMethods->iVersion < timed_io.iVersion)
		return SQLITE_CANTOPEN;
	t->base.pMethods = &timed_io;
	/*
	 * The WAL's writeback descriptor (store_vfs_wbuf.c). Never one on
	 * the database file: closing any descriptor of a file drops the
	 * process's fcntl() locks on it, which SQLite holds there. SQLite
	 * locks the WAL through the -shm file, not the WAL itself. Without
	 * it (no name, open failed) the writes are only not started early.
	 */
	if (rc == SQLITE_OK && t->wal && name != NULL)
		t->wbuf.writeback_fd = open(name, O_RDONLY | O_CLOEXEC);
	return rc;
}

/* The VFS methods other than xOpen go to the default VFS. */
static int
timed_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs()->xDelete(real_vfs(), name, sync_dir);
}

static int
timed_access(sqlite3_vfs *vfs, const char *name, int flags, int *ret_out)
{
	(void)vfs;
	return real_vfs()->xAccess(real_vfs(), name, flags, ret_out);
}

static int
timed_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}

static void *
timed_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs()->xDlOpen(real_vfs(), name);
}

static void
timed_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	real_vfs()->xDlError(real_vfs(), n, msg);
}

static void (*timed_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs()->xDlSym(real_vfs(), h, sym);
}

static void
timed_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs()->xDlClose(real_vfs(), h);
}

static int
timed_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xRandomness(real_vfs(), n, out);
}

static int
timed_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs()->xSleep(real_vfs(), us);
}

static int
timed_current_time(sqlite3_vfs *vfs, double *ret_t)
{
	(void)vfs;
	return real_vfs()->xCurrentTime(real_vfs(), ret_t);
}

static int
timed_last_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	return real_vfs()->xGetLastError(real_vfs(), n, msg);
}

static int
timed_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *ret_t)
{
	(void)vfs;
	return real_vfs()->xCurrentTimeInt64(real_vfs(), ret_t);
}

const char *
store_vfs_name(void)
{
	sqlite3_vfs *def;

	if (sqlite3_vfs_find(STORE_VFS_NAME) != NULL)
		return STORE_VFS_NAME;
	/* without a default VFS of version 2 or more: untimed */
	if ((def = sqlite3_vfs_find(NULL)) == NULL || def->iVersion < 2)
		return NULL;
	timed_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct timed_file) + def->szOsFile,
		.mxPathname = def->mxPathname,
		.zName = STORE_VFS_NAME,
		.pAppData = def,
		.xOpen = timed_open,
		.xDelete = timed_delete,
		.xAccess = timed_access,
		.xFullPathname = timed_full_pathname,
		.xDlOpen = timed_dlopen,
		.xDlError = timed_dlerror,
		.xDlSym = timed_dlsym,
		.xDlClose = timed_dlclose,
		.xRandomness = timed_randomness,
		.xSleep = timed_sleep,
		.xCurrentTime = timed_current_time,
		.xGetLastError = timed_last_error,
		.xCurrentTimeInt64 = timed_current_time64,
	};
	if (sqlite3_vfs_register(&timed_vfs, 0) != SQLITE_OK)
		return NULL;
	return STORE_VFS_NAME;
}

void
store_vfs_role(enum store_sync_role role)
{
	timed_role = role;
	timed_epoch++;
}

void
store_sync_stats(struct store_sync_stats *ret)
{
	struct timed_counter *c = &timed_counters[STORE_SYNC_COMMIT];
	struct timed_counter *k = &timed_counters[STORE_SYNC_CHECKPOINT];

	ret->commit_syncs = atomic_load(&c->n);
	ret->commit_sync_us_total = atomic_load(&c->us_total);
	ret->commit_sync_us_max = atomic_load(&c->us_max);
	ret->ckpt_syncs = atomic_load(&k->n);
	ret->ckpt_sync_us_total = atomic_load(&k->us_total);
	ret->ckpt_sync_us_max = atomic_load(&k->us_max);
	wbuf_counts(&ret->sqlite_writes, &ret->file_writes);
	ret->writebacks = atomic_load(&writebacks);
	ret->writebacks_beside = atomic_load(&writebacks_beside);
	ret->deferred_commits = atomic_load(&deferred_commits);
	ret->deferred_syncs = atomic_load(&deferred_syncs);
}

void
vfs_deferred_sync_count(int64_t us)
{
	timed_count(&timed_counters[STORE_SYNC_COMMIT], us);
	atomic_fetch_add_explicit(&deferred_syncs, 1, memory_order_relaxed);
}

void
vfs_writeback_count(bool beside)
{
	atomic_fetch_add_explicit(&writebacks, 1, memory_order_relaxed);
	if (beside)
		atomic_fetch_add_explicit(&writebacks_beside, 1,
		    memory_order_relaxed);
}
