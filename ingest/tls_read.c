/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains OpenSSL's read-ahead on the daemon's TLS
 * bufferevents, and the nudge that libevent 2.1 needs to go with it.
 */
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>

#include <openssl/ssl.h>

#include "tls.h"

/*
 * Without read-ahead, OpenSSL reads each record with two read() calls,
 * its 5-byte header and then its body: two system calls per report
 * (issue 17). With it, one read() takes what the socket has, up to the
 * size of the record buffer, which SSL_MODE_RELEASE_BUFFERS still gives
 * back once it is empty.
 *
 * libevent 2.1's bufferevent_openssl reads a socket until SSL_pending()
 * is 0. That counts only the rest of the record being read, not records
 * OpenSSL read ahead and has not opened yet (SSL_has_pending() does), and
 * the socket, now empty, will not wake the loop for them: a request whose
 * last record came in the same read() as an earlier one would wait until
 * the client sent something more. tls_read_nudge() is called wherever
 * that can happen (http_gate.c after every read, http.c after every
 * answer, when reading starts again, and at the end of a handshake, whose
 * last read may bring the first request): it makes the bufferevent read
 * once more in this turn of the loop, from OpenSSL's buffer.
 */
void
tls_read_ahead_on(struct ssl_st *ssl)
{
	SSL_set_read_ahead(ssl, 1);
}

void
tls_read_nudge(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	/* with SSL_pending() > 0, libevent reads on by itself */
	if (ssl != NULL && SSL_pending(ssl) == 0 && SSL_has_pending(ssl) == 1)
		event_active(&bev->ev_read, EV_READ, 1);
}
