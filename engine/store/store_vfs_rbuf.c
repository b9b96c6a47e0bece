/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the read-ahead of the store's VFS for checkpoints
 * (issue 17): a checkpoint copies each page of the WAL into the database
 * file with one pread(2) of 4 KiB, in the order of page numbers. Within
 * one commit SQLite wrote its frames in that same order, so the reads of
 * a checkpoint walk forward through the WAL, one run per commit it
 * copies. A struct rbuf reads RBUF_BYTES at a time into one of
 * RBUF_WINDOWS windows and serves the next reads from it.
 *
 * What it holds is only used during the checkpoint that read it:
 * store_vfs.c drops it at a new epoch (each store_ckpt_run() sets the
 * thread's role, which starts one), at every xSync (a checkpoint syncs
 * the WAL before it reads it), xWrite and xTruncate. During a checkpoint
 * the frames it may read (up to its mxSafeFrame) do not change: the WAL
 * only starts over after a checkpoint has copied all of it. Bytes past
 * them, which the writer may be appending, are read into a window but
 * never asked for in that checkpoint.
 *
 * THREAD SAFETY: a struct rbuf belongs to one sqlite3_file, used by one
 * thread at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

void
rbuf_drop(struct rbuf *r)
{
	for (size_t i = 0; i < RBUF_WINDOWS; i++)
		r->w[i].len = 0;
}

/* The window to fill: an empty one, else the least recently used. */
static struct rbuf_window *
rbuf_victim(struct rbuf *r)
{
	struct rbuf_window *v = &r->w[0];

	for (size_t i = 0; i < RBUF_WINDOWS; i++) {
		if (r->w[i].len == 0)
			return &r->w[i];
		if (r->w[i].used < v->used)
			v = &r->w[i];
	}
	return v;
}

int
rbuf_read(struct rbuf *r, sqlite3_file *real, void *buf, int n,
    sqlite3_int64 off, uint64_t epoch)
{
	struct rbuf_window *v;
	int rc;

	if (r->epoch != epoch) {
		rbuf_drop(r);
		r->epoch = epoch;
	}
	for (size_t i = 0; i < RBUF_WINDOWS && n > 0; i++) {
		v = &r->w[i];
		if (v->len > 0 && off >= v->off &&
		    off + n <= v->off + (sqlite3_int64)v->len) {
			memcpy(buf, v->p + (off - v->off), (size_t)n);
			v->used = ++r->clock;
			return SQLITE_OK;
		}
	}
	v = rbuf_victim(r);
	if (n <= 0 || n > RBUF_BYTES / 2 || (v->p == NULL &&
	    (v->p = malloc(RBUF_BYTES)) == NULL))
		return real->pMethods->xRead(real, buf, n, off);
	v->len = 0;
	rc = real->pMethods->xRead(real, v->p, RBUF_BYTES, off);
	if (rc == SQLITE_IOERR_SHORT_READ)	/* the end of the file */
		return real->pMethods->xRead(real, buf, n, off);
	if (rc != SQLITE_OK)
		return rc;
	v->off = off;
	v->len = RBUF_BYTES;
	v->used = ++r->clock;
	memcpy(buf, v->p, (size_t)n);
	return SQLITE_OK;
}

void
rbuf_free(struct rbuf *r)
{
	for (size_t i = 0; i < RBUF_WINDOWS; i++)
		free(r->w[i].p);
	*r = (struct rbuf){0};
}
