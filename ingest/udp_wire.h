/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The datagrams of UDP mode (issue 14, docs/udp-protocol.md): a 24-byte
 * header, all integers big-endian, then the body. Pure functions: no
 * sockets, no keys, no allocation, so that a fuzz target calls them as the
 * receiver does.
 *
 *   0  4  magic "KEU1"
 *   4  1  flags: bit 0 = encrypted; other bits 0
 *   5  1  reserved, 0
 *   6  2  fragment index, from 0
 *   8  2  fragment count, 1 to 64
 *  10  2  reserved, 0
 *  12  8  message id, the same in all fragments of one report
 *  20  4  package id (0 when not encrypted)
 *
 * Plain body: the fragment's bytes (at most 1,400). Encrypted body: a
 * 12-byte nonce, the AES-256-GCM ciphertext of the fragment, the 16-byte
 * tag; the header is the additional authenticated data.
 */
#ifndef KICS_UDP_WIRE_H
#define KICS_UDP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define UDP_WIRE_MAGIC		"KEU1"
#define UDP_WIRE_HEADER_LEN	24
#define UDP_WIRE_FRAGMENT_MAX	1400	/* bytes of a report per datagram */
#define UDP_WIRE_FRAGMENTS_MAX	64	/* datagrams of one report */
#define UDP_WIRE_NONCE_LEN	12
#define UDP_WIRE_TAG_LEN	16
#define UDP_WIRE_FLAG_ENCRYPTED	0x01
/* The largest datagram: header, nonce, a full fragment and the tag. */
#define UDP_WIRE_DATAGRAM_MAX	(UDP_WIRE_HEADER_LEN + UDP_WIRE_NONCE_LEN + \
	UDP_WIRE_FRAGMENT_MAX + UDP_WIRE_TAG_LEN)
/* The largest report that UDP mode can carry. */
#define UDP_WIRE_REPORT_MAX	(UDP_WIRE_FRAGMENT_MAX * UDP_WIRE_FRAGMENTS_MAX)

/* A parsed header. */
struct udp_header {
	uint8_t		flags;		/* UDP_WIRE_FLAG_* */
	uint16_t	index;		/* < count */
	uint16_t	count;		/* 1..UDP_WIRE_FRAGMENTS_MAX */
	uint64_t	message_id;
	uint32_t	package_id;	/* 0 when plain */
};

/*
 * Checks the datagram data (len bytes) and, when it is well formed, writes
 * its header to *ret_header and where its body lies (inside data) to
 * *ret_body and *ret_body_len. Returns 0, or, writing nothing:
 *   -EBADMSG   shorter than a header, or an encrypted body shorter than
 *              nonce and tag
 *   -EMSGSIZE  longer than UDP_WIRE_DATAGRAM_MAX, or a fragment over
 *              UDP_WIRE_FRAGMENT_MAX
 *   -EPROTO    not the magic
 *   -EINVAL    unknown flags, reserved bytes not 0, a fragment count or
 *              index out of range, or a package id that does not go with
 *              the flags (0 when encrypted, not 0 when plain)
 */
int udp_wire_parse(const uint8_t *data, size_t len,
    struct udp_header *ret_header, const uint8_t **ret_body,
    size_t *ret_body_len);

/* What udp_wire_parse()'s error r means, for the log; static. */
const char *udp_wire_strerror(int r);

/* Writes h as the 24 bytes of a header to out. */
void udp_wire_header_write(const struct udp_header *h,
    uint8_t out[UDP_WIRE_HEADER_LEN]);

/* The fragments a report of len bytes is cut into (at least 1). */
size_t udp_wire_fragments(size_t len);

#endif
