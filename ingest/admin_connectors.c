/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the handlers of the SIEM connector actions of the
 * control socket: add, edit and remove change the table on the writer
 * thread, then the forwarder reads it again; test sends one message from a
 * thread of the forwarder and answers when it is delivered or has failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "forward.h"
#include "ingest.h"
#include "kics_limits.h"
#include "log.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED
#define TOGGLE(x)	KICS__CONTROL__V1__TOGGLE__TOGGLE_##x

/* The state of every connector action. */
struct connector_task {
	struct admin_task t;
	struct engine_connector c;	/* the connector after the change */
	bool		have_ca;	/* edit: ca given ("-": removed) */
};

static void
connector_task_fini(struct admin_task *t)
{
	engine_connector_clear(&((struct connector_task *)t)->c);
}

/* Sets *to to a copy of s when s is given ("" is not). */
static void
connector_str(char **to, const char *s)
{
	if (s[0] == '\0')
		return;
	free(*to);
	*to = xstrdup(s);
}

/*
 * Applies the arguments given to c, checking each; what is not given
 * stays. Returns 0 or -EINVAL with the reason in t->message.
 */
static int
connector_apply(struct admin_task *t, struct engine_connector *c)
{
	const Kics__Control__V1__ConnectorArgs *a = t->req->msg->connector;
	const char *bad = NULL;

	if (strlen(a->address) >= LIMIT_SHORT_TEXT_LEN || a->port > 65535 ||
	    strlen(a->ca) >= LIMIT_CONF_PATH_LEN)
		bad = "address, port or ca too long";
	else if (a->transport[0] != '\0' &&
	    connector_transport_parse(a->transport, &c->transport) < 0)
		bad = "transport must be udp, tcp or tls";
	else if (a->format[0] != '\0' &&
	    connector_format_parse(a->format, &c->format) < 0)
		bad = "format must be rfc5424 or cef";
	else if (a->min_severity[0] != '\0' &&
	    connector_severity_parse(a->min_severity, &c->min_severity) < 0)
		bad = "min-severity must be info, warning or critical";
	else if (a->technologies[0] != '\0' && connector_technologies_parse(
	    a->technologies, &c->technologies) < 0)
		bad = "technologies must be epp, system or epp,system";
	if (bad != NULL) {
		(void)snprintf(t->message, sizeof(t->message), "%s", bad);
		return -EINVAL;
	}
	connector_str(&c->address, a->address);
	if (a->port != 0)
		c->port = (uint16_t)a->port;
	if (strcmp(a->ca, "-") == 0) {
		free(c->ca);
		c->ca = NULL;
	} else
		connector_str(&c->ca, a->ca);
	if (a->enabled != TOGGLE(UNCHANGED))
		c->enabled = a->enabled == TOGGLE(ON);
	return 0;
}

/* Checks what only the whole connector shows. */
static int
connector_check(struct admin_task *t, const struct engine_connector *c)
{
	if (c->address == NULL || c->address[0] == '\0' || c->port == 0)
		(void)snprintf(t->message, sizeof(t->message),
		    "an address and a port are required");
	else if (c->transport == CONNECTOR_TLS && c->ca == NULL)
		(void)snprintf(t->message, sizeof(t->message), "transport tls "
		    "needs --ca: the CA file that verifies the receiver");
	else if (c->transport != CONNECTOR_TLS && c->ca != NULL)
		(void)snprintf(t->message, sizeof(t->message), "--ca is only "
		    "for transport tls");
	else if (c->ca != NULL && c->ca[0] != '/')
		(void)snprintf(t->message, sizeof(t->message), "ca '%s' must "
		    "be an absolute path", c->ca);
	else if (c->ca != NULL && access(c->ca, R_OK) < 0)
		(void)snprintf(t->message, sizeof(t->message), "ca '%s': %s",
		    c->ca, strerror(errno));
	else
		return 0;
	return -EINVAL;
}

/* The name every action takes. */
static int
connector_name(struct admin_task *t)
{
	const Kics__Control__V1__ConnectorArgs *a = t->req->msg->connector;

	if (a == NULL || a->name[0] == '\0' ||
	    strlen(a->name) > LIMIT_CONF_NAME_LEN || !conf_name_valid(a->name)) {
		(void)snprintf(t->message, sizeof(t->message), "a connector "
		    "name of letters, digits, '.', '_' and '-' (at most %d "
		    "bytes) is required", LIMIT_CONF_NAME_LEN);
		return -EINVAL;
	}
	return 0;
}

/* Reads the connector of the request's name into x->c (writer). */
static int
connector_load(struct admin_task *t, struct engine *e,
    struct connector_task *x)
{
	const char *name = t->req->msg->connector->name;
	struct engine_connector *v = NULL;
	size_t n = 0;
	int r;

	if ((r = engine_connectors_list(e, name, &v, &n)) < 0) {
		(void)snprintf(t->message, sizeof(t->message), "%s",
		    engine_errmsg(e));
		return r;
	}
	if (n == 0) {
		(void)snprintf(t->message, sizeof(t->message), "no connector "
		    "'%s'", name);
		r = -ENOENT;
	} else {
		engine_connector_clear(&x->c);
		x->c = v[0];
		memset(&v[0], 0, sizeof(v[0]));
	}
	engine_connectors_free(v, n);
	return r;
}

/* Ends a writer step: a failure gets a message if it has none yet. */
static int
connector_run_end(struct admin_task *t, struct engine *e, int r)
{
	if (r == -EEXIST && t->message[0] == '\0')
		(void)snprintf(t->message, sizeof(t->message), "the name '%s' "
		    "is already a connector", t->req->msg->connector->name);
	else if (r < 0 && t->message[0] == '\0')
		(void)snprintf(t->message, sizeof(t->message), "%s%s%s",
		    strerror(-r), r == -EIO ? ": " : "",
		    r == -EIO ? engine_errmsg(e) : "");
	return r;
}

/* The answer of add, edit and remove: the forwarder follows the table. */
static void
connector_done(struct admin_task *t, const char *verb)
{
	struct connector_task *x = (struct connector_task *)t;

	if (t->r < 0) {
		control_finish(t->req, ST_FAILED, "%s", t->message);
		return;
	}
	forward_reload(control_params(t->req->ctl)->forward);
	control_finish(t->req, ST_OK, "connector %lld '%s' %s", (long long)
	    x->c.id, x->c.name, verb);
}

/* connector add ------------------------------------------------------------ */

static int
connector_add_prepare(struct admin_task *t)
{
	struct connector_task *x = (struct connector_task *)t;
	int r;

	if ((r = connector_name(t)) < 0)
		return r;
	x->c.name = xstrdup(t->req->msg->connector->name);
	x->c.transport = CONNECTOR_TCP;
	x->c.format = CONNECTOR_RFC5424;
	x->c.min_severity = 1;
	x->c.technologies = CONNECTOR_TECH_ALL;
	x->c.enabled = true;
	if ((r = connector_apply(t, &x->c)) < 0)
		return r;
	return connector_check(t, &x->c);
}

static int
connector_add_run(struct admin_task *t, struct engine *e)
{
	struct connector_task *x = (struct connector_task *)t;

	return connector_run_end(t, e, engine_connector_add(e, &x->c,
	    ingest_now_ms(), &x->c.id));
}

static void
connector_add_done(struct admin_task *t)
{
	connector_done(t, "added");
}

const struct admin_handler admin_connector_add = {
	.size = sizeof(struct connector_task),
	.prepare = connector_add_prepare,
	.run = connector_add_run,
	.done = connector_add_done,
	.fini = connector_task_fini,
};

/* connector edit ----------------------------------------------------------- */

static int
connector_edit_prepare(struct admin_task *t)
{
	struct engine_connector probe = { 0 };
	int r;

	/* the arguments alone: the row is read on the writer */
	if ((r = connector_name(t)) == 0)
		r = connector_apply(t, &probe);
	engine_connector_clear(&probe);
	return r;
}

static int
connector_edit_run(struct admin_task *t, struct engine *e)
{
	struct connector_task *x = (struct connector_task *)t;
	int r;

	if ((r = connector_load(t, e, x)) == 0 &&
	    (r = connector_apply(t, &x->c)) == 0 &&
	    (r = connector_check(t, &x->c)) == 0)
		r = engine_connector_update(e, &x->c, ingest_now_ms());
	return connector_run_end(t, e, r);
}

static void
connector_edit_done(struct admin_task *t)
{
	connector_done(t, "changed");
}

const struct admin_handler admin_connector_edit = {
	.size = sizeof(struct connector_task),
	.prepare = connector_edit_prepare,
	.run = connector_edit_run,
	.done = connector_edit_done,
	.fini = connector_task_fini,
};

/* connector remove --------------------------------------------------------- */

static int
connector_remove_run(struct admin_task *t, struct engine *e)
{
	struct connector_task *x = (struct connector_task *)t;
	int r;

	if ((r = connector_load(t, e, x)) == 0)
		r = engine_connector_remove(e, &x->c, ingest_now_ms());
	return connector_run_end(t, e, r);
}

static void
connector_remove_done(struct admin_task *t)
{
	connector_done(t, "removed");
}

const struct admin_handler admin_connector_remove = {
	.size = sizeof(struct connector_task),
	.prepare = connector_name,
	.run = connector_remove_run,
	.done = connector_remove_done,
	.fini = connector_task_fini,
};

/* connector test ----------------------------------------------------------- */

/* The outcome of a test, carried from its thread to the loop. */
struct connector_probe {
	struct control_req *req;
	struct event	*ev;
	int		r;
	char		message[CONTROL_MESSAGE_LEN];
};

/* On the loop: the test is over. */
static void
connector_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct connector_probe *p = arg;

	(void)fd;
	(void)what;
	control_finish(p->req, p->r == 0 ? ST_OK : ST_FAILED, "%s",
	    p->message);
	event_free(p->ev);
	free(p);
}

/* On the test thread: hand the outcome to the loop. */
static void
connector_probe_done(void *arg, int r, const char *message)
{
	struct connector_probe *p = arg;

	p->r = r;
	(void)snprintf(p->message, sizeof(p->message), "%s", message);
	event_active(p->ev, EV_READ, 0);
}

static int
connector_test_run(struct admin_task *t, struct engine *e)
{
	return connector_run_end(t, e, connector_load(t, e,
	    (struct connector_task *)t));
}

static void
connector_test_done(struct admin_task *t)
{
	struct connector_task *x = (struct connector_task *)t;
	const struct control_params *cp = control_params(t->req->ctl);
	struct connector_probe *p;
	int r;

	if (t->r < 0) {
		control_finish(t->req, ST_FAILED, "%s", t->message);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->req = t->req;
	if ((p->ev = event_new(cp->base, -1, 0, connector_probe_cb, p)) ==
	    NULL)
		fatalx("control: event_new");
	if ((r = forward_test(cp->forward, &x->c, connector_probe_done,
	    p)) < 0) {
		event_free(p->ev);
		free(p);
		control_finish(t->req, ST_FAILED, "cannot start the test: %s",
		    strerror(-r));
	}
}

const struct admin_handler admin_connector_test = {
	.size = sizeof(struct connector_task),
	.prepare = connector_name,
	.run = connector_test_run,
	.done = connector_test_done,
	.fini = connector_task_fini,
};
