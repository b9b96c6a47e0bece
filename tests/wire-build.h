/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hand-made protobuf wire data for the tests of the code that reads
 * reports' bytes (the pre-scan, the report head): keys, varints and
 * length-delimited fields appended to a growable byte string.
 */
#ifndef KICS_WIRE_BUILD_H
#define KICS_WIRE_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct wire {
	uint8_t	*p;	/* malloc'ed; free() it */
	size_t	len, cap;
};

void w_byte(struct wire *w, uint8_t b);
void w_varint(struct wire *w, uint64_t v);
/* A field key: field number and wire type. */
void w_key(struct wire *w, uint32_t field, unsigned wt);
/* A length-delimited field of len bytes. */
void w_bytes(struct wire *w, uint32_t field, const void *data, size_t len);

#endif
