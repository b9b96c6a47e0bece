/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the flow table of one capture or import: flows keyed
 * by the IP pair, the L4 protocol and the ports, bounded by max_flows (the
 * flow idle longest, to within FLOW_LRU_MS, is handed over early when a
 * new one needs room), with nDPI
 * detection per flow, the MACs seen behind each IP (for the router rule)
 * and ARP replies; and the batches for the engine made from it.
 *
 * nDPI sees a flow from its first packet with a payload (a TCP handshake
 * tells it nothing a dissector needs) until it names the protocol, or for
 * at most FLOW_DPI_PACKETS packets; after that a packet costs the parse
 * and a hash lookup only. A flow that never carried a payload gets nDPI's
 * guess from its ports.
 *
 * Initiator (DESIGN.md "Monitoring points"): the sender of a TCP SYN
 * without ACK; else the side that is not on a default port of the
 * protocol nDPI detected; else the side on the higher port; else the first
 * sender. Only flows with packets both ways become interactions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "capture.h"

#define FLOW_DPI_PACKETS	24	/* packets nDPI gets before giving up,
					   from the first payload on */
#define FLOW_LRU_MS		2000	/* a flow moves to the newest end
					   at most this often (capture
					   time), so that a packet seldom
					   touches its neighbours too */
#define FLOW_PENDING_TAKE	4096	/* evicted flows that call for a take */
#define FLOW_BATCH_MAX		4096	/* flows per batch: the writer's
					   transaction stays short, so that
					   agents' reports wait little */
#define MAC_TABLE_MAX		65536	/* MACs whose IPs are counted */
#define MAC_HOST_IPS		4	/* more IPs behind a MAC: a router */
#define BINDINGS_MAX		4096	/* ARP replies kept between takes */

struct flow_key {
	uint8_t		family;
	uint8_t		proto;		/* enum traffic_proto */
	uint16_t	port[2];
	uint8_t		ip[2][16];	/* side 0 sorts before side 1 */
};

struct flow {
	struct flow_key	key;
	uint64_t	hash;
	struct flow	*hnext;		/* bucket chain */
	struct flow	*prev, *next;	/* by lru_ms, oldest first */
	int64_t		lru_ms;		/* packet that last moved it */
	uint8_t		first_sender;	/* side of the first packet */
	int8_t		syn_from;	/* side that sent a SYN, -1: none */
	bool		has_mac[2];
	uint8_t		mac[2][6];	/* source MAC of each side's frames */
	uint64_t	pk[2], by[2];	/* not yet handed over */
	bool		sent[2];	/* each side sent a packet (ever) */
	bool		both_ways;	/* packets went both ways (ever) */
	int64_t		first_ms;	/* of what is not handed over */
	int64_t		last_ms;	/* last packet */
	struct ndpi_flow_struct *dpi;	/* from the first payload until
					   detection ended */
	bool		dpi_done;	/* detection ended */
	uint16_t	dpi_packets;
	uint16_t	app;		/* nDPI protocol id, 0 unknown */
};

struct mac_entry {
	uint8_t		mac[6];
	bool		used;
	bool		router;
	uint8_t		n_ips;
	uint8_t		family[MAC_HOST_IPS + 1];
	uint8_t		ips[MAC_HOST_IPS + 1][16];
};

struct flow_table {
	size_t		max_flows;
	size_t		n_flows;
	size_t		n_buckets;	/* a power of two */
	struct flow	**buckets;	/* big_zalloc() */
	struct flow_slab flows;		/* where flows live */
	struct flow	*oldest, *newest;
	struct mac_entry *macs;		/* MAC_TABLE_MAX, open addressing,
					   big_zalloc() */
	size_t		n_macs;
	const struct vendors *vendors;
	struct traffic_dpi *dpi;	/* NULL: nDPI could not start */
	struct traffic_batch *pending;	/* evicted flows, routers, ARP */
	struct flow_merge merge;	/* pending's flow records */
	size_t		cap_flows, cap_routers, cap_bindings;
	struct traffic_counts counts;
	char		point[TRAFFIC_POINT_LEN];
};

/*
 * Hash of n bytes, a word at a time: the flow key is hashed once per
 * packet, so a byte-wise hash would cost as much as reading the packet.
 */
static uint64_t
flow_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, b, n);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/* An IPv4 address as a number: numbers sort as memcmp() sorts bytes. */
static uint32_t
ip4_num(const uint8_t *ip)
{
	return (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 |
	    (uint32_t)ip[2] << 8 | ip[3];
}

/* Which side of its flow's key p's sender is: the lower IP, then port. */
static uint8_t
flow_side_of(const struct pkt *p)
{
	int c;

	if (p->family == 4) {
		uint32_t a = ip4_num(p->src_ip), b = ip4_num(p->dst_ip);

		c = a < b ? -1 : a > b;
	} else
		c = memcmp(p->src_ip, p->dst_ip, 16);
	if (c == 0)
		c = p->sport < p->dport ? -1 : p->sport > p->dport;
	return c <= 0 ? 0 : 1;
}

/*
 * The hash of p's flow key, from p itself: an IPv4 key in two words held
 * in registers (hashing the key just written to memory stalls on every
 * word), an IPv6 key through flow_hash(). k is p's key.
 */
static uint64_t
flow_hash_of(const struct pkt *p, const struct flow_key *k, uint8_t side)
{
	uint64_t ips, rest, h;
	uint32_t ip[2];
	uint16_t port[2];

	if (p->family != 4)
		return flow_hash(k, sizeof(*k));
	ip[side] = ip4_num(p->src_ip);
	ip[!side] = ip4_num(p->dst_ip);
	port[side] = p->sport;
	port[!side] = p->dport;
	ips = (uint64_t)ip[0] << 32 | ip[1];
	rest = (uint64_t)port[0] << 48 | (uint64_t)port[1] << 32 |
	    (uint64_t)p->proto << 8 | 4;
	h = (0x9e3779b97f4a7c15ULL ^ ips) * 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	h = (h ^ rest) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/* The canonical key of p and which side of it p's sender is. */
static void
flow_key_of(const struct pkt *p, struct flow_key *k, uint8_t *ret_side)
{
	size_t n = p->family == 4 ? 4 : 16;
	uint8_t s = flow_side_of(p);

	memset(k, 0, sizeof(*k));
	k->family = p->family;
	k->proto = (uint8_t)p->proto;
	memcpy(k->ip[s], p->src_ip, n);
	memcpy(k->ip[!s], p->dst_ip, n);
	k->port[s] = p->sport;
	k->port[!s] = p->dport;
	*ret_side = s;
}

static struct traffic_batch *
batch_new(const char *point)
{
	struct traffic_batch *b = calloc(1, sizeof(*b));

	if (b != NULL)
		(void)snprintf(b->point, sizeof(b->point), "%s", point);
	return b;
}

void
traffic_batch_free(struct traffic_batch *b)
{
	if (b == NULL)
		return;
	free(b->routers);
	free(b->bindings);
	free(b->flows);
	free(b);
}

/* Grows array *v of *cap elements of size to hold n + 1; 0 or -ENOMEM. */
static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap == 0 ? 64 : *cap * 2;
	if ((p = realloc(*v, c * size)) == NULL)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

/* The pending batch, made when needed; NULL when out of memory. */
static struct traffic_batch *
pending(struct flow_table *t)
{
	if (t->pending == NULL) {
		t->pending = batch_new(t->point);
		t->cap_flows = t->cap_routers = t->cap_bindings = 0;
		flow_merge_clear(&t->merge);
	}
	return t->pending;
}

static struct mac_entry *
mac_find(struct flow_table *t, const uint8_t *mac, bool add)
{
	size_t i = (size_t)flow_hash(mac, 6) % MAC_TABLE_MAX;

	for (size_t n = 0; n < MAC_TABLE_MAX; n++, i = (i + 1) %
	    MAC_TABLE_MAX) {
		struct mac_entry *m = &t->macs[i];

		if (m->used && memcmp(m->mac, mac, 6) == 0)
			return m;
		if (!m->used) {
			/* full: MACs beyond it are taken for hosts */
			if (!add || t->n_macs >= MAC_TABLE_MAX * 3 / 4)
				return NULL;
			m->used = true;
			memcpy(m->mac, mac, 6);
			t->n_macs++;
			return m;
		}
	}
	return NULL;
}

static bool
mac_is_router(struct flow_table *t, const uint8_t *mac)
{
	struct mac_entry *m = mac_find(t, mac, false);

	return m != NULL && m->router;
}

static void
host_text(struct flow_table *t, struct traffic_host *h, uint8_t family,
    const uint8_t *ip, const uint8_t *mac)
{
	struct addr_ip a = { 0 };
	struct addr_mac m;
	const char *vendor;

	memset(h, 0, sizeof(*h));
	a.family = family == 4 ? ADDR_FAMILY_IPV4 : ADDR_FAMILY_IPV6;
	memcpy(a.bytes, ip, family == 4 ? 4 : 16);
	(void)addr_ip_format(&a, h->ip, sizeof(h->ip));
	if (mac == NULL)
		return;
	memcpy(m.bytes, mac, 6);
	(void)addr_mac_format(&m, h->mac, sizeof(h->mac));
	if ((vendor = vendors_find(t->vendors, mac)) != NULL)
		(void)snprintf(h->vendor, sizeof(h->vendor), "%s", vendor);
}

/* Counts ip behind mac; the fifth IP makes the MAC a router. */
static void
mac_note(struct flow_table *t, const struct pkt *p)
{
	struct mac_entry *m = mac_find(t, p->src_mac, true);
	struct traffic_batch *b;
	struct traffic_router *rt;
	size_t n = p->family == 4 ? 4 : 16;

	if (m == NULL || m->router)
		return;
	for (uint8_t i = 0; i < m->n_ips; i++)
		if (m->family[i] == p->family &&
		    memcmp(m->ips[i], p->src_ip, n) == 0)
			return;
	m->family[m->n_ips] = p->family;
	memset(m->ips[m->n_ips], 0, 16);
	memcpy(m->ips[m->n_ips++], p->src_ip, n);
	if (m->n_ips <= MAC_HOST_IPS)
		return;
	m->router = true;
	if ((b = pending(t)) == NULL ||
	    grow((void **)&b->routers, &t->cap_routers, b->n_routers,
	    sizeof(*b->routers)) < 0)
		return;
	rt = &b->routers[b->n_routers++];
	memset(rt, 0, sizeof(*rt));
	{
		struct traffic_host h;

		host_text(t, &h, 4, m->ips[0], m->mac);
		memcpy(rt->mac, h.mac, sizeof(rt->mac));
		memcpy(rt->vendor, h.vendor, sizeof(rt->vendor));
	}
	for (uint8_t i = 0; i < m->n_ips && i < TRAFFIC_ROUTER_IPS; i++) {
		struct traffic_host h;

		host_text(t, &h, m->family[i], m->ips[i], NULL);
		memcpy(rt->ips[rt->n_ips++], h.ip, sizeof(rt->ips[0]));
	}
	rt->seen_ms = p->ts_ms;
}

static bool
ip_identifying(uint8_t family, const uint8_t *ip)
{
	struct addr_ip a = { 0 };

	a.family = family == 4 ? ADDR_FAMILY_IPV4 : ADDR_FAMILY_IPV6;
	memcpy(a.bytes, ip, family == 4 ? 4 : 16);
	return addr_ip_is_identifying(&a);
}

/* The initiator side of f (see the top of the file). */
static uint8_t
flow_initiator(struct flow_table *t, const struct flow *f)
{
	enum traffic_proto proto = (enum traffic_proto)f->key.proto;
	bool d0, d1;

	if (f->syn_from >= 0)
		return (uint8_t)f->syn_from;
	if (f->app != 0 && t->dpi != NULL) {
		d0 = traffic_dpi_default_port(t->dpi, f->app, proto,
		    f->key.port[0]);
		d1 = traffic_dpi_default_port(t->dpi, f->app, proto,
		    f->key.port[1]);
		if (d0 != d1)
			return d1 ? 0 : 1;
	}
	if (f->key.port[0] != f->key.port[1])
		return f->key.port[0] < f->key.port[1] ? 1 : 0;
	return f->first_sender;
}

/* The guess from f's ports, for a flow nDPI never saw a payload of. */
static uint16_t
flow_dpi_guess(struct flow_table *t, const struct flow *f)
{
	bool v4 = f->key.family == 4;

	return traffic_dpi_guess(t->dpi, (enum traffic_proto)f->key.proto,
	    v4 ? f->key.ip[0] : NULL, f->key.port[0],
	    v4 ? f->key.ip[1] : NULL, f->key.port[1]);
}

/* Ends nDPI detection of f, keeping a guess when there is one. */
static void
flow_dpi_end(struct flow_table *t, struct flow *f)
{
	if (f->dpi_done || t->dpi == NULL)
		return;
	f->dpi_done = true;
	if (f->app == 0)
		f->app = f->dpi != NULL ? traffic_dpi_giveup(t->dpi, f->dpi) :
		    flow_dpi_guess(t, f);
	traffic_dpi_flow_free(f->dpi);
	f->dpi = NULL;
}

/* What makes f, initiator side i, one interaction; mac[s] NULL: none. */
static void
flow_merge_key_of(const struct flow *f, uint8_t i, const uint8_t *const *mac,
    struct flow_merge_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = f->key.family;
	k->proto = f->key.proto;
	k->port = (enum traffic_proto)f->key.proto == TRAFFIC_PROTO_ICMP ? 0 :
	    f->key.port[!i];
	for (uint8_t s = 0; s < 2; s++) {
		memcpy(k->ip[s], f->key.ip[s == 0 ? i : !i], 16);
		if (mac[s] != NULL) {
			k->has_mac |= (uint8_t)(1u << s);
			memcpy(k->mac[s], mac[s], 6);
		}
	}
}

/* The MAC of side s of f when it is the host's own, else NULL. */
static const uint8_t *
flow_host_mac(struct flow_table *t, const struct flow *f, uint8_t s)
{
	return f->has_mac[s] && !mac_is_router(t, f->mac[s]) ? f->mac[s] :
	    NULL;
}

/*
 * Appends what f has not handed over yet to the pending batch: to the
 * record of its interaction when the batch has one (traffic_merge.c).
 */
static void
flow_emit(struct flow_table *t, struct flow *f, bool final)
{
	struct traffic_batch *b;
	struct traffic_flow *o;
	struct flow_merge_key k;
	const uint8_t *mac[2];
	const char *app;
	size_t at;
	uint8_t i, r;
	int found;

	if (final)
		flow_dpi_end(t, f);
	if (!f->both_ways || f->pk[0] + f->pk[1] == 0)
		return;
	i = flow_initiator(t, f);
	r = !i;
	mac[0] = flow_host_mac(t, f, i);
	mac[1] = flow_host_mac(t, f, r);
	flow_merge_key_of(f, i, mac, &k);
	app = t->dpi != NULL ? traffic_dpi_name(t->dpi, f->app) : "";
	if ((b = pending(t)) == NULL || grow((void **)&b->flows,
	    &t->cap_flows, b->n_flows, sizeof(*b->flows)) < 0 ||
	    (found = flow_merge_find(&t->merge, &k, b->n_flows, &at)) < 0)
		return;
	o = &b->flows[at];
	if (found) {
		flow_merge_add(o, f->pk[0] + f->pk[1], f->by[0] + f->by[1],
		    f->first_ms, f->last_ms, app);
	} else {
		b->n_flows++;
		host_text(t, &o->src, f->key.family, f->key.ip[i], mac[0]);
		host_text(t, &o->dst, f->key.family, f->key.ip[r], mac[1]);
		o->protocol = (enum traffic_proto)f->key.proto;
		o->port = k.port;
		(void)snprintf(o->app_protocol, sizeof(o->app_protocol), "%s",
		    app);
		o->packets = f->pk[0] + f->pk[1];
		o->bytes = f->by[0] + f->by[1];
		o->first_seen_ms = f->first_ms;
		o->last_seen_ms = f->last_ms;
		o->flows = 1;
	}
	f->pk[0] = f->pk[1] = f->by[0] = f->by[1] = 0;
}

static void
flow_unlink(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & (t->n_buckets - 1)];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		t->oldest = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	else
		t->newest = f->prev;
	t->n_flows--;
}

/* Hands f over and frees it. */
static void
flow_remove(struct flow_table *t, struct flow *f)
{
	flow_emit(t, f, true);
	if (!f->both_ways)
		t->counts.unidirectional++;
	flow_unlink(t, f);
	traffic_dpi_flow_free(f->dpi);
	flow_slab_put(&t->flows, f);
}

static void
flow_to_newest(struct flow_table *t, struct flow *f)
{
	if (t->newest == f)
		return;
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		t->oldest = f->next;
	f->next->prev = f->prev;
	f->prev = t->newest;
	f->next = NULL;
	t->newest->next = f;
	t->newest = f;
}

/*
 * The flow of key k (hash h), made the newest when it last moved
 * FLOW_LRU_MS before ms; NULL when there is none. The oldest flow is so
 * at most FLOW_LRU_MS younger than the truly idlest one.
 */
static struct flow *
flow_find(struct flow_table *t, const struct flow_key *k, uint64_t h,
    int64_t ms)
{
	struct flow *f;

	for (f = t->buckets[h & (t->n_buckets - 1)]; f != NULL; f = f->hnext)
		if (f->hash == h && memcmp(&f->key, k, sizeof(*k)) == 0) {
			if (ms - f->lru_ms >= FLOW_LRU_MS || ms < f->lru_ms) {
				flow_to_newest(t, f);
				f->lru_ms = ms;
			}
			return f;
		}
	return NULL;
}

/* A new flow of key k for packet p from side; NULL when out of memory. */
static struct flow *
flow_create(struct flow_table *t, const struct pkt *p,
    const struct flow_key *k, uint64_t h, uint8_t side)
{
	struct flow *f;

	if (t->n_flows >= t->max_flows) {
		t->counts.evicted++;
		flow_remove(t, t->oldest);
	}
	if ((f = flow_slab_get(&t->flows)) == NULL)
		return NULL;
	f->key = *k;
	f->hash = h;
	f->syn_from = -1;
	f->first_sender = side;
	f->first_ms = p->ts_ms;
	f->lru_ms = p->ts_ms;
	f->hnext = t->buckets[h & (t->n_buckets - 1)];
	t->buckets[h & (t->n_buckets - 1)] = f;
	f->prev = t->newest;
	if (t->newest != NULL)
		t->newest->next = f;
	else
		t->oldest = f;
	t->newest = f;
	t->n_flows++;
	t->counts.flows++;
	return f;
}

static void
flow_dpi(struct flow_table *t, struct flow *f, const struct pkt *p)
{
	uint16_t app;

	if (f->dpi_done || t->dpi == NULL)
		return;
	if (f->dpi == NULL) {
		/* a TCP handshake tells no dissector anything */
		if (p->payload_len == 0 && p->proto == TRAFFIC_PROTO_TCP)
			return;
		if ((f->dpi = traffic_dpi_flow_new()) == NULL)
			return;
	}
	t->counts.dpi_packets++;
	app = traffic_dpi_packet(t->dpi, f->dpi, p);
	if (app != 0)
		f->app = app;
	if (app != 0 || ++f->dpi_packets >= FLOW_DPI_PACKETS)
		flow_dpi_end(t, f);
}

static void
flow_ip_packet(struct flow_table *t, const struct pkt *p)
{
	struct flow_key k;
	struct flow *f;
	uint64_t h;
	uint8_t s;

	flow_key_of(p, &k, &s);
	h = flow_hash_of(p, &k, s);
	/* a known flow's addresses were checked when it was made */
	if ((f = flow_find(t, &k, h, p->ts_ms)) == NULL) {
		if (!ip_identifying(p->family, p->src_ip) ||
		    !ip_identifying(p->family, p->dst_ip)) {
			t->counts.skipped[PKT_OTHER]++;
			return;
		}
		if ((f = flow_create(t, p, &k, h, s)) == NULL)
			return;
	}
	/* the IPs behind a MAC: once per flow and side is enough */
	if (p->has_mac && (!f->has_mac[s] ||
	    memcmp(f->mac[s], p->src_mac, 6) != 0))
		mac_note(t, p);
	if (f->pk[0] + f->pk[1] == 0)
		f->first_ms = p->ts_ms;
	f->lru_ms = p->ts_ms;
	f->pk[s]++;
	f->by[s] += p->wire_len;
	f->sent[s] = true;
	if (f->sent[!s])
		f->both_ways = true;
	if (p->ts_ms > f->last_ms)
		f->last_ms = p->ts_ms;
	if (p->syn && f->syn_from < 0)
		f->syn_from = (int8_t)s;
	if (p->has_mac && !f->has_mac[s]) {
		f->has_mac[s] = true;
		memcpy(f->mac[s], p->src_mac, 6);
	}
	flow_dpi(t, f, p);
}

static void
flow_arp(struct flow_table *t, const struct pkt *p)
{
	struct traffic_batch *b;
	struct traffic_binding *a;
	struct addr_mac m;

	memcpy(m.bytes, p->arp_mac, 6);
	if (!ip_identifying(4, p->arp_ip) || !addr_mac_is_identifying(&m))
		return;
	if ((b = pending(t)) == NULL || b->n_bindings >= BINDINGS_MAX ||
	    grow((void **)&b->bindings, &t->cap_bindings, b->n_bindings,
	    sizeof(*b->bindings)) < 0)
		return;
	a = &b->bindings[b->n_bindings++];
	host_text(t, &a->host, 4, p->arp_ip, p->arp_mac);
	a->seen_ms = p->ts_ms;
}

void
flow_table_packet(struct flow_table *t, enum pkt_kind k, const struct pkt *p)
{
	t->counts.packets++;
	if (k == PKT_IP)
		flow_ip_packet(t, p);
	else if (k == PKT_ARP_REPLY) {
		t->counts.arp_replies++;
		flow_arp(t, p);
	} else if ((unsigned)k < PKT_KIND_MAX)
		t->counts.skipped[k]++;
}

struct traffic_batch *
flow_table_take(struct flow_table *t, bool all, int64_t idle_before_ms)
{
	struct traffic_batch *b;
	struct flow *f, *next;

	for (f = t->oldest; f != NULL; f = next) {
		if (t->pending != NULL && t->pending->n_flows >= FLOW_BATCH_MAX)
			break;
		next = f->next;
		if (all || f->last_ms < idle_before_ms)
			flow_remove(t, f);
		else
			flow_emit(t, f, false);
	}
	b = t->pending;
	t->pending = NULL;
	flow_merge_clear(&t->merge);
	if (b != NULL && b->n_flows + b->n_routers + b->n_bindings == 0) {
		traffic_batch_free(b);
		b = NULL;
	}
	return b;
}

uint64_t
flow_table_prefetch_bucket(const struct flow_table *t, enum pkt_kind k,
    const struct pkt *p)
{
	struct flow_key key;
	uint64_t h;
	uint8_t s;

	if (k != PKT_IP)
		return 0;
	if (p->family == 4)
		h = flow_hash_of(p, NULL, flow_side_of(p));
	else {
		flow_key_of(p, &key, &s);
		h = flow_hash_of(p, &key, s);
	}
	__builtin_prefetch(&t->buckets[h & (t->n_buckets - 1)]);
	return h;
}

void
flow_table_prefetch(const struct flow_table *t, uint64_t hash)
{
	const struct flow *f;

	if (hash == 0)
		return;
	if ((f = t->buckets[hash & (t->n_buckets - 1)]) != NULL)
		__builtin_prefetch(f);
}

bool
flow_table_pending(const struct flow_table *t)
{
	return t->pending != NULL && (t->pending->n_flows >=
	    FLOW_PENDING_TAKE || t->pending->n_bindings >= BINDINGS_MAX);
}

const struct traffic_counts *
flow_table_counts(const struct flow_table *t)
{
	return &t->counts;
}

struct flow_table *
flow_table_new(size_t max_flows, const struct vendors *v, const char *point)
{
	struct flow_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->max_flows = max_flows > 0 ? max_flows : 1;
	for (t->n_buckets = 64; t->n_buckets < t->max_flows * 2;
	    t->n_buckets *= 2)
		;
	t->buckets = big_zalloc(t->n_buckets * sizeof(*t->buckets));
	t->macs = big_zalloc(MAC_TABLE_MAX * sizeof(*t->macs));
	flow_slab_init(&t->flows, sizeof(struct flow));
	t->vendors = v;
	t->dpi = traffic_dpi_get();
	(void)snprintf(t->point, sizeof(t->point), "%s", point);
	if (t->buckets == NULL || t->macs == NULL || t->dpi == NULL) {
		flow_table_free(t);
		return NULL;
	}
	return t;
}

void
flow_table_free(struct flow_table *t)
{
	struct flow *f, *next;

	if (t == NULL)
		return;
	for (f = t->oldest; f != NULL; f = next) {
		next = f->next;
		traffic_dpi_flow_free(f->dpi);
	}
	flow_slab_fini(&t->flows);
	big_free(t->buckets, t->n_buckets * sizeof(*t->buckets));
	big_free(t->macs, MAC_TABLE_MAX * sizeof(*t->macs));
	traffic_dpi_put(t->dpi);
	traffic_batch_free(t->pending);
	flow_merge_clear(&t->merge);
	free(t);
}
