/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the daemon's certificate watch: at start and every
 * few hours, on the writer thread (where the PKI lives after start-up),
 * server certificates with fewer than 30 days left are renewed and
 * recorded, and a certificate that is still close to expiry (the CA, or a
 * server certificate that could not be renewed) registers a warning event
 * once a day. The CRL is re-signed when less than half of its 30 days is
 * left (pki_crl_refresh()), and one that could not be re-signed and is
 * within a week of its nextUpdate registers the same warning, since from
 * then on every client certificate would be refused. Renewed certificates
 * and a re-signed CRL reach the listeners through a TLS reload on the loop
 * thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine.h"
#include "event_types.h"
#include "ingest.h"
#include "log.h"
#include "pki.h"
#include "tls.h"

#define CERTCHECK_PERIOD_S	(6 * 3600)	/* between two checks */
#define CERTCHECK_WINDOW_MS	(30LL * 86400000)	/* DESIGN.md: 30 days */
#define CERTCHECK_WARN_EVERY_MS	86400000LL	/* one warning a day */
#define CERTCHECK_HOST_LEN	256		/* gethostname() buffer */
#define CERTCHECK_CRL_WARN_MS	(7LL * 86400000)	/* CRL near its end */

struct certcheck {
	struct writer_task task;	/* first: the task is the check */
	struct event	*timer;
	struct writer	*writer;
	struct http	*http;
	struct pki	*pki;		/* writer thread only */
	bool		running;	/* task queued, not done */
	bool		renewed;	/* a certificate changed: reload TLS */
	int64_t		ca_warned_ms;	/* last CA warning */
	int64_t		server_warned_ms;	/* last server warning */
	int64_t		crl_warned_ms;	/* last CRL warning */
};

static void
certcheck_warn(struct engine *e, const char *what, int64_t not_after_ms,
    int64_t now_ms)
{
	char text[512];

	(void)snprintf(text, sizeof(text), "%s expires in %lld day(s)%s",
	    what, (long long)((not_after_ms - now_ms) / 86400000),
	    not_after_ms <= now_ms ? " (already expired)" : "");
	if (engine_system_event(e, EVENT_CERT_EXPIRING, 0, text, now_ms) < 0)
		log_warnx("cannot register '%s': %s, ignoring", text,
		    engine_errmsg(e));
	else
		log_warnx("%s", text);
}

/*
 * Revokes the certificates a renewal replaced, in the database and the
 * CRL; the TLS reload after the check makes the listeners use both.
 */
void
certcheck_revoke_replaced(struct pki *pki, struct engine *e,
    const struct engine_server *row, const char *keep_serial,
    int64_t now_ms)
{
	char **serials = NULL;
	size_t n = 0;

	if (engine_server_certs_revoke(e, row->id, keep_serial, now_ms,
	    &serials, &n) < 0) {
		log_warnx("server '%s': cannot revoke its old certificates: "
		    "%s, ignoring", row->name, engine_errmsg(e));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (pki_revoke(pki, serials[i], now_ms) < 0)
			log_warnx("server '%s': cannot revoke certificate %s: "
			    "%s, ignoring", row->name, serials[i],
			    tls_last_error());
	engine_strings_free(serials, n);
}

/* Renews what is due; returns whether a server certificate is still due. */
static bool
certcheck_servers(struct certcheck *c, struct engine *e, int64_t now_ms)
{
	struct engine_server *rows = NULL;
	char host[CERTCHECK_HOST_LEN];
	bool due = false;
	size_t n = 0;
	int r;

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (engine_servers_list(e, &rows, &n) < 0) {
		log_warnx("certificate check: %s, ignoring", engine_errmsg(e));
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		struct pki_cert_info info;

		if (!rows[i].enabled ||
		    rows[i].cert_not_after_ms - now_ms >= CERTCHECK_WINDOW_MS)
			continue;
		/* a certificate cannot outlive its CA: renewing one that
		   ends with the CA would only issue the same end again */
		if (rows[i].cert_not_after_ms >= pki_ca_not_after_ms(c->pki) -
		    86400000) {
			due = true;
			continue;
		}
		/* the same names as at start, so only expiry re-issues */
		r = pki_server_cert_ensure(c->pki, rows[i].id, rows[i].address,
		    host[0] != '\0' ? host : NULL, now_ms, &info);
		if (r < 0 && host[0] != '\0')
			r = pki_server_cert_ensure(c->pki, rows[i].id,
			    rows[i].address, NULL, now_ms, &info);
		if (r < 0) {
			log_warnx("server '%s': certificate renewal failed: "
			    "%s, ignoring", rows[i].name, tls_last_error());
			due = true;
			continue;
		}
		if (r == 1) {
			log_info("server '%s': certificate renewed, SHA-256 %s",
			    rows[i].name, info.sha256);
			c->renewed = true;
		}
		if (engine_server_set_cert(e, rows[i].id, info.serial,
		    info.sha256, info.not_after_ms, now_ms) < 0)
			log_warnx("server '%s': cannot record its certificate: "
			    "%s, ignoring", rows[i].name, engine_errmsg(e));
		else if (r == 1)
			certcheck_revoke_replaced(c->pki, e, &rows[i],
			    info.serial, now_ms);
		if (info.not_after_ms - now_ms < CERTCHECK_WINDOW_MS)
			due = true;
	}
	engine_servers_free(rows, n);
	return due;
}

/* Re-signs the CRL when due; warns when it still nears its nextUpdate. */
static void
certcheck_crl(struct certcheck *c, struct engine *e, int64_t now_ms)
{
	int64_t next;
	int r;

	if ((r = pki_crl_refresh(c->pki, now_ms)) < 0)
		log_warnx("cannot re-sign the CRL: %s, ignoring",
		    tls_last_error());
	else if (r == 1) {
		log_info("CRL re-signed");
		c->renewed = true;
	}
	next = pki_crl_next_update_ms(c->pki);
	if (next - now_ms < CERTCHECK_CRL_WARN_MS &&
	    now_ms - c->crl_warned_ms >= CERTCHECK_WARN_EVERY_MS) {
		certcheck_warn(e, "the revocation list (pki/crl.pem), without "
		    "which no client certificate is accepted,", next, now_ms);
		c->crl_warned_ms = now_ms;
	}
}

/* Writer thread. */
static void
certcheck_run(struct writer_task *t, struct engine *e)
{
	struct certcheck *c = (struct certcheck *)t;
	int64_t now = ingest_now_ms(), ca = pki_ca_not_after_ms(c->pki);

	certcheck_crl(c, e, now);
	if (certcheck_servers(c, e, now) &&
	    now - c->server_warned_ms >= CERTCHECK_WARN_EVERY_MS) {
		if (ca - now >= CERTCHECK_WINDOW_MS)
			certcheck_warn(e, "a server certificate that cannot be "
			    "renewed", ca, now);
		c->server_warned_ms = now;
	}
	/* the CA is not renewed automatically: every agent trusts it */
	if (ca - now < CERTCHECK_WINDOW_MS &&
	    now - c->ca_warned_ms >= CERTCHECK_WARN_EVERY_MS) {
		certcheck_warn(e, "the installation's CA certificate "
		    "(pki/ca.pem)", ca, now);
		c->ca_warned_ms = now;
	}
}

/* Loop thread. */
static void
certcheck_done(struct writer_task *t)
{
	struct certcheck *c = (struct certcheck *)t;

	c->running = false;
	if (c->renewed && c->http != NULL)
		(void)http_listener_tls_reload(c->http);
	c->renewed = false;
}

static void
certcheck_cb(evutil_socket_t fd, short what, void *arg)
{
	struct certcheck *c = arg;
	struct timeval tv = { CERTCHECK_PERIOD_S, 0 };

	(void)fd;
	(void)what;
	if (!c->running) {
		c->task.run = certcheck_run;
		c->task.done = certcheck_done;
		c->task.next = NULL;
		if (writer_run_task(c->writer, &c->task) == 0)
			c->running = true;
	}
	(void)evtimer_add(c->timer, &tv);
}

struct certcheck *
certcheck_new(struct event_base *base, struct writer *w, struct http *h,
    struct pki *pki)
{
	struct certcheck *c = xcalloc(1, sizeof(*c));

	c->writer = w;
	c->http = h;
	c->pki = pki;
	if ((c->timer = evtimer_new(base, certcheck_cb, c)) == NULL)
		fatalx("out of memory");
	certcheck_cb(-1, 0, c);	/* the first check at once */
	return c;
}

void
certcheck_free(struct certcheck *c)
{
	if (c == NULL)
		return;
	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
}
