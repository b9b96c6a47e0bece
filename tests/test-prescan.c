/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine/prescan.c: real reports built with protobuf-c pass and
 * decode; bombs of empty repeated messages, unknown fields and malformed
 * wire data are refused before decoding, each with its reason (issue 11).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kics_limits.h"
#include "prescan.h"
#include "report-build.h"
#include "testutil.h"
#include "wire-build.h"

#define TCP KICS__EPP__V1__CONNECTION__PROTOCOL__TCP
#define OUT KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND

/* The head every hand-made report starts with. */
static void
w_head(struct wire *w)
{
	w_bytes(w, 1, "agent-1", 7);
	w_key(w, 2, 0);
	w_varint(w, 1);
}

static uint8_t *
pack(rb_report *r, size_t *ret_len)
{
	size_t len = kics__epp__v1__agent_report__get_packed_size(r);
	uint8_t *buf = malloc(len + 1);

	CHECK(buf != NULL);
	CHECK_EQ(kics__epp__v1__agent_report__pack(r, buf), len);
	*ret_len = len;
	return buf;
}

/*
 * Scans data[0..len) in pieces of piece bytes; returns the verdict and
 * writes the reason (PRESCAN_REASON_LEN bytes).
 */
static int
scan_pieces(const uint8_t *data, size_t len, size_t piece, char *reason)
{
	struct prescan_stream s;
	int r = 0;

	prescan_stream_init(&s, len);
	for (size_t i = 0; i < len && r == 0; i += piece)
		r = prescan_stream_feed(&s, data + i,
		    len - i < piece ? len - i : piece);
	if (r == 0)
		r = prescan_stream_end(&s);
	(void)snprintf(reason, PRESCAN_REASON_LEN, "%s", r < 0 ? s.reason :
	    "");
	return r;
}

/* A body fed in pieces of any size gets the verdict it gets whole. */
static void
expect_same_in_pieces(const uint8_t *p, size_t len)
{
	static const size_t pieces[] = { 1, 2, 3, 7, 64, 4096 };
	char whole[PRESCAN_REASON_LEN], part[PRESCAN_REASON_LEN];
	int r = report_prescan(p, len, whole, sizeof(whole));

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		CHECK_EQ(scan_pieces(p, len, pieces[i], part), r);
		if (strcmp(part, whole) != 0) {
			(void)fprintf(stderr, "in pieces of %zu: '%s', whole: "
			    "'%s'\n", pieces[i], part, whole);
			CHECK(0);
		}
	}
}

static void
expect_fail(const uint8_t *p, size_t len, const char *want)
{
	char reason[PRESCAN_REASON_LEN];

	expect_same_in_pieces(p, len);
	CHECK_EQ(report_prescan(p, len, reason, sizeof(reason)), -EINVAL);
	if (strstr(reason, want) == NULL) {
		(void)fprintf(stderr, "reason '%s' does not say '%s'\n",
		    reason, want);
		CHECK(0);
	}
}

/* A full report at every limit passes and protobuf-c decodes it. */
static void
test_full_report_passes(void)
{
	rb_report *r = rb_new("agent-1", 7);
	Kics__Epp__V1__AgentReport *d;
	char reason[PRESCAN_REASON_LEN], id[32];
	uint8_t *buf;
	size_t len;

	(void)rb_host(r, "WS-1", "Windows 10", "10.0", "aa:bb:cc:00:00:01",
	    "10.0.0.1");
	rb_app(r, "EPP", "1.0");
	for (int i = 0; i < LIMIT_EVENTS; i++) {
		(void)snprintf(id, sizeof(id), "e-%d", i);
		rb_event_attr(rb_event(r, id, "network_attack", "x"), "k", "v");
	}
	for (int i = 0; i < LIMIT_CONNECTIONS; i++)
		(void)rb_conn(r, TCP, OUT, "10.0.0.2", NULL, 502, 1, 1);
	buf = pack(r, &len);
	CHECK_EQ(report_prescan(buf, len, reason, sizeof(reason)), 0);
	CHECK(strcmp(reason, "") == 0);
	expect_same_in_pieces(buf, len);
	CHECK((d = kics__epp__v1__agent_report__unpack(NULL, len, buf)) !=
	    NULL);
	CHECK_EQ(d->n_events, LIMIT_EVENTS);
	kics__epp__v1__agent_report__free_unpacked(d, NULL);
	/* and the empty report too */
	CHECK_EQ(report_prescan(buf, 0, reason, sizeof(reason)), 0);
	free(buf);
	rb_free(r);
}

/* One event too many, at the top and in nested lists. */
static void
test_counts(void)
{
	struct wire w = { 0 }, ev = { 0 }, host = { 0 }, nif = { 0 };

	w_head(&w);
	for (int i = 0; i <= LIMIT_EVENTS; i++)
		w_bytes(&w, 7, "", 0);	/* empty events: 2 bytes each */
	expect_fail(w.p, w.len, "events: more than 1000 entries");

	w.len = 0;
	w_head(&w);
	for (int i = 0; i <= LIMIT_EVENT_ATTRIBUTES; i++)
		w_bytes(&ev, 11, "", 0);
	w_bytes(&w, 7, "", 0);
	w_bytes(&w, 7, ev.p, ev.len);
	expect_fail(w.p, w.len, "events[1]: attributes: more than 64");

	w.len = 0;
	w_head(&w);
	for (int i = 0; i <= LIMIT_ADDRESSES; i++)
		w_bytes(&nif, 3, "10.0.0.1", 8);
	w_bytes(&host, 8, nif.p, nif.len);
	w_bytes(&w, 5, host.p, host.len);
	expect_fail(w.p, w.len,
	    "host.interfaces[0]: addresses: more than 64 entries");
	free(w.p);
	free(ev.p);
	free(host.p);
	free(nif.p);
}

/*
 * The bomb of the review: 4 MiB of empty repeated messages, which took
 * protobuf-c over a second and hundreds of MB. The pre-scan stops at the
 * 1,001st of them.
 */
static void
test_decode_bomb(void)
{
	struct wire w = { 0 };

	w_head(&w);
	while (w.len < 4 * 1024 * 1024)
		w_bytes(&w, 8, "", 0);
	expect_fail(w.p, w.len, "connections: more than 5000 entries");
	free(w.p);
}

static void
test_singular_and_unknown(void)
{
	struct wire w = { 0 };

	w_head(&w);
	for (int i = 0; i < 9; i++)
		w_bytes(&w, 5, "", 0);	/* host 9 times */
	expect_fail(w.p, w.len, "host: more than 8 occurrences");

	w.len = 0;
	w_head(&w);
	for (int i = 0; i < 100; i++)
		w_bytes(&w, 99, "x", 1);
	CHECK_EQ(report_prescan(w.p, w.len, (char[80]){ 0 }, 80), 0);
	for (int i = 0; i < PRESCAN_MAX_UNKNOWN; i++)
		w_bytes(&w, 99, "x", 1);
	expect_fail(w.p, w.len, "more than 256 unknown fields");
	free(w.p);
}

static void
test_malformed(void)
{
	static const uint8_t truncated_varint[] = { 0x10, 0x80 };
	static const uint8_t long_varint[] = { 0x10, 0x80, 0x80, 0x80, 0x80,
	    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
	static const uint8_t past_end[] = { 0x0a, 0x05, 'a', 'b' };
	/* field 99, unknown: a start-group, and wire type 6 */
	static const uint8_t group[] = { 0x9b, 0x06 };
	static const uint8_t bad_wt[] = { 0x9e, 0x06 };
	static const uint8_t field_zero[] = { 0x02, 0x00 };
	static const uint8_t wrong_wt[] = { 0x38, 0x01 };	/* events: varint */
	/* connections[0].protocol as a 5-byte varint (UBSan in 1.4.1) */
	static const uint8_t v32_5[] = { 0x42, 0x06, 0x08, 0xff, 0xff, 0xff,
	    0xff, 0x0f };

	expect_fail(truncated_varint, sizeof(truncated_varint),
	    "sequence: bad varint");
	expect_fail(long_varint, sizeof(long_varint), "sequence: bad varint");
	expect_fail(past_end, sizeof(past_end), "agent_id: length past");
	expect_fail(group, sizeof(group), "wire type 3 is not accepted");
	expect_fail(bad_wt, sizeof(bad_wt), "wire type 6 is not accepted");
	expect_fail(field_zero, sizeof(field_zero), "bad field key");
	expect_fail(wrong_wt, sizeof(wrong_wt), "events: wrong wire type 0");
	expect_fail((const uint8_t[]){ 0x0b }, 1, "agent_id: wrong wire type");
	expect_fail(v32_5, sizeof(v32_5),
	    "connections[0]: protocol: bad varint");
	/* a key with no value after it, at the end and inside a message */
	expect_fail((const uint8_t[]){ 0x78 }, 1, "field 15: bad varint");
	expect_fail((const uint8_t[]){ 0x10 }, 1, "sequence: bad varint");
	expect_fail((const uint8_t[]){ 0x0a }, 1, "agent_id: length past");
	expect_fail((const uint8_t[]){ 0x42, 0x01, 0x08, 0x01 }, 4,
	    "connections[0]: protocol: bad varint");
}

/*
 * A body that arrives in pieces is refused at the first piece that breaks
 * a limit (issue 11: a receiver need not take in all of a bomb), and a
 * body must be exactly as long as declared.
 */
static void
test_stream_refuses_early(void)
{
	struct prescan_stream s;
	struct wire w = { 0 };
	size_t at = 0;
	int r = 0;

	w_head(&w);
	while (w.len < 4u << 20)
		w_bytes(&w, 7, "", 0);	/* 4 MiB of empty events */
	prescan_stream_init(&s, w.len);
	for (at = 0; at < w.len && r == 0; at += 1024)
		r = prescan_stream_feed(&s, w.p + at, 1024);
	CHECK_EQ(r, -EINVAL);
	CHECK(strstr(s.reason, "events: more than") != NULL);
	/* LIMIT_EVENTS + 1 events of 2 bytes, in pieces of 1 KiB */
	CHECK(at <= 2 * (LIMIT_EVENTS + 1) + 1024 + 16);
	CHECK_EQ(prescan_stream_feed(&s, w.p, 1), -EINVAL);

	prescan_stream_init(&s, 4);	/* sequence, a varint cut short */
	CHECK_EQ(prescan_stream_feed(&s, (const uint8_t[]){ 0x10, 0x80, 0x80 },
	    3), 0);
	CHECK_EQ(prescan_stream_end(&s), -EINVAL);
	CHECK(strstr(s.reason, "ends after 3 of 4 bytes") != NULL);
	prescan_stream_init(&s, 2);
	CHECK_EQ(prescan_stream_feed(&s, (const uint8_t[]){ 0x10, 0x01, 0x10 },
	    3), -EINVAL);
	CHECK(strstr(s.reason, "more bytes than the declared 2") != NULL);
	free(w.p);
}

/*
 * The quick pass (a whole message in one piece) and the state machine
 * (pieces of one byte) agree on thousands of damaged copies of a report,
 * and what passes decodes: bytes flipped, varints lengthened, the copy cut
 * short. A small PRNG keeps the copies the same from run to run.
 */
static void
test_damaged_copies(void)
{
	rb_report *r = rb_new("agent-1", 7);
	Kics__Epp__V1__AgentReport *d;
	char reason[PRESCAN_REASON_LEN], id[32];
	uint32_t x = 2463534242u;
	uint8_t *buf, *copy;
	size_t len, n, passed = 0, refused = 0;

	(void)rb_host(r, "WS-1", "Windows 10", "10.0", "aa:bb:cc:00:00:01",
	    "10.0.0.1");
	rb_app(r, "EPP", "1.0");
	for (int i = 0; i < 3; i++) {
		(void)snprintf(id, sizeof(id), "e-%d", i);
		rb_event_attr(rb_event(r, id, "network_attack", "x"), "k", "v");
	}
	for (int i = 0; i < 4; i++)
		(void)rb_conn(r, TCP, OUT, "10.0.0.2", NULL, 502, 1, 1);
	buf = pack(r, &len);
	CHECK((copy = malloc(len)) != NULL);
	for (int i = 0; i < 3000; i++) {
		memcpy(copy, buf, len);
		n = len;
		for (int k = 0; k < 1 + i % 3; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			switch (x % 4) {
			case 0:	/* a varint's continuation bit */
				copy[x / 4 % len] |= 0x80;
				break;
			case 1:	/* a length or a key one off */
				copy[x / 4 % len]++;
				break;
			case 2:
				copy[x / 4 % len] = (uint8_t)(x >> 24);
				break;
			default:
				n = x / 4 % len;
				break;
			}
		}
		expect_same_in_pieces(copy, n);
		if (report_prescan(copy, n, reason, sizeof(reason)) < 0) {
			refused++;
			continue;
		}
		passed++;
		/* protobuf-c may still refuse what the wire allows (a
		   string that is not UTF-8, say); it must not crash */
		d = kics__epp__v1__agent_report__unpack(NULL, n, copy);
		kics__epp__v1__agent_report__free_unpacked(d, NULL);
	}
	/* both verdicts were exercised */
	CHECK(passed > 100 && refused > 100);
	free(copy);
	free(buf);
	rb_free(r);
}

/* Reasons always end in a NUL, however short the buffer. */
static void
test_reason_buffer(void)
{
	static const uint8_t bad_wt[] = { 0x0e };
	char small[8];

	memset(small, 'x', sizeof(small));
	CHECK_EQ(report_prescan(bad_wt, sizeof(bad_wt), small, sizeof(small)),
	    -EINVAL);
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
}

int
main(void)
{
	RUN(test_full_report_passes);
	RUN(test_counts);
	RUN(test_decode_bomb);
	RUN(test_singular_and_unknown);
	RUN(test_malformed);
	RUN(test_reason_buffer);
	RUN(test_damaged_copies);
	RUN(test_stream_refuses_early);
	return 0;
}
