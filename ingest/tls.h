/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS for the integration server listeners: one server context per
 * integration server (certificate, key, optional client verification
 * against the installation's CA and its revocation list).
 */
#ifndef KICS_TLS_H
#define KICS_TLS_H

#include <stdbool.h>

struct ssl_st;	/* OpenSSL's SSL, so that this header needs no OpenSSL */

struct tls_server_params {
	const char	*cert_file;	/* PEM server certificate (+ chain) */
	const char	*key_file;	/* PEM private key */
	const char	*ca_file;	/* PEM CA that issues client certificates */
	const char	*crl_file;	/* PEM CRL of that CA, may be NULL */
	bool		verify_client;	/* require a client certificate */
};

struct tls_server;

/*
 * Builds a server context: TLS 1.2 and 1.3 only, forward-secret AEAD
 * ciphers only, session tickets on, and when verify_client is set a
 * handshake completes only with a client certificate issued by ca_file
 * and not revoked in crl_file. Returns 0 and a context the caller frees
 * with tls_server_free(); -ENOENT if a file is missing, -EINVAL if one is
 * not valid PEM or the key does not match, -ENOMEM. The OpenSSL error text
 * is available from tls_last_error() until the next call.
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

/* A one-line description of the last OpenSSL failure in this thread. */
const char *tls_last_error(void);

/*
 * For the TLS and PKI files: drains this thread's OpenSSL error queue into
 * the text behind tls_last_error(), prefixed with WHAT, and returns the
 * negative errno it maps to: the errno of a system error, -ENOMEM for an
 * allocation failure, else FALLBACK (itself a negative errno).
 */
int tls_error_take(const char *what, int fallback);

#endif
