/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the gate of http_gate.h: an input-buffer callback
 * that holds each request until it has seen its framing and, for a
 * report, pre-scanned its body as it arrived, then passes the request on
 * whole, or replaces it with a verdict.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/socket.h>

#include "http_gate.h"
#include "ingest.h"	/* HTTP_REPORT_PATH */
#include "kics_limits.h"
#include "log.h"
#include "prescan.h"
#include "tls.h"

#define GATE_MESSAGE_LEN	160	/* bytes of a verdict's message */

enum gate_state {
	GATE_HEAD,		/* waiting for a whole header block */
	GATE_BODY,		/* taking body_left more bytes into req */
	GATE_HOLD,		/* refused: what comes is dropped */
};

struct http_gate {
	const struct http_gate_params *p;
	struct http_gate_budget *budget;
	struct bufferevent *bev;	/* the connection's TLS bufferevent */
	struct event	*deadline;	/* the header block's, or NULL */
	struct event	*watch;		/* keeps the socket polled */
	bool		read_seen;	/* bytes came since watch last fired */
	/* evhttp's callbacks, put back when the handshake ends */
	bufferevent_data_cb evhttp_read_cb;
	bufferevent_data_cb evhttp_write_cb;
	bufferevent_event_cb evhttp_event_cb;
	void		*evhttp_arg;
	struct evbuffer	*in;		/* the connection's, read by evhttp */
	struct evbuffer_cb_entry *cb;
	struct evbuffer	*hold;		/* taken from in, not yet passed */
	struct evbuffer	*req;		/* the admitted request so far */
	struct evbuffer	*tmp;
	size_t		max_body;
	enum gate_state	state;
	bool		moving;		/* our own changes of in: ignored */
	uint64_t	body_left;
	size_t		reserved;	/* of budget, by the body in flight */
	bool		scanning;	/* the body is a report: pre-scan it */
	bool		streaming;	/* evhttp has the head: body goes on */
	struct prescan_stream scan;
};

/* What the header block of one request says about its body. */
struct gate_framing {
	bool		has_length;
	uint64_t	length;
	bool		chunked;	/* any Transfer-Encoding */
	bool		report;		/* POST HTTP_REPORT_PATH */
	bool		expect_continue; /* Expect: 100-continue, HTTP/1.1 */
	const char	*bad;		/* a smuggling shape, or NULL */
};

static void
gate_release(struct http_gate *g)
{
	g->budget->used -= g->reserved;
	g->reserved = 0;
}

/*
 * Ends the connection under evhttp, which sees the end of it and frees it
 * (and the gate); until then, what arrives is dropped.
 */
static void
gate_close(struct http_gate *g)
{
	evutil_socket_t fd = bufferevent_getfd(g->bev);

	gate_release(g);
	g->state = GATE_HOLD;
	if (fd >= 0)
		(void)shutdown(fd, SHUT_RDWR);
}

/*
 * The header block's deadline passed: close the connection under evhttp,
 * which sees the end of it and frees it (and the gate). A client that
 * trickles its handshake or its headers cannot hold a slot longer.
 */
static void
gate_deadline_cb(evutil_socket_t unused, short what, void *arg)
{
	struct http_gate *g = arg;

	(void)unused;
	(void)what;
	log_debug("gate: no whole request within %u ms, closing",
	    (unsigned)g->p->head_timeout_ms);
	gate_close(g);
}

static void
gate_deadline_arm(struct http_gate *g)
{
	struct timeval tv = {
		.tv_sec = g->p->head_timeout_ms / 1000,
		.tv_usec = (g->p->head_timeout_ms % 1000) * 1000,
	};

	if (g->deadline != NULL && !evtimer_pending(g->deadline, NULL))
		(void)evtimer_add(g->deadline, &tv);
}

/* A header block is whole (passed or refused): its deadline is met. */
static void
gate_head_done(struct http_gate *g)
{
	if (g->deadline != NULL)
		(void)evtimer_del(g->deadline);
}

/*
 * Length of the header block at the start of src up to and including its
 * empty line, or 0 while it is incomplete. A block that starts with an
 * empty line is that line alone, which evhttp judges.
 */
static size_t
gate_head_len(struct evbuffer *src)
{
	struct evbuffer_ptr p, eol;
	size_t eol_len = 0;

	(void)evbuffer_ptr_set(src, &p, 0, EVBUFFER_PTR_SET);
	for (;;) {
		eol = evbuffer_search_eol(src, &p, &eol_len,
		    EVBUFFER_EOL_CRLF);
		if (eol.pos < 0)
			return 0;
		if (eol.pos == p.pos)
			return (size_t)eol.pos + eol_len;
		if ((size_t)eol.pos > LIMIT_HTTP_HEADERS_BYTES)
			return 0;
		if (evbuffer_ptr_set(src, &p, (size_t)eol.pos + eol_len,
		    EVBUFFER_PTR_SET) < 0)
			return 0;
	}
}

/* Strict decimal: digits only; *ret_v saturates at UINT64_MAX. */
static int
gate_parse_length(const char *s, size_t n, uint64_t *ret_v)
{
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret_v = v;
	return 0;
}

/* Reads one header line (without its end of line) into f. */
static void
gate_header(struct gate_framing *f, const char *line, size_t n)
{
	const char *colon, *v, *end;
	size_t name_len;
	uint64_t len = 0;

	if (line[0] == ' ' || line[0] == '\t') {
		f->bad = "folded header lines are not accepted";
		return;
	}
	if ((colon = memchr(line, ':', n)) == NULL)
		return;		/* evhttp refuses it */
	name_len = (size_t)(colon - line);
	if (name_len > 0 && (line[name_len - 1] == ' ' ||
	    line[name_len - 1] == '\t')) {
		f->bad = "white space before ':' in a header";
		return;
	}
	v = colon + 1;
	end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (name_len == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0)
		f->chunked = true;
	if (name_len == 6 && strncasecmp(line, "Expect", 6) == 0 &&
	    (size_t)(end - v) == 12 && strncasecmp(v, "100-continue", 12) == 0)
		f->expect_continue = true;
	if (name_len != 14 || strncasecmp(line, "Content-Length", 14) != 0)
		return;
	if (gate_parse_length(v, (size_t)(end - v), &len) < 0)
		f->bad = "invalid Content-Length";
	else if (f->has_length)
		f->bad = "more than one Content-Length";
	f->has_length = true;
	f->length = len;
}

/*
 * Reads the request line line[0..n): whether it posts a report (its body
 * is then pre-scanned) and whether it is HTTP/1.1 (for 100-continue).
 * The target may be absolute ("https://host/api/v1/report") or carry a
 * query, as evhttp accepts both.
 */
static void
gate_request_line(struct gate_framing *f, const char *line, size_t n,
    bool *ret_http11)
{
	const char *end = line + n, *t, *te, *slash;
	size_t path_len = strlen(HTTP_REPORT_PATH);

	*ret_http11 = n >= 9 && memcmp(end - 9, " HTTP/1.1", 9) == 0;
	if (n < 5 || memcmp(line, "POST ", 5) != 0)
		return;
	t = line + 5;
	if ((te = memchr(t, ' ', (size_t)(end - t))) == NULL)
		te = end;
	if (te - t > 8 && strncasecmp(t, "https://", 8) == 0 &&
	    (slash = memchr(t + 8, '/', (size_t)(te - t - 8))) != NULL)
		t = slash;
	f->report = (size_t)(te - t) >= path_len &&
	    memcmp(t, HTTP_REPORT_PATH, path_len) == 0 &&
	    (t + path_len == te || t[path_len] == '?');
}

/* Reads the framing of the header block head[0..n), request line first. */
static void
gate_framing_read(const char *head, size_t n, struct gate_framing *f)
{
	const char *p = head, *end = head + n, *nl;
	bool first = true, http11 = false;

	memset(f, 0, sizeof(*f));
	while (p < end && f->bad == NULL) {
		size_t len;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0)
			break;		/* the empty line that ends the block */
		if (first)
			gate_request_line(f, p, len, &http11);
		else
			gate_header(f, p, len);
		first = false;
		p = nl + 1;
	}
	if (f->bad == NULL && f->chunked && f->has_length)
		f->bad = "Transfer-Encoding beside Content-Length";
	f->expect_continue = f->expect_continue && http11;
}

/*
 * Replaces the request of head_len bytes at the start of hold with one
 * that carries the verdict and asks evhttp to close the connection once
 * it has answered; until then, what arrives is dropped.
 */
static void gate_refuse(struct http_gate *g, size_t head_len,
    const char *code, const char *fmt, ...) KICS_PRINTF(4, 5);

static void
gate_refuse(struct http_gate *g, size_t head_len, const char *code,
    const char *fmt, ...)
{
	char msg[GATE_MESSAGE_LEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)evbuffer_drain(g->hold, head_len);
	(void)evbuffer_drain(g->req, evbuffer_get_length(g->req));
	gate_release(g);
	if (evbuffer_add_printf(g->in, "POST / HTTP/1.1\r\nHost: kics-gate\r\n"
	    "Connection: close\r\n" HTTP_GATE_HEADER ": %s %s\r\n"
	    "Content-Length: 0\r\n\r\n", code, msg) < 0)
		fatalx("gate: out of memory");
	g->state = GATE_HOLD;
}

/*
 * The request is whole in req: evhttp may read it. A request line and
 * headers alone are passed at once; a body only once all of it arrived
 * and passed, so that a report can still be refused with a verdict.
 */
static void
gate_pass(struct http_gate *g)
{
	if (evbuffer_add_buffer(g->in, g->req) < 0)
		fatalx("gate: out of memory");
	gate_release(g);
	g->state = GATE_HEAD;
}

/*
 * Admits the request whose header block of head_len bytes is at the start
 * of hold: its body, if any, is taken in as it arrives (gate_body()).
 */
static void
gate_admit(struct http_gate *g, size_t head_len, const struct gate_framing *f)
{
	if (evbuffer_remove_buffer(g->hold, g->req, head_len) !=
	    (int)head_len)
		fatalx("gate: out of memory");
	/*
	 * A client that waits for "100 Continue" before it sends its body
	 * gets it from evhttp, which must see the header block for that
	 * (the gate cannot write on evhttp's connection). Its body then
	 * goes on to evhttp as it comes, and a body that fails the
	 * pre-scan closes the connection instead of getting a verdict.
	 */
	g->streaming = f->expect_continue && f->length > 0;
	if (f->length == 0 || g->streaming)
		gate_pass(g);
	if (f->length == 0)
		return;
	g->reserved = (size_t)f->length;
	g->budget->used += g->reserved;
	g->body_left = f->length;
	g->state = GATE_BODY;
	g->scanning = f->report;
	if (g->scanning)
		prescan_stream_init(&g->scan, f->length);
}

/* A whole header block of head_len bytes is at the start of hold. */
static void
gate_head(struct http_gate *g, size_t head_len)
{
	struct http_gate_budget *b = g->budget;
	const char *head;
	struct gate_framing f;

	if ((head = (const char *)evbuffer_pullup(g->hold,
	    (ev_ssize_t)head_len)) == NULL)
		fatalx("gate: out of memory");
	gate_head_done(g);
	gate_framing_read(head, head_len, &f);
	if (f.bad != NULL)
		gate_refuse(g, head_len, "bad_request", "%s", f.bad);
	else if (f.chunked)
		gate_refuse(g, head_len, "length_required",
		    "send the body with a Content-Length");
	else if (f.length > g->max_body)
		gate_refuse(g, head_len, "too_large",
		    "body of %llu bytes over limits.max_body_bytes (%zu)",
		    (unsigned long long)f.length, g->max_body);
	else if (f.length > b->limit - b->used) {
		b->refused++;
		gate_refuse(g, head_len, "busy",
		    "too many report bodies being received, retry later");
	} else
		gate_admit(g, head_len, &f);
}

/* Pre-scans the first n bytes of hold, where they lie; 0 or -EINVAL. */
static int
gate_scan(struct http_gate *g, size_t n)
{
	struct evbuffer_ptr at;
	struct evbuffer_iovec v[8];
	int k;

	(void)evbuffer_ptr_set(g->hold, &at, 0, EVBUFFER_PTR_SET);
	while (n > 0) {
		k = evbuffer_peek(g->hold, (ev_ssize_t)n, &at, v, 8);
		for (int i = 0; i < k && i < 8 && n > 0; i++) {
			size_t len = v[i].iov_len < n ? v[i].iov_len : n;

			if (prescan_stream_feed(&g->scan, v[i].iov_base,
			    len) < 0)
				return -EINVAL;
			n -= len;
			if (evbuffer_ptr_set(g->hold, &at, len,
			    EVBUFFER_PTR_ADD) < 0 && n > 0)
				fatalx("gate: body shorter than counted");
		}
	}
	return 0;
}

/*
 * Takes what hold has of the current body into req, pre-scanning a
 * report's as it comes; false when hold had none.
 */
static bool
gate_body(struct http_gate *g)
{
	size_t n = evbuffer_get_length(g->hold);
	uint64_t got;

	if (n > g->body_left)
		n = (size_t)g->body_left;
	if (n == 0)
		return false;
	if (g->scanning && gate_scan(g, n) < 0) {
		got = g->scan.pos;
		if (g->streaming) {
			log_info("gate: report refused before decoding: %s "
			    "(after %llu of %llu bytes), closing",
			    g->scan.reason, (unsigned long long)got,
			    (unsigned long long)g->scan.total);
			gate_close(g);
		} else
			gate_refuse(g, 0, "bad_payload", "%s (after %llu of "
			    "%llu bytes)", g->scan.reason,
			    (unsigned long long)got,
			    (unsigned long long)g->scan.total);
		return true;
	}
	if (evbuffer_remove_buffer(g->hold, g->streaming ? g->in : g->req,
	    n) != (int)n)
		fatalx("gate: out of memory");
	g->body_left -= n;
	if (g->body_left == 0) {
		/* the next bytes are a request */
		if (g->scanning && prescan_stream_end(&g->scan) < 0)
			fatalx("gate: a whole body with a scan not ended");
		gate_pass(g);
		g->streaming = false;
	}
	return true;
}

/* Passes on, or refuses, everything hold allows; false when it waits. */
static bool
gate_step(struct http_gate *g)
{
	size_t have = evbuffer_get_length(g->hold), head_len;

	if (have == 0)
		return false;
	switch (g->state) {
	case GATE_BODY:
		return gate_body(g);
	case GATE_HEAD:
		head_len = gate_head_len(g->hold);
		if (head_len > LIMIT_HTTP_HEADERS_BYTES || (head_len == 0 &&
		    have > LIMIT_HTTP_HEADERS_BYTES)) {
			gate_head_done(g);
			gate_refuse(g, have, "bad_request",
			    "headers over %d bytes", LIMIT_HTTP_HEADERS_BYTES);
			return true;
		}
		if (head_len == 0)
			return false;
		gate_head(g, head_len);
		return true;
	case GATE_HOLD:
	default:
		(void)evbuffer_drain(g->hold, have);
		return false;
	}
}

/*
 * The watch: the socket stays polled while evhttp does not read it
 * (issue 17). evhttp stops reading a connection when a request is whole
 * and reads again once it has answered, turns later, after the writer's
 * COMMIT; with libevent's epoll backend each is an epoll_ctl(), two per
 * report. The gate keeps a read event of its own on the socket, so that
 * the socket's count of read events never drops to zero and the backend
 * is never told. When the watch fires while the bufferevent does not
 * read, it is for the bytes the bufferevent has just read in this same
 * turn (both were woken; the bufferevent ran first), or for bytes (or
 * the end) that the client sent while its request was at the writer:
 * then the watch steps aside, one epoll_ctl() as without it, rather than
 * wake the loop again and again, until the bufferevent reads again.
 */
static void
gate_watch_cb(evutil_socket_t unused, short what, void *arg)
{
	struct http_gate *g = arg;

	(void)unused;
	(void)what;
	if (event_pending(&g->bev->ev_read, EV_READ, NULL))
		return;		/* the bufferevent reads them */
	if (g->read_seen)
		g->read_seen = false;
	else
		(void)event_del(g->watch);
}

/* The bufferevent reads: the watch goes on (no system call then). */
static void
gate_watch_on(struct http_gate *g)
{
	g->read_seen = true;
	if (!event_pending(g->watch, EV_READ, NULL) &&
	    event_add(g->watch, NULL) < 0)
		fatalx("gate: event_add failed");
}

/*
 * The bufferevent's only callback until its handshake ends (no byte is
 * read or written for evhttp before), then evhttp's are put back: the
 * client's first request may have come in the read that ended the
 * handshake, and libevent would not look for it (tls_read.c). evhttp
 * sets its callbacks again only once a request came.
 */
static void
gate_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_gate *g = arg;
	bufferevent_event_cb cb = g->evhttp_event_cb;
	void *cb_arg = g->evhttp_arg;

	if (what & BEV_EVENT_CONNECTED) {
		bufferevent_setcb(bev, g->evhttp_read_cb, g->evhttp_write_cb,
		    cb, cb_arg);
		tls_read_nudge(bev);
	}
	cb(bev, what, cb_arg);	/* may free the gate */
}

/*
 * Called on every change of the connection's input buffer, before evhttp
 * reads it. The TLS layer appends what it decrypted at the end: those
 * bytes move to hold, and gate_step() gives evhttp what it may see.
 */
static void
gate_input_cb(struct evbuffer *in, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_gate *g = arg;
	size_t seen;

	if (g->moving || info->n_added == 0)
		return;
	g->moving = true;
	gate_watch_on(g);
	tls_read_nudge(g->bev);
	/* the first bytes of a new request: its headers are on the clock */
	if (g->state == GATE_HEAD && evbuffer_get_length(g->hold) == 0)
		gate_deadline_arm(g);
	/* bytes given to evhttp earlier and not yet read stay in front */
	seen = evbuffer_get_length(in) - info->n_added;
	if (seen > 0 && evbuffer_remove_buffer(in, g->tmp, seen) != (int)seen)
		fatalx("gate: out of memory");
	if (evbuffer_add_buffer(g->hold, in) < 0 ||
	    evbuffer_add_buffer(in, g->tmp) < 0)
		fatalx("gate: out of memory");
	while (gate_step(g))
		;
	g->moving = false;
}

static void
gate_free(struct http_gate *g)
{
	gate_release(g);
	if (g->deadline != NULL)
		event_free(g->deadline);
	/* before evhttp closes the socket, whose number may come back */
	if (g->watch != NULL)
		event_free(g->watch);
	if (g->cb != NULL)
		(void)evbuffer_remove_cb_entry(g->in, g->cb);
	if (g->hold != NULL)
		evbuffer_free(g->hold);
	if (g->req != NULL)
		evbuffer_free(g->req);
	if (g->tmp != NULL)
		evbuffer_free(g->tmp);
	free(g);
}

/* evhttp closes the connection: its buffers still exist. */
static void
gate_close_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	gate_free(arg);
}

int
http_gate_attach(struct bufferevent *bev, struct evhttp_connection *evcon,
    const struct http_gate_params *p)
{
	struct http_gate *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -ENOMEM;
	g->p = p;
	g->budget = p->budget;
	g->bev = bev;
	g->in = bufferevent_get_input(bev);
	g->max_body = p->max_body_bytes;
	g->state = GATE_HEAD;
	g->hold = evbuffer_new();
	g->req = evbuffer_new();
	g->tmp = evbuffer_new();
	if (p->head_timeout_ms > 0)
		g->deadline = evtimer_new(bufferevent_get_base(bev),
		    gate_deadline_cb, g);
	g->watch = event_new(bufferevent_get_base(bev),
	    bufferevent_getfd(bev), EV_READ | EV_PERSIST, gate_watch_cb, g);
	if (g->hold == NULL || g->req == NULL || g->tmp == NULL ||
	    g->watch == NULL ||
	    (p->head_timeout_ms > 0 && g->deadline == NULL) ||
	    (g->cb = evbuffer_add_cb(g->in, gate_input_cb, g)) == NULL) {
		gate_free(g);
		return -ENOMEM;
	}
	/* the handshake and the first request are on the clock at once */
	gate_deadline_arm(g);
	evhttp_connection_set_closecb(evcon, gate_close_cb, g);
	bufferevent_getcb(bev, &g->evhttp_read_cb, &g->evhttp_write_cb,
	    &g->evhttp_event_cb, &g->evhttp_arg);
	bufferevent_setcb(bev, NULL, NULL, gate_event_cb, g);
	return 0;
}
