/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the fsync of a COMMIT made on a thread of its own
 * while the committing thread does other work (issue 17). The writer's
 * COMMIT waits for the WAL's fsync (synchronous=FULL: an ack means the
 * report is on disk), 10-12 ms of a 70-80 ms batch at full load, and its
 * thread had nothing to do meanwhile; the next batch's reports, queued
 * already, were decoded and validated only after it. With an overlap set
 * for the thread (store_vfs_overlap_start()), the VFS hands that fsync to
 * the syncer thread and calls the overlap function, which prepares them,
 * and returns from xSync only once the fsync has returned: SQLite's COMMIT
 * still returns after the WAL is on disk, with the fsync's own result.
 *
 * Between fsyncs the same thread starts the WAL's writes on their way to
 * the device (store_vfs_wbuf.c), once VFS_WRITEBACK_BYTES of them are
 * waiting: each start is a request to the device that cost the writer
 * about 7 % of its time at full load. A start is only a hint to the
 * kernel; the fsync a COMMIT waits for writes whatever was not started,
 * so what is waiting when an fsync is asked for is dropped.
 *
 * DEFERRED FSYNCS. While the committing thread defers (store_vfs_defer(),
 * the writer around a batch of reports), a COMMIT's fsync of the WAL is
 * only asked for: the COMMIT returns once the frames are written, and the
 * syncer thread fdatasyncs the WAL's own descriptor (the writeback one)
 * meanwhile, while the writer applies its next batch. Each deferred fsync
 * is a ticket; an fsync covers every ticket asked before it began, and so
 * does a COMMIT's fsync that is waited for. The caller answers a batch only
 * once its ticket is covered (store_vfs_durable()): an ack still means the
 * report is on disk. SQLite already published the commit, so a reader, or
 * the checkpointer, may see frames not yet synced; SQLite's checkpoint
 * syncs the WAL before it copies any frame (synchronous=FULL on its
 * connection), so no page reaches the database file before the frame it
 * came from is on disk. A failed deferred fsync is sticky: the COMMITs
 * after it fail, so nothing more is published that cannot be synced.
 *
 * THREAD SAFETY NOTES: struct vfs_syncer's fields below its mutex are
 * protected by it; the file passed is used by the syncer thread only
 * while the thread that owns it waits in vfs_sync_overlapped(), which
 * touches neither the file nor SQLite meanwhile (the overlap function
 * must not either). The thread-local pointer is the committing thread's.
 */
#define _GNU_SOURCE	/* sync_file_range() */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clock.h"
#include "store-private.h"
#include "store_vfs.h"

#define VFS_WRITEBACK_BYTES	(512 * 1024)

struct vfs_syncer {
	pthread_t	thread;
	store_sync_overlap_fn *fn;	/* committing thread's */
	void		*arg;
	atomic_bool	synced;		/* the fsync asked for returned */
	pthread_mutex_t	mtx;
	pthread_cond_t	cond;
	sqlite3_file	*file;		/* to sync; NULL: nothing asked */
	int		file_fd;	/* its writeback descriptor, or -1 */
	int		flags;
	int		rc;		/* of the last fsync */
	int64_t		us;		/* its duration */
	bool		stop;
	int		wb_fd;		/* writes waiting to be started on
					   it; -1: none */
	int64_t		wb_lo, wb_hi;	/* their span */
	int		wb_busy_fd;	/* being started; -1: none */
	/* deferred fsyncs: */
	bool		deferring;	/* the owner's: store_vfs_defer() */
	store_sync_durable_fn *durable_fn;	/* called after each */
	void		*durable_arg;
	int		d_fd;		/* to fdatasync; -1: none */
	int		d_busy_fd;	/* being synced; -1: none */
	uint64_t	d_asked;	/* tickets asked for */
	uint64_t	d_done;		/* tickets an fsync covered */
	int		d_err;		/* SQLite code of a failed one */
};

static _Thread_local struct vfs_syncer *vfs_syncer;

/* Whether enough writes wait to be started; mtx held. */
static bool
writeback_due(const struct vfs_syncer *y)
{
	return y->wb_fd >= 0 && y->wb_hi - y->wb_lo >= VFS_WRITEBACK_BYTES;
}

/* Starts the writes waiting; mtx held, released meanwhile. */
static void
writeback_start(struct vfs_syncer *y)
{
	int fd = y->wb_fd;
	int64_t lo = y->wb_lo, hi = y->wb_hi;

	y->wb_fd = -1;
	y->wb_busy_fd = fd;
	(void)pthread_mutex_unlock(&y->mtx);
	vfs_writeback_count(true);
	(void)sync_file_range(fd, lo, hi - lo, SYNC_FILE_RANGE_WRITE);
	(void)pthread_mutex_lock(&y->mtx);
	y->wb_busy_fd = -1;
	(void)pthread_cond_broadcast(&y->cond);
}

/* Whether a deferred fsync was asked for and not made yet; mtx held. */
static bool
defer_due(const struct vfs_syncer *y)
{
	return y->d_fd >= 0 && y->d_asked > y->d_done && y->d_err == 0;
}

/* Calls the owner's durable function, with mtx released meanwhile. */
static void
durable_notify(struct vfs_syncer *y)
{
	if (y->durable_fn == NULL)
		return;
	(void)pthread_mutex_unlock(&y->mtx);
	y->durable_fn(y->durable_arg);
	(void)pthread_mutex_lock(&y->mtx);
}

/* Makes the deferred fsyncs asked so far as one; mtx held, released. */
static void
defer_run(struct vfs_syncer *y)
{
	uint64_t upto = y->d_asked;
	int fd = y->d_fd, r;
	int64_t t0;

	if (y->wb_fd == fd)
		y->wb_fd = -1;		/* the fsync writes them all */
	y->d_busy_fd = fd;
	(void)pthread_mutex_unlock(&y->mtx);
	t0 = clock_mono_us();
	r = fdatasync(fd);
	vfs_deferred_sync_count(clock_mono_us() - t0);
	(void)pthread_mutex_lock(&y->mtx);
	y->d_busy_fd = -1;
	if (r == 0) {
		if (upto > y->d_done)
			y->d_done = upto;
	} else
		y->d_err = SQLITE_IOERR_FSYNC;
	(void)pthread_cond_broadcast(&y->cond);
	durable_notify(y);
}

static void *
syncer_main(void *arg)
{
	struct vfs_syncer *y = arg;
	sqlite3_file *f;
	uint64_t upto;
	int64_t t0;
	int rc;

	/* for top, perf and bench-knee.sh's CPU accounting by thread */
	(void)prctl(PR_SET_NAME, "kics-fsync", 0L, 0L, 0L);
	(void)pthread_mutex_lock(&y->mtx);
	for (;;) {
		while (y->file == NULL && !defer_due(y) && !writeback_due(y) &&
		    !y->stop)
			(void)pthread_cond_wait(&y->cond, &y->mtx);
		if (y->file == NULL && defer_due(y)) {
			defer_run(y);
			continue;
		}
		if (y->file == NULL && writeback_due(y)) {
			writeback_start(y);
			continue;
		}
		if (y->file == NULL)
			break;		/* stopping, nothing asked */
		y->wb_fd = -1;		/* the fsync writes them all */
		f = y->file;
		/* the WAL's: it covers the deferred ones asked before */
		upto = y->file_fd >= 0 && y->file_fd == y->d_fd ?
		    y->d_asked : 0;
		(void)pthread_mutex_unlock(&y->mtx);
		t0 = clock_mono_us();
		rc = f->pMethods->xSync(f, y->flags);
		(void)pthread_mutex_lock(&y->mtx);
		y->us = clock_mono_us() - t0;
		y->rc = rc;
		y->file = NULL;
		atomic_store(&y->synced, true);
		(void)pthread_cond_broadcast(&y->cond);
		if (rc == SQLITE_OK && y->d_err == 0 && upto > y->d_done) {
			y->d_done = upto;
			durable_notify(y);
		}
	}
	(void)pthread_mutex_unlock(&y->mtx);
	return NULL;
}

int
store_vfs_overlap_start(store_sync_overlap_fn *fn, void *arg)
{
	struct vfs_syncer *y;
	int r;

	if (vfs_syncer != NULL)
		return -EALREADY;
	if ((y = calloc(1, sizeof(*y))) == NULL)
		return -ENOMEM;
	y->fn = fn;
	y->arg = arg;
	atomic_init(&y->synced, true);
	y->wb_fd = -1;
	y->wb_busy_fd = -1;
	y->d_fd = -1;
	y->d_busy_fd = -1;
	(void)pthread_mutex_init(&y->mtx, NULL);
	(void)pthread_cond_init(&y->cond, NULL);
	if ((r = pthread_create(&y->thread, NULL, syncer_main, y)) != 0) {
		(void)pthread_cond_destroy(&y->cond);
		(void)pthread_mutex_destroy(&y->mtx);
		free(y);
		return -r;
	}
	vfs_syncer = y;
	return 0;
}

void
store_vfs_overlap_stop(void)
{
	struct vfs_syncer *y = vfs_syncer;

	if (y == NULL)
		return;
	(void)pthread_mutex_lock(&y->mtx);
	y->stop = true;
	(void)pthread_cond_signal(&y->cond);
	(void)pthread_mutex_unlock(&y->mtx);
	(void)pthread_join(y->thread, NULL);
	(void)pthread_cond_destroy(&y->cond);
	(void)pthread_mutex_destroy(&y->mtx);
	free(y);
	vfs_syncer = NULL;
}

bool
vfs_sync_overlap_set(void)
{
	return vfs_syncer != NULL;
}

int
vfs_sync_overlapped(sqlite3_file *real, int fd, int flags, int64_t *ret_us)
{
	struct vfs_syncer *y = vfs_syncer;
	int rc;

	(void)pthread_mutex_lock(&y->mtx);
	if (y->d_err != 0) {
		/* after a failed deferred fsync, nothing more is published */
		*ret_us = 0;
		rc = y->d_err;
		(void)pthread_mutex_unlock(&y->mtx);
		return rc;
	}
	y->file = real;
	y->file_fd = fd;
	y->flags = flags;
	atomic_store(&y->synced, false);
	(void)pthread_cond_signal(&y->cond);
	(void)pthread_mutex_unlock(&y->mtx);

	y->fn(y->arg, &y->synced);

	(void)pthread_mutex_lock(&y->mtx);
	while (!atomic_load(&y->synced))
		(void)pthread_cond_wait(&y->cond, &y->mtx);
	rc = y->rc;
	*ret_us = y->us;
	(void)pthread_mutex_unlock(&y->mtx);
	return rc;
}

bool
vfs_writeback_beside(int fd, int64_t off, int64_t n)
{
	struct vfs_syncer *y = vfs_syncer;

	if (y == NULL)
		return false;
	(void)pthread_mutex_lock(&y->mtx);
	if (y->wb_fd == fd) {
		/* the WAL is written in order; a span also covers a gap */
		if (off < y->wb_lo)
			y->wb_lo = off;
		if (off + n > y->wb_hi)
			y->wb_hi = off + n;
	} else {
		y->wb_fd = fd;
		y->wb_lo = off;
		y->wb_hi = off + n;
	}
	if (writeback_due(y))
		(void)pthread_cond_signal(&y->cond);
	(void)pthread_mutex_unlock(&y->mtx);
	return true;
}

void
vfs_writeback_forget(int fd)
{
	struct vfs_syncer *y = vfs_syncer;

	if (y == NULL)
		return;
	(void)pthread_mutex_lock(&y->mtx);
	if (y->wb_fd == fd)
		y->wb_fd = -1;
	/* what was deferred on fd is synced before it closes */
	while (y->wb_busy_fd == fd || y->d_busy_fd == fd ||
	    (y->d_fd == fd && defer_due(y)))
		(void)pthread_cond_wait(&y->cond, &y->mtx);
	if (y->d_fd == fd)
		y->d_fd = -1;
	(void)pthread_mutex_unlock(&y->mtx);
}

int
vfs_sync_deferred(int fd)
{
	struct vfs_syncer *y = vfs_syncer;
	int rc = -1;

	if (y == NULL || !y->deferring || fd < 0)
		return -1;
	(void)pthread_mutex_lock(&y->mtx);
	if (y->d_err != 0)
		rc = y->d_err;
	else if (y->d_fd < 0 || y->d_fd == fd || !defer_due(y)) {
		y->d_fd = fd;
		y->d_asked++;
		(void)pthread_cond_signal(&y->cond);
		rc = SQLITE_OK;
	}
	(void)pthread_mutex_unlock(&y->mtx);
	return rc;
}

void
store_vfs_defer(bool on)
{
	if (vfs_syncer != NULL)
		vfs_syncer->deferring = on;
}

int
store_vfs_defer_notify(store_sync_durable_fn *fn, void *arg)
{
	struct vfs_syncer *y = vfs_syncer;

	if (y == NULL)
		return -ENOENT;
	(void)pthread_mutex_lock(&y->mtx);
	y->durable_fn = fn;
	y->durable_arg = arg;
	(void)pthread_mutex_unlock(&y->mtx);
	return 0;
}

int
store_vfs_durable(uint64_t *ret_asked, uint64_t *ret_done)
{
	struct vfs_syncer *y = vfs_syncer;
	int r;

	*ret_asked = *ret_done = 0;
	if (y == NULL)
		return 0;
	(void)pthread_mutex_lock(&y->mtx);
	*ret_asked = y->d_asked;
	*ret_done = y->d_done;
	r = y->d_err != 0 ? -EIO : 0;
	(void)pthread_mutex_unlock(&y->mtx);
	return r;
}

int
store_vfs_durable_wait(void)
{
	struct vfs_syncer *y = vfs_syncer;
	int r;

	if (y == NULL)
		return 0;
	(void)pthread_mutex_lock(&y->mtx);
	while (defer_due(y) || y->d_busy_fd >= 0)
		(void)pthread_cond_wait(&y->cond, &y->mtx);
	r = y->d_err != 0 ? -EIO : 0;
	(void)pthread_mutex_unlock(&y->mtx);
	return r;
}
