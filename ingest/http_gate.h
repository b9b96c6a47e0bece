/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gate: a callback on the input buffer of each TLS connection that
 * takes every byte the TLS layer decrypts and hands evhttp a request only
 * once it has seen the request's framing, before evhttp reads a body. It
 * refuses a body over limits.max_body_bytes from its Content-Length alone
 * (evhttp never reads it, and what arrives of it before the connection
 * closes is dropped), a body that would take the memory budget of
 * all bodies being received past its limit, and the framing shapes that
 * smuggle requests (conflicting Content-Length, Transfer-Encoding beside
 * Content-Length, folded headers, oversize headers). The body of a
 * report is pre-scanned (engine/prescan.h) piece by piece as it arrives
 * and the request reaches evhttp only once all of it passed, so that a
 * decode bomb is refused after its first bytes. evhttp still parses
 * every request: a refused one is replaced by a short request that
 * carries the verdict in the header HTTP_GATE_HEADER, so that the answer,
 * an ErrorReply like every other, is written by the same code as the rest
 * and the connection is closed after it. Replies go out through the TLS
 * bufferevent unchanged: libevent 2.1's filter bufferevents let evhttp
 * close a connection before its last reply was written, so the gate works
 * on the input side only.
 *
 * THREAD SAFETY: loop thread only, like evhttp.
 */
#ifndef KICS_HTTP_GATE_H
#define KICS_HTTP_GATE_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct evhttp_connection;

/* The header of a replaced request: "CODE message", CODE an ErrorReply code. */
#define HTTP_GATE_HEADER	"X-Kics-Gate"

/* Memory of request bodies being received, shared by every connection. */
struct http_gate_budget {
	size_t	limit;		/* bytes; 0: no body may be received */
	size_t	used;		/* reserved by bodies not yet complete */
	size_t	refused;	/* requests answered 503 because it was full */
};

/* What a gate is given; the pointers must outlive every gate. */
struct http_gate_params {
	struct http_gate_budget *budget;
	size_t		max_body_bytes;	/* limits.max_body_bytes */
	/*
	 * A request's header block must be whole within this many ms of
	 * the connection's start (TLS handshake included) or of its first
	 * byte; else the connection is closed. 0: no deadline.
	 */
	uint32_t	head_timeout_ms;
};

/*
 * Puts a gate on the input of bev, the bufferevent of evhttp connection
 * evcon, before anything was read from it. Bodies up to max_body_bytes
 * are admitted while the budget has room for their declared length. The
 * gate frees itself, returning what it holds of the budget, when evhttp
 * closes evcon (it takes evcon's close callback). Returns 0, or -ENOMEM
 * with nothing changed.
 */
int http_gate_attach(struct bufferevent *bev, struct evhttp_connection *evcon,
    const struct http_gate_params *p);

#endif
