/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/control_scan.c: real control Requests built with
 * protobuf-c pass; malformed wire data, 32-bit varints that protobuf-c
 * 1.4.1 would shift into the sign bit, and counts past the limits are
 * refused with a reason before protobuf-c sees them (issue 11).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "control_scan.h"
#include "testutil.h"

#define REQ	(&kics__control__v1__request__descriptor)

static void
expect_fail(const uint8_t *p, size_t len, const char *want)
{
	char reason[CONTROL_SCAN_REASON_LEN];

	CHECK_EQ(control_scan(REQ, p, len, reason, sizeof(reason)), -EINVAL);
	if (strstr(reason, want) == NULL) {
		(void)fprintf(stderr, "reason '%s' does not say '%s'\n",
		    reason, want);
		CHECK(0);
	}
}

/* Every field of every argument message set: passes and decodes. */
static void
test_real_request_passes(void)
{
	Kics__Control__V1__Request r = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__ServerArgs s = KICS__CONTROL__V1__SERVER_ARGS__INIT;
	Kics__Control__V1__PackageArgs p =
	    KICS__CONTROL__V1__PACKAGE_ARGS__INIT;
	Kics__Control__V1__DeviceArgs d = KICS__CONTROL__V1__DEVICE_ARGS__INIT;
	Kics__Control__V1__Request *back;
	char reason[CONTROL_SCAN_REASON_LEN];
	uint8_t buf[1024];
	size_t len;

	r.action = KICS__CONTROL__V1__ACTION__ACTION_SERVER_EDIT;
	s.id = INT64_MAX;
	s.name = (char *)"plant";
	s.address = (char *)"127.0.0.1";
	s.port = 65535;
	s.verify_client_cert = KICS__CONTROL__V1__TOGGLE__TOGGLE_ON;
	s.force = 1;
	r.server = &s;
	p.server_id = -1;	/* a negative int64: 10 bytes, fine */
	p.password = (ProtobufCBinaryData){ 3, (uint8_t *)"pw!" };
	r.package = &p;
	d.id = 7;
	d.status = (char *)"authorized";
	r.device = &d;
	CHECK((len = kics__control__v1__request__get_packed_size(&r)) <
	    sizeof(buf));
	(void)kics__control__v1__request__pack(&r, buf);
	CHECK_EQ(control_scan(REQ, buf, len, reason, sizeof(reason)), 0);
	CHECK(strcmp(reason, "") == 0);
	CHECK((back = kics__control__v1__request__unpack(NULL, len, buf)) !=
	    NULL);
	CHECK_EQ(back->server->port, 65535);
	kics__control__v1__request__free_unpacked(back, NULL);
	CHECK_EQ(control_scan(REQ, buf, 0, reason, sizeof(reason)), 0);
}

static void
test_v32(void)
{
	/* action (enum) 2^31 - 1 in 5 bytes passes; 2^31 does not */
	static const uint8_t ok[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0x07 };
	static const uint8_t sign[] = { 0x08, 0x80, 0x80, 0x80, 0x80, 0x08 };
	static const uint8_t six[] = { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x00 };
	/* server.port (uint32) in the sign bit, inside a message */
	static const uint8_t port[] = { 0x12, 0x06, 0x20, 0xff, 0xff, 0xff,
	    0xff, 0x0f };
	char reason[CONTROL_SCAN_REASON_LEN];

	CHECK_EQ(control_scan(REQ, ok, sizeof(ok), reason, sizeof(reason)), 0);
	expect_fail(sign, sizeof(sign), "action: bad varint");
	expect_fail(six, sizeof(six), "action: bad varint");
	expect_fail(port, sizeof(port), "server: port: bad varint");
}

static void
test_malformed(void)
{
	static const uint8_t past_end[] = { 0x12, 0x05, 0x10 };
	static const uint8_t name_past[] = { 0x12, 0x03, 0x12, 0x05, 'a' };
	static const uint8_t group[] = { 0x9b, 0x06 };
	static const uint8_t field_zero[] = { 0x02, 0x00 };
	static const uint8_t wrong_wt[] = { 0x0a, 0x00 };	/* action */
	static const uint8_t fixed_short[] = { 0x99, 0x06, 0x01 };
	static const uint8_t no_value[] = { 0x08 };

	expect_fail(past_end, sizeof(past_end), "server: length past the end");
	expect_fail(name_past, sizeof(name_past),
	    "server: name: length past the end");
	expect_fail(group, sizeof(group), "field 99: wire type 3 is not");
	expect_fail(field_zero, sizeof(field_zero), "bad field key");
	expect_fail(wrong_wt, sizeof(wrong_wt), "action: wrong wire type 2");
	expect_fail(fixed_short, sizeof(fixed_short), "field 99: truncated");
	expect_fail(no_value, sizeof(no_value), "action: bad varint");
}

/* Counts: singular fields, unknown fields. */
static void
test_counts(void)
{
	uint8_t buf[512];
	size_t n = 0;
	char reason[CONTROL_SCAN_REASON_LEN];

	for (int i = 0; i < CONTROL_SCAN_MAX_SINGULAR; i++) {
		buf[n++] = 0x08;	/* action */
		buf[n++] = 0x01;
	}
	CHECK_EQ(control_scan(REQ, buf, n, reason, sizeof(reason)), 0);
	buf[n++] = 0x08;
	buf[n++] = 0x01;
	expect_fail(buf, n, "action: more than 8 occurrences");

	n = 0;
	for (int i = 0; i <= CONTROL_SCAN_MAX_UNKNOWN; i++) {
		buf[n++] = 0x98;	/* field 99, varint */
		buf[n++] = 0x06;
		buf[n++] = 0x00;
	}
	expect_fail(buf, n, "more than 64 unknown fields");
}

/* Reasons always end in a NUL, however short the buffer. */
static void
test_reason_buffer(void)
{
	static const uint8_t bad[] = { 0x0e };
	char small[6];

	memset(small, 'x', sizeof(small));
	CHECK_EQ(control_scan(REQ, bad, sizeof(bad), small, sizeof(small)),
	    -EINVAL);
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
}

int
main(void)
{
	RUN(test_real_request_passes);
	RUN(test_v32);
	RUN(test_malformed);
	RUN(test_counts);
	RUN(test_reason_buffer);
	return 0;
}
