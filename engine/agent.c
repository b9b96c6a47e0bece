/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains agent identity (issue 11): the token that the first
 * accepted report of an agent_id binds to it and every later report must
 * carry, the limit on new agents per source address and minute, and the
 * reset and removal of agents by an administrator.
 *
 * A token goes through three states, kept in agents.token and token_used:
 *
 *   none      (a new agent, or after reset, or an agent from before the
 *             migration) any report is accepted and the next committed
 *             one binds a new token, returned in its ack;
 *   issued    the ack of every report carries the token; a report
 *             without a token is still accepted (the agent may have lost
 *             the ack), one with another token is refused;
 *   used      the agent has sent the token once: from then on it is never
 *             sent again, and a report without it is refused.
 *
 * A refused report writes nothing, so a forged report can neither move
 * the sequence on nor change the device.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine-private.h"

int
agent_token_new(char *ret_token)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[ENGINE_TOKEN_LEN / 2];
	ssize_t n;

	/* blocks only until the kernel's pool is seeded, at boot */
	do
		n = getrandom(b, sizeof(b), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(b))
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++) {
		ret_token[2 * i] = hex[b[i] >> 4];
		ret_token[2 * i + 1] = hex[b[i] & 0x0f];
	}
	ret_token[ENGINE_TOKEN_LEN] = '\0';
	(void)memset(b, 0, sizeof(b));
	return 0;
}

bool
engine_token_equal(const char *stored, const char *given)
{
	size_t n = strlen(given);
	unsigned int diff = n != ENGINE_TOKEN_LEN;

	for (size_t i = 0; i < ENGINE_TOKEN_LEN; i++)
		diff |= (unsigned char)stored[i] ^
		    (unsigned char)(i < n ? given[i] : 0);
	return diff == 0;
}

static const char *
agent_given(const struct report_ctx *c)
{
	return c->r->agent_token != NULL ? c->r->agent_token : "";
}

bool
agent_identify(const struct report_ctx *c, const struct store_agent *a,
    struct engine_report *er)
{
	const char *given = agent_given(c);

	/*
	 * Over UDP no token can reach the agent: the package key that
	 * opened the datagrams vouches for it (or, with udp_encryption
	 * off, the operator chose to trust the network).
	 */
	if (c->one_way || a->token[0] == '\0')
		return true;
	if (given[0] == '\0' && !a->token_used)
		return true;
	if (given[0] != '\0' && engine_token_equal(a->token, given))
		return true;
	er->status = REPORT_STATUS_IDENTITY;
	(void)snprintf(er->reason, sizeof(er->reason), "agent '%s': %s",
	    c->r->agent_id, given[0] == '\0' ? "agent_token missing" :
	    "agent_token does not match");
	return false;
}

bool
agent_token_bound(const struct report_ctx *c, const struct store_agent *a)
{
	const char *given = agent_given(c);

	return !c->one_way && a->token[0] != '\0' && given[0] != '\0' &&
	    engine_token_equal(a->token, given);
}

void
agent_token_ack(const struct report_ctx *c, const struct store_agent *a,
    struct engine_report *er)
{
	er->token[0] = '\0';
	if (a->token[0] != '\0' && !a->token_used && agent_given(c)[0] == '\0')
		(void)memcpy(er->token, a->token, sizeof(er->token));
}

int
agent_token_commit(struct report_ctx *c, const struct store_agent *a,
    struct engine_report *er)
{
	int r;

	er->token[0] = '\0';
	if (a == NULL) {
		(void)memcpy(er->token, c->token, sizeof(er->token));
		return 0;
	}
	if (a->token[0] == '\0') {
		if ((r = agent_token_new(c->token)) < 0 ||
		    (r = store_agent_set_token(c->e->store, c->agent_ref,
		    c->token, false)) < 0)
			return r;
		(void)memcpy(er->token, c->token, sizeof(er->token));
		return 0;
	}
	if (a->token_used)
		return 0;
	/* agent_identify() let it through: no token, or the right one */
	if (agent_given(c)[0] == '\0') {
		(void)memcpy(er->token, a->token, sizeof(er->token));
		return 0;
	}
	return store_agent_set_token(c->e->store, c->agent_ref, a->token,
	    true);
}

/* The slot counting address now, or NULL when it has none. */
static struct engine_source *
agent_rate_find(struct engine *e, const char *address, int64_t now_ms)
{
	for (size_t i = 0; i < ENGINE_SOURCE_SLOTS; i++) {
		struct engine_source *x = &e->sources[i];

		if (x->since_ms != 0 &&
		    now_ms - x->since_ms < ENGINE_SOURCE_WINDOW_MS &&
		    strcmp(x->address, address) == 0)
			return x;
	}
	return NULL;
}

bool
agent_rate_refused(struct engine *e, struct engine_report *er,
    int64_t now_ms)
{
	const struct engine_source *x;
	uint32_t max = e->cfg.max_new_per_address;

	if (max == 0 || er->source[0] == '\0')
		return false;
	if ((x = agent_rate_find(e, er->source, now_ms)) == NULL ||
	    x->count < max)
		return false;
	er->status = REPORT_STATUS_AGENT_RATE;
	(void)snprintf(er->reason, sizeof(er->reason), "too many new agents "
	    "from %s: %u in the last minute "
	    "(agents.max_new_per_address_per_minute %u)", er->source,
	    x->count, max);
	return true;
}

/*
 * Counted when the report is applied: a batch rolled back after a storage
 * error may leave a few counted that were not stored, which errs on the
 * strict side for at most a minute. When every slot is taken the oldest
 * count goes, so memory stays bounded and many addresses only forget.
 */
void
agent_rate_note(struct engine *e, const struct engine_report *er,
    int64_t now_ms)
{
	struct engine_source *x, *slot = &e->sources[0];

	if (e->cfg.max_new_per_address == 0 || er->source[0] == '\0')
		return;
	if ((x = agent_rate_find(e, er->source, now_ms)) != NULL) {
		x->count++;
		return;
	}
	for (size_t i = 0; i < ENGINE_SOURCE_SLOTS; i++) {
		x = &e->sources[i];
		if (x->since_ms == 0 ||
		    now_ms - x->since_ms >= ENGINE_SOURCE_WINDOW_MS) {
			slot = x;
			break;
		}
		if (x->since_ms < slot->since_ms)
			slot = x;
	}
	(void)snprintf(slot->address, sizeof(slot->address), "%s",
	    er->source);
	slot->since_ms = now_ms;
	slot->count = 1;
}

int
engine_agent_reset(struct engine *e, const char *agent_id)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	r = store_agent_reset(e->store, agent_id);
	return store_end(e->store, r);
}

int
engine_agent_remove(struct engine *e, const char *agent_id)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	r = store_agent_remove(e->store, agent_id);
	return store_end(e->store, r);
}
