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
/* Stops what store_vfs_overlap_start() started, on the same thread. */
void store_vfs_overlap_stop(void);

#endif
