/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the parsing and canonical formatting of IP addresses,
 * MAC addresses and CIDR networks, and the tests on them (see addr.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "kics_limits.h"

/* The first 12 bytes of an IPv4-mapped IPv6 address (RFC 4291 2.5.5.2). */
static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool
family_valid(enum addr_family f)
{
	return f == ADDR_FAMILY_IPV4 || f == ADDR_FAMILY_IPV6;
}

static unsigned
family_bits(enum addr_family f)
{
	return f == ADDR_FAMILY_IPV4 ? 32 : 128;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Copies ip to out with an IPv4-mapped IPv6 address turned into IPv4 and
 * the unused bytes of IPv4 zeroed, so that hand-filled structs compare and
 * print like parsed ones. Returns false when the family is invalid.
 */
static bool
ip_canon(const struct addr_ip *ip, struct addr_ip *out)
{
	struct addr_ip c;

	if (ip == NULL || !family_valid(ip->family))
		return false;
	memset(&c, 0, sizeof(c));
	if (ip->family == ADDR_FAMILY_IPV6 &&
	    memcmp(ip->bytes, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		c.family = ADDR_FAMILY_IPV4;
		memcpy(c.bytes, ip->bytes + 12, 4);
	} else if (ip->family == ADDR_FAMILY_IPV4) {
		c.family = ADDR_FAMILY_IPV4;
		memcpy(c.bytes, ip->bytes, 4);
	} else
		c = *ip;
	*out = c;
	return true;
}

/* Writes s to buf when it fits. */
static int
copy_out(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);

	if (buf == NULL || n >= len)
		return -ENOSPC;
	memcpy(buf, s, n + 1);
	return 0;
}

/* Parses a prefix length: decimal, no sign, no leading zero, at most max. */
static int
prefix_parse(const char *s, unsigned max, unsigned *ret_prefix)
{
	unsigned v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 3 || s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*ret_prefix = v;
	return 0;
}

/* An IPv6 zone: an interface name or number. */
static bool
zone_valid(const char *z)
{
	size_t i;

	if (z[0] == '\0')
		return false;
	for (i = 0; z[i] != '\0'; i++) {
		char c = z[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
		    c == '.'))
			return false;
	}
	return true;
}

/*
 * Parses dotted-quad IPv4 text as inet_pton(AF_INET) does: four decimal
 * parts of 0-255, without leading zeros or anything else. A tenth of
 * glibc's cost: a report's peers parse three times each (issue 17).
 * Returns 1 on success, 0 otherwise, as inet_pton.
 */
static int
ipv4_parse(const char *s, uint8_t out[4])
{
	unsigned part = 0, parts = 0, digits = 0;

	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			if (digits > 0 && part == 0)
				return 0;	/* a leading zero */
			part = part * 10 + (unsigned)(*s - '0');
			if (part > 255)
				return 0;
			digits++;
			continue;
		}
		if ((*s != '.' && *s != '\0') || digits == 0 || parts == 4)
			return 0;
		out[parts++] = (uint8_t)part;
		if (*s == '\0')
			return parts == 4;
		part = 0;
		digits = 0;
	}
}

/* Writes an IPv4 address as inet_ntop() does, into at least 16 bytes. */
static void
ipv4_format(const uint8_t in[4], char *out)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = in[i];

		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

/*
 * The common parser: "addr[%zone][/prefix]". With allow_prefix false a
 * slash is an error. *ret_prefix is ADDR_NO_PREFIX when there was none.
 */
static int
ip_parse(const char *text, bool allow_prefix, struct addr_ip *ret_ip,
    int *ret_prefix)
{
	char buf[LIMIT_ADDRESS_TEXT_LEN + 1];
	struct addr_ip ip;
	char *slash, *zone;
	unsigned prefix = 0;
	bool has_prefix = false;
	size_t len;

	if (text == NULL)
		return -EINVAL;
	memset(&ip, 0, sizeof(ip));
	/* most addresses are plain IPv4: no copy, no search */
	if (ipv4_parse(text, ip.bytes) == 1) {
		ip.family = ADDR_FAMILY_IPV4;
		*ret_ip = ip;
		*ret_prefix = ADDR_NO_PREFIX;
		return 0;
	}
	len = strnlen(text, sizeof(buf));
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len + 1);

	if ((slash = strchr(buf, '/')) != NULL) {
		if (!allow_prefix)
			return -EINVAL;
		*slash = '\0';
		/* The family range is checked once the family is known. */
		if (prefix_parse(slash + 1, 128, &prefix) < 0)
			return -EINVAL;
		has_prefix = true;
	}

	memset(&ip, 0, sizeof(ip));	/* ipv4_parse() may have written */
	if (strchr(buf, ':') != NULL) {
		if ((zone = strchr(buf, '%')) != NULL) {
			if (!zone_valid(zone + 1))
				return -EINVAL;
			*zone = '\0';
		}
		if (inet_pton(AF_INET6, buf, ip.bytes) != 1)
			return -EINVAL;
		ip.family = ADDR_FAMILY_IPV6;
		if (memcmp(ip.bytes, v4mapped_prefix,
		    sizeof(v4mapped_prefix)) == 0) {
			/* The mapped prefix covers the first 96 bits. */
			if (has_prefix && prefix < 96)
				return -EINVAL;
			if (has_prefix)
				prefix -= 96;
			(void)ip_canon(&ip, &ip);
		}
	} else {
		if (ipv4_parse(buf, ip.bytes) != 1)
			return -EINVAL;
		ip.family = ADDR_FAMILY_IPV4;
		if (has_prefix && prefix > 32)
			return -EINVAL;
	}

	*ret_ip = ip;
	*ret_prefix = has_prefix ? (int)prefix : ADDR_NO_PREFIX;
	return 0;
}

int
addr_ip_parse(const char *text, struct addr_ip *ret_ip)
{
	int prefix;

	return ip_parse(text, false, ret_ip, &prefix);
}

int
addr_ip_parse_prefixed(const char *text, struct addr_ip *ret_ip,
    int *ret_prefix)
{
	return ip_parse(text, true, ret_ip, ret_prefix);
}

int
addr_ip_format(const struct addr_ip *ip, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	struct addr_ip c;
	size_t n;

	if (!ip_canon(ip, &c))
		return -EINVAL;
	if (c.family == ADDR_FAMILY_IPV4)
		ipv4_format(c.bytes, tmp);
	else if (inet_ntop(AF_INET6, c.bytes, tmp, sizeof(tmp)) == NULL)
		return -EINVAL;
	n = strlen(tmp);
	if (buf == NULL || n >= len)
		return -ENOSPC;
	memcpy(buf, tmp, n + 1);
	return 0;
}

bool
addr_ip_equal(const struct addr_ip *a, const struct addr_ip *b)
{
	struct addr_ip ca, cb;

	if (!ip_canon(a, &ca) || !ip_canon(b, &cb))
		return false;
	return ca.family == cb.family &&
	    memcmp(ca.bytes, cb.bytes, sizeof(ca.bytes)) == 0;
}

bool
addr_ip_is_identifying(const struct addr_ip *ip)
{
	static const uint8_t zero[16];
	struct addr_ip c;
	const uint8_t *b = c.bytes;

	if (!ip_canon(ip, &c))
		return false;
	if (c.family == ADDR_FAMILY_IPV4) {
		if (b[0] == 0 || b[0] == 127)		/* this net, loopback */
			return false;
		if (b[0] >= 224 && b[0] <= 239)		/* multicast */
			return false;
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return false;
		return true;
	}
	if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
		return false;				/* ::, ::1 */
	if (b[0] == 0xff)				/* multicast */
		return false;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)	/* link-local */
		return false;
	return true;
}

/* Parses 6 groups of 1-2 hex digits separated by sep. */
static int
mac_parse_groups(const char *s, char sep, uint8_t out[6])
{
	size_t g;

	for (g = 0; g < 6; g++) {
		int hi, lo;

		if ((hi = hex_value(*s++)) < 0)
			return -EINVAL;
		if ((lo = hex_value(*s)) >= 0) {
			hi = hi * 16 + lo;
			s++;
		}
		out[g] = (uint8_t)hi;
		if (*s != (g == 5 ? '\0' : sep))
			return -EINVAL;
		s++;
	}
	return 0;
}

/* Parses a run of hex digits (pairs) with an optional dot every 4. */
static int
mac_parse_hex(const char *s, bool dotted, uint8_t out[6])
{
	size_t g;

	for (g = 0; g < 6; g++) {
		int hi, lo;

		if (dotted && g > 0 && g % 2 == 0 && *s++ != '.')
			return -EINVAL;
		if ((hi = hex_value(s[0])) < 0 || (lo = hex_value(s[1])) < 0)
			return -EINVAL;
		out[g] = (uint8_t)(hi * 16 + lo);
		s += 2;
	}
	return *s == '\0' ? 0 : -EINVAL;
}

int
addr_mac_parse(const char *text, struct addr_mac *ret_mac)
{
	struct addr_mac mac;
	size_t len;
	int r;

	if (text == NULL)
		return -EINVAL;
	len = strnlen(text, LIMIT_ADDRESS_TEXT_LEN + 1);
	if (len == 0 || len > LIMIT_ADDRESS_TEXT_LEN)
		return -EINVAL;
	if (strchr(text, ':') != NULL)
		r = mac_parse_groups(text, ':', mac.bytes);
	else if (strchr(text, '-') != NULL)
		r = mac_parse_groups(text, '-', mac.bytes);
	else
		r = mac_parse_hex(text, strchr(text, '.') != NULL, mac.bytes);
	if (r < 0)
		return r;
	*ret_mac = mac;
	return 0;
}

int
addr_mac_format(const struct addr_mac *mac, char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (buf == NULL || len < ADDR_MAC_TEXT_MAX)
		return -ENOSPC;
	for (i = 0; i < 6; i++) {
		buf[i * 3] = digits[mac->bytes[i] >> 4];
		buf[i * 3 + 1] = digits[mac->bytes[i] & 0x0f];
		buf[i * 3 + 2] = i == 5 ? '\0' : ':';
	}
	return 0;
}

bool
addr_mac_is_identifying(const struct addr_mac *mac)
{
	static const uint8_t zero[6];

	if (mac == NULL || memcmp(mac->bytes, zero, sizeof(zero)) == 0)
		return false;
	/* The group bit; it is also set in ff:ff:ff:ff:ff:ff. */
	return (mac->bytes[0] & 0x01) == 0;
}

/* True when every bit of ip after prefix is zero. */
static bool
host_bits_zero(const struct addr_ip *ip, unsigned prefix)
{
	unsigned bits = family_bits(ip->family), i;

	for (i = prefix; i < bits; i++)
		if (ip->bytes[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

int
addr_cidr_parse(const char *text, struct addr_cidr *ret_cidr)
{
	struct addr_cidr c;
	int prefix, r;

	if ((r = ip_parse(text, true, &c.net, &prefix)) < 0)
		return r;
	c.prefix = prefix == ADDR_NO_PREFIX ? family_bits(c.net.family) :
	    (unsigned)prefix;
	if (!host_bits_zero(&c.net, c.prefix))
		return -EINVAL;
	*ret_cidr = c;
	return 0;
}

/*
 * Copies cidr to out in canonical form (a hand-filled IPv4-mapped network
 * becomes IPv4). Returns false when it is not a valid network.
 */
static bool
cidr_canon(const struct addr_cidr *cidr, struct addr_cidr *out)
{
	struct addr_cidr c;

	if (cidr == NULL || !ip_canon(&cidr->net, &c.net))
		return false;
	c.prefix = cidr->prefix;
	if (cidr->net.family == ADDR_FAMILY_IPV6 &&
	    c.net.family == ADDR_FAMILY_IPV4) {
		/* The mapped prefix covers the first 96 bits. */
		if (c.prefix < 96)
			return false;
		c.prefix -= 96;
	}
	if (c.prefix > family_bits(c.net.family) ||
	    !host_bits_zero(&c.net, c.prefix))
		return false;
	*out = c;
	return true;
}

int
addr_cidr_format(const struct addr_cidr *cidr, char *buf, size_t len)
{
	char ip[ADDR_TEXT_MAX], tmp[ADDR_TEXT_MAX];
	struct addr_cidr c;
	int n, r;

	if (!cidr_canon(cidr, &c))
		return -EINVAL;
	if ((r = addr_ip_format(&c.net, ip, sizeof(ip))) < 0)
		return r;
	n = snprintf(tmp, sizeof(tmp), "%s/%u", ip, c.prefix);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -EINVAL;
	return copy_out(tmp, buf, len);
}

bool
addr_cidr_contains(const struct addr_cidr *cidr, const struct addr_ip *ip)
{
	struct addr_cidr c;
	struct addr_ip host;
	unsigned full, rest;

	if (!cidr_canon(cidr, &c) || !ip_canon(ip, &host))
		return false;
	if (c.net.family == ADDR_FAMILY_IPV6 &&
	    host.family == ADDR_FAMILY_IPV4) {
		/* Compare in IPv6 space: the host as ::ffff:a.b.c.d. */
		memcpy(host.bytes + 12, host.bytes, 4);
		memcpy(host.bytes, v4mapped_prefix, sizeof(v4mapped_prefix));
		host.family = ADDR_FAMILY_IPV6;
	} else if (c.net.family != host.family)
		return false;
	full = c.prefix / 8;
	rest = c.prefix % 8;
	if (memcmp(c.net.bytes, host.bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c.net.bytes[full] ^ host.bytes[full]) &
	    (uint8_t)(0xff << (8 - rest))) == 0;
}

int
addr_ip_normalize(const char *text, char *buf, size_t len)
{
	char tmp[ADDR_TEXT_MAX];
	struct addr_ip ip;
	int r;

	if ((r = addr_ip_parse(text, &ip)) < 0 ||
	    (r = addr_ip_format(&ip, tmp, sizeof(tmp))) < 0)
		return r;
	return copy_out(tmp, buf, len);
}

int
addr_iface_normalize(const char *text, char *buf, size_t len,
    int *ret_prefix)
{
	char tmp[ADDR_TEXT_MAX];
	struct addr_ip ip;
	int prefix, r;

	if ((r = addr_ip_parse_prefixed(text, &ip, &prefix)) < 0 ||
	    (r = addr_ip_format(&ip, tmp, sizeof(tmp))) < 0 ||
	    (r = copy_out(tmp, buf, len)) < 0)
		return r;
	*ret_prefix = prefix;
	return 0;
}

int
addr_mac_normalize(const char *text, char *buf, size_t len)
{
	struct addr_mac mac;
	int r;

	if ((r = addr_mac_parse(text, &mac)) < 0)
		return r;
	return addr_mac_format(&mac, buf, len);
}

int
addr_cidr_normalize(const char *text, char *buf, size_t len)
{
	char tmp[ADDR_TEXT_MAX];
	struct addr_cidr c;
	int r;

	if ((r = addr_cidr_parse(text, &c)) < 0 ||
	    (r = addr_cidr_format(&c, tmp, sizeof(tmp))) < 0)
		return r;
	return copy_out(tmp, buf, len);
}
