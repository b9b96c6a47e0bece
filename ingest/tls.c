/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the TLS server contexts of the integration servers
 * and the mapping of OpenSSL errors to negative errno values.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"

/*
 * THREAD SAFETY NOTES: a struct tls_server may be shared by threads once
 * built (SSL_CTX is thread-safe for SSL_new()); the error text is kept per
 * thread.
 */

/* TLS 1.2 suites: forward secret (ECDHE) and AEAD only; 1.3 keeps its own. */
#define TLS12_CIPHERS                                                       \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"       \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"         \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_GROUPS		"X25519:P-256"
#define TLS_VERIFY_DEPTH	2	/* client certificate + our CA */
#define TLS_ERROR_TEXT_LEN	512	/* bytes kept for tls_last_error() */

/* Identifies sessions of this daemon; required for resumption with mTLS. */
static const unsigned char tls_session_id_context[] = "kics-epp";

struct tls_server {
	SSL_CTX	*ctx;
};

static _Thread_local char tls_error_text[TLS_ERROR_TEXT_LEN];

/* Keeps "what: message" as the thread's last error. */
static void
tls_error_set(const char *what, const char *message)
{
	int n;

	/* A long message is cut short; it is only ever shown. */
	n = snprintf(tls_error_text, sizeof(tls_error_text), "%s: %s", what,
	    message);
	if (n < 0)
		tls_error_text[0] = '\0';
}

const char *
tls_last_error(void)
{
	return tls_error_text;
}

int
tls_error_take(const char *what, int fallback)
{
	char text[TLS_ERROR_TEXT_LEN], one[256];
	const char *data;
	unsigned long e;
	size_t used = 0;
	int flags, r = 0;

	assert(fallback < 0);
	text[0] = '\0';
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		if (r == 0 && ERR_SYSTEM_ERROR(e) && ERR_GET_REASON(e) > 0)
			r = -ERR_GET_REASON(e);
		else if (r == 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			r = -ENOMEM;
		ERR_error_string_n(e, one, sizeof(one));
		if (!(flags & ERR_TXT_STRING))
			data = "";
		if (used < sizeof(text)) {
			int n;

			n = snprintf(text + used, sizeof(text) - used,
			    "%s%s%s%s", used > 0 ? "; " : "", one,
			    *data != '\0' ? " " : "", data);
			if (n > 0)
				used += (size_t)n;
		}
	}
	if (text[0] == '\0')
		(void)snprintf(text, sizeof(text), "%s", strerror(-fallback));
	tls_error_set(what, text);
	return r != 0 ? r : fallback;
}

/* Fails with -errno, and says which file, when PATH cannot be read. */
static int
tls_file_check(const char *what, const char *path)
{
	char message[TLS_ERROR_TEXT_LEN];
	int r;

	if (access(path, R_OK) == 0)
		return 0;
	r = -errno;
	if (snprintf(message, sizeof(message), "'%s': %s", path,
	    strerror(-r)) < 0)
		message[0] = '\0';
	tls_error_set(what, message);
	ERR_clear_error();
	return r;
}

/*
 * Trusts only the CA in CA_FILE for client certificates, asks clients for
 * a certificate from it, and rejects those revoked by CRL_FILE.
 */
static int
tls_server_verify_setup(SSL_CTX *ctx, const struct tls_server_params *params)
{
	STACK_OF(X509_NAME) *names = NULL;
	X509_CRL *crl = NULL;
	X509_STORE *store;
	BIO *bio = NULL;
	int r;

	if (params->ca_file == NULL) {
		tls_error_set("client verification", "no CA file given");
		return -EINVAL;
	}
	if ((r = tls_file_check("CA file", params->ca_file)) < 0)
		goto out;
	if (SSL_CTX_load_verify_file(ctx, params->ca_file) != 1) {
		r = tls_error_take("CA file", -EINVAL);
		goto out;
	}
	if ((names = SSL_load_client_CA_file(params->ca_file)) == NULL) {
		r = tls_error_take("CA file names", -EINVAL);
		goto out;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	names = NULL;

	if (params->crl_file != NULL) {
		if ((r = tls_file_check("CRL file", params->crl_file)) < 0)
			goto out;
		if ((bio = BIO_new_file(params->crl_file, "r")) == NULL) {
			r = tls_error_take("CRL file", -EIO);
			goto out;
		}
		if ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL,
		    NULL)) == NULL) {
			r = tls_error_take("CRL file", -EINVAL);
			goto out;
		}
		store = SSL_CTX_get_cert_store(ctx);
		if (X509_STORE_add_crl(store, crl) != 1 ||
		    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK) != 1) {
			r = tls_error_take("CRL", -EINVAL);
			goto out;
		}
	}
	SSL_CTX_set_verify(ctx,
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	r = 0;
out:
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	X509_CRL_free(crl);
	BIO_free(bio);
	return r;
}

int
tls_server_new(const struct tls_server_params *params,
    struct tls_server **ret_tls)
{
	struct tls_server *tls = NULL;
	int r;

	assert(params != NULL);
	assert(ret_tls != NULL);
	if (params->cert_file == NULL || params->key_file == NULL) {
		tls_error_set("TLS server", "no certificate or key given");
		return -EINVAL;
	}
	ERR_clear_error();
	if ((tls = calloc(1, sizeof(*tls))) == NULL) {
		tls_error_set("TLS server", strerror(ENOMEM));
		return -ENOMEM;
	}
	if ((tls->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		r = tls_error_take("SSL_CTX_new", -ENOMEM);
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(tls->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(tls->ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(tls->ctx, TLS_GROUPS) != 1 ||
	    SSL_CTX_set_session_id_context(tls->ctx, tls_session_id_context,
	    sizeof(tls_session_id_context) - 1) != 1) {
		r = tls_error_take("TLS parameters", -EINVAL);
		goto out;
	}
	(void)SSL_CTX_set_options(tls->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	(void)SSL_CTX_clear_options(tls->ctx, SSL_OP_NO_TICKET);

	if ((r = tls_file_check("certificate", params->cert_file)) < 0 ||
	    (r = tls_file_check("key", params->key_file)) < 0)
		goto out;
	if (SSL_CTX_use_certificate_chain_file(tls->ctx,
	    params->cert_file) != 1) {
		r = tls_error_take("certificate", -EINVAL);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(tls->ctx, params->key_file,
	    SSL_FILETYPE_PEM) != 1) {
		r = tls_error_take("key", -EINVAL);
		goto out;
	}
	if (SSL_CTX_check_private_key(tls->ctx) != 1) {
		r = tls_error_take("key does not match certificate", -EINVAL);
		goto out;
	}
	if (params->verify_client &&
	    (r = tls_server_verify_setup(tls->ctx, params)) < 0)
		goto out;

	*ret_tls = tls;
	tls = NULL;
	r = 0;
out:
	tls_server_free(tls);
	return r;
}

void
tls_server_free(struct tls_server *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	free(tls);
}

struct ssl_st *
tls_server_ssl_new(struct tls_server *tls)
{
	SSL *ssl;

	assert(tls != NULL);
	if ((ssl = SSL_new(tls->ctx)) == NULL)
		(void)tls_error_take("SSL_new", -ENOMEM);
	return ssl;
}
