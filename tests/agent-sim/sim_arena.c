/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the bump allocator that holds one generated report,
 * so that a protobuf-c message tree is freed in one call.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SIM_ARENA_CHUNK	(32 * 1024)

struct sim_arena_chunk {
	struct sim_arena_chunk	*next;
	size_t			 used;
	size_t			 size;
	max_align_t		 data[];
};

void
sim_arena_init(struct sim_arena *arena)
{
	arena->chunks = NULL;
	arena->hint = 0;
}

void
sim_arena_fini(struct sim_arena *arena)
{
	struct sim_arena_chunk *c, *next;

	if (arena == NULL)
		return;
	for (c = arena->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	arena->chunks = NULL;
}

void
sim_arena_clear(struct sim_arena *arena)
{
	struct sim_arena_chunk *c = arena->chunks;
	size_t total = 0;

	if (c != NULL && c->next == NULL) {
		c->used = 0;
		return;
	}
	/* Several chunks: one of their total size serves the next time. */
	for (; c != NULL; c = c->next)
		total += c->size;
	sim_arena_fini(arena);
	arena->hint = total;
}

static size_t
round_up(size_t size)
{
	size_t align = sizeof(max_align_t);

	size = (size + align - 1) / align * align;
	return size == 0 ? align : size;
}

/* size bytes (rounded) at the end of the newest chunk, not zeroed. */
static void *
arena_take(struct sim_arena *arena, size_t size)
{
	struct sim_arena_chunk *c = arena->chunks;
	void *p;

	size = round_up(size);
	if (c == NULL || c->size - c->used < size) {
		size_t want = size > SIM_ARENA_CHUNK ? size : SIM_ARENA_CHUNK;

		if (want < arena->hint)
			want = arena->hint;

		if ((c = malloc(sizeof(*c) + want)) == NULL)
			return NULL;
		c->used = 0;
		c->size = want;
		c->next = arena->chunks;
		arena->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

void *
sim_arena_alloc(struct sim_arena *arena, size_t size)
{
	void *p = arena_take(arena, size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

char *
sim_arena_strdup(struct sim_arena *arena, const char *s)
{
	size_t len = strlen(s) + 1;
	char *p;

	if ((p = arena_take(arena, len)) != NULL)
		memcpy(p, s, len);
	return p;
}

char *
sim_arena_vprintf(struct sim_arena *arena, const char *fmt, va_list ap)
{
	struct sim_arena_chunk *c = arena->chunks;
	size_t avail = c != NULL ? c->size - c->used : 0, len;
	char *p = c != NULL ? (char *)c->data + c->used : NULL;
	va_list aq;

	/* Straight into the chunk when it fits, as it nearly always does. */
	va_copy(aq, ap);
	len = sim_vformat(p, avail, fmt, aq);
	va_end(aq);
	if (len < avail) {
		c->used += round_up(len + 1);
		return p;
	}
	if ((p = arena_take(arena, len + 1)) != NULL)
		(void)sim_vformat(p, len + 1, fmt, ap);
	return p;
}

char *
sim_arena_printf(struct sim_arena *arena, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = sim_arena_vprintf(arena, fmt, ap);
	va_end(ap);
	return p;
}
