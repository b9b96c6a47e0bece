/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private header of forward/: the forwarder and the state of each of its
 * connectors ("links"). Everything here belongs to the forwarder thread,
 * except the fields of struct forward below its mutex.
 */
#ifndef KICS_FORWARD_PRIVATE_H
#define KICS_FORWARD_PRIVATE_H

#include <pthread.h>

#include "forward.h"

#define FORWARD_BATCH		256	/* events read per step */
#define FORWARD_RING		4096	/* batches written, unacknowledged */
#define FORWARD_GRACE_MS	1000	/* acknowledged data to be read */
#define FORWARD_BACKOFF_MIN_MS	1000	/* first retry after a failure */
#define FORWARD_BACKOFF_MAX_MS	60000	/* retries never further apart */
#define FORWARD_CONNECT_MS	5000	/* connect, handshake, one write */
#define FORWARD_IDLE_MS		100	/* poll for new events */
#define FORWARD_PUBLISH_MS	1000	/* progress to the writer */
#define FORWARD_DRAIN_MS	1000	/* at stop: wait for acknowledgements */

/* Everything up to event_id is written once the receiver acked mark. */
struct forward_mark {
	int64_t		event_id;
	uint64_t	mark;		/* tcpi_bytes_acked to reach */
	int64_t		at_ms;		/* when it was written (monotonic) */
};

/* One connector as the forwarder runs it. */
struct forward_link {
	struct engine_connector c;	/* as read from the table */
	struct forward_conn *conn;	/* NULL: not connected */
	int64_t		sent;		/* last event written or skipped */
	int64_t		confirmed;	/* the cursor that is saved */
	struct forward_mark ring[FORWARD_RING];	/* written, in flight */
	size_t		head, n_ring;
	bool		down;		/* failing since the last success */
	int64_t		retry_at_ms;	/* monotonic */
	int64_t		backoff_ms;
	char		state[32];	/* starting | connected | error | … */
	char		last_error[256];
	/* since the last publish: */
	int64_t		delivered, trimmed, errors, last_delivered_ms;
	bool		failed, recovered;	/* events to register */
	bool		dirty;		/* something to publish */
	int64_t		published;	/* the cursor last published */
};

struct forward {
	struct forward_params p;
	struct forward_origin origin;
	char		hostname[256];
	struct store_reader *reader;	/* the thread's */
	struct strbuf	buf;		/* one message, the thread's */
	struct strbuf	batch;		/* framed messages of one step */
	struct forward_link **links;	/* the thread's */
	size_t		n_links;
	int64_t		next_publish_ms;
	pthread_t	thread;
	bool		started;

	pthread_mutex_t	mtx;
	pthread_cond_t	cond;		/* stop, reload, tests ending */
	bool		stopping;
	bool		reload;
	size_t		tests;		/* test threads running */
};

/* forward_link.c */
/*
 * One step of l: connects when due, confirms what was acknowledged and
 * sends up to FORWARD_BATCH events. Returns how many events it read (0:
 * idle), or a negative errno when the database could not be read.
 */
int link_step(struct forward *fw, struct forward_link *l, int64_t now_ms);
/* Confirms what the receiver acknowledged; all: without the grace. */
void link_confirm(struct forward_link *l, int64_t now_ms, bool all);
/* Closes l after a failure and schedules the retry (back-off). */
void link_fail(struct forward_link *l, const char *why, int64_t now_ms);

#endif
