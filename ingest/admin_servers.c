/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the administration of integration servers through the
 * control socket: add, edit, enable, disable and remove. The database and
 * the PKI are changed in a writer task; the listener is then started,
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
#include "log.h"
#include "tls.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED
#define ST_INVALID	KICS__CONTROL__V1__STATUS__STATUS_INVALID
#define A(x)		KICS__CONTROL__V1__ACTION__ACTION_SERVER_##x
#define TOGGLE(x)	KICS__CONTROL__V1__TOGGLE__TOGGLE_##x

/*
 * Whether address:port could be bound now: 0, -EADDRINUSE, or
 * -EADDRNOTAVAIL when the address is not on this host.
 */
static int
admin_probe_bind(const char *address, uint16_t port)
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
admin_certify(struct control_req *req, struct engine *e, int64_t id,
    const char *address)
{
	struct pki *pki = control_params(req->ctl)->pki;
	char host[256];
	int r;

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	r = pki_server_cert_ensure(pki, id, address, host[0] != '\0' ? host :
	    NULL, ingest_now_ms(), &req->cert);
	if (r < 0 && host[0] != '\0')
		r = pki_server_cert_ensure(pki, id, address, NULL,
		    ingest_now_ms(), &req->cert);
	if (r < 0) {
		(void)snprintf(req->message, sizeof(req->message),
		    "no server certificate: %s: %s", strerror(-r),
		    tls_last_error());
		return r;
	}
	if ((r = engine_server_set_cert(e, id, req->cert.serial,
	    req->cert.sha256, req->cert.not_after_ms, ingest_now_ms())) < 0)
		(void)snprintf(req->message, sizeof(req->message),
		    "cannot record the certificate: %s", engine_errmsg(e));
	return r;
}

/* Refuses what would clash with the other servers or the host. */
static int
admin_check_place(struct control_req *req, struct engine *e, int64_t self,
    bool probe)
{
	struct engine_server *v = NULL;
	size_t n = 0;
	int r;

	if ((r = engine_servers_list(e, &v, &n)) < 0) {
		(void)snprintf(req->message, sizeof(req->message),
		    "cannot read the servers: %s", engine_errmsg(e));
		return r;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		if (v[i].id == self)
			continue;
		if (strcmp(v[i].address, req->spec.address) == 0 &&
		    v[i].port == req->spec.port) {
			(void)snprintf(req->message, sizeof(req->message),
			    "%s port %u is already integration server %lld "
			    "'%s'", req->spec.address, req->spec.port,
			    (long long)v[i].id, v[i].name);
			r = -EEXIST;
		} else if (strcmp(v[i].name, req->spec.name) == 0) {
			(void)snprintf(req->message, sizeof(req->message),
			    "the name '%s' is already integration server "
			    "%lld", req->spec.name, (long long)v[i].id);
			r = -EEXIST;
		}
	}
	engine_servers_free(v, n);
	if (r < 0 || !probe)
		return r;
	r = admin_probe_bind(req->spec.address, req->spec.port);
	if (r == -EADDRINUSE)
		(void)snprintf(req->message, sizeof(req->message),
		    "port %u is already in use on %s", req->spec.port,
		    req->spec.address);
	else if (r == -EADDRNOTAVAIL)
		(void)snprintf(req->message, sizeof(req->message),
		    "address %s is not on this host", req->spec.address);
	else if (r < 0)
		(void)snprintf(req->message, sizeof(req->message),
		    "cannot bind %s port %u: %s", req->spec.address,
		    req->spec.port, strerror(-r));
	return r;
}

/*
 * Refuses to stop the last enabled server while agents are connected,
 * unless forced.
 */
static int
admin_check_last(struct control_req *req, struct engine *e)
{
	struct engine_server *v = NULL;
	size_t n = 0, others = 0;
	int64_t agents = 0;
	int r;

	if (!req->row.enabled || req->msg->server->force)
		return 0;
	if ((r = engine_servers_list(e, &v, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		others += v[i].enabled && v[i].id != req->id;
	engine_servers_free(v, n);
	if (others > 0)
		return 0;
	if ((r = engine_agents_connected(e, 0, ingest_now_ms(), &agents)) < 0)
		return r;
	if (agents == 0)
		return 0;
	(void)snprintf(req->message, sizeof(req->message), "server %lld is "
	    "the last enabled listener and %lld agent(s) are connected; "
	    "add --force to stop it anyway", (long long)req->id,
	    (long long)agents);
	return -EBUSY;
}

/*
 * After an address change: the server's earlier certificates name the old
 * address, so they are revoked in the database and in the CRL, all but
 * KEEP (the one just issued for the new address; NULL when none was).
 */
static int
admin_revoke_previous(struct control_req *req, struct engine *e,
    const char *keep)
{
	struct pki *pki = control_params(req->ctl)->pki;
	char **serials = NULL;
	size_t n = 0;
	int r;

	if ((r = engine_server_certs_revoke(e, req->id, keep, ingest_now_ms(),
	    &serials, &n)) < 0) {
		if (req->message[0] == '\0')
			(void)snprintf(req->message, sizeof(req->message),
			    "cannot revoke the earlier server certificate: "
			    "%s", engine_errmsg(e));
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		if (pki_revoke(pki, serials[i], ingest_now_ms()) < 0)
			log_warnx("server %lld: cannot revoke certificate "
			    "%s: %s, ignoring", (long long)req->id,
			    serials[i], tls_last_error());
		else
			req->tls_reload = true;
	}
	engine_strings_free(serials, n);
	return 0;
}

static void
admin_spec_set(struct control_req *req, const char *name,
    const char *address, uint16_t port, bool enabled, bool verify)
{
	free((char *)req->spec.name);
	free((char *)req->spec.address);
	req->spec.name = xstrdup(name);
	req->spec.address = xstrdup(address);
	req->spec.port = port;
	req->spec.enabled = enabled;
	req->spec.verify_client_cert = verify;
}

/* The writer step of every server action. */
static void
admin_server_run(struct writer_task *t, struct engine *e)
{
	struct control_req *req = (struct control_req *)t;
	const Kics__Control__V1__ServerArgs *a = req->msg->server;
	char text[1024];
	char **serials = NULL;
	size_t n = 0;
	bool moved;
	int r, rr;

	req->message[0] = '\0';
	if (req->msg->action == A(ADD)) {
		if ((r = admin_check_place(req, e, 0, true)) < 0)
			goto out;
		if ((r = engine_server_add(e, &req->spec, ingest_now_ms(),
		    &req->id)) < 0)
			goto out;
		(void)snprintf(req->target, sizeof(req->target),
		    "server %lld", (long long)req->id);
		r = admin_certify(req, e, req->id, req->spec.address);
		req->listen = r == 0;
		goto out;
	}
	if ((r = engine_server_get(e, req->id, &req->row)) < 0) {
		if (r == -ENOENT)
			(void)snprintf(req->message, sizeof(req->message),
			    "no integration server %lld", (long long)req->id);
		goto out;
	}
	admin_spec_set(req, req->row.name, req->row.address, req->row.port,
	    req->row.enabled, req->row.verify_client_cert);
	switch (req->msg->action) {
	case A(EDIT):
		admin_spec_set(req, a->name[0] != '\0' ? a->name :
		    req->row.name, a->address[0] != '\0' ? a->address :
		    req->row.address, a->port != 0 ? (uint16_t)a->port :
		    req->row.port, req->row.enabled,
		    a->verify_client_cert == TOGGLE(UNCHANGED) ?
		    req->row.verify_client_cert :
		    a->verify_client_cert == TOGGLE(ON));
		moved = strcmp(req->spec.address, req->row.address) != 0 ||
		    req->spec.port != req->row.port;
		if ((r = admin_check_place(req, e, req->id,
		    moved && req->row.enabled)) < 0)
			goto out;
		(void)snprintf(text, sizeof(text), "integration server %lld "
		    "changed: name '%s', %s port %u, client certificates %s "
		    "(was '%s', %s port %u, %s)", (long long)req->id,
		    req->spec.name, req->spec.address, req->spec.port,
		    req->spec.verify_client_cert ? "verified" : "not verified",
		    req->row.name, req->row.address, req->row.port,
		    req->row.verify_client_cert ? "verified" : "not verified");
		if ((r = engine_server_update(e, req->id, &req->spec, text,
		    ingest_now_ms())) < 0)
			goto out;
		if (req->row.enabled) {
			r = admin_certify(req, e, req->id, req->spec.address);
			req->stop = true;
			req->listen = r == 0;
		}
		/* Even when no new certificate could be issued. */
		if (strcmp(req->spec.address, req->row.address) != 0 &&
		    (rr = admin_revoke_previous(req, e, req->listen ?
		    req->cert.serial : NULL)) < 0 && r == 0)
			r = rr;
		break;
	case A(ENABLE):
		if (req->row.enabled)
			break;
		req->spec.enabled = true;
		if ((r = admin_check_place(req, e, req->id, true)) < 0)
			goto out;
		(void)snprintf(text, sizeof(text), "integration server %lld "
		    "'%s' enabled", (long long)req->id, req->row.name);
		if ((r = engine_server_update(e, req->id, &req->spec, text,
		    ingest_now_ms())) < 0)
			goto out;
		r = admin_certify(req, e, req->id, req->spec.address);
		req->listen = r == 0;
		break;
	case A(DISABLE):
		if (!req->row.enabled)
			break;
		if ((r = admin_check_last(req, e)) < 0)
			goto out;
		req->spec.enabled = false;
		(void)snprintf(text, sizeof(text), "integration server %lld "
		    "'%s' disabled", (long long)req->id, req->row.name);
		if ((r = engine_server_update(e, req->id, &req->spec, text,
		    ingest_now_ms())) < 0)
			goto out;
		req->stop = true;
		break;
	case A(REMOVE):
		if ((r = admin_check_last(req, e)) < 0)
			goto out;
		if ((r = engine_server_remove(e, req->id, ingest_now_ms(),
		    &serials, &n)) < 0)
			goto out;
		req->stop = true;
		for (size_t i = 0; i < n; i++) {
			if (pki_revoke(control_params(req->ctl)->pki,
			    serials[i], ingest_now_ms()) < 0)
				log_warnx("server %lld: cannot revoke "
				    "certificate %s: %s, ignoring",
				    (long long)req->id, serials[i],
				    tls_last_error());
			else
				req->tls_reload = true;
		}
		engine_strings_free(serials, n);
		/* A later server with this id must get a new certificate. */
		(void)snprintf(text, sizeof(text), "%s/pki/server-%lld.pem",
		    control_params(req->ctl)->data_dir, (long long)req->id);
		(void)unlink(text);
		(void)snprintf(text, sizeof(text), "%s/pki/server-%lld.key",
		    control_params(req->ctl)->data_dir, (long long)req->id);
		(void)unlink(text);
		break;
	default:
		r = -EINVAL;
		break;
	}
out:
	if (r < 0 && req->message[0] == '\0')
		(void)snprintf(req->message, sizeof(req->message), "%s%s%s",
		    strerror(-r), r == -EIO ? ": " : "",
		    r == -EIO ? engine_errmsg(e) : "");
	req->r = r;
}

/* The loop step: the listener follows the database. */
static void
admin_server_done(struct writer_task *t)
{
	struct control_req *req = (struct control_req *)t;
	const struct control_params *p = control_params(req->ctl);
	struct http_server_params hp = {
		.server_id = req->id,
		.name = req->spec.name,
		.address = req->spec.address,
		.port = req->spec.port,
		.cert_file = req->cert.cert_path,
		.key_file = req->cert.key_path,
		.ca_file = pki_ca_cert_path(p->pki),
		.crl_file = pki_crl_path(p->pki),
		.verify_client = req->spec.verify_client_cert,
	};
	int r;

	if (req->stop)
		(void)http_listener_stop(p->http, req->id);
	if (req->tls_reload)
		(void)http_listener_tls_reload(p->http);
	if (req->listen && (r = http_listen(p->http, &hp)) < 0) {
		control_finish(req, ST_FAILED, "server %lld stored, but its "
		    "listener did not start: %s", (long long)req->id,
		    strerror(-r));
		return;
	}
	if (req->r < 0) {
		control_finish(req, ST_FAILED, "%s", req->message);
		return;
	}
	switch (req->msg->action) {
	case A(ADD):
		req->json = xcalloc(1, 32);
		(void)snprintf(req->json, 32, "{\"id\":%lld}",
		    (long long)req->id);
		control_finish(req, ST_OK, "integration server %lld '%s' "
		    "added, listening on %s port %u", (long long)req->id,
		    req->spec.name, req->spec.address, req->spec.port);
		break;
	case A(REMOVE):
		control_finish(req, ST_OK, "integration server %lld removed",
		    (long long)req->id);
		break;
	default:
		control_finish(req, ST_OK, "integration server %lld: %s%s",
		    (long long)req->id, req->action + strlen("server "),
		    req->listen || req->stop ? "" : " (no change)");
		break;
	}
}

void
admin_server(struct control_req *req)
{
	const Kics__Control__V1__ServerArgs *a = req->msg->server;
	char addr[ADDR_TEXT_MAX], name[LIMIT_CONTROL_TEXT_LEN];

	if (a == NULL) {
		control_finish(req, ST_INVALID, "no server arguments");
		return;
	}
	if (strlen(a->name) > LIMIT_CONF_NAME_LEN ||
	    strlen(a->address) >= LIMIT_ADDRESS_TEXT_LEN || a->port > 65535) {
		control_finish(req, ST_INVALID, "name, address or port too "
		    "long");
		return;
	}
	addr[0] = '\0';
	if (a->address[0] != '\0' &&
	    addr_ip_normalize(a->address, addr, sizeof(addr)) < 0) {
		control_finish(req, ST_INVALID, "malformed IP address '%s'",
		    a->address);
		return;
	}
	if (req->msg->action == A(ADD)) {
		if (addr[0] == '\0' || a->port == 0) {
			control_finish(req, ST_INVALID, "an address and a "
			    "port are required");
			return;
		}
		if (a->name[0] != '\0')
			(void)snprintf(name, sizeof(name), "%s", a->name);
		else
			(void)snprintf(name, sizeof(name), "%s:%u", addr,
			    a->port);
		admin_spec_set(req, name, addr, (uint16_t)a->port, true,
		    a->verify_client_cert == TOGGLE(ON));
	} else if (a->id <= 0) {
		control_finish(req, ST_INVALID, "a server id is required");
		return;
	} else {
		req->id = a->id;
		if (addr[0] != '\0') {
			/* keep the canonical spelling for the edit */
			free(req->msg->server->address);
			req->msg->server->address = xstrdup(addr);
		}
	}
	control_submit(req, admin_server_run, admin_server_done);
}
