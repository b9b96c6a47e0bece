/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protobuf base-128 varint, read in one buffer (varint_read) or byte
 * by byte across the pieces of a stream (varint_add): one reader for the
 * report prescan and the control socket's request scan.
 */
#ifndef KICS_VARINT_H
#define KICS_VARINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX_BYTES	10	/* a 64-bit value */

/* A varint being read; zero it (or varint_init()) before its first byte. */
struct varint {
	uint64_t	v;	/* the value of the bytes so far */
	unsigned	n;	/* bytes so far */
};

static inline void
varint_init(struct varint *vi)
{
	vi->v = 0;
	vi->n = 0;
}

/*
 * Adds the next byte b; returns whether it was the last one. The caller
 * stops before VARINT_MAX_BYTES bytes (or its own smaller limit).
 */
static inline bool
varint_add(struct varint *vi, uint8_t b)
{
	vi->v |= (uint64_t)(b & 0x7f) << (7 * vi->n);
	vi->n++;
	return (b & 0x80) == 0;
}

/*
 * Reads a varint of at most max bytes (max <= VARINT_MAX_BYTES) at p,
 * before end; returns its length and writes *ret_v, or returns 0 when it
 * is truncated or longer than max (*ret_v untouched).
 */
static inline size_t
varint_read(const uint8_t *p, const uint8_t *end, size_t max,
    uint64_t *ret_v)
{
	struct varint vi;

	varint_init(&vi);
	for (size_t i = 0; i < max && p + i < end; i++) {
		if (varint_add(&vi, p[i])) {
			*ret_v = vi.v;
			return i + 1;
		}
	}
	return 0;
}

/*
 * The length of a varint of at most max bytes at p, before end, without
 * its value (a number that is only checked); 0 as for varint_read().
 */
static inline size_t
varint_len(const uint8_t *p, const uint8_t *end, size_t max)
{
	for (size_t i = 0; i < max && p + i < end; i++)
		if ((p[i] & 0x80) == 0)
			return i + 1;
	return 0;
}

#endif
