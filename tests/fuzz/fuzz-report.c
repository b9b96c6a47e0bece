/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target of an agent's report, in the order the daemon handles a
 * body (ingest/http.c): the wire pre-scan, protobuf-c decoding, validation,
 * then the engine on a real database opened once per process, so that
 * every input that passes the checks is merged (one transaction each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "engine.h"
#include "epp_agent.pb-c.h"
#include "event_types.h"
#include "fuzz-util.h"
#include "prescan.h"
#include "rules.h"
#include "validate.h"

/*
 * Small caps, so that a run of a few minutes reaches the agent limit and
 * the trimming of events and interactions, not only the insertions.
 */
#define FUZZ_MAX_AGENTS		50
#define FUZZ_MAX_DEVICES	200
#define FUZZ_MAX_EVENTS		500
#define FUZZ_MAX_INTERACTIONS	500
#define FUZZ_TICK_EVERY		64	/* inputs between engine_tick() calls */
#define FUZZ_STEP_MS		1000	/* the clock moves by this per input */
#define FUZZ_EPOCH_MS		1700000000000LL
/* The largest body the fuzzer tries; the daemon's limit is higher. */
#define FUZZ_MAX_INPUT		(1024 * 1024)

static struct event_types *fuzz_types;
static struct rules *fuzz_rules;
static struct engine *fuzz_engine;
static int64_t fuzz_now_ms = FUZZ_EPOCH_MS;
static unsigned long fuzz_inputs;

static void
fuzz_report_close(void)
{
	engine_free(fuzz_engine);
	rules_free(fuzz_rules);
	event_types_free(fuzz_types);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct engine_config cfg;
	struct diag *d = diag_new();
	char path[4096];
	int r;

	(void)argc;
	(void)argv;
	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", fuzz_dir());
	engine_config_init(&cfg);
	cfg.max_agents = FUZZ_MAX_AGENTS;
	cfg.max_devices = FUZZ_MAX_DEVICES;
	cfg.max_events = FUZZ_MAX_EVENTS;
	cfg.max_interactions = FUZZ_MAX_INTERACTIONS;
	if (d == NULL || event_types_load_default(d, &fuzz_types) < 0 ||
	    rules_load(NULL, d, &fuzz_rules) < 0) {
		(void)fprintf(stderr, "fuzz-report: built-in files refused\n");
		abort();
	}
	diag_free(d);
	if ((r = engine_open(path, &cfg, fuzz_types, &fuzz_engine)) < 0) {
		(void)fprintf(stderr, "fuzz-report: engine_open: %d\n", r);
		abort();
	}
	engine_set_rules(fuzz_engine, fuzz_rules);
	/* runs before fuzz_dir()'s removal: atexit order is reversed */
	if (atexit(fuzz_report_close) != 0)
		abort();
	return 0;
}

/*
 * The daemon scans bodies piece by piece as they arrive: whatever the
 * pieces, the verdict and its reason must be those of the whole body.
 */
static void
fuzz_check_pieces(const uint8_t *data, size_t size, int whole,
    const char *reason)
{
	size_t piece = size > 0 ? (size_t)data[0] % 13 + 1 : 1;
	struct prescan_stream s;
	int r = 0;

	prescan_stream_init(&s, size);
	for (size_t i = 0; i < size && r == 0; i += piece)
		r = prescan_stream_feed(&s, data + i,
		    size - i < piece ? size - i : piece);
	if (r == 0)
		r = prescan_stream_end(&s);
	if (r != whole || (r < 0 && strcmp(s.reason, reason) != 0)) {
		(void)fprintf(stderr, "fuzz-report: in pieces of %zu: %d '%s', "
		    "whole: %d '%s'\n", piece, r, s.reason, whole, reason);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Kics__Epp__V1__AgentReport *report;
	struct engine_report er = { 0 };
	char reason[VALIDATE_REASON_LEN];
	int r;

	if (size > FUZZ_MAX_INPUT)
		return -1;
	/*
	 * The pre-scan comes first, as in the daemon: it refuses what
	 * protobuf-c 1.4 must not see (5-byte varints in 32-bit fields, which
	 * it shifts into the sign bit) and what would cost too much.
	 */
	r = report_prescan(data, size, reason, sizeof(reason));
	fuzz_check_pieces(data, size, r, reason);
	if (r < 0)
		return 0;
	report = kics__epp__v1__agent_report__unpack(NULL, size, data);
	if (report == NULL)
		return 0;
	if (report_validate(report, reason, sizeof(reason)) == 0) {
		fuzz_now_ms += FUZZ_STEP_MS;
		er.report = report;
		/*
		 * Nothing fails on purpose here (no fault injection, a local
		 * file): a storage error on a valid report is an engine bug,
		 * such as a constraint its checks did not foresee.
		 */
		if (engine_apply_batch(fuzz_engine, &er, 1, fuzz_now_ms) < 0 ||
		    er.status == REPORT_STATUS_FAILED) {
			(void)fprintf(stderr, "fuzz-report: valid report not "
			    "stored: %s (%s)\n", er.reason,
			    engine_errmsg(fuzz_engine));
			abort();
		}
		if (++fuzz_inputs % FUZZ_TICK_EVERY == 0 &&
		    engine_tick(fuzz_engine, fuzz_now_ms) < 0) {
			(void)fprintf(stderr, "fuzz-report: engine_tick: %s\n",
			    engine_errmsg(fuzz_engine));
			abort();
		}
	}
	kics__epp__v1__agent_report__free_unpacked(report, NULL);
	return 0;
}
