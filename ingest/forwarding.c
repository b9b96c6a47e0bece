/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the daemon's side of SIEM forwarding: the configured
 * connectors stored at first start, and the forwarder (forward/) wired to
 * the writer, which saves the cursors and states it publishes. The
 * forwarder itself only reads the database, so the writer stays its one
 * writer; a cursor reaches the database at most FORWARD_PUBLISH_MS after
 * the forwarder confirmed it. It reads no event above the highest one on
 * disk (writer_events_durable()).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "ingest.h"
#include "log.h"

struct forwarding {
	struct writer	*writer;
	struct forward	*forward;
	atomic_bool	busy;		/* a progress task is queued */
};

/* The forwarder's progress on its way to the writer. */
struct forwarding_task {
	struct writer_task task;	/* first */
	struct forwarding *fwd;
	struct engine_connector_progress *v;
	char		**names;
	size_t		n;
};

static void
forwarding_task_free(struct forwarding_task *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->v);
	free(t);
}

/* On the writer: save it. */
static void
forwarding_task_run(struct writer_task *wt, struct engine *e)
{
	struct forwarding_task *t = (struct forwarding_task *)wt;
	int r;

	r = engine_connector_progress(e, t->v, (const char *const *)t->names,
	    t->n, ingest_now_ms());
	if (r < 0)
		log_warnx("forwarder: cursors not saved: %s (%s); they are "
		    "saved with the next progress", strerror(-r),
		    engine_errmsg(e));
	atomic_store(&t->fwd->busy, false);
}

static void
forwarding_task_done(struct writer_task *wt)
{
	forwarding_task_free((struct forwarding_task *)wt);
}

/* forward_publish_fn: copies the progress into a writer task. */
static int
forwarding_publish(void *arg, const struct engine_connector_progress *v,
    const char *const *names, size_t n)
{
	struct forwarding *fwd = arg;
	struct forwarding_task *t;

	if (atomic_exchange(&fwd->busy, true))
		return -EAGAIN;
	t = xcalloc(1, sizeof(*t));
	t->fwd = fwd;
	t->v = xcalloc(n, sizeof(*v));
	t->names = xcalloc(n, sizeof(*t->names));
	memcpy(t->v, v, n * sizeof(*v));
	t->n = n;
	for (size_t i = 0; i < n; i++)
		t->names[i] = xstrdup(names[i]);
	t->task.run = forwarding_task_run;
	t->task.done = forwarding_task_done;
	if (writer_run_task(fwd->writer, &t->task) < 0) {
		forwarding_task_free(t);
		atomic_store(&fwd->busy, false);
		return -ESHUTDOWN;
	}
	return 0;
}

void
forwarding_seed(const struct conf *conf, struct engine *e)
{
	struct engine_connector *v;
	int r;

	v = xcalloc(conf->n_connectors + 1, sizeof(*v));
	for (size_t i = 0; i < conf->n_connectors; i++) {
		const struct conf_connector *c = &conf->connectors[i];

		v[i].name = c->name;
		v[i].address = c->address;
		v[i].port = c->port;
		v[i].transport = c->transport;
		v[i].ca = c->ca;
		v[i].format = c->format;
		v[i].min_severity = c->min_severity;
		v[i].technologies = c->technologies;
		v[i].enabled = c->enabled;
	}
	r = engine_connectors_seed(e, v, conf->n_connectors, ingest_now_ms());
	free(v);	/* the strings are the configuration's */
	if (r < 0)
		fatalx("cannot store the configured connectors: %s",
		    engine_errmsg(e));
	if (r > 0)
		log_info("stored %d connector(s) from the configuration", r);
}

/* The forwarder sends no event a crash could take back. */
static int64_t
forwarding_durable(void *arg)
{
	return writer_events_durable(arg);
}

struct forwarding *
forwarding_new(struct writer *w, const char *db_path)
{
	struct forwarding *fwd = xcalloc(1, sizeof(*fwd));
	struct forward_params p = {
		.db_path = db_path,
		.publish = forwarding_publish,
		.publish_arg = fwd,
		.durable = forwarding_durable,
		.durable_arg = w,
	};
	char err[512] = "";
	int r;

	fwd->writer = w;
	atomic_init(&fwd->busy, false);
	if ((r = forward_new(&p, err, sizeof(err), &fwd->forward)) < 0)
		fatalx("cannot start SIEM forwarding: %s", err[0] != '\0' ?
		    err : strerror(-r));
	return fwd;
}

struct forward *
forwarding_forward(struct forwarding *fwd)
{
	return fwd->forward;
}

void
forwarding_stop(struct forwarding *fwd)
{
	if (fwd != NULL)
		forward_stop(fwd->forward);
}

void
forwarding_free(struct forwarding *fwd)
{
	if (fwd == NULL)
		return;
	forward_free(fwd->forward);
	free(fwd);
}
