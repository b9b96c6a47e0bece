/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine/addr.c: IP, MAC and CIDR parsing, canonical text,
 * containment and the device-identity predicates.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "kics_limits.h"
#include "testutil.h"

/* Normalises an IP and compares with the expected canonical text. */
static void
check_ip(const char *in, const char *want)
{
	char buf[ADDR_TEXT_MAX];

	if (addr_ip_normalize(in, buf, sizeof(buf)) != 0) {
		(void)fprintf(stderr, "ip '%s' did not parse\n", in);
		CHECK(0);
	}
	if (strcmp(buf, want) != 0) {
		(void)fprintf(stderr, "ip '%s' -> '%s', want '%s'\n", in, buf,
		    want);
		CHECK(0);
	}
}

static void
check_ip_bad(const char *in)
{
	char buf[ADDR_TEXT_MAX] = "unchanged";
	struct addr_ip ip;

	if (addr_ip_normalize(in, buf, sizeof(buf)) != -EINVAL ||
	    addr_ip_parse(in, &ip) != -EINVAL) {
		(void)fprintf(stderr, "ip '%s' was accepted\n", in);
		CHECK(0);
	}
	CHECK(strcmp(buf, "unchanged") == 0);
}

static void
test_ip_parse_ok(void)
{
	check_ip("192.168.1.10", "192.168.1.10");
	check_ip("0.0.0.0", "0.0.0.0");
	check_ip("255.255.255.255", "255.255.255.255");
	check_ip("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	check_ip("2001:0db8:0000:0000:0001:0000:0000:0001",
	    "2001:db8::1:0:0:1");
	check_ip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	check_ip("::", "::");
	check_ip("::1", "::1");
	check_ip("FE80::0001", "fe80::1");
	check_ip("fe80::1%eth0", "fe80::1");
	check_ip("fe80::1%12", "fe80::1");
}

static void
test_ip_mapped_is_ipv4(void)
{
	struct addr_ip a, b;

	check_ip("::ffff:1.2.3.4", "1.2.3.4");
	check_ip("::FFFF:0102:0304", "1.2.3.4");
	CHECK_EQ(addr_ip_parse("::ffff:10.0.0.1", &a), 0);
	CHECK_EQ(a.family, ADDR_FAMILY_IPV4);
	CHECK_EQ(addr_ip_parse("10.0.0.1", &b), 0);
	CHECK(addr_ip_equal(&a, &b));
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK_EQ(addr_ip_parse("10.0.0.2", &b), 0);
	CHECK(!addr_ip_equal(&a, &b));
}

static void
test_ip_hand_filled_mapped(void)
{
	struct addr_ip ip, v4;
	char buf[ADDR_TEXT_MAX];

	memset(&ip, 0, sizeof(ip));
	ip.family = ADDR_FAMILY_IPV6;
	ip.bytes[10] = 0xff;
	ip.bytes[11] = 0xff;
	ip.bytes[12] = 192;
	ip.bytes[15] = 1;
	CHECK_EQ(addr_ip_format(&ip, buf, sizeof(buf)), 0);
	CHECK(strcmp(buf, "192.0.0.1") == 0);
	CHECK_EQ(addr_ip_parse("192.0.0.1", &v4), 0);
	CHECK(addr_ip_equal(&ip, &v4));
}

static void
test_ip_parse_bad(void)
{
	char longtext[LIMIT_ADDRESS_TEXT_LEN + 2];

	check_ip_bad("");
	check_ip_bad("1.2.3");
	check_ip_bad("1.2.3.4.5");
	check_ip_bad("256.1.1.1");
	check_ip_bad("01.2.3.4");
	check_ip_bad(" 1.2.3.4");
	check_ip_bad("1.2.3.4 ");
	check_ip_bad("1.2.3.4/24");	/* no prefix in a plain address */
	check_ip_bad("1.2.3.4%eth0");	/* zones are IPv6 only */
	check_ip_bad("fe80::1%");
	check_ip_bad("fe80::1%et h0");
	check_ip_bad("2001:db8::1::2");
	check_ip_bad("2001:db8:::1");
	check_ip_bad("12345::");
	check_ip_bad("g::1");
	check_ip_bad("localhost");
	memset(longtext, '1', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	check_ip_bad(longtext);
	CHECK_EQ(addr_ip_normalize(NULL, NULL, 0), -EINVAL);
}

static void
test_ip_format_small_buffer(void)
{
	char buf[8] = "keep";
	struct addr_ip ip;

	CHECK_EQ(addr_ip_parse("192.168.100.200", &ip), 0);
	CHECK_EQ(addr_ip_format(&ip, buf, sizeof(buf)), -ENOSPC);
	CHECK(strcmp(buf, "keep") == 0);
	CHECK_EQ(addr_ip_normalize("192.168.100.200", buf, sizeof(buf)),
	    -ENOSPC);
	CHECK(strcmp(buf, "keep") == 0);
	/* exactly enough: 15 characters + NUL */
	{
		char exact[16];

		CHECK_EQ(addr_ip_format(&ip, exact, sizeof(exact)), 0);
		CHECK(strcmp(exact, "192.168.100.200") == 0);
		CHECK_EQ(addr_ip_format(&ip, exact, sizeof(exact) - 1),
		    -ENOSPC);
	}
	memset(&ip, 0, sizeof(ip));
	CHECK_EQ(addr_ip_format(&ip, buf, sizeof(buf)), -EINVAL);
}

static void
test_iface_prefix(void)
{
	char buf[ADDR_TEXT_MAX];
	struct addr_ip ip;
	int prefix = 99;

	CHECK_EQ(addr_iface_normalize("192.168.1.10/24", buf, sizeof(buf),
	    &prefix), 0);
	CHECK(strcmp(buf, "192.168.1.10") == 0);
	CHECK_EQ(prefix, 24);
	CHECK_EQ(addr_iface_normalize("10.1.2.3", buf, sizeof(buf), &prefix),
	    0);
	CHECK_EQ(prefix, ADDR_NO_PREFIX);
	CHECK_EQ(addr_iface_normalize("FE80::1%eth0/64", buf, sizeof(buf),
	    &prefix), 0);
	CHECK(strcmp(buf, "fe80::1") == 0);
	CHECK_EQ(prefix, 64);
	CHECK_EQ(addr_ip_parse_prefixed("0.0.0.0/0", &ip, &prefix), 0);
	CHECK_EQ(prefix, 0);
	CHECK_EQ(addr_ip_parse_prefixed("::1/128", &ip, &prefix), 0);
	CHECK_EQ(prefix, 128);
	CHECK_EQ(ip.family, ADDR_FAMILY_IPV6);
	/* a mapped address: the prefix counts the IPv4 part only */
	CHECK_EQ(addr_ip_parse_prefixed("::ffff:10.0.0.5/120", &ip, &prefix),
	    0);
	CHECK_EQ(ip.family, ADDR_FAMILY_IPV4);
	CHECK_EQ(prefix, 24);

	prefix = 99;
	CHECK_EQ(addr_ip_parse_prefixed("::ffff:10.0.0.5/64", &ip, &prefix),
	    -EINVAL);
	CHECK_EQ(addr_ip_parse_prefixed("10.0.0.1/33", &ip, &prefix), -EINVAL);
	CHECK_EQ(addr_ip_parse_prefixed("2001:db8::1/129", &ip, &prefix),
	    -EINVAL);
	CHECK_EQ(addr_ip_parse_prefixed("10.0.0.1/", &ip, &prefix), -EINVAL);
	CHECK_EQ(addr_ip_parse_prefixed("10.0.0.1/024", &ip, &prefix),
	    -EINVAL);
	CHECK_EQ(addr_ip_parse_prefixed("10.0.0.1/+8", &ip, &prefix), -EINVAL);
	CHECK_EQ(addr_ip_parse_prefixed("10.0.0.1/8/8", &ip, &prefix),
	    -EINVAL);
	CHECK_EQ(addr_ip_parse_prefixed("10.0.0.1/1000", &ip, &prefix),
	    -EINVAL);
	CHECK_EQ(addr_ip_parse_prefixed("/8", &ip, &prefix), -EINVAL);
	CHECK_EQ(prefix, 99);
}

static void
check_mac(const char *in, const char *want)
{
	char buf[ADDR_MAC_TEXT_MAX];

	if (addr_mac_normalize(in, buf, sizeof(buf)) != 0 ||
	    strcmp(buf, want) != 0) {
		(void)fprintf(stderr, "mac '%s' did not become '%s'\n", in,
		    want);
		CHECK(0);
	}
}

static void
check_mac_bad(const char *in)
{
	char buf[ADDR_MAC_TEXT_MAX] = "unchanged";

	if (addr_mac_normalize(in, buf, sizeof(buf)) != -EINVAL) {
		(void)fprintf(stderr, "mac '%s' was accepted\n", in);
		CHECK(0);
	}
	CHECK(strcmp(buf, "unchanged") == 0);
}

static void
test_mac_spellings(void)
{
	check_mac("aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff");
	check_mac("AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff");
	check_mac("aabb.ccdd.eeff", "aa:bb:cc:dd:ee:ff");
	check_mac("AABBCCDDEEFF", "aa:bb:cc:dd:ee:ff");
	check_mac("00:1B:63:84:45:E6", "00:1b:63:84:45:e6");
	check_mac("0:1b:63:4:45:e6", "00:1b:63:04:45:e6");
	check_mac("1-2-3-4-5-6", "01:02:03:04:05:06");
	check_mac("001b.6384.45e6", "00:1b:63:84:45:e6");
}

static void
test_mac_bad(void)
{
	check_mac_bad("");
	check_mac_bad("zz:11");
	check_mac_bad("aa:bb:cc:dd:ee");
	check_mac_bad("aa:bb:cc:dd:ee:ff:00");
	check_mac_bad("aa:bb:cc:dd:ee:ff:");
	check_mac_bad("aa:bb-cc:dd:ee:ff");
	check_mac_bad("aaa:bb:cc:dd:ee:ff");
	check_mac_bad("aa::cc:dd:ee:ff");
	check_mac_bad("aabb.ccdd.eef");
	check_mac_bad("aabb.ccddeeff");
	check_mac_bad("aabbccddeef");
	check_mac_bad("aabbccddeeff0");
	check_mac_bad("aabbccddeefg");
	check_mac_bad(" aa:bb:cc:dd:ee:ff");
	check_mac_bad("aa:bb:cc:dd:ee:ff ");
	CHECK_EQ(addr_mac_normalize(NULL, NULL, 0), -EINVAL);
}

static void
test_mac_format_small_buffer(void)
{
	struct addr_mac mac;
	char buf[ADDR_MAC_TEXT_MAX - 1] = "keep";

	CHECK_EQ(addr_mac_parse("aa:bb:cc:dd:ee:ff", &mac), 0);
	CHECK_EQ(addr_mac_format(&mac, buf, sizeof(buf)), -ENOSPC);
	CHECK(strcmp(buf, "keep") == 0);
}

static bool
mac_identifying(const char *text)
{
	struct addr_mac mac;

	CHECK_EQ(addr_mac_parse(text, &mac), 0);
	return addr_mac_is_identifying(&mac);
}

static void
test_mac_identifying(void)
{
	CHECK(mac_identifying("00:1b:63:84:45:e6"));
	CHECK(mac_identifying("02:00:00:00:00:01"));	/* local admin */
	CHECK(!mac_identifying("00:00:00:00:00:00"));
	CHECK(!mac_identifying("ff:ff:ff:ff:ff:ff"));
	CHECK(!mac_identifying("01:00:5e:00:00:fb"));	/* IPv4 multicast */
	CHECK(!mac_identifying("33:33:00:00:00:01"));	/* IPv6 multicast */
	CHECK(!addr_mac_is_identifying(NULL));
}

static bool
ip_identifying(const char *text)
{
	struct addr_ip ip;

	CHECK_EQ(addr_ip_parse(text, &ip), 0);
	return addr_ip_is_identifying(&ip);
}

static void
test_ip_identifying(void)
{
	struct addr_ip bad;

	CHECK(ip_identifying("192.168.1.10"));
	CHECK(ip_identifying("10.0.0.1"));
	CHECK(ip_identifying("169.254.1.1"));
	CHECK(ip_identifying("2001:db8::1"));
	CHECK(ip_identifying("fd00::1"));
	CHECK(ip_identifying("fec0::1"));	/* not inside fe80::/10 */
	CHECK(!ip_identifying("0.0.0.0"));
	CHECK(!ip_identifying("0.1.2.3"));
	CHECK(!ip_identifying("127.0.0.1"));
	CHECK(!ip_identifying("127.255.255.254"));
	CHECK(!ip_identifying("224.0.0.251"));
	CHECK(!ip_identifying("239.255.255.250"));
	CHECK(ip_identifying("240.0.0.1"));
	CHECK(!ip_identifying("255.255.255.255"));
	CHECK(!ip_identifying("::"));
	CHECK(!ip_identifying("::1"));
	CHECK(!ip_identifying("ff02::1"));
	CHECK(!ip_identifying("fe80::1"));
	CHECK(!ip_identifying("febf::1"));
	CHECK(!ip_identifying("::ffff:127.0.0.1"));
	memset(&bad, 0, sizeof(bad));
	CHECK(!addr_ip_is_identifying(&bad));
	CHECK(!addr_ip_is_identifying(NULL));
}

static void
check_cidr(const char *in, const char *want)
{
	char buf[ADDR_TEXT_MAX];

	if (addr_cidr_normalize(in, buf, sizeof(buf)) != 0 ||
	    strcmp(buf, want) != 0) {
		(void)fprintf(stderr, "cidr '%s' did not become '%s'\n", in,
		    want);
		CHECK(0);
	}
}

static void
test_cidr_parse(void)
{
	struct addr_cidr c;

	check_cidr("10.0.0.0/8", "10.0.0.0/8");
	check_cidr("0.0.0.0/0", "0.0.0.0/0");
	check_cidr("192.168.1.7", "192.168.1.7/32");
	check_cidr("2001:DB8::/32", "2001:db8::/32");
	check_cidr("::/0", "::/0");
	check_cidr("2001:db8::1", "2001:db8::1/128");
	check_cidr("::ffff:10.0.0.0/104", "10.0.0.0/8");
	check_cidr("fe80::%eth0/10", "fe80::/10");

	/* host bits set are refused, not masked */
	CHECK_EQ(addr_cidr_parse("10.0.0.1/8", &c), -EINVAL);
	CHECK_EQ(addr_cidr_parse("192.168.1.128/24", &c), -EINVAL);
	CHECK_EQ(addr_cidr_parse("2001:db8::1/64", &c), -EINVAL);
	CHECK_EQ(addr_cidr_parse("10.0.0.0/33", &c), -EINVAL);
	CHECK_EQ(addr_cidr_parse("::/129", &c), -EINVAL);
	CHECK_EQ(addr_cidr_parse("10.0.0.0/", &c), -EINVAL);
	CHECK_EQ(addr_cidr_parse("10.0.0/8", &c), -EINVAL);
	CHECK_EQ(addr_cidr_parse("", &c), -EINVAL);
	CHECK_EQ(addr_cidr_parse(NULL, &c), -EINVAL);
	/* the boundary bit of a /25 */
	CHECK_EQ(addr_cidr_parse("192.168.1.128/25", &c), 0);
	CHECK_EQ(c.prefix, 25);
	CHECK_EQ(c.net.family, ADDR_FAMILY_IPV4);
}

static bool
contains(const char *cidr, const char *ip)
{
	struct addr_cidr c;
	struct addr_ip a;

	CHECK_EQ(addr_cidr_parse(cidr, &c), 0);
	CHECK_EQ(addr_ip_parse(ip, &a), 0);
	return addr_cidr_contains(&c, &a);
}

static void
test_cidr_contains(void)
{
	struct addr_cidr c;
	struct addr_ip a;

	CHECK(contains("10.0.0.0/8", "10.255.1.2"));
	CHECK(!contains("10.0.0.0/8", "11.0.0.0"));
	CHECK(contains("192.168.1.128/25", "192.168.1.200"));
	CHECK(!contains("192.168.1.128/25", "192.168.1.127"));
	CHECK(contains("192.168.0.0/23", "192.168.1.255"));
	CHECK(!contains("192.168.0.0/23", "192.168.2.0"));
	CHECK(contains("0.0.0.0/0", "8.8.8.8"));
	CHECK(contains("192.168.1.7", "192.168.1.7"));
	CHECK(!contains("192.168.1.7", "192.168.1.6"));
	CHECK(contains("2001:db8::/32", "2001:db8:ffff::1"));
	CHECK(!contains("2001:db8::/32", "2001:db9::1"));
	CHECK(contains("fe80::/10", "febf::1"));
	CHECK(!contains("fe80::/10", "fec0::1"));
	/* families: IPv6 never in IPv4; IPv4 in ::/0 and ::ffff:0:0/96 */
	CHECK(!contains("0.0.0.0/0", "::1"));
	CHECK(contains("::/0", "10.1.1.1"));
	CHECK(contains("::ffff:0:0/96", "10.1.1.1"));
	CHECK(!contains("2001:db8::/32", "10.1.1.1"));
	CHECK(contains("10.0.0.0/8", "::ffff:10.9.9.9"));

	/* invalid hand-filled networks contain nothing */
	memset(&c, 0, sizeof(c));
	CHECK_EQ(addr_ip_parse("10.0.0.1", &a), 0);
	CHECK(!addr_cidr_contains(&c, &a));
	c.net.family = ADDR_FAMILY_IPV4;
	c.prefix = 33;
	CHECK(!addr_cidr_contains(&c, &a));
	CHECK(!addr_cidr_contains(NULL, &a));
}

static void
test_cidr_format_errors(void)
{
	struct addr_cidr c;
	char buf[ADDR_TEXT_MAX] = "keep";
	char small[6] = "keep";

	memset(&c, 0, sizeof(c));
	CHECK_EQ(addr_cidr_format(&c, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(addr_cidr_parse("10.0.0.0/8", &c), 0);
	c.net.bytes[3] = 1;	/* host bit set by hand */
	CHECK_EQ(addr_cidr_format(&c, buf, sizeof(buf)), -EINVAL);
	CHECK(strcmp(buf, "keep") == 0);
	c.net.bytes[3] = 0;
	CHECK_EQ(addr_cidr_format(&c, small, sizeof(small)), -ENOSPC);
	CHECK(strcmp(small, "keep") == 0);
	CHECK_EQ(addr_cidr_normalize("10.0.0.0/8", small, sizeof(small)),
	    -ENOSPC);
	CHECK_EQ(addr_cidr_format(&c, buf, sizeof(buf)), 0);
	CHECK(strcmp(buf, "10.0.0.0/8") == 0);
}

/*
 * The IPv4 parser and printer of addr.c (issue 17) answer as libc's
 * inet_pton() and inet_ntop(): on edge cases, on every string of up to
 * 15 characters of the alphabet "0-9." drawn at random, and on random
 * addresses.
 */
static void
test_ipv4_as_libc(void)
{
	static const char *const edges[] = {
		"1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1",
		"1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3.0", "00.1.1.1",
		"1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4.",
		"1234.1.1.1", "1.2.3.-4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4x",
		"0x1.2.3.4", "1.2.3.255", "199.99.9.0", "", ".", "...",
	};
	char text[16], mine[ADDR_TEXT_MAX], theirs[INET_ADDRSTRLEN];
	uint8_t want[4];
	struct addr_ip ip;

	srand(17);
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]) + 200000;
	    i++) {
		const char *in = text;
		bool ok;

		if (i < sizeof(edges) / sizeof(edges[0]))
			in = edges[i];
		else {
			size_t n = 1 + (size_t)rand() % 15;

			for (size_t j = 0; j < n; j++)
				text[j] = "0123456789.."[rand() % 12];
			text[n] = '\0';
		}
		ok = inet_pton(AF_INET, in, want) == 1;
		if ((addr_ip_parse(in, &ip) == 0) != ok ||
		    (ok && (ip.family != ADDR_FAMILY_IPV4 ||
		    memcmp(ip.bytes, want, 4) != 0))) {
			(void)fprintf(stderr, "'%s': inet_pton says %s\n", in,
			    ok ? "valid" : "invalid");
			CHECK(0);
		}
	}
	memset(&ip, 0, sizeof(ip));
	ip.family = ADDR_FAMILY_IPV4;
	for (int i = 0; i < 100000; i++) {
		for (int j = 0; j < 4; j++)
			ip.bytes[j] = (uint8_t)(i < 256 ? i : rand());
		CHECK(inet_ntop(AF_INET, ip.bytes, theirs, sizeof(theirs)) !=
		    NULL);
		CHECK_EQ(addr_ip_format(&ip, mine, sizeof(mine)), 0);
		CHECK(strcmp(mine, theirs) == 0);
	}
}

int
main(void)
{
	RUN(test_ip_parse_ok);
	RUN(test_ip_mapped_is_ipv4);
	RUN(test_ip_hand_filled_mapped);
	RUN(test_ip_parse_bad);
	RUN(test_ipv4_as_libc);
	RUN(test_ip_format_small_buffer);
	RUN(test_iface_prefix);
	RUN(test_mac_spellings);
	RUN(test_mac_bad);
	RUN(test_mac_format_small_buffer);
	RUN(test_mac_identifying);
	RUN(test_ip_identifying);
	RUN(test_cidr_parse);
	RUN(test_cidr_contains);
	RUN(test_cidr_format_errors);
	return 0;
}
