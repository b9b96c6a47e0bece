/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's VFS (store_vfs.c): SQLite's default VFS with its fsyncs
 * timed by what the calling thread does, writes that continue one
 * another made as one (store_vfs_wbuf.c) and a checkpoint's reads of the
 * WAL read ahead (store_vfs_rbuf.c). Every connection of the store opens
 * its files through it.
 */
#ifndef KICS_STORE_VFS_H
#define KICS_STORE_VFS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The VFS's name, registering it on first use (on the thread that opens
 * the first store, before any other uses SQLite); NULL (SQLite's default
 * VFS) if it cannot be registered.
 */
const char *store_vfs_name(void);

/*
 * What the calling thread does: its fsyncs are counted as that, and a
 * checkpoint's reads of the WAL are read ahead. Each call starts a new
 * epoch: what was read ahead before is not used again.
 */
enum store_sync_role {
	STORE_SYNC_NONE,		/* not counted */
	STORE_SYNC_COMMIT,		/* the writer's COMMIT */
	STORE_SYNC_CHECKPOINT,		/* store_ckpt_run() */
	STORE_SYNC_ROLE_MAX
};
void store_vfs_role(enum store_sync_role role);

/*
 * While a COMMIT of the calling thread waits for the WAL's fsync, the
 * fsync runs on a thread of its own and fn(arg, synced) on the calling
 * thread, once per such fsync; synced turns true when the fsync has
 * returned. fn should return soon after, and must use neither SQLite nor
 * anything the connection owns: SQLite is inside its COMMIT. The COMMIT
 * still returns only after the fsync, with its result
 * (store_vfs_sync.c).
 */
typedef void store_sync_overlap_fn(void *arg, const atomic_bool *synced);

/*
 * Sets fn for the calling thread and starts the thread that makes its
 * fsyncs. Returns 0, or a negative errno (-EALREADY: one is set).
 */
int store_vfs_overlap_start(store_sync_overlap_fn *fn, void *arg);
/*
 * Stops what store_vfs_overlap_start() started, on the same thread, after
 * the deferred fsyncs asked for.
 */
void store_vfs_overlap_stop(void);

/*
 * Deferred fsyncs (issue 17), for a thread with an overlap set: while on,
 * a COMMIT of the calling thread returns once the WAL's frames are
 * written, and its fsync is made on the fsync thread meanwhile. Each is a
 * ticket, counted from 1; store_vfs_durable() gives the last one asked for
 * and the last one on disk, and returns -EIO once a deferred fsync failed
 * (then every later COMMIT of the thread fails too). What a COMMIT that
 * returned during the ticket wrote may be answered as stored only once
 * its ticket is on disk. fn(arg) is called on the fsync thread after each
 * fsync that covered tickets; it must not call these functions.
 * store_vfs_durable_wait() waits until every ticket asked for is on disk
 * (or failed: -EIO). Without an overlap they do nothing and the COMMITs
 * wait for their fsync.
 */
typedef void store_sync_durable_fn(void *arg);
void store_vfs_defer(bool on);
int store_vfs_defer_notify(store_sync_durable_fn *fn, void *arg);
int store_vfs_durable(uint64_t *ret_asked, uint64_t *ret_done);
int store_vfs_durable_wait(void);

#endif
