/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a 64-bit keyed hash of a byte string, for keys of b-tree indexes
 * that must stay short and spread, where a collision is handled by the
 * caller but must not be easy to make.
 */
#ifndef KICS_SIPHASH_H
#define KICS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN	16

/*
 * Returns SipHash-2-4 of data[0..len) under key. The same on every
 * platform (the key and the words are read little-endian), so values may
 * be stored. Allocates nothing, never fails.
 */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data,
    size_t len);

#endif
