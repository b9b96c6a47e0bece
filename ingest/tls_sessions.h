/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS session cache of one server context (tls.c): sessions kept by
 * their id, at most a fixed number, each until it times out.
 */
#ifndef KICS_TLS_SESSIONS_H
#define KICS_TLS_SESSIONS_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

struct tls_sessions;

/* A cache of at most MAX sessions; NULL when out of memory. */
struct tls_sessions *tls_sessions_new(size_t max);

/* Frees CACHE (may be NULL) and drops its references to the sessions. */
void tls_sessions_free(struct tls_sessions *cache);

/*
 * Keeps SESSION, taking the caller's reference, until it times out or the
 * cache, full, drops its oldest; timed-out sessions go first. Returns 0,
 * or -EINVAL for a session without an id (not kept: the reference is
 * dropped), -ENOMEM (likewise).
 */
int tls_sessions_put(struct tls_sessions *cache, SSL_SESSION *session,
    time_t now);

/*
 * The session of id ID (LEN bytes), removed from CACHE: the caller gets
 * the cache's reference. NULL when none is kept or it has timed out.
 */
SSL_SESSION *tls_sessions_take(struct tls_sessions *cache,
    const unsigned char *id, size_t len, time_t now);

/* How many sessions CACHE keeps. */
size_t tls_sessions_count(const struct tls_sessions *cache);

#endif
