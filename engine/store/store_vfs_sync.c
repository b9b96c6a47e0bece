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
 * THREAD SAFETY NOTES: struct vfs_syncer's fields below its mutex are
 * protected by it; the file passed is used by the syncer thread only
 * while the thread that owns it waits in vfs_sync_overlapped(), which
 * touches neither the file nor SQLite meanwhile (the overlap function
 * must not either). The thread-local pointer is the committing thread's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "clock.h"
#include "store-private.h"
#include "store_vfs.h"

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
};

static _Thread_local struct vfs_syncer *vfs_syncer;

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
		while (y->file == NULL && !y->stop)
			(void)pthread_cond_wait(&y->cond, &y->mtx);
		if (y->file == NULL)
			break;		/* stopping, nothing asked */
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
