/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes one packed AgentReport made by kics-agent-sim's generator, with
 * exactly the asked numbers of events and connections and, like most of
 * an agent's reports, no host info, for the request-path benchmark
 * (bench-reqpath.sh), which posts the same bytes over and over with
 * h2load.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-sim/sim.h"

#define GEN_NOW_MS	1700000000000LL
#define GEN_TRIES	100000	/* report numbers tried for the counts */

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: bench-report-gen --out FILE [--agent-index N] [--seq N]\n"
	    "           [--token T] [--events N] [--connections N]\n"
	    "Writes one AgentReport of kics-agent-sim's generator with\n"
	    "exactly N events and N connections (default 10 and 20) and no\n"
	    "host info; prints its agent_id and size.\n");
	exit(2);
}

static unsigned long
number_arg(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0')
		usage();
	return v;
}

/*
 * Packs the first report of host after its first (which carries the host
 * info) whose counts are the ones asked; 0, or -ESRCH when none of
 * GEN_TRIES has them.
 */
static int
gen_find(const struct sim_report_params *params, const struct sim_host *host,
    uint64_t seq, size_t events, size_t conns, uint8_t **ret_buf,
    size_t *ret_len)
{
	for (uint64_t n = 1; n < GEN_TRIES; n++) {
		Kics__Epp__V1__AgentReport *rep;
		struct sim_arena arena;
		uint8_t *buf;
		size_t len;
		int r;

		sim_arena_init(&arena);
		r = sim_report_build(params, host, seq, n, GEN_NOW_MS, &arena,
		    &rep);
		if (r < 0 || rep->n_events != events ||
		    rep->n_connections != conns) {
			sim_arena_fini(&arena);
			if (r < 0)
				return r;
			continue;
		}
		len = kics__epp__v1__agent_report__get_packed_size(rep);
		if ((buf = malloc(len)) == NULL) {
			sim_arena_fini(&arena);
			return -ENOMEM;
		}
		(void)kics__epp__v1__agent_report__pack(rep, buf);
		sim_arena_fini(&arena);
		*ret_buf = buf;
		*ret_len = len;
		return 0;
	}
	return -ESRCH;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "agent-index", required_argument, NULL, 'i' },
		{ "seq", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "events", required_argument, NULL, 'e' },
		{ "connections", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_report_params params = {
		.seed = 1,
		.n_agents = 1000,
		.host_every = 0,	/* host info in report 0 only */
		.events_per_report = 10,
		.connections_per_report = 20,
		.period_ms = 60000,
	};
	const char *out = NULL, *token = "";
	unsigned long index = 0, seq = 1;
	struct sim_host host;
	uint8_t *buf = NULL;
	size_t len = 0;
	FILE *f;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'i':
			index = number_arg(optarg);
			break;
		case 's':
			seq = number_arg(optarg);
			break;
		case 't':
			token = optarg;
			break;
		case 'e':
			params.events_per_report = (double)number_arg(optarg);
			break;
		case 'c':
			params.connections_per_report =
			    (double)number_arg(optarg);
			break;
		default:
			usage();
		}
	}
	if (out == NULL || optind != argc || seq == 0 ||
	    strlen(token) > SIM_TOKEN_LEN)
		usage();
	if (sim_host_generate(params.seed, (uint32_t)index, &host) < 0) {
		(void)fprintf(stderr, "bench-report-gen: agent index %lu out "
		    "of range\n", index);
		return 1;
	}
	(void)snprintf(host.token, sizeof(host.token), "%s", token);
	r = gen_find(&params, &host, seq,
	    (size_t)params.events_per_report,
	    (size_t)params.connections_per_report, &buf, &len);
	if (r < 0) {
		(void)fprintf(stderr, "bench-report-gen: no report with those "
		    "counts: %s\n", strerror(-r));
		return 1;
	}
	if ((f = fopen(out, "wb")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fclose(f) != 0) {
		(void)fprintf(stderr, "bench-report-gen: '%s': %s\n", out,
		    strerror(errno));
		free(buf);
		return 1;
	}
	free(buf);
	(void)printf("%s %zu\n", host.agent_id, len);
	return 0;
}
