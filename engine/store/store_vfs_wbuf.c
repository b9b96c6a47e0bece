/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the write coalescing of the store's VFS (issue 17):
 * SQLite writes a WAL frame as two calls (its 24-byte header, then the
 * page) and a checkpoint one page at a time, so a commit of a few hundred
 * frames made a few hundred pwrite(2) calls, each a system call. A struct
 * wbuf collects writes that continue one another and hands them to the
 * real file as one write.
 *
 * Correctness rests on one rule, kept by store_vfs.c: the buffer is
 * written out before any other method of the file runs (xSync, xRead of
 * an overlapping range, xFileSize, xTruncate, locks, file controls,
 * xClose), and before a write that does not continue it. So every byte
 * SQLite wrote is in the file before it can look at the file, and before
 * the fsync that makes a commit durable: an ack still means the frames
 * are on disk. Other connections only read frames a commit published,
 * and a commit publishes its frames after its xSync.
 *
 * The WAL's writes also start on their way to the device as they are made
 * (sync_file_range(), SYNC_FILE_RANGE_WRITE): a commit writes its frames
 * and then syncs them, and the device can work on the first ones while
 * SQLite still writes the last ones, so the fsync waits less (issue 17).
 * On a thread with an fsync thread of its own (the writer's), that thread
 * starts them (store_vfs_sync.c): each start costs the kernel a request
 * to the device, about 7 % of the writer's time at full load when it made
 * them itself.
 *
 * A write that fails leaves the buffer empty: the bytes it held were
 * never synced, so SQLite treats them as lost, as it would a failed
 * pwrite, and writes them again (or rolls back).
 *
 * THREAD SAFETY: a struct wbuf belongs to one sqlite3_file, which SQLite
 * uses from one thread at a time. The counters are atomics.
 */
#define _GNU_SOURCE	/* sync_file_range() */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-private.h"

static atomic_uint_fast64_t wbuf_requested;	/* xWrite calls */
static atomic_uint_fast64_t wbuf_made;	/* writes to the real files */

/*
 * Writes n bytes at off to the real file and counts it; for the WAL, then
 * starts their way to the device. That only asks the kernel to begin: the
 * fsync before an ack still waits for every byte (a failure here changes
 * nothing and is ignored).
 */
static int
wbuf_real_write(struct wbuf *w, sqlite3_file *real, const void *p, int n,
    sqlite3_int64 off)
{
	int rc;

	atomic_fetch_add_explicit(&wbuf_made, 1, memory_order_relaxed);
	rc = real->pMethods->xWrite(real, p, n, off);
	if (rc == SQLITE_OK && w->writeback_fd >= 0 && n > 0 &&
	    !vfs_writeback_beside(w->writeback_fd, off, n)) {
		vfs_writeback_count(false);
		(void)sync_file_range(w->writeback_fd, off, n,
		    SYNC_FILE_RANGE_WRITE);
	}
	return rc;
}

int
wbuf_flush(struct wbuf *w, sqlite3_file *real)
{
	size_t len = w->len;
	int err = w->err;

	w->err = SQLITE_OK;
	if (err != SQLITE_OK)
		return err;
	if (len == 0)
		return SQLITE_OK;
	w->len = 0;
	return wbuf_real_write(w, real, w->p, (int)len, w->off);
}

int
wbuf_flush_overlap(struct wbuf *w, sqlite3_file *real, sqlite3_int64 off,
    int n)
{
	if (w->len == 0 || off >= w->off + (sqlite3_int64)w->len ||
	    off + n <= w->off)
		return SQLITE_OK;
	return wbuf_flush(w, real);
}

int
wbuf_write(struct wbuf *w, sqlite3_file *real, const void *buf, int n,
    sqlite3_int64 off)
{
	int rc;

	atomic_fetch_add_explicit(&wbuf_requested, 1, memory_order_relaxed);
	if (n <= 0)
		return wbuf_real_write(w, real, buf, n, off);
	if (w->len > 0 && (off != w->off + (sqlite3_int64)w->len ||
	    w->len + (size_t)n > WBUF_BYTES) &&
	    (rc = wbuf_flush(w, real)) != SQLITE_OK)
		return rc;
	if ((size_t)n > WBUF_BYTES / 2)
		return wbuf_real_write(w, real, buf, n, off);
	/* allocated at the first write: most connections only read */
	if (w->p == NULL && (w->p = malloc(WBUF_BYTES)) == NULL)
		return wbuf_real_write(w, real, buf, n, off);
	if (w->len == 0)
		w->off = off;
	memcpy(w->p + w->len, buf, (size_t)n);
	w->len += (size_t)n;
	return SQLITE_OK;
}

void
wbuf_free(struct wbuf *w)
{
	free(w->p);
	if (w->writeback_fd >= 0) {
		vfs_writeback_forget(w->writeback_fd);
		(void)close(w->writeback_fd);
	}
	*w = (struct wbuf){ .writeback_fd = -1 };
}

void
wbuf_counts(uint64_t *ret_requested, uint64_t *ret_made)
{
	*ret_requested = atomic_load(&wbuf_requested);
	*ret_made = atomic_load(&wbuf_made);
}
