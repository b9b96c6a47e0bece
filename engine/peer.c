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

	(void)snprintf(what, sizeof(what), "peer %s%s%s of the host of agent "
	    "'%.128s'", ip, *mac != '\0' ? " MAC " : "", mac, c->r->agent_id);
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

/*
 * Finds the peer of connection k: by remote_mac when given (its IP then
 * goes to it, see address_claim()), else by IP unless the IP's device has
 * another MAC; creates it when unknown. Returns 0, 1 when the connection
 * has no usable peer (not an identifying address), or a negative errno;
 * -ENOSPC when the device limit stopped its creation.
 */
static int
peer_resolve(struct report_ctx *c, const Kics__Epp__V1__Connection *k,
    int64_t *ret_device_id, int64_t *ret_last_seen_ms)
{
	struct store *s = c->e->store;
	char ip[ADDR_TEXT_MAX], mac[ADDR_TEXT_MAX] = "";
	struct store_holder h;
	struct addr_ip a;
	struct addr_mac m;
	bool v4;
	int r;

	if (addr_ip_parse(k->remote_address, &a) < 0 ||
	    !addr_ip_is_identifying(&a) ||
	    addr_ip_format(&a, ip, sizeof(ip)) < 0)
		return 1;
	v4 = a.family == ADDR_FAMILY_IPV4;
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

int
peer_apply_connections(struct report_ctx *c)
{
	const Kics__Epp__V1__AgentReport *rep = c->r;
	struct store *s = c->e->store;

	for (size_t i = 0; i < rep->n_connections; i++) {
		const Kics__Epp__V1__Connection *k = rep->connections[i];
		struct store_interaction in;
		int64_t peer = 0, peer_seen = 0;
		bool outbound;
		int r;

		/* only bidirectional connections make peers and edges */
		if (k->packets_sent == 0 || k->packets_received == 0)
			continue;
		if ((unsigned)k->protocol >= 4 || protocols[k->protocol] == NULL)
			continue;
		r = peer_resolve(c, k, &peer, &peer_seen);
		if (r == 1 || r == -ENOSPC)
			continue;
		if (r < 0)
			return r;
		if (peer == c->device_id)
			continue;
		outbound = k->direction ==
		    KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND;
		in.src_device_id = outbound ? c->device_id : peer;
		in.dst_device_id = outbound ? peer : c->device_id;
		in.protocol = protocols[k->protocol];
		in.port = k->protocol == KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP ?
		    0 : (outbound ? k->remote_port : k->local_port);
		in.source = "epp";
		in.last_seen_ms = seen_or_now(k->last_seen_ms, c->now_ms);
		in.first_seen_ms = seen_or_now(k->first_seen_ms,
		    in.last_seen_ms);
		if (in.first_seen_ms > in.last_seen_ms)
			in.first_seen_ms = in.last_seen_ms;
		in.packets = k->packets_sent + k->packets_received;
		in.bytes = k->bytes_sent + k->bytes_received;
		if ((r = store_interaction_add(s, &in)) < 0)
			return r;
		/* the same granularity store_device_touch() keeps */
		if (in.last_seen_ms - peer_seen > STORE_TOUCH_MS &&
		    (r = store_device_touch(s, peer, in.last_seen_ms)) < 0)
			return r;
	}
	return 0;
}
