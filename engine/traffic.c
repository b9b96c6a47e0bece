/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains what monitoring-point traffic does to the database
 * (issue 13): hosts resolved to devices by the identity rules (MAC first,
 * else the IP), routers, ARP bindings, vendors as traffic values, and
 * flows added to interactions of source traffic, which map_edges shows
 * instead of the EPP row of the same interaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"
#include "traffic.h"

#define TRAFFIC_CACHE_SLOTS	65536	/* hosts remembered per batch */
#define TRAFFIC_CATEGORY_ROUTER	"network_device"

/* A host already resolved in this batch. */
struct traffic_slot {
	uint64_t	key;		/* hash of ip and mac; 0 = free */
	int64_t		device_id;
	int64_t		touched_ms;	/* last_seen_ms written, or known */
};

/* The state of applying one batch. */
struct traffic_ctx {
	struct engine	*e;
	struct store	*s;
	const char	*point;
	int64_t		now_ms;
	struct traffic_result *res;
	struct traffic_slot *cache;	/* TRAFFIC_CACHE_SLOTS */
};

static const char *const traffic_proto_names[TRAFFIC_PROTO_MAX] = {
	"tcp", "udp", "icmp",
};

const char *
traffic_proto_name(enum traffic_proto p)
{
	return (unsigned)p < TRAFFIC_PROTO_MAX ? traffic_proto_names[p] : "?";
}

/* FNV-1a of ip, a separator and mac; never 0. */
static uint64_t
traffic_key(const struct traffic_host *h)
{
	uint64_t k = 14695981039346656037ULL;

	for (const char *p = h->ip; *p != '\0'; p++)
		k = (k ^ (unsigned char)*p) * 1099511628211ULL;
	k = (k ^ '|') * 1099511628211ULL;
	for (const char *p = h->mac; *p != '\0'; p++)
		k = (k ^ (unsigned char)*p) * 1099511628211ULL;
	return k != 0 ? k : 1;
}

static const char *
traffic_ip_kind(const char *ip)
{
	return strchr(ip, ':') != NULL ? "ipv6" : "ipv4";
}

/* "10.0.0.1 aa:bb:… at monitoring point 'x'", for event texts. */
static void
traffic_what(const struct traffic_ctx *c, const char *ip, const char *mac,
    char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s%s%s at monitoring point '%s'", ip,
	    ip[0] != '\0' && mac[0] != '\0' ? " " : "", mac, c->point);
}

/*
 * A new device of source traffic holding ip and mac (either may be "";
 * both nobody's), with vendor (of mac, or ""). Returns 0, or -ENOSPC when
 * the device limit stopped it, or a negative errno.
 */
static int
traffic_device_new(struct traffic_ctx *c, const char *ip, const char *mac,
    const char *vendor, int64_t *ret_device_id)
{
	char what[ENGINE_SYSTEM_TEXT_LEN];
	int64_t id;
	int r;

	traffic_what(c, ip, mac, what, sizeof(what));
	if ((r = event_device_added(c->e, STORE_SOURCE_TRAFFIC, what, true,
	    c->now_ms, &id)) < 0)
		return r;
	c->res->devices_added++;
	if ((r = store_traffic_device_fill(c->s, id, traffic_ip_kind(ip), ip,
	    mac, mac[0] != '\0' ? vendor : "", c->now_ms)) < 0)
		return r;
	*ret_device_id = id;
	return 0;
}

/* An archived device seen in traffic becomes unauthorized (issue 12). */
static int
traffic_active(struct traffic_ctx *c, const struct store_holder *h)
{
	char how[ENGINE_LABEL_LEN];

	if (h->status != STORE_STATUS_ARCHIVED)
		return 0;
	(void)snprintf(how, sizeof(how), "was seen in traffic at monitoring "
	    "point '%s'", c->point);
	return archive_reactivate(c->e, h->device_id, 0, how, c->now_ms);
}

/*
 * Device id, with MAC h->mac, shows h->ip, which another device may hold:
 * address_claim() decides. When the IP moves, it stops being the old
 * holder's primary IP (address_claim() sees to that) and becomes id's
 * when id has none; when it stays (a conflict), neither primary changes.
 * Returns 0, 1 on a conflict, or a negative errno.
 */
static int
traffic_claim_ip(struct traffic_ctx *c, int64_t id, bool device_new,
    const struct traffic_host *h)
{
	struct address_claim a = {
		.device_id = id,
		.kind = traffic_ip_kind(h->ip),
		.value = h->ip,
		.source = STORE_SOURCE_TRAFFIC,
		.device_new = device_new,
		.mac = h->mac,
	};
	int r;

	if ((r = address_claim(c->e, &a, c->now_ms)) != 0)
		return r;
	return store_traffic_fill_primary(c->s, id, h->ip, NULL);
}

/* The holder of address value into *ret_h; *ret_found false: nobody. */
static int
traffic_holder(struct traffic_ctx *c, const char *value,
    struct store_holder *ret_h, bool *ret_found)
{
	int r = store_address_holder(c->s, value, ret_h);

	if (r < 0 && r != -ENOENT)
		return r;
	*ret_found = r == 0;
	return 0;
}

/*
 * Resolves a host with a MAC: the device of the MAC (which claims the
 * IP), else the MAC-less device of the IP (which gets the MAC), else a
 * new device (which claims the IP when another device holds it).
 */
static int
traffic_resolve_mac(struct traffic_ctx *c, const struct traffic_host *h,
    int64_t *ret_id)
{
	struct store_holder mh, ih;
	bool has_m, has_i = false;
	int64_t id, from;
	int r;

	if ((r = traffic_holder(c, h->mac, &mh, &has_m)) < 0 ||
	    (h->ip[0] != '\0' && (r = traffic_holder(c, h->ip, &ih,
	    &has_i)) < 0))
		return r;
	if (has_m) {
		id = mh.device_id;
		if ((r = traffic_active(c, &mh)) < 0)
			return r;
		if (h->ip[0] != '\0' && !(has_i && ih.device_id == id) &&
		    (r = traffic_claim_ip(c, id, false, h)) < 0)
			return r;
	} else if (has_i && !ih.has_mac) {
		/* the MAC-less device of this IP is this MAC's host */
		id = ih.device_id;
		if ((r = traffic_active(c, &ih)) < 0 ||
		    (r = store_address_put(c->s, id, "mac", h->mac, NULL,
		    STORE_SOURCE_TRAFFIC, c->now_ms, &from)) < 0 ||
		    (r = store_traffic_fill_primary(c->s, id, NULL,
		    h->mac)) < 0)
			return r;
	} else if (!has_i) {
		if ((r = traffic_device_new(c, h->ip, h->mac, h->vendor,
		    &id)) < 0)
			return r;
	} else if ((r = traffic_device_new(c, "", h->mac, h->vendor,
	    &id)) < 0 ||
	    (r = traffic_claim_ip(c, id, true, h)) < 0)
		return r;
	*ret_id = id;
	return 0;
}

/* Resolves a host without a MAC: the device of the IP, else a new one. */
static int
traffic_resolve_ip(struct traffic_ctx *c, const struct traffic_host *h,
    int64_t *ret_id)
{
	struct store_holder ih;
	bool has_i;
	int r;

	if ((r = traffic_holder(c, h->ip, &ih, &has_i)) < 0)
		return r;
	if (!has_i)
		return traffic_device_new(c, h->ip, "", "", ret_id);
	if ((r = traffic_active(c, &ih)) < 0)
		return r;
	*ret_id = ih.device_id;
	return 0;
}

/*
 * Vendor of the MAC of known device id as a traffic value, news when it
 * changed (a device created just now got it with its addresses).
 */
static int
traffic_vendor(struct traffic_ctx *c, int64_t id, const char *vendor)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	char *old = NULL;
	bool changed;
	int r;

	if ((r = store_attr_set(c->s, id, STORE_ATTR_VENDOR,
	    STORE_SOURCE_TRAFFIC, vendor, c->now_ms, &old, &changed)) < 0)
		return r;
	if (changed) {
		(void)snprintf(text, sizeof(text), "vendor from traffic data "
		    "changed from '%s' to '%s'", old != NULL ? old : "",
		    vendor);
		r = event_system(c->e, EVENT_DEVICE_CHANGED, id, 0, NULL, text,
		    c->now_ms);
	}
	free(old);
	return r;
}

/*
 * Device id was seen at seen_ms (capture time, never later than now):
 * its last_seen_ms moves on, one statement per STORE_TOUCH_MS and host
 * in a batch rather than one per flow.
 */
static int
traffic_touch(struct traffic_ctx *c, struct traffic_slot *slot, int64_t id,
    int64_t seen_ms)
{
	int r;

	if (seen_ms > c->now_ms)
		seen_ms = c->now_ms;
	if (slot->key != 0 && seen_ms - slot->touched_ms <= STORE_TOUCH_MS)
		return 0;
	if ((r = store_device_touch(c->s, id, seen_ms)) < 0)
		return r;
	slot->touched_ms = seen_ms;
	return 0;
}

/*
 * The device of host h, found or created, seen at seen_ms. Returns 0, 1
 * when it has none (device limit reached), or a negative errno.
 */
static int
traffic_host_device(struct traffic_ctx *c, const struct traffic_host *h,
    int64_t seen_ms, int64_t *ret_id)
{
	uint64_t key = traffic_key(h);
	struct traffic_slot *slot = &c->cache[key % TRAFFIC_CACHE_SLOTS];
	uint64_t added = c->res->devices_added;
	int64_t id = 0;
	int r;

	if (slot->key == key) {
		if ((r = traffic_touch(c, slot, slot->device_id, seen_ms)) < 0)
			return r;
		*ret_id = slot->device_id;
		return 0;
	}
	if (h->mac[0] != '\0')
		r = traffic_resolve_mac(c, h, &id);
	else
		r = traffic_resolve_ip(c, h, &id);
	if (r == -ENOSPC)
		return 1;
	if (r < 0)
		return r;
	if (h->mac[0] != '\0' && h->vendor[0] != '\0' &&
	    c->res->devices_added == added &&
	    (r = traffic_vendor(c, id, h->vendor)) < 0)
		return r;
	slot->key = 0;
	/* a device made just now was seen now */
	if (c->res->devices_added != added)
		slot->touched_ms = c->now_ms;
	else if ((r = traffic_touch(c, slot, id, seen_ms)) < 0)
		return r;
	slot->key = key;
	slot->device_id = id;
	*ret_id = id;
	return 0;
}

/* A MAC that fronts many IPs: a network device; the IPs leave it. */
static int
traffic_apply_router(struct traffic_ctx *c, const struct traffic_router *rt)
{
	struct traffic_host h;
	int64_t id, ip_id, from;
	int r;

	memset(&h, 0, sizeof(h));
	(void)snprintf(h.mac, sizeof(h.mac), "%s", rt->mac);
	(void)snprintf(h.vendor, sizeof(h.vendor), "%s", rt->vendor);
	if ((r = traffic_host_device(c, &h, rt->seen_ms, &id)) != 0)
		return r < 0 ? r : 0;
	if ((r = store_device_set_category(c->s, id,
	    TRAFFIC_CATEGORY_ROUTER)) < 0)
		return r;
	for (size_t i = 0; i < rt->n_ips && i < TRAFFIC_ROUTER_IPS; i++) {
		r = store_address_device(c->s, rt->ips[i], &ip_id);
		if (r == -ENOENT || (r == 0 && ip_id != id))
			continue;
		if (r < 0)
			return r;
		/* the IP was bound to the router before it fronted more */
		r = traffic_device_new(c, "", "", "", &ip_id);
		if (r == -ENOSPC)
			continue;
		if (r < 0 ||
		    (r = store_address_put(c->s, ip_id,
		    traffic_ip_kind(rt->ips[i]), rt->ips[i], NULL,
		    STORE_SOURCE_TRAFFIC, c->now_ms, &from)) < 0 ||
		    (r = store_traffic_fill_primary(c->s, ip_id, rt->ips[i],
		    NULL)) < 0 ||
		    (r = store_device_drop_primary_ip(c->s, id,
		    rt->ips[i])) < 0)
			return r;
	}
	/* hosts cached before now may have been the router's IPs */
	memset(c->cache, 0, TRAFFIC_CACHE_SLOTS * sizeof(*c->cache));
	return 0;
}

/* How many flows record f adds up. */
static uint64_t
traffic_flows(const struct traffic_flow *f)
{
	return f->flows > 0 ? f->flows : 1;
}

static int
traffic_apply_flow(struct traffic_ctx *c, const struct traffic_flow *f)
{
	struct store_interaction in;
	int64_t src, dst;
	bool created;
	int r;

	if ((r = traffic_host_device(c, &f->src, f->last_seen_ms, &src)) != 0 ||
	    (r = traffic_host_device(c, &f->dst, f->last_seen_ms, &dst)) != 0 ||
	    src == dst) {
		if (r >= 0)
			c->res->flows_skipped += traffic_flows(f);
		return r < 0 ? r : 0;
	}
	memset(&in, 0, sizeof(in));
	in.src_device_id = src;
	in.dst_device_id = dst;
	in.protocol = traffic_proto_name(f->protocol);
	in.port = f->protocol == TRAFFIC_PROTO_ICMP ? 0 : f->port;
	in.source = "traffic";
	in.first_seen_ms = f->first_seen_ms;
	in.last_seen_ms = f->last_seen_ms < f->first_seen_ms ?
	    f->first_seen_ms : f->last_seen_ms;
	in.packets = f->packets;
	in.bytes = f->bytes;
	if ((r = store_traffic_edge_add(c->s, &in, f->app_protocol,
	    &created)) < 0)
		return r;
	if (created)
		c->res->interactions_added++;
	c->res->flows_applied += traffic_flows(f);
	return 0;
}

static int
traffic_apply_all(struct traffic_ctx *c, const struct traffic_batch *b)
{
	int64_t id;
	int r = 0;

	for (size_t i = 0; i < b->n_routers && r == 0; i++)
		r = traffic_apply_router(c, &b->routers[i]);
	for (size_t i = 0; i < b->n_bindings && r >= 0; i++)
		r = traffic_host_device(c, &b->bindings[i].host,
		    b->bindings[i].seen_ms, &id);
	if (r > 0)
		r = 0;
	for (size_t i = 0; i < b->n_flows && r == 0; i++)
		r = traffic_apply_flow(c, &b->flows[i]);
	return r;
}

int
engine_traffic_apply(struct engine *e, const struct traffic_batch *b,
    int64_t now_ms, struct traffic_result *res)
{
	struct traffic_result got;
	struct traffic_ctx c = {
		.e = e,
		.s = e->store,
		.point = b->point,
		.now_ms = now_ms,
		.res = &got,
	};
	int r;

	memset(&got, 0, sizeof(got));
	if ((c.cache = calloc(TRAFFIC_CACHE_SLOTS, sizeof(*c.cache))) == NULL)
		return -ENOMEM;
	if ((r = store_begin(e->store)) < 0)
		goto out;
	r = store_end(e->store, traffic_apply_all(&c, b));
	if (r < 0) {
		e->device_count = -1;	/* count again: some were undone */
		goto out;
	}
	res->devices_added += got.devices_added;
	res->interactions_added += got.interactions_added;
	res->flows_applied += got.flows_applied;
	res->flows_skipped += got.flows_skipped;
	r = 0;
out:
	free(c.cache);
	return r;
}

int
engine_traffic_silence(struct engine *e, const char *point, uint32_t after_s,
    int64_t since_ms, int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int r;

	if (since_ms > 0)
		(void)snprintf(text, sizeof(text), "monitoring point '%s' saw "
		    "no packet for %u s (the last one %lld s ago)", point,
		    after_s, (long long)((now_ms - since_ms) / 1000));
	else
		(void)snprintf(text, sizeof(text), "monitoring point '%s' saw "
		    "no packet in the %u s since its capture started", point,
		    after_s);
	if ((r = store_begin(e->store)) < 0)
		return r;
	return store_end(e->store, event_system(e, EVENT_NO_TRAFFIC, 0, 0,
	    NULL, text, now_ms));
}
