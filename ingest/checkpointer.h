/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checkpointer thread (issue 17): copies the writer's WAL into the
 * database file on its own SQLite connection, so that no checkpoint runs
 * inside the writer's COMMIT, and keeps the WAL bounded.
 *
 * THREAD SAFETY: checkpointer_kick(), checkpointer_drain() and
 * checkpointer_stats() may be called from any thread (the writer kicks
 * and drains, the loop reads the statistics); checkpointer_bound() from
 * one thread (the writer); checkpointer_new(), checkpointer_set_bound()
 * and checkpointer_free() from the thread that owns it.
 */
#ifndef KICS_CHECKPOINTER_H
#define KICS_CHECKPOINTER_H

#include <stdint.h>

#include "store_wal.h"

#define CHECKPOINTER_PERIOD_MS	1000	/* a PASSIVE checkpoint at least */
#define CHECKPOINTER_KICK_FRAMES 4000	/* the writer kicks after as many
					   new WAL frames (16 MiB): a page
					   written by several commits in
					   between is copied once */
#define CHECKPOINTER_SOFT_FRAMES 12288	/* WAL frames (48 MiB) from which the
					   writer waits briefly, between
					   batches, for a whole checkpoint */
#define CHECKPOINTER_CATCHUP_FRAMES 2048	/* ...once the checkpointer is
					   at most as many frames (8 MiB)
					   behind; before, it only kicks it
					   (a wait would time out) */
#define CHECKPOINTER_SOFT_WAIT_MS 100	/* at most, then it goes on */
#define CHECKPOINTER_EARLY_PERCENT 70	/* of the soft bound: from there
					   the checkpointer syncs the
					   database file ahead of that wait */
#define CHECKPOINTER_DRAIN_FRAMES 32768	/* WAL frames (128 MiB) at which it
					   waits for one as long as it takes,
					   up to CHECKPOINTER_DRAIN_WAIT_MS */
#define CHECKPOINTER_DRAIN_WAIT_MS 2000
#define CHECKPOINTER_BACKOFF_MS	1000	/* no wait after a reader pinned the
					   WAL or a checkpoint failed */

/* What the checkpointer did, for the daemon's status. */
struct checkpointer_stats {
	uint64_t	runs;		/* checkpoints that copied frames */
	uint64_t	frames_total;	/* frames (pages) they copied */
	uint64_t	frames_last;
	uint64_t	us_total;	/* wall time of those checkpoints */
	uint64_t	us_last;
	uint64_t	us_max;
	uint64_t	incomplete;	/* left frames behind (a reader or
					   the writer was using them) */
	uint64_t	drains;		/* checkpointer_drain() calls */
	uint64_t	soft_drains;	/* of them, short waits from
					   CHECKPOINTER_SOFT_FRAMES */
	uint64_t	soft_timeouts;	/* of those, gone on before the
					   checkpoint ended */
	uint64_t	failures;	/* checkpoints that failed */
	uint64_t	early_syncs;	/* checkpoints ahead of a short wait
					   and the database file's sync
					   (SQLite's, for a whole one) */
	uint64_t	wal_frames;	/* frames in the WAL, last run */
	int64_t		wal_bytes;	/* size of the -wal file, last run */
	int64_t		wal_bytes_max;
};

struct checkpointer;

/*
 * Starts the checkpointer thread on c, which it owns from now on (also
 * when this fails). Returns 0 and a checkpointer freed with
 * checkpointer_free(), or a negative errno from pthread_create().
 */
int checkpointer_new(struct store_ckpt *c, struct checkpointer **ret_cp);

/* Asks for a checkpoint soon. Never blocks for long, never fails. */
void checkpointer_kick(struct checkpointer *cp);

/*
 * Waits, at most timeout_ms, for a checkpoint that begins after this call
 * (so that it sees every commit made before it). Returns 0 when that
 * checkpoint copied the whole WAL, -EBUSY when it left frames behind (a
 * reader pins them), -ETIMEDOUT, or -EIO when it failed.
 */
int checkpointer_drain(struct checkpointer *cp, int64_t timeout_ms);

/*
 * The writer's bound on the WAL, called after each of its batches with
 * the WAL's frames after its last commit (one thread only: the writer).
 * Kicks a PASSIVE checkpoint every CHECKPOINTER_KICK_FRAMES new frames.
 * Under steady load the writer begins its next transaction before a
 * PASSIVE checkpoint catches up, so the WAL would never start over; a
 * whole checkpoint just before the next BEGIN lets it. From soft_frames,
 * once the last checkpoint left at most catchup_frames to copy, it waits
 * for one at most CHECKPOINTER_SOFT_WAIT_MS, and not again while that
 * checkpoint still runs; while the checkpointer is further behind, it
 * kicks it after every batch instead (a wait would time out before the
 * WAL could start over), so the wait is short and the WAL starts over
 * long before its bound. Most of that wait would be the database file's
 * sync, which writes out what every checkpoint since the last whole one
 * copied: so once in each round of the WAL, from
 * CHECKPOINTER_EARLY_PERCENT of soft_frames on, the writer asks the
 * checkpointer for a checkpoint followed by that sync and goes on; it
 * waits only once they are done, for a whole checkpoint that has only
 * the pages since to write out. From hard_frames (a checkpointer that
 * cannot keep
 * up) it waits up to CHECKPOINTER_DRAIN_WAIT_MS. After a reader pinned
 * the WAL, or a failure, it waits for nothing for CHECKPOINTER_BACKOFF_MS.
 * Returns the microseconds it waited.
 */
uint64_t checkpointer_bound(struct checkpointer *cp, uint64_t wal_frames);

/*
 * Sets the frames at which checkpointer_bound() waits, and how close the
 * checkpointer must be for a short wait (tests; defaults
 * CHECKPOINTER_SOFT_FRAMES, CHECKPOINTER_DRAIN_FRAMES and
 * CHECKPOINTER_CATCHUP_FRAMES). Call it before the writer runs.
 */
void checkpointer_set_bound(struct checkpointer *cp, uint64_t soft_frames,
    uint64_t hard_frames, uint64_t catchup_frames);

/* Copies the statistics into *ret. Never fails. */
void checkpointer_stats(struct checkpointer *cp,
    struct checkpointer_stats *ret);

/*
 * Runs a last checkpoint, stops and joins the thread and closes its
 * connection. Call it after the writer's last commit. NULL-safe.
 */
void checkpointer_free(struct checkpointer *cp);

#endif
