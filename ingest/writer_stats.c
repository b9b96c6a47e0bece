/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the group-commit statistics of the writer and the
 * checkpointer, and the peer cache's counters, as the "writer" object of
 * the daemon's live status (kics-query status), issue 17.
 */
#include <stdint.h>

#include "resend_cache.h"
#include "strbuf.h"
#include "writer-private.h"

/* Microseconds as milliseconds with three decimals. */
static double
ms(uint64_t us)
{
	return (double)us / 1000.0;
}

/* a / b, 0 when b is 0. */
static double
ratio(uint64_t a, uint64_t b)
{
	return b > 0 ? (double)a / (double)b : 0.0;
}

/* b - a, 0 when either stage was skipped or the clock went backwards. */
static uint64_t
stage_us(int64_t a, int64_t b)
{
	return a > 0 && b > a ? (uint64_t)(b - a) : 0;
}

void
writer_stats_answer(struct writer_stats *st, const struct writer_job *job,
    int64_t now)
{
	uint64_t us = stage_us(job->submit_us, now);
	/* a skipped stage's time goes to the stage before it */
	int64_t taken = job->taken_us > 0 ? job->taken_us : job->submit_us;
	int64_t handed = job->handed_us > 0 ? job->handed_us : taken;
	int64_t released = job->released_us > 0 ? job->released_us : handed;

	st->answers++;
	if (us > st->answer_us_max)
		st->answer_us_max = us;
	if (us > WRITER_ANSWER_LIMIT_MS * 1000)
		st->answers_over_limit++;
	if (us <= WRITER_SLOW_ANSWER_MS * 1000)
		return;
	st->answers_slow++;
	st->slow_queue_us_total += stage_us(job->submit_us, taken);
	st->slow_batch_us_total += stage_us(taken, handed);
	st->slow_fsync_us_total += stage_us(handed, released);
	st->slow_loop_us_total += stage_us(released, now);
}

/* The answer times and where the slow ones waited. */
static void
writer_stats_answers(struct strbuf *b, const struct writer_stats *st)
{
	(void)strbuf_printf(b, "\"answers\":%llu,\"answer_ms_max\":%.3f,"
	    "\"answers_over_%dms\":%llu,\"answers_over_%dms\":%llu,"
	    "\"slow_answers_queue_ms_total\":%.3f,"
	    "\"slow_answers_batch_ms_total\":%.3f,"
	    "\"slow_answers_fsync_ms_total\":%.3f,"
	    "\"slow_answers_loop_ms_total\":%.3f,",
	    (unsigned long long)st->answers, ms(st->answer_us_max),
	    WRITER_SLOW_ANSWER_MS, (unsigned long long)st->answers_slow,
	    WRITER_ANSWER_LIMIT_MS, (unsigned long long)st->answers_over_limit,
	    ms(st->slow_queue_us_total), ms(st->slow_batch_us_total),
	    ms(st->slow_fsync_us_total), ms(st->slow_loop_us_total));
}

/* Batches, queue, decoding and COMMIT. */
static void
writer_stats_commit(struct strbuf *b, const struct writer_stats *st)
{
	(void)strbuf_printf(b, "\"batches\":%llu,\"reports\":%llu,"
	    "\"batch_last\":%llu,\"batch_mean\":%.2f,\"batch_max\":%llu,"
	    "\"resends_early\":%llu,\"prepared_ahead\":%llu,"
	    "\"queue_now\":%llu,\"queue_max\":%llu,",
	    (unsigned long long)st->batches, (unsigned long long)st->reports,
	    (unsigned long long)st->batch_last,
	    ratio(st->reports, st->batches),
	    (unsigned long long)st->batch_max,
	    (unsigned long long)st->resends_early,
	    (unsigned long long)st->prepared_ahead,
	    (unsigned long long)st->queue_now,
	    (unsigned long long)st->queue_max);
	(void)strbuf_printf(b, "\"commits\":%llu,\"commit_ms_last\":%.3f,"
	    "\"commit_ms_mean\":%.3f,\"commit_ms_max\":%.3f,"
	    "\"commit_ms_total\":%.3f,\"apply_ms_total\":%.3f,"
	    "\"apply_ms_max\":%.3f,"
	    "\"prepare_ms_total\":%.3f,\"apply_cpu_ms_total\":%.3f,"
	    "\"prepare_cpu_ms_total\":%.3f,\"uptime_s\":%.3f,"
	    "\"maintenance_runs\":%llu,\"maintenance_ms_max\":%.3f,"
	    "\"maintenance_ms_total\":%.3f,",
	    (unsigned long long)st->wal.commits, ms(st->wal.commit_us_last),
	    ratio(st->wal.commit_us_total, st->wal.commits) / 1000.0,
	    ms(st->wal.commit_us_max), ms(st->wal.commit_us_total),
	    ms(st->apply_us_total), ms(st->apply_us_max),
	    ms(st->prepare_us_total),
	    ms(st->apply_cpu_us_total), ms(st->prepare_cpu_us_total),
	    ms(st->uptime_us) / 1000.0, (unsigned long long)st->ticks,
	    ms(st->tick_us_max), ms(st->tick_us_total));
}

/* The fsyncs inside COMMITs and inside checkpoints. */
static void
writer_stats_sync(struct strbuf *b, const struct writer_stats *st)
{
	const struct store_sync_stats *y = &st->sync;

	(void)strbuf_printf(b, "\"fsyncs\":%llu,\"fsync_ms_mean\":%.3f,"
	    "\"fsync_ms_max\":%.3f,\"fsync_ms_total\":%.3f,"
	    "\"checkpoint_fsyncs\":%llu,\"checkpoint_fsync_ms_max\":%.3f,"
	    "\"checkpoint_fsync_ms_total\":%.3f,"
	    "\"fsync_deferred_commits\":%llu,\"fsync_deferred\":%llu,"
	    "\"sqlite_writes\":%llu,\"file_writes\":%llu,",
	    (unsigned long long)y->commit_syncs,
	    ratio(y->commit_sync_us_total, y->commit_syncs) / 1000.0,
	    ms(y->commit_sync_us_max), ms(y->commit_sync_us_total),
	    (unsigned long long)y->ckpt_syncs, ms(y->ckpt_sync_us_max),
	    ms(y->ckpt_sync_us_total),
	    (unsigned long long)y->deferred_commits,
	    (unsigned long long)y->deferred_syncs,
	    (unsigned long long)y->sqlite_writes,
	    (unsigned long long)y->file_writes);
}

/* The WAL and its checkpoints. */
static void
writer_stats_wal(struct strbuf *b, const struct writer_stats *st)
{
	const struct checkpointer_stats *c = &st->ckpt;

	(void)strbuf_printf(b, "\"checkpointer\":\"%s\",\"wal_frames\":%llu,"
	    "\"wal_bytes\":%lld,\"wal_bytes_max\":%lld,",
	    st->checkpointer ? "thread" : "inline",
	    (unsigned long long)st->wal.wal_frames, (long long)c->wal_bytes,
	    (long long)c->wal_bytes_max);
	(void)strbuf_printf(b, "\"checkpoints\":%llu,"
	    "\"checkpoint_pages_last\":%llu,\"checkpoint_pages_total\":%llu,"
	    "\"checkpoint_ms_last\":%.3f,\"checkpoint_ms_max\":%.3f,"
	    "\"checkpoint_ms_total\":%.3f,\"checkpoints_incomplete\":%llu,"
	    "\"checkpoint_failures\":%llu,\"checkpoint_drains\":%llu,"
	    "\"checkpoint_soft_drains\":%llu,"
	    "\"checkpoint_soft_timeouts\":%llu,"
	    "\"checkpoint_early_syncs\":%llu,"
	    "\"drain_ms_total\":%.3f,\"inline_checkpoints\":%llu",
	    (unsigned long long)c->runs, (unsigned long long)c->frames_last,
	    (unsigned long long)c->frames_total, ms(c->us_last),
	    ms(c->us_max), ms(c->us_total),
	    (unsigned long long)c->incomplete,
	    (unsigned long long)c->failures, (unsigned long long)c->drains,
	    (unsigned long long)c->soft_drains,
	    (unsigned long long)c->soft_timeouts,
	    (unsigned long long)c->early_syncs,
	    ms(st->drain_us_total),
	    (unsigned long long)st->wal.inline_checkpoints);
}

/* The peer cache of the writer's connection. */
static void
writer_stats_peer_cache(struct strbuf *b, const struct writer_stats *st)
{
	const struct engine_peer_cache_stats *p = &st->peer_cache;

	(void)strbuf_printf(b, ",\"peer_cache_hits\":%llu,"
	    "\"peer_cache_misses\":%llu,\"peer_cache_hit_ratio\":%.4f,"
	    "\"peer_cache_evictions\":%llu,\"peer_cache_clears\":%llu,"
	    "\"peer_cache_primary_skips\":%llu,\"peer_cache_entries\":%llu",
	    (unsigned long long)p->hits, (unsigned long long)p->misses,
	    ratio(p->hits, p->hits + p->misses),
	    (unsigned long long)p->evictions, (unsigned long long)p->clears,
	    (unsigned long long)p->primary_skips,
	    (unsigned long long)p->entries);
}

/* The loop's own answers to resends (resend_cache.h); loop thread. */
static void
writer_stats_resend_cache(struct strbuf *b, struct writer *w)
{
	struct resend_cache_stats rs;

	resend_cache_stats(writer_resends(w), &rs);
	(void)strbuf_printf(b, ",\"resends_loop\":%llu,"
	    "\"resend_cache_entries\":%llu,\"resend_cache_evictions\":%llu,"
	    "\"resend_cache_forgotten\":%llu",
	    (unsigned long long)rs.hits, (unsigned long long)rs.entries,
	    (unsigned long long)rs.evictions,
	    (unsigned long long)rs.forgotten);
}

void
writer_stats_json(struct writer *w, struct strbuf *b)
{
	struct writer_stats st;

	writer_stats(w, &st);
	(void)strbuf_append(b, "{");
	writer_stats_commit(b, &st);
	writer_stats_answers(b, &st);
	writer_stats_sync(b, &st);
	writer_stats_wal(b, &st);
	writer_stats_peer_cache(b, &st);
	writer_stats_resend_cache(b, w);
	(void)strbuf_append(b, "}");
}
