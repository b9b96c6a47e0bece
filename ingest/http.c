/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the HTTPS side of the daemon: one evhttp listener on
 * bufferevent_openssl per integration server, POST /api/v1/report only,
 * protobuf decoding and validation, the connection limit, and the replies
 * (ReportAck or ErrorReply) once the writer has committed a report.
 *
 * THREAD SAFETY NOTES: everything here runs on the loop thread; the
 * writer calls http_job_done() there too (see ingest.h).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>

#include "epp_agent.pb-c.h"
#include "http-private.h"
#include "ingest.h"
#include "intake.h"
#include "kics_limits.h"
#include "log.h"
#include "strbuf.h"
#include "tls.h"
#include "validate.h"

static void http_listener_job_done(struct http_listener *l);
static void http_listener_keep_params(struct http_listener *l,
    const struct http_server_params *p);
static void http_listener_params_free(struct http_listener *l);

/* Sends msg packed as the body, with our content type. */
static void
http_reply(struct evhttp_request *req, int code, const char *phrase,
    const ProtobufCMessage *msg)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	size_t len = protobuf_c_message_get_packed_size(msg);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ?
	    evhttp_connection_get_bufferevent(evcon) : NULL;
	struct evbuffer_iovec v;

	/* packed in place: no buffer of our own per reply */
	if (evbuffer_reserve_space(out, (ev_ssize_t)len, &v, 1) != 1 ||
	    v.iov_len < len)
		fatalx("evbuffer_reserve_space: out of memory");
	(void)protobuf_c_message_pack(msg, v.iov_base);
	v.iov_len = len;
	if (evbuffer_commit_space(out, &v, 1) < 0)
		fatalx("evbuffer_commit_space failed");
	(void)evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", HTTP_CONTENT_TYPE);
	evhttp_send_reply(req, code, phrase, NULL);
	/*
	 * evhttp queued the head and the body as two pieces, and
	 * bufferevent_openssl makes one TLS record and one write() of each:
	 * joined (a few hundred bytes), the reply is one record, one
	 * segment. evhttp freed nothing of the connection above.
	 *
	 * Then the write runs in this turn of the loop, as if the socket
	 * had been seen writable (it nearly always is: a reply is a few
	 * hundred bytes): bufferevent_openssl would otherwise ask epoll for
	 * EPOLLOUT, wait for the next turn, write, and take EPOLLOUT back,
	 * two epoll_ctl() calls and a wakeup per request. With the
	 * changelist (daemon.c) the write event's add and delete within one
	 * turn cancel out. The callback runs from the loop, not from here,
	 * so evhttp is not re-entered; a write that would block leaves the
	 * event pending as usual.
	 *
	 * evhttp reads again once the reply is out: what OpenSSL read ahead
	 * while it did not (a request sent behind this one) is read in this
	 * turn too, since the socket will not say so (tls_read.c).
	 */
	if (bev != NULL) {
		(void)evbuffer_pullup(bufferevent_get_output(bev), -1);
		event_active(&bev->ev_write, EV_WRITE, 1);
		tls_read_nudge(bev);
	}
}

static void
http_reply_error(struct evhttp_request *req, int code, const char *phrase,
    const char *error_code, const char *message)
{
	Kics__Epp__V1__ErrorReply er = KICS__EPP__V1__ERROR_REPLY__INIT;

	er.code = (char *)error_code;
	er.message = (char *)message;
	http_reply(req, code, phrase, &er.base);
}

static void
http_reply_ack(struct http *h, struct evhttp_request *req, uint64_t seq,
    char *token)
{
	Kics__Epp__V1__ReportAck ack = KICS__EPP__V1__REPORT_ACK__INIT;

	ack.acked_sequence = seq;
	ack.agent_token = token;
	ack.next_report_interval_s = h->cfg.report_interval_s;
	ack.server_time_ms = ingest_now_ms();
	http_conn_acked(h, req);
	http_reply(req, 200, "OK", &ack.base);
}

/* "host:port" of the client, for the log; "?" when the peer is gone. */
static void
http_peer(struct evhttp_request *req, char *buf, size_t len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	(void)snprintf(buf, len, "%s:%u", addr != NULL ? addr : "?",
	    (unsigned)port);
}

/* The client's address alone, which new agents are counted by; "". */
static void
http_peer_address(struct evhttp_request *req, char *buf, size_t len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	(void)snprintf(buf, len, "%s", addr != NULL ? addr : "");
}

/* Media type application/x-protobuf, any case, parameters allowed. */
static bool
http_content_type_ok(const char *v)
{
	size_t n = strlen(HTTP_CONTENT_TYPE);

	if (v == NULL)
		return false;
	v += strspn(v, " \t");
	if (strncasecmp(v, HTTP_CONTENT_TYPE, n) != 0)
		return false;
	v += n;
	v += strspn(v, " \t");
	return *v == '\0' || *v == ';';
}

static void
http_log_busy(struct http *h, const char *what)
{
	int64_t now = ingest_now_ms();

	if (now - h->last_busy_warn_ms < HTTP_WARN_INTERVAL_MS)
		return;
	h->last_busy_warn_ms = now;
	log_warnx("%s: answering 503 busy", what);
}

/* Logs refused new agents of an address at most every few seconds. */
static void
http_log_rate(struct http *h, const struct writer_job *wj)
{
	int64_t now = ingest_now_ms();

	if (now - h->last_rate_warn_ms < HTTP_WARN_INTERVAL_MS)
		return;
	h->last_rate_warn_ms = now;
	log_warnx("new agent '%s' refused: %s", wj->agent_id, wj->reason);
}

/* The writer's outcome of one report, on the loop thread. */
static void
http_job_done(struct writer_job *wj)
{
	struct http_job *hj = (struct http_job *)wj;
	struct http *h = hj->http;
	struct evhttp_request *req = hj->req;
	/* "" when the bytes did not decode */
	const char *agent = wj->agent_id[0] != '\0' ? wj->agent_id : "?";

	switch (wj->status) {
	case REPORT_STATUS_COMMITTED:
	case REPORT_STATUS_ALREADY:
		http_reply_ack(h, req, wj->acked_sequence, wj->token);
		break;
	case REPORT_STATUS_IDENTITY:
		log_info("report of agent '%s' from %s refused: %s",
		    agent, wj->source, wj->reason);
		http_reply_error(req, 403, "Forbidden", "agent_identity",
		    wj->reason);
		break;
	case REPORT_STATUS_AGENT_RATE:
		http_log_rate(h, wj);
		http_reply_error(req, 403, "Forbidden", "agent_limit",
		    wj->reason);
		break;
	case REPORT_STATUS_INVALID:
		log_info("report of agent '%s' from %s rejected: %s", agent,
		    wj->source, wj->reason);
		http_reply_error(req, 400, "Bad Request", "bad_payload",
		    wj->reason);
		break;
	case REPORT_STATUS_AGENT_LIMIT:
		log_info("report of agent '%s' refused: agent limit", agent);
		http_reply_error(req, 403, "Forbidden", "agent_limit",
		    wj->reason);
		break;
	default:
		/* The writer logged the storage error once per batch. */
		http_reply_error(req, 503, "Service Unavailable", "busy",
		    "report not stored, retry later");
		break;
	}
	assert(h->pending > 0);
	h->pending--;
	http_listener_job_done(hj->listener);
	intake_job_fini(wj);
	free(hj);
}

/* The len bytes of body, moved into memory of their own (malloc). */
static uint8_t *
http_body_take(struct evbuffer *body, size_t len)
{
	uint8_t *data = xmalloc(len);

	if (len > 0 && evbuffer_remove(body, data, len) != (int)len)
		fatalx("evbuffer_remove: a body shorter than its length");
	return data;
}

static void
http_handle_report(struct http_listener *l, struct evhttp_request *req)
{
	struct http *h = l->http;
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(body);
	struct http_job *hj;
	uint8_t *data, *view;
	int r;

	if (!http_content_type_ok(evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type"))) {
		http_reply_error(req, 415, "Unsupported Media Type",
		    "bad_content_type", "expected " HTTP_CONTENT_TYPE);
		return;
	}
	/* evhttp already refused a larger Content-Length or chunked body. */
	if (len > h->cfg.max_body_bytes) {
		http_reply_error(req, 413, "Payload Too Large", "too_large",
		    "body over limits.max_body_bytes");
		return;
	}
	/*
	 * What decoding would cost was counted before it was spent: the
	 * gate pre-scanned the body as it arrived and refused it there.
	 * The bytes leave the request for the job in one copy, so a queued
	 * report is held once, not also by its request.
	 */
	hj = xcalloc(1, sizeof(*hj));
	/*
	 * A copy of a report on disk is answered here (intake_resend()),
	 * looked at where it lies when the body is in one piece, else in
	 * the copy the job takes anyway.
	 */
	data = NULL;
	view = evbuffer_get_contiguous_space(body) >= len ?
	    evbuffer_pullup(body, (ev_ssize_t)len) : NULL;
	if (view == NULL)
		view = data = http_body_take(body, len);
	if (intake_resend(h->writer, &hj->job, view, len)) {
		http_reply_ack(h, req, hj->job.acked_sequence, hj->job.token);
		free(data);
		free(hj);
		return;
	}
	if (data == NULL)
		data = http_body_take(body, len);
	hj->http = h;
	hj->listener = l;
	hj->req = req;
	hj->job.server_id = l->server_id;
	http_peer_address(req, hj->job.source, sizeof(hj->job.source));
	hj->job.done = http_job_done;
	r = intake_submit_body(h->writer, &hj->job, data, len);
	if (r < 0) {
		free(data);
		http_log_busy(h, r == -EAGAIN ? "writer queue full" :
		    "shutting down");
		http_reply_error(req, 503, "Service Unavailable", "busy",
		    r == -EAGAIN ? "queue full, retry later" :
		    "shutting down, retry later");
		free(hj);
		return;
	}
	h->pending++;
	l->pending++;
}

/*
 * Answers a request that the gate replaced (http_gate.h): verdict is
 * "CODE message"; the request asked evhttp to close the connection after
 * the answer, since the rest of what the client sent was never read.
 */
static void
http_reply_gate(struct http *h, struct evhttp_request *req,
    const char *verdict)
{
	static const struct {
		const char	*code;
		int		status;
		const char	*phrase;
	} answers[] = {
		{ "too_large", 413, "Payload Too Large" },
		{ "busy", 503, "Service Unavailable" },
		{ "length_required", 411, "Length Required" },
		{ "bad_payload", 400, "Bad Request" },
		{ "bad_request", 400, "Bad Request" },	/* also the default */
	};
	size_t n = strcspn(verdict, " "), i;
	const char *msg = verdict[n] == ' ' ? verdict + n + 1 : "";
	char peer[128];

	for (i = 0; i < sizeof(answers) / sizeof(answers[0]) - 1; i++)
		if (strlen(answers[i].code) == n &&
		    strncmp(answers[i].code, verdict, n) == 0)
			break;
	if (answers[i].status == 503)
		http_log_busy(h, "request bodies over their memory budget");
	if (strcmp(answers[i].code, "bad_payload") == 0) {
		http_peer(req, peer, sizeof(peer));
		log_info("%s: report refused before decoding: %s", peer, msg);
	}
	(void)evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Connection", "close");
	http_reply_error(req, answers[i].status, answers[i].phrase,
	    answers[i].code, msg);
}

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http_listener *l = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *gate = evhttp_find_header(
	    evhttp_request_get_input_headers(req), HTTP_GATE_HEADER);

	if (gate != NULL) {
		http_reply_gate(l->http, req, gate);
		return;
	}
	if (path == NULL || strcmp(path, HTTP_REPORT_PATH) != 0) {
		http_reply_error(req, 404, "Not Found", "not_found",
		    "only POST " HTTP_REPORT_PATH " exists");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		(void)evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		http_reply_error(req, 405, "Method Not Allowed",
		    "method_not_allowed", "use POST");
		return;
	}
	http_handle_report(l, req);
}

static void
http_listener_free(struct http_listener *l)
{
	if (l == NULL)
		return;
	if (l->evh != NULL && l->bound != NULL)
		http_pause_forget(l->bound);
	if (l->evh != NULL)
		evhttp_free(l->evh);
	tls_peers_free(l->peers);
	tls_server_free(l->tls);
	http_listener_params_free(l);
	free(l->name);
	free(l);
}

struct http *
http_new(struct event_base *base, struct writer *w,
    const struct http_config *cfg)
{
	struct http *h = xcalloc(1, sizeof(*h));

	h->base = base;
	h->writer = w;
	h->cfg = *cfg;
	if (h->cfg.max_connections == 0)
		h->cfg.max_connections = 1;
	if (h->cfg.max_connections > LIMIT_HTTP_CONNECTIONS)
		h->cfg.max_connections = LIMIT_HTTP_CONNECTIONS;
	h->conns = xcalloc(h->cfg.max_connections, sizeof(*h->conns));
	if (h->cfg.max_connections_per_address == 0 ||
	    h->cfg.max_connections_per_address > h->cfg.max_connections)
		h->cfg.max_connections_per_address = h->cfg.max_connections;
	h->body_budget.limit = h->cfg.max_body_memory_bytes > 0 ?
	    h->cfg.max_body_memory_bytes : LIMIT_HTTP_BODY_MEMORY_DEFAULT;
	if (h->body_budget.limit < h->cfg.max_body_bytes)
		h->body_budget.limit = h->cfg.max_body_bytes;
	if ((h->fresh_ev = event_new(base, -1, 0, http_fresh_cb, h)) == NULL)
		fatalx("event_new: out of memory");
	return h;
}

static void http_listen_error_set(struct http *h, int64_t server_id,
    const char *fmt, ...) KICS_PRINTF(3, 4);

/*
 * Remembers why server_id cannot listen (printf format), or forgets it
 * when fmt is NULL, for http_states_json().
 */
static void
http_listen_error_set(struct http *h, int64_t server_id, const char *fmt, ...)
{
	struct http_listen_error *e = NULL;
	va_list ap;

	for (size_t i = 0; i < h->n_errors; i++)
		if (h->errors[i].server_id == server_id)
			e = &h->errors[i];
	if (fmt == NULL) {
		if (e != NULL)
			*e = h->errors[--h->n_errors];
		return;
	}
	if (e == NULL) {
		h->errors = reallocarray(h->errors, h->n_errors + 1,
		    sizeof(*h->errors));
		if (h->errors == NULL)
			fatal("reallocarray");
		e = &h->errors[h->n_errors++];
	}
	e->server_id = server_id;
	va_start(ap, fmt);
	(void)vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

char *
http_states_json(const struct http *h)
{
	struct strbuf b;
	char *json;

	strbuf_init(&b);
	(void)strbuf_append(&b, "{");
	for (size_t i = 0; i < h->n_listeners; i++)
		(void)strbuf_printf(&b, "%s\"%lld\":\"listening\"",
		    i > 0 ? "," : "", (long long)h->listeners[i]->server_id);
	for (size_t i = 0; i < h->n_errors; i++) {
		char state[HTTP_REASON_LEN + 16];

		(void)snprintf(state, sizeof(state), "error: %s",
		    h->errors[i].reason);
		(void)strbuf_printf(&b, "%s\"%lld\":",
		    i + h->n_listeners > 0 ? "," : "",
		    (long long)h->errors[i].server_id);
		(void)strbuf_json_string(&b, state);
	}
	(void)strbuf_append(&b, "}");
	if (b.error < 0)
		fatalx("out of memory");
	json = xstrdup(strbuf_str(&b));
	strbuf_fini(&b);
	return json;
}

static int
http_listener_setup(struct http_listener *l, const struct http_server_params *p)
{
	struct http *h = l->http;
	struct timeval tv = { .tv_sec = h->cfg.idle_timeout_s };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, one = 1;

	if ((l->evh = evhttp_new(h->base)) == NULL)
		fatalx("evhttp_new: out of memory");
	evhttp_set_bevcb(l->evh, http_bev_cb, l);
	evhttp_set_gencb(l->evh, http_request_cb, l);
	evhttp_set_max_body_size(l->evh, (ev_ssize_t)h->cfg.max_body_bytes);
	evhttp_set_max_headers_size(l->evh, LIMIT_HTTP_HEADERS_BYTES);
	if (tv.tv_sec > 0)
		evhttp_set_timeout_tv(l->evh, &tv);
	/* Every method reaches http_request_cb(), which answers 405. */
	evhttp_set_allowed_methods(l->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	l->bound = evhttp_bind_socket_with_handle(l->evh, p->address, p->port);
	if (l->bound == NULL) {
		int r = errno != 0 ? -errno : -EADDRNOTAVAIL;

		log_warnx("server '%s': cannot listen on %s:%u: %s", l->name,
		    p->address, (unsigned)p->port, strerror(-r));
		http_listen_error_set(h, l->server_id, "cannot listen on "
		    "%s:%u: %s", p->address, (unsigned)p->port, strerror(-r));
		return r;
	}
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(l->bound),
	    http_accept_error_cb);
	fd = evhttp_bound_socket_get_fd(l->bound);
	/* Linux copies it to accepted sockets; http_conn_admit() too. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET)
			l->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			l->port = ntohs(
			    ((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 0;
}

int
http_listen(struct http *h, const struct http_server_params *p)
{
	struct tls_server_params tp = {
		.cert_file = p->cert_file,
		.key_file = p->key_file,
		.ca_file = p->ca_file,
		.crl_file = p->crl_file,
		.verify_client = p->verify_client,
		.server_id = p->server_id,
	};
	struct http_listener *l;
	int r;

	l = xcalloc(1, sizeof(*l));
	l->http = h;
	l->server_id = p->server_id;
	l->name = xstrdup(p->name);
	if ((l->peers = tls_peers_new()) == NULL)
		fatalx("out of memory");
	tp.peers = l->peers;
	if ((r = tls_server_new(&tp, &l->tls)) < 0) {
		log_warnx("server '%s': TLS setup failed: %s", l->name,
		    tls_last_error());
		http_listen_error_set(h, l->server_id, "TLS setup failed: %s",
		    tls_last_error());
		goto out;
	}
	errno = 0;
	if ((r = http_listener_setup(l, p)) < 0)
		goto out;
	h->listeners = reallocarray(h->listeners, h->n_listeners + 1,
	    sizeof(*h->listeners));
	if (h->listeners == NULL)
		fatal("reallocarray");
	h->listeners[h->n_listeners++] = l;
	http_listen_error_set(h, l->server_id, NULL);
	http_listener_keep_params(l, p);
	log_info("server '%s' listening on %s:%u%s", l->name, p->address,
	    (unsigned)l->port, p->verify_client ? " (client certificates)" :
	    "");
	l = NULL;
	r = 0;
out:
	http_listener_free(l);
	return r;
}

uint16_t
http_listener_port(const struct http *h, size_t n)
{
	return n < h->n_listeners ? h->listeners[n]->port : 0;
}

size_t
http_listener_count(const struct http *h)
{
	return h->n_listeners;
}

void
http_stop_accepting(struct http *h)
{
	for (size_t i = 0; i < h->n_listeners; i++) {
		struct http_listener *l = h->listeners[i];

		if (l->bound != NULL) {
			http_pause_forget(l->bound);
			evhttp_del_accept_socket(l->evh, l->bound);
			l->bound = NULL;
		}
	}
}

size_t
http_pending(const struct http *h)
{
	return h->pending;
}

void
http_free(struct http *h)
{
	struct http_fresh *f;

	if (h == NULL)
		return;
	assert(h->pending == 0);
	while ((f = h->fresh) != NULL) {
		h->fresh = f->next;
		(void)bufferevent_decref(f->bev);
		free(f);
	}
	for (size_t i = 0; i < h->n_listeners; i++)
		http_listener_free(h->listeners[i]);
	free(h->listeners);
	if (h->fresh_ev != NULL)
		event_free(h->fresh_ev);
	free(h->conns);
	free(h->slot_of_fd);
	free(h->errors);
	free(h);
}

/* --- administration: listeners stopped, moved and re-keyed at run time
 * (issue 5). A stopped listener stops accepting at once; evhttp_free()
 * then closes its connections, but only when none of its requests is at
 * the writer (libevent frees requests with their connection), so until
 * then it waits, retired, outside h->listeners. */

static char *
http_strdup_opt(const char *v)
{
	return v != NULL ? xstrdup(v) : NULL;
}

static void
http_listener_keep_params(struct http_listener *l,
    const struct http_server_params *p)
{
	l->params = *p;
	l->params.name = xstrdup(p->name);
	l->params.address = xstrdup(p->address);
	l->params.cert_file = http_strdup_opt(p->cert_file);
	l->params.key_file = http_strdup_opt(p->key_file);
	l->params.ca_file = http_strdup_opt(p->ca_file);
	l->params.crl_file = http_strdup_opt(p->crl_file);
}

static void
http_listener_params_free(struct http_listener *l)
{
	free((char *)l->params.name);
	free((char *)l->params.address);
	free((char *)l->params.cert_file);
	free((char *)l->params.key_file);
	free((char *)l->params.ca_file);
	free((char *)l->params.crl_file);
	memset(&l->params, 0, sizeof(l->params));
}

static void
http_listener_job_done(struct http_listener *l)
{
	assert(l->pending > 0);
	if (--l->pending == 0 && l->retired)
		http_listener_free(l);
}

static ssize_t
http_listener_index(const struct http *h, int64_t server_id)
{
	for (size_t i = 0; i < h->n_listeners; i++)
		if (h->listeners[i]->server_id == server_id)
			return (ssize_t)i;
	return -1;
}

bool
http_listener_running(const struct http *h, int64_t server_id)
{
	return http_listener_index(h, server_id) >= 0;
}

int
http_listener_stop(struct http *h, int64_t server_id)
{
	ssize_t i = http_listener_index(h, server_id);
	struct http_listener *l;

	if (i < 0)
		return -ENOENT;
	l = h->listeners[i];
	h->listeners[i] = h->listeners[--h->n_listeners];
	http_listen_error_set(h, server_id, NULL);
	if (l->bound != NULL) {
		http_pause_forget(l->bound);
		evhttp_del_accept_socket(l->evh, l->bound);
		l->bound = NULL;
	}
	log_info("server '%s' stopped", l->name);
	if (l->pending == 0)
		http_listener_free(l);
	else
		l->retired = true;
	return 0;
}

int
http_listener_tls_reload(struct http *h)
{
	int r, ret = 0;

	for (size_t i = 0; i < h->n_listeners; i++) {
		struct http_listener *l = h->listeners[i];
		struct tls_server_params tp = {
			.cert_file = l->params.cert_file,
			.key_file = l->params.key_file,
			.ca_file = l->params.ca_file,
			.crl_file = l->params.crl_file,
			.verify_client = l->params.verify_client,
			.server_id = l->server_id,
			.peers = l->peers,
		};
		struct tls_server *tls;
		size_t closed;

		/* SSL objects made before keep the old context alive. */
		if ((r = tls_server_new(&tp, &tls)) < 0) {
			log_warnx("server '%s': TLS reload failed: %s, "
			    "keeping the old context", l->name,
			    tls_last_error());
			ret = r;
			continue;
		}
		tls_server_free(l->tls);
		l->tls = tls;
		/* issue 11: a revocation also ends what is already open */
		if ((closed = tls_peers_close_revoked(l->peers, l->tls)) > 0)
			log_info("server '%s': closed %zu connection(s) of "
			    "revoked client certificates", l->name, closed);
	}
	return ret;
}

int
http_listener_get(const struct http *h, size_t n, int64_t *ret_server_id,
    const char **ret_name, const char **ret_address, uint16_t *ret_port)
{
	const struct http_listener *l;

	if (n >= h->n_listeners)
		return -ENOENT;
	l = h->listeners[n];
	*ret_server_id = l->server_id;
	*ret_name = l->name;
	*ret_address = l->params.address;
	*ret_port = l->port;
	return 0;
}
