/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the writer: a bounded queue of pre-scanned reports
 * and the one thread that owns the engine. Per batch it decodes and
 * validates each report once, outside the transaction, commits the valid
 * ones in one transaction (group commit), hands the outcome back to the
 * loop and keeps the group-commit statistics. WAL checkpoints run on the
 * checkpointer thread (checkpointer.c), never inside the writer's COMMIT.
 *
 * THREAD SAFETY NOTES: with struct writer, in writer-private.h. How a
 * batch is gathered from the loop's turns is in writer_turn.c.
 */
#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "checkpointer.h"
#include "clock.h"
#include "decode_arena.h"
#include "engine.h"
#include "event_types.h"
#include "ingest.h"
#include "kics_limits.h"
#include "rules.h"
#include "log.h"
#include "resend_cache.h"
#include "store_vfs.h"
#include "writer-private.h"

#define WRITER_TICK_MS	1000	/* engine_tick() period when idle */
#define WRITER_RETICK_MS 10	/* when engine_tick() has more to do */

/*
 * glibc's malloc, process-wide: a batch allocates and frees megabytes
 * (decoded reports, SQLite's scratch, the batch's arrays); with the
 * default 128 KiB trim threshold the writer's arena handed them back to
 * the kernel after each batch and faulted them in again, and arrays past
 * 128 KiB were mmap()ed and unmapped each time (issue 17: sysmalloc and
 * page faults were 4-13 % of the writer's CPU). What stays mapped is
 * bounded by these, per arena.
 */
#define WRITER_MALLOC_TRIM_BYTES (8 * 1024 * 1024)
#define WRITER_MALLOC_MMAP_BYTES (4 * 1024 * 1024)

/* CPU time of the calling thread, in microseconds. */
static int64_t
thread_cpu_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Counts a batch of n reports (writer thread): t[0..2] are the wall and
 * t[3..5] the thread's CPU times at the start, after decoding and at the
 * end.
 */
static void
writer_count(struct writer *w, size_t n, const int64_t t[6])
{
	struct writer_stats *st = &w->stats;

	(void)pthread_mutex_lock(&w->mtx);
	st->batches++;
	st->reports += n;
	st->batch_last = n;
	if (n > st->batch_max)
		st->batch_max = n;
	st->prepare_us_total += (uint64_t)(t[1] - t[0]);
	st->apply_us_total += (uint64_t)(t[2] - t[1]);
	if ((uint64_t)(t[2] - t[1]) > st->apply_us_max)
		st->apply_us_max = (uint64_t)(t[2] - t[1]);
	st->prepare_cpu_us_total += (uint64_t)(t[4] - t[3]);
	st->apply_cpu_us_total += (uint64_t)(t[5] - t[4]);
	engine_wal_stats(w->engine, &st->wal);
	engine_peer_cache_stats(w->engine, &st->peer_cache);
	(void)pthread_mutex_unlock(&w->mtx);
}

void
writer_outcome(struct writer_job *job, const struct engine_report *er,
    int r)
{
	job->status = er->status;
	job->acked_sequence = er->acked_sequence;
	(void)memcpy(job->token, er->token, sizeof(job->token));
	job->token_bound = er->token_bound;
	(void)memcpy(job->reason, er->reason, sizeof(job->reason));
	job->reason[sizeof(job->reason) - 1] = '\0';
	/* A failed batch was logged by the caller, once. */
	if (r == 0 && job->status == REPORT_STATUS_FAILED)
		log_warnx("writer: report %llu of agent '%s' not stored: %s",
		    (unsigned long long)job->report->sequence,
		    job->report->agent_id, job->reason);
}

/*
 * Wakes the loop's done_ev (writer thread). An eventfd write only fails
 * when its counter is full (2^64 - 2 wakeups: never).
 */
static void
writer_wake_loop(struct writer *w)
{
	uint64_t one = 1;

	(void)!write(w->done_fd, &one, sizeof(one));
}

/*
 * Hands finished jobs to the loop, waking it only when it sleeps. What
 * the writer decoded is freed here, on the thread that allocated it (a
 * few blocks of its decode arena): the loop would pay for it (and
 * contend for this thread's malloc arena); done() gets the agent's name
 * instead.
 */
void
writer_hand_back(struct writer *w, struct writer_job *batch, size_t early)
{
	struct writer_job *job;
	int64_t now = clock_mono_us();

	for (job = batch; job != NULL; job = job->next) {
		job->handed_us = now;
		if (job->report != NULL && job->report->agent_id != NULL)
			(void)snprintf(job->agent_id, sizeof(job->agent_id),
			    "%s", job->report->agent_id);
		if (job->decoded) {
			/* the report lives in the arena: no free_unpacked() */
			decode_arena_free(job->arena);
			job->arena = NULL;
			job->report = NULL;
			job->decoded = false;
		}
	}
	if (!writer_hold(w, batch))
		writer_deliver(w, batch, early);
	else if (early > 0) {
		(void)pthread_mutex_lock(&w->mtx);
		w->stats.resends_early += early;
		(void)pthread_mutex_unlock(&w->mtx);
	}
}

void
writer_deliver(struct writer *w, struct writer_job *batch, size_t early)
{
	struct writer_job *job;
	int64_t now = clock_mono_us();
	bool wake;

	for (job = batch; ; job = job->next) {
		job->released_us = now;
		if (job->next == NULL)
			break;
	}
	(void)pthread_mutex_lock(&w->mtx);
	w->stats.resends_early += early;
	*w->done_tail = batch;
	w->done_tail = &job->next;
	wake = !w->done_pending;
	w->done_pending = true;
	(void)pthread_mutex_unlock(&w->mtx);
	if (wake)
		writer_wake_loop(w);
}

/*
 * Runs one batch through the engine: the valid reports in one
 * transaction. The jobs stay counted in jobs and bytes until the loop has
 * answered them (writer_done_cb()), so memory stays bounded by the queue
 * limits while a batch is being committed and while its replies wait for
 * the loop.
 */
static void
writer_apply(struct writer *w, struct writer_job *batch, size_t taken)
{
	struct engine_report *reports;
	struct writer_job *job, **jobs;
	size_t n = 0, valid = 0, i;
	/* t[0] moves on by the time gathering waited for the loop */
	int64_t t[6] = { clock_mono_us(), 0, 0, thread_cpu_us(), 0, 0 };
	int r = 0;

	batch = writer_gather(w, batch, taken, &t[0]);
	for (job = batch; job != NULL; job = job->next)
		n++;
	if (n == 0)
		return;		/* resends only, all answered */
	reports = xcalloc(n, sizeof(*reports));
	jobs = xcalloc(n, sizeof(*jobs));
	for (job = batch; job != NULL; job = job->next) {
		if (!job->valid)
			continue;
		jobs[valid] = job;
		writer_engine_report(job, &reports[valid]);
		valid++;
	}
	t[1] = clock_mono_us();
	t[4] = thread_cpu_us();
	/* the COMMIT's fsync is made beside the next batch, and the
	   answers wait for it (writer_durable.c) */
	store_vfs_defer(true);
	if (valid > 0)
		r = engine_apply_batch(w->engine, reports, valid,
		    clock_wall_ms());
	store_vfs_defer(false);
	if (r < 0)
		log_warnx("writer: batch of %zu reports not stored: %s (%s)",
		    valid, strerror(-r), engine_errmsg(w->engine));
	for (i = 0; i < valid; i++) {
		writer_outcome(jobs[i], &reports[i], r);
		if (r == 0 && (jobs[i]->status == REPORT_STATUS_COMMITTED ||
		    jobs[i]->status == REPORT_STATUS_ALREADY))
			writer_seq_stored(w, jobs[i]->report->agent_id,
			    jobs[i]->acked_sequence);
	}
	free(reports);
	free(jobs);
	t[2] = clock_mono_us();
	t[5] = thread_cpu_us();
	writer_count(w, n, t);
	writer_hand_back(w, batch, 0);
}

/* After a batch: the checkpointer keeps the WAL bounded (checkpointer.h). */
static void
writer_checkpoint(struct writer *w)
{
	struct store_wal_stats ws;
	uint64_t us;

	if (w->ckpt == NULL)
		return;
	engine_wal_stats(w->engine, &ws);
	if ((us = checkpointer_bound(w->ckpt, ws.wal_frames)) == 0)
		return;
	(void)pthread_mutex_lock(&w->mtx);
	w->stats.drain_us_total += us;
	(void)pthread_mutex_unlock(&w->mtx);
}

/*
 * Copies the engine's commit statistics into the status after commits
 * outside a batch (maintenance, administration), so that the commits and
 * the fsyncs the status shows (read live) count the same COMMITs.
 */
static void
writer_wal_snapshot(struct writer *w)
{
	(void)pthread_mutex_lock(&w->mtx);
	engine_wal_stats(w->engine, &w->stats.wal);
	(void)pthread_mutex_unlock(&w->mtx);
}

/* Runs the engine's maintenance when due; returns whether it ran. */
static bool
writer_tick(struct writer *w, int64_t *next_tick)
{
	int64_t now = clock_mono_ms(), t0, us;
	int r;

	if (now < *next_tick)
		return false;
	t0 = clock_mono_us();
	r = engine_tick(w->engine, clock_wall_ms());
	/* reports wait meanwhile: a long one shows in the ack latency */
	us = clock_mono_us() - t0;
	(void)pthread_mutex_lock(&w->mtx);
	w->stats.ticks++;
	w->stats.tick_us_total += (uint64_t)us;
	if ((uint64_t)us > w->stats.tick_us_max)
		w->stats.tick_us_max = (uint64_t)us;
	(void)pthread_mutex_unlock(&w->mtx);
	if (r < 0)
		log_warnx("writer: periodic maintenance failed: %s (%s), "
		    "ignoring", strerror(-r), engine_errmsg(w->engine));
	writer_wal_snapshot(w);
	*next_tick = now + (r == 1 ? WRITER_RETICK_MS : WRITER_TICK_MS);
	return true;
}

static void
writer_wait(struct writer *w, int64_t next_tick)
{
	int64_t wait_ms = next_tick - clock_mono_ms();
	struct timespec until;

	if (wait_ms <= 0)
		return;
	(void)clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	w->waiting = true;
	(void)pthread_cond_timedwait(&w->cond, &w->mtx, &until);
	w->waiting = false;
}

/* Runs administration tasks and hands them back to the loop. */
static void
writer_run_tasks(struct writer *w, struct writer_task *tasks)
{
	struct writer_task *t;
	bool wake;

	for (t = tasks; t != NULL; t = t->next)
		t->run(t, w->engine);
	writer_wal_snapshot(w);
	(void)pthread_mutex_lock(&w->mtx);
	*w->tasks_done_tail = tasks;
	for (t = tasks; t->next != NULL; t = t->next)
		;
	w->tasks_done_tail = &t->next;
	wake = !w->done_pending;
	w->done_pending = true;
	(void)pthread_mutex_unlock(&w->mtx);
	if (wake)
		writer_wake_loop(w);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct writer_notice notices[WRITER_NOTICES];
	struct writer_job *batch;
	struct writer_task *tasks;
	struct event_types *types;
	struct rules *rules;
	size_t n_notices, taken;
	int64_t next_tick = clock_mono_ms() + WRITER_TICK_MS;
	bool stop, ticked;
	int r;

	/* named for top, perf and bench-knee.sh's CPU accounting */
	(void)prctl(PR_SET_NAME, "kics-writer", 0L, 0L, 0L);
	w->ahead_tail = &w->ahead;
	w->held_tail = &w->held;
	if ((r = store_vfs_overlap_start(writer_prepare_ahead, w)) < 0)
		log_warnx("writer: cannot start the fsync thread: %s; reports "
		    "are decoded after each COMMIT, which waits for its "
		    "fsync", strerror(-r));
	else
		(void)store_vfs_defer_notify(writer_durable_cb, w);
	writer_events_note(w);		/* what is stored is on disk */
	for (;;) {
		(void)pthread_mutex_lock(&w->mtx);
		if (w->queue == NULL && w->ahead == NULL &&
		    w->new_types == NULL && w->new_rules == NULL &&
		    w->n_notices == 0 && w->tasks == NULL &&
		    !w->durable_news && !w->stopping)
			writer_wait(w, next_tick);
		w->durable_news = false;
		/* what a COMMIT's fsync took ahead comes first */
		taken = w->n_ahead;
		batch = writer_take(w, LIMIT_WRITER_BATCH_REPORTS - taken,
		    &taken);
		if (w->ahead != NULL) {
			*w->ahead_tail = batch;
			batch = w->ahead;
		}
		w->ahead = NULL;
		w->ahead_tail = &w->ahead;
		w->n_ahead = 0;
		types = w->new_types;
		w->new_types = NULL;
		rules = w->new_rules;
		w->new_rules = NULL;
		n_notices = w->n_notices;
		memcpy(notices, w->notices, sizeof(notices));
		w->n_notices = 0;
		tasks = w->tasks;
		w->tasks = NULL;
		w->tasks_tail = &w->tasks;
		stop = w->stopping;
		(void)pthread_mutex_unlock(&w->mtx);

		writer_release(w);

		/* Between batches: no report is half-applied with old types
		   or half a rule set. */
		if (types != NULL) {
			engine_set_event_types(w->engine, types);
			event_types_free(w->types);
			w->types = types;
			log_info("event types reloaded");
		}
		if (rules != NULL) {
			rules_counters_carry(rules, w->rules);
			engine_set_rules(w->engine, rules);
			rules_free(w->rules);
			w->rules = rules;
			log_info("rules reloaded: %zu rule(s)",
			    rules_count(rules));
		}
		for (size_t i = 0; i < n_notices; i++) {
			if (engine_system_event(w->engine,
			    notices[i].category, 0, notices[i].text,
			    clock_wall_ms()) < 0)
				log_warnx("cannot register '%s': %s, ignoring",
				    notices[i].text,
				    engine_errmsg(w->engine));
			free(notices[i].text);
		}
		if (n_notices > 0)
			writer_wal_snapshot(w);
		if (tasks != NULL)
			writer_run_tasks(w, tasks);
		if (batch != NULL) {
			writer_apply(w, batch, taken);
			writer_checkpoint(w);
		} else if (stop)
			break;
		/* Also under steady load, where the queue is never empty. */
		ticked = !stop && writer_tick(w, &next_tick);
		/* a turn that only woke for an fsync's end wrote nothing */
		if (batch != NULL || tasks != NULL || n_notices > 0 || ticked)
			writer_events_note(w);
	}
	writer_release_all(w);
	store_vfs_overlap_stop();
	return NULL;
}

/*
 * On the loop, after the callbacks that submitted reports in this turn:
 * the turn is over, the writer may commit what it submitted.
 */
static void
writer_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct writer *w = arg;
	bool signal;

	(void)fd;
	(void)what;
	w->kick_pending = false;
	(void)pthread_mutex_lock(&w->mtx);
	w->turn_open = false;
	/* only a writer waiting for the turn's end: one in writer_wait()
	   found the queue empty, and a submit since has signalled it */
	signal = w->turn_waiting;
	(void)pthread_mutex_unlock(&w->mtx);
	/* outside mtx: the writer does not wake only to wait for it */
	if (signal)
		(void)pthread_cond_signal(&w->cond);
}

/* On the loop: answer every finished job. */
static void
writer_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct writer *w = arg;
	struct writer_job *list, *job;
	struct writer_task *tasks, *t;
	int64_t now = clock_mono_us();
	uint64_t n;

	(void)what;
	/* done_ev edge-triggered: nothing to read back; done_pending is
	   cleared under mtx, so a later hand-back writes a new edge */
	if (fd >= 0 && !w->done_et)
		(void)!read(fd, &n, sizeof(n));
	(void)pthread_mutex_lock(&w->mtx);
	w->done_pending = false;
	tasks = w->tasks_done;
	w->tasks_done = NULL;
	w->tasks_done_tail = &w->tasks_done;
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	for (job = list; job != NULL; job = job->next) {
		w->jobs--;
		w->bytes -= job->bytes;
		writer_stats_answer(&w->stats, job, now);
	}
	(void)pthread_mutex_unlock(&w->mtx);
	while ((job = list) != NULL) {
		list = job->next;
		job->next = NULL;
		resend_cache_learn(w->resends, job);
		job->done(job);
	}
	while ((t = tasks) != NULL) {
		tasks = t->next;
		t->next = NULL;
		t->done(t);
	}
}

/*
 * Hands the WAL checkpoints to a checkpointer thread. A database without a
 * WAL file (tests on :memory:) or a connection that cannot be opened keep
 * SQLite's inline checkpoints; only a thread that cannot start fails.
 */
static int
writer_ckpt_start(struct writer *w)
{
	struct store_ckpt *c = NULL;
	int r;

	r = engine_wal_handoff(w->engine, &c);
	if (r == -EINVAL)
		return 0;
	if (r < 0) {
		log_warnx("no checkpointer thread: %s; checkpoints stay "
		    "inline, ignoring", engine_errmsg(w->engine));
		return 0;
	}
	return checkpointer_new(c, &w->ckpt);
}

int
writer_new(struct event_base *base, struct engine *e,
    struct event_types *types, struct rules *rules,
    struct writer **ret_writer)
{
	struct writer *w;
	pthread_condattr_t ca;
	int r;

	(void)mallopt(M_TRIM_THRESHOLD, WRITER_MALLOC_TRIM_BYTES);
	(void)mallopt(M_MMAP_THRESHOLD, WRITER_MALLOC_MMAP_BYTES);
	w = xcalloc(1, sizeof(*w));
	w->resends = resend_cache_new();
	w->done_fd = -1;
	w->engine = e;
	w->types = types;
	w->rules = rules;
	engine_set_rules(e, rules);
	w->queue_tail = &w->queue;
	w->done_tail = &w->done;
	w->tasks_tail = &w->tasks;
	w->tasks_done_tail = &w->tasks_done;
	(void)pthread_mutex_init(&w->mtx, NULL);
	(void)pthread_condattr_init(&ca);
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void)pthread_cond_init(&w->cond, &ca);
	(void)pthread_condattr_destroy(&ca);
	if ((w->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		r = -errno;
		goto out;
	}
	/*
	 * Edge-triggered: every write() to the eventfd is an edge, so the
	 * loop never reads it back (a read() per wakeup saved; the counter
	 * grows by one per wakeup and would take ages to fill). A backend
	 * without edges (EVENT_NOEPOLL set) reads it, or would spin.
	 */
	w->done_et = (event_base_get_features(base) & EV_FEATURE_ET) != 0;
	if ((w->done_ev = event_new(base, w->done_fd, EV_READ | EV_PERSIST |
	    (w->done_et ? EV_ET : 0), writer_done_cb, w)) == NULL ||
	    event_add(w->done_ev, NULL) < 0 ||
	    (w->kick_ev = event_new(base, -1, 0, writer_kick_cb, w)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = writer_ckpt_start(w)) < 0)
		goto out;
	w->start_us = clock_mono_us();
	if ((r = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		r = -r;
		goto out;
	}
	w->thread_started = true;
	*ret_writer = w;
	w = NULL;
	r = 0;
out:
	writer_free(w);
	return r;
}

int
writer_submit(struct writer *w, struct writer_job *job)
{
	bool kick = false, signal = false;
	int r = 0;

	assert(job->done != NULL);
	job->decoded = job->report == NULL;
	job->prepared = false;
	job->arena = NULL;
	job->agent_id[0] = '\0';
	job->submit_us = clock_mono_us();
	job->taken_us = job->handed_us = job->released_us = 0;
	(void)pthread_mutex_lock(&w->mtx);
	if (w->stopping)
		r = -ESHUTDOWN;
	else if (w->jobs > 0 && (w->jobs >= LIMIT_INGEST_QUEUE_REPORTS ||
	    w->bytes > LIMIT_INGEST_QUEUE_BYTES ||
	    job->bytes > LIMIT_INGEST_QUEUE_BYTES - w->bytes))
		r = -EAGAIN;
	else {
		job->next = NULL;
		*w->queue_tail = job;
		w->queue_tail = &job->next;
		w->jobs++;
		w->bytes += job->bytes;
		if (w->jobs > w->stats.queue_max)
			w->stats.queue_max = w->jobs;
		w->turn_open = true;
		/* a busy writer takes the whole queue when its batch ends */
		signal = w->waiting;
		w->waiting = false;
		kick = !w->kick_pending;
	}
	(void)pthread_mutex_unlock(&w->mtx);
	/*
	 * Outside mtx: the writer does not wake only to wait for it. It
	 * waited when waiting was read, so it is still in (or about to
	 * re-check before) its wait: the signal cannot be lost.
	 */
	if (signal)
		(void)pthread_cond_signal(&w->cond);
	if (kick) {
		w->kick_pending = true;
		event_active(w->kick_ev, EV_READ, 0);
	}
	return r;
}

int
writer_run_task(struct writer *w, struct writer_task *task)
{
	int r = 0;

	assert(task->run != NULL && task->done != NULL);
	(void)pthread_mutex_lock(&w->mtx);
	if (w->stopping)
		r = -ESHUTDOWN;
	else {
		task->next = NULL;
		*w->tasks_tail = task;
		w->tasks_tail = &task->next;
		(void)pthread_cond_signal(&w->cond);
	}
	(void)pthread_mutex_unlock(&w->mtx);
	return r;
}

void
writer_set_event_types(struct writer *w, struct event_types *types)
{
	struct event_types *old;

	(void)pthread_mutex_lock(&w->mtx);
	old = w->new_types;	/* never swapped in: nobody uses it */
	w->new_types = types;
	(void)pthread_cond_signal(&w->cond);
	(void)pthread_mutex_unlock(&w->mtx);
	event_types_free(old);
}

void
writer_set_rules(struct writer *w, struct rules *rules)
{
	struct rules *old;

	(void)pthread_mutex_lock(&w->mtx);
	old = w->new_rules;	/* never swapped in: nobody uses it */
	w->new_rules = rules;
	(void)pthread_cond_signal(&w->cond);
	(void)pthread_mutex_unlock(&w->mtx);
	rules_free(old);
}

void
writer_notice(struct writer *w, const char *category, const char *text)
{
	char *copy = xstrdup(text);

	(void)pthread_mutex_lock(&w->mtx);
	if (w->n_notices < WRITER_NOTICES) {
		w->notices[w->n_notices].category = category;
		w->notices[w->n_notices++].text = copy;
		copy = NULL;
		(void)pthread_cond_signal(&w->cond);
	}
	(void)pthread_mutex_unlock(&w->mtx);
	if (copy != NULL)
		log_warnx("too many system events waiting, dropping '%s'",
		    copy);
	free(copy);
}

void
writer_stop(struct writer *w)
{
	(void)pthread_mutex_lock(&w->mtx);
	w->stopping = true;
	(void)pthread_cond_signal(&w->cond);
	(void)pthread_mutex_unlock(&w->mtx);
}

bool
writer_idle(struct writer *w)
{
	bool idle;

	(void)pthread_mutex_lock(&w->mtx);
	idle = w->jobs == 0;
	(void)pthread_mutex_unlock(&w->mtx);
	return idle;
}

void
writer_stats(struct writer *w, struct writer_stats *ret)
{
	(void)pthread_mutex_lock(&w->mtx);
	*ret = w->stats;
	ret->queue_now = w->jobs;
	(void)pthread_mutex_unlock(&w->mtx);
	ret->uptime_us = (uint64_t)(clock_mono_us() - w->start_us);
	store_sync_stats(&ret->sync);
	ret->checkpointer = w->ckpt != NULL;
	if (w->ckpt != NULL)
		checkpointer_stats(w->ckpt, &ret->ckpt);
	else
		(void)memset(&ret->ckpt, 0, sizeof(ret->ckpt));
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	if (w->thread_started) {
		writer_stop(w);
		(void)pthread_join(w->thread, NULL);
	}
	/* after the writer's last commit, before the engine's close */
	checkpointer_free(w->ckpt);
	/* The thread drained the queue; answer what it handed back. */
	if (w->done_ev != NULL) {
		writer_done_cb(-1, 0, w);
		event_free(w->done_ev);
	}
	if (w->kick_ev != NULL)
		event_free(w->kick_ev);
	if (w->done_fd >= 0)
		(void)close(w->done_fd);
	resend_cache_free(w->resends);
	engine_free(w->engine);
	event_types_free(w->types);
	event_types_free(w->new_types);
	rules_free(w->rules);
	rules_free(w->new_rules);
	for (size_t i = 0; i < w->n_notices; i++)
		free(w->notices[i].text);
	(void)pthread_cond_destroy(&w->cond);
	(void)pthread_mutex_destroy(&w->mtx);
	free(w);
}
