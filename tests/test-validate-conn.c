/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine/validate.c for connections, and for how reasons are
 * reported: the first failure wins, the buffer bounds, quoting.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kics_limits.h"
#include "testutil.h"
#include "validate-fx.h"

static void
test_connection_protocol(void)
{
	struct fixture f;

	fixture_init(&f);
	f.conn[1].protocol =
	    KICS__EPP__V1__CONNECTION__PROTOCOL__PROTOCOL_UNSPECIFIED;
	expect(&f, "connections[1].protocol: 0 is not TCP, UDP or ICMP");
	f.conn[1].protocol = (Kics__Epp__V1__Connection__Protocol)9;
	expect(&f, "connections[1].protocol: 9 is not TCP, UDP or ICMP");
}

static void
test_connection_direction(void)
{
	struct fixture f;

	fixture_init(&f);
	f.conn[0].direction =
	    KICS__EPP__V1__CONNECTION__DIRECTION__DIRECTION_UNSPECIFIED;
	expect(&f, "connections[0].direction: 0 is not OUTBOUND or INBOUND");
	f.conn[0].direction = (Kics__Epp__V1__Connection__Direction)3;
	expect(&f, "connections[0].direction: 3 is not OUTBOUND or INBOUND");
}

static void
test_connection_addresses(void)
{
	struct fixture f;

	fixture_init(&f);
	f.conn[0].remote_address = S("");
	expect(&f, "connections[0].remote_address: missing");
	f.conn[0].remote_address = S("192.168.1.300");
	expect(&f, "connections[0].remote_address: '192.168.1.300' is not an "
	    "IP address");
	f.conn[0].remote_address = S("192.168.1.20/24");
	expect(&f, "connections[0].remote_address: '192.168.1.20/24' is not "
	    "an IP address");
	f.conn[0].remote_address = S("::FFFF:192.168.1.20");
	expect(&f, NULL);
	f.conn[0].local_address = S("host");
	expect(&f, "connections[0].local_address: 'host' is not an IP "
	    "address");
	f.conn[0].local_address = S("");
	expect(&f, NULL);
}

static void
test_connection_ports(void)
{
	struct fixture f;

	fixture_init(&f);
	f.conn[0].remote_port = 65536;
	expect(&f, "connections[0].remote_port: 65536 is not a port "
	    "(0..65535)");
	f.conn[0].remote_port = 65535;
	f.conn[0].local_port = UINT32_MAX;
	expect(&f, "connections[0].local_port: 4294967295 is not a port "
	    "(0..65535)");
	/* OUTBOUND TCP: the remote side is the service */
	f.conn[0].local_port = 0;
	expect(&f, NULL);
	f.conn[0].remote_port = 0;
	expect(&f, "connections[0].remote_port: 0 is not a TCP service port");
	/* INBOUND UDP: the local side is the service */
	fixture_init(&f);
	f.conn[1].remote_port = 0;
	expect(&f, NULL);
	f.conn[1].local_port = 0;
	expect(&f, "connections[1].local_port: 0 is not a UDP service port");
	/* ICMP has no ports: 0 is fine, the range still holds */
	f.conn[1].protocol = KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP;
	expect(&f, NULL);
	f.conn[1].remote_port = 70000;
	expect(&f, "connections[1].remote_port: 70000 is not a port "
	    "(0..65535)");
}

static void
test_connection_remote_mac(void)
{
	struct fixture f;

	fixture_init(&f);
	f.conn[0].remote_mac = S("aa:bb:cc:dd:ee");
	expect(&f, "connections[0].remote_mac: 'aa:bb:cc:dd:ee' is not a MAC "
	    "address");
	f.conn[0].remote_mac = S("");
	expect(&f, NULL);
}

static void
test_connection_times(void)
{
	struct fixture f;

	fixture_init(&f);
	f.conn[0].last_seen_ms = f.conn[0].first_seen_ms - 1;
	expect(&f, "connections[0].last_seen_ms: 1699999999999 is before "
	    "first_seen_ms 1700000000000");
	f.conn[0].last_seen_ms = f.conn[0].first_seen_ms;
	expect(&f, NULL);
	/* one of them unset: nothing to compare */
	f.conn[0].last_seen_ms = 0;
	expect(&f, NULL);
	f.conn[0].first_seen_ms = 0;
	f.conn[0].last_seen_ms = 5;
	expect(&f, NULL);
}

static void
test_first_failure_wins(void)
{
	struct fixture f;

	fixture_init(&f);
	f.conn[1].protocol = 0;
	f.ev[2].event_id = S("");
	f.nif[0].mac = S("bad");
	expect(&f, "host.interfaces[0].mac: 'bad' is not a MAC address");
}

static void
test_reason_buffer(void)
{
	struct fixture f;
	char small[12];
	char tiny[1] = { 'x' };
	size_t i;

	fixture_init(&f);
	f.r.sequence = 0;
	/* truncated, NUL-terminated */
	CHECK_EQ(report_validate(&f.r, small, sizeof(small)), -EINVAL);
	CHECK(strcmp(small, "sequence: m") == 0);
	CHECK_EQ(report_validate(&f.r, tiny, sizeof(tiny)), -EINVAL);
	CHECK_EQ(tiny[0], '\0');
	CHECK_EQ(report_validate(&f.r, NULL, 0), -EINVAL);
	/* cut at a UTF-8 boundary: "host.hostname: 'ж…" */
	fixture_init(&f);
	f.host.hostname = S("жжж\x01");
	for (i = 1; i <= 24; i++) {
		char buf[24];
		size_t j;

		CHECK_EQ(report_validate(&f.r, buf, i), -EINVAL);
		CHECK(strlen(buf) < i);
		/* never ends in the middle of a two-byte 'ж' */
		for (j = 0; buf[j] != '\0'; j++)
			if ((unsigned char)buf[j] == 0xd0)
				CHECK((unsigned char)buf[j + 1] == 0xb6);
	}
}

static void
test_quote_shortens(void)
{
	struct fixture f;
	char *s = repeat('\x01', LIMIT_SHORT_TEXT_LEN);

	/* 256 escaped control bytes still fit in VALIDATE_REASON_LEN */
	fixture_init(&f);
	f.host.vendor = s;
	expect(&f, "host.vendor: '\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01"
	    "\\x01\\x01...' contains a control character");
	free(s);
}

int
main(void)
{
	RUN(test_connection_protocol);
	RUN(test_connection_direction);
	RUN(test_connection_addresses);
	RUN(test_connection_ports);
	RUN(test_connection_remote_mac);
	RUN(test_connection_times);
	RUN(test_first_failure_wins);
	RUN(test_reason_buffer);
	RUN(test_quote_shortens);
	return 0;
}
