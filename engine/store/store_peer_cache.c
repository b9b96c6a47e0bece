/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the peer cache (issue 17): who holds an address
 * (store_address_holder()'s answer), kept in bounded memory so that the
 * peers of a report and the addresses of its host are resolved without
 * SQL.
 *
 * THREAD SAFETY AND COHERENCE NOTES: the cache belongs to one store, that
 * is to the writer's connection, and is used by that thread only. It holds
 * only what that connection has read or written, and stays true because
 * every statement that could change an answer forgets it first:
 * store_address_put() (an address added or moved, and for a MAC the
 * has_mac of both devices), store_address_set_source(),
 * store_device_status_set(), store_archive_prune() (everything: the
 * foreign keys delete addresses of devices the cache cannot name), and
 * every rollback, full or to a savepoint, and a failed COMMIT (everything:
 * SQLite reuses the rowids of rolled-back devices). store_device_touch()
 * updates last_seen_ms in place.
 *
 * An entry's primary bit says that its value is its holder's primary IP
 * or MAC (devices.ip or devices.mac: an IP's text never reads as a MAC),
 * so that store_device_set_primary() can skip a statement that would
 * change nothing. The bit is read from SQL with the holder, set by
 * store_device_set_primary() once its UPDATE ran, and cleared on every
 * entry of a device whose devices.ip or devices.mac any statement may
 * have changed (peer_cache_primary_lost(): store_device_set_primary()
 * when it changed the row, store_device_drop_primary_ip(), the traffic
 * writers of store_traffic.c). A cleared bit only costs a statement; a
 * bit left set on a device whose columns changed would skip one that was
 * needed. Nobody else writes the database while
 * the daemon runs (the engine is its only writer). The last_seen_ms of an
 * address may lag (store_address_put() then writes, as without a cache),
 * never lead: store_address_put() moves it forward after its UPDATE
 * (peer_cache_seen()), and only then.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

#define PEER_CACHE_NONE		UINT32_MAX

/* One cached answer: address value is held by holder.device_id. */
struct peer_cache_entry {
	char		value[PEER_CACHE_KEY_LEN];	/* canonical text */
	int64_t		device_id;
	int64_t		last_seen_ms;	/* of the device, exact */
	int64_t		addr_seen_ms;	/* of the address, exact or older */
	uint32_t	next_value;	/* chain of the value's bucket */
	uint32_t	next_device;	/* chain of the device's bucket, */
	uint32_t	prev_device;	/* both ways: a device may have many */
	uint8_t		status;		/* enum store_status */
	uint8_t		source;		/* enum store_source of the address */
	bool		has_mac : 1;
	bool		used : 1;	/* clock bit: hit since the hand passed */
	bool		primary : 1;	/* value is the device's ip or mac */
};
_Static_assert(sizeof(struct peer_cache_entry) == 88,
    "store-private.h states the peer cache's memory");

struct peer_cache {
	struct peer_cache_entry entries[PEER_CACHE_SLOTS];
	uint32_t	by_value[PEER_CACHE_SLOTS];	/* bucket heads */
	uint32_t	by_device[PEER_CACHE_SLOTS];
	uint32_t	n_filled;	/* entries[0 … n_filled) ever used */
	uint32_t	free_list;	/* forgotten entries, via next_value */
	uint32_t	hand;		/* clock hand */
	struct store_peer_cache_stats stats;
};

/* FNV-1a: addresses are short and differ in their last bytes. */
static uint32_t
hash_value(const char *value)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h & (PEER_CACHE_SLOTS - 1);
}

static uint32_t
hash_device(int64_t id)
{
	return (uint32_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 40) &
	    (PEER_CACHE_SLOTS - 1);
}

struct peer_cache *
peer_cache_new(void)
{
	/* calloc leaves the pages of entries never filled untouched */
	struct peer_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	memset(c->by_value, 0xff, sizeof(c->by_value));
	memset(c->by_device, 0xff, sizeof(c->by_device));
	c->free_list = PEER_CACHE_NONE;
	return c;
}

void
peer_cache_free(struct peer_cache *c)
{
	free(c);
}

/* Removes entry i from the chain of its value's bucket (short). */
static void
value_unlink(struct peer_cache *c, uint32_t i)
{
	uint32_t *link = &c->by_value[hash_value(c->entries[i].value)];

	while (*link != i) {
		assert(*link != PEER_CACHE_NONE);
		link = &c->entries[*link].next_value;
	}
	*link = c->entries[i].next_value;
}

/* Removes entry i from the chain of its device's bucket. */
static void
device_unlink(struct peer_cache *c, uint32_t i)
{
	struct peer_cache_entry *en = &c->entries[i];

	if (en->prev_device != PEER_CACHE_NONE)
		c->entries[en->prev_device].next_device = en->next_device;
	else
		c->by_device[hash_device(en->device_id)] = en->next_device;
	if (en->next_device != PEER_CACHE_NONE)
		c->entries[en->next_device].prev_device = en->prev_device;
}

/* Takes filled entry i out of both chains and marks it free. */
static void
entry_drop(struct peer_cache *c, uint32_t i)
{
	struct peer_cache_entry *en = &c->entries[i];

	value_unlink(c, i);
	device_unlink(c, i);
	en->value[0] = '\0';
	en->next_value = c->free_list;
	c->free_list = i;
	c->stats.entries--;
}

static uint32_t
entry_find(const struct peer_cache *c, const char *value)
{
	uint32_t i = c->by_value[hash_value(value)];

	while (i != PEER_CACHE_NONE && strcmp(c->entries[i].value, value) != 0)
		i = c->entries[i].next_value;
	return i;
}

int
peer_cache_get(struct peer_cache *c, const char *value,
    struct store_holder *ret_holder)
{
	struct peer_cache_entry *en;
	uint32_t i;

	if (c == NULL)
		return -ENOENT;
	if ((i = entry_find(c, value)) == PEER_CACHE_NONE) {
		c->stats.misses++;
		return -ENOENT;
	}
	en = &c->entries[i];
	en->used = true;
	c->stats.hits++;
	ret_holder->device_id = en->device_id;
	ret_holder->last_seen_ms = en->last_seen_ms;
	ret_holder->status = (enum store_status)en->status;
	ret_holder->source = (enum store_source)en->source;
	ret_holder->has_mac = en->has_mac;
	ret_holder->addr_seen_ms = en->addr_seen_ms;
	return 0;
}

void
peer_cache_prefetch(const struct peer_cache *c, const char *value, bool entry)
{
	uint32_t h, i;

	if (c == NULL)
		return;
	h = hash_value(value);
	if (!entry)
		__builtin_prefetch(&c->by_value[h]);
	else if ((i = c->by_value[h]) != PEER_CACHE_NONE)
		__builtin_prefetch(&c->entries[i]);
}

/* A free entry: a forgotten one, a never used one, or the clock's victim. */
static uint32_t
entry_take(struct peer_cache *c)
{
	uint32_t i;

	if ((i = c->free_list) != PEER_CACHE_NONE) {
		c->free_list = c->entries[i].next_value;
		return i;
	}
	if (c->n_filled < PEER_CACHE_SLOTS)
		return c->n_filled++;
	/* every entry is filled: second chance for those hit lately */
	for (;;) {
		i = c->hand;
		c->hand = (c->hand + 1) & (PEER_CACHE_SLOTS - 1);
		if (!c->entries[i].used)
			break;
		c->entries[i].used = false;
	}
	entry_drop(c, i);
	c->stats.evictions++;
	c->free_list = c->entries[i].next_value;	/* entry_drop() pushed i */
	return i;
}

void
peer_cache_put(struct peer_cache *c, const char *value,
    const struct store_holder *h, bool primary)
{
	struct peer_cache_entry *en;
	uint32_t i, bv, bd;

	if (c == NULL || strlen(value) >= PEER_CACHE_KEY_LEN)
		return;
	if ((i = entry_find(c, value)) != PEER_CACHE_NONE)
		entry_drop(c, i);
	i = entry_take(c);
	en = &c->entries[i];
	memcpy(en->value, value, strlen(value) + 1);
	en->device_id = h->device_id;
	en->last_seen_ms = h->last_seen_ms;
	en->status = (uint8_t)h->status;
	en->source = (uint8_t)h->source;
	en->has_mac = h->has_mac;
	en->addr_seen_ms = h->addr_seen_ms;
	en->used = false;
	en->primary = primary;
	bv = hash_value(value);
	bd = hash_device(h->device_id);
	en->next_value = c->by_value[bv];
	c->by_value[bv] = i;
	en->next_device = c->by_device[bd];
	en->prev_device = PEER_CACHE_NONE;
	if (en->next_device != PEER_CACHE_NONE)
		c->entries[en->next_device].prev_device = i;
	c->by_device[bd] = i;
	c->stats.entries++;
}

void
peer_cache_forget(struct peer_cache *c, const char *value)
{
	uint32_t i;

	if (c != NULL && (i = entry_find(c, value)) != PEER_CACHE_NONE)
		entry_drop(c, i);
}

void
peer_cache_forget_device(struct peer_cache *c, int64_t device_id)
{
	uint32_t i, next;

	if (c == NULL)
		return;
	for (i = c->by_device[hash_device(device_id)]; i != PEER_CACHE_NONE;
	    i = next) {
		next = c->entries[i].next_device;
		if (c->entries[i].device_id == device_id)
			entry_drop(c, i);
	}
}

void
peer_cache_touch(struct peer_cache *c, int64_t device_id, int64_t seen_ms)
{
	uint32_t i;

	if (c == NULL)
		return;
	for (i = c->by_device[hash_device(device_id)]; i != PEER_CACHE_NONE;
	    i = c->entries[i].next_device) {
		struct peer_cache_entry *en = &c->entries[i];

		if (en->device_id == device_id && en->last_seen_ms < seen_ms)
			en->last_seen_ms = seen_ms;
	}
}

void
peer_cache_seen(struct peer_cache *c, const char *value, int64_t seen_ms)
{
	uint32_t i;

	if (c != NULL && (i = entry_find(c, value)) != PEER_CACHE_NONE &&
	    c->entries[i].addr_seen_ms < seen_ms)
		c->entries[i].addr_seen_ms = seen_ms;
}

/* Whether value (NULL or "": not asked) is device_id's primary one. */
static bool
primary_is(const struct peer_cache *c, const char *value, int64_t device_id)
{
	uint32_t i;

	if (value == NULL || *value == '\0')
		return true;
	if ((i = entry_find(c, value)) == PEER_CACHE_NONE)
		return false;
	return c->entries[i].device_id == device_id && c->entries[i].primary;
}

bool
peer_cache_primary_known(struct peer_cache *c, int64_t device_id,
    const char *ip, const char *mac)
{
	if (c == NULL || !primary_is(c, ip, device_id) ||
	    !primary_is(c, mac, device_id))
		return false;
	c->stats.primary_skips++;
	return true;
}

void
peer_cache_primary_lost(struct peer_cache *c, int64_t device_id)
{
	uint32_t i;

	if (c == NULL)
		return;
	for (i = c->by_device[hash_device(device_id)]; i != PEER_CACHE_NONE;
	    i = c->entries[i].next_device)
		if (c->entries[i].device_id == device_id)
			c->entries[i].primary = false;
}

/* Sets the primary bit of value when device_id holds it. */
static void
primary_mark(struct peer_cache *c, const char *value, int64_t device_id)
{
	uint32_t i;

	if (value != NULL && *value != '\0' &&
	    (i = entry_find(c, value)) != PEER_CACHE_NONE &&
	    c->entries[i].device_id == device_id)
		c->entries[i].primary = true;
}

void
peer_cache_primary_set(struct peer_cache *c, int64_t device_id,
    const char *ip, const char *mac, bool changed)
{
	if (c == NULL)
		return;
	/* what was the device's primary before may be no longer */
	if (changed)
		peer_cache_primary_lost(c, device_id);
	primary_mark(c, ip, device_id);
	primary_mark(c, mac, device_id);
}

void
peer_cache_clear(struct peer_cache *c)
{
	if (c == NULL || c->stats.entries == 0)
		return;
	memset(c->by_value, 0xff, sizeof(c->by_value));
	memset(c->by_device, 0xff, sizeof(c->by_device));
	/* entries keep their pages: refilled from the start */
	c->n_filled = 0;
	c->free_list = PEER_CACHE_NONE;
	c->hand = 0;
	c->stats.entries = 0;
	c->stats.clears++;
}

void
store_peer_cache_stats(const struct store *s,
    struct store_peer_cache_stats *ret_stats)
{
	static const struct store_peer_cache_stats none;

	*ret_stats = s->peer_cache != NULL ? s->peer_cache->stats : none;
}
