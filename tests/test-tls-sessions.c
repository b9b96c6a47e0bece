/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/tls_sessions.c, the session cache of a TLS server
 * context: bounded, oldest first out, timed-out sessions never handed
 * out, each handed out once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include "testutil.h"
#include "tls_sessions.h"

#define T0	((time_t)1000000)	/* a clock of the tests */
#define LIFE	100			/* seconds a session lives */

/* A session of id N (4 bytes), LIFE seconds from T0; one reference. */
static SSL_SESSION *
session_new(uint32_t n)
{
	unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
	SSL_SESSION *s;

	memset(id, 0, sizeof(id));
	memcpy(id, &n, sizeof(n));
	CHECK((s = SSL_SESSION_new()) != NULL);
	CHECK(SSL_SESSION_set1_id(s, id, sizeof(id)) == 1);
	CHECK(SSL_SESSION_set_time(s, (long)T0) == (long)T0);
	CHECK(SSL_SESSION_set_timeout(s, LIFE) == 1);
	return s;
}

/* Takes session N out of CACHE at NOW: whether it was there. */
static bool
take(struct tls_sessions *cache, uint32_t n, time_t now)
{
	unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
	SSL_SESSION *s;

	memset(id, 0, sizeof(id));
	memcpy(id, &n, sizeof(n));
	if ((s = tls_sessions_take(cache, id, sizeof(id), now)) == NULL)
		return false;
	CHECK(memcmp(SSL_SESSION_get_id(s, NULL), id, sizeof(id)) == 0);
	SSL_SESSION_free(s);
	return true;
}

static void
test_take_once(void)
{
	struct tls_sessions *cache;

	CHECK((cache = tls_sessions_new(8)) != NULL);
	CHECK_EQ(tls_sessions_put(cache, session_new(1), T0), 0);
	CHECK_EQ(tls_sessions_put(cache, session_new(2), T0), 0);
	CHECK_EQ(tls_sessions_count(cache), 2);
	CHECK(take(cache, 2, T0 + 1));
	CHECK(!take(cache, 2, T0 + 1));		/* handed out once */
	CHECK(!take(cache, 3, T0 + 1));		/* never kept */
	CHECK_EQ(tls_sessions_count(cache), 1);
	/* the same id again replaces the session kept */
	CHECK_EQ(tls_sessions_put(cache, session_new(1), T0), 0);
	CHECK_EQ(tls_sessions_count(cache), 1);
	CHECK(take(cache, 1, T0 + 1));
	/* a session without an id is refused */
	CHECK_EQ(tls_sessions_put(cache, SSL_SESSION_new(), T0), -EINVAL);
	CHECK_EQ(tls_sessions_count(cache), 0);
	tls_sessions_free(cache);
	tls_sessions_free(NULL);
}

static void
test_bounded(void)
{
	struct tls_sessions *cache;

	CHECK((cache = tls_sessions_new(3)) != NULL);
	for (uint32_t n = 1; n <= 5; n++)
		CHECK_EQ(tls_sessions_put(cache, session_new(n), T0), 0);
	CHECK_EQ(tls_sessions_count(cache), 3);
	/* the oldest went first */
	CHECK(!take(cache, 1, T0));
	CHECK(!take(cache, 2, T0));
	CHECK(take(cache, 3, T0));
	CHECK(take(cache, 5, T0));
	CHECK(take(cache, 4, T0));
	tls_sessions_free(cache);
}

static void
test_timed_out(void)
{
	struct tls_sessions *cache;

	CHECK((cache = tls_sessions_new(8)) != NULL);
	CHECK_EQ(tls_sessions_put(cache, session_new(1), T0), 0);
	CHECK_EQ(tls_sessions_put(cache, session_new(2), T0), 0);
	CHECK(!take(cache, 1, T0 + LIFE));	/* timed out: gone */
	CHECK_EQ(tls_sessions_count(cache), 1);
	/* a new session pushes out those that timed out */
	CHECK_EQ(tls_sessions_put(cache, session_new(3), T0 + LIFE), 0);
	CHECK_EQ(tls_sessions_count(cache), 1);
	CHECK(take(cache, 3, T0 + LIFE));
	/* freeing drops what is left */
	CHECK_EQ(tls_sessions_put(cache, session_new(4), T0), 0);
	tls_sessions_free(cache);
}

int
main(void)
{
	RUN(test_take_once);
	RUN(test_bounded);
	RUN(test_timed_out);
	return 0;
}
