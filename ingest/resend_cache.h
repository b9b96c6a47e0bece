/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loop's cache of resends it may answer alone (issue 17). An agent
 * that did not get its ack (a connection lost, a proxy's timeout) sends
 * the same report again; the writer answers it from the database
 * (writer_resend.c) with the ack it gave the first time. Once the writer
 * has answered a report of an agent that carried the agent's own token
 * (engine_report.token_bound) and that answer is on disk, the loop knows
 * that every later copy of that sequence or an earlier one bearing the
 * same token gets the same ack: 200, that sequence, no token. It answers
 * those itself, without waking the writer, so that copies neither wait
 * behind a batch's COMMIT nor take the writer's time from new reports.
 *
 * The cache knows nothing the database does not: each entry is the
 * highest sequence an answer on disk showed for an agent and its token.
 * An agent reset or removed by an administrator is forgotten, and
 * answers still in flight from before are not learned (an epoch). A
 * report the cache does not know goes to the writer as before, so a
 * full or empty cache only costs time.
 *
 * THREAD SAFETY NOTES: loop thread only.
 */
#ifndef KICS_RESEND_CACHE_H
#define KICS_RESEND_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#define RESEND_CACHE_SETS	256	/* of RESEND_CACHE_WAYS agents each */
#define RESEND_CACHE_WAYS	8	/* 2,048 agents, about 370 KiB */

struct report_head;
struct writer_job;
struct resend_cache;

struct resend_cache_stats {
	uint64_t	hits;		/* copies answered on the loop */
	uint64_t	entries;	/* agents known now */
	uint64_t	evictions;	/* agents pushed out by others */
	uint64_t	forgotten;	/* agents reset or removed */
};

/* Returns an empty cache, which the caller frees with resend_cache_free(). */
struct resend_cache *resend_cache_new(void);

/* Frees c. NULL-safe. */
void resend_cache_free(struct resend_cache *c);

/*
 * Whether the report whose head is h (report_head_read()) is a copy of
 * a sequence the cache knows on disk for its agent, bearing the token
 * that answer carried (compared in constant time). Counts a hit.
 */
bool resend_cache_known(struct resend_cache *c, const struct report_head *h);

/*
 * Notes in job, about to go to the writer, what learning from its answer
 * needs: the token h carries and the epoch. A head without a token of
 * ENGINE_TOKEN_LEN characters notes nothing (it can never be bound).
 */
void resend_cache_note(const struct resend_cache *c,
    const struct report_head *h, struct writer_job *job);

/*
 * Learns from job, answered by the writer and on disk (the writer hands
 * answers back only then, writer_durable.c): a COMMITTED or ALREADY
 * answer with token_bound, no new token for the agent, noted since the
 * last resend_cache_forget(). Anything else changes nothing.
 */
void resend_cache_learn(struct resend_cache *c, const struct writer_job *job);

/*
 * Forgets agent_id (its token was unbound or the agent removed) and
 * every answer in flight: none noted before is learned.
 */
void resend_cache_forget(struct resend_cache *c, const char *agent_id);

/* Copies the counters of c into *ret. */
void resend_cache_stats(const struct resend_cache *c,
    struct resend_cache_stats *ret);

#endif
