/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the answers that wait for the WAL's fsync (issue 17):
 * the writer's COMMIT of a batch of reports no longer waits for it. The
 * fsync thread makes it while the writer applies the next batch
 * (store_vfs_defer(), store_vfs.h), and what the writer answers meanwhile
 * (the batch, resends found stored, refusals) is held here with the ticket
 * of the last fsync asked for, and handed to the loop once that ticket is
 * on disk: an ack still means the report is on disk. A failed fsync
 * answers what it held as not stored.
 *
 * The same goes for the events readers may send on (the SIEM forwarder):
 * the highest event id is noted after each turn of the writer with the
 * fsync it waits for, and published once that fsync is done, so that no
 * event leaves the daemon that a crash could take back.
 *
 * THREAD SAFETY NOTES: held, held_tail, durable_failed and the marks are
 * the writer thread's; writer_durable_cb() runs on the fsync thread and
 * only sets durable_news, under the writer's mutex; events_durable is
 * read by any thread.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "log.h"
#include "store_vfs.h"
#include "writer-private.h"

void
writer_durable_cb(void *arg)
{
	struct writer *w = arg;

	(void)pthread_mutex_lock(&w->mtx);
	w->durable_news = true;
	if (w->waiting)
		(void)pthread_cond_signal(&w->cond);
	(void)pthread_mutex_unlock(&w->mtx);
}

bool
writer_hold(struct writer *w, struct writer_job *list)
{
	uint64_t asked, done;
	struct writer_job *job;
	int r = store_vfs_durable(&asked, &done);

	if (r == 0 && asked <= done) {
		writer_release(w);	/* those before come first */
		return false;
	}
	for (job = list; job != NULL; job = job->next)
		job->ticket = asked;
	*w->held_tail = list;
	for (job = list; job->next != NULL; job = job->next)
		;
	w->held_tail = &job->next;
	if (r < 0)
		writer_release(w);
	return true;
}

/* An answer held for a ticket whose fsync failed: nothing is stored. */
static void
writer_unsynced(struct writer_job *job)
{
	if (job->status != REPORT_STATUS_COMMITTED &&
	    job->status != REPORT_STATUS_ALREADY)
		return;
	job->status = REPORT_STATUS_FAILED;
	(void)snprintf(job->reason, sizeof(job->reason),
	    "the database could not be synced to disk");
}

/* Publishes the highest event id noted whose fsync is done. */
static void
writer_events_publish(struct writer *w, uint64_t done)
{
	int64_t id = -1;

	while (w->n_marks > 0 && w->marks[w->marks_first].ticket <= done) {
		id = w->marks[w->marks_first].event_id;
		w->marks_first = (w->marks_first + 1) % WRITER_EVENT_MARKS;
		w->n_marks--;
	}
	if (id >= 0)
		atomic_store(&w->events_durable, id);
}

void
writer_events_note(struct writer *w)
{
	struct writer_event_mark *m;
	uint64_t asked, done;
	int64_t id;

	/* after a failed fsync nothing more is on disk for sure */
	if (w->durable_failed || store_vfs_durable(&asked, &done) < 0 ||
	    engine_event_max_id(w->engine, &id) < 0 || id <= w->events_noted)
		return;
	w->events_noted = id;
	m = w->n_marks > 0 ? &w->marks[(w->marks_first + w->n_marks - 1) %
	    WRITER_EVENT_MARKS] : NULL;
	/* the same fsync, or no room: the newest mark waits for this one */
	if (m == NULL || (m->ticket != asked &&
	    w->n_marks < WRITER_EVENT_MARKS)) {
		m = &w->marks[(w->marks_first + w->n_marks) %
		    WRITER_EVENT_MARKS];
		w->n_marks++;
	}
	m->ticket = asked;
	m->event_id = id;
	writer_events_publish(w, done);
}

int64_t
writer_events_durable(struct writer *w)
{
	return atomic_load(&w->events_durable);
}

void
writer_release(struct writer *w)
{
	struct writer_job *list, **tail;
	uint64_t asked, done;
	bool failed;

	if (w->held == NULL && w->n_marks == 0)
		return;
	failed = store_vfs_durable(&asked, &done) < 0;
	if (!failed && !w->durable_failed)
		writer_events_publish(w, done);
	if (w->held == NULL)
		return;
	list = w->held;
	tail = &w->held;
	while (*tail != NULL && (failed || (*tail)->ticket <= done)) {
		if ((*tail)->ticket > done)
			writer_unsynced(*tail);
		tail = &(*tail)->next;
	}
	if (tail == &w->held)
		return;		/* the first is not on disk yet */
	w->held = *tail;
	*tail = NULL;
	if (w->held == NULL)
		w->held_tail = &w->held;
	if (failed && !w->durable_failed)
		log_warnx("writer: the WAL's fsync failed: the reports of the "
		    "last batches are answered as not stored, and no batch "
		    "is stored until the daemon restarts");
	w->durable_failed = w->durable_failed || failed;
	writer_deliver(w, list, 0);
}

void
writer_release_all(struct writer *w)
{
	(void)store_vfs_durable_wait();
	writer_release(w);
}
