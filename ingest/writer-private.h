/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writer thread's pieces that live beside writer.c: the writer itself
 * (struct writer), the decoding and validation of a report before its
 * batch (writer_prepare.c) and the gathering of a batch from the loop's
 * turns (writer_turn.c).
 */
#ifndef KICS_WRITER_PRIVATE_H
#define KICS_WRITER_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"

#define WRITER_NOTICES	8	/* system events waiting for the writer */
#define WRITER_SEQ_HINTS 4096	/* agents' stored sequences, as hints */
#define WRITER_EVENT_MARKS 16	/* event ids waiting for their fsync */
#define WRITER_SLOW_ANSWER_MS	100	/* answers whose stages are summed */
#define WRITER_ANSWER_LIMIT_MS	250	/* the ack p99 goal (issue 17) */

/*
 * The highest sequence the writer saw stored for an agent, keyed by a
 * hash of its agent_id in a direct-mapped table (writer_resend.c). Only a
 * hint that spares the look-up of a report that is certainly new: a
 * report above the hint goes to the batch, which decides; at or below
 * it, the database is asked. A stale or colliding entry can thus only
 * send a resend to the batch, never answer a report wrongly.
 */
struct writer_seq_hint {
	uint64_t	key;		/* hash of agent_id, 0: empty */
	uint64_t	sequence;
};

/* The highest event id when the fsync ticket was the last asked for. */
struct writer_event_mark {
	uint64_t	ticket;
	int64_t		event_id;
};

/* A system event asked for by the loop thread. */
struct writer_notice {
	const char	*category;	/* static EVENT_* string */
	char		*text;		/* owned */
};

/*
 * THREAD SAFETY NOTES: every field below the mutex line is protected by
 * mtx. engine, types and ckpt are touched only by the writer thread once
 * it runs (ckpt's own calls are thread-safe). done_ev belongs to the loop;
 * the thread wakes it by writing to done_fd, an eventfd of the writer's
 * own, and only when the loop has not been told yet (done_pending): one
 * wakeup collects every finished job. (event_active() from this thread
 * took libevent's base lock, which the loop holds while it runs: the two
 * threads contended for it on every batch, issue 17.)
 * The loop signals cond only when the writer waits on it (waiting, which
 * the signaller clears so that one turn signals once): at the first
 * report of a turn of the loop, so that the writer decodes and validates
 * it while the loop reads the next ones (it looks for them without being
 * signalled, turn_waiting), and at the end of the turn (kick_ev), which
 * closes turn_open. The writer commits what one turn
 * submitted as one batch, as when it started only after the turn, but
 * its preparation no longer waits for the turn's end (issue 17: with few
 * connections the loop and the writer took turns and each waited for the
 * other). kick_ev and kick_pending belong to the loop.
 */
struct writer {
	pthread_t	thread;
	bool		thread_started;
	struct engine	*engine;	/* writer thread only */
	struct event_types *types;	/* in the engine; writer only */
	struct event	*done_ev;	/* loop: delivers finished jobs */
	int		done_fd;	/* eventfd: the writer wakes done_ev */
	bool		done_et;	/* done_ev edge-triggered: no read */
	struct event	*kick_ev;	/* loop: wakes a waiting writer */
	struct resend_cache *resends;	/* loop only: resend_cache.h */
	bool		kick_pending;	/* loop: kick_ev made active */
	struct checkpointer *ckpt;	/* NULL: SQLite checkpoints inline */
	int64_t		start_us;	/* when the thread started */
	struct writer_seq_hint hints[WRITER_SEQ_HINTS];	/* writer only */
	struct writer_job *ahead;	/* writer only: taken from the queue
					   during a COMMIT's fsync, for the
					   next batch (writer_prepare_ahead) */
	struct writer_job **ahead_tail;
	size_t		n_ahead;
	struct writer_job *held;	/* writer only: answers waiting for
					   their fsync (writer_durable.c) */
	struct writer_job **held_tail;
	bool		durable_failed;	/* writer only: one fsync failed */
	/* writer only: event ids whose COMMIT waits for its fsync, oldest
	   first, and the highest id noted (writer_events_note()) */
	struct writer_event_mark marks[WRITER_EVENT_MARKS];
	size_t		marks_first;
	size_t		n_marks;
	int64_t		events_noted;
	_Atomic int64_t	events_durable;	/* any thread: the highest on disk */

	pthread_mutex_t	mtx;
	pthread_cond_t	cond;		/* queue, new_types, stopping */
	struct writer_job *queue;	/* waiting, oldest first */
	struct writer_job **queue_tail;
	struct writer_job *done;	/* finished, oldest first */
	struct writer_job **done_tail;
	size_t		jobs;		/* submitted, not answered */
	size_t		bytes;		/* their job->bytes */
	struct event_types *new_types;	/* to swap in, owned */
	struct rules	*rules;		/* in the engine; writer only */
	struct rules	*new_rules;	/* to swap in, owned */
	struct writer_notice notices[WRITER_NOTICES];	/* to register */
	size_t		n_notices;
	struct writer_task *tasks;	/* administration, oldest first */
	struct writer_task **tasks_tail;
	struct writer_task *tasks_done;	/* run, for the loop */
	struct writer_task **tasks_done_tail;
	bool		stopping;
	bool		waiting;	/* the thread waits on cond */
	bool		done_pending;	/* done_ev made active, not run */
	bool		turn_open;	/* the loop's turn submits reports */
	bool		turn_waiting;	/* the thread waits for the turn */
	bool		durable_news;	/* an fsync finished since the thread
					   last looked at held */
	struct writer_stats stats;	/* the thread's figures */
};

/*
 * Counts job's answer at now (monotonic us) in st (writer_stats.c): its
 * time since writer_submit() and, for a slow one, each stage's share.
 * Called on the loop with mtx held.
 */
void writer_stats_answer(struct writer_stats *st,
    const struct writer_job *job, int64_t now);

/*
 * Decodes and validates job, once, outside any transaction. protobuf-c's
 * cost is bounded by the pre-scan the submitter ran. Returns true when
 * the report may go to the engine; otherwise job is answered as invalid.
 */
bool writer_prepare(struct writer_job *job);

/* Fills er, for the engine, from the writer's job (decoded already). */
void writer_engine_report(const struct writer_job *job,
    struct engine_report *er);

/*
 * Answers job at once, from the head of its wire bytes, without decoding
 * it or waiting for a batch, when it is the resend of a sequence the
 * database holds (writer_resend.c). The first look-up opens a read
 * transaction (engine_resend_begin()) and sets *reading; the caller ends
 * it. Returns true when job was handed back to the loop.
 */
bool writer_answer_resend(struct writer *w, struct writer_job *job,
    bool *reading);

/*
 * Whether writer_answer_resend() would look job up: its head reads, and
 * the hints do not say it is certainly new (writer_resend.c).
 */
bool writer_maybe_resend(const struct writer *w,
    const struct writer_job *job);
/*
 * Notes that agent_id's sequence is stored (writer_resend.c), after a
 * batch that committed it or found it stored.
 */
void writer_seq_stored(struct writer *w, const char *agent_id,
    uint64_t sequence);

/* Copies the engine's outcome er (of a batch that returned r) into job. */
void writer_outcome(struct writer_job *job, const struct engine_report *er,
    int r);

/*
 * Hands the finished jobs of list to the loop (writer.c), early of them
 * answered outside a batch (counted in the status).
 */
void writer_hand_back(struct writer *w, struct writer_job *list,
    size_t early);
/*
 * Hands list to the loop now, whatever fsync it waits for, early of them
 * answered outside a batch (writer.c).
 */
void writer_deliver(struct writer *w, struct writer_job *list,
    size_t early);

/*
 * Answers and the WAL's fsync (writer_durable.c). writer_hold() keeps
 * list, answered, until the fsync of the last COMMIT made (deferred,
 * store_vfs_defer()) is on disk: true if it kept it, false if the caller
 * may deliver it now. writer_release() delivers what is on disk (and,
 * after a failed fsync, the rest as not stored); writer_release_all()
 * first waits for every fsync asked for. writer_durable_cb() is the
 * fsync thread's notice (store_vfs_defer_notify()).
 */
bool writer_hold(struct writer *w, struct writer_job *list);
void writer_release(struct writer *w);
void writer_release_all(struct writer *w);
void writer_durable_cb(void *arg);
/*
 * Notes the highest event id after a turn of the writer that may have
 * committed some (a batch, tasks, system events, maintenance), with the
 * fsync it waits for; writer_release() publishes it once that is on disk,
 * for writer_events_durable() (the SIEM forwarder's bound).
 */
void writer_events_note(struct writer *w);

/*
 * Longest wait for the end of a turn of the loop that submitted reports
 * before a batch is committed without the rest of that turn: a bound for
 * safety, the end of a turn is signalled.
 */
#define WRITER_TURN_WAIT_MS 10
/*
 * Looks for more of the turn's reports after that long (then twice as
 * long each time). Each look is a wakeup of the writer: at 50 us, 10
 * connections of resends woke it so often that requests/s fell by a
 * quarter (bench-reqpath.sh, issue 17); turns that short end with their
 * signal instead.
 */
#define WRITER_TURN_POLL_US 500

/*
 * Detaches the oldest jobs of the queue, max at most, with mtx held, and
 * returns them in order (NULL for an empty queue); adds their number to
 * *n.
 */
struct writer_job *writer_take(struct writer *w, size_t max, size_t *n);

/*
 * Decodes and validates batch (n jobs), and the reports the loop submits
 * while it does, until the turn of the loop that submitted them has ended
 * or the batch holds LIMIT_WRITER_BATCH_REPORTS: the whole is then one
 * batch. Resends among them are answered at once, undecoded
 * (writer_answer_resend()), and left out. Returns the batch, oldest
 * first, each job's valid set (NULL when all were resends); adds the time
 * it waited for the loop to *waited_us.
 */
struct writer_job *writer_gather(struct writer *w, struct writer_job *batch,
    size_t n, int64_t *waited_us);
/*
 * The writer thread's overlap (store_vfs_overlap_start(), arg the
 * writer): while a COMMIT waits for its fsync, takes the reports queued
 * meanwhile, up to a batch, into w->ahead, where the next batch starts,
 * and decodes and validates those that are certainly not resends
 * (writer_maybe_resend()), one at least and then until synced
 * (writer_turn.c).
 */
void writer_prepare_ahead(void *arg, const atomic_bool *synced);

#endif
