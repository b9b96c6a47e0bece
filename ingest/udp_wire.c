/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the parser and writer of UDP mode's datagram header
 * (udp_wire.h). It takes bytes straight from the network.
 */
#include <errno.h>
#include <string.h>

#include "udp_wire.h"

static uint16_t
udp_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
udp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
udp_put(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

int
udp_wire_parse(const uint8_t *data, size_t len,
    struct udp_header *ret_header, const uint8_t **ret_body,
    size_t *ret_body_len)
{
	struct udp_header h;
	size_t body, fragment;

	if (len < UDP_WIRE_HEADER_LEN)
		return -EBADMSG;
	if (len > UDP_WIRE_DATAGRAM_MAX)
		return -EMSGSIZE;
	if (memcmp(data, UDP_WIRE_MAGIC, 4) != 0)
		return -EPROTO;
	h.flags = data[4];
	h.index = udp_get16(data + 6);
	h.count = udp_get16(data + 8);
	h.message_id = (uint64_t)udp_get32(data + 12) << 32 |
	    udp_get32(data + 16);
	h.package_id = udp_get32(data + 20);
	if ((h.flags & ~UDP_WIRE_FLAG_ENCRYPTED) != 0 || data[5] != 0 ||
	    data[10] != 0 || data[11] != 0)
		return -EINVAL;
	if (h.count == 0 || h.count > UDP_WIRE_FRAGMENTS_MAX ||
	    h.index >= h.count)
		return -EINVAL;
	if ((h.flags & UDP_WIRE_FLAG_ENCRYPTED) != 0 ? h.package_id == 0 :
	    h.package_id != 0)
		return -EINVAL;
	body = len - UDP_WIRE_HEADER_LEN;
	fragment = body;
	if ((h.flags & UDP_WIRE_FLAG_ENCRYPTED) != 0) {
		if (body < UDP_WIRE_NONCE_LEN + UDP_WIRE_TAG_LEN)
			return -EBADMSG;
		fragment = body - UDP_WIRE_NONCE_LEN - UDP_WIRE_TAG_LEN;
	}
	if (fragment > UDP_WIRE_FRAGMENT_MAX)
		return -EMSGSIZE;
	*ret_header = h;
	*ret_body = data + UDP_WIRE_HEADER_LEN;
	*ret_body_len = body;
	return 0;
}

const char *
udp_wire_strerror(int r)
{
	switch (r) {
	case 0:
		return "well formed";
	case -EBADMSG:
		return "too short";
	case -EMSGSIZE:
		return "too long";
	case -EPROTO:
		return "wrong magic";
	default:
		return "bad header field";
	}
}

void
udp_wire_header_write(const struct udp_header *h,
    uint8_t out[UDP_WIRE_HEADER_LEN])
{
	memcpy(out, UDP_WIRE_MAGIC, 4);
	out[4] = h->flags;
	out[5] = 0;
	udp_put(out + 6, h->index, 2);
	udp_put(out + 8, h->count, 2);
	out[10] = 0;
	out[11] = 0;
	udp_put(out + 12, h->message_id, 8);
	udp_put(out + 20, h->package_id, 4);
}

size_t
udp_wire_fragments(size_t len)
{
	return len == 0 ? 1 : (len + UDP_WIRE_FRAGMENT_MAX - 1) /
	    UDP_WIRE_FRAGMENT_MAX;
}
