/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file declares the decode arena: a protobuf-c allocator that carves
 * one decoded report out of a few large blocks, so that unpacking costs a
 * handful of mallocs and dropping the report costs one free per block.
 *
 * THREAD SAFETY NOTES: an arena belongs to one thread at a time.
 */
#ifndef KICS_DECODE_ARENA_H
#define KICS_DECODE_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/*
 * Bytes of decoded report per wire byte that the first block is sized
 * for, and what it holds beyond that (the message structs of a small
 * report); past the first block each new block is as large as all before
 * it, so that at most about half of what an arena holds is unused.
 */
#define DECODE_ARENA_RATIO	3
#define DECODE_ARENA_BASE	((size_t)2048)

struct decode_arena;

/*
 * Returns a new arena whose first block is sized for a report of
 * wire_bytes serialized bytes, or NULL when out of memory. The caller
 * frees it with decode_arena_free().
 */
struct decode_arena *decode_arena_new(size_t wire_bytes);

/*
 * Returns the allocator to pass to protobuf-c's unpack (borrowed, valid
 * until decode_arena_free()). Its free() does nothing: what was carved
 * goes back with the whole arena, so a message decoded with it is never
 * given to free_unpacked(); decode_arena_free() replaces that. Its
 * alloc() returns NULL when malloc fails, so unpack fails as it did with
 * the default allocator.
 */
ProtobufCAllocator *decode_arena_allocator(struct decode_arena *a);

/* Bytes the arena holds from malloc (its blocks), and how many blocks. */
size_t decode_arena_bytes(const struct decode_arena *a);
size_t decode_arena_blocks(const struct decode_arena *a);

/*
 * Frees a and everything carved from it (every message decoded with its
 * allocator). NULL-safe.
 */
void decode_arena_free(struct decode_arena *a);

#endif
