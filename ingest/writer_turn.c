/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains how the writer gathers a batch: it decodes and
 * validates the reports of a turn of the loop while the loop still reads
 * more, and commits what one turn submitted as one batch, up to
 * LIMIT_WRITER_BATCH_REPORTS reports (kics_limits.h).
 *
 * THREAD SAFETY NOTES: writer thread; the queue under w->mtx.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "kics_limits.h"
#include "writer-private.h"

struct writer_job *
writer_take(struct writer *w, size_t max, size_t *n)
{
	struct writer_job *head = w->queue, *last = head;
	int64_t now;
	size_t k = 1;

	if (head == NULL || max == 0)
		return NULL;
	now = clock_mono_us();
	head->taken_us = now;
	while (k < max && last->next != NULL) {
		last = last->next;
		last->taken_us = now;
		k++;
	}
	w->queue = last->next;
	last->next = NULL;
	if (w->queue == NULL)
		w->queue_tail = &w->queue;
	*n += k;
	return head;
}

/*
 * Waits, with mtx held, until the loop submits more reports or ends the
 * turn that submitted these (or the bound passes, or the writer stops).
 * The end of the turn is signalled; more reports are looked for after
 * WRITER_TURN_POLL_US, then twice as long each time, instead, so that the
 * loop does not pay a wakeup of the writer for each report of a turn.
 * Returns the microseconds waited.
 */
static int64_t
writer_wait_turn(struct writer *w)
{
	int64_t start = clock_mono_us();
	int64_t bound = start + WRITER_TURN_WAIT_MS * 1000;
	long interval_us = WRITER_TURN_POLL_US;
	struct timespec poll;

	w->turn_waiting = true;
	while (w->queue == NULL && w->turn_open && !w->stopping &&
	    clock_mono_us() < bound) {
		(void)clock_gettime(CLOCK_MONOTONIC, &poll);
		poll.tv_nsec += interval_us * 1000L;
		while (poll.tv_nsec >= 1000000000) {
			poll.tv_sec++;
			poll.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&w->cond, &w->mtx, &poll);
		/* a turn that submits nothing more (handshakes, say) is not
		   polled at the same pace for the rest of it */
		interval_us *= 2;
	}
	w->turn_waiting = false;
	return clock_mono_us() - start;
}

void
writer_prepare_ahead(void *arg, const atomic_bool *synced)
{
	struct writer *w = arg;
	struct writer_job *job;
	size_t prepared = 0;

	/* what the next batch starts with, in one hold of the lock */
	(void)pthread_mutex_lock(&w->mtx);
	job = writer_take(w, LIMIT_WRITER_BATCH_REPORTS - w->n_ahead,
	    &w->n_ahead);
	(void)pthread_mutex_unlock(&w->mtx);
	*w->ahead_tail = job;
	/* one at least: a few microseconds, even after a fast fsync; what
	   is left, and a possible resend, writer_gather() prepares */
	for (; job != NULL; job = job->next) {
		w->ahead_tail = &job->next;
		if ((prepared > 0 && atomic_load(synced)) ||
		    writer_maybe_resend(w, job))
			continue;
		job->valid = writer_prepare(job);
		job->prepared = true;
		prepared++;
	}
	if (prepared == 0)
		return;
	(void)pthread_mutex_lock(&w->mtx);
	w->stats.prepared_ahead += prepared;
	(void)pthread_mutex_unlock(&w->mtx);
}

/*
 * Resends are answered before they are decoded (writer_resend.c), in one
 * read transaction of the gathering, and leave the batch; they still
 * count towards LIMIT_WRITER_BATCH_REPORTS, so that a flood of them
 * cannot keep the other reports of the batch waiting.
 * (The time waited for the loop is not decoding: it is kept out of
 * prepare_us_total.)
 */
struct writer_job *
writer_gather(struct writer *w, struct writer_job *batch, size_t n,
    int64_t *waited_us)
{
	struct writer_job *head = NULL, **tail = &head, *job = batch, *next;
	bool reading = false;

	for (;;) {
		for (; job != NULL; job = next) {
			next = job->next;
			if (!job->prepared) {
				if (writer_answer_resend(w, job, &reading))
					continue;
				job->valid = writer_prepare(job);
			}
			job->next = NULL;
			*tail = job;
			tail = &job->next;
		}
		if (n >= LIMIT_WRITER_BATCH_REPORTS)
			break;
		(void)pthread_mutex_lock(&w->mtx);
		*waited_us += writer_wait_turn(w);
		job = writer_take(w, LIMIT_WRITER_BATCH_REPORTS - n, &n);
		(void)pthread_mutex_unlock(&w->mtx);
		if (job == NULL)
			break;
	}
	/* before the batch's write transaction */
	if (reading)
		engine_resend_end(w->engine);
	return head;
}
