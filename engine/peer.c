/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains what an agent's connections do: each bidirectional
 * connection resolves or creates its peer device (an archived one
 * becomes unauthorized, an IP on another MAC is another device or an IP
 * conflict) and adds to the interaction initiator → responder / protocol
 * / responder port.
 */
#include <errno.h>
#include <stdio.h>

#include "addr.h"
#include "engine-private.h"

/* Connections whose peers are looked up together. */
#define PEER_AHEAD	16

static const char *const protocols[] = { NULL, "tcp", "udp", "icmp" };

/* An IP of peer device id (address_claim()); 0, 1 (a conflict) or < 0. */
static int
peer_claim_ip(struct report_ctx *c, int64_t id, bool device_new,
    const char *ip, bool v4, const char *mac)
{
	struct address_claim a = {
		.device_id = id,
		.kind = v4 ? "ipv4" : "ipv6",
		.value = ip,
		.source = STORE_SOURCE_EPP,
		.device_new = device_new,
		.mac = mac,
		.agent_ref = c->agent_ref,
	};

	return address_claim(c->e, &a, c->now_ms);
}

/* A new peer device holding mac when given, and ip unless it conflicts. */
static int
peer_create(struct report_ctx *c, const char *ip, bool v4, const char *mac,
    int64_t *ret_device_id)
{
	struct store *s = c->e->store;
	char what[ENGINE_LABEL_LEN + 64];
	int64_t id, from;
	int r;

	/* ip and mac are canonical, shorter than ADDR_TEXT_MAX */
	(void)snprintf(what, sizeof(what), "peer %.*s%s%.*s of the host of "
	    "agent '%.128s'", ADDR_TEXT_MAX, ip, *mac != '\0' ? " MAC " : "",
	    ADDR_TEXT_MAX, mac, c->r->agent_id);
	if ((r = event_device_added(c->e, STORE_SOURCE_EPP, what, true,
	    c->now_ms, &id)) < 0)
		return r;
	if (mac[0] != '\0' && (r = store_address_put(s, id, "mac", mac, NULL,
	    STORE_SOURCE_EPP, c->now_ms, &from)) < 0)
		return r;
	if ((r = peer_claim_ip(c, id, true, ip, v4, mac)) < 0)
		return r;
	if ((r = store_device_set_primary(s, id, r == 0 ? ip : NULL,
	    mac)) < 0)
		return r;
	*ret_device_id = id;
	return 0;
}

/* An archived peer shows activity: it becomes unauthorized (issue 12). */
static int
peer_active(struct report_ctx *c, const struct store_holder *h)
{
	char how[ENGINE_LABEL_LEN];

	if (h->status != STORE_STATUS_ARCHIVED)
		return 0;
	(void)snprintf(how, sizeof(how), "appeared as a peer of the host of "
	    "agent '%.128s'", c->r->agent_id);
	return archive_reactivate(c->e, h->device_id, c->agent_ref, how,
	    c->now_ms);
}

/* A connection's peer address, read before the peer is resolved. */
struct peer_addr {
	char	ip[ADDR_TEXT_MAX];	/* canonical; "" when none to use */
	bool	v4;
};

/*
 * Reads the remote address of connection k into *pa when k makes a peer
 * and an edge: bidirectional, of a known protocol, with an identifying
 * address. Otherwise pa->ip is "".
 */
static void
peer_addr_read(const Kics__Epp__V1__Connection *k, struct peer_addr *pa)
{
	struct addr_ip a;

	pa->ip[0] = '\0';
	if (k->packets_sent == 0 || k->packets_received == 0 ||
	    (unsigned)k->protocol >= 4 || protocols[k->protocol] == NULL)
		return;
	if (addr_ip_parse(k->remote_address, &a) < 0 ||
	    !addr_ip_is_identifying(&a) ||
	    addr_ip_format(&a, pa->ip, sizeof(pa->ip)) < 0) {
		pa->ip[0] = '\0';
		return;
	}
	pa->v4 = a.family == ADDR_FAMILY_IPV4;
}

/*
 * Finds the peer of connection k at address ip: by remote_mac when given
 * (ip then goes to it, see address_claim()), else by ip unless its device
 * has another MAC; creates it when unknown. Returns 0 or a negative
 * errno; -ENOSPC when the device limit stopped its creation.
 */
static int
peer_resolve(struct report_ctx *c, const Kics__Epp__V1__Connection *k,
    const char *ip, bool v4, int64_t *ret_device_id,
    int64_t *ret_last_seen_ms)
{
	struct store *s = c->e->store;
	char mac[ADDR_TEXT_MAX] = "";
	struct store_holder h;
	struct addr_mac m;
	int r;

	if (k->remote_mac != NULL && *k->remote_mac != '\0' &&
	    addr_mac_parse(k->remote_mac, &m) == 0 &&
	    addr_mac_is_identifying(&m)) {
		(void)addr_mac_format(&m, mac, sizeof(mac));
		r = store_address_holder(s, mac, &h);
		if (r == 0) {
			if ((r = peer_active(c, &h)) < 0 ||
			    (r = peer_claim_ip(c, h.device_id, false, ip, v4,
			    mac)) < 0)
				return r;
			if (r == 0 && (r = store_device_set_primary(s,
			    h.device_id, ip, NULL)) < 0)
				return r;
			*ret_device_id = h.device_id;
			*ret_last_seen_ms = h.last_seen_ms;
			return 0;
		}
		if (r != -ENOENT)
			return r;
	}
	r = store_address_holder(s, ip, &h);
	/* an IP on another MAC is another device (or an IP conflict) */
	if (r == 0 && !(mac[0] != '\0' && h.has_mac)) {
		if ((r = peer_active(c, &h)) < 0)
			return r;
		*ret_device_id = h.device_id;
		*ret_last_seen_ms = h.last_seen_ms;
		return 0;
	}
	if (r < 0 && r != -ENOENT)
		return r;
	*ret_last_seen_ms = c->now_ms;	/* created just now */
	return peer_create(c, ip, v4, mac, ret_device_id);
}

static int64_t
seen_or_now(int64_t seen, int64_t now)
{
	return seen > 0 && seen <= now ? seen : now;
}

/*
 * Adds the edge of connection k, whose peer address is pa, when it has
 * one.
 */
static int
peer_apply_one(struct report_ctx *c, const Kics__Epp__V1__Connection *k,
    const struct peer_addr *pa)
{
	struct store *s = c->e->store;
	struct store_interaction in;
	int64_t peer = 0, peer_seen = 0;
	bool outbound;
	int r;

	if (pa->ip[0] == '\0')
		return 0;
	r = peer_resolve(c, k, pa->ip, pa->v4, &peer, &peer_seen);
	if (r == -ENOSPC)
		return 0;
	if (r < 0)
		return r;
	if (peer == c->device_id)
		return 0;
	outbound = k->direction ==
	    KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND;
	in.src_device_id = outbound ? c->device_id : peer;
	in.dst_device_id = outbound ? peer : c->device_id;
	in.protocol = protocols[k->protocol];
	in.port = k->protocol == KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP ?
	    0 : (outbound ? k->remote_port : k->local_port);
	in.source = "epp";
	in.last_seen_ms = seen_or_now(k->last_seen_ms, c->now_ms);
	in.first_seen_ms = seen_or_now(k->first_seen_ms, in.last_seen_ms);
	if (in.first_seen_ms > in.last_seen_ms)
		in.first_seen_ms = in.last_seen_ms;
	in.packets = k->packets_sent + k->packets_received;
	in.bytes = k->bytes_sent + k->bytes_received;
	if ((r = store_interaction_add(s, &in)) < 0)
		return r;
	/* the same granularity store_device_touch() keeps */
	if (in.last_seen_ms - peer_seen > STORE_TOUCH_MS)
		return store_device_touch(s, peer, in.last_seen_ms);
	return 0;
}

int
peer_apply_connections(struct report_ctx *c)
{
	const Kics__Epp__V1__AgentReport *rep = c->r;
	struct peer_addr pa[PEER_AHEAD];
	const char *ips[PEER_AHEAD];
	int r;

	/*
	 * PEER_AHEAD connections at a time: their addresses are read first
	 * and their holders fetched from memory together (issue 17).
	 */
	for (size_t i = 0; i < rep->n_connections; i += PEER_AHEAD) {
		size_t n = rep->n_connections - i < PEER_AHEAD ?
		    rep->n_connections - i : PEER_AHEAD;

		for (size_t j = 0; j < n; j++) {
			peer_addr_read(rep->connections[i + j], &pa[j]);
			ips[j] = pa[j].ip;
		}
		store_address_prefetch(c->e->store, ips, n);
		for (size_t j = 0; j < n; j++)
			if ((r = peer_apply_one(c, rep->connections[i + j],
			    &pa[j])) < 0)
				return r;
	}
	return 0;
}
