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

#endif
