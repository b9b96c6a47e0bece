/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains "kics-query traffic import FILE [--point NAME]"
 * (issue 13): the daemon opens a pcap or pcapng file itself, reads it into
 * a flow table and hands batches to the writer like a live capture, so
 * that agents' reports go on meanwhile. Nothing reaches the writer before
 * the file proved whole (a damaged file changes nothing): when the import
 * pass reaches the end of the file before it has a batch to hand over
 * (the flow table holds every flow of the file), that pass is the proof;
 * when a batch must go earlier, a check pass starts on a thread of its
 * own, reads the whole file, and the import waits for it once. The answer
 * counts packets, flows, devices and interactions added, and what was
 * skipped and why.
 *
 * THREAD SAFETY NOTES: the check thread owns the first pass's pcap handle
 * and writes error only when the file is damaged (read after it was
 * joined); the import thread owns the second pass's handle, its flow
 * table and whether the check started, and writes error itself only
 * when no check started; checked, in_flight and res are shared under
 * t->mtx.
 * The request is answered on the loop thread only: by the done() of a last
 * writer task queued behind every batch, or, when the writer stops first,
 * by traffic_imports_end().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "ingest.h"
#include "strbuf.h"
#include "capture.h"

#define IMPORT_POINT	"import"	/* point name when none is given */
#define IMPORT_BUF	((size_t)1 << 20)	/* bytes read at a time: stdio's
					   default 4 kB made a system call
					   per few dozen packets */

struct traffic_import {
	struct writer_task last;	/* first: answers on the loop */
	struct traffic	*t;
	struct control_req *req;
	char		path[PATH_MAX];
	char		point[TRAFFIC_POINT_LEN];
	pcap_t		*pcap;		/* the first pass's */
	char		*buf[2];	/* each pass's stdio buffer */
	bool		check_started;	/* the first pass runs or ran */
	bool		check_threaded;	/* on checker, to be joined */
	pthread_t	checker;
	struct traffic_counts counts;	/* the thread's, read after it */
	char		error[CONTROL_MESSAGE_LEN];	/* "": none */
	/* under t->mtx: */
	int		checked;	/* first pass: 0 running, 1 the file
					   is whole, -1 it is not */
	int		in_flight;
	struct traffic_result res;
	int		failed;		/* batches not stored */
	struct traffic_import *next;	/* t->imports when orphaned */
};

static void
import_applied(void *ctx, const struct traffic_result *res, int r)
{
	struct traffic_import *im = ctx;

	(void)pthread_mutex_lock(&im->t->mtx);
	im->in_flight--;
	if (r < 0)
		im->failed++;
	else if (res != NULL) {
		im->res.devices_added += res->devices_added;
		im->res.interactions_added += res->interactions_added;
		im->res.flows_applied += res->flows_applied;
		im->res.flows_skipped += res->flows_skipped;
	}
	(void)pthread_cond_broadcast(&im->t->cond);
	(void)pthread_mutex_unlock(&im->t->mtx);
}

static void import_check_start(struct traffic_import *im);

/* Hands b to the writer, waiting while too many batches wait there. */
static int
import_submit(struct traffic_import *im, struct traffic_batch *b)
{
	struct traffic_sink sink = { import_applied, im };
	struct traffic *t = im->t;

	if (b == NULL)
		return 0;
	import_check_start(im);
	(void)pthread_mutex_lock(&t->mtx);
	/* nothing reaches the database before the file proved whole */
	while (im->checked == 0 && !t->stopping)
		(void)pthread_cond_wait(&t->cond, &t->mtx);
	if (im->checked < 0) {
		(void)pthread_mutex_unlock(&t->mtx);
		traffic_batch_free(b);
		return -EINVAL;
	}
	while (im->in_flight >= TRAFFIC_IN_FLIGHT && !t->stopping)
		(void)pthread_cond_wait(&t->cond, &t->mtx);
	if (t->stopping) {
		(void)pthread_mutex_unlock(&t->mtx);
		traffic_batch_free(b);
		return -ESHUTDOWN;
	}
	im->in_flight++;
	(void)pthread_mutex_unlock(&t->mtx);
	if (traffic_submit(t->writer, b, &sink) < 0) {
		import_applied(im, NULL, -ESHUTDOWN);
		return -ESHUTDOWN;
	}
	return 0;
}

/* Whether the daemon stops (polled now and then by the first pass). */
static bool
import_stopping(struct traffic *t)
{
	bool stopping;

	(void)pthread_mutex_lock(&t->mtx);
	stopping = t->stopping;
	(void)pthread_mutex_unlock(&t->mtx);
	return stopping;
}

/* First pass: every record can be read. */
static int
import_check(struct traffic_import *im)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;
	int r;

	while ((r = pcap_next_ex(im->pcap, &h, &d)) == 1)
		if ((++n & 0xffff) == 0 && import_stopping(im->t))
			return -ESHUTDOWN;
	if (r == PCAP_ERROR_BREAK)
		return 0;
	(void)snprintf(im->error, sizeof(im->error), "'%.300s' is damaged after "
	    "%llu packets (%s); nothing imported", im->path,
	    (unsigned long long)n, pcap_geterr(im->pcap));
	return -EINVAL;
}

/*
 * The import pass read n packets of pc and then got rn from
 * pcap_next_ex(). Without a check pass it is the proof: the end of the
 * file makes the file whole, an error makes it damaged. 0 or -EINVAL.
 */
static int
import_read_end(struct traffic_import *im, pcap_t *pc, int rn, uint64_t n)
{
	int checked = rn == PCAP_ERROR_BREAK ? 1 : -1;

	if (im->check_started)
		return 0;
	if (checked < 0)
		(void)snprintf(im->error, sizeof(im->error), "'%.300s' is "
		    "damaged after %llu packets (%s); nothing imported",
		    im->path, (unsigned long long)n, pcap_geterr(pc));
	(void)pthread_mutex_lock(&im->t->mtx);
	im->checked = checked;
	(void)pthread_cond_broadcast(&im->t->cond);
	(void)pthread_mutex_unlock(&im->t->mtx);
	return checked < 0 ? -EINVAL : 0;
}

/* Second pass: the packets of pc into flows, flows to the writer. */
static int
import_read(struct traffic_import *im, pcap_t *pc)
{
	struct flow_table *ft = NULL;
	struct traffic_batch *b;
	struct pcap_pkthdr *h;
	struct pkt_ahead ahead;
	const u_char *d;
	int snap, rn = 1, r = 0;

	if ((ft = flow_table_new(im->t->max_flows, im->t->vendors,
	    im->point)) == NULL)
		fatalx("out of memory for the flow table of '%s'", im->path);
	snap = pcap_snapshot(pc);
	if (pkt_ahead_init(&ahead, ft, pcap_datalink(pc),
	    snap > 0 ? (size_t)snap : 0) < 0)
		fatalx("out of memory for reading '%s'", im->path);
	while (r == 0 && (rn = pcap_next_ex(pc, &h, &d)) == 1) {
		pkt_ahead_push(&ahead, d, h->caplen, h->len,
		    (int64_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000);
		while (r == 0 && flow_table_pending(ft) && (b =
		    flow_table_take(ft, false, INT64_MIN)) != NULL)
			r = import_submit(im, b);
	}
	pkt_ahead_drain(&ahead);
	pkt_ahead_fini(&ahead);
	if (r == 0)
		r = import_read_end(im, pc, rn, flow_table_counts(ft)->packets);
	while (r == 0 && (b = flow_table_take(ft, true, 0)) != NULL)
		r = import_submit(im, b);
	im->counts = *flow_table_counts(ft);
	flow_table_free(ft);
	return r;
}

/*
 * Opens im->path for pass (0 or 1) with a large stdio buffer, freed with
 * im. NULL with errno set when it cannot.
 */
static FILE *
import_fopen(struct traffic_import *im, int pass)
{
	FILE *f;

	if ((f = fopen(im->path, "rb")) == NULL)
		return NULL;
	if (im->buf[pass] == NULL)
		im->buf[pass] = malloc(IMPORT_BUF);
	/* without a buffer of its own, stdio's is used */
	if (im->buf[pass] != NULL)
		(void)setvbuf(f, im->buf[pass], _IOFBF, IMPORT_BUF);
	return f;
}

static void import_last_run(struct writer_task *wt, struct engine *e);
static void import_last_done(struct writer_task *wt);

/* The first pass, on a thread of its own; says how it ended. */
static void *
import_check_main(void *arg)
{
	struct traffic_import *im = arg;
	int r = import_check(im);

	(void)pthread_mutex_lock(&im->t->mtx);
	im->checked = r == 0 ? 1 : -1;
	(void)pthread_cond_broadcast(&im->t->cond);
	(void)pthread_mutex_unlock(&im->t->mtx);
	return NULL;
}

/* Starts the first pass unless it started or the import pass proved the
 * file whole; on this thread when no thread can start. */
static void
import_check_start(struct traffic_import *im)
{
	int checked;

	if (im->check_started)
		return;
	(void)pthread_mutex_lock(&im->t->mtx);
	checked = im->checked;
	(void)pthread_mutex_unlock(&im->t->mtx);
	if (checked != 0)
		return;
	im->check_started = true;
	im->check_threaded = pthread_create(&im->checker, NULL,
	    import_check_main, im) == 0;
	if (!im->check_threaded)
		(void)import_check_main(im);
}

/* The passes; im->error says why when the import failed. */
static void
import_passes(struct traffic_import *im)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = NULL;
	FILE *f;
	int r;

	if ((f = import_fopen(im, 1)) == NULL)
		(void)snprintf(err, sizeof(err), "%s", strerror(errno));
	else if ((pc = pcap_fopen_offline(f, err)) == NULL)
		(void)fclose(f);
	if (pc == NULL) {
		(void)snprintf(im->error, sizeof(im->error), "cannot read "
		    "'%.300s' again: %s", im->path, err);
		return;
	}
	r = import_read(im, pc);
	if (im->check_threaded)
		(void)pthread_join(im->checker, NULL);
	pcap_close(pc);
	/* the check thread's error, if any, is readable now */
	if (im->error[0] != '\0')
		return;
	if (im->checked < 0)
		(void)snprintf(im->error, sizeof(im->error), "the daemon is "
		    "stopping; nothing of '%.300s' was imported", im->path);
	else if (r == -ESHUTDOWN)
		(void)snprintf(im->error, sizeof(im->error), "the daemon is "
		    "stopping; '%.300s' was imported in part", im->path);
}

static void *
import_main(void *arg)
{
	struct traffic_import *im = arg;
	struct traffic *t = im->t;
	bool queued;

	import_passes(im);
	im->last.run = import_last_run;
	im->last.done = import_last_done;
	queued = writer_run_task(t->writer, &im->last) == 0;
	(void)pthread_mutex_lock(&t->mtx);
	if (!queued) {
		im->next = t->imports;
		t->imports = im;
	}
	t->n_imports--;
	(void)pthread_cond_broadcast(&t->cond);
	(void)pthread_mutex_unlock(&t->mtx);
	return NULL;
}

static void
import_last_run(struct writer_task *wt, struct engine *e)
{
	(void)wt;
	(void)e;
}

/* The answer: one line for people and a JSON object. */
static void
import_answer(struct traffic_import *im)
{
	const struct traffic_counts *c = &im->counts;
	struct strbuf j;
	int status = KICS__CONTROL__V1__STATUS__STATUS_OK;

	strbuf_init(&j);
	(void)strbuf_append(&j, "{\"file\":");
	(void)strbuf_json_string(&j, im->path);
	(void)strbuf_append(&j, ",\"point\":");
	(void)strbuf_json_string(&j, im->point);
	(void)strbuf_printf(&j, ",\"packets\":%llu,\"flows\":%llu,"
	    "\"devices_added\":%llu,\"interactions_added\":%llu,"
	    "\"arp_replies\":%llu,\"skipped\":{\"truncated\":%llu,"
	    "\"malformed\":%llu,\"not_flow\":%llu,\"unidirectional_flows\":"
	    "%llu,\"device_limit_flows\":%llu},\"flows_flushed_early\":%llu}",
	    (unsigned long long)c->packets, (unsigned long long)c->flows,
	    (unsigned long long)im->res.devices_added,
	    (unsigned long long)im->res.interactions_added,
	    (unsigned long long)c->arp_replies,
	    (unsigned long long)c->skipped[PKT_TRUNCATED],
	    (unsigned long long)c->skipped[PKT_MALFORMED],
	    (unsigned long long)c->skipped[PKT_OTHER],
	    (unsigned long long)c->unidirectional,
	    (unsigned long long)im->res.flows_skipped,
	    (unsigned long long)c->evicted);
	if (j.error == 0)
		im->req->json = xstrdup(strbuf_str(&j));
	strbuf_fini(&j);
	if (im->error[0] != '\0' || im->failed > 0) {
		status = KICS__CONTROL__V1__STATUS__STATUS_FAILED;
		control_finish(im->req, status, "%s", im->error[0] != '\0' ?
		    im->error : "the database refused part of the import "
		    "(see the daemon's log)");
		return;
	}
	control_finish(im->req, status, "imported '%s' at monitoring point "
	    "'%s': %llu packets, %llu flows, %llu devices and %llu "
	    "interactions added; skipped: %llu truncated, %llu malformed, "
	    "%llu not TCP/UDP/ICMP/ARP packets, %llu one-way flows",
	    im->path, im->point, (unsigned long long)c->packets,
	    (unsigned long long)c->flows,
	    (unsigned long long)im->res.devices_added,
	    (unsigned long long)im->res.interactions_added,
	    (unsigned long long)c->skipped[PKT_TRUNCATED],
	    (unsigned long long)c->skipped[PKT_MALFORMED],
	    (unsigned long long)c->skipped[PKT_OTHER],
	    (unsigned long long)c->unidirectional);
}

static void
import_free(struct traffic_import *im)
{
	if (im->pcap != NULL)
		pcap_close(im->pcap);
	free(im->buf[0]);
	free(im->buf[1]);
	free(im);
}

/* Loop thread, after every batch of the import was applied. */
static void
import_last_done(struct writer_task *wt)
{
	struct traffic_import *im = (struct traffic_import *)wt;

	import_answer(im);
	import_free(im);
}

void
traffic_imports_end(struct traffic *t)
{
	struct traffic_import *im;

	(void)pthread_mutex_lock(&t->mtx);
	while (t->n_imports > 0)
		(void)pthread_cond_wait(&t->cond, &t->mtx);
	while ((im = t->imports) != NULL) {
		t->imports = im->next;
		/* its batches still run on the writer */
		while (im->in_flight > 0)
			(void)pthread_cond_wait(&t->cond, &t->mtx);
		(void)pthread_mutex_unlock(&t->mtx);
		if (im->error[0] == '\0')
			(void)snprintf(im->error, sizeof(im->error), "the "
			    "daemon stopped during the import of '%.300s'",
			    im->path);
		import_answer(im);
		import_free(im);
		(void)pthread_mutex_lock(&t->mtx);
	}
	(void)pthread_mutex_unlock(&t->mtx);
}

/* Checks the arguments; answers and returns -EINVAL when they are bad. */
static int
import_args(struct control_req *req, struct traffic_import *im)
{
	const Kics__Control__V1__TrafficArgs *a = req->msg->traffic;
	const char *point = a != NULL && a->point[0] != '\0' ? a->point :
	    IMPORT_POINT;
	const int invalid = KICS__CONTROL__V1__STATUS__STATUS_INVALID;

	if (a == NULL || a->file[0] != '/') {
		control_finish(req, invalid, "traffic import needs the "
		    "absolute path of a pcap or pcapng file");
		return -EINVAL;
	}
	if (strlen(a->file) >= sizeof(im->path) ||
	    strlen(point) >= sizeof(im->point)) {
		control_finish(req, invalid, "file name or point name too "
		    "long");
		return -EINVAL;
	}
	for (const char *p = point; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-') || point[0] == '-') {
			control_finish(req, invalid, "monitoring point name "
			    "'%s' may only hold letters, digits, '.', '_' "
			    "and '-'", point);
			return -EINVAL;
		}
	(void)snprintf(im->path, sizeof(im->path), "%s", a->file);
	(void)snprintf(im->point, sizeof(im->point), "%s", point);
	return 0;
}

/* Opens im->path as the daemon; answers and returns <0 when it cannot. */
static int
import_open(struct control_req *req, struct traffic_import *im)
{
	const int failed = KICS__CONTROL__V1__STATUS__STATUS_FAILED;
	char err[PCAP_ERRBUF_SIZE] = "";
	FILE *f;

	if ((f = import_fopen(im, 0)) == NULL) {
		int e = errno;

		control_finish(req, failed, "cannot open '%s': %s", im->path,
		    strerror(e));
		return -e;
	}
	if ((im->pcap = pcap_fopen_offline(f, err)) == NULL) {
		(void)fclose(f);
		control_finish(req, failed, "'%s' is not a pcap or pcapng "
		    "file: %s", im->path, err);
		return -EINVAL;
	}
	return 0;
}

void
traffic_import_start(struct control_req *req)
{
	struct traffic *t = control_params(req->ctl)->traffic;
	struct traffic_import *im = xcalloc(1, sizeof(*im));
	pthread_attr_t attr;
	pthread_t thread;
	int r;

	im->t = t;
	im->req = req;
	if (import_args(req, im) < 0 || import_open(req, im) < 0) {
		import_free(im);
		return;
	}
	(void)pthread_mutex_lock(&t->mtx);
	t->n_imports++;
	(void)pthread_mutex_unlock(&t->mtx);
	(void)pthread_attr_init(&attr);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&thread, &attr, import_main, im);
	(void)pthread_attr_destroy(&attr);
	if (r != 0) {
		(void)pthread_mutex_lock(&t->mtx);
		t->n_imports--;
		(void)pthread_mutex_unlock(&t->mtx);
		control_finish(req, KICS__CONTROL__V1__STATUS__STATUS_FAILED,
		    "cannot start the import: %s", strerror(r));
		import_free(im);
	}
}
