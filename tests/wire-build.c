/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the tests' wire builder (wire-build.h). */
#include <stdlib.h>

#include "testutil.h"
#include "wire-build.h"

void
w_byte(struct wire *w, uint8_t b)
{
	if (w->len == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		CHECK((w->p = realloc(w->p, w->cap)) != NULL);
	}
	w->p[w->len++] = b;
}

void
w_varint(struct wire *w, uint64_t v)
{
	while (v >= 0x80) {
		w_byte(w, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	w_byte(w, (uint8_t)v);
}

void
w_key(struct wire *w, uint32_t field, unsigned wt)
{
	w_varint(w, (uint64_t)field << 3 | wt);
}

void
w_bytes(struct wire *w, uint32_t field, const void *data, size_t len)
{
	w_key(w, field, 2);
	w_varint(w, len);
	for (size_t i = 0; i < len; i++)
		w_byte(w, ((const uint8_t *)data)[i]);
}
