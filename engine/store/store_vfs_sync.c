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
	int		flags;
	int		rc;		/* of the last fsync */
	int64_t		us;		/* its duration */
	bool		stop;
	int		wb_fd;		/* writes waiting to be started on
					   it; -1: none */
	int64_t		wb_lo, wb_hi;	/* their span */
	int		wb_busy_fd;	/* being started; -1: none */
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

static void *
syncer_main(void *arg)
{
	struct vfs_syncer *y = arg;
	sqlite3_file *f;
	int64_t t0;
	int rc;

	/* for top, perf and bench-knee.sh's CPU accounting by thread */
	(void)prctl(PR_SET_NAME, "kics-fsync", 0L, 0L, 0L);
	(void)pthread_mutex_lock(&y->mtx);
	for (;;) {
		while (y->file == NULL && !writeback_due(y) && !y->stop)
			(void)pthread_cond_wait(&y->cond, &y->mtx);
		if (y->file == NULL && writeback_due(y)) {
			writeback_start(y);
			continue;
		}
		if (y->file == NULL)
			break;		/* stopping, nothing asked */
		y->wb_fd = -1;		/* the fsync writes them all */
		f = y->file;
		(void)pthread_mutex_unlock(&y->mtx);
		t0 = clock_mono_us();
		rc = f->pMethods->xSync(f, y->flags);
		(void)pthread_mutex_lock(&y->mtx);
		y->us = clock_mono_us() - t0;
		y->rc = rc;
		y->file = NULL;
		atomic_store(&y->synced, true);
		(void)pthread_cond_broadcast(&y->cond);
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
vfs_sync_overlapped(sqlite3_file *real, int flags, int64_t *ret_us)
{
	struct vfs_syncer *y = vfs_syncer;
	int rc;

	(void)pthread_mutex_lock(&y->mtx);
	y->file = real;
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
	while (y->wb_busy_fd == fd)
		(void)pthread_cond_wait(&y->cond, &y->mtx);
	(void)pthread_mutex_unlock(&y->mtx);
}
