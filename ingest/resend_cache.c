/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the loop's cache of resends it answers alone
 * (resend_cache.h): a set-associative table of agents, each with the
 * token its answers on disk showed and the highest sequence they acked.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "report_head.h"
#include "resend_cache.h"

struct resend_entry {
	uint64_t	key;		/* of agent_id; 0: empty */
	uint64_t	sequence;	/* the highest acked on disk */
	char		token[ENGINE_TOKEN_LEN];	/* no NUL */
	char		agent_id[LIMIT_AGENT_ID_LEN + 1];
};

struct resend_cache {
	struct resend_entry set[RESEND_CACHE_SETS][RESEND_CACHE_WAYS];
	uint8_t		victim[RESEND_CACHE_SETS];	/* way replaced next */
	uint64_t	epoch;		/* from 1; a job noted 0 is not */
	struct resend_cache_stats st;
};

static size_t
resend_set(uint64_t key)
{
	return (size_t)(key % RESEND_CACHE_SETS);
}

static struct resend_entry *
resend_find(struct resend_cache *c, const char *agent_id, uint64_t key)
{
	struct resend_entry *set = c->set[resend_set(key)];

	for (size_t i = 0; i < RESEND_CACHE_WAYS; i++)
		if (set[i].key == key &&
		    strcmp(set[i].agent_id, agent_id) == 0)
			return &set[i];
	return NULL;
}

struct resend_cache *
resend_cache_new(void)
{
	struct resend_cache *c = xcalloc(1, sizeof(*c));

	c->epoch = 1;
	return c;
}

void
resend_cache_free(struct resend_cache *c)
{
	free(c);
}

bool
resend_cache_known(struct resend_cache *c, const struct report_head *h)
{
	const struct resend_entry *x;

	if (h->agent_token[0] == '\0' || c->st.entries == 0)
		return false;
	x = resend_find(c, h->agent_id, ingest_agent_key(h->agent_id));
	if (x == NULL || h->sequence > x->sequence ||
	    !engine_token_equal(x->token, h->agent_token))
		return false;
	c->st.hits++;
	return true;
}

void
resend_cache_note(const struct resend_cache *c, const struct report_head *h,
    struct writer_job *job)
{
	job->resend_epoch = 0;
	if (strnlen(h->agent_token, ENGINE_TOKEN_LEN + 1) != ENGINE_TOKEN_LEN)
		return;
	(void)memcpy(job->resend_token, h->agent_token, ENGINE_TOKEN_LEN);
	job->resend_epoch = c->epoch;
}

void
resend_cache_learn(struct resend_cache *c, const struct writer_job *job)
{
	struct resend_entry *x, *set;
	uint64_t key;
	size_t i;

	if (job->resend_epoch != c->epoch || job->one_way ||
	    !job->token_bound || job->token[0] != '\0' ||
	    (job->status != REPORT_STATUS_COMMITTED &&
	    job->status != REPORT_STATUS_ALREADY) ||
	    job->agent_id[0] == '\0')
		return;
	key = ingest_agent_key(job->agent_id);
	if ((x = resend_find(c, job->agent_id, key)) != NULL) {
		/* a token is only bound anew after a forget(): kept whole */
		if (x->sequence > job->acked_sequence &&
		    memcmp(x->token, job->resend_token, ENGINE_TOKEN_LEN) == 0)
			return;
	} else {
		i = resend_set(key);
		set = c->set[i];
		for (x = set; x < set + RESEND_CACHE_WAYS && x->key != 0; x++)
			;
		if (x == set + RESEND_CACHE_WAYS) {
			x = &set[c->victim[i]];
			c->victim[i] = (uint8_t)((c->victim[i] + 1) %
			    RESEND_CACHE_WAYS);
			c->st.evictions++;
		} else
			c->st.entries++;
		x->key = key;
		(void)memcpy(x->agent_id, job->agent_id,
		    strlen(job->agent_id) + 1);
	}
	x->sequence = job->acked_sequence;
	(void)memcpy(x->token, job->resend_token, ENGINE_TOKEN_LEN);
}

void
resend_cache_forget(struct resend_cache *c, const char *agent_id)
{
	struct resend_entry *x;

	c->epoch++;
	if ((x = resend_find(c, agent_id, ingest_agent_key(agent_id))) == NULL)
		return;
	memset(x, 0, sizeof(*x));
	c->st.entries--;
	c->st.forgotten++;
}

void
resend_cache_stats(const struct resend_cache *c,
    struct resend_cache_stats *ret)
{
	*ret = c->st;
}
