/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark of map render (issue 15): fills a database through the engine
 * with 1,000 devices and 5,000 device pairs (200 agents, 800 peers, two
 * ports per pair), then times the whole "kics-query map render" command to
 * SVG and to PNG (process start included), the Graphviz layout alone (the
 * library call, in this process), and as a baseline in the same run the
 * Graphviz sfdp program laying out the same graph from "map export
 * --format dot --aggregate pairs" (only when sfdp is installed; the
 * product itself never runs it).
 *
 * usage: bench-render [--agents N] [--peers-per-agent N] [--keep DIR]
 *            KICS_QUERY
 * --keep DIR keeps the database (and pictures) in DIR; an existing
 * DIR/kics-epp.db is reused without generating.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-fx.h"
#include "engine.h"
#include "query.h"
#include "report-build.h"
#include "testutil.h"

#define GOAL_S		10.0
#define RUNS		3
#define PEERS		800	/* devices without an agent */
#define BATCH		20

static void
apply_all(struct engine *e, rb_report **rep, size_t n, long long now)
{
	struct engine_report er[BATCH];

	for (size_t i = 0; i < n; i++) {
		er[i].report = rep[i];
		er[i].server_id = 0;
	}
	CHECK_EQ(engine_apply_batch(e, er, n, now), 0);
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ(er[i].status, REPORT_STATUS_COMMITTED);
		rb_free(rep[i]);
	}
}

/* Agent a talks to ppa peers on two ports each; every 5th is silent. */
static rb_report *
agent_report(int a, int ppa)
{
	char id[32], mac[32], ip[32], host[32], peer[32];
	Kics__Epp__V1__EppEvent *ev;
	rb_report *r;

	(void)sprintf(id, "bench-render-%03d", a);
	(void)sprintf(mac, "02:00:00:01:%02x:%02x", a >> 8, a & 0xff);
	(void)sprintf(ip, "10.50.%d.%d", a / 200, a % 200 + 1);
	(void)sprintf(host, "WS-%03d", a);
	r = rb_new(id, 1);
	(void)rb_host(r, host, a % 10 == 0 ? "Windows Server 2019" :
	    "Windows 10 Enterprise", "10.0", mac, ip);
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	if (a % 7 == 0 || a % 11 == 0) {
		ev = rb_event(r, "e1", "network_attack", "bench event");
		ev->severity = a % 7 == 0 ?
		    KICS__EPP__V1__EPP_EVENT__SEVERITY__CRITICAL :
		    KICS__EPP__V1__EPP_EVENT__SEVERITY__WARNING;
	}
	for (int k = 0; k < ppa; k++) {
		int p = (a * 7 + k * 13) % PEERS;

		(void)sprintf(peer, "10.60.%d.%d", p / 200, p % 200 + 1);
		(void)rb_conn(r, 1, 1, peer, NULL, 502, 10 * (k + 1), 9);
		(void)rb_conn(r, 1, 1, peer, NULL, 102, 3, 3);
	}
	return r;
}

static void
generate(const char *path, int agents, int ppa)
{
	struct engine_config cfg;
	struct event_types *types = NULL;
	struct diag *d = diag_new();
	struct engine *e = NULL;
	rb_report *rep[BATCH];
	long long now = testutil_now_ms();
	size_t n = 0;

	CHECK(d != NULL);
	CHECK_EQ(event_types_load_default(d, &types), 0);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(path, &cfg, types, &e), 0);
	for (int silent = 1; silent >= 0; silent--) {
		for (int a = 0; a < agents; a++) {
			if ((a % 5 == 0) != silent)
				continue;
			rep[n++] = agent_report(a, ppa);
			if (n == BATCH) {
				apply_all(e, rep, n, now - silent * 7200000LL);
				n = 0;
			}
		}
		if (n > 0)
			apply_all(e, rep, n, now - silent * 7200000LL);
		n = 0;
	}
	engine_free(e);
	event_types_free(types);
	diag_free(d);
}

/* Wall and CPU (user + system) time of one child process. */
struct times {
	double	wall, cpu;
};

static double
tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Runs argv with stdout to out (or /dev/null). */
static struct times
run(char *const *argv, const char *out)
{
	struct times t;
	struct rusage ru;
	double t0 = bench_wall_s();
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		int fd = out != NULL ? open(out, O_WRONLY | O_CREAT | O_TRUNC,
		    0644) : open("/dev/null", O_WRONLY);

		(void)dup2(fd, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	CHECK(pid > 0);
	CHECK(wait4(pid, &status, 0, &ru) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	t.wall = bench_wall_s() - t0;
	t.cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	return t;
}

/* Medians of RUNS runs, wall and CPU each. */
static struct times
median(char *const *argv, const char *out)
{
	double w[RUNS], c[RUNS];
	struct times t;

	for (int i = 0; i < RUNS; i++) {
		t = run(argv, out);
		w[i] = t.wall;
		c[i] = t.cpu;
	}
	t.wall = bench_median(w, RUNS);
	t.cpu = bench_median(c, RUNS);
	return t;
}

static void
report(const char *what, struct times t)
{
	(void)printf("  %-4s wall %6.2f s, CPU %6.2f s  (goal <= %.0f s)%s\n",
	    what, t.wall, t.cpu, GOAL_S, t.wall > GOAL_S ? "  OVER" : "");
}

/* The library call alone, to split the time into its parts. */
static void
parts(const char *dir, const char *file)
{
	char err[QUERY_ERRMSG_LEN], out[4200];
	struct query_render_stats st;
	struct query_map_filter f;
	struct query_db *db;

	CHECK_EQ(query_db_open(dir, err, sizeof(err), &db), 0);
	query_map_filter_init(&f);
	(void)snprintf(out, sizeof(out), "%s/%s", dir, file);
	CHECK_EQ(query_map_render(db, &f, out, &st), 0);
	(void)printf("  %-8s %zu devices, %zu pairs: load %.2f s, layout "
	    "(%s) %.2f s, draw and write %.2f s\n", file, st.nodes,
	    st.pairs, st.load_s, st.layout, st.layout_s, st.render_s);
	query_db_free(db);
}

static bool
have_sfdp(void)
{
	return system("command -v sfdp >/dev/null 2>&1") == 0;
}

int
main(int argc, char **argv)
{
	const char *kq = NULL, *keep = NULL;
	struct stat sb;
	int agents = 200, ppa = 25;
	char *dir, path[4096], svg[4200], png[4200], dot[4200];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--agents") == 0 && i + 1 < argc)
			agents = atoi(argv[++i]);
		else if (strcmp(argv[i], "--peers-per-agent") == 0 &&
		    i + 1 < argc)
			ppa = atoi(argv[++i]);
		else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
			keep = argv[++i];
		else
			kq = argv[i];
	}
	CHECK(kq != NULL && agents > 0 && ppa > 0);
	dir = keep != NULL ? strdup(keep) : testutil_mkdtemp();
	CHECK(dir != NULL);
	(void)mkdir(dir, 0700);
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", dir);
	if (stat(path, &sb) != 0)
		generate(path, agents, ppa);
	(void)snprintf(svg, sizeof(svg), "%s/map.svg", dir);
	(void)snprintf(png, sizeof(png), "%s/map.png", dir);
	(void)snprintf(dot, sizeof(dot), "%s/pairs.dot", dir);
	{
		char *rsvg[] = { (char *)kq, (char *)"--data-dir", dir,
		    (char *)"map", (char *)"render", (char *)"--out", svg,
		    NULL };
		char *rpng[] = { (char *)kq, (char *)"--data-dir", dir,
		    (char *)"map", (char *)"render", (char *)"--out", png,
		    NULL };
		char *exp[] = { (char *)kq, (char *)"--data-dir", dir,
		    (char *)"map", (char *)"export", (char *)"--format",
		    (char *)"dot", (char *)"--aggregate", (char *)"pairs",
		    NULL };
		char *base[] = { (char *)"sfdp", (char *)"-Goverlap=prism",
		    (char *)"-Gsplines=false", (char *)"-Tsvg", dot,
		    (char *)"-o", (char *)"/dev/null", NULL };
		struct times t_svg = median(rsvg, NULL);
		struct times t_png = median(rpng, NULL), t_base;

		(void)printf("map render, whole command, median of %d (the "
		    "machine is shared: CPU time is the steadier figure):\n",
		    RUNS);
		report("svg", t_svg);
		report("png", t_png);
		(void)printf("parts, one run in this process:\n");
		parts(dir, "map.svg");
		parts(dir, "map.png");
		if (have_sfdp()) {
			(void)run(exp, dot);
			t_base = median(base, NULL);
			(void)printf("baseline: the sfdp program on the same "
			    "pairs (map export --format dot --aggregate pairs), "
			    "SVG:\n  wall %.2f s, CPU %.2f s; map render svg / "
			    "baseline: wall %.2f, CPU %.2f\n", t_base.wall,
			    t_base.cpu, t_svg.wall / t_base.wall,
			    t_svg.cpu / t_base.cpu);
		} else {
			(void)printf("baseline: sfdp is not installed "
			    "(Debian package graphviz), none measured\n");
		}
	}
	if (keep == NULL)
		testutil_rmtree(dir);
	free(dir);
	return 0;
}
