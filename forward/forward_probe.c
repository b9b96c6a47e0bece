/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query connector test: one test message sent to a
 * connector from a short thread of its own, so that neither the daemon's
 * loop nor the forwarder waits for a receiver that does not answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "forward-private.h"

#define PROBE_ACK_MS	3000	/* for the receiver's acknowledgement */

struct forward_probe {
	struct forward	*fw;
	struct engine_connector c;
	forward_test_fn	*done;
	void		*arg;
};

/* Waits until the receiver acknowledged everything written. */
static int
probe_acked(struct forward_conn *fc)
{
	int64_t until = clock_mono_ms() + PROBE_ACK_MS;
	uint64_t acked, mark;
	int r;

	while ((r = forward_conn_acked(fc, &acked, &mark)) == 0 &&
	    acked < mark) {
		if (clock_mono_ms() > until)
			return -ETIMEDOUT;
		(void)usleep(5000);
	}
	return r;
}

static int
probe_run(struct forward_probe *p, char *msg, size_t len)
{
	struct engine_fwd_event ev = {
		.occurred_at_ms = clock_wall_ms(),
		.code = 0,
		.severity = 1,
		.title = "kics-epp connector test",
		.description = "",
		.technology = "system",
		.category = "connector_test",
		.ip = "", .mac = "", .hostname = "", .tags = "",
	};
	struct forward_conn *fc = NULL;
	struct strbuf b;
	char err[256] = "";
	int r;

	strbuf_init(&b);
	if ((r = forward_conn_open(&p->c, FORWARD_CONNECT_MS, err,
	    sizeof(err), &fc)) < 0)
		goto out;
	if ((r = forward_format(&b, p->c.format, &p->fw->origin, &ev)) < 0 ||
	    (r = forward_conn_send(fc, strbuf_str(&b), b.len, err,
	    sizeof(err))) < 0)
		goto out;
	if ((r = probe_acked(fc)) < 0)
		(void)snprintf(err, sizeof(err), "written, but %s %s port %u "
		    "did not acknowledge it", connector_transport_name(
		    p->c.transport), p->c.address, p->c.port);
out:
	if (r == 0)
		(void)snprintf(msg, len, "test message %s to %s %s port %u",
		    p->c.transport == CONNECTOR_UDP ? "sent" : "delivered",
		    connector_transport_name(p->c.transport), p->c.address,
		    p->c.port);
	else
		(void)snprintf(msg, len, "not delivered: %s", err[0] != '\0' ?
		    err : strerror(-r));
	forward_conn_free(fc);
	strbuf_fini(&b);
	return r;
}

static void *
probe_main(void *arg)
{
	struct forward_probe *p = arg;
	struct forward *fw = p->fw;
	char msg[512];
	int r;

	r = probe_run(p, msg, sizeof(msg));
	p->done(p->arg, r, msg);
	engine_connector_clear(&p->c);
	free(p);
	(void)pthread_mutex_lock(&fw->mtx);
	fw->tests--;
	(void)pthread_cond_broadcast(&fw->cond);
	(void)pthread_mutex_unlock(&fw->mtx);
	return NULL;
}

int
forward_test(struct forward *fw, const struct engine_connector *c,
    forward_test_fn *done, void *arg)
{
	struct forward_probe *p;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->fw = fw;
	p->done = done;
	p->arg = arg;
	if ((r = engine_connector_copy(&p->c, c)) < 0) {
		free(p);
		return r;
	}
	(void)pthread_mutex_lock(&fw->mtx);
	fw->tests++;
	(void)pthread_mutex_unlock(&fw->mtx);
	(void)pthread_attr_init(&attr);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&t, &attr, probe_main, p);
	(void)pthread_attr_destroy(&attr);
	if (r < 0) {
		(void)pthread_mutex_lock(&fw->mtx);
		fw->tests--;
		(void)pthread_mutex_unlock(&fw->mtx);
		engine_connector_clear(&p->c);
		free(p);
	}
	return r;
}
