/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark of kics-query (issue 4): generates a database through the
 * engine (agents with host info, peers, interactions and events, in large
 * batches), then times whole kics-query commands, process start included,
 * and prints the median of several runs and the size per million events.
 *
 * usage: bench-query [--devices N] [--interactions N] [--events N]
 *            [--keep DIR] [--subnet-only --sqlite3 SQLITE3] KICS_QUERY
 * --subnet-only (issue 12) times only devices --subnet, each beside the
 *   sqlite3 program running the very statement kics-query runs
 *   (query_devices_sql()) on the same file, in the same run.
 * Full size of the issue: --devices 100000 --interactions 1000000
 *   --events 10000000 (about 15-30 minutes of generation on 2 cores and a
 *   few GB of disk; --keep DIR keeps the database for later runs: when
 *   DIR/kics-epp.db exists it is reused without generating).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-fx.h"
#include "engine.h"
#include "query.h"
#include "report-build.h"
#include "testutil.h"

#define MAX_AGENTS		1000
#define EVENTS_PER_REPORT	1000	/* LIMIT_EVENTS */
#define CONNS_PER_REPORT	5000	/* LIMIT_CONNECTIONS */
#define REPORTS_PER_BATCH	20
#define RUNS			11

static const char *const categories[] = {
	"network_attack", "untrusted_device", "unauthorized_application",
	"prohibited_file_operation", "file_modified", "firewall_blocked",
	"threat_detected", "protection_disabled", "bases_outdated",
	"scan_completed",
};

static const char *const words[] = {
	"modbus", "profinet", "opcua", "siemens", "wincc", "step7", "s7comm",
	"dnp3", "bacnet", "historian", "engineering", "firmware", "ladder",
	"setpoint", "rtu", "hmi",
};

static void
agent_addr(int a, char *id, char *mac, char *ip, char *host)
{
	(void)sprintf(id, "bench-agent-%04d", a);
	(void)sprintf(mac, "02:00:00:00:%02x:%02x", (a >> 8) & 0xff, a & 0xff);
	(void)sprintf(ip, "10.200.%d.%d", a / 250, a % 250 + 1);
	(void)sprintf(host, "BENCH-WS-%04d", a);
}

static void
peer_ip(long p, char *ip)
{
	(void)sprintf(ip, "10.%ld.%ld.%ld", 1 + p / 62500, (p / 250) % 250,
	    p % 250 + 1);
}

struct gen {
	long		agents, devices, interactions, events;
	struct engine	*e;
	long long	now;
	uint64_t	seq[MAX_AGENTS];
	struct engine_report er[REPORTS_PER_BATCH];
	rb_report	*rep[REPORTS_PER_BATCH];
	size_t		n;
	long		event_no;
};

static void
flush(struct gen *g)
{
	for (size_t i = 0; i < g->n; i++) {
		g->er[i].report = g->rep[i];
		g->er[i].server_id = 0;
	}
	if (g->n > 0) {
		CHECK_EQ(engine_apply_batch(g->e, g->er, g->n, g->now), 0);
		for (size_t i = 0; i < g->n; i++) {
			CHECK_EQ(g->er[i].status, REPORT_STATUS_COMMITTED);
			rb_free(g->rep[i]);
		}
	}
	g->n = 0;
}

static rb_report *
new_report(struct gen *g, int a)
{
	char id[64], mac[32], ip[32], host[32];
	rb_report *r;

	if (g->n == REPORTS_PER_BATCH)
		flush(g);
	agent_addr(a, id, mac, ip, host);
	r = rb_new(id, ++g->seq[a]);
	(void)rb_host(r, host, a % 10 == 0 ? "Windows Server 2019" :
	    "Windows 10 Enterprise", "10.0.19045", mac, ip);
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	g->rep[g->n++] = r;
	return r;
}

static void
generate(struct gen *g)
{
	long peers = g->devices - g->agents, per_agent, made = 0;
	rb_report *r = NULL;
	double t0 = bench_wall_s();

	/* Interactions: agent a talks to its own peers on several ports. */
	per_agent = (g->interactions + g->agents - 1) / g->agents;
	for (int a = 0; a < g->agents; a++) {
		long ppa = peers / g->agents, first = a * ppa;
		int k = 0;

		if (a == g->agents - 1)
			ppa = peers - first;
		r = new_report(g, a);
		for (long i = 0; i < per_agent && made < g->interactions &&
		    ppa > 0; i++, made++) {
			char ip[32];

			if (k++ == CONNS_PER_REPORT) {
				r = new_report(g, a);
				k = 1;
			}
			peer_ip(first + i % ppa, ip);
			(void)rb_conn(r, 1, i % 4 == 3 ? 2 : 1, ip, NULL,
			    (uint32_t)(100 + i / ppa), 10, 9);
		}
	}
	flush(g);
	(void)fprintf(stderr, "devices and interactions: %.1f s\n",
	    bench_wall_s() - t0);
	t0 = bench_wall_s();
	while (g->event_no < g->events) {
		for (int a = 0; a < g->agents && g->event_no < g->events;
		    a++) {
			r = new_report(g, a);
			for (int i = 0; i < EVENTS_PER_REPORT &&
			    g->event_no < g->events; i++, g->event_no++) {
				char eid[32], desc[200];
				long n = g->event_no;
				Kics__Epp__V1__EppEvent *ev;

				(void)sprintf(eid, "%ld", n);
				(void)snprintf(desc, sizeof(desc), "Detected "
				    "%s activity %ld from process svchost.exe "
				    "on %s tag%ld", words[n % 16], n,
				    words[(n / 16) % 16], n % 100000);
				ev = rb_event(r, eid, categories[n % 10],
				    desc);
				ev->occurred_at_ms = g->now - (g->events - n);
			}
		}
		if (g->event_no % 1000000 < (long)(g->agents *
		    EVENTS_PER_REPORT))
			(void)fprintf(stderr, "events: %ld (%.0f/s)\n",
			    g->event_no,
			    g->event_no / (bench_wall_s() - t0));
	}
	flush(g);
	(void)fprintf(stderr, "events: %.1f s\n", bench_wall_s() - t0);
}

/* Runs argv, output to /dev/null; returns the wall time. */
static double
run_argv(char **argv)
{
	double t0 = bench_wall_s();
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		int fd = open("/dev/null", O_WRONLY);

		(void)dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
	return bench_wall_s() - t0;
}

/* Runs kq with args, output to /dev/null; returns the wall time. */
static double
run_once(const char *kq, const char *dir, const char *const *args)
{
	char *argv[16];
	size_t n = 0;

	argv[n++] = (char *)kq;
	argv[n++] = (char *)"--data-dir";
	argv[n++] = (char *)dir;
	for (; *args != NULL && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	return run_argv(argv);
}

static void
measure(const char *kq, const char *dir, const char *what, double goal_ms,
    int runs, const char *const *args)
{
	double t[RUNS], med;

	for (int i = 0; i < runs; i++)
		t[i] = run_once(kq, dir, args);
	med = bench_median(t, (size_t)runs);
	(void)printf("%-34s median %8.1f ms  (goal <= %.0f ms)%s\n", what,
	    med * 1000, goal_ms, med * 1000 > goal_ms ? "  OVER" : "");
}

/*
 * devices --subnet net (and its --format csv) beside sqlite3 running the
 * same statement (list mode, then -csv), runs interleaved so that both
 * see the same load.
 */
static void
measure_subnet(const char *kq, const char *sqlite3, const char *dir,
    const char *net)
{
	struct query_devices_opts o = { .subnet = net };
	char err[QUERY_ERRMSG_LEN], path[4096], *sql = NULL;
	struct query_db *db = NULL;
	struct query_table *t = query_table_new();
	double tk[RUNS], ts[RUNS], tkc[RUNS], tsc[RUNS], mk, ms, mkc, msc;
	const char *args[] = { "devices", "--subnet", net, NULL };
	const char *csv[] = { "devices", "--subnet", net, "--format", "csv",
	    NULL };

	CHECK(t != NULL);
	CHECK_EQ(query_db_open(dir, err, sizeof(err), &db), 0);
	CHECK_EQ(query_devices_sql(db, &o, &sql), 0);
	CHECK_EQ(query_devices(db, &o, query_table_add_row, t), 0);
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", dir);
	for (int i = 0; i < RUNS; i++) {
		char *sq[] = { (char *)sqlite3, (char *)"-readonly", path, sql,
		    NULL };
		char *sqc[] = { (char *)sqlite3, (char *)"-readonly",
		    (char *)"-csv", (char *)"-header", path, sql, NULL };

		tk[i] = run_once(kq, dir, args);
		ts[i] = run_argv(sq);
		tkc[i] = run_once(kq, dir, csv);
		tsc[i] = run_argv(sqc);
	}
	mk = bench_median(tk, RUNS);
	ms = bench_median(ts, RUNS);
	mkc = bench_median(tkc, RUNS);
	msc = bench_median(tsc, RUNS);
	(void)printf("devices --subnet %-14s %6zu rows: kics-query %7.1f ms, "
	    "sqlite3 %7.1f ms (x%.2f); csv %7.1f ms, sqlite3 -csv %7.1f ms "
	    "(x%.2f)\n", net, t->nrows, mk * 1000, ms * 1000, mk / ms,
	    mkc * 1000, msc * 1000, mkc / msc);
	(void)printf("  statement: %s\n", sql);
	free(sql);
	query_table_free(t);
	query_db_free(db);
}

int
main(int argc, char **argv)
{
	static struct gen g;
	struct engine_config cfg;
	struct event_types *types = NULL;
	struct diag *d = diag_new();
	const char *kq = NULL, *keep = NULL, *sqlite3 = NULL;
	bool subnet_only = false;
	char *dir, path[4096], ip[32], mac[32], id[64], host[32];
	struct stat sb;
	long long size;

	g.agents = MAX_AGENTS;
	g.devices = 2000;
	g.interactions = 20000;
	g.events = 200000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--devices") == 0 && i + 1 < argc)
			g.devices = atol(argv[++i]);
		else if (strcmp(argv[i], "--interactions") == 0 &&
		    i + 1 < argc)
			g.interactions = atol(argv[++i]);
		else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
			g.events = atol(argv[++i]);
		else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
			keep = argv[++i];
		else if (strcmp(argv[i], "--sqlite3") == 0 && i + 1 < argc)
			sqlite3 = argv[++i];
		else if (strcmp(argv[i], "--subnet-only") == 0)
			subnet_only = true;
		else
			kq = argv[i];
	}
	CHECK(kq != NULL && d != NULL);
	if (g.devices < g.agents * 2)
		g.agents = g.devices / 2;
	CHECK(g.agents > 0);
	dir = keep != NULL ? strdup(keep) : testutil_mkdtemp();
	CHECK(dir != NULL);
	(void)mkdir(dir, 0700);
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", dir);
	if (stat(path, &sb) != 0) {
		CHECK_EQ(event_types_load_default(d, &types), 0);
		engine_config_init(&cfg);
		cfg.max_devices = (uint32_t)g.devices + 1;
		cfg.max_events = (uint64_t)g.events * 2 + 1000;
		cfg.max_interactions = (uint64_t)g.interactions * 2;
		CHECK_EQ(engine_open(path, &cfg, types, &g.e), 0);
		g.now = testutil_now_ms();
		generate(&g);
		engine_free(g.e);
		event_types_free(types);
	}
	diag_free(d);
	CHECK(stat(path, &sb) == 0);
	size = (long long)sb.st_size;
	(void)printf("database: %ld devices, %ld interactions, %ld events: "
	    "%.1f MB, %.0f MB per million events\n", g.devices,
	    g.interactions, g.events, size / 1e6,
	    size / 1e6 / (g.events / 1e6));
	agent_addr(17, id, mac, ip, host);
	if (subnet_only) {
		CHECK(sqlite3 != NULL);
		/* peers are 10.1.x.x and up, agents 10.200.x.x */
		measure_subnet(kq, sqlite3, dir, "10.1.0.0/16");
		measure_subnet(kq, sqlite3, dir, "10.1.16.0/20");
		measure_subnet(kq, sqlite3, dir, "10.1.7.0/24");
		measure_subnet(kq, sqlite3, dir, "10.1.7.64/26");
		measure_subnet(kq, sqlite3, dir, "10.200.0.0/16");
	} else {
		const char *find_ip[] = { "device", "find", ip, NULL };
		const char *find_mac[] = { "device", "find", mac, NULL };
		const char *search[] = { "events", "--search", "modbus", "--limit",
		    "50", NULL };
		const char *search_rare[] = { "events", "--search", "tag4242",
		    "--limit", "50", NULL };
		const char *devices[] = { "devices", "--limit", "100", NULL };
		const char *show[] = { "device", "show", ip, NULL };
		const char *json[] = { "map", "export", NULL };
		const char *dot[] = { "map", "export", "--format", "dot", NULL };
		const char *status[] = { "status", NULL };

		measure(kq, dir, "device find IP", 5, RUNS, find_ip);
		measure(kq, dir, "device find MAC", 5, RUNS, find_mac);
		measure(kq, dir, "events --search (common) top 50", 50, RUNS,
		    search);
		measure(kq, dir, "events --search (rare) top 50", 50, RUNS,
		    search_rare);
		measure(kq, dir, "devices --limit 100", 30, RUNS, devices);
		measure(kq, dir, "device show", 20, RUNS, show);
		measure(kq, dir, "map export (json)", 3000, 3, json);
		measure(kq, dir, "map export --format dot", 3000, 3, dot);
		measure(kq, dir, "status", 1000, 3, status);
	}
	if (keep == NULL)
		testutil_rmtree(dir);
	free(dir);
	return 0;
}
