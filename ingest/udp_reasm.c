/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the reassembly table of UDP mode (udp_reasm.h): a
 * hash of (source address, message id) for lookups and one list in the
 * order of first arrival, which is also the order of expiry since every
 * report gets the same timeout; the oldest make room when memory runs
 * short.
 */
#include <sys/random.h>

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "udp_reasm.h"

#define UDP_REASM_BUCKETS	4096	/* power of two */

struct udp_msg {
	uint8_t		addr[UDP_REASM_ADDR_LEN];
	uint64_t	id;
	int64_t		first_ms;	/* first fragment's arrival */
	uint16_t	count;		/* fragments in all */
	uint16_t	have;		/* fragments held */
	bool		complete;	/* handed out; only remembered */
	size_t		bytes;		/* of frag[] */
	uint8_t		*frag[UDP_WIRE_FRAGMENTS_MAX];	/* owned */
	uint16_t	len[UDP_WIRE_FRAGMENTS_MAX];
	struct udp_msg	*hnext;		/* bucket chain */
	struct udp_msg	*prev, *next;	/* arrival order */
};

struct udp_reasm {
	size_t		max_bytes;
	int64_t		timeout_ms;
	uint64_t	seed;		/* against chosen collisions */
	struct udp_msg	*buckets[UDP_REASM_BUCKETS];
	struct udp_msg	*oldest, *newest;
	size_t		bytes;
	size_t		count;
	uint64_t	dropped;
};

static uint64_t
udp_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static size_t
udp_reasm_bucket(const struct udp_reasm *r, const uint8_t *addr, uint64_t id)
{
	uint64_t h = udp_mix(id ^ r->seed);

	for (size_t i = 0; i < UDP_REASM_ADDR_LEN; i++)
		h = udp_mix(h ^ addr[i]);
	return (size_t)(h & (UDP_REASM_BUCKETS - 1));
}

struct udp_reasm *
udp_reasm_new(size_t max_bytes, int64_t timeout_ms)
{
	struct udp_reasm *r = xcalloc(1, sizeof(*r));

	r->max_bytes = max_bytes;
	r->timeout_ms = timeout_ms;
	if (getrandom(&r->seed, sizeof(r->seed), 0) != sizeof(r->seed))
		r->seed = (uint64_t)ingest_now_ms();
	return r;
}

static void
udp_msg_frags_free(struct udp_reasm *r, struct udp_msg *m)
{
	for (size_t i = 0; i < UDP_WIRE_FRAGMENTS_MAX; i++) {
		free(m->frag[i]);
		m->frag[i] = NULL;
	}
	r->bytes -= m->bytes;
	m->bytes = 0;
}

/* Unlinks m from both lists and frees it, counting it if incomplete. */
static void
udp_msg_remove(struct udp_reasm *r, struct udp_msg *m)
{
	struct udp_msg **pp = &r->buckets[udp_reasm_bucket(r, m->addr,
	    m->id)];

	while (*pp != m)
		pp = &(*pp)->hnext;
	*pp = m->hnext;
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		r->oldest = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	else
		r->newest = m->prev;
	if (!m->complete)
		r->dropped++;
	udp_msg_frags_free(r, m);
	r->bytes -= sizeof(*m);
	r->count--;
	free(m);
}

void
udp_reasm_free(struct udp_reasm *r)
{
	if (r == NULL)
		return;
	while (r->oldest != NULL)
		udp_msg_remove(r, r->oldest);
	free(r);
}

void
udp_reasm_expire(struct udp_reasm *r, int64_t now_ms)
{
	while (r->oldest != NULL &&
	    now_ms - r->oldest->first_ms >= r->timeout_ms)
		udp_msg_remove(r, r->oldest);
}

static struct udp_msg *
udp_reasm_find(struct udp_reasm *r, const uint8_t *addr, uint64_t id)
{
	struct udp_msg *m = r->buckets[udp_reasm_bucket(r, addr, id)];

	for (; m != NULL; m = m->hnext)
		if (m->id == id && memcmp(m->addr, addr,
		    UDP_REASM_ADDR_LEN) == 0)
			return m;
	return NULL;
}

static struct udp_msg *
udp_reasm_insert(struct udp_reasm *r, const uint8_t *addr,
    const struct udp_header *h, int64_t now_ms)
{
	struct udp_msg *m = xcalloc(1, sizeof(*m));
	size_t b = udp_reasm_bucket(r, addr, h->message_id);

	memcpy(m->addr, addr, UDP_REASM_ADDR_LEN);
	m->id = h->message_id;
	m->first_ms = now_ms;
	m->count = h->count;
	m->hnext = r->buckets[b];
	r->buckets[b] = m;
	m->prev = r->newest;
	if (r->newest != NULL)
		r->newest->next = m;
	else
		r->oldest = m;
	r->newest = m;
	r->bytes += sizeof(*m);
	r->count++;
	return m;
}

/* The fragments of m in order, in one buffer; m is then remembered. */
static void
udp_msg_join(struct udp_reasm *r, struct udp_msg *m, uint8_t **ret_data,
    size_t *ret_len)
{
	uint8_t *buf = xcalloc(1, m->bytes);
	size_t off = 0;

	for (size_t i = 0; i < m->count; i++) {
		if (m->len[i] > 0)
			memcpy(buf + off, m->frag[i], m->len[i]);
		off += m->len[i];
	}
	*ret_data = buf;
	*ret_len = off;
	m->complete = true;
	udp_msg_frags_free(r, m);
}

int
udp_reasm_add(struct udp_reasm *r, const uint8_t *addr,
    const struct udp_header *h, const uint8_t *data, size_t len,
    int64_t now_ms, uint8_t **ret_data, size_t *ret_len)
{
	struct udp_msg *m;

	assert(h->index < h->count && len <= UDP_WIRE_FRAGMENT_MAX);
	udp_reasm_expire(r, now_ms);
	if ((m = udp_reasm_find(r, addr, h->message_id)) == NULL) {
		/* room first: the oldest go, counted if incomplete */
		while (r->oldest != NULL && r->bytes + sizeof(*m) + len >
		    r->max_bytes)
			udp_msg_remove(r, r->oldest);
		m = udp_reasm_insert(r, addr, h, now_ms);
	} else if (m->complete || m->frag[h->index] != NULL)
		return -EALREADY;
	else if (h->count != m->count)
		return -EINVAL;
	else {
		while (r->oldest != NULL && r->oldest != m &&
		    r->bytes + len > r->max_bytes)
			udp_msg_remove(r, r->oldest);
	}
	/* a fragment of 0 bytes is held as a 1-byte buffer all the same */
	m->frag[h->index] = xcalloc(1, len);
	if (len > 0)
		memcpy(m->frag[h->index], data, len);
	m->len[h->index] = (uint16_t)len;
	m->bytes += len;
	r->bytes += len;
	if (++m->have < m->count)
		return 0;
	udp_msg_join(r, m, ret_data, ret_len);
	return 1;
}

uint64_t
udp_reasm_dropped(const struct udp_reasm *r)
{
	return r->dropped;
}

size_t
udp_reasm_bytes(const struct udp_reasm *r)
{
	return r->bytes;
}

size_t
udp_reasm_count(const struct udp_reasm *r)
{
	return r->count;
}
