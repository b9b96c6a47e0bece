/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the HTTPS keep-alive client of one simulated agent: a
 * non-blocking socket with TCP_NODELAY and an OpenSSL connection driven by
 * libevent events, one request at a time, and a fresh connection (and SSL)
 * at the next post whenever the previous one closed or failed.
 *
 * The simulator shares the machine with the daemon it loads, so a request
 * costs as little as it can: it is one SSL_write of head and body (one TLS
 * record, one write(2) when the socket takes it, as the socket almost
 * always does), the read event stays armed for the connection's life (no
 * epoll_ctl per request), OpenSSL reads ahead (one read(2) per record),
 * and the buffers of a client are reused. (evhttp over bufferevent_openssl
 * wrote head and body as two records, switched write interest on and off
 * around every request and allocated its request and header lists anew.)
 *
 * Outcomes other than a reply are delivered from the client's timer, never
 * from inside sim_client_post().
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sim.h"

#define CLIENT_IN_START	2048	/* first reply buffer; grows to the limits */
#define CLIENT_HEAD_ROOM 256	/* request head beyond path and Host */

enum client_state {
	CLIENT_DEAD,		/* no connection: one is made at the next post */
	CLIENT_CONNECTING,	/* TCP connect in progress */
	CLIENT_HANDSHAKE,	/* TLS handshake in progress */
	CLIENT_OPEN,		/* ready for requests */
};

struct sim_client {
	struct event_base	*base;
	struct sim_tls		*tls;
	struct sockaddr_storage	 addr;
	socklen_t		 addr_len;
	char			*host_header;
	int			 timeout_s;
	enum client_state	 state;
	int			 fd;		/* -1 when DEAD */
	SSL			*ssl;
	struct event		*rev;		/* EV_READ|EV_PERSIST on fd */
	struct event		*wev;		/* EV_WRITE, while one waits */
	struct event		*tev;		/* timeout, or outcome to deliver */
	bool			 in_flight;
	uint8_t			*out;		/* request: head and body */
	size_t			 out_len;
	size_t			 out_done;	/* bytes SSL_write took */
	size_t			 out_cap;
	uint8_t			*in;		/* reply bytes so far */
	size_t			 in_len;
	size_t			 in_cap;
	const char		*fail;		/* outcome for tev, or NULL */
	bool			 fail_tls;
	char			 errbuf[256];	/* fail text when built */
	sim_client_reply_fn	*cb;
	void			*cb_arg;
};

static void client_on_io(evutil_socket_t fd, short what, void *arg);
static void client_on_timer(evutil_socket_t fd, short what, void *arg);

struct sim_client *
sim_client_new(struct event_base *base, struct sim_tls *tls, const char *ip,
    uint16_t port, const char *host_header, int timeout_s)
{
	struct addrinfo hints, *res = NULL;
	struct sim_client *c;
	char service[8];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base = base;
	c->tls = tls;
	c->timeout_s = timeout_s;
	c->fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(ip, service, &hints, &res) != 0 ||
	    res->ai_addrlen > sizeof(c->addr) ||
	    (c->host_header = strdup(host_header)) == NULL ||
	    (c->tev = evtimer_new(base, client_on_timer, c)) == NULL) {
		if (res != NULL)
			freeaddrinfo(res);
		sim_client_free(c);
		return NULL;
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return c;
}

/* Closes the connection, if any; the client stays usable. */
static void
client_close(struct sim_client *c)
{
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	c->rev = c->wev = NULL;
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		(void)close(c->fd);
	c->fd = -1;
	c->state = CLIENT_DEAD;
	c->in_len = 0;
}

void
sim_client_free(struct sim_client *c)
{
	if (c == NULL)
		return;
	client_close(c);
	if (c->tev != NULL)
		event_free(c->tev);
	free(c->host_header);
	free(c->out);
	free(c->in);
	free(c);
}

/*
 * Ends the request in flight without a reply: the connection is closed
 * and the outcome goes to the callback from the timer, so that a failure
 * found inside sim_client_post() is not delivered from inside it.
 */
static void
client_fail(struct sim_client *c, const char *text, bool tls)
{
	static const struct timeval now = { 0, 0 };

	client_close(c);
	if (!c->in_flight || c->fail != NULL)
		return;
	c->fail = text;
	c->fail_tls = tls;
	(void)evtimer_add(c->tev, &now);
}

static void
client_deliver(struct sim_client *c, const struct sim_reply *reply)
{
	c->in_flight = false;
	c->fail = NULL;
	(void)evtimer_del(c->tev);
	c->cb(reply, c->cb_arg);
}

static void
client_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sim_client *c = arg;
	struct sim_reply reply = { 0, NULL, 0, "timed out", false };

	(void)fd;
	(void)what;
	if (!c->in_flight)
		return;
	if (c->fail != NULL) {
		reply.error = c->fail;
		reply.tls_error = c->fail_tls;
	} else {
		client_close(c);
	}
	client_deliver(c, &reply);
}

/*
 * The text of a failed TLS operation: OpenSSL's first error, and the
 * certificate check's verdict when it failed. Clears the error queue.
 */
static const char *
client_tls_text(struct sim_client *c)
{
	unsigned long e = ERR_peek_error();
	long v = SSL_get_verify_result(c->ssl);

	(void)snprintf(c->errbuf, sizeof(c->errbuf), "%s%s%s",
	    e != 0 ? sim_tls_error_text(e) : "TLS failure",
	    v != X509_V_OK ? ": " : "",
	    v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
	ERR_clear_error();
	return c->errbuf;
}

static const char *
client_errno_text(struct sim_client *c, const char *what, int e)
{
	(void)snprintf(c->errbuf, sizeof(c->errbuf), "%s: %s", what,
	    strerror(e));
	return c->errbuf;
}

/*
 * Before an SSL call: SSL_get_error() reads the error queue and errno,
 * which must hold nothing from before.
 */
static void
ssl_prepare(void)
{
	ERR_clear_error();
	errno = 0;
}

/*
 * After an SSL call returned r <= 0: 0 when it waits for the socket (the
 * read event is always armed; the write event is armed here), -1 when the
 * connection ended (the request in flight failed; eof tells a clean end
 * of the stream, which the caller may still turn into a reply).
 */
static int
client_ssl_wait(struct sim_client *c, int r, bool *eof)
{
	int saved = errno, e = SSL_get_error(c->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		(void)event_add(c->wev, NULL);
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		*eof = true;
		return -1;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (saved == 0 || saved == EPIPE || saved == ECONNRESET)
			*eof = true;
		else
			client_fail(c, client_errno_text(c,
			    "connection failed", saved), false);
		return -1;
	default:
		client_fail(c, client_tls_text(c), true);
		return -1;
	}
}

/* Starts a connection: 0, or a negative errno (nothing left open). */
static int
client_connect(struct sim_client *c)
{
	int one = 1, r;

	c->fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	/* Nagle plus delayed ACK stalls every keep-alive reply by ~40 ms. */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&c->addr, c->addr_len) == 0)
		c->state = CLIENT_HANDSHAKE;
	else if (errno == EINPROGRESS)
		c->state = CLIENT_CONNECTING;
	else
		goto fail;
	errno = ENOMEM;
	if ((c->ssl = sim_tls_ssl_new(c->tls)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1)
		goto fail;
	/* Servers often skip close_notify on keep-alive timeouts. */
	(void)SSL_set_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	c->rev = event_new(c->base, c->fd, EV_READ | EV_PERSIST,
	    client_on_io, c);
	c->wev = event_new(c->base, c->fd, EV_WRITE, client_on_io, c);
	if (c->rev == NULL || c->wev == NULL || event_add(c->rev, NULL) != 0)
		goto fail;
	if (c->state == CLIENT_CONNECTING && event_add(c->wev, NULL) != 0)
		goto fail;
	return 0;
fail:
	r = -errno;
	ERR_clear_error();
	client_close(c);
	return r;
}

/* Steps of client_drive: each returns true when the next may run. */
static bool
client_connected(struct sim_client *c)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	if (e != 0) {
		client_fail(c, client_errno_text(c, "connection failed", e),
		    false);
		return false;
	}
	c->state = CLIENT_HANDSHAKE;
	return true;
}

static bool
client_handshake(struct sim_client *c)
{
	bool eof = false;
	int r;

	ssl_prepare();
	r = SSL_connect(c->ssl);

	if (r == 1) {
		c->state = CLIENT_OPEN;
		return true;
	}
	if (client_ssl_wait(c, r, &eof) < 0 && eof)
		client_fail(c, "connection closed during the handshake",
		    false);
	return false;
}

static bool
client_write(struct sim_client *c)
{
	bool eof = false;
	int r;

	ssl_prepare();
	r = SSL_write(c->ssl, c->out + c->out_done,
	    (int)(c->out_len - c->out_done));
	if (r > 0) {
		/* without partial writes, SSL_write takes all or nothing */
		c->out_done += (size_t)r;
		return c->out_done == c->out_len;
	}
	if (client_ssl_wait(c, r, &eof) < 0 && eof)
		client_fail(c, "connection closed before the reply", false);
	return false;
}

static const char *
parse_error_text(int e)
{
	switch (e) {
	case -EMSGSIZE:
		return "reply too large";
	case -ENOTSUP:
		return "reply with a Transfer-Encoding";
	default:
		return "invalid reply";
	}
}

static void client_read_idle(struct sim_client *c);

/*
 * Hands a parsed reply to the callback; the connection ends if the server
 * said so or sent more than the reply. Records that OpenSSL read ahead
 * (a close_notify after the reply) are taken in now: the socket will not
 * signal them again.
 */
static void
client_reply(struct sim_client *c, const struct sim_http_reply *h)
{
	struct sim_reply reply = { h->status, NULL, h->body_len, NULL, false };
	bool end = h->close || h->extra > 0;

	if (h->body_len > 0)
		reply.body = h->body;
	client_deliver(c, &reply);
	c->in_len = 0;
	if (end)
		client_close(c);
	else if (SSL_has_pending(c->ssl))
		client_read_idle(c);
}

/* Room for more of the reply; false after failing the request. */
static bool
client_in_room(struct sim_client *c)
{
	size_t cap = c->in_cap == 0 ? CLIENT_IN_START : 2 * c->in_cap;
	uint8_t *p;

	if (c->in_len < c->in_cap)
		return true;
	if (c->in_cap >= SIM_HTTP_MAX_HEAD + SIM_HTTP_MAX_BODY) {
		client_fail(c, "reply too large", false);
		return false;
	}
	if ((p = realloc(c->in, cap)) == NULL) {
		client_fail(c, "out of memory", false);
		return false;
	}
	c->in = p;
	c->in_cap = cap;
	return true;
}

/* Reads the reply of the request in flight until it is whole. */
static void
client_read_reply(struct sim_client *c)
{
	struct sim_http_reply h;
	bool eof = false;
	int r;

	for (;;) {
		if (!client_in_room(c))
			return;
		ssl_prepare();
		r = SSL_read(c->ssl, c->in + c->in_len,
		    (int)(c->in_cap - c->in_len));
		if (r <= 0 && (client_ssl_wait(c, r, &eof) == 0 || !eof))
			return;
		if (r > 0)
			c->in_len += (size_t)r;
		r = sim_http_parse(c->in, c->in_len, eof, &h);
		if (r == 0) {
			client_reply(c, &h);
			return;
		}
		if (r < 0 || eof) {
			client_fail(c, eof && c->in_len == 0 ?
			    "connection closed before the reply" :
			    parse_error_text(r), false);
			return;
		}
	}
}

/*
 * Between requests the server may only close the connection (or send TLS
 * messages such as session tickets, which SSL_read takes in): anything
 * else ends the connection too.
 */
static void
client_read_idle(struct sim_client *c)
{
	uint8_t scratch[256];
	bool eof = false;
	int r;

	ssl_prepare();
	r = SSL_read(c->ssl, scratch, sizeof(scratch));
	if (r > 0 || client_ssl_wait(c, r, &eof) < 0)
		client_close(c);
}

/*
 * Takes the connection as far as it goes without waiting: connect,
 * handshake, the request, and (when reading) its reply.
 */
static void
client_drive(struct sim_client *c, bool reading)
{
	if (c->state == CLIENT_CONNECTING && !client_connected(c))
		return;
	if (c->state == CLIENT_HANDSHAKE && !client_handshake(c))
		return;
	if (c->state != CLIENT_OPEN)
		return;
	if (!c->in_flight) {
		if (reading)
			client_read_idle(c);
		return;
	}
	if (c->out_done < c->out_len && !client_write(c))
		return;
	if (reading)
		client_read_reply(c);
}

static void
client_on_io(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_drive(arg, true);
}

/* Room for a request of len body bytes; 0 or -ENOMEM. */
static int
client_out_room(struct sim_client *c, const char *path, size_t len)
{
	size_t need = CLIENT_HEAD_ROOM + strlen(path) +
	    strlen(c->host_header) + len;
	uint8_t *p;

	if (need <= c->out_cap)
		return 0;
	if ((p = realloc(c->out, need)) == NULL)
		return -ENOMEM;
	c->out = p;
	c->out_cap = need;
	return 0;
}

int
sim_client_post(struct sim_client *c, const char *path, const uint8_t *body,
    size_t len, sim_client_reply_fn *cb, void *arg)
{
	struct timeval tv = { c->timeout_s, 0 };
	int n, r;

	if (c->in_flight)
		return -EBUSY;
	if ((r = client_out_room(c, path, len)) < 0)
		return r;
	n = sim_http_head((char *)c->out, c->out_cap - len, path,
	    c->host_header, len);
	if (n < 0)
		return n;
	memcpy(c->out + n, body, len);
	c->out_len = (size_t)n + len;
	c->out_done = 0;
	c->in_len = 0;
	c->cb = cb;
	c->cb_arg = arg;
	c->fail = NULL;
	c->in_flight = true;
	(void)evtimer_add(c->tev, &tv);
	if (c->state == CLIENT_DEAD && (r = client_connect(c)) < 0) {
		client_fail(c, client_errno_text(c, "connection failed", -r),
		    false);
		return 0;
	}
	/*
	 * Write at once unless the connect is still under way; the reply
	 * cannot be there yet, so reading waits for the read event.
	 */
	if (c->state != CLIENT_CONNECTING)
		client_drive(c, false);
	return 0;
}
