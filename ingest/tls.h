/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS for the integration server listeners: one server context per
 * integration server (certificate, key, optional client verification
 * against the installation's CA and its revocation list).
 */
#ifndef KICS_TLS_H
#define KICS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ssl_st;	/* OpenSSL's SSL, so that this header needs no OpenSSL */

/*
 * How a client certificate names the integration server it was issued for
 * (issue 11): a subjectAltName URI of this prefix and the server's id in
 * decimal. Certificates issued before carry only the common name
 * TLS_CLIENT_CN_PREFIX and the id, which is accepted in its place.
 */
#define TLS_CLIENT_URI_PREFIX	"urn:kics-epp:server:"
#define TLS_CLIENT_CN_PREFIX	"kics-epp agents of server "

struct tls_peers;

struct tls_server_params {
	const char	*cert_file;	/* PEM server certificate (+ chain) */
	const char	*key_file;	/* PEM private key */
	const char	*ca_file;	/* PEM CA that issues client certificates */
	const char	*crl_file;	/* PEM CRL of that CA, may be NULL */
	bool		verify_client;	/* require a client certificate */
	int64_t		server_id;	/* > 0: client certificates must name
					   it; 0: any of the CA */
	struct tls_peers *peers;	/* where connections are kept, or NULL */
};

struct tls_server;

/*
 * Builds a server context: TLS 1.2 and 1.3 only, forward-secret AEAD
 * ciphers only, sessions resumable from a cache of this context only
 * (one TLS 1.3 ticket per full handshake, each good for one resumption),
 * and when verify_client is set a handshake completes only with a client
 * certificate issued by ca_file, not revoked in crl_file (whose signature
 * is verified here, once) and, when server_id is set, naming that server;
 * a session whose client certificate fails these checks is not resumed.
 * Connections made from it are kept in peers (which must outlive the
 * context). Returns 0 and a context the caller frees with
 * tls_server_free(); -ENOENT if a file is missing, -EINVAL if one is not
 * valid PEM, the key does not match or the CRL is not the CA's; -ENOMEM.
 * The error text, naming the file, is available from tls_last_error()
 * until the next call.
 */
int tls_server_new(const struct tls_server_params *params,
    struct tls_server **ret_tls);

/* Frees the context; connections already made keep working. NULL-safe. */
void tls_server_free(struct tls_server *tls);

/*
 * Returns a new SSL object in server mode for one accepted connection;
 * the caller owns it (hand it to bufferevent_openssl_socket_new() with
 * BEV_OPT_CLOSE_ON_FREE). NULL when out of memory.
 */
struct ssl_st *tls_server_ssl_new(struct tls_server *tls);

/*
 * Turns OpenSSL's read-ahead on for ssl, a connection that will live in a
 * bufferevent_openssl: one read() per record rather than two. Whoever
 * does this must call tls_read_nudge() as tls_read.c describes.
 */
void tls_read_ahead_on(struct ssl_st *ssl);

struct bufferevent;

/*
 * When OpenSSL holds records it read ahead that libevent would not ask
 * for (tls_read.c), makes bev read again in this turn of the loop; else
 * nothing. bev is a bufferevent_openssl; loop thread only.
 */
void tls_read_nudge(struct bufferevent *bev);

/*
 * A set of open TLS connections, so that those of a revoked client
 * certificate can be closed: tls_server_ssl_new() adds each SSL of a
 * context given the set, and SSL_free() takes it out again. Loop thread
 * only. Returns a new empty set (free it with tls_peers_free()), or NULL
 * when out of memory.
 */
struct tls_peers *tls_peers_new(void);

/*
 * Frees the set; SSL objects still open stay valid and are no longer
 * kept. NULL-safe.
 */
void tls_peers_free(struct tls_peers *peers);

/*
 * Shuts down the socket of every connection in PEERS whose client
 * certificate is revoked in the CRL of TLS (or does not name its server),
 * so that the HTTP layer sees end of file and frees it; a request being
 * answered loses its answer. Returns how many it shut down.
 */
size_t tls_peers_close_revoked(struct tls_peers *peers,
    const struct tls_server *tls);

/* A one-line description of the last OpenSSL failure in this thread. */
const char *tls_last_error(void);

/*
 * For the TLS and PKI files: drains this thread's OpenSSL error queue into
 * the text behind tls_last_error(), prefixed with WHAT, and returns the
 * negative errno it maps to: the errno of a system error, -ENOMEM for an
 * allocation failure, else FALLBACK (itself a negative errno).
 */
int tls_error_take(const char *what, int fallback);

/* For the TLS and PKI files: keeps "WHAT: MESSAGE" as tls_last_error(). */
void tls_error_set(const char *what, const char *message);

#endif
