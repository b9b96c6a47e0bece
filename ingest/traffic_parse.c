/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the parser of captured frames: Ethernet with
 * 802.1Q/802.1ad tags, Linux cooked and raw IP link types, IPv4 (with
 * options), IPv6 (with its common extension headers), TCP, UDP, ICMP and
 * ICMPv6, and ARP replies. Every length is checked against what was
 * captured: a short frame is truncated, an impossible header malformed.
 */
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"

#define ETH_HLEN	14
#define SLL_HLEN	16
#define VLAN_MAX_TAGS	4	/* tags skipped before giving up */

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_ARP	0x0806
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
#define ETHERTYPE_IPV6	0x86dd

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ICMPV6	58

static const char *const pkt_reasons[PKT_KIND_MAX] = {
	[PKT_IP] = "flow packet",
	[PKT_ARP_REPLY] = "ARP reply",
	[PKT_OTHER] = "not TCP, UDP, ICMP or an ARP reply",
	[PKT_TRUNCATED] = "truncated",
	[PKT_MALFORMED] = "malformed",
};

const char *
pkt_kind_reason(enum pkt_kind k)
{
	return (unsigned)k < PKT_KIND_MAX ? pkt_reasons[k] : "?";
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* TCP, UDP or ICMP at l4 (len bytes captured). */
static enum pkt_kind
pkt_l4(struct pkt *p, unsigned proto, const uint8_t *l4, uint32_t len)
{
	switch (proto) {
	case PROTO_TCP:
		if (len < 20)
			return PKT_TRUNCATED;
		if ((l4[12] >> 4) < 5)
			return PKT_MALFORMED;
		p->proto = TRAFFIC_PROTO_TCP;
		p->sport = be16(l4);
		p->dport = be16(l4 + 2);
		/* SYN set, ACK clear: the initiator's first segment */
		p->syn = (l4[13] & 0x12) == 0x02;
		p->payload_len = len > (uint32_t)(l4[12] >> 4) * 4 ?
		    (uint16_t)(len - (uint32_t)(l4[12] >> 4) * 4) : 0;
		return PKT_IP;
	case PROTO_UDP:
		if (len < 8)
			return PKT_TRUNCATED;
		p->proto = TRAFFIC_PROTO_UDP;
		p->sport = be16(l4);
		p->dport = be16(l4 + 2);
		p->payload_len = (uint16_t)(len - 8);
		return PKT_IP;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		if (len < 4)
			return PKT_TRUNCATED;
		p->proto = TRAFFIC_PROTO_ICMP;
		p->payload_len = (uint16_t)(len - 4);
		return PKT_IP;
	default:
		return PKT_OTHER;
	}
}

static enum pkt_kind
pkt_ipv4(struct pkt *p, const uint8_t *ip, uint32_t len)
{
	uint32_t hl, total;

	if (len < 20)
		return PKT_TRUNCATED;
	if ((ip[0] >> 4) != 4 || (hl = (uint32_t)(ip[0] & 0x0f) * 4) < 20)
		return PKT_MALFORMED;
	total = be16(ip + 2);
	if (total < hl)
		return PKT_MALFORMED;
	if (len < hl || len < total)
		return PKT_TRUNCATED;
	p->family = 4;
	memcpy(p->src_ip, ip + 12, 4);
	memcpy(p->dst_ip, ip + 16, 4);
	p->l3 = ip;
	p->l3_len = (uint16_t)total;
	/* a later fragment carries no ports: not a flow packet */
	if ((be16(ip + 6) & 0x1fff) != 0)
		return PKT_OTHER;
	return pkt_l4(p, ip[9], ip + hl, total - hl);
}

static enum pkt_kind
pkt_ipv6(struct pkt *p, const uint8_t *ip, uint32_t len)
{
	uint32_t off = 40, total;
	unsigned next;

	if (len < 40)
		return PKT_TRUNCATED;
	if ((ip[0] >> 4) != 6)
		return PKT_MALFORMED;
	total = 40 + (uint32_t)be16(ip + 4);
	if (total > 65535)
		return PKT_MALFORMED;
	if (len < total)
		return PKT_TRUNCATED;
	p->family = 6;
	memcpy(p->src_ip, ip + 8, 16);
	memcpy(p->dst_ip, ip + 24, 16);
	p->l3 = ip;
	p->l3_len = (uint16_t)total;
	next = ip[6];
	/* hop-by-hop, routing, destination options */
	while (next == 0 || next == 43 || next == 60) {
		if (off + 8 > total)
			return PKT_TRUNCATED;
		next = ip[off];
		off += 8 + (uint32_t)ip[off + 1] * 8;
	}
	if (off > total)
		return PKT_MALFORMED;
	if (next == 44)		/* fragment header */
		return PKT_OTHER;
	return pkt_l4(p, next, ip + off, total - off);
}

/* An ARP reply for IPv4 over Ethernet. */
static enum pkt_kind
pkt_arp(struct pkt *p, const uint8_t *a, uint32_t len)
{
	if (len < 28)
		return PKT_TRUNCATED;
	if (be16(a) != 1 || be16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 ||
	    a[5] != 4)
		return PKT_OTHER;
	if (be16(a + 6) != 2)
		return PKT_OTHER;	/* requests bind nothing for sure */
	memcpy(p->arp_mac, a + 8, 6);
	memcpy(p->arp_ip, a + 14, 4);
	return PKT_ARP_REPLY;
}

static enum pkt_kind
pkt_ethertype(struct pkt *p, unsigned type, const uint8_t *d, uint32_t len)
{
	switch (type) {
	case ETHERTYPE_IPV4:
		return pkt_ipv4(p, d, len);
	case ETHERTYPE_IPV6:
		return pkt_ipv6(p, d, len);
	case ETHERTYPE_ARP:
		return pkt_arp(p, d, len);
	default:
		return PKT_OTHER;
	}
}

static enum pkt_kind
pkt_ethernet(struct pkt *p, const uint8_t *d, uint32_t len)
{
	uint32_t off = ETH_HLEN;
	unsigned type;

	if (len < ETH_HLEN)
		return PKT_TRUNCATED;
	p->has_mac = true;
	memcpy(p->src_mac, d + 6, 6);
	type = be16(d + 12);
	for (int i = 0; (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ);
	    i++) {
		if (i == VLAN_MAX_TAGS)
			return PKT_MALFORMED;
		if (len < off + 4)
			return PKT_TRUNCATED;
		type = be16(d + off + 2);
		off += 4;
	}
	return pkt_ethertype(p, type, d + off, len - off);
}

enum pkt_kind
pkt_parse(int linktype, const uint8_t *data, uint32_t caplen, struct pkt *p)
{
	p->has_mac = false;
	p->syn = false;
	p->sport = p->dport = 0;
	p->payload_len = 0;
	switch (linktype) {
	case DLT_EN10MB:
		return pkt_ethernet(p, data, caplen);
	case DLT_LINUX_SLL:
		if (caplen < SLL_HLEN)
			return PKT_TRUNCATED;
		if (be16(data + 2) == 1 && be16(data + 4) == 6) {
			/* the sender's Ethernet address */
			p->has_mac = true;
			memcpy(p->src_mac, data + 6, 6);
		}
		return pkt_ethertype(p, be16(data + 14), data + SLL_HLEN,
		    caplen - SLL_HLEN);
	case DLT_RAW:
		if (caplen < 1)
			return PKT_TRUNCATED;
		return (data[0] >> 4) == 6 ? pkt_ipv6(p, data, caplen) :
		    pkt_ipv4(p, data, caplen);
	default:
		return PKT_OTHER;
	}
}
