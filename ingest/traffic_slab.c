/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the memory of a flow table: its large arrays and its
 * flows come from 2 MB-aligned anonymous mappings that the kernel is asked
 * to back with transparent huge pages, so that filling a table of tens of
 * thousands of flows costs a page fault per 2 MB rather than per 4 kB
 * (where the kernel gives no huge page, nothing changes but the
 * alignment). Flows are carved from such slabs and freed to a list of
 * their own; a slab goes back to the system when the table is freed.
 * Under AddressSanitizer a slab's unused part and every freed flow are
 * poisoned, so that a flow used after flow_slab_put() is still reported.
 *
 * THREAD SAFETY NOTES: a struct flow_slab belongs to its flow table.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "capture.h"

#if defined(__SANITIZE_ADDRESS__)		/* gcc */
#define SLAB_ASAN 1
#elif defined(__has_feature)			/* clang */
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#if defined(SLAB_ASAN)
#include <sanitizer/asan_interface.h>
#define SLAB_POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define SLAB_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SLAB_POISON(p, n)	((void)(p), (void)(n))
#define SLAB_UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#define SLAB_BYTES	((size_t)2 << 20)	/* a huge page */

/* size rounded up to whole huge pages */
static size_t
big_size(size_t size)
{
	return (size + SLAB_BYTES - 1) & ~(SLAB_BYTES - 1);
}

void *
big_zalloc(size_t size)
{
	size_t len = big_size(size), head;
	uint8_t *p;

	p = mmap(NULL, len + SLAB_BYTES, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* keep the 2 MB-aligned part only */
	head = (SLAB_BYTES - (uintptr_t)p % SLAB_BYTES) % SLAB_BYTES;
	if (head > 0)
		(void)munmap(p, head);
	(void)munmap(p + head + len, SLAB_BYTES - head);
	p += head;
	(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}

void
big_free(void *p, size_t size)
{
	if (p != NULL)
		(void)munmap(p, big_size(size));
}

void
flow_slab_init(struct flow_slab *s, size_t obj_size)
{
	memset(s, 0, sizeof(*s));
	/* whole words, so that every object stays aligned */
	s->obj = (obj_size + 15) & ~(size_t)15;
	s->per_slab = SLAB_BYTES / s->obj;
	s->used = s->per_slab;		/* no slab yet */
}

/* A new slab to carve from; 0 or -ENOMEM. */
static int
slab_add(struct flow_slab *s)
{
	void **v;
	void *p;

	if (s->n_slabs == s->cap_slabs) {
		size_t c = s->cap_slabs == 0 ? 8 : s->cap_slabs * 2;

		if ((v = realloc(s->slabs, c * sizeof(*v))) == NULL)
			return -ENOMEM;
		s->slabs = v;
		s->cap_slabs = c;
	}
	if ((p = big_zalloc(SLAB_BYTES)) == NULL)
		return -ENOMEM;
	SLAB_POISON(p, SLAB_BYTES);
	s->slabs[s->n_slabs++] = p;
	s->used = 0;
	return 0;
}

void *
flow_slab_get(struct flow_slab *s)
{
	void *p;

	if (s->free != NULL) {
		p = s->free;
		SLAB_UNPOISON(p, s->obj);
		memcpy(&s->free, p, sizeof(void *));
		memset(p, 0, s->obj);
		return p;
	}
	if (s->used == s->per_slab && slab_add(s) < 0)
		return NULL;
	/* a new slab's memory is zero already */
	p = (uint8_t *)s->slabs[s->n_slabs - 1] + s->obj * s->used++;
	SLAB_UNPOISON(p, s->obj);
	return p;
}

void
flow_slab_put(struct flow_slab *s, void *p)
{
	if (p == NULL)
		return;
	memcpy(p, &s->free, sizeof(void *));
	SLAB_POISON(p, s->obj);
	s->free = p;
}

void
flow_slab_fini(struct flow_slab *s)
{
	for (size_t i = 0; i < s->n_slabs; i++) {
		/* a later mapping at the same address starts clean */
		SLAB_UNPOISON(s->slabs[i], SLAB_BYTES);
		big_free(s->slabs[i], SLAB_BYTES);
	}
	free(s->slabs);
	memset(s, 0, sizeof(*s));
}
