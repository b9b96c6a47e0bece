/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains what the forwarder does for one connector: its link to
 * the receiver with back-off, the events it sends from its cursor, the
 * window of messages written but not yet acknowledged, and the trimmed
 * events it counts.
 *
 * The cursor saved in the database is "confirmed": the highest event id
 * such that every event up to it was written to the stream, acknowledged by
 * the receiver's TCP and had FORWARD_GRACE_MS to be read (or was sent as a
 * datagram, or did not pass the filter). A receiver that stops loses what
 * sat unread in its socket; after a failure the link resumes from the
 * confirmed cursor, so such events are sent again (at least once), and the
 * duplicates are bounded by what was in flight.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "forward-private.h"
#include "store_forward.h"

/* What one batch's callback needs. */
struct link_batch {
	struct forward	*fw;
	struct forward_link *l;
	int64_t		 now_ms;
	int		 sent;		/* messages written */
	int		 r;		/* 0, or the failure */
};

void
link_fail(struct forward_link *l, const char *why, int64_t now_ms)
{
	forward_conn_free(l->conn);
	l->conn = NULL;
	l->n_ring = 0;
	l->head = 0;
	l->sent = l->confirmed;		/* resend what was in flight */
	l->errors++;
	if (!l->down) {
		l->down = true;
		l->failed = true;
		l->backoff_ms = FORWARD_BACKOFF_MIN_MS;
	} else if ((l->backoff_ms *= 2) > FORWARD_BACKOFF_MAX_MS)
		l->backoff_ms = FORWARD_BACKOFF_MAX_MS;
	l->retry_at_ms = now_ms + l->backoff_ms;
	(void)snprintf(l->state, sizeof(l->state), "error");
	(void)snprintf(l->last_error, sizeof(l->last_error), "%s", why);
	l->dirty = true;
}

/* Moves the confirmed cursor over what the receiver acknowledged. */
void
link_confirm(struct forward_link *l, int64_t now_ms, bool all)
{
	uint64_t acked, mark;

	if (l->conn == NULL)
		return;
	if (l->n_ring == 0) {
		l->confirmed = l->sent;
		return;
	}
	if (forward_conn_acked(l->conn, &acked, &mark) < 0)
		return;
	while (l->n_ring > 0) {
		struct forward_mark *m = &l->ring[l->head];

		if (m->mark > acked || (!all &&
		    now_ms - m->at_ms < FORWARD_GRACE_MS))
			break;
		l->confirmed = m->event_id;
		l->head = (l->head + 1) % FORWARD_RING;
		l->n_ring--;
	}
	if (l->n_ring == 0)
		l->confirmed = l->sent;
}

/* Remembers that everything up to l->sent is written up to mark. */
static void
link_push(struct forward_link *l, int64_t now_ms)
{
	uint64_t acked, mark;
	struct forward_mark *m;

	if (forward_conn_acked(l->conn, &acked, &mark) < 0 ||
	    l->c.transport == CONNECTOR_UDP) {
		/* a datagram sent is delivered as far as we can know */
		l->confirmed = l->sent;
		return;
	}
	/* one mark per batch; a full ring waits for acknowledgements */
	m = &l->ring[(l->head + l->n_ring) % FORWARD_RING];
	m->event_id = l->sent;
	m->mark = mark;
	m->at_ms = now_ms;
	l->n_ring++;
}

/* Whether ev passes l's filter. */
static bool
link_wants(const struct forward_link *l, const struct engine_fwd_event *ev)
{
	if (ev->severity < l->c.min_severity)
		return false;
	return (connector_technology_bit(ev->technology) &
	    l->c.technologies) != 0;
}

/* store_reader_events(): formats and writes one event. */
static int
link_event(void *arg, const struct engine_fwd_event *ev)
{
	struct link_batch *b = arg;
	struct forward_link *l = b->l;
	char err[256];
	int r;

	if (!link_wants(l, ev)) {
		l->sent = ev->id;
		return 0;
	}
	strbuf_reset(&b->fw->buf);
	if ((r = forward_format(&b->fw->buf, l->c.format, &b->fw->origin,
	    ev)) < 0) {
		b->r = r;
		return 1;
	}
	if (l->c.transport != CONNECTOR_UDP) {
		/* streams: the batch goes in one write (RFC 6587 framing) */
		(void)strbuf_printf(&b->fw->batch, "%zu ", b->fw->buf.len);
		if (strbuf_append(&b->fw->batch, strbuf_str(&b->fw->buf)) < 0) {
			b->r = -ENOMEM;
			return 1;
		}
		l->sent = ev->id;
		b->sent++;
		return 0;
	}
	if ((r = forward_conn_send(l->conn, strbuf_str(&b->fw->buf),
	    b->fw->buf.len, err, sizeof(err))) < 0) {
		b->r = r;
		link_fail(l, err, b->now_ms);
		return 1;
	}
	l->sent = ev->id;
	l->delivered++;
	l->last_delivered_ms = clock_wall_ms();
	b->sent++;
	return 0;
}

/* Writes the framed messages of a stream batch; false after a failure. */
static bool
link_flush(struct forward *fw, struct forward_link *l, struct link_batch *b)
{
	char err[256];

	if (l->conn == NULL || fw->batch.len == 0)
		return l->conn != NULL;
	if (forward_conn_write(l->conn, strbuf_str(&fw->batch),
	    fw->batch.len, err, sizeof(err)) < 0) {
		link_fail(l, err, b->now_ms);
		return false;
	}
	l->delivered += b->sent;
	l->last_delivered_ms = clock_wall_ms();
	return true;
}

/* Counts the events retention deleted before they were sent. */
static int
link_trimmed(struct forward *fw, struct forward_link *l)
{
	int64_t lo, hi;
	int r;

	if (l->n_ring > 0)
		return 0;
	if ((r = store_reader_bounds(fw->reader, &lo, &hi)) < 0)
		return r;
	if (lo > l->sent + 1) {
		l->trimmed += lo - 1 - l->sent;
		l->sent = l->confirmed = lo - 1;
		l->dirty = true;
	}
	return 0;
}

/* Connects l when it is due; false when it is not connected. */
static bool
link_up(struct forward_link *l, int64_t now_ms)
{
	char err[256] = "";
	int r;

	if (l->conn != NULL)
		return true;
	if (now_ms < l->retry_at_ms)
		return false;
	r = forward_conn_open(&l->c, FORWARD_CONNECT_MS, err, sizeof(err),
	    &l->conn);
	if (r < 0) {
		link_fail(l, err[0] != '\0' ? err : strerror(-r), now_ms);
		return false;
	}
	if (l->down)
		l->recovered = true;
	l->down = false;
	l->backoff_ms = 0;
	(void)snprintf(l->state, sizeof(l->state), "connected");
	l->last_error[0] = '\0';
	l->dirty = true;
	return true;
}

int
link_step(struct forward *fw, struct forward_link *l, int64_t now_ms)
{
	struct link_batch b = { fw, l, now_ms, 0, 0 };
	int64_t before = l->sent;
	int n;

	if (!l->c.enabled) {
		if (strcmp(l->state, "disabled") != 0) {
			forward_conn_free(l->conn);
			l->conn = NULL;
			(void)snprintf(l->state, sizeof(l->state), "disabled");
			l->dirty = true;
		}
		return 0;
	}
	/* also while the receiver is down: retention does not wait */
	if ((n = link_trimmed(fw, l)) < 0)
		return n;
	if (!link_up(l, now_ms))
		return 0;
	link_confirm(l, now_ms, false);
	if (forward_conn_closed(l->conn)) {
		link_fail(l, "the receiver closed the connection", now_ms);
		return 0;
	}
	if (l->n_ring >= FORWARD_RING - 1)
		return 0;
	strbuf_reset(&fw->batch);
	n = store_reader_events(fw->reader, l->sent, fw->p.durable != NULL ?
	    fw->p.durable(fw->p.durable_arg) : INT64_MAX, FORWARD_BATCH,
	    link_event, &b);
	if (n < 0 || b.r == -ENOMEM) {
		/* nothing of the batch was written: read it again */
		l->sent = before;
		return n < 0 ? n : b.r;
	}
	if (!link_flush(fw, l, &b))
		return 0;
	if (l->sent != before) {
		link_push(l, now_ms);
		l->dirty = true;
	}
	return n;
}
