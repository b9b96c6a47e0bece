/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the engine's lifecycle, the batch transaction around
 * reports (group commit) and the periodic work: connection state,
 * archiving and retention.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine-private.h"
#include "rules.h"
#include "validate.h"

void
engine_config_init(struct engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->agent_timeout_ms = 180 * 1000;
	cfg->report_interval_s = 60;
	cfg->max_agents = 1000;
	cfg->max_devices = 100000;
	cfg->max_archived_devices = 100000;
	cfg->max_events = 10000000;
	cfg->max_interactions = 1000000;
	cfg->archive_after_days = 30;
	cfg->max_new_per_address = 60;
}

static int tick_save_rules(struct engine *e, int64_t now_ms);

int
engine_open(const char *path, const struct engine_config *cfg,
    const struct event_types *types, struct engine **ret_engine)
{
	struct engine *e = NULL;
	int64_t timeout;
	int r;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->cfg = *cfg;
	e->types = types;
	e->device_count = -1;
	e->interactions_counted = -1;
	/* never less than twice the interval agents are told (DESIGN.md) */
	timeout = cfg->agent_timeout_ms;
	if (timeout < 2000 * (int64_t)cfg->report_interval_s)
		timeout = 2000 * (int64_t)cfg->report_interval_s;
	e->cfg.agent_timeout_ms = timeout;
	if ((r = store_open(path, NULL, 0, &e->store)) < 0)
		goto out;
	if ((r = store_begin(e->store)) < 0)
		goto out;
	if ((r = store_setting_set_int(e->store, "agent_timeout_ms",
	    timeout)) >= 0 &&
	    (r = store_setting_set_int(e->store, "report_interval_s",
	    cfg->report_interval_s)) >= 0)
		r = store_setting_set_int(e->store, "max_agents",
		    cfg->max_agents);
	if ((r = store_end(e->store, r)) < 0)
		goto out;
	*ret_engine = e;
	e = NULL;
out:
	engine_free(e);
	return r;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	/* the last counters, for kics-query rules list; best effort */
	if (e->rules != NULL && store_begin(e->store) == 0) {
		e->rules_saved_ms = 0;
		(void)store_end(e->store, tick_save_rules(e, clock_wall_ms()));
	}
	store_free(e->store);
	free(e);
}

void
engine_set_event_types(struct engine *e, const struct event_types *types)
{
	e->types = types;
}

void
engine_set_rules(struct engine *e, struct rules *rules)
{
	e->rules = rules;
	e->rules_loaded_ms = 0;	/* saved by the next engine_tick() */
}

/* Sum of every rule's counters: they only grow, so a change shows. */
static uint64_t
rules_counter_total(const struct rules *rules)
{
	uint64_t total = 0;

	for (size_t i = 0; i < rules_count(rules); i++)
		total += rules_matches(rules, i) + rules_drops(rules, i);
	return total;
}

/*
 * Saves the rule set and its counters for kics-query (rules_state): when
 * a set is loaded, then at most every ENGINE_RULES_SAVE_MS and only when a
 * counter moved, so that an idle daemon does not write.
 */
static int
tick_save_rules(struct engine *e, int64_t now_ms)
{
	char *json = NULL;
	uint64_t total;
	int r;

	if (e->rules == NULL || (e->rules_loaded_ms != 0 &&
	    now_ms - e->rules_saved_ms < ENGINE_RULES_SAVE_MS))
		return 0;
	total = rules_counter_total(e->rules);
	if (e->rules_loaded_ms != 0 && total == e->rules_saved_total)
		return 0;
	if (e->rules_loaded_ms == 0)
		e->rules_loaded_ms = now_ms;
	if ((r = rules_list_json(e->rules, &json)) < 0)
		return r;
	r = store_rules_state_put(e->store, rules_source(e->rules),
	    e->rules_loaded_ms, json, now_ms);
	free(json);
	if (r == 0) {
		e->rules_saved_ms = now_ms;
		e->rules_saved_total = total;
	}
	return r;
}

void
engine_wal_stats(const struct engine *e, struct store_wal_stats *ret)
{
	store_wal_stats(e->store, ret);
}

void
engine_peer_cache_stats(const struct engine *e,
    struct engine_peer_cache_stats *ret)
{
	struct store_peer_cache_stats st;

	store_peer_cache_stats(e->store, &st);
	ret->hits = st.hits;
	ret->misses = st.misses;
	ret->evictions = st.evictions;
	ret->clears = st.clears;
	ret->primary_skips = st.primary_skips;
	ret->entries = st.entries;
}

int
engine_event_max_id(struct engine *e, int64_t *ret_id)
{
	return store_event_max_id(e->store, ret_id);
}

int
engine_wal_handoff(struct engine *e, struct store_ckpt **ret_ckpt)
{
	return store_wal_handoff(e->store, ret_ckpt);
}

const char *
engine_errmsg(const struct engine *e)
{
	return store_errmsg(e->store);
}

/*
 * Notes, inside the batch's transaction, when each integration server last
 * received data: once per server and batch.
 */
static int
batch_touch_servers(struct engine *e, const struct engine_report *reports,
    size_t n, int64_t now_ms)
{
	int64_t last = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		int64_t id = reports[i].server_id;

		/* batches come mostly from one listener: skip repeats */
		if (id == 0 || id == last ||
		    reports[i].status != REPORT_STATUS_COMMITTED)
			continue;
		if ((r = store_server_touch(e->store, id, now_ms)) < 0)
			return r;
		last = id;
	}
	return 0;
}

/*
 * Registers "agent limit reached" for the computers this batch refused,
 * once per agent an hour (DESIGN.md: "not a flood"). The agents are
 * remembered in a fixed table; when it is full the oldest entry goes.
 */
static int
batch_note_refused(struct engine *e, const struct engine_report *reports,
    size_t n, int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *id = reports[i].report->agent_id;
		struct engine_refused *slot = &e->refused[0];
		bool recent = false;

		if (reports[i].status != REPORT_STATUS_AGENT_LIMIT)
			continue;
		for (size_t j = 0; j < ENGINE_REFUSED_SLOTS; j++) {
			struct engine_refused *x = &e->refused[j];

			if (x->event_ms != 0 && strcmp(x->agent_id, id) == 0) {
				slot = x;
				recent = now_ms - x->event_ms <
				    ENGINE_NOTICE_MS;
				break;
			}
			if (x->event_ms < slot->event_ms)
				slot = x;
		}
		if (recent)
			continue;
		(void)snprintf(text, sizeof(text), "computer with agent '%s' "
		    "refused: %s", id, reports[i].reason);
		if ((r = event_system(e, EVENT_AGENT_LIMIT, 0, 0, NULL, text,
		    now_ms)) < 0)
			return r;
		(void)snprintf(slot->agent_id, sizeof(slot->agent_id), "%s",
		    id);
		slot->event_ms = now_ms;
	}
	return 0;
}

/* Marks every valid report of the batch FAILED with the store's message. */
static void
batch_fail(struct engine *e, struct engine_report *reports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct engine_report *er = &reports[i];

		if (er->status == REPORT_STATUS_INVALID)
			continue;
		er->status = REPORT_STATUS_FAILED;
		er->token[0] = '\0';
		(void)snprintf(er->reason, sizeof(er->reason),
		    "storage error: %s", store_errmsg(e->store));
	}
}

/*
 * The fast path: every report straight into one transaction. Refused and
 * repeated reports write nothing before they are refused, so only a storage
 * error needs undoing, and then the whole transaction is rolled back and
 * the caller retries with a savepoint per report. Savepoints cost about a
 * third of the ingest rate, hence this path. Returns 0 when committed,
 * -EAGAIN when a report failed (rolled back), or a negative errno.
 */
static int
batch_fast(struct engine *e, struct engine_report *reports, size_t n,
    int64_t now_ms)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (reports[i].status == REPORT_STATUS_INVALID)
			continue;
		if (report_apply(e, &reports[i], now_ms) < 0) {
			r = -EAGAIN;
			break;
		}
	}
	/* the batch's interactions, merged (issue 17): a failure to write
	   them is a report's, found by the careful path */
	if (r >= 0 && store_interaction_flush(e->store) < 0)
		r = -EAGAIN;
	if (r >= 0 &&
	    (r = batch_touch_servers(e, reports, n, now_ms)) >= 0)
		r = batch_note_refused(e, reports, n, now_ms);
	if ((r = store_end(e->store, r)) < 0)
		e->device_count = -1;
	return r;
}

/* The careful path: a savepoint per report isolates the one that fails. */
static int
batch_isolated(struct engine *e, struct engine_report *reports, size_t n,
    int64_t now_ms)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct engine_report *er = &reports[i];

		if (er->status == REPORT_STATUS_INVALID)
			continue;
		er->status = REPORT_STATUS_FAILED;
		if ((r = store_savepoint(e->store)) < 0)
			goto out;
		r = report_apply(e, er, now_ms);
		/* its interactions inside its savepoint */
		if (r >= 0 && er->status == REPORT_STATUS_COMMITTED)
			r = store_interaction_flush(e->store);
		if (r < 0) {
			er->status = REPORT_STATUS_FAILED;
			(void)snprintf(er->reason, sizeof(er->reason),
			    "storage error: %s", store_errmsg(e->store));
			e->device_count = -1;
		}
		if (er->status != REPORT_STATUS_COMMITTED) {
			if ((r = store_savepoint_rollback(e->store)) < 0)
				goto out;
			continue;
		}
		if ((r = store_savepoint_release(e->store)) < 0)
			goto out;
	}
	if ((r = batch_touch_servers(e, reports, n, now_ms)) >= 0)
		r = batch_note_refused(e, reports, n, now_ms);
out:
	if ((r = store_end(e->store, r)) < 0) {
		e->device_count = -1;
		batch_fail(e, reports, n);
	}
	return r;
}

int
engine_apply_batch(struct engine *e, struct engine_report *reports, size_t n,
    int64_t now_ms)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		struct engine_report *er = &reports[i];

		er->reason[0] = '\0';
		er->token[0] = '\0';
		er->acked_sequence = 0;
		/* one validation per report: the caller's, else this one */
		if (!er->validated && report_validate(er->report, er->reason,
		    sizeof(er->reason)) < 0)
			er->status = REPORT_STATUS_INVALID;
		else
			er->status = REPORT_STATUS_FAILED;
	}
	r = batch_fast(e, reports, n, now_ms);
	if (r == -EAGAIN)
		r = batch_isolated(e, reports, n, now_ms);
	else if (r < 0)
		batch_fail(e, reports, n);
	return r;
}

int
engine_system_event(struct engine *e, const char *category,
    int64_t device_id, const char *description, int64_t now_ms)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	r = event_system(e, category, device_id, 0, NULL, description, now_ms);
	return store_end(e->store, r);
}

static int
tick_disconnected(void *ctx, int64_t id, int64_t device_id,
    const char *agent_id)
{
	struct engine *e = ctx;
	char text[ENGINE_SYSTEM_TEXT_LEN];

	(void)snprintf(text, sizeof(text), "agent '%s' has been silent for "
	    "more than %lld s", agent_id,
	    (long long)(e->cfg.agent_timeout_ms / 1000));
	return event_system(e, EVENT_AGENT_DISCONNECTED, device_id, id, NULL,
	    text, e->tick_now_ms);
}

/*
 * Decides how many rows each cap asks to delete: the oldest 10 % (at least
 * one) when over; the next ticks check again, so a cap far exceeded is
 * reached in several rounds.
 */
/*
 * Whether the interactions may have passed max_interactions since they
 * were last counted: the count then plus every interaction written since
 * (each at most one more row) is an upper bound. Counting reads every row
 * (about 50 ms at 300,000 rows on the writer thread, issue 17), so it is
 * done only when that bound passes the cap, and in steps of
 * ENGINE_COUNT_STEP rows, one a tick (tick_count_interactions()).
 */
static bool
tick_interactions_may_pass(const struct engine *e)
{
	uint64_t since = store_interaction_writes(e->store) -
	    e->interaction_writes_then;

	return e->interactions_counted < 0 ||
	    since > e->cfg.max_interactions ||
	    (uint64_t)e->interactions_counted + since >
	    e->cfg.max_interactions;
}

static int
tick_plan_trim(struct engine *e)
{
	int64_t count;
	int r;

	if (e->trim_events_left == 0) {
		if ((r = store_event_count(e->store, &count)) < 0)
			return r;
		if (count > (int64_t)e->cfg.max_events)
			e->trim_events_left = count / 10 > 0 ? count / 10 : 1;
	}
	if (e->trim_interactions_left == 0 && !e->icount_running &&
	    tick_interactions_may_pass(e)) {
		e->icount_running = true;
		e->icount_after = INT64_MIN;
		e->icount_rows = 0;
		/* rows written while it runs count as written since */
		e->icount_writes = store_interaction_writes(e->store);
	}
	return 0;
}

/*
 * One step of the count tick_plan_trim() began: 1 while rows are left to
 * count, 0 once counted (and the trim planned if over the cap), or a
 * negative errno. The steps are not one snapshot: a row written between
 * two may be counted or not, and the next bound covers it either way.
 */
static int
tick_count_interactions(struct engine *e)
{
	int r;

	r = store_interaction_count_step(e->store, &e->icount_after,
	    ENGINE_COUNT_STEP, &e->icount_rows);
	if (r != 0) {
		e->icount_running = r > 0;
		return r;
	}
	e->icount_running = false;
	e->interactions_counted = e->icount_rows;
	e->interaction_writes_then = e->icount_writes;
	if (e->icount_rows > (int64_t)e->cfg.max_interactions)
		e->trim_interactions_left = e->icount_rows / 10 > 0 ?
		    e->icount_rows / 10 : 1;
	return 0;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int
engine_tick(struct engine *e, int64_t now_ms)
{
	int64_t step;
	int more = 0, n, r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	e->tick_now_ms = now_ms;
	n = store_agent_disconnect_silent(e->store,
	    now_ms - e->cfg.agent_timeout_ms, ENGINE_TICK_BATCH,
	    tick_disconnected, e);
	if ((r = n) < 0)
		goto out;
	more |= n == ENGINE_TICK_BATCH;
	/* archiving looks at the device table: once a minute is plenty,
	   and at once again while a batch leaves more to do */
	if (now_ms - e->archive_check_ms >= STORE_TOUCH_MS) {
		if ((n = archive_sweep(e, now_ms)) < 0) {
			r = n;
			goto out;
		}
		if (n == 0)
			e->archive_check_ms = now_ms;
		more |= n;
	}
	/* counting 1M interactions takes a while: every 10 s is enough,
	   and at once after a trim round, to see whether another is due */
	if (now_ms - e->trim_plan_ms >= ENGINE_TRIM_PLAN_MS ||
	    e->trim_again) {
		if ((r = tick_plan_trim(e)) < 0)
			goto out;
		e->trim_plan_ms = now_ms;
		e->trim_again = false;
		more |= e->trim_events_left > 0 ||
		    e->trim_interactions_left > 0;
	}
	if (e->icount_running) {
		if ((n = tick_count_interactions(e)) < 0) {
			r = n;
			goto out;
		}
		more |= n;
	}
	if (e->trim_events_left > 0) {
		step = min64(e->trim_events_left, ENGINE_TRIM_STEP);
		if ((r = store_event_trim(e->store, step)) < 0)
			goto out;
		e->trim_events_left -= step;
		e->trim_again |= e->trim_events_left == 0;
		more = 1;
	}
	if (e->trim_interactions_left > 0) {
		step = min64(e->trim_interactions_left, ENGINE_TRIM_STEP);
		if ((r = store_interaction_trim(e->store, step)) < 0)
			goto out;
		e->trim_interactions_left -= step;
		e->trim_again |= e->trim_interactions_left == 0;
		more = 1;
	}
	if ((r = tick_save_rules(e, now_ms)) >= 0)
		r = more ? 1 : 0;
out:
	if ((r = store_end(e->store, r)) < 0) {
		e->trim_events_left = 0;
		e->trim_interactions_left = 0;
		e->icount_running = false;
	}
	return r;
}
