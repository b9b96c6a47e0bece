/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the digest of protobuf messages: their serialisation
 * is streamed through FNV-1a by a protobuf-c buffer that stores nothing.
 */
#include "digest.h"

#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

struct digest_buffer {
	ProtobufCBuffer	base;	/* first: protobuf-c calls base.append */
	uint64_t	h;
};

static void
digest_append(ProtobufCBuffer *buffer, size_t len, const uint8_t *data)
{
	struct digest_buffer *d = (struct digest_buffer *)buffer;

	for (size_t i = 0; i < len; i++) {
		d->h ^= data[i];
		d->h *= FNV_PRIME;
	}
}

int64_t
digest_messages(const ProtobufCMessage *const *msgs, size_t n)
{
	struct digest_buffer d = {
		.base = { .append = digest_append },
		.h = FNV_OFFSET,
	};
	int64_t v;

	for (size_t i = 0; i < n; i++) {
		(void)protobuf_c_message_pack_to_buffer(msgs[i], &d.base);
		/* a separator, so that [ab][c] and [a][bc] differ */
		digest_append(&d.base, 1, (const uint8_t *)"\036");
	}
	v = (int64_t)(d.h & 0x7fffffffffffffffULL);
	return v != 0 ? v : 1;
}
