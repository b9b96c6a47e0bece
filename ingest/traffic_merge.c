/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the flows of a batch on their way to the engine, one
 * record per interaction: flows of the same initiator and responder (IP,
 * and MAC when it is the host's own), L4 protocol and responder port add
 * up into one record, so that the writer resolves the hosts and updates
 * the interaction once per batch rather than once per flow (a client that
 * polls a PLC over a new connection every few seconds makes many flows
 * and one interaction). The engine would store the same: counters add,
 * the first and last times are the earliest and latest, and the protocol
 * name of a later flow wins over an earlier one unless it is "".
 *
 * THREAD SAFETY NOTES: a struct flow_merge belongs to its flow table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define MERGE_MIN	64	/* records first made room for */

_Static_assert(sizeof(struct flow_merge_key) % 8 == 0,
    "merge_hash() reads the key 8 bytes at a time");

void
flow_merge_clear(struct flow_merge *m)
{
	free(m->keys);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static uint64_t
merge_hash(const struct flow_merge_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;

	for (size_t n = 0; n < sizeof(*k); n += 8) {
		memcpy(&w, b + n, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

/* The slot of key k: its record's, or the free one it would take. */
static uint32_t *
merge_slot(const struct flow_merge *m, const struct flow_merge_key *k)
{
	size_t mask = m->n_slots - 1;

	for (size_t i = (size_t)merge_hash(k) & mask;; i = (i + 1) & mask) {
		uint32_t *s = &m->slots[i];

		if (*s == 0 || memcmp(&m->keys[*s - 1], k, sizeof(*k)) == 0)
			return s;
	}
}

/* Room for one more record of n; 0 or -ENOMEM. */
static int
merge_grow(struct flow_merge *m, size_t n)
{
	struct flow_merge_key *keys;
	uint32_t *slots;
	size_t cap;

	if (n < m->cap)
		return 0;
	cap = m->cap == 0 ? MERGE_MIN : m->cap * 2;
	if ((keys = realloc(m->keys, cap * sizeof(*keys))) == NULL)
		return -ENOMEM;
	m->keys = keys;
	/* at most half full: probes stay short */
	if ((slots = calloc(cap * 2, sizeof(*slots))) == NULL)
		return -ENOMEM;
	free(m->slots);
	m->slots = slots;
	m->n_slots = cap * 2;
	m->cap = cap;
	for (size_t i = 0; i < n; i++)
		*merge_slot(m, &m->keys[i]) = (uint32_t)(i + 1);
	return 0;
}

int
flow_merge_find(struct flow_merge *m, const struct flow_merge_key *k,
    size_t n, size_t *ret_index)
{
	uint32_t *s;
	int r;

	if ((r = merge_grow(m, n)) < 0)
		return r;
	s = merge_slot(m, k);
	if (*s != 0) {
		*ret_index = *s - 1;
		return 1;
	}
	m->keys[n] = *k;
	*s = (uint32_t)(n + 1);
	*ret_index = n;
	return 0;
}

void
flow_merge_add(struct traffic_flow *into, uint64_t packets, uint64_t bytes,
    int64_t first_ms, int64_t last_ms, const char *app)
{
	into->packets += packets;
	into->bytes += bytes;
	if (first_ms < into->first_seen_ms)
		into->first_seen_ms = first_ms;
	if (last_ms > into->last_seen_ms)
		into->last_seen_ms = last_ms;
	if (app[0] != '\0')
		(void)snprintf(into->app_protocol, sizeof(into->app_protocol),
		    "%s", app);
	into->flows++;
}
