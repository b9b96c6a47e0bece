/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/decode_arena.c: reports decoded with the arena's
 * allocator are the reports that were sent, in a few blocks and within a
 * bound of their wire size; malformed bytes fail as with the default
 * allocator and leave nothing behind; under AddressSanitizer the space
 * after each piece stays poisoned (issue 17).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_arena.h"
#include "kics_limits.h"
#include "prescan.h"
#include "report-build.h"
#include "testutil.h"

#if defined(TEST_ASAN)
/* a poisoned gap after every piece: more blocks, as large again */
#define TEST_ASAN_BLOCKS	1
#define TEST_ASAN_FACTOR	2
#else
#define TEST_ASAN_BLOCKS	0
#define TEST_ASAN_FACTOR	1
#endif

#define TCP KICS__EPP__V1__CONNECTION__PROTOCOL__TCP
#define OUT KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND

/* What an arena may hold for a report of wire bytes (decode_arena.h). */
#define TEST_BOUND(wire)	\
	(TEST_ASAN_FACTOR * (8 * (wire) + 4 * DECODE_ARENA_BASE))

/* A report of events events (with attrs attributes) and conns connections. */
static uint8_t *
make_wire(uint64_t seq, size_t events, size_t attrs, size_t conns,
    size_t *ret_len)
{
	rb_report *r = rb_new("agent-arena-01", seq);
	char id[32], ip[32], key[16];
	uint8_t *buf;
	size_t i, j;

	(void)rb_host(r, "host-arena", "Windows", "10.0.19045",
	    "00:11:22:33:44:55", "192.0.2.10");
	rb_app(r, "Product", "1.2.3");
	for (i = 0; i < events; i++) {
		Kics__Epp__V1__EppEvent *ev;

		(void)snprintf(id, sizeof(id), "ev-%llu-%zu",
		    (unsigned long long)seq, i);
		ev = rb_event(r, id, "malware", "a detection of something");
		for (j = 0; j < attrs; j++) {
			(void)snprintf(key, sizeof(key), "k%zu", j);
			rb_event_attr(ev, key, "value");
		}
	}
	for (i = 0; i < conns; i++) {
		(void)snprintf(ip, sizeof(ip), "198.51.100.%zu", i % 250 + 1);
		(void)rb_conn(r, TCP, OUT, ip, NULL, (uint32_t)(1024 + i),
		    100 + i, 200 + i);
	}
	*ret_len = kics__epp__v1__agent_report__get_packed_size(r);
	CHECK((buf = malloc(*ret_len)) != NULL);
	CHECK_EQ(kics__epp__v1__agent_report__pack(r, buf), *ret_len);
	rb_free(r);
	return buf;
}

/*
 * Decodes wire (len bytes) in an arena and checks that it packs back to
 * the same bytes, within blocks_max blocks and the bound.
 */
static void
decode_check(const uint8_t *wire, size_t len, size_t blocks_max)
{
	struct decode_arena *a;
	Kics__Epp__V1__AgentReport *r;
	uint8_t *back;
	char reason[128];

	CHECK_EQ(report_prescan(wire, len, reason, sizeof(reason)), 0);
	CHECK((a = decode_arena_new(len)) != NULL);
	r = kics__epp__v1__agent_report__unpack(decode_arena_allocator(a),
	    len, wire);
	CHECK(r != NULL);
	CHECK_EQ(kics__epp__v1__agent_report__get_packed_size(r), len);
	CHECK((back = malloc(len)) != NULL);
	CHECK_EQ(kics__epp__v1__agent_report__pack(r, back), len);
	CHECK(memcmp(back, wire, len) == 0);
	free(back);
	CHECK(decode_arena_blocks(a) <= blocks_max + TEST_ASAN_BLOCKS);
	CHECK(decode_arena_bytes(a) <= TEST_BOUND(len));
	decode_arena_free(a);
}

/* Many reports of the design load's shape, each in one block. */
static void
test_many(void)
{
	uint8_t *wire;
	size_t len;

	for (uint64_t seq = 1; seq <= 500; seq++) {
		wire = make_wire(seq, 10, 4, 20, &len);
		decode_check(wire, len, 1);
		free(wire);
	}
}

/* A report at the limits takes a few blocks, within the bound. */
static void
test_large(void)
{
	uint8_t *wire;
	size_t len;

	wire = make_wire(7, LIMIT_EVENTS, 8, LIMIT_CONNECTIONS, &len);
	CHECK(len > 256 * 1024);
	decode_check(wire, len, 3);
	free(wire);
	/* the empty report, and one that needs more than its first block */
	wire = make_wire(8, 0, 0, 0, &len);
	decode_check(wire, len, 1);
	free(wire);
}

/* Malformed bytes fail as with the default allocator, leaking nothing. */
static void
test_malformed(void)
{
	struct decode_arena *a;
	uint8_t *wire;
	size_t len, cut;

	wire = make_wire(9, 10, 4, 20, &len);
	for (cut = 1; cut < len; cut += 97) {
		Kics__Epp__V1__AgentReport *d, *s;

		CHECK((a = decode_arena_new(cut)) != NULL);
		d = kics__epp__v1__agent_report__unpack(
		    decode_arena_allocator(a), cut, wire);
		s = kics__epp__v1__agent_report__unpack(NULL, cut, wire);
		CHECK((d == NULL) == (s == NULL));
		kics__epp__v1__agent_report__free_unpacked(s, NULL);
		decode_arena_free(a);
	}
	/* a last field of wire type 7, which does not exist */
	CHECK((wire = realloc(wire, len + 1)) != NULL);
	wire[len] = 0x0f;
	CHECK(kics__epp__v1__agent_report__unpack(NULL, len + 1,
	    wire) == NULL);
	CHECK((a = decode_arena_new(len + 1)) != NULL);
	CHECK(kics__epp__v1__agent_report__unpack(decode_arena_allocator(a),
	    len + 1, wire) == NULL);
	decode_arena_free(a);
	decode_arena_free(NULL);
	free(wire);
}

/* Pieces are aligned, distinct, and (under ASan) fenced. */
static void
test_pieces(void)
{
	struct decode_arena *a;
	ProtobufCAllocator *pa;
	unsigned char *p, *q, *big;

	CHECK((a = decode_arena_new(0)) != NULL);
	pa = decode_arena_allocator(a);
	CHECK((p = pa->alloc(pa->allocator_data, 10)) != NULL);
	CHECK((q = pa->alloc(pa->allocator_data, 0)) != NULL);
	CHECK(p != q);
	CHECK((uintptr_t)p % 16 == 0 && (uintptr_t)q % 16 == 0);
	memset(p, 0xa5, 10);
	/* larger than the first block: a block of its own */
	CHECK((big = pa->alloc(pa->allocator_data,
	    4 * DECODE_ARENA_BASE)) != NULL);
	memset(big, 0x5a, 4 * DECODE_ARENA_BASE);
	CHECK_EQ(decode_arena_blocks(a), 2);
	CHECK(pa->alloc(pa->allocator_data, SIZE_MAX / 2) == NULL);
	pa->free(pa->allocator_data, p);
#if defined(TEST_ASAN)
	CHECK(!__asan_address_is_poisoned(p + 9));
	CHECK(__asan_address_is_poisoned(p + 10));
	CHECK(__asan_address_is_poisoned(p + 16));
	CHECK(__asan_address_is_poisoned(big + 4 * DECODE_ARENA_BASE));
#endif
	decode_arena_free(a);
}

int
main(void)
{
	test_many();
	test_large();
	test_malformed();
	test_pieces();
	printf("decode-arena: ok\n");
	return 0;
}
