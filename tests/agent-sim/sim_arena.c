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

void *
sim_arena_alloc(struct sim_arena *arena, size_t size)
{
	struct sim_arena_chunk *c = arena->chunks;
	size_t align = sizeof(max_align_t);
	void *p;

	size = (size + align - 1) / align * align;
	if (size == 0)
		size = align;
	if (c == NULL || c->size - c->used < size) {
		size_t want = size > SIM_ARENA_CHUNK ? size : SIM_ARENA_CHUNK;

		if ((c = malloc(sizeof(*c) + want)) == NULL)
			return NULL;
		c->used = 0;
		c->size = want;
		c->next = arena->chunks;
		arena->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *
sim_arena_strdup(struct sim_arena *arena, const char *s)
{
	size_t len = strlen(s) + 1;
	char *p;

	if ((p = sim_arena_alloc(arena, len)) != NULL)
		memcpy(p, s, len);
	return p;
}

char *
sim_arena_printf(struct sim_arena *arena, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (p = sim_arena_alloc(arena, (size_t)len + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	(void)vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}
