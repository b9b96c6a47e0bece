/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark of a report's connections (issue 17: "measure the cost per
 * connection"): kics-agent-sim's reports of AGENTS agents (10 events and
 * 20 connections each, as in the daemon-knee benchmark) go through the
 * engine in group-commit batches, once as generated and once with their
 * connections taken out, alternating on fresh files. The difference in
 * processor time is what the connections cost: peers resolved or created
 * and interactions written. Prints both, per report and per
 * bidirectional connection.
 *
 * usage: bench-interactions [ROUNDS_OF_REPORTS [REPORTS_PER_BATCH [RUNS]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-sim/sim.h"
#include "bench-fx.h"
#include "diag.h"
#include "engine.h"
#include "event_types.h"
#include "testutil.h"

#define AGENTS		1000
#define RUNS_MAX	9	/* of each kind, alternating */
#define REPORT_GAP_MS	1	/* 1,000 reports/s on the engine's clock */
#define WARM_ROUNDS	5	/* reports per agent before measuring */

/* Bidirectional connections of report r: the ones that make edges. */
static size_t
bidirectional(const Kics__Epp__V1__AgentReport *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_connections; i++)
		n += r->connections[i]->packets_sent > 0 &&
		    r->connections[i]->packets_received > 0;
	return n;
}

/*
 * Applies reports number 0 … WARM_ROUNDS of every agent (registration
 * and the first peers, not measured), then the next rounds reports of
 * every agent to a fresh engine at path, batch reports per
 * transaction, connections only when with_conns; returns the CPU seconds
 * of the measured rounds and adds their bidirectional connections to
 * *conns.
 */
static double
run(const char *path, int rounds, int batch, bool with_conns, double *conns,
    double *frames)
{
	static struct sim_host hosts[AGENTS];
	const struct sim_report_params params = {
		.seed = 1, .n_agents = AGENTS, .host_every = 0,
		.events_per_report = 10, .connections_per_report = 20,
		.period_ms = 60000,
	};
	struct engine_report *er = calloc((size_t)batch, sizeof(*er));
	struct sim_arena *arenas = calloc((size_t)batch, sizeof(*arenas));
	struct event_types *types = NULL;
	struct engine_config cfg;
	struct diag *d = diag_new();
	struct engine *e = NULL;
	int64_t now = testutil_now_ms();
	struct store_wal_stats ws;
	uint64_t last_frames = 0;
	double cpu = 0, c;

	CHECK(er != NULL && arenas != NULL && d != NULL);
	CHECK_EQ(event_types_load_default(d, &types), 0);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(path, &cfg, types, &e), 0);
	for (uint32_t i = 0; i < AGENTS; i++)
		CHECK_EQ(sim_host_generate(params.seed, i, &hosts[i]), 0);
	for (int number = 0; number <= WARM_ROUNDS + rounds; number++) {
		for (int first = 0; first < AGENTS; first += batch) {
			int k = AGENTS - first < batch ? AGENTS - first : batch;

			for (int j = 0; j < k; j++) {
				Kics__Epp__V1__AgentReport *rep;

				now += REPORT_GAP_MS;
				sim_arena_init(&arenas[j]);
				CHECK_EQ(sim_report_build(&params,
				    &hosts[first + j], (uint64_t)number + 1,
				    (uint64_t)number, now, &arenas[j], &rep),
				    0);
				if (!with_conns)
					rep->n_connections = 0;
				if (number > WARM_ROUNDS)
					*conns += (double)bidirectional(rep);
				memset(&er[j], 0, sizeof(er[j]));
				er[j].report = rep;
			}
			c = bench_apply(e, er, (size_t)k, now);
			if (number > WARM_ROUNDS)
				cpu += c;
			/* pages the batch wrote, unless the WAL started over */
			engine_wal_stats(e, &ws);
			if (number > WARM_ROUNDS && ws.wal_frames > last_frames)
				*frames += (double)(ws.wal_frames -
				    last_frames);
			last_frames = ws.wal_frames;
			for (int j = 0; j < k; j++) {
				struct sim_host *h = &hosts[first + j];

				if (er[j].token[0] != '\0')
					(void)snprintf(h->token,
					    sizeof(h->token), "%s",
					    er[j].token);
				sim_arena_fini(&arenas[j]);
			}
		}
	}
	engine_free(e);
	event_types_free(types);
	diag_free(d);
	free(arenas);
	free(er);
	return cpu;
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int batch = argc > 2 ? atoi(argv[2]) : 25;
	int runs = argc > 3 ? atoi(argv[3]) : 3;
	char *dir = testutil_mkdtemp();
	double with[RUNS_MAX], without[RUNS_MAX], diff[RUNS_MAX], conns = 0, none = 0;
	double frames_with = 0, frames_without = 0;
	double med_with, med_without, med_diff;
	double reports = (double)rounds * AGENTS;
	char path[4096];

	CHECK(rounds > 0 && batch > 0 && runs > 0 && runs <= RUNS_MAX);
	for (int i = 0; i < runs; i++) {
		conns = 0;
		(void)snprintf(path, sizeof(path), "%s/without-%d.db", dir, i);
		without[i] = run(path, rounds, batch, false, &none,
		    &frames_without);
		(void)snprintf(path, sizeof(path), "%s/with-%d.db", dir, i);
		with[i] = run(path, rounds, batch, true, &conns, &frames_with);
		diff[i] = with[i] - without[i];
		(void)printf("run %d: CPU with connections %.1f us/report, "
		    "without %.1f us/report\n", i + 1, with[i] * 1e6 / reports,
		    without[i] * 1e6 / reports);
	}
	med_with = bench_median(with, (size_t)runs);
	med_without = bench_median(without, (size_t)runs);
	med_diff = bench_median(diff, (size_t)runs);
	(void)printf("reports: %.0f (%d agents, 10 events and 20 connections "
	    "each, %.1f bidirectional), %d per transaction\n", reports,
	    AGENTS, conns / reports, batch);
	(void)printf("CPU per report (median of %d): with connections "
	    "%.1f us, without %.1f us\n", runs, med_with * 1e6 / reports,
	    med_without * 1e6 / reports);
	(void)printf("connections: %.1f us/report, %.2f us per bidirectional "
	    "connection (median)\n", med_diff * 1e6 / reports,
	    med_diff * 1e6 / conns);
	(void)printf("WAL pages per report: with connections %.2f, without "
	    "%.2f\n", frames_with / runs / reports,
	    frames_without / runs / reports);
	testutil_rmtree(dir);
	free(dir);
	return 0;
}
