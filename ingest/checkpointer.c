/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the checkpointer thread (checkpointer.h): PASSIVE
 * checkpoints of the WAL on a connection of its own, once a second, when
 * the writer kicks it, and whole checkpoints the writer waits for when the
 * WAL passed its bounds (checkpointer_bound()).
 *
 * THREAD SAFETY NOTES: every field below the mutex line is protected by
 * mtx; ckpt is used by the thread only (and by checkpointer_free() after
 * the thread was joined).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "checkpointer.h"
#include "clock.h"
#include "ingest.h"
#include "log.h"

struct checkpointer {
	pthread_t	thread;
	bool		thread_started;
	struct store_ckpt *ckpt;	/* the thread's connection */

	pthread_mutex_t	mtx;
	pthread_cond_t	cond;		/* kicks, drains and stop */
	pthread_cond_t	done_cond;	/* a checkpoint finished */
	uint64_t	asked;		/* generation asked for by drains */
	uint64_t	begun;		/* generation of the running one */
	uint64_t	finished;	/* generation of the last finished */
	int		last_r;		/* its outcome, as drain returns */
	uint64_t	done_frames;	/* WAL frames in the database file
					   after the last one, from the
					   WAL's start */
	bool		kicked;
	bool		early_asked;	/* sync the database file after the
					   next checkpoint */
	bool		early_done;	/* it did, and nothing asked since */
	bool		stopping;
	struct checkpointer_stats stats;

	/* checkpointer_bound()'s, on the writer thread only */
	uint64_t	soft_frames;
	uint64_t	hard_frames;
	uint64_t	catchup_frames;
	uint64_t	kick_frames;	/* WAL frames at the last kick */
	int64_t		wait_after_ms;	/* no wait before (backoff) */
	bool		early_round;	/* an early sync was asked for since
					   the WAL last started over */
	uint64_t	last_frames;	/* WAL frames at the last call: fewer
					   now, the WAL started over */
};

/* Adds ms to now on CLOCK_MONOTONIC. */
static void
deadline(struct timespec *ts, int64_t ms)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/*
 * What the last checkpoint saw, to count the frames each one copies:
 * SQLite reports the frames of the WAL and how many of them are in the
 * database file, both counted from the WAL's start.
 */
struct ckpt_mark {
	uint64_t	log;
	uint64_t	done;
};

/*
 * Runs one checkpoint and counts it; mtx is not held. A WAL shorter than
 * last time started over in between: then every frame in the database
 * file is new (a WAL that started over and grew past its old length
 * between two checkpoints is counted short; with a kick every
 * CHECKPOINTER_KICK_FRAMES that takes a reader pinning it).
 */
static int
checkpointer_run(struct checkpointer *cp, struct ckpt_mark *mark)
{
	struct store_ckpt_result res;
	int64_t t0 = clock_mono_us(), us;
	uint64_t copied;
	int r;

	r = store_ckpt_run(cp->ckpt, &res);
	us = clock_mono_us() - t0;
	(void)pthread_mutex_lock(&cp->mtx);
	if (r < 0) {
		cp->stats.failures++;
		(void)pthread_mutex_unlock(&cp->mtx);
		/* -EBUSY: a checkpoint of the writer's own, at its close */
		if (r != -EBUSY)
			log_warnx("checkpoint failed: %s, ignoring",
			    store_ckpt_errmsg(cp->ckpt));
		return -EIO;
	}
	copied = res.log_frames < mark->log || res.done_frames < mark->done ?
	    res.done_frames : res.done_frames - mark->done;
	mark->log = res.log_frames;
	mark->done = res.done_frames;
	cp->done_frames = res.done_frames;
	if (copied > 0) {
		cp->stats.runs++;
		cp->stats.frames_last = copied;
		cp->stats.frames_total += copied;
		cp->stats.us_last = (uint64_t)us;
		cp->stats.us_total += (uint64_t)us;
		if ((uint64_t)us > cp->stats.us_max)
			cp->stats.us_max = (uint64_t)us;
	}
	if (!res.complete)
		cp->stats.incomplete++;
	cp->stats.wal_frames = res.log_frames;
	cp->stats.wal_bytes = res.wal_bytes;
	if (res.wal_bytes > cp->stats.wal_bytes_max)
		cp->stats.wal_bytes_max = res.wal_bytes;
	(void)pthread_mutex_unlock(&cp->mtx);
	return res.complete ? 0 : -EBUSY;
}

/*
 * The early sync of the database file asked for by checkpointer_bound(),
 * after a checkpoint; mtx is not held. A failed one only leaves the wait
 * that follows longer.
 */
static void
checkpointer_sync_early(struct checkpointer *cp, bool sync)
{
	int r = sync ? store_ckpt_sync_db(cp->ckpt) : 0;

	if (r < 0)
		log_warnx("checkpointer: %s, ignoring",
		    store_ckpt_errmsg(cp->ckpt));
	(void)pthread_mutex_lock(&cp->mtx);
	if (r == 0)
		cp->stats.early_syncs++;
	cp->early_done = true;
	(void)pthread_mutex_unlock(&cp->mtx);
}

static void *
checkpointer_main(void *arg)
{
	struct checkpointer *cp = arg;
	struct timespec until;
	struct ckpt_mark mark = { 0, 0 };
	uint64_t gen;
	bool stop, early;
	int r;

	/* named for top, perf and bench-knee.sh's CPU accounting */
	(void)prctl(PR_SET_NAME, "kics-ckpt", 0L, 0L, 0L);
	for (;;) {
		(void)pthread_mutex_lock(&cp->mtx);
		if (!cp->kicked && !cp->stopping && cp->asked == cp->finished) {
			deadline(&until, CHECKPOINTER_PERIOD_MS);
			(void)pthread_cond_timedwait(&cp->cond, &cp->mtx,
			    &until);
		}
		cp->kicked = false;
		stop = cp->stopping;
		gen = cp->begun = cp->asked;
		early = cp->early_asked;
		cp->early_asked = false;
		(void)pthread_mutex_unlock(&cp->mtx);

		/* also the last one, after the writer's last commit */
		r = checkpointer_run(cp, &mark);
		/* a whole checkpoint (0) synced the database file already */
		if (early)
			checkpointer_sync_early(cp, r != 0);

		(void)pthread_mutex_lock(&cp->mtx);
		cp->finished = gen;
		cp->last_r = r;
		(void)pthread_cond_broadcast(&cp->done_cond);
		(void)pthread_mutex_unlock(&cp->mtx);
		if (stop)
			break;
	}
	return NULL;
}

int
checkpointer_new(struct store_ckpt *c, struct checkpointer **ret_cp)
{
	struct checkpointer *cp;
	pthread_condattr_t ca;
	int r;

	cp = xcalloc(1, sizeof(*cp));
	cp->ckpt = c;
	cp->soft_frames = CHECKPOINTER_SOFT_FRAMES;
	cp->hard_frames = CHECKPOINTER_DRAIN_FRAMES;
	cp->catchup_frames = CHECKPOINTER_CATCHUP_FRAMES;
	(void)pthread_mutex_init(&cp->mtx, NULL);
	(void)pthread_condattr_init(&ca);
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void)pthread_cond_init(&cp->cond, &ca);
	(void)pthread_cond_init(&cp->done_cond, &ca);
	(void)pthread_condattr_destroy(&ca);
	if ((r = pthread_create(&cp->thread, NULL, checkpointer_main,
	    cp)) != 0) {
		checkpointer_free(cp);
		return -r;
	}
	cp->thread_started = true;
	*ret_cp = cp;
	return 0;
}

void
checkpointer_kick(struct checkpointer *cp)
{
	(void)pthread_mutex_lock(&cp->mtx);
	if (!cp->kicked) {
		cp->kicked = true;
		(void)pthread_cond_signal(&cp->cond);
	}
	(void)pthread_mutex_unlock(&cp->mtx);
}

int
checkpointer_drain(struct checkpointer *cp, int64_t timeout_ms)
{
	struct timespec until;
	uint64_t want;
	int r = 0;

	deadline(&until, timeout_ms);
	(void)pthread_mutex_lock(&cp->mtx);
	cp->stats.drains++;
	/* one that is running may have begun before the caller's commit */
	want = ++cp->asked;
	(void)pthread_cond_signal(&cp->cond);
	while (cp->finished < want && r == 0)
		r = pthread_cond_timedwait(&cp->done_cond, &cp->mtx, &until);
	r = cp->finished >= want ? cp->last_r : -ETIMEDOUT;
	(void)pthread_mutex_unlock(&cp->mtx);
	return r;
}

/* Whether a drain asked for earlier has not finished yet. */
static bool
checkpointer_draining(struct checkpointer *cp)
{
	bool r;

	(void)pthread_mutex_lock(&cp->mtx);
	r = cp->asked > cp->finished;
	(void)pthread_mutex_unlock(&cp->mtx);
	return r;
}

/*
 * The WAL frames of wal_frames that the last checkpoint left to copy; all
 * of them when the WAL started over since.
 */
static uint64_t
checkpointer_behind(struct checkpointer *cp, uint64_t wal_frames)
{
	uint64_t done;

	(void)pthread_mutex_lock(&cp->mtx);
	done = cp->done_frames;
	(void)pthread_mutex_unlock(&cp->mtx);
	return wal_frames >= done ? wal_frames - done : wal_frames;
}

/*
 * Whether the early sync of this round of the WAL is done; asks for it
 * (and kicks) the first time in the round (checkpointer.h).
 */
static bool
checkpointer_synced_early(struct checkpointer *cp)
{
	bool done;

	(void)pthread_mutex_lock(&cp->mtx);
	if (!cp->early_round) {
		cp->early_round = true;
		cp->early_asked = true;
		cp->early_done = false;
		cp->kicked = true;
		(void)pthread_cond_signal(&cp->cond);
	}
	done = cp->early_done;
	(void)pthread_mutex_unlock(&cp->mtx);
	return done;
}

uint64_t
checkpointer_bound(struct checkpointer *cp, uint64_t wal_frames)
{
	int64_t t0, now;
	bool hard, early;
	int r;

	if (wal_frames < cp->last_frames) {
		cp->kick_frames = 0;	/* the WAL started over */
		cp->early_round = false;
	}
	cp->last_frames = wal_frames;
	if (wal_frames - cp->kick_frames >= CHECKPOINTER_KICK_FRAMES) {
		cp->kick_frames = wal_frames;
		checkpointer_kick(cp);
	}
	/*
	 * Ahead of the short wait, the database file's sync (issue 17: it
	 * was most of that wait, 50-110 ms at 2,500 reports/s, and the ack
	 * p99 followed it). Asked for at the wait itself, it let the
	 * checkpointer fall so far behind that the WAL reached its hard
	 * bound, and the writer waited for all of it.
	 */
	early = wal_frames >= cp->soft_frames / 100 *
	    CHECKPOINTER_EARLY_PERCENT && checkpointer_synced_early(cp);
	now = clock_mono_ms();
	if (wal_frames < cp->soft_frames || now < cp->wait_after_ms)
		return 0;
	hard = wal_frames >= cp->hard_frames;
	/* a short wait that timed out: its checkpoint still runs */
	if (!hard && checkpointer_draining(cp))
		return 0;
	/*
	 * Far behind, a short wait would time out and the WAL would not
	 * start over (it does only when the checkpointer has copied every
	 * frame as a transaction begins): the checkpointer copies on, one
	 * checkpoint after the other, and the writer waits once it is close.
	 */
	if (!hard && checkpointer_behind(cp, wal_frames) > cp->catchup_frames) {
		checkpointer_kick(cp);
		return 0;
	}
	/* not before the database file's sync: it goes on meanwhile */
	if (!hard && !early)
		return 0;
	t0 = clock_mono_us();
	r = checkpointer_drain(cp, hard ? CHECKPOINTER_DRAIN_WAIT_MS :
	    CHECKPOINTER_SOFT_WAIT_MS);
	if (!hard) {
		(void)pthread_mutex_lock(&cp->mtx);
		cp->stats.soft_drains++;
		if (r == -ETIMEDOUT)
			cp->stats.soft_timeouts++;
		(void)pthread_mutex_unlock(&cp->mtx);
	}
	/* a reader pins the WAL: let it finish before trying again */
	if (r < 0 && (hard || r != -ETIMEDOUT))
		cp->wait_after_ms = now + CHECKPOINTER_BACKOFF_MS;
	return (uint64_t)(clock_mono_us() - t0);
}

void
checkpointer_set_bound(struct checkpointer *cp, uint64_t soft_frames,
    uint64_t hard_frames, uint64_t catchup_frames)
{
	cp->soft_frames = soft_frames;
	cp->hard_frames = hard_frames;
	cp->catchup_frames = catchup_frames;
}

void
checkpointer_stats(struct checkpointer *cp, struct checkpointer_stats *ret)
{
	(void)pthread_mutex_lock(&cp->mtx);
	*ret = cp->stats;
	(void)pthread_mutex_unlock(&cp->mtx);
}

void
checkpointer_free(struct checkpointer *cp)
{
	if (cp == NULL)
		return;
	if (cp->thread_started) {
		(void)pthread_mutex_lock(&cp->mtx);
		cp->stopping = true;
		(void)pthread_cond_signal(&cp->cond);
		(void)pthread_mutex_unlock(&cp->mtx);
		(void)pthread_join(cp->thread, NULL);
	}
	store_ckpt_free(cp->ckpt);
	(void)pthread_cond_destroy(&cp->done_cond);
	(void)pthread_cond_destroy(&cp->cond);
	(void)pthread_mutex_destroy(&cp->mtx);
	free(cp);
}
