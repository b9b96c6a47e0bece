/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checkpointer thread (issue 17): copies the writer's WAL into the
 * database file on its own SQLite connection, so that no checkpoint runs
 * inside the writer's COMMIT, and keeps the WAL bounded.
 *
 * THREAD SAFETY: checkpointer_kick(), checkpointer_drain() and
 * checkpointer_stats() may be called from any thread (the writer kicks
 * and drains, the loop reads the statistics); checkpointer_new() and
 * checkpointer_free() from the thread that owns it.
 */
#ifndef KICS_CHECKPOINTER_H
#define KICS_CHECKPOINTER_H

#include <stdint.h>

#include "store_wal.h"

#define CHECKPOINTER_PERIOD_MS	1000	/* a PASSIVE checkpoint at least */
#define CHECKPOINTER_KICK_FRAMES 1000	/* the writer kicks after as many
					   new WAL frames (4 MiB) */
#define CHECKPOINTER_DRAIN_FRAMES 16384	/* WAL frames (64 MiB) at which the
					   writer waits for a whole
					   checkpoint between batches */

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
	uint64_t	failures;	/* checkpoints that failed */
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

/* Copies the statistics into *ret. Never fails. */
void checkpointer_stats(struct checkpointer *cp,
    struct checkpointer_stats *ret);

/*
 * Runs a last checkpoint, stops and joins the thread and closes its
 * connection. Call it after the writer's last commit. NULL-safe.
 */
void checkpointer_free(struct checkpointer *cp);

#endif
