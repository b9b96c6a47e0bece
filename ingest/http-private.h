/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private header of the HTTPS layer: http.c (listeners, requests, replies)
 * and http_conns.c (the table of accepted connections, their limit and
 * the gate of each) share these structures. Loop thread only.
 */
#ifndef KICS_HTTP_PRIVATE_H
#define KICS_HTTP_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "http_gate.h"
#include "ingest.h"

#define HTTP_REASON_LEN		160	/* bytes of a listen error */
#define HTTP_ACCEPT_PAUSE_MS	100	/* a listener after accept failed */
/*
 * New connections taken in one turn of the loop, per listener: libevent
 * accepts until the queue is empty, and each new connection costs a TLS
 * context and buffers, so a burst of thousands would stall every agent.
 */
#define HTTP_ACCEPT_BATCH	16
#define HTTP_WARN_INTERVAL_MS	10000	/* between overload logs */

struct http_listener {
	struct http	*http;
	int64_t		server_id;
	char		*name;
	struct tls_server *tls;
	struct tls_peers *peers;	/* its open TLS connections */
	struct evhttp	*evh;
	struct evhttp_bound_socket *bound;	/* NULL once stopped */
	uint16_t	port;
	/* administration (see the block at the end of this file) */
	struct http_server_params params;	/* owned copies */
	size_t		pending;	/* its jobs at the writer */
	bool		retired;	/* stopped; freed at pending 0 */
	unsigned	accepted;	/* since http_fresh_cb() last ran */
	bool		batch_paused;	/* HTTP_ACCEPT_BATCH reached */
};

/* Why the listener of an enabled integration server is not running. */
struct http_listen_error {
	int64_t		server_id;
	char		reason[HTTP_REASON_LEN];
};

/* An accepted socket, remembered to enforce limits.max_connections. */
struct http_conn {
	int		fd;
	struct sockaddr_storage peer;	/* to tell a reused fd apart */
	socklen_t	peer_len;
	int64_t		since_ms;	/* accepted, monotonic */
	bool		proven;		/* a report of it was acknowledged */
};

/* A bufferevent made by evhttp for a new connection, fd not yet seen. */
struct http_fresh {
	struct bufferevent *bev;	/* we hold a reference */
	struct http_fresh *next;
};

/* A request waiting for the writer. job must stay the first member. */
struct http_job {
	struct writer_job job;
	struct http	*http;
	struct http_listener *listener;
	struct evhttp_request *req;
};

struct http {
	struct event_base *base;
	struct writer	*writer;
	struct http_config cfg;
	struct http_listener **listeners;
	size_t		n_listeners;
	struct http_fresh *fresh;
	struct event	*fresh_ev;
	struct http_conn *conns;	/* cfg.max_connections slots */
	size_t		n_conns;
	/* fd → 1 + its index in conns, 0: none; fds below n_slot_of_fd */
	uint32_t	*slot_of_fd;
	size_t		n_slot_of_fd;
	size_t		evicted;	/* connections pushed out unproven */
	size_t		pending;	/* jobs at the writer */
	int64_t		last_busy_warn_ms;
	int64_t		last_rate_warn_ms;	/* new agents refused */
	int64_t		last_full_warn_ms;
	struct http_gate_budget body_budget;	/* bodies being received */
	struct http_gate_params gate;		/* what every gate is given */
	struct http_listen_error *errors;	/* servers that cannot listen */
	size_t		n_errors;
};

/* http_accept.c */

struct evconnlistener;

/* Whether the listener of bound is paused after an accept error. */
bool http_accept_paused(struct evhttp_bound_socket *bound);
/* The listener of bound goes away: a pause of it must not outlive it. */
void http_pause_forget(struct evhttp_bound_socket *bound);
/*
 * evconnlistener's error callback: pauses the listener for
 * HTTP_ACCEPT_PAUSE_MS and logs at most every HTTP_WARN_INTERVAL_MS.
 */
void http_accept_error_cb(struct evconnlistener *lev, void *unused);

/* http_conns.c */

/*
 * evhttp's bufferevent callback: a TLS bufferevent for a new connection
 * of listener arg, remembered until http_fresh_cb() sees its socket.
 */
struct bufferevent *http_bev_cb(struct event_base *base, void *arg);

/*
 * Runs right after the accept callback, before any byte of the new
 * connections is read: applies the connection limit and TCP_NODELAY and
 * puts the gate on each admitted one. arg is the struct http.
 */
void http_fresh_cb(evutil_socket_t unused, short what, void *arg);

struct evhttp_request;

/* A report on req's connection was acknowledged: it is never evicted. */
void http_conn_acked(struct http *h, struct evhttp_request *req);

#endif
