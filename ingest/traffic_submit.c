/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the one place where monitoring-point traffic reaches
 * the engine: a batch becomes a writer task, so that the writer stays the
 * only thread that writes the database and agents' reports go on between
 * batches. When sources share one intake, this is the call that moves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "ingest.h"
#include "capture.h"

/* One batch on its way through the writer. */
struct traffic_task {
	struct writer_task task;	/* first: the writer hands it back */
	struct traffic_batch *batch;	/* owned */
	struct traffic_sink sink;
};

/* Writer thread. */
static void
traffic_task_run(struct writer_task *wt, struct engine *e)
{
	struct traffic_task *t = (struct traffic_task *)wt;
	struct traffic_result res = { 0 };
	int r;

	r = engine_traffic_apply(e, t->batch, clock_wall_ms(), &res);
	if (r < 0)
		log_warnx("traffic of monitoring point '%s': %zu flows not "
		    "stored: %s (%s)", t->batch->point, t->batch->n_flows,
		    strerror(-r), engine_errmsg(e));
	if (t->sink.applied != NULL)
		t->sink.applied(t->sink.ctx, &res, r);
	traffic_batch_free(t->batch);
	t->batch = NULL;
}

/* Loop thread. */
static void
traffic_task_done(struct writer_task *wt)
{
	struct traffic_task *t = (struct traffic_task *)wt;

	traffic_batch_free(t->batch);
	free(t);
}

int
traffic_submit(struct writer *w, struct traffic_batch *b,
    const struct traffic_sink *sink)
{
	struct traffic_task *t = xcalloc(1, sizeof(*t));
	int r;

	t->task.run = traffic_task_run;
	t->task.done = traffic_task_done;
	t->batch = b;
	if (sink != NULL)
		t->sink = *sink;
	if ((r = writer_run_task(w, &t->task)) < 0)
		traffic_task_done(&t->task);
	return r;
}

/* "no traffic" for one point, on its way through the writer. */
struct silence_task {
	struct writer_task task;
	char		point[TRAFFIC_POINT_LEN];
	uint32_t	after_s;
	int64_t		since_ms;
};

static void
silence_run(struct writer_task *wt, struct engine *e)
{
	struct silence_task *t = (struct silence_task *)wt;
	int r;

	if ((r = engine_traffic_silence(e, t->point, t->after_s, t->since_ms,
	    clock_wall_ms())) < 0)
		log_warnx("cannot register no traffic at monitoring point "
		    "'%s': %s (%s), ignoring", t->point, strerror(-r),
		    engine_errmsg(e));
}

static void
silence_done(struct writer_task *wt)
{
	free(wt);
}

int
traffic_submit_silence(struct writer *w, const char *point, uint32_t after_s,
    int64_t since_ms)
{
	struct silence_task *t = xcalloc(1, sizeof(*t));
	int r;

	t->task.run = silence_run;
	t->task.done = silence_done;
	(void)snprintf(t->point, sizeof(t->point), "%s", point);
	t->after_s = after_s;
	t->since_ms = since_ms;
	if ((r = writer_run_task(w, &t->task)) < 0)
		free(t);
	return r;
}
