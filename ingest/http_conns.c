/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the table of accepted connections: the limit of
 * limits.max_connections, TCP_NODELAY, the gate on each connection, and a
 * count that is never stale.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "http-private.h"
#include "log.h"
#include "tls.h"

/* Forgets remembered sockets that were closed (or whose fd was reused). */
static void
http_conns_sweep(struct http *h)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i = 0;

	while (i < h->n_conns) {
		struct http_conn *c = &h->conns[i];

		len = sizeof(ss);
		if (getpeername(c->fd, (struct sockaddr *)&ss, &len) == 0 &&
		    len == c->peer_len && memcmp(&ss, &c->peer, len) == 0) {
			i++;
			continue;
		}
		h->conns[i] = h->conns[--h->n_conns];
	}
}

/*
 * Applies the connection limit and TCP_NODELAY to a newly accepted socket.
 * libevent 2.1 tells nobody when evhttp closes a connection, so the count
 * is corrected lazily: a reused fd replaces its old entry, and a sweep
 * drops closed sockets before a connection would be refused.
 */
static bool
http_conn_admit(struct http *h, int fd)
{
	struct http_conn *c = NULL;
	int one = 1;
	size_t i;

	for (i = 0; i < h->n_conns; i++) {
		if (h->conns[i].fd == fd) {
			c = &h->conns[i];	/* the old one was closed */
			break;
		}
	}
	if (c == NULL && h->n_conns >= h->cfg.max_connections)
		http_conns_sweep(h);
	if (c == NULL && h->n_conns >= h->cfg.max_connections) {
		int64_t now = ingest_now_ms();

		if (now - h->last_full_warn_ms >= HTTP_WARN_INTERVAL_MS) {
			h->last_full_warn_ms = now;
			log_warnx("%zu connections open "
			    "(limits.max_connections), closing new ones",
			    h->n_conns);
		}
		/* evhttp sees end of file and frees the connection. */
		(void)shutdown(fd, SHUT_RDWR);
		return false;
	}
	if (c == NULL)
		c = &h->conns[h->n_conns++];
	c->fd = fd;
	c->peer_len = sizeof(c->peer);
	if (getpeername(fd, (struct sockaddr *)&c->peer, &c->peer_len) < 0)
		c->peer_len = 0;	/* gone: the next sweep drops it */
	/* Without it every reply waits ≈ 40 ms for a delayed ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_warn("setsockopt TCP_NODELAY, ignoring");
	return true;
}

/*
 * Puts the gate (http_gate.h) on a new connection. evhttp made bev's
 * callback argument its connection when it set bev up, and libevent 2.1
 * has no other way from a new bufferevent to its connection.
 */
static void
http_gate_on(struct http *h, struct bufferevent *bev)
{
	void *evcon = NULL;

	bufferevent_getcb(bev, NULL, NULL, NULL, &evcon);
	if (evcon == NULL)
		fatalx("gate: a connection without evhttp");
	if (http_gate_attach(bev, evcon, &h->body_budget,
	    h->cfg.max_body_bytes) < 0)
		fatalx("gate: out of memory");
}

/*
 * Runs right after the accept callback, before the loop polls again, so
 * before any byte of the new connections is read or written.
 */
void
http_fresh_cb(evutil_socket_t unused, short what, void *arg)
{
	struct http *h = arg;
	struct http_fresh *f;
	evutil_socket_t fd;

	(void)unused;
	(void)what;
	while ((f = h->fresh) != NULL) {
		h->fresh = f->next;
		if ((fd = bufferevent_getfd(f->bev)) >= 0 &&
		    http_conn_admit(h, fd))
			http_gate_on(h, f->bev);
		(void)bufferevent_decref(f->bev);
		free(f);
	}
}

/*
 * evhttp asks for the bufferevent of a new connection before it sets its
 * fd, so the socket options are applied from http_fresh_cb().
 */
struct bufferevent *
http_bev_cb(struct event_base *base, void *arg)
{
	struct http_listener *l = arg;
	struct http *h = l->http;
	struct bufferevent *bev;
	struct http_fresh *f;
	struct ssl_st *ssl;

	/* Returning NULL would make evhttp fall back to plain text. */
	if ((ssl = tls_server_ssl_new(l->tls)) == NULL)
		fatalx("server '%s': SSL_new: out of memory", l->name);
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("server '%s': bufferevent: out of memory", l->name);
	/* Agents may close without close_notify: that is end of file. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_incref(bev);
	f = xcalloc(1, sizeof(*f));
	f->bev = bev;
	f->next = h->fresh;
	h->fresh = f;
	event_active(h->fresh_ev, EV_READ, 0);
	return bev;
}

size_t
http_connections(struct http *h)
{
	/* connections closed since the last admission are counted no more */
	http_conns_sweep(h);
	return h->n_conns;
}
