/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the store's page cache: SQLite's own (pcache1), with
 * one page number moved out of the way (issue 17).
 *
 * When SQLite splits or merges b-tree pages it puts the new pages in
 * ascending order, swapping their numbers through a temporary one, the
 * page of the pending byte (the page at 1 GiB: 262,145 with 4 KiB pages),
 * which no database ever uses. pcache1 remembers the largest page number
 * it ever held, and every COMMIT drops the pages beyond the end of the
 * database: with that number remembered, it walks its whole hash table
 * (16,384 buckets and 12,000 pages with the writer's 48 MB cache) instead
 * of the few buckets past the end, at most commits that split a page.
 * That walk was 2.9 % of the writer's CPU samples at 2,250 reports/s
 * (perf: `sqlite3PagerCommitPhaseTwo` -> `sqlite3PcacheTruncate`), and
 * none with this cache.
 *
 * This cache passes every call to pcache1, but keeps a page under the
 * temporary number as page 0, which no page uses either: pcache1 then
 * never sees a number beyond the database, and its walk covers the pages
 * past the end only. SQLite holds a page under the temporary number only
 * inside one balance of a b-tree, never across a truncation.
 *
 * THREAD SAFETY NOTES: installed once, before SQLite initializes; the
 * methods keep no state beyond each cache's and a counter (an atomic),
 * and pcache1 locks as it always does.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "store-private.h"
#include "store_pcache.h"

#define PENDING_BYTE	0x40000000	/* SQLite's, at 1 GiB */
#define KEY_STANDIN	0		/* no page is page 0 */

static sqlite3_pcache_methods2 inner;	/* pcache1's */
static atomic_uint_fast64_t standins;	/* pages moved to KEY_STANDIN */

struct pcache {
	sqlite3_pcache	*inner;
	unsigned int	temp_key;	/* the pending byte's page */
};

static unsigned int
key_in(const struct pcache *c, unsigned int key)
{
	return key == c->temp_key ? KEY_STANDIN : key;
}

static int
pc_init(void *arg)
{
	(void)arg;
	return inner.xInit(inner.pArg);
}

static void
pc_shutdown(void *arg)
{
	(void)arg;
	inner.xShutdown(inner.pArg);
}

static sqlite3_pcache *
pc_create(int page_size, int extra, int purgeable)
{
	struct pcache *c;

	if (page_size <= 0 || (c = malloc(sizeof(*c))) == NULL)
		return NULL;
	c->temp_key = PENDING_BYTE / (unsigned int)page_size + 1;
	if ((c->inner = inner.xCreate(page_size, extra, purgeable)) == NULL) {
		free(c);
		return NULL;
	}
	return (sqlite3_pcache *)c;
}

static void
pc_cachesize(sqlite3_pcache *p, int n)
{
	inner.xCachesize(((struct pcache *)p)->inner, n);
}

static int
pc_pagecount(sqlite3_pcache *p)
{
	return inner.xPagecount(((struct pcache *)p)->inner);
}

static sqlite3_pcache_page *
pc_fetch(sqlite3_pcache *p, unsigned int key, int create)
{
	struct pcache *c = (struct pcache *)p;

	return inner.xFetch(c->inner, key_in(c, key), create);
}

static void
pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard)
{
	inner.xUnpin(((struct pcache *)p)->inner, page, discard);
}

static void
pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned int old,
    unsigned int new)
{
	struct pcache *c = (struct pcache *)p;

	if (new == c->temp_key)
		atomic_fetch_add_explicit(&standins, 1, memory_order_relaxed);
	inner.xRekey(c->inner, page, key_in(c, old), key_in(c, new));
}

static void
pc_truncate(sqlite3_pcache *p, unsigned int limit)
{
	inner.xTruncate(((struct pcache *)p)->inner, limit);
}

static void
pc_destroy(sqlite3_pcache *p)
{
	struct pcache *c = (struct pcache *)p;

	inner.xDestroy(c->inner);
	free(c);
}

static void
pc_shrink(sqlite3_pcache *p)
{
	inner.xShrink(((struct pcache *)p)->inner);
}

int
store_pcache_install(void)
{
	static const sqlite3_pcache_methods2 outer = {
		.iVersion = 1,
		.xInit = pc_init,
		.xShutdown = pc_shutdown,
		.xCreate = pc_create,
		.xCachesize = pc_cachesize,
		.xPagecount = pc_pagecount,
		.xFetch = pc_fetch,
		.xUnpin = pc_unpin,
		.xRekey = pc_rekey,
		.xTruncate = pc_truncate,
		.xDestroy = pc_destroy,
		.xShrink = pc_shrink,
	};

	if (inner.xFetch != NULL)
		return SQLITE_OK;	/* installed already */
	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK ||
	    inner.xFetch == NULL || inner.xShrink == NULL) {
		inner = (sqlite3_pcache_methods2){0};
		return SQLITE_MISUSE;
	}
	if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &outer) != SQLITE_OK) {
		inner = (sqlite3_pcache_methods2){0};
		return SQLITE_MISUSE;
	}
	return SQLITE_OK;
}

uint64_t
store_pcache_standins(void)
{
	return atomic_load(&standins);
}
