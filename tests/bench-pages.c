/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark of the pages a report dirties (issue 17): kics-agent-sim's
 * reports of AGENTS agents (10 events and 20 connections each, as in the
 * daemon-knee benchmark) go through the engine in group-commit batches.
 * After WARM rounds (one report of every agent each) the WAL is
 * checkpointed so that it starts over; the frames the next ROUNDS rounds
 * write are then read back from the -wal file and each is charged to the
 * b-tree its page belongs to (SQLite's dbstat). Prints WAL frames per
 * report, in total and by table and index: a count that the load of the
 * machine does not change, and what the checkpointer must copy (each
 * frame is a read and a write for it).
 *
 * RATE is the reports per second on the engine's clock (default 2,000, the
 * knee's step): as in kics-agent-sim's open loop, events occurred and
 * connections were seen within the last period of their agent
 * (AGENTS / RATE seconds); 0 is its closed loop (a 60 s period, the
 * clock at 1,000 reports/s). SQL, when given, runs on the fresh database
 * before the first report (to weigh a change of schema before writing a
 * migration for it).
 *
 * usage: bench-pages [WARM [ROUNDS [REPORTS_PER_BATCH [RATE [SQL]]]]]
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-sim/sim.h"
#include "diag.h"
#include "engine.h"
#include "event_types.h"
#include "testutil.h"

#define AGENTS		1000
#define WAL_HEADER	32
#define FRAME_HEADER	24
#define NAME_LEN	64
#define BTREES_MAX	64

/* Frames charged to one b-tree. */
struct btree_count {
	char	name[NAME_LEN];
	double	frames;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Frames of the WAL at path-wal that belong to committed transactions
 * since it last started over, counted by page number into *ret_pages
 * (calloc()ed, indexed by page number, *ret_npages entries). Returns the
 * number of commits.
 */
static int
wal_frames(const char *path, uint32_t **ret_pages, size_t *ret_npages)
{
	char wal[4200];
	unsigned char hdr[WAL_HEADER], fh[FRAME_HEADER];
	uint32_t *pages = NULL, *pending = NULL;
	size_t npages = 0, npending = 0, cap = 0;
	uint32_t psz;
	int commits = 0;
	FILE *f;

	CHECK(strlen(path) < 4096);
	(void)snprintf(wal, sizeof(wal), "%.4095s-wal", path);
	CHECK((f = fopen(wal, "rb")) != NULL);
	CHECK(fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr));
	psz = be32(hdr + 8);
	while (fread(fh, 1, sizeof(fh), f) == sizeof(fh) &&
	    memcmp(fh + 8, hdr + 16, 8) == 0) {
		uint32_t pg = be32(fh);

		if (npending == cap) {
			cap = cap ? cap * 2 : 1024;
			CHECK((pending = realloc(pending, cap *
			    sizeof(*pending))) != NULL);
		}
		pending[npending++] = pg;
		if (fseek(f, (long)psz, SEEK_CUR) != 0)
			break;
		if (be32(fh + 4) == 0)
			continue;	/* not the last frame of a commit */
		commits++;
		for (size_t i = 0; i < npending; i++) {
			if (pending[i] >= npages) {
				size_t n = pending[i] * 2 + 1;

				CHECK((pages = realloc(pages, n *
				    sizeof(*pages))) != NULL);
				memset(pages + npages, 0, (n - npages) *
				    sizeof(*pages));
				npages = n;
			}
			pages[pending[i]]++;
		}
		npending = 0;
	}
	(void)fclose(f);
	free(pending);
	*ret_pages = pages;
	*ret_npages = npages;
	return commits;
}

/* Adds n frames to the b-tree name in counts[0 .. *ncounts). */
static void
charge(struct btree_count *counts, size_t *ncounts, const char *name,
    double n)
{
	size_t i;

	for (i = 0; i < *ncounts; i++)
		if (strcmp(counts[i].name, name) == 0)
			break;
	if (i == *ncounts) {
		CHECK(*ncounts < BTREES_MAX);
		(void)snprintf(counts[i].name, NAME_LEN, "%s", name);
		counts[i].frames = 0;
		(*ncounts)++;
	}
	counts[i].frames += n;
}

static int
by_frames(const void *a, const void *b)
{
	double x = ((const struct btree_count *)a)->frames;
	double y = ((const struct btree_count *)b)->frames;

	return (x < y) - (x > y);
}

/* Prints the frames of the WAL of path by b-tree, per report. */
static void
report_pages(const char *path, double reports)
{
	struct btree_count counts[BTREES_MAX];
	size_t ncounts = 0, npages;
	uint32_t *pages;
	double total = 0;
	int commits = wal_frames(path, &pages, &npages);
	sqlite3_stmt *st;
	sqlite3 *db;

	CHECK_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(db, "SELECT name, pageno FROM dbstat",
	    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t pg = (size_t)sqlite3_column_int64(st, 1);

		if (pg < npages && pages[pg] > 0) {
			charge(counts, &ncounts,
			    (const char *)sqlite3_column_text(st, 0),
			    pages[pg]);
			total += pages[pg];
			pages[pg] = 0;
		}
	}
	CHECK_EQ(sqlite3_finalize(st), SQLITE_OK);
	(void)sqlite3_close(db);
	for (size_t pg = 0; pg < npages; pg++)
		if (pages[pg] > 0) {	/* on the free list by now */
			charge(counts, &ncounts, "(free)", pages[pg]);
			total += pages[pg];
		}
	free(pages);
	qsort(counts, ncounts, sizeof(counts[0]), by_frames);
	(void)printf("WAL frames per report: %.2f (%d commits, %.1f "
	    "reports each)\n", total / reports, commits,
	    commits > 0 ? reports / commits : 0);
	for (size_t i = 0; i < ncounts; i++)
		(void)printf("  %-24s %6.2f\n", counts[i].name,
		    counts[i].frames / reports);
}

/* Runs sql (NULL: nothing) on the database at path. */
static void
run_sql(const char *path, const char *sql)
{
	char *err = NULL;
	sqlite3 *db;

	if (sql == NULL)
		return;
	CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		(void)fprintf(stderr, "bench-pages: %s\n", err);
		exit(1);
	}
	(void)sqlite3_close(db);
}

/* One round: the next report of every agent, batch per transaction. */
static void
round_apply(struct engine *e, struct sim_host *hosts,
    const struct sim_report_params *params, int number, int batch,
    int rate, int64_t *now)
{
	static struct engine_report er[AGENTS];
	static struct sim_arena arenas[AGENTS];

	for (int first = 0; first < AGENTS; first += batch) {
		int k = AGENTS - first < batch ? AGENTS - first : batch;

		for (int j = 0; j < k; j++) {
			Kics__Epp__V1__AgentReport *rep;

			sim_arena_init(&arenas[j]);
			int64_t at = *now + (int64_t)(first + j) * 1000 /
			    (rate > 0 ? rate : 1000);

			CHECK_EQ(sim_report_build(params, &hosts[first + j],
			    (uint64_t)number + 1, (uint64_t)number, at,
			    &arenas[j], &rep), 0);
			memset(&er[j], 0, sizeof(er[j]));
			er[j].report = rep;
		}
		CHECK_EQ(engine_apply_batch(e, er, (size_t)k, *now +
		    (int64_t)(first + k) * 1000 / (rate > 0 ? rate : 1000)),
		    0);
		for (int j = 0; j < k; j++) {
			struct sim_host *h = &hosts[first + j];

			CHECK_EQ(er[j].status, REPORT_STATUS_COMMITTED);
			if (er[j].token[0] != '\0')
				(void)snprintf(h->token, sizeof(h->token),
				    "%s", er[j].token);
			sim_arena_fini(&arenas[j]);
		}
	}
	*now += (int64_t)AGENTS * 1000 / (rate > 0 ? rate : 1000);
}

int
main(int argc, char **argv)
{
	static struct sim_host hosts[AGENTS];
	int warm = argc > 1 ? atoi(argv[1]) : 20;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	int batch = argc > 3 ? atoi(argv[3]) : 100;
	int rate = argc > 4 ? atoi(argv[4]) : 2000;
	const struct sim_report_params params = {
		.seed = 1, .n_agents = AGENTS, .host_every = 0,
		.events_per_report = 10, .connections_per_report = 20,
		.period_ms = rate > 0 ? (int64_t)AGENTS * 1000 / rate : 60000,
	};
	char *dir = testutil_mkdtemp();
	struct event_types *types = NULL;
	struct store_ckpt_result cr;
	struct store_ckpt *ckpt = NULL;
	struct diag *d = diag_new();
	struct engine_config cfg;
	struct engine *e = NULL;
	int64_t now = testutil_now_ms();
	char path[4096];

	CHECK(warm >= 0 && rounds > 0 && batch > 0 && batch <= AGENTS &&
	    rate >= 0 && d != NULL);
	(void)snprintf(path, sizeof(path), "%s/pages.db", dir);
	CHECK_EQ(event_types_load_default(d, &types), 0);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(path, &cfg, types, &e), 0);
	engine_free(e);
	run_sql(path, argc > 5 ? argv[5] : NULL);
	CHECK_EQ(engine_open(path, &cfg, types, &e), 0);
	CHECK_EQ(engine_wal_handoff(e, &ckpt), 0);
	for (uint32_t i = 0; i < AGENTS; i++)
		CHECK_EQ(sim_host_generate(params.seed, i, &hosts[i]), 0);
	for (int number = 0; number < warm; number++)
		round_apply(e, hosts, &params, number, batch, rate, &now);
	/* the measured rounds start the WAL over */
	do
		CHECK_EQ(store_ckpt_run(ckpt, &cr), 0);
	while (!cr.complete);
	for (int number = warm; number < warm + rounds; number++)
		round_apply(e, hosts, &params, number, batch, rate, &now);
	(void)printf("%d agents, 10 events and 20 connections per report at "
	    "%d/s; %d rounds, then %d measured, %d reports per transaction\n",
	    AGENTS, rate, warm, rounds, batch);
	report_pages(path, (double)rounds * AGENTS);
	store_ckpt_free(ckpt);
	engine_free(e);
	event_types_free(types);
	diag_free(d);
	testutil_rmtree(dir);
	free(dir);
	return 0;
}
