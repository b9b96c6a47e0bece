/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the decode arena (decode_arena.h): the writer gives
 * protobuf-c an allocator that carves a report's many small pieces out of
 * one block sized from the wire bytes (or a few when that is too small),
 * instead of a malloc and a free for each of them (issue 17).
 * Under AddressSanitizer the unused part of each block and a gap after
 * every piece stay poisoned, so that an overflow of a piece is still
 * reported.
 */
#include <stdint.h>
#include <stdlib.h>

#include "decode_arena.h"

#if defined(__SANITIZE_ADDRESS__)		/* gcc */
#define ARENA_ASAN 1
#elif defined(__has_feature)			/* clang */
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#if defined(ARENA_ASAN)
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define ARENA_REDZONE		((size_t)16)	/* poisoned, after a piece */
#else
#define ARENA_POISON(p, n)	((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n)	((void)(p), (void)(n))
#define ARENA_REDZONE		((size_t)0)
#endif

#define ARENA_ALIGN	((size_t)16)	/* any field protobuf-c stores */
#define ARENA_ROUND(n)	(((n) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1))
#define ARENA_PIECE_MAX	(SIZE_MAX / 4)	/* larger: refused, no overflow */

/* A block after the first; its bytes follow the header. */
struct arena_block {
	struct arena_block *next;	/* older block, owned */
	size_t		size;		/* bytes after the header */
};

struct decode_arena {
	ProtobufCAllocator pa;		/* points back at this arena */
	struct arena_block *extra;	/* later blocks, newest first */
	unsigned char	*cur;		/* next free byte of the block */
	unsigned char	*end;		/* end of the current block */
	size_t		first;		/* bytes after the arena header */
	size_t		held;		/* bytes from malloc, headers too */
	size_t		blocks;
};

#define ARENA_HEAD	ARENA_ROUND(sizeof(struct decode_arena))
#define BLOCK_HEAD	ARENA_ROUND(sizeof(struct arena_block))

/* Makes a new current block of at least need bytes, or returns -1. */
static int
arena_grow(struct decode_arena *a, size_t need)
{
	struct arena_block *b;
	size_t size = need > a->held ? need : a->held;

	if ((b = malloc(BLOCK_HEAD + size)) == NULL)
		return -1;
	b->next = a->extra;
	b->size = size;
	a->extra = b;
	a->cur = (unsigned char *)b + BLOCK_HEAD;
	a->end = a->cur + size;
	a->held += BLOCK_HEAD + size;
	a->blocks++;
	ARENA_POISON(a->cur, size);
	return 0;
}

static void *
arena_alloc(void *data, size_t size)
{
	struct decode_arena *a = data;
	unsigned char *p;
	size_t need;

	if (size > ARENA_PIECE_MAX)
		return NULL;
	need = ARENA_ROUND(size) + ARENA_REDZONE;
	if (need == 0)
		need = ARENA_ALIGN;	/* a distinct pointer, as malloc(0) */
	if ((size_t)(a->end - a->cur) < need && arena_grow(a, need) < 0)
		return NULL;
	p = a->cur;
	a->cur += need;
	ARENA_UNPOISON(p, size);
	return p;
}

/* Pieces go back with the whole arena. */
static void
arena_free_piece(void *data, void *p)
{
	(void)data;
	(void)p;
}

struct decode_arena *
decode_arena_new(size_t wire_bytes)
{
	struct decode_arena *a;
	size_t first = DECODE_ARENA_BASE;

	if (wire_bytes <= (ARENA_PIECE_MAX - first) / DECODE_ARENA_RATIO)
		first = ARENA_ROUND(first + wire_bytes * DECODE_ARENA_RATIO);
	if ((a = malloc(ARENA_HEAD + first)) == NULL)
		return NULL;
	a->pa.alloc = arena_alloc;
	a->pa.free = arena_free_piece;
	a->pa.allocator_data = a;
	a->extra = NULL;
	a->cur = (unsigned char *)a + ARENA_HEAD;
	a->end = a->cur + first;
	a->first = first;
	a->held = ARENA_HEAD + first;
	a->blocks = 1;
	ARENA_POISON(a->cur, first);
	return a;
}

ProtobufCAllocator *
decode_arena_allocator(struct decode_arena *a)
{
	return &a->pa;
}

size_t
decode_arena_bytes(const struct decode_arena *a)
{
	return a->held;
}

size_t
decode_arena_blocks(const struct decode_arena *a)
{
	return a->blocks;
}

void
decode_arena_free(struct decode_arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->extra; b != NULL; b = next) {
		next = b->next;
		ARENA_UNPOISON((unsigned char *)b + BLOCK_HEAD, b->size);
		free(b);
	}
	ARENA_UNPOISON((unsigned char *)a + ARENA_HEAD, a->first);
	free(a);
}
