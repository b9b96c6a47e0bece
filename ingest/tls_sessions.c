/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the session cache of a TLS server context: a hash of
 * session ids and a list in the order sessions came in, which is also the
 * order they time out (every session of a context has its lifetime), so
 * that the oldest go first whether timed out or pushed out by a full
 * cache. Sessions are shared, immutable objects: the cache only holds a
 * reference to each.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_sessions.h"

#define TLS_SESSIONS_BUCKETS	1024	/* a power of two */

struct tls_session_entry {
	struct tls_session_entry *older, *newer;	/* arrival order */
	struct tls_session_entry *chain;		/* same bucket */
	SSL_SESSION	*session;			/* one reference */
	time_t		expires;
	unsigned int	id_len;
	unsigned char	id[SSL_MAX_SSL_SESSION_ID_LENGTH];
};

struct tls_sessions {
	struct tls_session_entry *buckets[TLS_SESSIONS_BUCKETS];
	struct tls_session_entry *oldest, *newest;
	size_t		count, max;
};

/* Session ids are random: their first bytes make a good hash. */
static size_t
tls_sessions_bucket(const unsigned char *id, size_t len)
{
	uint32_t h = 0;

	for (size_t i = 0; i < len && i < sizeof(h); i++)
		h = h << 8 | id[i];
	return h & (TLS_SESSIONS_BUCKETS - 1);
}

struct tls_sessions *
tls_sessions_new(size_t max)
{
	struct tls_sessions *cache;

	assert(max > 0);
	if ((cache = calloc(1, sizeof(*cache))) == NULL)
		return NULL;
	cache->max = max;
	return cache;
}

/* Unlinks E from CACHE and frees it with its reference. */
static void
tls_sessions_drop(struct tls_sessions *cache, struct tls_session_entry *e)
{
	struct tls_session_entry **p;

	p = &cache->buckets[tls_sessions_bucket(e->id, e->id_len)];
	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		cache->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		cache->newest = e->older;
	cache->count--;
	SSL_SESSION_free(e->session);
	free(e);
}

void
tls_sessions_free(struct tls_sessions *cache)
{
	if (cache == NULL)
		return;
	while (cache->oldest != NULL)
		tls_sessions_drop(cache, cache->oldest);
	free(cache);
}

/* The entry of id ID, or NULL. */
static struct tls_session_entry *
tls_sessions_find(const struct tls_sessions *cache, const unsigned char *id,
    size_t len)
{
	struct tls_session_entry *e;

	e = cache->buckets[tls_sessions_bucket(id, len)];
	for (; e != NULL; e = e->chain)
		if (e->id_len == len && memcmp(e->id, id, len) == 0)
			return e;
	return NULL;
}

int
tls_sessions_put(struct tls_sessions *cache, SSL_SESSION *session,
    time_t now)
{
	struct tls_session_entry *e, *old;
	const unsigned char *id;
	unsigned int len;
	size_t b;

	assert(cache != NULL && session != NULL);
	id = SSL_SESSION_get_id(session, &len);
	if (len == 0 || len > sizeof(e->id)) {
		SSL_SESSION_free(session);
		return -EINVAL;
	}
	while (cache->oldest != NULL && (cache->count >= cache->max ||
	    cache->oldest->expires <= now))
		tls_sessions_drop(cache, cache->oldest);
	if ((old = tls_sessions_find(cache, id, len)) != NULL)
		tls_sessions_drop(cache, old);
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		SSL_SESSION_free(session);
		return -ENOMEM;
	}
	memcpy(e->id, id, len);
	e->id_len = len;
	e->session = session;
	e->expires = now + (time_t)SSL_SESSION_get_timeout(session);
	b = tls_sessions_bucket(id, len);
	e->chain = cache->buckets[b];
	cache->buckets[b] = e;
	e->older = cache->newest;
	if (cache->newest != NULL)
		cache->newest->newer = e;
	else
		cache->oldest = e;
	cache->newest = e;
	cache->count++;
	return 0;
}

SSL_SESSION *
tls_sessions_take(struct tls_sessions *cache, const unsigned char *id,
    size_t len, time_t now)
{
	struct tls_session_entry *e;
	SSL_SESSION *session;

	assert(cache != NULL && id != NULL);
	if ((e = tls_sessions_find(cache, id, len)) == NULL)
		return NULL;
	if (e->expires <= now) {
		tls_sessions_drop(cache, e);
		return NULL;
	}
	/* the entry's reference goes to the caller */
	session = e->session;
	e->session = NULL;
	tls_sessions_drop(cache, e);
	return session;
}

size_t
tls_sessions_count(const struct tls_sessions *cache)
{
	return cache->count;
}
