/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the HTTPS keep-alive client of one simulated agent:
 * libevent's evhttp over a bufferevent_openssl, TCP_NODELAY on the socket,
 * and a fresh connection (and SSL) whenever the previous one closed.
 *
 * evhttp reconnects a closed connection by itself, but an SSL object
 * cannot be reused for a second TCP connection, so a closed connection is
 * only marked dead in its callbacks and rebuilt at the next post, outside
 * any libevent callback of that connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sim.h"

#define SIM_MAX_REPLY_BYTES	(64 * 1024)	/* an ack or error is tiny */

struct sim_client {
	struct event_base		*base;
	struct sim_tls			*tls;
	char				*ip;
	uint16_t			 port;
	char				*host_header;
	int				 timeout_s;
	struct evhttp_connection	*evcon;
	int				 nodelay_fd;	/* fd already set */
	/* rebuild at next post */
	bool				 dead;
	bool				 in_flight;
	struct evhttp_request		*req;		/* while in flight */
	enum evhttp_request_error	 req_error;
	bool				 req_error_set;
	/* cb ran for this req */
	bool				 replied;
	char				 errbuf[256];	/* reply.error text */
	sim_client_reply_fn		*cb;
	void				*cb_arg;
};

struct sim_client *
sim_client_new(struct event_base *base, struct sim_tls *tls, const char *ip,
    uint16_t port, const char *host_header, int timeout_s)
{
	struct sim_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base = base;
	c->tls = tls;
	c->port = port;
	c->timeout_s = timeout_s;
	c->nodelay_fd = -1;
	c->dead = true;
	if ((c->ip = strdup(ip)) == NULL ||
	    (c->host_header = strdup(host_header)) == NULL) {
		sim_client_free(c);
		return NULL;
	}
	return c;
}

static void
client_drop_connection(struct sim_client *c)
{
	if (c->evcon != NULL) {
		/* Freeing cancels the request without calling us back. */
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		evhttp_connection_free(c->evcon);
		c->evcon = NULL;
	}
	c->req = NULL;
	c->in_flight = false;
	c->nodelay_fd = -1;
	c->dead = true;
}

void
sim_client_free(struct sim_client *c)
{
	if (c == NULL)
		return;
	client_drop_connection(c);
	free(c->ip);
	free(c->host_header);
	free(c);
}

static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct sim_client *c = arg;

	(void)evcon;
	c->dead = true;
}

static int
client_connect(struct sim_client *c)
{
	struct bufferevent *bev;
	SSL *ssl;

	client_drop_connection(c);
	if ((ssl = sim_tls_ssl_new(c->tls)) == NULL)
		return -ENOMEM;
	bev = bufferevent_openssl_socket_new(c->base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	/* Servers often skip close_notify on keep-alive timeouts. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	c->evcon = evhttp_connection_base_bufferevent_new(c->base, NULL, bev,
	    c->ip, c->port);
	if (c->evcon == NULL) {
		bufferevent_free(bev);
		return -ENOMEM;
	}
	evhttp_connection_set_timeout(c->evcon, c->timeout_s);
	evhttp_connection_set_max_body_size(c->evcon, SIM_MAX_REPLY_BYTES);
	evhttp_connection_set_closecb(c->evcon, on_close, c);
	c->dead = false;
	return 0;
}

/*
 * Nagle plus delayed ACK stalls every keep-alive reply by ~40 ms
 * (DESIGN.md); evhttp creates the socket inside make_request, before any
 * byte is written, so this runs right after it.
 */
static void
client_nodelay(struct sim_client *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
	int fd = bev != NULL ? (int)bufferevent_getfd(bev) : -1;
	int one = 1;

	if (fd < 0 || fd == c->nodelay_fd)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0)
		c->nodelay_fd = fd;
}

static const char *
request_error_text(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed before the reply";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid reply header";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection failed";
	case EVREQ_HTTP_REQUEST_CANCEL:
		return "request cancelled";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "reply too large";
	}
	return "unknown error";
}

static void
on_error(enum evhttp_request_error e, void *arg)
{
	struct sim_client *c = arg;

	c->req_error = e;
	c->req_error_set = true;
}

static void
on_reply(struct evhttp_request *req, void *arg)
{
	struct sim_client *c = arg;
	struct sim_reply reply = { 0, NULL, 0, NULL, false };
	struct evbuffer *in;
	unsigned long ssl_err = 0, e;

	c->in_flight = false;
	c->req = NULL;
	c->replied = true;
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		struct bufferevent *bev = c->evcon != NULL ?
		    evhttp_connection_get_bufferevent(c->evcon) : NULL;

		/*
		 * Keep the first queued OpenSSL error: the handshake's cause.
		 * Codes of library 0 are libevent's SSL_get_error() values
		 * (a closed or refused socket), not TLS failures.
		 */
		while (bev != NULL &&
		    (e = bufferevent_get_openssl_error(bev)) != 0)
			if (ssl_err == 0 && ERR_GET_LIB(e) != 0)
				ssl_err = e;
		reply.tls_error = ssl_err != 0;
		reply.error = c->req_error_set ?
		    request_error_text(c->req_error) : "connection failed";
		if (ssl_err != 0) {
			SSL *ssl = bufferevent_openssl_get_ssl(bev);
			long v = ssl != NULL ? SSL_get_verify_result(ssl) :
			    X509_V_OK;

			(void)snprintf(c->errbuf, sizeof(c->errbuf), "%s%s%s",
			    sim_tls_error_text(ssl_err), v != X509_V_OK ?
			    ": " : "", v != X509_V_OK ?
			    X509_verify_cert_error_string(v) : "");
			reply.error = c->errbuf;
		}
		c->dead = true;
	} else {
		reply.status = evhttp_request_get_response_code(req);
		in = evhttp_request_get_input_buffer(req);
		reply.len = evbuffer_get_length(in);
		reply.body = reply.len > 0 ? evbuffer_pullup(in, -1) : NULL;
		if (reply.len > 0 && reply.body == NULL) {
			reply.status = 0;
			reply.len = 0;
			reply.error = "out of memory";
		}
	}
	c->cb(&reply, c->cb_arg);
}

int
sim_client_post(struct sim_client *c, const char *path, const uint8_t *body,
    size_t len, sim_client_reply_fn *cb, void *arg)
{
	struct evhttp_request *req;
	struct evkeyvalq *h;
	struct evbuffer *out;
	int r;

	if (c->in_flight)
		return -EBUSY;
	if (c->dead && (r = client_connect(c)) < 0)
		return r;
	if ((req = evhttp_request_new(on_reply, c)) == NULL)
		return -ENOMEM;
	evhttp_request_set_error_cb(req, on_error);
	h = evhttp_request_get_output_headers(req);
	out = evhttp_request_get_output_buffer(req);
	if (evhttp_add_header(h, "Host", c->host_header) != 0 ||
	    evhttp_add_header(h, "Content-Type",
	    "application/x-protobuf") != 0 ||
	    evhttp_add_header(h, "User-Agent", "kics-agent-sim") != 0 ||
	    evbuffer_add(out, body, len) != 0) {
		evhttp_request_free(req);
		return -ENOMEM;
	}
	c->cb = cb;
	c->cb_arg = arg;
	c->req_error_set = false;
	c->replied = false;
	c->req = req;
	c->in_flight = true;
	/*
	 * A failed connect may call on_reply from inside; then the outcome
	 * has been delivered and this post counts as done.
	 */
	if (evhttp_make_request(c->evcon, req, EVHTTP_REQ_POST, path) != 0) {
		c->dead = true;
		if (c->replied)
			return 0;
		c->req = NULL;
		c->in_flight = false;
		return -EIO;
	}
	if (!c->replied)
		client_nodelay(c);
	return 0;
}
