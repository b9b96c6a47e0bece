/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generator of bench-device-set.sh (issue 12): a database of N devices
 * made through the engine, as agents would: 20 agents (10.200.0.1…) each
 * reporting bidirectional connections to its share of N - 20 peers with
 * IPs 10.0.0.1, 10.0.0.2, … (10.0.0.0/15 holds up to 131,072 of them).
 *
 * usage: bench-device-set-gen DB_FILE N
 */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "engine.h"
#include "report-build.h"
#include "testutil.h"

#define AGENTS		20
#define CONNS_PER_REPORT 5000	/* LIMIT_CONNECTIONS */

/* One report of agent a at sequence seq with host info. */
static rb_report *
report_new(int a, uint64_t seq)
{
	char id[32], mac[32], ip[32], host[32];
	rb_report *r;

	(void)snprintf(id, sizeof(id), "bench-set-agent-%02d", a);
	(void)snprintf(mac, sizeof(mac), "02:00:00:00:01:%02x", a);
	(void)snprintf(ip, sizeof(ip), "10.200.0.%d", a + 1);
	(void)snprintf(host, sizeof(host), "BENCH-SET-%02d", a);
	r = rb_new(id, seq);
	(void)rb_host(r, host, "Windows 10 Enterprise", "10.0.19045", mac, ip);
	return r;
}

static void
apply(struct engine *e, rb_report *r)
{
	struct engine_report er = { .report = r };

	CHECK_EQ(engine_apply_batch(e, &er, 1, clock_wall_ms()), 0);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	rb_free(r);
}

int
main(int argc, char **argv)
{
	struct engine_config cfg;
	struct event_types *types = NULL;
	struct diag *d = diag_new();
	struct engine *e = NULL;
	long n, peers, p = 0;
	uint64_t seq[AGENTS] = { 0 };

	if (argc != 3 || (n = atol(argv[2])) <= AGENTS || n > 131072) {
		(void)fprintf(stderr, "usage: bench-device-set-gen DB_FILE N "
		    "(N from %d to 131072)\n", AGENTS + 1);
		return 2;
	}
	peers = n - AGENTS;
	CHECK(d != NULL);
	CHECK_EQ(event_types_load_default(d, &types), 0);
	engine_config_init(&cfg);
	cfg.max_devices = (uint32_t)n;
	CHECK_EQ(engine_open(argv[1], &cfg, types, &e), 0);
	for (int a = 0; a < AGENTS; a++) {
		long share = peers / AGENTS + (a < peers % AGENTS ? 1 : 0);

		while (share > 0) {
			rb_report *r = report_new(a, ++seq[a]);

			for (int k = 0; k < CONNS_PER_REPORT && share > 0;
			    k++, share--, p++) {
				char ip[32];

				(void)snprintf(ip, sizeof(ip), "10.%ld.%ld.%ld",
				    (p + 1) >> 16, ((p + 1) >> 8) & 255,
				    (p + 1) & 255);
				(void)rb_conn(r, 1, 1, ip, NULL, 502, 4, 4);
			}
			apply(e, r);
		}
	}
	engine_free(e);
	event_types_free(types);
	diag_free(d);
	return 0;
}
