/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the daemon's control socket DATA_DIR/control.sock:
 * length-prefixed protobuf requests (schema/control.proto), the caller's
 * identity from SO_PEERCRED and its role, the dispatch of actions, the
 * audit record of every request, and the replies.
 *
 * THREAD SAFETY NOTES: everything here runs on the loop thread, except the
 * run() step of a writer task (the audit record, an admin handler's run()),
 * which touches only its own request or handler state.
 */
#define _GNU_SOURCE	/* struct ucred */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "control_scan.h"
#include "ingest.h"
#include "udp.h"
#include "kics_limits.h"
#include "log.h"
#include "strbuf.h"
#include "capture.h"

#define CONTROL_PWBUF_LEN	16384	/* getpwuid_r buffer */

/* A role from the users table, cached (the daemon writes that table). */
struct control_user {
	char		*name;
	enum role	role;
};

struct control {
	struct control_params p;
	struct evconnlistener *listener;
	char		*path;
	struct control_user *users;
	size_t		n_users;
	size_t		clients;	/* connections open */
	struct control_req *reqs;	/* in progress */
};

const struct control_params *
control_params(const struct control *c)
{
	return &c->p;
}

void
control_user_set(struct control *c, const char *name, enum role role)
{
	for (size_t i = 0; i < c->n_users; i++) {
		if (strcmp(c->users[i].name, name) != 0)
			continue;
		if (role != ROLE_NONE) {
			c->users[i].role = role;
			return;
		}
		free(c->users[i].name);
		c->users[i] = c->users[--c->n_users];
		return;
	}
	if (role == ROLE_NONE)
		return;
	c->users = reallocarray(c->users, c->n_users + 1, sizeof(*c->users));
	if (c->users == NULL)
		fatal("reallocarray");
	c->users[c->n_users].name = xstrdup(name);
	c->users[c->n_users++].role = role;
}

/* uid → user name → role: root, then the configuration, then the table. */
static void
control_identify(struct control *c, struct control_req *req, uid_t uid)
{
	struct passwd pw, *res = NULL;
	char *buf = xcalloc(1, CONTROL_PWBUF_LEN);

	req->uid = uid;
	req->role = ROLE_NONE;
	if (getpwuid_r(uid, &pw, buf, CONTROL_PWBUF_LEN, &res) == 0 &&
	    res != NULL)
		(void)snprintf(req->user, sizeof(req->user), "%s",
		    pw.pw_name);
	else
		(void)snprintf(req->user, sizeof(req->user), "uid %lu",
		    (unsigned long)uid);
	free(buf);
	if (uid == 0) {
		req->role = ROLE_ADMINISTRATOR;
		return;
	}
	if (res == NULL)
		return;
	for (size_t i = 0; i < c->p.conf->n_users; i++)
		if (strcmp(c->p.conf->users[i].name, req->user) == 0)
			req->role = c->p.conf->users[i].role;
	for (size_t i = 0; i < c->n_users; i++)
		if (strcmp(c->users[i].name, req->user) == 0 &&
		    c->users[i].role > req->role)
			req->role = c->users[i].role;
}

static void
control_req_free(struct control_req *req)
{
	if (req == NULL)
		return;
	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		req->ctl->reqs = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	if (req->bev != NULL) {
		bufferevent_free(req->bev);
		req->ctl->clients--;
	}
	if (req->msg != NULL)
		kics__control__v1__request__free_unpacked(req->msg, NULL);
	free(req->json);
	free(req->data);
	free(req);
}

/* The client left while its reply was being written. */
static void
control_closed_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	control_req_free(arg);
}

/* The reply is written: close. */
static void
control_written_cb(struct bufferevent *bev, void *arg)
{
	struct control_req *req = arg;

	(void)bev;
	control_req_free(req);
}

static void
control_reply(struct control_req *req)
{
	Kics__Control__V1__Reply rep = KICS__CONTROL__V1__REPLY__INIT;
	uint8_t hdr[4], *buf;
	size_t len;

	if (req->bev == NULL) {
		control_req_free(req);
		return;
	}
	rep.status = (Kics__Control__V1__Status)req->status;
	rep.message = req->message;
	rep.json = req->json != NULL ? req->json : (char *)"";
	rep.data.data = req->data;
	rep.data.len = req->data_len;
	len = kics__control__v1__reply__get_packed_size(&rep);
	if (len > LIMIT_CONTROL_REPLY_BYTES) {
		log_warnx("control: reply of %zu bytes over the limit", len);
		rep.data.len = 0;
		rep.json = (char *)"";
		rep.status = KICS__CONTROL__V1__STATUS__STATUS_FAILED;
		rep.message = (char *)"reply too large";
		len = kics__control__v1__reply__get_packed_size(&rep);
	}
	buf = xcalloc(1, len);
	(void)kics__control__v1__reply__pack(&rep, buf);
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	if (bufferevent_write(req->bev, hdr, sizeof(hdr)) < 0 ||
	    bufferevent_write(req->bev, buf, len) < 0)
		fatalx("control: out of memory");
	free(buf);
	bufferevent_disable(req->bev, EV_READ);
	bufferevent_setcb(req->bev, NULL, control_written_cb,
	    control_closed_cb, req);
}

static const char *
control_result(int status)
{
	switch (status) {
	case KICS__CONTROL__V1__STATUS__STATUS_OK:
		return "ok";
	case KICS__CONTROL__V1__STATUS__STATUS_FORBIDDEN:
		return "refused";
	default:
		return "failed";
	}
}

static void
control_audit_run(struct writer_task *t, struct engine *e)
{
	struct control_req *req = (struct control_req *)t;
	struct engine_audit a = {
		.at_ms = ingest_now_ms(),
		.os_user = req->user,
		.uid = (int64_t)req->uid,
		.role = role_name(req->role),
		.action = req->action,
		.target = req->target[0] != '\0' ? req->target : NULL,
		.result = control_result(req->status),
		.detail = req->message,
	};

	if (engine_audit_add(e, &a) < 0)
		log_warnx("control: audit record of '%s' by '%s' not stored: "
		    "%s, ignoring", req->action, req->user, engine_errmsg(e));
}

static void
control_audit_done(struct writer_task *t)
{
	control_reply((struct control_req *)t);
}

void
control_finish(struct control_req *req, int status, const char *fmt, ...)
{
	char text[CONTROL_MESSAGE_LEN];
	va_list ap;

	/* the arguments may point into req->message */
	req->status = status;
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memcpy(req->message, text, sizeof(text));
	log_info("control: %s%s%s by '%s' (uid %lu, %s): %s: %s",
	    req->action, req->target[0] != '\0' ? " " : "", req->target,
	    req->user, (unsigned long)req->uid, role_name(req->role),
	    control_result(status), req->message);
	memset(&req->task, 0, sizeof(req->task));
	/*
	 * Lookups that were allowed leave no audit record (issue 12): the
	 * audit log holds what changed and what was refused, not every
	 * "status" an operator typed.
	 */
	if (req->read_only && status == KICS__CONTROL__V1__STATUS__STATUS_OK) {
		control_reply(req);
		return;
	}
	req->task.run = control_audit_run;
	req->task.done = control_audit_done;
	if (writer_run_task(req->ctl->p.writer, &req->task) < 0) {
		log_warnx("control: shutting down, '%s' not audited",
		    req->action);
		control_reply(req);
	}
}

static void
control_admin_free(struct admin_task *t)
{
	if (t->h->fini != NULL)
		t->h->fini(t);
	free(t);
}

static void
control_admin_run(struct writer_task *wt, struct engine *e)
{
	struct admin_task *t = (struct admin_task *)wt;

	t->message[0] = '\0';
	t->r = t->h->run(t, e);
}

static void
control_admin_done(struct writer_task *wt)
{
	struct admin_task *t = (struct admin_task *)wt;

	t->h->done(t);
	control_admin_free(t);
}

void
control_admin_start(struct control_req *req, const struct admin_handler *h)
{
	struct admin_task *t;
	int r;

	assert(h->size >= sizeof(*t));
	t = xcalloc(1, h->size);
	t->h = h;
	t->req = req;
	if ((r = h->prepare(t)) < 0) {
		control_finish(req, r == -EINVAL ?
		    KICS__CONTROL__V1__STATUS__STATUS_INVALID :
		    KICS__CONTROL__V1__STATUS__STATUS_FAILED, "%s", t->message);
		control_admin_free(t);
		return;
	}
	t->task.run = control_admin_run;
	t->task.done = control_admin_done;
	if (writer_run_task(req->ctl->p.writer, &t->task) < 0) {
		/* not audited: the writer no longer takes tasks */
		req->status = KICS__CONTROL__V1__STATUS__STATUS_UNAVAILABLE;
		(void)snprintf(req->message, sizeof(req->message),
		    "the daemon is shutting down");
		control_admin_free(t);
		control_reply(req);
	}
}

/*
 * The listeners' states (http_states_json()) with, under "udp", the UDP
 * receivers' states and counters (udp_states_json()). Freed with free().
 */
static char *
control_states_json(const struct control *c)
{
	char *http = http_states_json(c->p.http), *udp, *json;
	size_t len;

	if (c->p.udp == NULL)
		return http;
	udp = udp_states_json(c->p.udp);
	len = strlen(http) + strlen(udp) + 16;
	json = xcalloc(1, len);
	/* http is "{...}": the udp member goes in before its brace */
	(void)snprintf(json, len, "%.*s%s\"udp\":%s}",
	    (int)(strlen(http) - 1), http, strlen(http) > 2 ? "," : "", udp);
	free(http);
	free(udp);
	return json;
}

/*
 * Live status: listeners, connections, queue, database size and the
 * writer's group-commit statistics.
 */
static void
control_status(struct control_req *req)
{
	struct control *c = req->ctl;
	struct strbuf b;
	struct stat sb;
	char path[PATH_MAX];
	int64_t size = 0, id;
	const char *name, *address;
	char *states;
	uint16_t port;

	strbuf_init(&b);
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", c->p.data_dir);
	if (stat(path, &sb) == 0)
		size += sb.st_size;
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db-wal",
	    c->p.data_dir);
	if (stat(path, &sb) == 0)
		size += sb.st_size;
	(void)strbuf_printf(&b, "{\"pid\":%ld,\"connections\":%zu,"
	    "\"queue\":%zu,\"max_agents\":%u,\"database_bytes\":%lld,"
	    "\"listeners\":[", (long)getpid(), http_connections(c->p.http),
	    http_pending(c->p.http), c->p.conf->max_agents, (long long)size);
	for (size_t i = 0; http_listener_get(c->p.http, i, &id, &name,
	    &address, &port) == 0; i++) {
		(void)strbuf_printf(&b, "%s{\"id\":%lld,\"name\":",
		    i > 0 ? "," : "", (long long)id);
		(void)strbuf_json_string(&b, name);
		(void)strbuf_append(&b, ",\"address\":");
		(void)strbuf_json_string(&b, address);
		(void)strbuf_printf(&b, ",\"port\":%u}", (unsigned)port);
	}
	(void)strbuf_append(&b, "],\"udp_receivers\":[");
	for (size_t i = 0; c->p.udp != NULL && udp_listener_get(c->p.udp, i,
	    &id, &name, &address, &port) == 0; i++) {
		(void)strbuf_printf(&b, "%s{\"id\":%lld,\"name\":",
		    i > 0 ? "," : "", (long long)id);
		(void)strbuf_json_string(&b, name);
		(void)strbuf_append(&b, ",\"address\":");
		(void)strbuf_json_string(&b, address);
		(void)strbuf_printf(&b, ",\"port\":%u}", (unsigned)port);
	}
	(void)strbuf_append(&b, "],\"writer\":");
	writer_stats_json(c->p.writer, &b);
	states = control_states_json(c);
	(void)strbuf_printf(&b, ",\"states\":%s}", states);
	free(states);
	if (b.error < 0)
		fatalx("control: out of memory");
	req->json = xstrdup(strbuf_str(&b));
	strbuf_fini(&b);
	control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_OK,
	    "%zu listener(s)", http_listener_count(c->p.http));
}

static void
control_rules_reload(struct control_req *req)
{
	char msg[CONTROL_MESSAGE_LEN] = "";
	int r;

	r = req->ctl->p.reload(req->ctl->p.reload_arg, msg, sizeof(msg));
	if (r < 0)
		control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_FAILED,
		    "rules not reloaded, the old ones stay: %s", msg);
	else
		control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_OK,
		    "%d rule(s) loaded", r);
}

/*
 * Reads need only that the daemon allowed them (kics-query reads the
 * database itself).
 */
static void
control_allowed(struct control_req *req)
{
	control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_OK, "allowed");
}

/* Lists whose saved state is live only while the daemon runs. */
static void
control_running(struct control_req *req)
{
	req->json = xstrdup("{}");
	control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_OK, "allowed");
}

/*
 * server list reads the table, and adds what only the daemon knows: the
 * state of each listener (http_states_json()).
 */
static void
control_server_list(struct control_req *req)
{
	req->json = control_states_json(req->ctl);
	control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_OK, "allowed");
}

/*
 * What the daemon does for each action: a function for what it answers
 * at once, a handler for what changes something (ingest.h). Names and
 * roles come from role.h.
 */
struct control_action {
	Kics__Control__V1__Action action;
	void		(*fn)(struct control_req *req);
	const struct admin_handler *admin;
	bool		read_only;	/* a lookup: not audited when allowed */
};

#define ACTION(x)	KICS__CONTROL__V1__ACTION__ACTION_##x
static const struct control_action control_actions[] = {
	{ ACTION(STATUS),		control_status,		NULL,	true },
	{ ACTION(SERVER_LIST),		control_server_list,	NULL,	true },
	{ ACTION(USER_LIST),		control_allowed,	NULL,	true },
	{ ACTION(AUDIT),		control_allowed,	NULL,	true },
	{ ACTION(AGENT_LIST),		control_allowed,	NULL,	true },
	{ ACTION(CONNECTOR_LIST),	control_running,	NULL,	true },
	{ ACTION(RULES_RELOAD),		control_rules_reload,	NULL,	false },
	{ ACTION(SERVER_ADD),		NULL,	&admin_server_add,	false },
	{ ACTION(SERVER_EDIT),		NULL,	&admin_server_edit,	false },
	{ ACTION(SERVER_ENABLE),	NULL,	&admin_server_enable,	false },
	{ ACTION(SERVER_DISABLE),	NULL,	&admin_server_disable,	false },
	{ ACTION(SERVER_REMOVE),	NULL,	&admin_server_remove,	false },
	{ ACTION(PACKAGE_CREATE),	NULL,	&admin_package_create,	false },
	{ ACTION(PACKAGE_ACTIVATE),	NULL,	&admin_package_activate,	false },
	{ ACTION(PACKAGE_DISCARD),	NULL,	&admin_package_discard,	false },
	{ ACTION(USER_ADD),		NULL,	&admin_user_add,	false },
	{ ACTION(USER_REMOVE),		NULL,	&admin_user_remove,	false },
	{ ACTION(DEVICE_SET),		NULL,	&admin_device_set,	false },
	{ ACTION(AGENT_RESET),		NULL,	&admin_agent_reset,	false },
	{ ACTION(AGENT_REMOVE),		NULL,	&admin_agent_remove,	false },
	{ ACTION(CONNECTOR_ADD),	NULL,	&admin_connector_add,	false },
	{ ACTION(CONNECTOR_EDIT),	NULL,	&admin_connector_edit,	false },
	{ ACTION(CONNECTOR_REMOVE),	NULL,	&admin_connector_remove,	false },
	{ ACTION(CONNECTOR_TEST),	NULL,	&admin_connector_test,	false },
	{ ACTION(TRAFFIC_IMPORT),	traffic_import_start,	NULL,	false },
};
#undef ACTION

/* "device X", "devices in NET" or "N devices: X, Y, …" of device set. */
static void
control_target_devices(const Kics__Control__V1__DeviceArgs *d, char *t,
    size_t len)
{
	size_t n = d->n_keys + (d->id > 0 ? 1 : 0), off;

	if (d->subnet[0] != '\0') {
		(void)snprintf(t, len, "devices in %.64s", d->subnet);
		return;
	}
	if (n == 1 && d->id > 0) {
		(void)snprintf(t, len, "device %lld", (long long)d->id);
		return;
	}
	if (n == 1) {
		(void)snprintf(t, len, "device %.128s", d->keys[0]);
		return;
	}
	off = (size_t)snprintf(t, len, "%zu devices:", n);
	for (size_t i = 0; i < d->n_keys && off + 1 < len; i++)
		off += (size_t)snprintf(t + off, len - off, "%s %.64s",
		    i > 0 ? "," : "", d->keys[i]);
}

/* Names what the request is about, for the audit log. */
static void
control_target(struct control_req *req)
{
	const Kics__Control__V1__Request *m = req->msg;
	char *t = req->target;
	size_t len = sizeof(req->target);

	if (m->server != NULL && m->server->id > 0)
		(void)snprintf(t, len, "server %lld",
		    (long long)m->server->id);
	else if (m->server != NULL && m->server->address[0] != '\0')
		(void)snprintf(t, len, "%.64s port %u", m->server->address,
		    m->server->port);
	else if (m->package != NULL)
		(void)snprintf(t, len, "server %lld",
		    (long long)m->package->server_id);
	else if (m->user != NULL)
		(void)snprintf(t, len, "%.64s", m->user->name);
	else if (m->device != NULL)
		control_target_devices(m->device, t, len);
	else if (m->agent != NULL)
		(void)snprintf(t, len, "agent %.128s", m->agent->agent_id);
	else if (m->traffic != NULL)
		(void)snprintf(t, len, "file %.200s", m->traffic->file);
	else if (m->connector != NULL && m->connector->name[0] != '\0')
		(void)snprintf(t, len, "connector %.64s", m->connector->name);
}

static void
control_dispatch(struct control_req *req)
{
	const struct role_action *ra = role_action_find(req->msg->action);
	const struct control_action *a = NULL;

	for (size_t i = 0; ra != NULL && i < sizeof(control_actions) /
	    sizeof(control_actions[0]); i++)
		if (control_actions[i].action == req->msg->action)
			a = &control_actions[i];
	if (a == NULL) {
		req->action = "unknown";
		control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_INVALID,
		    "unknown action %d", (int)req->msg->action);
		return;
	}
	req->action = ra->name;
	req->read_only = a->read_only;
	control_target(req);
	if (req->role < ra->role) {
		control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_FORBIDDEN,
		    "'%s' needs the %s role; user '%s' has %s", ra->name,
		    role_name(ra->role), req->user,
		    req->role == ROLE_NONE ? "no role" :
		    role_name(req->role));
		return;
	}
	if (a->admin != NULL)
		control_admin_start(req, a->admin);
	else
		a->fn(req);
}

/* Checks the sizes and full consumption of one framed request. */
static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_req *req = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[4], *body;
	size_t len;
	char reason[CONTROL_SCAN_REASON_LEN];

	if (evbuffer_get_length(in) < sizeof(hdr))
		return;
	(void)evbuffer_copyout(in, hdr, sizeof(hdr));
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > LIMIT_CONTROL_REQUEST_BYTES) {
		log_warnx("control: request of %zu bytes from '%s', closing",
		    len, req->user);
		control_req_free(req);
		return;
	}
	if (evbuffer_get_length(in) < sizeof(hdr) + len)
		return;
	if (evbuffer_get_length(in) > sizeof(hdr) + len) {
		log_warnx("control: bytes after the request from '%s', "
		    "closing", req->user);
		control_req_free(req);
		return;
	}
	(void)evbuffer_drain(in, sizeof(hdr));
	body = evbuffer_pullup(in, (ev_ssize_t)len);
	/* protobuf-c sees only what the pre-scan let through */
	if (control_scan(&kics__control__v1__request__descriptor, body, len,
	    reason, sizeof(reason)) == 0)
		req->msg = kics__control__v1__request__unpack(NULL, len, body);
	else
		log_warnx("control: malformed request from '%s': %s", req->user,
		    reason);
	(void)evbuffer_drain(in, len);
	bufferevent_disable(bev, EV_READ);
	if (req->msg == NULL) {
		req->action = "unknown";
		control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_INVALID,
		    "undecodable request");
		return;
	}
	control_dispatch(req);
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_req *req = arg;

	(void)what;
	/* Gone or timed out: an action in progress finishes without it. */
	bufferevent_free(bev);
	req->bev = NULL;
	req->ctl->clients--;
	if (req->msg == NULL)
		control_req_free(req);
}

static void
control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control *c = arg;
	struct timeval tv = { LIMIT_CONTROL_TIMEOUT_S, 0 };
	struct control_req *req;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	(void)l;
	(void)sa;
	(void)salen;
	if (c->clients >= LIMIT_CONTROL_CLIENTS) {
		log_warnx("control: %zu clients already, closing a new one",
		    c->clients);
		(void)close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("control: SO_PEERCRED, closing");
		(void)close(fd);
		return;
	}
	req = xcalloc(1, sizeof(*req));
	req->ctl = c;
	req->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = req;
	c->reqs = req;
	req->action = "connect";
	control_identify(c, req, cred.uid);
	req->bev = bufferevent_socket_new(c->p.base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (req->bev == NULL)
		fatalx("control: bufferevent: out of memory");
	c->clients++;
	bufferevent_setcb(req->bev, control_read_cb, NULL, control_event_cb,
	    req);
	bufferevent_set_timeouts(req->bev, &tv, NULL);
	bufferevent_setwatermark(req->bev, EV_READ, 0,
	    LIMIT_CONTROL_REQUEST_BYTES + 8);
	if (bufferevent_enable(req->bev, EV_READ) < 0)
		fatalx("control: bufferevent_enable");
}

struct control *
control_new(const struct control_params *p, const struct engine_user *users,
    size_t n_users)
{
	struct control *c = xcalloc(1, sizeof(*c));
	struct sockaddr_un sun;
	size_t len;
	int fd;
	enum role role;

	c->p = *p;
	len = strlen(p->data_dir) + sizeof(CONTROL_SOCKET_NAME) + 1;
	c->path = xcalloc(1, len);
	(void)snprintf(c->path, len, "%s/%s", p->data_dir,
	    CONTROL_SOCKET_NAME);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->path) >= sizeof(sun.sun_path))
		fatalx("control socket path '%s' too long", c->path);
	memcpy(sun.sun_path, c->path, strlen(c->path) + 1);
	/* The pid file lock (or the listeners) keep a second daemon away. */
	(void)unlink(c->path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		fatal("control socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		fatal("control socket '%s'", c->path);
	if (chmod(c->path, 0660) < 0)
		fatal("chmod '%s'", c->path);
	c->listener = evconnlistener_new(p->base, control_accept_cb, c,
	    LEV_OPT_CLOSE_ON_FREE, LIMIT_CONTROL_CLIENTS, fd);
	if (c->listener == NULL)
		fatal("control socket '%s': listen", c->path);
	for (size_t i = 0; i < n_users; i++)
		if (role_parse(users[i].role, &role) == 0)
			control_user_set(c, users[i].name, role);
	log_info("control socket '%s'", c->path);
	return c;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	if (c->listener != NULL)
		evconnlistener_free(c->listener);
	/* Only after writer_free(): no task of these is in flight. */
	while (c->reqs != NULL)
		control_req_free(c->reqs);
	(void)unlink(c->path);
	for (size_t i = 0; i < c->n_users; i++)
		free(c->users[i].name);
	free(c->users);
	free(c->path);
	free(c);
}
