/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains SipHash-2-4, written from the paper's description:
 * two compression rounds per 8-byte word, four finalization rounds.
 */
#include "siphash.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* The state v0..v3. */
struct sip {
	uint64_t	v[4];
};

static void
sip_round(struct sip *s)
{
	s->v[0] += s->v[1];
	s->v[1] = ROTL(s->v[1], 13);
	s->v[1] ^= s->v[0];
	s->v[0] = ROTL(s->v[0], 32);
	s->v[2] += s->v[3];
	s->v[3] = ROTL(s->v[3], 16);
	s->v[3] ^= s->v[2];
	s->v[0] += s->v[3];
	s->v[3] = ROTL(s->v[3], 21);
	s->v[3] ^= s->v[0];
	s->v[2] += s->v[1];
	s->v[1] = ROTL(s->v[1], 17);
	s->v[1] ^= s->v[2];
	s->v[2] = ROTL(s->v[2], 32);
}

/* n bytes of p (at most 8) as a little-endian word. */
static uint64_t
le_word(const uint8_t *p, size_t n)
{
	uint64_t w = 0;

	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

/* Compresses one message word m. */
static void
sip_compress(struct sip *s, uint64_t m)
{
	s->v[3] ^= m;
	sip_round(s);
	sip_round(s);
	s->v[0] ^= m;
}

uint64_t
siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le_word(key, 8), k1 = le_word(key + 8, 8);
	struct sip s = { {
		k0 ^ UINT64_C(0x736f6d6570736575),
		k1 ^ UINT64_C(0x646f72616e646f6d),
		k0 ^ UINT64_C(0x6c7967656e657261),
		k1 ^ UINT64_C(0x7465646279746573),
	} };
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		sip_compress(&s, le_word(p + i, 8));
	/* the last word: the remaining bytes and the length's low byte */
	sip_compress(&s, le_word(p + i, len - i) | (uint64_t)(len & 0xff) <<
	    56);
	s.v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(&s);
	return s.v[0] ^ s.v[1] ^ s.v[2] ^ s.v[3];
}
