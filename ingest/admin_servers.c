/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the handlers of the integration server actions of the
 * control socket: add, edit, enable, disable and remove. Each changes the
 * database and the PKI on the writer thread; its listener is then started,
 * moved or stopped on the loop, so changes take effect without a restart.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "ingest.h"
#include "kics_limits.h"
#include "pki_udp.h"
#include "udp.h"
#include "log.h"
#include "tls.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED
#define TOGGLE(x)	KICS__CONTROL__V1__TOGGLE__TOGGLE_##x

#define SERVER_TEXT_LEN	1024	/* a description or a file name */

/* What every server action knows of its server and leaves for the loop. */
struct server_state {
	int64_t		id;		/* 0 until added */
	struct engine_server row;	/* before the change; strings owned */
	struct engine_server_spec spec;	/* after; strings owned */
	struct pki_cert_info cert;	/* the server certificate */
	bool		listen;		/* start the listener afterwards */
	bool		stop;		/* stop the listener afterwards */
	bool		tls_reload;	/* the CRL changed */
	bool		keys_reload;	/* UDP keys were removed */
};

/* The state of each action: the task, then its own fields. */
/*
 * The state of every server action: its server, and what only some of
 * them read (edit: the new address; disable and remove: force).
 */
struct server_task {
	struct admin_task t;
	struct server_state s;
	char		address[ADDR_TEXT_MAX];	/* edit: canonical, "" = keep */
	bool		force;		/* even the last one with agents */
};

static void
server_state_fini(struct server_state *s)
{
	engine_server_clear(&s->row);
	free((char *)s->spec.name);
	free((char *)s->spec.address);
}

static void
server_task_fini(struct admin_task *t)
{
	server_state_fini(&((struct server_task *)t)->s);
}

static void
server_spec_set(struct server_state *s, const char *name,
    const char *address, uint16_t port, bool enabled, bool verify)
{
	free((char *)s->spec.name);
	free((char *)s->spec.address);
	s->spec.name = xstrdup(name);
	s->spec.address = xstrdup(address);
	s->spec.port = port;
	s->spec.enabled = enabled;
	s->spec.verify_client_cert = verify;
}

/* The UDP part of s->spec (issue 14); udp_port 0 means port. */
static void
server_spec_udp(struct server_state *s, enum server_transport transport,
    uint16_t udp_port, bool encryption)
{
	s->spec.transport = transport;
	s->spec.udp_port = udp_port != 0 ? udp_port : s->spec.port;
	s->spec.udp_encryption = encryption;
}

/*
 * Whether address:port could be bound now: 0, -EADDRINUSE, or
 * -EADDRNOTAVAIL when the address is not on this host.
 */
static int
server_probe_bind(const char *address, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr *sa;
	socklen_t len;
	int fd, one = 1, r = 0;

	if (inet_pton(AF_INET, address, &sin.sin_addr) == 1) {
		sin.sin_port = htons(port);
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	} else if (inet_pton(AF_INET6, address, &sin6.sin6_addr) == 1) {
		sin6.sin6_port = htons(port);
		sa = (struct sockaddr *)&sin6;
		len = sizeof(sin6);
	} else
		return -EINVAL;
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	/* as evhttp does, so that TIME_WAIT does not count as in use */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0)
		r = -errno;
	(void)close(fd);
	return r;
}

int
admin_certify(struct admin_task *t, struct engine *e, int64_t id,
    const char *address, struct pki_cert_info *ret_cert)
{
	struct pki *pki = control_params(t->req->ctl)->pki;
	struct pki_cert_info cert;
	char host[256];
	int r;

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	r = pki_server_cert_ensure(pki, id, address, host[0] != '\0' ? host :
	    NULL, ingest_now_ms(), &cert);
	if (r < 0 && host[0] != '\0')
		r = pki_server_cert_ensure(pki, id, address, NULL,
		    ingest_now_ms(), &cert);
	if (r < 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "no server certificate: %s: %s", strerror(-r),
		    tls_last_error());
		return r;
	}
	if ((r = engine_server_set_cert(e, id, cert.serial, cert.sha256,
	    cert.not_after_ms, ingest_now_ms())) < 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "cannot record the certificate: %s", engine_errmsg(e));
		return r;
	}
	*ret_cert = cert;
	return 0;
}

/* Issues the certificate of s->spec; the listener starts when it could. */
static int
server_certify(struct admin_task *t, struct engine *e, struct server_state *s)
{
	int r = admin_certify(t, e, s->id, s->spec.address, &s->cert);

	s->listen = r == 0;
	return r;
}

/* Refuses what would clash with the other servers or the host. */
static int
server_check_place(struct admin_task *t, struct engine *e,
    const struct server_state *s, bool probe)
{
	const struct engine_server_spec *sp = &s->spec;
	struct engine_server *v = NULL;
	size_t n = 0;
	int r;

	if ((r = engine_servers_list(e, &v, &n)) < 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "cannot read the servers: %s", engine_errmsg(e));
		return r;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		if (v[i].id == s->id)
			continue;
		if (strcmp(v[i].address, sp->address) == 0 &&
		    v[i].port == sp->port) {
			(void)snprintf(t->message, sizeof(t->message),
			    "%s port %u is already integration server %lld "
			    "'%s'", sp->address, sp->port, (long long)v[i].id,
			    v[i].name);
			r = -EEXIST;
		} else if (strcmp(v[i].name, sp->name) == 0) {
			(void)snprintf(t->message, sizeof(t->message),
			    "the name '%s' is already integration server "
			    "%lld", sp->name, (long long)v[i].id);
			r = -EEXIST;
		}
	}
	engine_servers_free(v, n);
	if (r < 0 || !probe)
		return r;
	r = server_probe_bind(sp->address, sp->port);
	if (r == -EADDRINUSE)
		(void)snprintf(t->message, sizeof(t->message),
		    "port %u is already in use on %s", sp->port, sp->address);
	else if (r == -EADDRNOTAVAIL)
		(void)snprintf(t->message, sizeof(t->message),
		    "address %s is not on this host", sp->address);
	else if (r < 0)
		(void)snprintf(t->message, sizeof(t->message),
		    "cannot bind %s port %u: %s", sp->address, sp->port,
		    strerror(-r));
	return r;
}

/*
 * Refuses to stop the last enabled server while agents are connected,
 * unless forced.
 */
static int
server_check_last(struct admin_task *t, struct engine *e,
    const struct server_state *s, bool force)
{
	struct engine_server *v = NULL;
	size_t n = 0, others = 0;
	int64_t agents = 0;
	int r;

	if (!s->row.enabled || force)
		return 0;
	if ((r = engine_servers_list(e, &v, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		others += v[i].enabled && v[i].id != s->id;
	engine_servers_free(v, n);
	if (others > 0)
		return 0;
	if ((r = engine_agents_connected(e, 0, ingest_now_ms(), &agents)) < 0)
		return r;
	if (agents == 0)
		return 0;
	(void)snprintf(t->message, sizeof(t->message), "server %lld is "
	    "the last enabled listener and %lld agent(s) are connected; "
	    "add --force to stop it anyway", (long long)s->id,
	    (long long)agents);
	return -EBUSY;
}

/* Revokes serials in the CRL (the database has them revoked already). */
static void
server_revoke_serials(struct admin_task *t, struct server_state *s,
    char **serials, size_t n)
{
	struct pki *pki = control_params(t->req->ctl)->pki;

	for (size_t i = 0; i < n; i++) {
		if (pki_revoke(pki, serials[i], ingest_now_ms()) < 0)
			log_warnx("server %lld: cannot revoke certificate "
			    "%s: %s, ignoring", (long long)s->id, serials[i],
			    tls_last_error());
		else
			s->tls_reload = true;
	}
}

/*
 * After an address change: the server's earlier certificates name the old
 * address, so they are revoked in the database and in the CRL, all but
 * KEEP (the one just issued for the new address; NULL when none was).
 */
static int
server_revoke_previous(struct admin_task *t, struct engine *e,
    struct server_state *s, const char *keep)
{
	char **serials = NULL;
	size_t n = 0;
	int r;

	if ((r = engine_server_certs_revoke(e, s->id, keep, ingest_now_ms(),
	    &serials, &n)) < 0) {
		if (t->message[0] == '\0')
			(void)snprintf(t->message, sizeof(t->message),
			    "cannot revoke the earlier server certificate: "
			    "%s", engine_errmsg(e));
		return r;
	}
	server_revoke_serials(t, s, serials, n);
	engine_strings_free(serials, n);
	return 0;
}

/* Reads the row of s->id, which every action but add starts from. */
static int
server_load(struct admin_task *t, struct engine *e, struct server_state *s)
{
	int r;

	if ((r = engine_server_get(e, s->id, &s->row)) < 0) {
		if (r == -ENOENT)
			(void)snprintf(t->message, sizeof(t->message),
			    "no integration server %lld", (long long)s->id);
		return r;
	}
	server_spec_set(s, s->row.name, s->row.address, s->row.port,
	    s->row.enabled, s->row.verify_client_cert);
	server_spec_udp(s, s->row.transport, s->row.udp_port,
	    s->row.udp_encryption);
	return 0;
}

/* Ends a writer step: a failure gets a message if it has none yet. */
static int
server_run_end(struct admin_task *t, struct engine *e, int r)
{
	if (r < 0 && t->message[0] == '\0')
		(void)snprintf(t->message, sizeof(t->message), "%s%s%s",
		    strerror(-r), r == -EIO ? ": " : "",
		    r == -EIO ? engine_errmsg(e) : "");
	return r;
}

/* Records the change of the row to s->spec, described by text. */
static int
server_update(struct engine *e, struct server_state *s, const char *text)
{
	return engine_server_update(e, s->id, &s->spec, text,
	    ingest_now_ms());
}

/*
 * The loop step shared by all: the listener follows the database. Returns
 * false when it has answered the request itself (failure).
 */
static bool
server_follow(struct admin_task *t, const struct server_state *s)
{
	const struct control_params *p = control_params(t->req->ctl);
	struct http_server_params hp = {
		.server_id = s->id,
		.name = s->spec.name,
		.address = s->spec.address,
		.port = s->spec.port,
		.cert_file = s->cert.cert_path,
		.key_file = s->cert.key_path,
		.ca_file = pki_ca_cert_path(p->pki),
		.crl_file = pki_crl_path(p->pki),
		.verify_client = s->spec.verify_client_cert,
	};
	struct udp_server_params up = {
		.server_id = s->id,
		.name = s->spec.name,
		.address = s->spec.address,
		.port = s->spec.udp_port,
		.encryption = s->spec.udp_encryption,
	};
	int r;

	if (s->stop) {
		(void)http_listener_stop(p->http, s->id);
		if (p->udp != NULL)
			(void)udp_listener_stop(p->udp, s->id);
	}
	if (s->tls_reload)
		(void)http_listener_tls_reload(p->http);
	if (s->keys_reload && p->udp != NULL)
		udp_keys_reload(p->udp);
	if (s->listen && server_transport_https(s->spec.transport) &&
	    (r = http_listen(p->http, &hp)) < 0) {
		control_finish(t->req, ST_FAILED, "server %lld stored, but its "
		    "listener did not start: %s", (long long)s->id,
		    strerror(-r));
		return false;
	}
	if (s->listen && server_transport_udp(s->spec.transport) &&
	    p->udp != NULL && (r = udp_listen(p->udp, &up)) < 0) {
		control_finish(t->req, ST_FAILED, "server %lld stored, but it "
		    "cannot receive on UDP port %u: %s", (long long)s->id,
		    (unsigned)s->spec.udp_port, strerror(-r));
		return false;
	}
	if (t->r < 0) {
		control_finish(t->req, ST_FAILED, "%s", t->message);
		return false;
	}
	return true;
}

/* The answer of edit, enable and disable. */
static void
server_done_changed(struct admin_task *t, const struct server_state *s,
    const char *verb)
{
	if (!server_follow(t, s))
		return;
	control_finish(t->req, ST_OK, "integration server %lld: %s%s",
	    (long long)s->id, verb, s->listen || s->stop ? "" :
	    " (no change)");
}

/*
 * Checks the server arguments every action shares and writes the
 * canonical spelling of the address (or "") to addr.
 */
static int
server_args(struct admin_task *t, char addr[ADDR_TEXT_MAX])
{
	const Kics__Control__V1__ServerArgs *a = t->req->msg->server;

	if (a == NULL) {
		(void)snprintf(t->message, sizeof(t->message),
		    "no server arguments");
		return -EINVAL;
	}
	if (strlen(a->name) > LIMIT_CONF_NAME_LEN ||
	    strlen(a->address) >= LIMIT_ADDRESS_TEXT_LEN || a->port > 65535 ||
	    a->udp_port > 65535) {
		(void)snprintf(t->message, sizeof(t->message),
		    "name, address or port too long");
		return -EINVAL;
	}
	if (a->transport[0] != '\0' &&
	    server_transport_parse(a->transport, &(enum server_transport){
	    SERVER_TRANSPORT_HTTPS }) < 0) {
		(void)snprintf(t->message, sizeof(t->message), "transport "
		    "must be https, udp or both");
		return -EINVAL;
	}
	addr[0] = '\0';
	if (a->address[0] != '\0' &&
	    addr_ip_normalize(a->address, addr, ADDR_TEXT_MAX) < 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "malformed IP address '%s'", a->address);
		return -EINVAL;
	}
	return 0;
}

/* The transport of a (checked by server_args()), or dflt when none. */
static enum server_transport
server_args_transport(const Kics__Control__V1__ServerArgs *a,
    enum server_transport dflt)
{
	enum server_transport t = dflt;

	if (a->transport[0] != '\0')
		(void)server_transport_parse(a->transport, &t);
	return t;
}

/* server_args(), and the id of an existing server into s. */
static int
server_args_id(struct admin_task *t, struct server_state *s,
    char addr[ADDR_TEXT_MAX])
{
	int r;

	if ((r = server_args(t, addr)) < 0)
		return r;
	if (t->req->msg->server->id <= 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "a server id is required");
		return -EINVAL;
	}
	s->id = t->req->msg->server->id;
	return 0;
}

/* server add --------------------------------------------------------------- */

static int
server_add_prepare(struct admin_task *t)
{
	struct server_task *x = (struct server_task *)t;
	const Kics__Control__V1__ServerArgs *a = t->req->msg->server;
	char addr[ADDR_TEXT_MAX], name[LIMIT_CONTROL_TEXT_LEN];
	int r;

	if ((r = server_args(t, addr)) < 0)
		return r;
	if (addr[0] == '\0' || a->port == 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "an address and a port are required");
		return -EINVAL;
	}
	if (a->name[0] != '\0')
		(void)snprintf(name, sizeof(name), "%s", a->name);
	else
		(void)snprintf(name, sizeof(name), "%s:%u", addr, a->port);
	server_spec_set(&x->s, name, addr, (uint16_t)a->port, true,
	    a->verify_client_cert == TOGGLE(ON));
	server_spec_udp(&x->s, server_args_transport(a,
	    SERVER_TRANSPORT_HTTPS), (uint16_t)a->udp_port,
	    a->udp_encryption != TOGGLE(OFF));
	return 0;
}

static int
server_add_run(struct admin_task *t, struct engine *e)
{
	struct server_task *x = (struct server_task *)t;
	int r;

	if ((r = server_check_place(t, e, &x->s, true)) >= 0 &&
	    (r = engine_server_add(e, &x->s.spec, ingest_now_ms(),
	    &x->s.id)) >= 0)
		r = server_certify(t, e, &x->s);
	return server_run_end(t, e, r);
}

static void
server_add_done(struct admin_task *t)
{
	struct server_task *x = (struct server_task *)t;
	struct control_req *req = t->req;

	/* from now on the audit names the new server */
	if (x->s.id > 0)
		(void)snprintf(req->target, sizeof(req->target),
		    "server %lld", (long long)x->s.id);
	if (!server_follow(t, &x->s))
		return;
	req->json = xcalloc(1, 32);
	(void)snprintf(req->json, 32, "{\"id\":%lld}", (long long)x->s.id);
	control_finish(req, ST_OK, "integration server %lld '%s' added, "
	    "listening on %s port %u", (long long)x->s.id, x->s.spec.name,
	    x->s.spec.address, x->s.spec.port);
}

const struct admin_handler admin_server_add = {
	.size = sizeof(struct server_task),
	.prepare = server_add_prepare,
	.run = server_add_run,
	.done = server_add_done,
	.fini = server_task_fini,
};

/* server edit -------------------------------------------------------------- */

static int
server_edit_prepare(struct admin_task *t)
{
	struct server_task *x = (struct server_task *)t;

	return server_args_id(t, &x->s, x->address);
}

/* The row with the arguments given; what is not given stays. */
static void
server_edit_spec(struct server_task *x)
{
	const Kics__Control__V1__ServerArgs *a = x->t.req->msg->server;
	const struct engine_server *row = &x->s.row;

	server_spec_set(&x->s, a->name[0] != '\0' ? a->name : row->name,
	    x->address[0] != '\0' ? x->address : row->address,
	    a->port != 0 ? (uint16_t)a->port : row->port, row->enabled,
	    a->verify_client_cert == TOGGLE(UNCHANGED) ?
	    row->verify_client_cert : a->verify_client_cert == TOGGLE(ON));
	server_spec_udp(&x->s, server_args_transport(a, row->transport),
	    a->udp_port != 0 ? (uint16_t)a->udp_port : row->udp_port,
	    a->udp_encryption == TOGGLE(UNCHANGED) ? row->udp_encryption :
	    a->udp_encryption == TOGGLE(ON));
}

static int
server_edit_run(struct admin_task *t, struct engine *e)
{
	struct server_task *x = (struct server_task *)t;
	struct server_state *s = &x->s;
	char text[SERVER_TEXT_LEN];
	bool moved, readdressed;
	int r, rr;

	if ((r = server_load(t, e, s)) < 0)
		goto out;
	server_edit_spec(x);
	readdressed = strcmp(s->spec.address, s->row.address) != 0;
	moved = readdressed || s->spec.port != s->row.port;
	if ((r = server_check_place(t, e, s, moved && s->row.enabled)) < 0)
		goto out;
	(void)snprintf(text, sizeof(text), "integration server %lld "
	    "changed: name '%s', %s port %u, client certificates %s, %s "
	    "(UDP port %u%s) (was '%s', %s port %u, %s, %s (UDP port %u%s))",
	    (long long)s->id, s->spec.name,
	    s->spec.address, s->spec.port, s->spec.verify_client_cert ?
	    "verified" : "not verified",
	    server_transport_name(s->spec.transport), s->spec.udp_port,
	    s->spec.udp_encryption ? ", encrypted" : ", plain",
	    s->row.name, s->row.address,
	    s->row.port, s->row.verify_client_cert ? "verified" :
	    "not verified", server_transport_name(s->row.transport),
	    s->row.udp_port, s->row.udp_encryption ? ", encrypted" :
	    ", plain");
	if ((r = server_update(e, s, text)) < 0)
		goto out;
	if (s->row.enabled) {
		r = server_certify(t, e, s);
		s->stop = true;
	}
	/* Even when no new certificate could be issued. */
	if (readdressed && (rr = server_revoke_previous(t, e, s, s->listen ?
	    s->cert.serial : NULL)) < 0 && r == 0)
		r = rr;
out:
	return server_run_end(t, e, r);
}

static void
server_edit_done(struct admin_task *t)
{
	server_done_changed(t, &((struct server_task *)t)->s, "edit");
}

const struct admin_handler admin_server_edit = {
	.size = sizeof(struct server_task),
	.prepare = server_edit_prepare,
	.run = server_edit_run,
	.done = server_edit_done,
	.fini = server_task_fini,
};

/* server enable ------------------------------------------------------------ */

static int
server_enable_prepare(struct admin_task *t)
{
	char addr[ADDR_TEXT_MAX];

	return server_args_id(t, &((struct server_task *)t)->s, addr);
}

static int
server_enable_run(struct admin_task *t, struct engine *e)
{
	struct server_state *s = &((struct server_task *)t)->s;
	char text[SERVER_TEXT_LEN];
	int r;

	if ((r = server_load(t, e, s)) < 0 || s->row.enabled)
		goto out;
	s->spec.enabled = true;
	if ((r = server_check_place(t, e, s, true)) < 0)
		goto out;
	(void)snprintf(text, sizeof(text), "integration server %lld '%s' "
	    "enabled", (long long)s->id, s->row.name);
	if ((r = server_update(e, s, text)) < 0)
		goto out;
	r = server_certify(t, e, s);
out:
	return server_run_end(t, e, r);
}

static void
server_enable_done(struct admin_task *t)
{
	server_done_changed(t, &((struct server_task *)t)->s, "enable");
}

const struct admin_handler admin_server_enable = {
	.size = sizeof(struct server_task),
	.prepare = server_enable_prepare,
	.run = server_enable_run,
	.done = server_enable_done,
	.fini = server_task_fini,
};

/* server disable ----------------------------------------------------------- */

/* disable and remove: the server's id, and whether to force it */
static int
server_id_force_prepare(struct admin_task *t)
{
	struct server_task *x = (struct server_task *)t;
	char addr[ADDR_TEXT_MAX];
	int r;

	if ((r = server_args_id(t, &x->s, addr)) < 0)
		return r;
	x->force = t->req->msg->server->force;
	return 0;
}

static int
server_disable_run(struct admin_task *t, struct engine *e)
{
	struct server_task *x = (struct server_task *)t;
	struct server_state *s = &x->s;
	char text[SERVER_TEXT_LEN];
	int r;

	if ((r = server_load(t, e, s)) < 0 || !s->row.enabled)
		goto out;
	if ((r = server_check_last(t, e, s, x->force)) < 0)
		goto out;
	s->spec.enabled = false;
	(void)snprintf(text, sizeof(text), "integration server %lld '%s' "
	    "disabled", (long long)s->id, s->row.name);
	if ((r = server_update(e, s, text)) < 0)
		goto out;
	s->stop = true;
out:
	return server_run_end(t, e, r);
}

static void
server_disable_done(struct admin_task *t)
{
	server_done_changed(t, &((struct server_task *)t)->s, "disable");
}

const struct admin_handler admin_server_disable = {
	.size = sizeof(struct server_task),
	.prepare = server_id_force_prepare,
	.run = server_disable_run,
	.done = server_disable_done,
	.fini = server_task_fini,
};

/* server remove ------------------------------------------------------------ */


static int
server_remove_run(struct admin_task *t, struct engine *e)
{
	struct server_task *x = (struct server_task *)t;
	struct server_state *s = &x->s;
	const char *data_dir = control_params(t->req->ctl)->data_dir;
	char path[SERVER_TEXT_LEN];
	char **serials = NULL;
	size_t n = 0;
	int r;

	if ((r = server_load(t, e, s)) < 0 ||
	    (r = server_check_last(t, e, s, x->force)) < 0 ||
	    (r = engine_server_remove(e, s->id, ingest_now_ms(), &serials,
	    &n)) < 0)
		goto out;
	s->stop = true;
	server_revoke_serials(t, s, serials, n);
	engine_strings_free(serials, n);
	/* A later server with this id must get a new certificate. */
	(void)snprintf(path, sizeof(path), "%s/pki/server-%lld.pem",
	    data_dir, (long long)s->id);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/pki/server-%lld.key",
	    data_dir, (long long)s->id);
	(void)unlink(path);
	/* its UDP keys die with it, like its client certificates */
	(void)snprintf(path, sizeof(path), "%s/pki", data_dir);
	s->keys_reload = pki_udp_keys_prune(path, s->id, NULL, 0) > 0;
out:
	return server_run_end(t, e, r);
}

static void
server_remove_done(struct admin_task *t)
{
	struct server_task *x = (struct server_task *)t;

	if (!server_follow(t, &x->s))
		return;
	control_finish(t->req, ST_OK, "integration server %lld removed",
	    (long long)x->s.id);
}

const struct admin_handler admin_server_remove = {
	.size = sizeof(struct server_task),
	.prepare = server_id_force_prepare,
	.run = server_remove_run,
	.done = server_remove_done,
	.fini = server_task_fini,
};
