/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the pauses of a listener after accept() failed for
 * lack of files or buffers, so that the loop never spins on it.
 */
#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "http-private.h"
#include "log.h"

/*
 * An accept error that is not transient (EMFILE, ENFILE, ENOBUFS) leaves
 * the connection in the listen queue, and libevent would call accept()
 * again at once, for ever, logging each failure. Instead the listener
 * pauses for HTTP_ACCEPT_PAUSE_MS and the log says so at most every
 * HTTP_WARN_INTERVAL_MS. libevent hands this callback evhttp's argument,
 * not ours, so the pauses live in this file-level list (loop thread only).
 */
struct http_pause {
	struct evconnlistener *lev;
	struct event	*ev;
	struct http_pause *next;
};
static struct http_pause *http_pauses;
static int64_t http_accept_warn_ms;

static void
http_pause_free(struct http_pause *p)
{
	struct http_pause **pp;

	for (pp = &http_pauses; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	event_free(p->ev);
	free(p);
}

static void
http_pause_end(evutil_socket_t unused, short what, void *arg)
{
	struct http_pause *p = arg;

	(void)unused;
	(void)what;
	(void)evconnlistener_enable(p->lev);
	http_pause_free(p);
}

/* The listener of bound goes away: a pause of it must not outlive it. */
void
http_pause_forget(struct evhttp_bound_socket *bound)
{
	struct evconnlistener *lev = evhttp_bound_socket_get_listener(bound);

	for (struct http_pause *p = http_pauses; p != NULL; p = p->next)
		if (p->lev == lev) {
			http_pause_free(p);
			return;
		}
}

bool
http_accept_paused(struct evhttp_bound_socket *bound)
{
	struct evconnlistener *lev = evhttp_bound_socket_get_listener(bound);

	for (struct http_pause *p = http_pauses; p != NULL; p = p->next)
		if (p->lev == lev)
			return true;
	return false;
}

void
http_accept_error_cb(struct evconnlistener *lev, void *unused)
{
	struct timeval tv = { 0, HTTP_ACCEPT_PAUSE_MS * 1000 };
	int64_t now = ingest_now_ms();
	int e = EVUTIL_SOCKET_ERROR();
	struct http_pause *p;

	(void)unused;
	if (now - http_accept_warn_ms >= HTTP_WARN_INTERVAL_MS) {
		http_accept_warn_ms = now;
		log_warnx("accept: %s; pausing the listener for %d ms",
		    evutil_socket_error_to_string(e), HTTP_ACCEPT_PAUSE_MS);
	}
	for (p = http_pauses; p != NULL; p = p->next)
		if (p->lev == lev)
			return;		/* paused already */
	p = xcalloc(1, sizeof(*p));
	p->lev = lev;
	if ((p->ev = evtimer_new(evconnlistener_get_base(lev), http_pause_end,
	    p)) == NULL)
		fatalx("evtimer_new: out of memory");
	p->next = http_pauses;
	http_pauses = p;
	(void)evconnlistener_disable(lev);
	(void)evtimer_add(p->ev, &tv);
}
