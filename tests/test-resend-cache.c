/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/resend_cache.c (issue 17): the loop answers a copy of a
 * report alone only after an answer on disk showed that sequence (or a
 * later one) for that agent under that token; a higher sequence, another
 * token, another agent or a head without a token go to the writer. It
 * learns only from COMMITTED or ALREADY answers that bore the agent's own
 * token and gave none, noted since the last forget; a forgotten agent and
 * answers in flight from before the forget are not known; past its size
 * the oldest agents of a set give way and are counted.
 */
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "report_head.h"
#include "resend_cache.h"
#include "testutil.h"

#define TOKEN_A	"0123456789abcdef0123456789abcdef"
#define TOKEN_B	"fedcba9876543210fedcba9876543210"

static struct report_head
head(const char *agent, uint64_t seq, const char *token)
{
	struct report_head h;

	memset(&h, 0, sizeof(h));
	(void)snprintf(h.agent_id, sizeof(h.agent_id), "%s", agent);
	(void)snprintf(h.agent_token, sizeof(h.agent_token), "%s", token);
	h.sequence = seq;
	return h;
}

/*
 * A job noted at submit for the report agent/seq/token and answered by
 * the writer with status, token_bound and new_token (the ack's).
 */
static struct writer_job
answered(struct resend_cache *c, const char *agent, uint64_t seq,
    const char *token, enum report_status status, bool bound,
    const char *new_token)
{
	struct report_head h = head(agent, seq, token);
	struct writer_job job;

	memset(&job, 0, sizeof(job));
	resend_cache_note(c, &h, &job);
	job.status = status;
	job.acked_sequence = seq;
	job.token_bound = bound;
	(void)snprintf(job.token, sizeof(job.token), "%s", new_token);
	(void)snprintf(job.agent_id, sizeof(job.agent_id), "%s", agent);
	return job;
}

static void
learn(struct resend_cache *c, const char *agent, uint64_t seq,
    const char *token, enum report_status status, bool bound,
    const char *new_token)
{
	struct writer_job job = answered(c, agent, seq, token, status, bound,
	    new_token);

	resend_cache_learn(c, &job);
}

static bool
known(struct resend_cache *c, const char *agent, uint64_t seq,
    const char *token)
{
	struct report_head h = head(agent, seq, token);

	return resend_cache_known(c, &h);
}

static struct resend_cache_stats
stats(const struct resend_cache *c)
{
	struct resend_cache_stats st;

	resend_cache_stats(c, &st);
	return st;
}

static void
test_known_after_bound_answer(void)
{
	struct resend_cache *c = resend_cache_new();

	CHECK(!known(c, "a", 1, TOKEN_A));
	learn(c, "a", 5, TOKEN_A, REPORT_STATUS_COMMITTED, true, "");
	CHECK_EQ(stats(c).entries, 1);
	CHECK(known(c, "a", 5, TOKEN_A));
	CHECK(known(c, "a", 1, TOKEN_A));
	CHECK(!known(c, "a", 6, TOKEN_A));	/* new: the writer's */
	CHECK(!known(c, "a", 5, TOKEN_B));	/* another token */
	CHECK(!known(c, "a", 5, ""));		/* none */
	CHECK(!known(c, "a", 5, "0123456789abcdef"));	/* a prefix */
	CHECK(!known(c, "a", 5, TOKEN_A "0"));	/* longer */
	CHECK(!known(c, "b", 5, TOKEN_A));	/* another agent */
	CHECK(!known(c, "aa", 5, TOKEN_A));
	CHECK_EQ(stats(c).hits, 2);
	/* an ALREADY answer of an earlier sequence lowers nothing */
	learn(c, "a", 2, TOKEN_A, REPORT_STATUS_ALREADY, true, "");
	CHECK(known(c, "a", 5, TOKEN_A));
	learn(c, "a", 9, TOKEN_A, REPORT_STATUS_COMMITTED, true, "");
	CHECK(known(c, "a", 9, TOKEN_A));
	CHECK_EQ(stats(c).entries, 1);
	resend_cache_free(c);
	resend_cache_free(NULL);
}

static void
test_learns_only_bound_answers_on_disk(void)
{
	struct resend_cache *c = resend_cache_new();
	struct writer_job job;

	/* a new agent (or a token unbound): the ack gives a token */
	learn(c, "a", 1, TOKEN_A, REPORT_STATUS_COMMITTED, false, TOKEN_B);
	learn(c, "a", 1, TOKEN_A, REPORT_STATUS_COMMITTED, true, TOKEN_B);
	/* not the agent's own token */
	learn(c, "a", 1, TOKEN_A, REPORT_STATUS_ALREADY, false, "");
	/* refused, invalid, not on disk */
	learn(c, "a", 1, TOKEN_A, REPORT_STATUS_IDENTITY, true, "");
	learn(c, "a", 1, TOKEN_A, REPORT_STATUS_INVALID, true, "");
	learn(c, "a", 1, TOKEN_A, REPORT_STATUS_FAILED, true, "");
	/* a head with no token, or one no agent is ever given */
	learn(c, "a", 1, "", REPORT_STATUS_COMMITTED, true, "");
	learn(c, "a", 1, "abc", REPORT_STATUS_COMMITTED, true, "");
	/* over UDP */
	job = answered(c, "a", 1, TOKEN_A, REPORT_STATUS_COMMITTED, true, "");
	job.one_way = true;
	resend_cache_learn(c, &job);
	/* not noted at submit */
	job = answered(c, "a", 1, TOKEN_A, REPORT_STATUS_COMMITTED, true, "");
	job.resend_epoch = 0;
	resend_cache_learn(c, &job);
	CHECK_EQ(stats(c).entries, 0);
	CHECK(!known(c, "a", 1, TOKEN_A));
	CHECK(!known(c, "a", 1, TOKEN_B));
	CHECK(!known(c, "a", 1, ""));
	resend_cache_free(c);
}

static void
test_forget(void)
{
	struct resend_cache *c = resend_cache_new();
	struct writer_job before;

	learn(c, "a", 5, TOKEN_A, REPORT_STATUS_COMMITTED, true, "");
	learn(c, "b", 7, TOKEN_A, REPORT_STATUS_COMMITTED, true, "");
	/* an answer in flight while an administrator resets "a" */
	before = answered(c, "a", 6, TOKEN_A, REPORT_STATUS_COMMITTED, true,
	    "");
	resend_cache_forget(c, "a");
	CHECK(!known(c, "a", 5, TOKEN_A));
	CHECK(known(c, "b", 7, TOKEN_A));	/* the others stay */
	resend_cache_learn(c, &before);
	CHECK(!known(c, "a", 5, TOKEN_A));
	CHECK_EQ(stats(c).entries, 1);
	CHECK_EQ(stats(c).forgotten, 1);
	resend_cache_forget(c, "nobody");	/* nothing to forget */
	CHECK_EQ(stats(c).forgotten, 1);
	/* the agent binds a new token: known under that one only */
	learn(c, "a", 8, TOKEN_B, REPORT_STATUS_COMMITTED, true, "");
	CHECK(known(c, "a", 8, TOKEN_B));
	CHECK(!known(c, "a", 5, TOKEN_A));
	resend_cache_free(c);
}

/* More agents than entries: the cache stays within its size. */
static void
test_bounded(void)
{
	struct resend_cache *c = resend_cache_new();
	size_t cap = RESEND_CACHE_SETS * RESEND_CACHE_WAYS, n = 3 * cap;
	size_t last_known = 0;
	char id[32];

	for (size_t i = 0; i < n; i++) {
		(void)snprintf(id, sizeof(id), "agent-%zu", i);
		learn(c, id, i + 1, TOKEN_A, REPORT_STATUS_COMMITTED, true,
		    "");
	}
	/* a set a few of the 3 x 2,048 ids missed may have room left */
	CHECK(stats(c).entries <= cap && stats(c).entries >= cap - cap / 100);
	CHECK_EQ(stats(c).entries + stats(c).evictions, n);
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(id, sizeof(id), "agent-%zu", i);
		if (known(c, id, i + 1, TOKEN_A))
			last_known++;
	}
	CHECK_EQ(last_known, stats(c).entries);
	/* the last one learned is always there */
	(void)snprintf(id, sizeof(id), "agent-%zu", n - 1);
	CHECK(known(c, id, n, TOKEN_A));
	resend_cache_free(c);
}

int
main(void)
{
	RUN(test_known_after_bound_answer);
	RUN(test_learns_only_bound_answers_on_disk);
	RUN(test_forget);
	RUN(test_bounded);
	return 0;
}
