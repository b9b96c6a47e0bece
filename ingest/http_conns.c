/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the table of accepted connections: the limit of
 * limits.max_connections, TCP_NODELAY, the gate on each connection, and a
 * count that is never stale.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "clock.h"
#include "http-private.h"
#include "log.h"
#include "tls.h"

/*
 * THE INDEX BY FD: h->slot_of_fd[fd] is 1 + the index in h->conns of the
 * entry of fd, 0 when it has none, so that finding a connection's entry
 * (each acknowledged request) costs no scan of the table. Every change of
 * the table keeps it: an entry added or given another fd
 * (http_conn_map()), dropped by the sweep or evicted (http_conn_unmap()),
 * moved by the sweep. fds are small integers (the lowest free one), so
 * the index is as long as the highest fd seen, 4 bytes each.
 */

/* Records that the entry c holds fd. */
static void
http_conn_map(struct http *h, const struct http_conn *c, int fd)
{
	if ((size_t)fd >= h->n_slot_of_fd) {
		size_t n = h->n_slot_of_fd > 0 ? h->n_slot_of_fd : 64;
		uint32_t *grown;

		while (n <= (size_t)fd)
			n *= 2;
		grown = xcalloc(n, sizeof(*grown));
		if (h->n_slot_of_fd > 0)
			memcpy(grown, h->slot_of_fd,
			    h->n_slot_of_fd * sizeof(*grown));
		free(h->slot_of_fd);
		h->slot_of_fd = grown;
		h->n_slot_of_fd = n;
	}
	h->slot_of_fd[fd] = (uint32_t)(c - h->conns) + 1;
}

/* Forgets the entry of fd in the index (the entry itself stays). */
static void
http_conn_unmap(struct http *h, int fd)
{
	if (fd >= 0 && (size_t)fd < h->n_slot_of_fd)
		h->slot_of_fd[fd] = 0;
}

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
		http_conn_unmap(h, c->fd);
		/* the last entry moves into the hole */
		if (i < --h->n_conns) {
			h->conns[i] = h->conns[h->n_conns];
			http_conn_map(h, c, c->fd);
		}
	}
}

/* Same IP address (the port aside)? */
static bool
http_conn_same_address(const struct http_conn *c,
    const struct sockaddr_storage *ss)
{
	if (c->peer_len == 0 || c->peer.ss_family != ss->ss_family)
		return false;
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)&c->peer)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)ss)->sin_addr.s_addr;
	if (ss->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)&c->peer)->sin6_addr,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return false;
}

/* The entry of fd, or NULL; O(1) by the index. */
static struct http_conn *
http_conn_find(struct http *h, int fd)
{
	struct http_conn *c;
	uint32_t slot;

	if (fd < 0 || (size_t)fd >= h->n_slot_of_fd ||
	    (slot = h->slot_of_fd[fd]) == 0)
		return NULL;
	c = &h->conns[slot - 1];
	assert(slot <= h->n_conns && c->fd == fd);
	return c;
}

/* Connections in the table from the address of ss, other than skip. */
static size_t
http_conns_from(const struct http *h, const struct sockaddr_storage *ss,
    const struct http_conn *skip)
{
	size_t same = 0;

	for (size_t i = 0; i < h->n_conns; i++)
		if (&h->conns[i] != skip &&
		    http_conn_same_address(&h->conns[i], ss))
			same++;
	return same;
}

/* Refuses fd: evhttp sees the end of it and frees the connection. */
static bool
http_conn_refuse(struct http *h, int fd, const char *why)
{
	int64_t now = ingest_now_ms();

	if (now - h->last_full_warn_ms >= HTTP_WARN_INTERVAL_MS) {
		h->last_full_warn_ms = now;
		log_warnx("%s: closing new connections", why);
	}
	(void)shutdown(fd, SHUT_RDWR);
	return false;
}

/*
 * The slot for a new connection when every slot is taken: the oldest
 * connection that has not had a report acknowledged (a handshake still on
 * the way, idle, or only refused requests) makes room, so that clients
 * that only open connections cannot keep agents that work from
 * connecting; connections of agents whose reports were acknowledged are
 * never pushed out. NULL when all of them are such.
 */
static struct http_conn *
http_conn_evict(struct http *h)
{
	struct http_conn *old = NULL;

	for (size_t i = 0; i < h->n_conns; i++)
		if (!h->conns[i].proven && (old == NULL ||
		    h->conns[i].since_ms < old->since_ms))
			old = &h->conns[i];
	if (old != NULL) {
		(void)shutdown(old->fd, SHUT_RDWR);
		http_conn_unmap(h, old->fd);
		h->evicted++;
	}
	return old;
}

/*
 * Admits a newly accepted socket, or refuses it: limits.max_connections
 * over all, limits.max_connections_per_address from one IP address. Then
 * TCP_NODELAY. libevent 2.1 tells nobody when evhttp closes a connection,
 * so the table is corrected lazily: a reused fd replaces its old entry,
 * and a sweep drops closed sockets before anything is refused.
 */
static bool
http_conn_admit(struct http *h, int fd)
{
	struct http_conn *c = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;	/* gone already */
	/* an entry of the same fd is a connection closed since */
	c = http_conn_find(h, fd);
	if (c == NULL && h->n_conns >= h->cfg.max_connections) {
		http_conns_sweep(h);	/* it moves entries */
		c = http_conn_find(h, fd);
	}
	if (http_conns_from(h, &ss, c) >= h->cfg.max_connections_per_address) {
		http_conns_sweep(h);
		c = http_conn_find(h, fd);
		if (http_conns_from(h, &ss, c) >=
		    h->cfg.max_connections_per_address)
			return http_conn_refuse(h, fd, "limits.max_connections_"
			    "per_address reached for one address");
	}
	if (c == NULL && h->n_conns < h->cfg.max_connections)
		c = &h->conns[h->n_conns++];
	if (c == NULL && (c = http_conn_evict(h)) == NULL)
		return http_conn_refuse(h, fd, "limits.max_connections "
		    "reached by connections that all sent requests");
	c->fd = fd;
	http_conn_map(h, c, fd);
	c->peer = ss;
	c->peer_len = len;
	c->since_ms = clock_mono_ms();
	c->proven = false;
	/* Without it every reply waits ≈ 40 ms for a delayed ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_warn("setsockopt TCP_NODELAY, ignoring");
	return true;
}

void
http_conn_acked(struct http *h, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct http_conn *c;
	evutil_socket_t fd;

	if (evcon == NULL ||
	    (fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)))
	    < 0)
		return;
	if ((c = http_conn_find(h, fd)) != NULL)
		c->proven = true;
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
	h->gate.budget = &h->body_budget;
	h->gate.max_body_bytes = h->cfg.max_body_bytes;
	h->gate.head_timeout_ms = h->cfg.handshake_timeout_s * 1000;
	if (http_gate_attach(bev, evcon, &h->gate) < 0)
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
	/* a new turn of the loop: listeners that took a batch go on */
	for (size_t i = 0; i < h->n_listeners; i++) {
		struct http_listener *l = h->listeners[i];

		if (l->batch_paused && l->bound != NULL &&
		    !http_accept_paused(l->bound))
			(void)evconnlistener_enable(
			    evhttp_bound_socket_get_listener(l->bound));
		l->batch_paused = false;
		l->accepted = 0;
	}
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
	/* one read() per record; the gate and the replies nudge (tls.h) */
	tls_read_ahead_on(ssl);
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
	/* libevent stops accepting when its listener is disabled */
	if (++l->accepted >= HTTP_ACCEPT_BATCH && l->bound != NULL &&
	    !l->batch_paused) {
		l->batch_paused = true;
		(void)evconnlistener_disable(
		    evhttp_bound_socket_get_listener(l->bound));
	}
	return bev;
}

size_t
http_connections(struct http *h)
{
	/* connections closed since the last admission are counted no more */
	http_conns_sweep(h);
	return h->n_conns;
}
