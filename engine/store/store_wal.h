/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write-ahead log of the writer's connection (issue 17): the timing of
 * its commits, and the second connection that checkpoints the WAL into
 * the database file so that no checkpoint runs inside the writer's COMMIT.
 *
 * THREAD SAFETY: store_wal_stats() and store_wal_handoff() belong to the
 * thread that owns the store (the writer). A struct store_ckpt is another
 * SQLite connection to the same file and belongs to one thread (the
 * checkpointer's); it may run while the writer commits.
 */
#ifndef KICS_STORE_WAL_H
#define KICS_STORE_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* What the writer's connection measured of its commits. */
struct store_wal_stats {
	uint64_t	commits;	/* COMMITs that succeeded */
	uint64_t	commit_us_total;	/* wall time of their COMMIT */
	uint64_t	commit_us_last;
	uint64_t	commit_us_max;
	uint64_t	wal_frames;	/* frames in the WAL after the last
					   commit (SQLite's WAL hook) */
	uint64_t	inline_checkpoints;	/* run inside a COMMIT (no
						   checkpointer attached) */
};

/*
 * Copies the commit statistics of s into *ret. Never fails.
 */
void store_wal_stats(const struct store *s, struct store_wal_stats *ret);

/*
 * Installs the WAL hook that counts frames and, until store_wal_handoff()
 * is called, checkpoints inline (PASSIVE, at STORE_WAL_INLINE_FRAMES,
 * what SQLite's automatic checkpoint does). Called by store_open().
 */
void store_wal_init(struct store *s);

#define STORE_WAL_INLINE_FRAMES	10000	/* inline checkpoint threshold */
#define STORE_WAL_LIMIT_BYTES	(64 * 1024 * 1024)	/* journal_size_limit */

/*
 * The time of the fsyncs (xSync) made through the store's VFS, for the
 * whole process: of the writer's COMMITs (with synchronous=FULL the
 * WAL's, one per commit, two when the WAL starts over; a deferred one
 * covers every COMMIT that asked for it before it began) and inside
 * checkpoints (the WAL's, then the database file's).
 */
struct store_sync_stats {
	uint64_t	commit_syncs;
	uint64_t	commit_sync_us_total;
	uint64_t	commit_sync_us_max;
	uint64_t	ckpt_syncs;
	uint64_t	ckpt_sync_us_total;
	uint64_t	ckpt_sync_us_max;
	uint64_t	sqlite_writes;	/* xWrite calls of every connection */
	uint64_t	file_writes;	/* writes made to the files after
					   coalescing (store_vfs_wbuf.c) */
	uint64_t	writebacks;	/* WAL writes started on their way
					   to the device (sync_file_range) */
	uint64_t	writebacks_beside; /* of them, by the fsync thread */
	uint64_t	deferred_commits; /* COMMITs whose fsync was deferred
					     (store_vfs_defer()) */
	uint64_t	deferred_syncs;	/* the fsyncs made for them; each
					   counts in commit_syncs too */
};

/* Copies the process's sync timings and write counts into *ret (any
 * thread). */
void store_sync_stats(struct store_sync_stats *ret);

struct store_ckpt;

/* The outcome of one store_ckpt_run(). */
struct store_ckpt_result {
	uint64_t	log_frames;	/* frames in the WAL */
	uint64_t	done_frames;	/* of them in the database file now */
	int64_t		wal_bytes;	/* size of the -wal file */
	bool		complete;	/* every frame is in the database
					   file: the next write transaction
					   starts the WAL over */
};

/*
 * Stops s's own checkpoints (no checkpoint runs inside its COMMIT from
 * now on) and opens a second connection to the same database for a
 * checkpointer thread. Returns 0 and a connection freed with
 * store_ckpt_free(); -EINVAL for a database without a WAL file (such as
 * :memory:), -ENOMEM or -EIO, with s unchanged.
 */
int store_wal_handoff(struct store *s, struct store_ckpt **ret_ckpt);

/*
 * Runs one PASSIVE checkpoint on c: copies what it can of the WAL into
 * the database file without waiting for the writer or readers, and syncs
 * the database file when it copied everything. Returns 0 with the outcome
 * in *ret, or -EBUSY (another checkpoint runs), -EIO.
 */
int store_ckpt_run(struct store_ckpt *c, struct store_ckpt_result *ret);

/* The last database message of c; borrowed until the next call on c. */
const char *store_ckpt_errmsg(const struct store_ckpt *c);
/*
 * Syncs the database file through c's connection, as the checkpoint that
 * copies the whole WAL does before the WAL may start over: what the
 * checkpoints before copied is then on disk, and that checkpoint has only
 * what was copied since to write out (issue 17). 0 or -EIO.
 */
int store_ckpt_sync_db(struct store_ckpt *c);

/* Closes c. NULL-safe. */
void store_ckpt_free(struct store_ckpt *c);

#endif
