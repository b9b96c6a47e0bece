/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Records of monitoring-point traffic (issue 13) as the engine takes them:
 * flows already aggregated by the capture side (ingest/traffic_*.c), ARP
 * bindings and routers, and the one call that merges a batch of them into
 * the database.
 *
 * THREAD SAFETY: engine_traffic_apply() runs on the thread that owns the
 * engine (the writer), like every engine call. A batch is plain data and
 * may be built on any thread.
 */
#ifndef KICS_TRAFFIC_H
#define KICS_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRAFFIC_IP_LEN		50	/* canonical IP text and NUL */
#define TRAFFIC_MAC_LEN		18	/* aa:bb:cc:dd:ee:ff and NUL */
#define TRAFFIC_VENDOR_LEN	96	/* an IEEE organization name */
#define TRAFFIC_APP_LEN		32	/* an nDPI protocol name */
#define TRAFFIC_POINT_LEN	64	/* a monitoring point name */
#define TRAFFIC_ROUTER_IPS	5	/* IPs a router record names: one
					   more than a host may front */

enum traffic_proto {
	TRAFFIC_PROTO_TCP,
	TRAFFIC_PROTO_UDP,
	TRAFFIC_PROTO_ICMP,
	TRAFFIC_PROTO_MAX
};

/* One end of a flow, or the host an ARP reply names. */
struct traffic_host {
	char		ip[TRAFFIC_IP_LEN];	/* canonical */
	char		mac[TRAFFIC_MAC_LEN];	/* "" when not its own */
	char		vendor[TRAFFIC_VENDOR_LEN];	/* of mac, or "" */
};

/* A bidirectional flow, initiator → responder. */
struct traffic_flow {
	struct traffic_host src;	/* initiator */
	struct traffic_host dst;	/* responder */
	enum traffic_proto protocol;
	uint16_t	port;		/* responder port, 0 for icmp */
	char		app_protocol[TRAFFIC_APP_LEN];	/* nDPI, or "" */
	uint64_t	packets;	/* both directions */
	uint64_t	bytes;		/* frame bytes, both directions */
	int64_t		first_seen_ms;	/* capture timestamps */
	int64_t		last_seen_ms;
	uint32_t	flows;		/* flows this record adds up (the
					   capture side merges the flows of
					   one interaction); 0 counts as 1 */
};

/* An ARP reply: IP and MAC of one host, bound directly. */
struct traffic_binding {
	struct traffic_host host;
	int64_t		seen_ms;
};

/*
 * A MAC that was the source of more than 4 IPs: a router. Its device
 * becomes a network_device and the IPs it fronted become MAC-less
 * devices of their own.
 */
struct traffic_router {
	char		mac[TRAFFIC_MAC_LEN];
	char		vendor[TRAFFIC_VENDOR_LEN];
	char		ips[TRAFFIC_ROUTER_IPS][TRAFFIC_IP_LEN];
	size_t		n_ips;
	int64_t		seen_ms;
};

/* What one capture or import hands to the engine at a time. */
struct traffic_batch {
	char		point[TRAFFIC_POINT_LEN];	/* monitoring point */
	struct traffic_router *routers;
	size_t		n_routers;
	struct traffic_binding *bindings;
	size_t		n_bindings;
	struct traffic_flow *flows;
	size_t		n_flows;
};

/* What applying batches did; engine_traffic_apply() adds to it. */
struct traffic_result {
	uint64_t	devices_added;
	uint64_t	interactions_added;	/* new map edges */
	uint64_t	flows_applied;
	uint64_t	flows_skipped;	/* no device: device limit reached */
};

struct engine;

/*
 * Merges batch b into the database in one transaction (routers, then ARP
 * bindings, then flows): devices by MAC, else by IP, else new (source
 * traffic, with "device added"); the vendor of a MAC as a traffic value
 * (EPP and manual values win); an IP that another device holds goes
 * through address_claim() as EPP data does: it stays with an authorized
 * holder or one that got it by hand ("IP address conflict", when new then
 * once an hour), else it moves ("new IP address for a device with a known
 * MAC"); an archived device seen again becomes unauthorized ("activity
 * from an archived device"); each flow adds to its interaction of source
 * traffic with its app_protocol. Adds what it did to *res. Returns 0, or
 * a negative errno when nothing was stored.
 */
int engine_traffic_apply(struct engine *e, const struct traffic_batch *b,
    int64_t now_ms, struct traffic_result *res);

/*
 * Registers "no traffic at monitoring point" for point, silent since
 * since_ms (0: never saw a packet), in its own transaction. Returns 0 or
 * a negative errno.
 */
int engine_traffic_silence(struct engine *e, const char *point,
    uint32_t after_s, int64_t since_ms, int64_t now_ms);

/* Name of p: "tcp", "udp", "icmp". */
const char *traffic_proto_name(enum traffic_proto p);

#endif
