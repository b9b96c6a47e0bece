/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the assembly of one AgentReport: host information and
 * applications in the first report and every Kth after it, then events and
 * connections at the configured rates.
 */
#include <errno.h>
#include <stdlib.h>

#include "sim.h"

#define SIM_AGENT_VERSION	"0.1.0-sim"

static char *
lit(const char *s)
{
	return (char *)s;
}

static int
add_host(struct sim_report_ctx *ctx, Kics__Epp__V1__AgentReport *report)
{
	const struct sim_host *h = ctx->host;
	Kics__Epp__V1__HostInfo *hi;
	Kics__Epp__V1__NetworkInterface *ifs;

	if ((hi = sim_arena_alloc(ctx->arena, sizeof(*hi))) == NULL)
		return -ENOMEM;
	kics__epp__v1__host_info__init(hi);
	hi->hostname = lit(h->hostname);
	hi->domain = lit(h->domain);
	hi->os_name = lit(h->os_name);
	hi->os_version = lit(h->os_version);
	hi->vendor = lit(h->vendor);
	hi->model = lit(h->model);
	hi->serial_number = lit(h->serial);
	hi->interfaces = sim_arena_alloc(ctx->arena, h->n_ifaces *
	    sizeof(*hi->interfaces));
	ifs = sim_arena_alloc(ctx->arena, h->n_ifaces * sizeof(*ifs));
	if (hi->interfaces == NULL || ifs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_ifaces; i++) {
		const struct sim_iface *src = &h->ifaces[i];
		Kics__Epp__V1__NetworkInterface *ni = &ifs[i];

		kics__epp__v1__network_interface__init(ni);
		ni->name = lit(src->name);
		ni->mac = lit(src->mac);
		if ((ni->addresses = sim_arena_alloc(ctx->arena,
		    2 * sizeof(*ni->addresses))) == NULL)
			return -ENOMEM;
		ni->addresses[ni->n_addresses++] = lit(src->ipv4);
		if (src->ipv6[0] != '\0')
			ni->addresses[ni->n_addresses++] = lit(src->ipv6);
		hi->interfaces[hi->n_interfaces++] = ni;
	}
	report->host = hi;
	return 0;
}

static int
add_apps(struct sim_report_ctx *ctx, Kics__Epp__V1__AgentReport *report)
{
	const struct sim_host *h = ctx->host;
	Kics__Epp__V1__EppApplication *apps;

	report->applications = sim_arena_alloc(ctx->arena, h->n_apps *
	    sizeof(*report->applications));
	apps = sim_arena_alloc(ctx->arena, h->n_apps * sizeof(*apps));
	if (report->applications == NULL || apps == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_apps; i++) {
		Kics__Epp__V1__EppApplication *a = &apps[i];

		kics__epp__v1__epp_application__init(a);
		a->product = lit(h->apps[i].product);
		a->version = lit(h->apps[i].version);
		a->state = (Kics__Epp__V1__EppApplication__State)
		    h->apps[i].state;
		a->realtime_protection = h->apps[i].realtime;
		a->bases_date_ms = ctx->now_ms - h->apps[i].bases_age_ms;
		report->applications[report->n_applications++] = a;
	}
	return 0;
}

int
sim_report_build(const struct sim_report_params *params,
    const struct sim_host *host, uint64_t sequence, uint64_t number,
    int64_t now_ms, struct sim_arena *arena,
    Kics__Epp__V1__AgentReport **ret_report)
{
	struct sim_report_ctx ctx = { params, host, arena, { 0 }, sequence,
		number, now_ms };
	Kics__Epp__V1__AgentReport *report;
	int r;

	/* One stream per (host, report number): reports do not shift. */
	sim_rng_init(&ctx.rng, params->seed, 0x7265706f7274ULL +
	    ((uint64_t)host->index << 40), number);
	if ((report = sim_arena_alloc(arena, sizeof(*report))) == NULL)
		return -ENOMEM;
	kics__epp__v1__agent_report__init(report);
	report->agent_id = lit(host->agent_id);
	report->sequence = sequence;
	report->sent_at_ms = now_ms;
	report->agent_version = lit(SIM_AGENT_VERSION);
	if (host->token[0] != '\0')
		report->agent_token = lit(host->token);
	if (params->host_every == 0 ? number == 0 :
	    number % params->host_every == 0) {
		if ((r = add_host(&ctx, report)) < 0 ||
		    (r = add_apps(&ctx, report)) < 0)
			return r;
	}
	if ((r = sim_event_add(&ctx, report, sim_rng_count(&ctx.rng,
	    params->events_per_report))) < 0)
		return r;
	if ((r = sim_conn_add(&ctx, report, sim_rng_count(&ctx.rng,
	    params->connections_per_report))) < 0)
		return r;
	*ret_report = report;
	return 0;
}

void
sim_buf_fini(struct sim_buf *buf)
{
	if (buf == NULL)
		return;
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* Room for size bytes (and a NUL, for those who print it); 0 or -ENOMEM. */
static int
buf_room(struct sim_buf *buf, size_t size)
{
	size_t cap = buf->cap > 0 ? buf->cap : 4096;
	uint8_t *p;

	if (size < buf->cap)
		return 0;
	while (cap <= size)
		cap *= 2;
	if ((p = realloc(buf->data, cap)) == NULL)
		return -ENOMEM;
	buf->data = p;
	buf->cap = cap;
	return 0;
}

int
sim_report_pack(const struct sim_report_params *params,
    const struct sim_host *host, uint64_t sequence, uint64_t number,
    int64_t now_ms, struct sim_arena *arena, struct sim_buf *out)
{
	Kics__Epp__V1__AgentReport *report;
	size_t len;
	int r;

	out->len = 0;
	sim_arena_clear(arena);
	if ((r = sim_report_build(params, host, sequence, number, now_ms,
	    arena, &report)) < 0)
		return r;
	len = kics__epp__v1__agent_report__get_packed_size(report);
	if ((r = buf_room(out, len)) < 0)
		return r;
	if (kics__epp__v1__agent_report__pack(report, out->data) != len)
		return -EIO;
	out->len = len;
	return 0;
}

int
sim_report_encode(const struct sim_report_params *params,
    const struct sim_host *host, uint64_t sequence, uint64_t number,
    int64_t now_ms, uint8_t **ret_buf, size_t *ret_len)
{
	struct sim_buf buf = { NULL, 0, 0 };
	struct sim_arena arena;
	int r;

	sim_arena_init(&arena);
	if ((r = sim_report_pack(params, host, sequence, number, now_ms,
	    &arena, &buf)) < 0)
		goto out;
	*ret_buf = buf.data;
	*ret_len = buf.len;
	buf.data = NULL;
out:
	sim_buf_fini(&buf);
	sim_arena_fini(&arena);
	return r;
}

int
sim_report_next(const struct sim_report_params *params,
    const struct sim_host *host, uint64_t sequence_start, uint64_t *number,
    int64_t now_ms, struct sim_arena *arena, struct sim_buf *out,
    uint64_t *ret_sequence)
{
	uint64_t seq = sequence_start + *number;
	int r;

	if ((r = sim_report_pack(params, host, seq, *number, now_ms, arena,
	    out)) < 0)
		return r;
	(*number)++;
	*ret_sequence = seq;
	return 0;
}
