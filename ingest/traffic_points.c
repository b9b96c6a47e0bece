/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the daemon's monitoring points (issue 13): one
 * capture thread per configured point with libpcap, which parses frames
 * into its own bounded flow table and hands batches to the writer at least
 * every flush_interval_s, and registers "no traffic" once per silence.
 *
 * THREAD SAFETY NOTES: a capture thread owns its pcap handle and flow
 * table. It shares with the loop only t->stopping and its in_flight count,
 * both under t->mtx. It never waits for the writer: when
 * TRAFFIC_IN_FLIGHT of its batches wait there, it keeps counting into its
 * table (whose size is bounded) and hands over later.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "clock.h"
#include "conf.h"
#include "ingest.h"
#include "capture.h"

#define POINT_SNAPLEN		65535	/* whole frames: nDPI needs payload */
#define POINT_BUFFER_BYTES	(8 * 1024 * 1024)	/* kernel ring */
#define POINT_POLL_MS		200	/* how often stopping is looked at */
#define POINT_DISPATCH		512	/* packets per pcap_dispatch() */
#define POINT_IDLE_MIN_MS	60000	/* a flow this idle leaves the table */

struct traffic_point {
	struct traffic	*t;
	char		name[TRAFFIC_POINT_LEN];
	pcap_t		*pcap;
	int		linktype;
	pthread_t	thread;
	bool		started;
	int		in_flight;	/* under t->mtx */
	struct flow_table *flows;	/* the capture thread's */
};

static bool
traffic_stopping(struct traffic *t)
{
	bool s;

	(void)pthread_mutex_lock(&t->mtx);
	s = t->stopping;
	(void)pthread_mutex_unlock(&t->mtx);
	return s;
}

/* Writer thread: one batch of the point was applied. */
static void
point_applied(void *ctx, const struct traffic_result *res, int r)
{
	struct traffic_point *p = ctx;

	(void)res;
	(void)r;
	(void)pthread_mutex_lock(&p->t->mtx);
	p->in_flight--;
	(void)pthread_cond_broadcast(&p->t->cond);
	(void)pthread_mutex_unlock(&p->t->mtx);
}

/*
 * Hands what the table has over, batch by batch, until too much waits at
 * the writer (the rest stays counted in the table for the next round).
 */
static void
point_flush(struct traffic_point *p, bool all)
{
	struct traffic_sink sink = { point_applied, p };
	struct traffic_batch *b;
	int64_t idle = (int64_t)p->t->flush_interval_s * 2000;

	for (;;) {
		(void)pthread_mutex_lock(&p->t->mtx);
		if (p->in_flight >= TRAFFIC_IN_FLIGHT && !all) {
			(void)pthread_mutex_unlock(&p->t->mtx);
			return;
		}
		p->in_flight++;
		(void)pthread_mutex_unlock(&p->t->mtx);
		b = flow_table_take(p->flows, all, clock_wall_ms() -
		    (idle > POINT_IDLE_MIN_MS ? idle : POINT_IDLE_MIN_MS));
		if (b == NULL || traffic_submit(p->t->writer, b, &sink) < 0) {
			point_applied(p, NULL, 0);
			return;
		}
	}
}

static void
point_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct traffic_point *p = (struct traffic_point *)(void *)arg;
	struct pkt pk;
	enum pkt_kind k;

	k = pkt_parse(p->linktype, bytes, h->caplen, &pk);
	pk.ts_ms = (int64_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000;
	pk.wire_len = h->len;
	flow_table_packet(p->flows, k, &pk);
}

static void *
point_main(void *arg)
{
	struct traffic_point *p = arg;
	struct traffic *t = p->t;
	struct pollfd pfd = { .fd = pcap_get_selectable_fd(p->pcap),
	    .events = POLLIN };
	int64_t now = clock_mono_ms(), flushed = now, heard = now;
	int64_t last_wall = 0;
	bool silent = false;
	int n;

	while (!traffic_stopping(t)) {
		(void)poll(&pfd, 1, POINT_POLL_MS);
		n = pcap_dispatch(p->pcap, POINT_DISPATCH, point_packet,
		    (u_char *)p);
		now = clock_mono_ms();
		if (n < 0 && n != PCAP_ERROR_BREAK) {
			log_warnx("monitoring point '%s': capture failed: %s",
			    p->name, pcap_geterr(p->pcap));
			break;
		}
		if (n > 0) {
			heard = now;
			last_wall = clock_wall_ms();
			silent = false;
		}
		if (!silent && now - heard >=
		    (int64_t)t->no_traffic_after_s * 1000) {
			silent = true;
			(void)traffic_submit_silence(t->writer, p->name,
			    t->no_traffic_after_s, last_wall);
		}
		if (now - flushed >= (int64_t)t->flush_interval_s * 1000 ||
		    flow_table_pending(p->flows)) {
			point_flush(p, false);
			flushed = now;
		}
	}
	point_flush(p, true);
	return NULL;
}

/* Opens the capture of point c; logs and returns a negative errno. */
static int
point_open(struct traffic_point *p, const struct conf_point *c)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	int r;

	if ((p->pcap = pcap_create(c->interface, err)) == NULL) {
		log_warnx("monitoring point '%s': interface '%s': %s",
		    c->name, c->interface, err);
		return -ENODEV;
	}
	(void)pcap_set_snaplen(p->pcap, POINT_SNAPLEN);
	(void)pcap_set_promisc(p->pcap, 1);
	(void)pcap_set_timeout(p->pcap, POINT_POLL_MS);
	(void)pcap_set_buffer_size(p->pcap, POINT_BUFFER_BYTES);
	if ((r = pcap_activate(p->pcap)) < 0) {
		log_warnx("monitoring point '%s': cannot capture on '%s': %s",
		    c->name, c->interface, pcap_geterr(p->pcap));
		return -EIO;
	}
	if (c->filter[0] != '\0') {
		if (pcap_compile(p->pcap, &prog, c->filter, 1,
		    PCAP_NETMASK_UNKNOWN) < 0) {
			log_warnx("monitoring point '%s': filter '%s': %s",
			    c->name, c->filter, pcap_geterr(p->pcap));
			return -EINVAL;
		}
		r = pcap_setfilter(p->pcap, &prog);
		pcap_freecode(&prog);
		if (r < 0) {
			log_warnx("monitoring point '%s': filter '%s': %s",
			    c->name, c->filter, pcap_geterr(p->pcap));
			return -EINVAL;
		}
	}
	if (pcap_setnonblock(p->pcap, 1, err) < 0) {
		log_warnx("monitoring point '%s': %s", c->name, err);
		return -EIO;
	}
	p->linktype = pcap_datalink(p->pcap);
	return 0;
}

struct traffic *
traffic_new(const struct conf *conf, struct writer *w)
{
	struct traffic *t = xcalloc(1, sizeof(*t));
	char err[512] = "";
	int r;

	t->writer = w;
	t->flush_interval_s = conf->flush_interval_s;
	t->no_traffic_after_s = conf->no_traffic_after_s;
	t->max_flows = conf->max_flows;
	(void)pthread_mutex_init(&t->mtx, NULL);
	(void)pthread_cond_init(&t->cond, NULL);
	if ((r = vendors_load(conf->ieee_data_dir, &t->vendors, err,
	    sizeof(err))) == -ENOMEM)
		fatalx("out of memory reading the IEEE registries");
	else if (r < 0)
		log_warnx("%s: traffic gets no vendors", err);
	else
		log_debug("%zu MAC prefixes read from '%s'",
		    vendors_count(t->vendors), conf->ieee_data_dir);
	return t;
}

size_t
traffic_start(struct traffic *t, const struct conf *conf)
{
	size_t running = 0;

	t->points = xcalloc(conf->n_points, sizeof(*t->points));
	for (size_t i = 0; i < conf->n_points; i++) {
		struct traffic_point *p = &t->points[t->n_points];
		const struct conf_point *c = &conf->points[i];

		p->t = t;
		(void)snprintf(p->name, sizeof(p->name), "%s", c->name);
		if (point_open(p, c) < 0 || (p->flows = flow_table_new(
		    t->max_flows, t->vendors, c->name)) == NULL ||
		    pthread_create(&p->thread, NULL, point_main, p) != 0) {
			if (p->pcap != NULL)
				pcap_close(p->pcap);
			flow_table_free(p->flows);
			memset(p, 0, sizeof(*p));
			continue;
		}
		p->started = true;
		t->n_points++;
		running++;
		log_info("monitoring point '%s': capturing on '%s'%s%s%s",
		    c->name, c->interface, c->filter[0] != '\0' ?
		    " with filter '" : "", c->filter, c->filter[0] != '\0' ?
		    "'" : "");
	}
	return running;
}

void
traffic_stop(struct traffic *t)
{
	if (t == NULL)
		return;
	(void)pthread_mutex_lock(&t->mtx);
	t->stopping = true;
	(void)pthread_cond_broadcast(&t->cond);
	(void)pthread_mutex_unlock(&t->mtx);
	for (size_t i = 0; i < t->n_points; i++) {
		struct traffic_point *p = &t->points[i];

		if (!p->started)
			continue;
		(void)pthread_join(p->thread, NULL);
		p->started = false;
	}
}

void
traffic_free(struct traffic *t)
{
	if (t == NULL)
		return;
	traffic_stop(t);
	traffic_imports_end(t);
	/* the writer still runs what was queued: wait for it */
	(void)pthread_mutex_lock(&t->mtx);
	for (size_t i = 0; i < t->n_points; i++)
		while (t->points[i].in_flight > 0)
			(void)pthread_cond_wait(&t->cond, &t->mtx);
	(void)pthread_mutex_unlock(&t->mtx);
	for (size_t i = 0; i < t->n_points; i++) {
		if (t->points[i].pcap != NULL)
			pcap_close(t->points[i].pcap);
		flow_table_free(t->points[i].flows);
	}
	traffic_dpi_pool_clear();
	free(t->points);
	vendors_free(t->vendors);
	(void)pthread_cond_destroy(&t->cond);
	(void)pthread_mutex_destroy(&t->mtx);
	free(t);
}
