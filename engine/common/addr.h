/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network addresses as agents send them: IPv4/IPv6 addresses (optionally
 * with a "/prefix"), MAC addresses in the usual spellings, and CIDR blocks.
 * Parsing, canonical text, containment, and whether an address can identify
 * a device.
 */
#ifndef KICS_ADDR_H
#define KICS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bytes a caller buffer needs for any canonical text written here (IPv4,
 * IPv6, "ip/prefix", MAC), NUL included. The longest is an IPv6 address
 * with a prefix: 45 + "/128" + NUL.
 */
#define ADDR_TEXT_MAX		50
/* Bytes of a canonical MAC "aa:bb:cc:dd:ee:ff" with its NUL. */
#define ADDR_MAC_TEXT_MAX	18
/* *ret_prefix of addr_ip_parse_prefixed() when the text had no "/prefix". */
#define ADDR_NO_PREFIX		(-1)

enum addr_family {
	ADDR_FAMILY_IPV4 = 1,
	ADDR_FAMILY_IPV6 = 2,
	ADDR_FAMILY_MAX
};

/*
 * An IP address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are always
 * stored as IPv4, so two spellings of one host compare equal with memcmp()
 * when the struct was zeroed or filled by addr_ip_parse().
 */
struct addr_ip {
	enum addr_family family;
	uint8_t		bytes[16];	/* network order; IPv4 uses 4, rest 0 */
};

struct addr_mac {
	uint8_t		bytes[6];
};

/* A network: the address with every bit after prefix zero. */
struct addr_cidr {
	struct addr_ip	net;
	unsigned	prefix;		/* 0..32 (IPv4) or 0..128 (IPv6) */
};

/*
 * Parses an IPv4 dotted quad or an IPv6 address (any RFC 4291 text form).
 * An IPv6 zone ("fe80::1%eth0") is accepted and dropped: the zone names an
 * interface of the sender and means nothing here. Text longer than
 * LIMIT_ADDRESS_TEXT_LEN is refused. Returns 0 or -EINVAL (also for NULL);
 * *ret_ip is written only on success.
 */
int addr_ip_parse(const char *text, struct addr_ip *ret_ip);

/*
 * Like addr_ip_parse() but also accepts an interface address with a
 * "/prefix" as agents send them ("192.168.1.10/24"): the host bits may be
 * set. The prefix is decimal without sign or leading zeros, 0..32 for IPv4,
 * 0..128 for IPv6 (for an IPv4-mapped address 96..128, returned minus 96).
 * Returns 0 with *ret_ip and *ret_prefix (ADDR_NO_PREFIX when absent) set,
 * or -EINVAL and writes nothing.
 */
int addr_ip_parse_prefixed(const char *text, struct addr_ip *ret_ip,
    int *ret_prefix);

/*
 * Writes the canonical text of ip to buf: dotted quad for IPv4, the
 * lowercase compressed form of inet_ntop() for IPv6 (RFC 5952). Returns 0,
 * -EINVAL when ip is not a valid address, -ENOSPC when len < the text +
 * NUL (ADDR_TEXT_MAX is always enough). buf is left unchanged on failure.
 */
int addr_ip_format(const struct addr_ip *ip, char *buf, size_t len);

/* True when a and b are the same address. */
bool addr_ip_equal(const struct addr_ip *a, const struct addr_ip *b);

/*
 * True when ip may identify a device: false for unspecified (0.0.0.0/8,
 * ::), loopback (127.0.0.0/8, ::1), multicast (224.0.0.0/4, ff00::/8), the
 * IPv4 limited broadcast 255.255.255.255 and IPv6 link-local (fe80::/10),
 * and for anything that is not a valid address.
 */
bool addr_ip_is_identifying(const struct addr_ip *ip);

/*
 * Parses a MAC address written as aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff
 * (one or two hex digits per group with these two separators, as macOS
 * prints them, one separator throughout), aabb.ccdd.eeff or aabbccddeeff,
 * in any case. Returns 0 or -EINVAL (also for NULL); *ret_mac is written
 * only on success.
 */
int addr_mac_parse(const char *text, struct addr_mac *ret_mac);

/*
 * Writes "aa:bb:cc:dd:ee:ff" (lowercase) to buf. Returns 0 or -ENOSPC when
 * len < ADDR_MAC_TEXT_MAX (buf unchanged).
 */
int addr_mac_format(const struct addr_mac *mac, char *buf, size_t len);

/*
 * True when mac may identify a device: false for all-zero, broadcast and
 * multicast (group bit set) addresses.
 */
bool addr_mac_is_identifying(const struct addr_mac *mac);

/*
 * Parses "network/prefix" (IPv4 or IPv6). A bare address is a host network
 * (/32 or /128). Host bits must be zero: "10.0.0.1/8" is refused, so that a
 * typo in a rule does not silently widen or move it. An IPv4-mapped network
 * with a prefix of 96 or more becomes the IPv4 network (prefix - 96).
 * Returns 0 or -EINVAL; *ret_cidr is written only on success.
 */
int addr_cidr_parse(const char *text, struct addr_cidr *ret_cidr);

/*
 * Writes "network/prefix" in canonical form to buf. Returns 0, -EINVAL for
 * an invalid cidr, -ENOSPC when buf is too small (ADDR_TEXT_MAX is enough).
 */
int addr_cidr_format(const struct addr_cidr *cidr, char *buf, size_t len);

/*
 * True when ip lies in cidr. An IPv4 address lies in an IPv6 network when
 * its IPv4-mapped form (::ffff:a.b.c.d) does, so ::/0 holds everything.
 */
bool addr_cidr_contains(const struct addr_cidr *cidr, const struct addr_ip *ip);

/*
 * Text to canonical text, into buf of len bytes (ADDR_TEXT_MAX, or
 * ADDR_MAC_TEXT_MAX for MACs, is always enough). Each returns 0, -EINVAL
 * when text does not parse as described for the matching *_parse()
 * function, or -ENOSPC when buf is too small; buf is unchanged on failure.
 *
 * addr_ip_normalize: a plain address ("::FFFF:10.0.0.1" → "10.0.0.1").
 * addr_iface_normalize: an interface address with optional "/prefix"; writes
 *   the address alone and the prefix to *ret_prefix (ADDR_NO_PREFIX when
 *   absent), which is written only on success.
 * addr_mac_normalize: any accepted MAC spelling → "aa:bb:cc:dd:ee:ff".
 * addr_cidr_normalize: a network → "net/prefix".
 */
int addr_ip_normalize(const char *text, char *buf, size_t len);
int addr_iface_normalize(const char *text, char *buf, size_t len,
    int *ret_prefix);
int addr_mac_normalize(const char *text, char *buf, size_t len);
int addr_cidr_normalize(const char *text, char *buf, size_t len);

#endif
