/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the capture side of monitoring points (issue 13): the frame
 * parser on hand-made frames (VLAN, IPv6, ARP, truncated and malformed
 * ones), the IEEE vendor registry (longest prefix wins, read from files),
 * and the flow table (initiator rules, one-way flows, the router rule,
 * the bound on flows).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "capture.h"

static const uint8_t MAC_A[6] = { 0x00, 0x1b, 0x1b, 0x5a, 0xbc, 0x01 };
static const uint8_t MAC_B[6] = { 0x00, 0x14, 0x22, 0x00, 0x00, 0x02 };

/* An Ethernet/IPv4/TCP frame into buf; returns its length. */
static size_t
frame_tcp(uint8_t *buf, const uint8_t *smac, const uint8_t *dmac,
    uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
    uint8_t flags, bool vlan)
{
	size_t o = 0;

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	o = 12;
	if (vlan) {
		buf[o++] = 0x81;
		buf[o++] = 0x00;
		buf[o++] = 0x00;
		buf[o++] = 42;
	}
	buf[o++] = 0x08;
	buf[o++] = 0x00;
	memset(buf + o, 0, 40);
	buf[o] = 0x45;
	buf[o + 3] = 40;		/* total length */
	buf[o + 9] = 6;
	buf[o + 12] = (uint8_t)(sip >> 24);
	buf[o + 13] = (uint8_t)(sip >> 16);
	buf[o + 14] = (uint8_t)(sip >> 8);
	buf[o + 15] = (uint8_t)sip;
	buf[o + 16] = (uint8_t)(dip >> 24);
	buf[o + 17] = (uint8_t)(dip >> 16);
	buf[o + 18] = (uint8_t)(dip >> 8);
	buf[o + 19] = (uint8_t)dip;
	buf[o + 20] = (uint8_t)(sport >> 8);
	buf[o + 21] = (uint8_t)sport;
	buf[o + 22] = (uint8_t)(dport >> 8);
	buf[o + 23] = (uint8_t)dport;
	buf[o + 32] = 0x50;		/* data offset 5 */
	buf[o + 33] = flags;
	return o + 40;
}

#define IP4(a, b, c, d)	((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static void
test_parse_frames(void)
{
	uint8_t f[128];
	struct pkt p;
	size_t n;

	n = frame_tcp(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2),
	    40000, 502, 0x02, true);
	CHECK_EQ(pkt_parse(DLT_EN10MB, f, (uint32_t)n, &p), PKT_IP);
	CHECK(p.syn && p.has_mac && p.family == 4);
	CHECK_EQ(p.sport, 40000);
	CHECK_EQ(p.dport, 502);
	CHECK(memcmp(p.src_mac, MAC_A, 6) == 0);
	/* SYN-ACK is not the initiator's */
	n = frame_tcp(f, MAC_B, MAC_A, IP4(10, 0, 0, 2), IP4(10, 0, 0, 1),
	    502, 40000, 0x12, false);
	CHECK_EQ(pkt_parse(DLT_EN10MB, f, (uint32_t)n, &p), PKT_IP);
	CHECK(!p.syn);
	/* every cut short of the headers is truncated, never a crash */
	for (size_t cut = 0; cut < n; cut++)
		CHECK_EQ(pkt_parse(DLT_EN10MB, f, (uint32_t)cut, &p),
		    PKT_TRUNCATED);
	/* IHL of 2 words: malformed */
	f[14] = 0x42;
	CHECK_EQ(pkt_parse(DLT_EN10MB, f, (uint32_t)n, &p), PKT_MALFORMED);
	/* an EtherType nobody uses here */
	n = frame_tcp(f, MAC_A, MAC_B, 1, 2, 1, 2, 0, false);
	f[12] = 0x88;
	f[13] = 0xcc;
	CHECK_EQ(pkt_parse(DLT_EN10MB, f, (uint32_t)n, &p), PKT_OTHER);
	CHECK(strcmp(pkt_kind_reason(PKT_TRUNCATED), "truncated") == 0);
}

static void
test_parse_ipv6_and_arp(void)
{
	uint8_t f[128] = { 0 };
	struct pkt p;

	/* Ethernet / IPv6 / UDP 53 */
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 8;			/* payload length */
	f[20] = 17;			/* UDP */
	f[22] = 0xfd;
	f[37] = 1;
	f[38] = 0xfd;
	f[53] = 2;
	f[54] = 0xc3;
	f[55] = 0x50;
	f[57] = 53;
	CHECK_EQ(pkt_parse(DLT_EN10MB, f, 62, &p), PKT_IP);
	CHECK(p.family == 6 && p.proto == TRAFFIC_PROTO_UDP && p.dport == 53);
	CHECK_EQ(pkt_parse(DLT_EN10MB, f, 61, &p), PKT_TRUNCATED);
	/* ARP reply 10.0.3.50 is-at MAC_A */
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[13] = 0x06;
	f[15] = 1;
	f[16] = 0x08;
	f[18] = 6;
	f[19] = 4;
	f[21] = 2;
	memcpy(f + 22, MAC_A, 6);
	f[28] = 10;
	f[30] = 3;
	f[31] = 50;
	CHECK_EQ(pkt_parse(DLT_EN10MB, f, 42, &p), PKT_ARP_REPLY);
	CHECK(memcmp(p.arp_mac, MAC_A, 6) == 0 && p.arp_ip[3] == 50);
	f[21] = 1;			/* a request binds nothing */
	CHECK_EQ(pkt_parse(DLT_EN10MB, f, 42, &p), PKT_OTHER);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK((f = fopen(path, "w")) != NULL);
	CHECK(fputs(text, f) >= 0);
	CHECK(fclose(f) == 0);
}

static void
test_vendors_longest_prefix(void)
{
	char dir[] = "/tmp/test-vendors.XXXXXX", err[256];
	struct vendors *v = NULL;
	const uint8_t other[6] = { 0x00, 0x1b, 0x1b, 0x00, 0x00, 0x01 };
	const uint8_t mam[6] = { 0x00, 0x1b, 0x1b, 0x5a, 0x00, 0x01 };
	const uint8_t none[6] = { 0x02, 0, 0, 0, 0, 1 };

	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ(vendors_load(dir, &v, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "ieee-data") != NULL);
	write_file(dir, "oui.csv", "Registry,Assignment,Organization Name,"
	    "Organization Address\nMA-L,001B1B,\"Siemens AG,\",Karlsruhe\n"
	    "MA-L,zz,Bad Row,\n");
	write_file(dir, "mam.csv", "Registry,Assignment,Organization Name,"
	    "Organization Address\nMA-M,001B1B5,\"Quoted \"\"M\"\" Ltd\",x\n");
	write_file(dir, "oui36.csv", "Registry,Assignment,Organization Name,"
	    "Organization Address\nMA-S,001B1B5AB,Smallest GmbH,y\n");
	CHECK_EQ(vendors_load(dir, &v, err, sizeof(err)), 0);
	CHECK_EQ(vendors_count(v), 3);
	CHECK(strcmp(vendors_find(v, MAC_A), "Smallest GmbH") == 0);
	CHECK(strcmp(vendors_find(v, mam), "Quoted \"M\" Ltd") == 0);
	CHECK(strcmp(vendors_find(v, other), "Siemens AG") == 0);
	CHECK(vendors_find(v, none) == NULL);
	vendors_free(v);
	/* Debian's own files, when installed */
	if (access(VENDORS_DIR "/oui.csv", R_OK) == 0) {
		CHECK_EQ(vendors_load(VENDORS_DIR, &v, err, sizeof(err)), 0);
		CHECK(vendors_count(v) > 30000);
		CHECK(strcmp(vendors_find(v, other), "Siemens AG") == 0);
		vendors_free(v);
	}
	(void)snprintf(err, sizeof(err), "rm -rf %s", dir);
	CHECK(system(err) == 0);
}

/* Feeds one TCP frame to t at time ms. */
static void
feed(struct flow_table *t, const uint8_t *smac, uint32_t sip, uint32_t dip,
    uint16_t sport, uint16_t dport, uint8_t flags, int64_t ms)
{
	uint8_t f[128];
	size_t n = frame_tcp(f, smac, MAC_B, sip, dip, sport, dport, flags,
	    false);
	struct pkt p;
	enum pkt_kind k = pkt_parse(DLT_EN10MB, f, (uint32_t)n, &p);

	p.ts_ms = ms;
	p.wire_len = (uint32_t)n;
	flow_table_packet(t, k, &p);
}

static void
test_flow_initiators(void)
{
	struct flow_table *t = flow_table_new(1024, NULL, "unit");
	struct traffic_batch *b;
	uint32_t a = IP4(10, 0, 0, 1), c = IP4(10, 0, 0, 2);

	CHECK(t != NULL);
	/* SYN from the high port's side to a low port: usual */
	feed(t, MAC_A, a, c, 40000, 502, 0x02, 1000);
	feed(t, MAC_B, c, a, 502, 40000, 0x12, 1001);
	/* no SYN, ports 1024 and 3000: the lower port is the responder */
	feed(t, MAC_A, a, c, 3000, 1024, 0x18, 1002);
	feed(t, MAC_B, c, a, 1024, 3000, 0x18, 1003);
	/* SYN from the low port's side wins over the port rule */
	feed(t, MAC_A, a, c, 80, 9000, 0x02, 1004);
	feed(t, MAC_B, c, a, 9000, 80, 0x12, 1005);
	/* one way only */
	feed(t, MAC_A, a, c, 5000, 6000, 0x18, 1006);
	b = flow_table_take(t, true, 0);
	CHECK(b != NULL);
	CHECK_EQ(b->n_flows, 3);
	CHECK(strcmp(b->flows[0].src.ip, "10.0.0.1") == 0);
	CHECK_EQ(b->flows[0].port, 502);
	CHECK_EQ(b->flows[0].packets, 2);
	CHECK_EQ(b->flows[0].first_seen_ms, 1000);
	CHECK_EQ(b->flows[0].last_seen_ms, 1001);
	CHECK(strcmp(b->flows[0].src.mac, "00:1b:1b:5a:bc:01") == 0);
	CHECK_EQ(b->flows[1].port, 1024);
	CHECK(strcmp(b->flows[1].src.ip, "10.0.0.1") == 0);
	CHECK_EQ(b->flows[2].port, 9000);
	CHECK(strcmp(b->flows[2].src.ip, "10.0.0.1") == 0);
	CHECK_EQ(flow_table_counts(t)->unidirectional, 1);
	CHECK_EQ(flow_table_counts(t)->flows, 4);
	traffic_batch_free(b);
	flow_table_free(t);
}

static void
test_router_rule(void)
{
	struct flow_table *t = flow_table_new(1024, NULL, "unit");
	struct traffic_batch *b;
	uint32_t srv = IP4(10, 0, 6, 60);

	CHECK(t != NULL);
	for (int i = 0; i < 4; i++) {
		feed(t, MAC_A, IP4(172, 16, i, 10), srv, 40000, 102, 0x02, i);
		feed(t, MAC_B, srv, IP4(172, 16, i, 10), 102, 40000, 0x12, i);
	}
	b = flow_table_take(t, false, 0);
	CHECK(b != NULL && b->n_routers == 0 && b->n_flows == 4);
	CHECK(b->flows[3].src.mac[0] != '\0');	/* 4 IPs: still a host */
	traffic_batch_free(b);
	feed(t, MAC_A, IP4(172, 16, 4, 10), srv, 40000, 102, 0x02, 10);
	feed(t, MAC_B, srv, IP4(172, 16, 4, 10), 102, 40000, 0x12, 11);
	b = flow_table_take(t, true, 0);
	CHECK(b != NULL);
	CHECK_EQ(b->n_routers, 1);
	CHECK_EQ(b->routers[0].n_ips, 5);
	CHECK(strcmp(b->routers[0].mac, "00:1b:1b:5a:bc:01") == 0);
	CHECK(strcmp(b->routers[0].ips[4], "172.16.4.10") == 0);
	CHECK_EQ(b->n_flows, 1);
	CHECK(b->flows[0].src.mac[0] == '\0');	/* behind the router */
	traffic_batch_free(b);
	flow_table_free(t);
}

static void
test_flow_bound(void)
{
	struct flow_table *t = flow_table_new(1024, NULL, "unit");
	struct traffic_batch *b;
	size_t total = 0;

	CHECK(t != NULL);
	for (uint32_t i = 0; i < 9000; i++) {
		feed(t, MAC_A, IP4(10, 1, 0, 0) + i, IP4(10, 2, 0, 1), 40000,
		    80, 0x02, i);
		feed(t, MAC_B, IP4(10, 2, 0, 1), IP4(10, 1, 0, 0) + i, 80,
		    40000, 0x12, i);
	}
	CHECK_EQ(flow_table_counts(t)->evicted, 9000 - 1024);
	CHECK(flow_table_pending(t));
	/* batches of a few thousand flows, until none is left */
	while ((b = flow_table_take(t, true, 0)) != NULL) {
		CHECK(b->n_flows > 0);
		total += b->n_flows;
		traffic_batch_free(b);
	}
	CHECK_EQ(total, 9000);
	flow_table_free(t);
}

/*
 * A full table hands over the flow idle longest: a flow touched again
 * (seconds later) stays, the one idle since is evicted.
 */
static void
test_flow_evicts_idlest(void)
{
	struct flow_table *t = flow_table_new(2, NULL, "unit");
	struct traffic_batch *b;
	uint32_t a = IP4(10, 0, 0, 1), c = IP4(10, 0, 0, 2);

	CHECK(t != NULL);
	feed(t, MAC_A, a, c, 40001, 501, 0x02, 0);
	feed(t, MAC_B, c, a, 501, 40001, 0x12, 1);
	feed(t, MAC_A, a, c, 40002, 502, 0x02, 10);
	feed(t, MAC_B, c, a, 502, 40002, 0x12, 11);
	feed(t, MAC_A, a, c, 40001, 501, 0x10, 5000);
	feed(t, MAC_A, a, c, 40003, 503, 0x02, 5001);
	CHECK_EQ(flow_table_counts(t)->evicted, 1);
	b = flow_table_take(t, false, INT64_MIN);
	CHECK(b != NULL);
	/* the evicted flow's record first, then the table's from oldest */
	CHECK_EQ(b->n_flows, 2);
	CHECK_EQ(b->flows[0].port, 502);
	CHECK_EQ(b->flows[0].last_seen_ms, 11);
	CHECK_EQ(b->flows[1].port, 501);
	CHECK_EQ(b->flows[1].packets, 3);
	traffic_batch_free(b);
	flow_table_free(t);
}

/* Feeds one TCP frame carrying len bytes of data to t at time ms. */
static void
feed_data(struct flow_table *t, const uint8_t *smac, uint32_t sip,
    uint32_t dip, uint16_t sport, uint16_t dport, const void *data,
    size_t len, int64_t ms)
{
	uint8_t f[256];
	size_t n = frame_tcp(f, smac, MAC_B, sip, dip, sport, dport, 0x18,
	    false);
	struct pkt p;
	enum pkt_kind k;

	CHECK(n + len <= sizeof(f));
	memcpy(f + n, data, len);
	f[14 + 2] = (uint8_t)((40 + len) >> 8);
	f[14 + 3] = (uint8_t)(40 + len);
	k = pkt_parse(DLT_EN10MB, f, (uint32_t)(n + len), &p);
	CHECK_EQ(k, PKT_IP);
	CHECK_EQ(p.payload_len, len);
	p.ts_ms = ms;
	p.wire_len = (uint32_t)(n + len);
	flow_table_packet(t, k, &p);
}

/* The app_protocol of the only flow t hands over, into name. */
static void
only_flow_app(struct flow_table *t, char *name, size_t len)
{
	struct traffic_batch *b = flow_table_take(t, true, 0);

	CHECK(b != NULL);
	CHECK_EQ(b->n_flows, 1);
	(void)snprintf(name, len, "%s", b->flows[0].app_protocol);
	traffic_batch_free(b);
}

/*
 * nDPI sees a flow from its first payload on: a handshake and empty ACKs
 * cost no nDPI call, a signature after them is still named (HTTP on a
 * port that is not HTTP's, so no port guess can name it), and a flow
 * without a payload still gets the guess of its port.
 */
static void
test_dpi_from_first_payload(void)
{
	static const char get[] = "GET /index.html HTTP/1.1\r\n"
	    "Host: plc.example\r\nUser-Agent: unit\r\n\r\n";
	struct flow_table *t = flow_table_new(1024, NULL, "unit");
	uint32_t a = IP4(10, 0, 0, 1), c = IP4(10, 0, 0, 2);
	char name[TRAFFIC_APP_LEN];

	CHECK(t != NULL);
	feed(t, MAC_A, a, c, 40001, 9000, 0x02, 1);
	feed(t, MAC_B, c, a, 9000, 40001, 0x12, 2);
	for (int i = 0; i < 3; i++)
		feed(t, MAC_A, a, c, 40001, 9000, 0x10, 3 + i);
	CHECK_EQ(flow_table_counts(t)->dpi_packets, 0);
	feed_data(t, MAC_A, a, c, 40001, 9000, get, sizeof(get) - 1, 10);
	CHECK_EQ(flow_table_counts(t)->dpi_packets, 1);
	only_flow_app(t, name, sizeof(name));
	CHECK(strcmp(name, "HTTP") == 0);
	/* handshake only, on Modbus's port: nDPI's guess from the port */
	feed(t, MAC_A, a, c, 40002, 502, 0x02, 20);
	feed(t, MAC_B, c, a, 502, 40002, 0x12, 21);
	only_flow_app(t, name, sizeof(name));
	CHECK(strcmp(name, "Modbus") == 0);
	CHECK_EQ(flow_table_counts(t)->dpi_packets, 1);
	flow_table_free(t);
}

/*
 * A flow of 100 packets costs nDPI calls until detection only: a Modbus
 * flow a few, a flow nDPI cannot name at most 24 (then it gives up).
 */
static void
test_dpi_bounded(void)
{
	static const uint8_t req[] = { 0x00, 0x01, 0x00, 0x00, 0x00, 0x06,
	    0x01, 0x03, 0x00, 0x00, 0x00, 0x02 };
	static const uint8_t rsp[] = { 0x00, 0x01, 0x00, 0x00, 0x00, 0x07,
	    0x01, 0x03, 0x04, 0x00, 0x07, 0x00, 0x08 };
	static const uint8_t junk[] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02,
	    0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c };
	struct flow_table *t = flow_table_new(1024, NULL, "unit");
	uint32_t a = IP4(10, 0, 0, 1), c = IP4(10, 0, 0, 2);
	char name[TRAFFIC_APP_LEN];
	uint64_t calls;

	CHECK(t != NULL);
	for (int i = 0; i < 50; i++) {
		feed_data(t, MAC_A, a, c, 40003, 502, req, sizeof(req), i);
		feed_data(t, MAC_B, c, a, 502, 40003, rsp, sizeof(rsp), i);
	}
	calls = flow_table_counts(t)->dpi_packets;
	CHECK(calls >= 1 && calls <= 4);
	only_flow_app(t, name, sizeof(name));
	CHECK(strcmp(name, "Modbus") == 0);
	for (int i = 0; i < 50; i++) {
		feed_data(t, MAC_A, a, c, 40004, 47000, junk, sizeof(junk), i);
		feed_data(t, MAC_B, c, a, 47000, 40004, junk, sizeof(junk), i);
	}
	CHECK(flow_table_counts(t)->dpi_packets - calls <= 24);
	only_flow_app(t, name, sizeof(name));
	flow_table_free(t);
}

/*
 * Flows of one interaction (same hosts, protocol and responder port; any
 * client port) become one record of the batch, counters added and times
 * spanned; another responder port or another client is a record of its
 * own.
 */
static void
test_flow_merge(void)
{
	struct flow_table *t = flow_table_new(1024, NULL, "unit");
	struct traffic_batch *b;
	uint32_t a = IP4(10, 0, 0, 1), c = IP4(10, 0, 0, 2);
	uint32_t d = IP4(10, 0, 0, 3);

	CHECK(t != NULL);
	for (uint16_t i = 0; i < 30; i++) {
		feed(t, MAC_A, a, c, (uint16_t)(40000 + i), 502, 0x02,
		    100 + i);
		feed(t, MAC_B, c, a, 502, (uint16_t)(40000 + i), 0x12,
		    101 + i);
	}
	feed(t, MAC_A, a, c, 41000, 503, 0x02, 50);
	feed(t, MAC_B, c, a, 503, 41000, 0x12, 51);
	feed(t, MAC_A, d, c, 42000, 502, 0x02, 60);
	feed(t, MAC_B, c, d, 502, 42000, 0x12, 61);
	b = flow_table_take(t, true, 0);
	CHECK(b != NULL);
	CHECK_EQ(b->n_flows, 3);
	CHECK_EQ(b->flows[0].port, 502);
	CHECK(strcmp(b->flows[0].src.ip, "10.0.0.1") == 0);
	CHECK_EQ(b->flows[0].flows, 30);
	CHECK_EQ(b->flows[0].packets, 60);
	CHECK_EQ(b->flows[0].bytes, 60 * 54);
	CHECK_EQ(b->flows[0].first_seen_ms, 100);
	CHECK_EQ(b->flows[0].last_seen_ms, 130);
	CHECK(strcmp(b->flows[0].app_protocol, "Modbus") == 0);
	CHECK_EQ(b->flows[1].port, 503);
	CHECK_EQ(b->flows[1].flows, 1);
	CHECK(strcmp(b->flows[2].src.ip, "10.0.0.3") == 0);
	CHECK_EQ(b->flows[2].packets, 2);
	CHECK_EQ(flow_table_counts(t)->flows, 32);
	traffic_batch_free(b);
	flow_table_free(t);
}

/*
 * The slab the flows live in: objects stay apart and aligned across slabs,
 * a freed one comes back zeroed, and under AddressSanitizer a freed one is
 * poisoned until it is handed out again.
 */
static void
test_flow_slab(void)
{
	struct flow_slab s;
	static uint8_t *a[40000];
	uint8_t *again;
	size_t n = sizeof(a) / sizeof(a[0]);

	flow_slab_init(&s, 100);
	for (size_t i = 0; i < n; i++) {
		a[i] = flow_slab_get(&s);
		CHECK(a[i] != NULL);
		CHECK_EQ((uintptr_t)a[i] % 16, 0);
		CHECK_EQ(a[i][0], 0);
		memset(a[i], 0xa5, 100);
	}
	CHECK(s.n_slabs >= 2);		/* 40,000 x 112 bytes > 2 MB */
	for (size_t i = 1; i < n; i++)
		CHECK(a[i] != a[i - 1]);
	flow_slab_put(&s, a[7]);
#if defined(TEST_ASAN)
	CHECK(__asan_address_is_poisoned(a[7] + 50));
	CHECK(!__asan_address_is_poisoned(a[8] + 50));
#endif
	again = flow_slab_get(&s);
	CHECK(again == a[7]);		/* the freed one first */
	for (size_t i = 0; i < 100; i++)
		CHECK_EQ(again[i], 0);
#if defined(TEST_ASAN)
	CHECK(!__asan_address_is_poisoned(again + 50));
#endif
	flow_slab_fini(&s);
}

int
main(void)
{
	RUN(test_parse_frames);
	RUN(test_parse_ipv6_and_arp);
	RUN(test_vendors_longest_prefix);
	RUN(test_flow_initiators);
	RUN(test_router_rule);
	RUN(test_flow_bound);
	RUN(test_dpi_from_first_payload);
	RUN(test_dpi_bounded);
	RUN(test_flow_merge);
	RUN(test_flow_evicts_idlest);
	RUN(test_flow_slab);
	traffic_dpi_pool_clear();
	return 0;
}
