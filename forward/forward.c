/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the forwarder thread: it keeps one link per connector
 * of the table, steps them in turn, publishes their progress to the writer
 * and runs the test messages of kics-query connector test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "forward-private.h"
#include "store_forward.h"
#include "version.h"

static void
link_free(struct forward_link *l)
{
	if (l == NULL)
		return;
	forward_conn_free(l->conn);
	engine_connector_clear(&l->c);
	free(l);
}

/* Whether a change from a to b needs a new connection. */
static bool
link_moved(const struct engine_connector *a, const struct engine_connector *b)
{
	return strcmp(a->address, b->address) != 0 || a->port != b->port ||
	    a->transport != b->transport || a->format != b->format ||
	    (a->ca == NULL) != (b->ca == NULL) ||
	    (a->ca != NULL && strcmp(a->ca, b->ca) != 0) ||
	    a->enabled != b->enabled;
}

/* The link of connector id among the current ones, taken out; or NULL. */
static struct forward_link *
link_take(struct forward *fw, int64_t id)
{
	struct forward_link *l;

	for (size_t i = 0; i < fw->n_links; i++) {
		if (fw->links[i] == NULL || fw->links[i]->c.id != id)
			continue;
		l = fw->links[i];
		fw->links[i] = NULL;
		return l;
	}
	return NULL;
}

/* A link for row c (ownership of its strings moves), old kept if same. */
static struct forward_link *
link_make(struct forward_link *old, struct engine_connector *c, int64_t cursor)
{
	struct forward_link *l = old;

	if (l == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			return NULL;
		l->sent = l->confirmed = l->published = cursor;
		(void)snprintf(l->state, sizeof(l->state), "starting");
		l->dirty = true;
	} else if (link_moved(&l->c, c)) {
		/* a new receiver: resend from what is confirmed */
		forward_conn_free(l->conn);
		l->conn = NULL;
		l->n_ring = l->head = 0;
		l->sent = l->confirmed;
		l->retry_at_ms = 0;
		l->down = false;
		(void)snprintf(l->state, sizeof(l->state), "starting");
		l->last_error[0] = '\0';
		l->dirty = true;
	}
	engine_connector_clear(&l->c);
	l->c = *c;
	memset(c, 0, sizeof(*c));
	return l;
}

/* Reads the connectors table again and matches links to its rows. */
static int
forward_load(struct forward *fw)
{
	struct engine_connector *v = NULL;
	struct forward_link **links;
	int64_t *cur = NULL;
	size_t n = 0;
	int r;

	if ((r = store_reader_connectors(fw->reader, &v, &cur, &n)) < 0)
		return r;
	if ((links = calloc(n + 1, sizeof(*links))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		links[i] = link_make(link_take(fw, v[i].id), &v[i], cur[i]);
		if (links[i] == NULL) {
			r = -ENOMEM;
			break;
		}
	}
	for (size_t i = 0; i < fw->n_links; i++)
		link_free(fw->links[i]);
	free(fw->links);
	fw->links = links;
	fw->n_links = n;
out:
	engine_connectors_free(v, n);
	free(cur);
	return r;
}

/* Hands the progress of every dirty link to the writer. */
static void
forward_publish(struct forward *fw, bool force)
{
	struct engine_connector_progress *v;
	const char **names;
	size_t n = 0;
	int64_t now = clock_mono_ms();

	if (!force && now < fw->next_publish_ms)
		return;
	fw->next_publish_ms = now + FORWARD_PUBLISH_MS;
	v = calloc(fw->n_links + 1, sizeof(*v));
	names = calloc(fw->n_links + 1, sizeof(*names));
	for (size_t i = 0; v != NULL && names != NULL && i < fw->n_links;
	    i++) {
		struct forward_link *l = fw->links[i];

		if (!l->dirty && l->confirmed == l->published)
			continue;
		v[n].id = l->c.id;
		v[n].cursor = l->confirmed;
		v[n].delivered = l->delivered;
		v[n].trimmed = l->trimmed;
		v[n].errors = l->errors;
		v[n].last_delivered_ms = l->last_delivered_ms;
		(void)snprintf(v[n].state, sizeof(v[n].state), "%s", l->state);
		(void)snprintf(v[n].last_error, sizeof(v[n].last_error), "%s",
		    l->last_error);
		v[n].failed = l->failed;
		v[n].recovered = l->recovered;
		names[n++] = l->c.name;
	}
	if (n > 0 && v != NULL && names != NULL &&
	    fw->p.publish(fw->p.publish_arg, v, names, n) == 0) {
		for (size_t i = 0; i < fw->n_links; i++) {
			struct forward_link *l = fw->links[i];

			l->published = l->confirmed;
			l->delivered = l->trimmed = l->errors = 0;
			l->last_delivered_ms = 0;
			l->failed = l->recovered = l->dirty = false;
		}
	}
	free(v);
	free(names);
}

/* At stop: waits a moment for the receivers to acknowledge everything. */
static void
forward_drain(struct forward *fw)
{
	int64_t until = clock_mono_ms() + FORWARD_DRAIN_MS;
	bool pending = true;

	while (pending && clock_mono_ms() < until) {
		pending = false;
		for (size_t i = 0; i < fw->n_links; i++) {
			link_confirm(fw->links[i], clock_mono_ms(), true);
			pending |= fw->links[i]->n_ring > 0;
		}
		if (pending)
			(void)usleep(10000);
	}
	/* the last progress must reach the writer, which may be busy */
	for (int i = 0; i < 100; i++) {
		forward_publish(fw, true);
		for (size_t j = 0; j < fw->n_links; j++)
			if (fw->links[j]->dirty ||
			    fw->links[j]->confirmed != fw->links[j]->published)
				goto again;
		return;
again:
		(void)usleep(10000);
	}
}

/* Sleeps up to ms unless stopped or asked to reload; returns stopping. */
static bool
forward_wait(struct forward *fw, int64_t ms, bool *ret_reload)
{
	struct timespec until;
	bool stop;

	(void)clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	(void)pthread_mutex_lock(&fw->mtx);
	if (ms > 0 && !fw->stopping && !fw->reload)
		(void)pthread_cond_timedwait(&fw->cond, &fw->mtx, &until);
	stop = fw->stopping;
	*ret_reload = fw->reload;
	fw->reload = false;
	(void)pthread_mutex_unlock(&fw->mtx);
	return stop;
}

static void *
forward_main(void *arg)
{
	struct forward *fw = arg;
	bool reload = false, busy = false;
	int64_t now;
	int n;

	while (!forward_wait(fw, busy ? 0 : FORWARD_IDLE_MS, &reload)) {
		/* a failed read is tried again at the next step */
		if (reload && forward_load(fw) < 0)
			forward_reload(fw);
		busy = false;
		now = clock_mono_ms();
		for (size_t i = 0; i < fw->n_links; i++) {
			n = link_step(fw, fw->links[i], now);
			busy |= n > 0;
		}
		forward_publish(fw, false);
	}
	forward_drain(fw);
	return NULL;
}

int
forward_new(const struct forward_params *p, char *err, size_t errlen,
    struct forward **ret_fwd)
{
	struct forward *fw;
	pthread_condattr_t ca;
	int r;

	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return -ENOMEM;
	fw->p = *p;
	strbuf_init(&fw->buf);
	strbuf_init(&fw->batch);
	(void)pthread_mutex_init(&fw->mtx, NULL);
	(void)pthread_condattr_init(&ca);
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void)pthread_cond_init(&fw->cond, &ca);
	(void)pthread_condattr_destroy(&ca);
	if (gethostname(fw->hostname, sizeof(fw->hostname)) < 0)
		fw->hostname[0] = '\0';
	fw->hostname[sizeof(fw->hostname) - 1] = '\0';
	fw->origin.hostname = fw->hostname;
	fw->origin.pid = (long)getpid();
	fw->origin.version = kics_version();
	if ((r = store_reader_open(p->db_path, err, errlen, &fw->reader)) < 0)
		goto out;
	if ((r = forward_load(fw)) < 0) {
		(void)snprintf(err, errlen, "cannot read the connectors: %s",
		    store_reader_errmsg(fw->reader));
		goto out;
	}
	if ((r = -pthread_create(&fw->thread, NULL, forward_main, fw)) < 0) {
		(void)snprintf(err, errlen, "cannot start the forwarder: %s",
		    strerror(-r));
		goto out;
	}
	fw->started = true;
	*ret_fwd = fw;
	fw = NULL;
out:
	forward_free(fw);
	return r;
}

void
forward_reload(struct forward *fw)
{
	(void)pthread_mutex_lock(&fw->mtx);
	fw->reload = true;
	(void)pthread_cond_broadcast(&fw->cond);
	(void)pthread_mutex_unlock(&fw->mtx);
}

void
forward_stop(struct forward *fw)
{
	if (fw == NULL || !fw->started)
		return;
	(void)pthread_mutex_lock(&fw->mtx);
	fw->stopping = true;
	(void)pthread_cond_broadcast(&fw->cond);
	(void)pthread_mutex_unlock(&fw->mtx);
	(void)pthread_join(fw->thread, NULL);
	fw->started = false;
}

void
forward_free(struct forward *fw)
{
	if (fw == NULL)
		return;
	forward_stop(fw);
	(void)pthread_mutex_lock(&fw->mtx);
	while (fw->tests > 0)
		(void)pthread_cond_wait(&fw->cond, &fw->mtx);
	(void)pthread_mutex_unlock(&fw->mtx);
	for (size_t i = 0; i < fw->n_links; i++)
		link_free(fw->links[i]);
	free(fw->links);
	store_reader_free(fw->reader);
	strbuf_fini(&fw->buf);
	strbuf_fini(&fw->batch);
	(void)pthread_cond_destroy(&fw->cond);
	(void)pthread_mutex_destroy(&fw->mtx);
	free(fw);
}
