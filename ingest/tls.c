/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the TLS server contexts of the integration servers
 * and the mapping of OpenSSL errors to negative errno values.
 */
#include <sys/socket.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"

/*
 * THREAD SAFETY NOTES: handshakes, and so the ticket keys of a struct
 * tls_server and every struct tls_peers, belong to the loop thread; tests
 * use one thread too. The error text is kept per thread.
 */

/* TLS 1.2 suites: forward secret (ECDHE) and AEAD only; 1.3 keeps its own. */
#define TLS12_CIPHERS                                                       \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"       \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"         \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_GROUPS		"X25519:P-256"
#define TLS_VERIFY_DEPTH	2	/* client certificate + our CA */
#define TLS_ERROR_TEXT_LEN	512	/* bytes kept for tls_last_error() */
#define TLS_SID_CTX_LEN		32	/* SSL_MAX_SID_CTX_LENGTH */
#define TLS_ID_DIGITS_MAX	18	/* a server id in decimal, < 10^18 */
/*
 * Largest record we send. Our replies are acks of well under 1 KB, and
 * OpenSSL sizes every connection's write buffer after this (16 KB by
 * default): 4 KB saves about 12 KB per handshaking or busy connection
 * (docs/performance.md).
 */
#define TLS_MAX_SEND_FRAGMENT	4096

/*
 * Session tickets. OpenSSL 3.0 draws one random ticket key per SSL_CTX
 * and never changes it, so a context living for months would accept
 * tickets made months ago. Each context keeps its own keys instead (so a
 * ticket never crosses integration servers or a reload, and every change
 * of the CRL reloads the contexts), makes a new one every
 * TLS_TICKET_ROTATE_S and still decrypts, and renews, tickets of the one
 * before. A ticket is thus good for at most two periods, which matches
 * OpenSSL's default session lifetime of two hours.
 */
#define TLS_TICKET_ROTATE_S	3600
#define TLS_TICKET_NAME_LEN	16	/* fixed by OpenSSL's callback */
#define TLS_TICKET_AES_LEN	32	/* AES-256-CBC */
#define TLS_TICKET_HMAC_LEN	32	/* HMAC-SHA-256 */
/*
 * TLS 1.3 tickets sent after a full handshake (OpenSSL's default is 2,
 * for clients that open connections in parallel; an agent reconnects one
 * connection at a time and resumes with one ticket, and every resumption
 * hands it the next). OpenSSL 3.0 makes each ticket by encoding the
 * session, decoding it again and encoding the copy, so with a client
 * certificate each ticket parses that certificate once more: one ticket
 * saves one of those passes per full handshake (issue 17).
 */
#define TLS_TICKETS_PER_HANDSHAKE	1

struct tls_ticket_key {
	unsigned char	name[TLS_TICKET_NAME_LEN];
	unsigned char	aes[TLS_TICKET_AES_LEN];
	unsigned char	hmac[TLS_TICKET_HMAC_LEN];
	time_t		made;		/* 0: not set */
};

struct tls_server {
	SSL_CTX		*ctx;
	int64_t		server_id;	/* > 0: client certificates name it */
	X509_CRL	*crl;		/* as in the store, or NULL */
	struct tls_peers *peers;	/* borrowed, or NULL */
	struct tls_ticket_key keys[2];	/* current, previous */
};

/* One open connection in a struct tls_peers, owned by its SSL. */
struct tls_peer {
	struct tls_peer	*prev, *next;
	struct tls_peers *set;		/* NULL once the set is freed */
	SSL		*ssl;
	bool		shut;		/* its socket was shut down */
};

struct tls_peers {
	struct tls_peer	*head;
};

static int tls_verify_cb(int ok, X509_STORE_CTX *xs);
static void tls_index_init(void);

static CRYPTO_ONCE tls_index_once = CRYPTO_ONCE_STATIC_INIT;
static int tls_peer_index = -1;	/* SSL ex_data of the struct tls_peer */
/*
 * SSL_CTX ex_data of its struct tls_server, which the SSL_CTX owns: a
 * context replaced by a reload lives on while a connection made from it
 * does, and its callbacks keep finding their server id, CRL and keys.
 */
static int tls_ctx_index = -1;

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
 * a certificate from it, and rejects those revoked by CRL_FILE (kept in
 * TLS for tickets and open connections) or naming another server.
 */
static int
tls_server_verify_setup(struct tls_server *tls,
    const struct tls_server_params *params)
{
	SSL_CTX *ctx = tls->ctx;
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
		tls->crl = crl;
		crl = NULL;
	}
	SSL_CTX_set_verify(ctx,
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, tls_verify_cb);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	r = 0;
out:
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	X509_CRL_free(crl);
	BIO_free(bio);
	return r;
}

/*
 * Parses LEN bytes of S as a server id: decimal digits only, no leading
 * zero, 1 to TLS_ID_DIGITS_MAX of them.
 */
static int
tls_id_parse(const unsigned char *s, size_t len, int64_t *ret_id)
{
	int64_t id = 0;

	if (len == 0 || len > TLS_ID_DIGITS_MAX || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		id = id * 10 + (s[i] - '0');
	}
	*ret_id = id;
	return 0;
}

/* Parses STR as PREFIX followed by a server id. */
static int
tls_id_parse_prefixed(const ASN1_STRING *str, const char *prefix,
    int64_t *ret_id)
{
	const unsigned char *data = ASN1_STRING_get0_data(str);
	size_t n = strlen(prefix), len = (size_t)ASN1_STRING_length(str);

	if (data == NULL || len <= n || memcmp(data, prefix, n) != 0)
		return -EINVAL;
	return tls_id_parse(data + n, len - n, ret_id);
}

/*
 * The integration server X was issued for: from its subjectAltName URI
 * TLS_CLIENT_URI_PREFIX<id>, or, for a certificate without any such URI
 * (packages made before issue 11), from the common name
 * TLS_CLIENT_CN_PREFIX<id> that the issuing code has always written. Both
 * are trusted because only our CA, which writes them, is trusted.
 */
static int
tls_cert_server_id(X509 *x, int64_t *ret_id)
{
	GENERAL_NAMES *names;
	const X509_NAME *subject;
	X509_NAME_ENTRY *cn;
	bool found = false;
	int64_t id = 0;
	int i;

	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		int64_t one;

		if (gn->type != GEN_URI || tls_id_parse_prefixed(
		    gn->d.uniformResourceIdentifier, TLS_CLIENT_URI_PREFIX,
		    &one) < 0)
			continue;
		if (found && one != id) {
			GENERAL_NAMES_free(names);
			return -EINVAL;	/* two servers: neither */
		}
		id = one;
		found = true;
	}
	GENERAL_NAMES_free(names);
	if (!found) {
		subject = X509_get_subject_name(x);
		i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
		if (i < 0 || X509_NAME_get_index_by_NID(subject,
		    NID_commonName, i) >= 0)
			return -EINVAL;
		cn = X509_NAME_get_entry(subject, i);
		if (tls_id_parse_prefixed(X509_NAME_ENTRY_get_data(cn),
		    TLS_CLIENT_CN_PREFIX, &id) < 0)
			return -EINVAL;
	}
	*ret_id = id;
	return 0;
}

/*
 * Whether client certificate X may talk to TLS: not revoked in its CRL
 * and, when the context is bound to a server, issued for it.
 */
static bool
tls_client_allowed(const struct tls_server *tls, X509 *x)
{
	X509_REVOKED *entry;
	int64_t id;

	if (tls->crl != NULL && X509_CRL_get0_by_cert(tls->crl, &entry, x) == 1)
		return false;
	if (tls->server_id > 0 &&
	    (tls_cert_server_id(x, &id) < 0 || id != tls->server_id))
		return false;
	return true;
}

/*
 * Verification of each certificate of a client's chain: OpenSSL's verdict
 * (CA, CRL, dates), then for the client's own certificate the server it
 * names, so that a package of another integration server fails the
 * handshake.
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	const struct tls_server *tls;
	SSL *ssl;
	int64_t id;

	if (ok != 1 || X509_STORE_CTX_get_error_depth(xs) != 0)
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	tls = ssl != NULL ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    tls_ctx_index) : NULL;
	if (tls == NULL) {
		X509_STORE_CTX_set_error(xs,
		    X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if (tls->server_id <= 0)
		return ok;
	if (tls_cert_server_id(X509_STORE_CTX_get_current_cert(xs), &id) < 0 ||
	    id != tls->server_id) {
		X509_STORE_CTX_set_error(xs,
		    X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

/* Makes KEY a new random ticket key made at NOW. */
static int
tls_ticket_key_make(struct tls_ticket_key *key, time_t now)
{
	if (RAND_bytes(key->name, sizeof(key->name)) != 1 ||
	    RAND_bytes(key->aes, sizeof(key->aes)) != 1 ||
	    RAND_bytes(key->hmac, sizeof(key->hmac)) != 1) {
		OPENSSL_cleanse(key, sizeof(*key));
		return -EIO;
	}
	key->made = now;
	return 0;
}

/* The current key, first made anew when its period is over. */
static const struct tls_ticket_key *
tls_ticket_key_current(struct tls_server *tls, time_t now)
{
	struct tls_ticket_key fresh;

	if (tls->keys[0].made == 0 ||
	    now - tls->keys[0].made >= TLS_TICKET_ROTATE_S ||
	    now < tls->keys[0].made) {
		/* on failure the old key serves another while */
		if (tls_ticket_key_make(&fresh, now) == 0) {
			tls->keys[1] = tls->keys[0];
			tls->keys[0] = fresh;
			OPENSSL_cleanse(&fresh, sizeof(fresh));
		}
	}
	return tls->keys[0].made != 0 ? &tls->keys[0] : NULL;
}

/*
 * OpenSSL's ticket key callback: ENC set, encrypts a new ticket with the
 * current key; otherwise finds the key NAME was made with among the
 * current and the previous one, as long as it is younger than two
 * periods. Returns 1 (2: decrypted with the previous key, issue a new
 * ticket), 0 for an unknown key (full handshake), -1 on error.
 */
static int
tls_ticket_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct tls_server *tls = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    tls_ctx_index);
	const struct tls_ticket_key *key = NULL;
	OSSL_PARAM params[3];
	time_t now = time(NULL);
	int r = 1;

	if (tls == NULL)
		return -1;
	if (enc) {
		if ((key = tls_ticket_key_current(tls, now)) == NULL ||
		    RAND_bytes(iv, EVP_CIPHER_get_iv_length(
		    EVP_aes_256_cbc())) != 1)
			return -1;
		memcpy(name, key->name, TLS_TICKET_NAME_LEN);
		if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, key->aes,
		    iv) != 1)
			return -1;
	} else {
		for (size_t i = 0; i < 2 && key == NULL; i++) {
			const struct tls_ticket_key *k = &tls->keys[i];

			if (k->made != 0 && now >= k->made &&
			    now - k->made < 2 * TLS_TICKET_ROTATE_S &&
			    memcmp(name, k->name, TLS_TICKET_NAME_LEN) == 0) {
				key = k;
				r = i == 0 ? 1 : 2;
			}
		}
		if (key == NULL)
			return 0;
		if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, key->aes,
		    iv) != 1)
			return -1;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    (void *)key->hmac, sizeof(key->hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	return r;
}

/*
 * Called with every ticket OpenSSL decrypted: resumption skips the
 * certificate checks, so a session whose client certificate was revoked
 * since, or that names another server, gets a full handshake instead.
 */
static SSL_TICKET_RETURN
tls_ticket_decrypted_cb(SSL *ssl, SSL_SESSION *session,
    const unsigned char *name, size_t name_len, SSL_TICKET_STATUS status,
    void *arg)
{
	const struct tls_server *tls;
	X509 *peer;

	tls = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ctx_index);
	(void)arg;
	(void)name;
	(void)name_len;
	switch (status) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		peer = SSL_SESSION_get0_peer(session);
		if (tls == NULL ||
		    (peer != NULL && !tls_client_allowed(tls, peer)))
			return SSL_TICKET_RETURN_IGNORE_RENEW;
		return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE :
		    SSL_TICKET_RETURN_USE_RENEW;
	case SSL_TICKET_FATAL_ERR_MALLOC:
	case SSL_TICKET_FATAL_ERR_OTHER:
		return SSL_TICKET_RETURN_ABORT;
	default:	/* none, empty or not ours: a full handshake */
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	}
}

/*
 * Session resumption: tickets with our own keys, checked when decrypted,
 * and no server-side session cache, whose sessions would be resumed
 * without that check. The session id context names the server, so that
 * no session of one integration server is resumed at another.
 */
static int
tls_server_tickets_setup(struct tls_server *tls)
{
	char sid[TLS_SID_CTX_LEN + 1];
	int n;

	n = snprintf(sid, sizeof(sid), "kics-epp:%lld",
	    (long long)tls->server_id);
	if (n < 0 || (size_t)n >= sizeof(sid)) {
		tls_error_set("TLS parameters", "server id too long");
		return -EINVAL;
	}
	if (SSL_CTX_set_session_id_context(tls->ctx, (unsigned char *)sid,
	    (unsigned int)n) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(tls->ctx,
	    tls_ticket_cb) != 1 ||
	    SSL_CTX_set_session_ticket_cb(tls->ctx, NULL,
	    tls_ticket_decrypted_cb, NULL) != 1 ||
	    SSL_CTX_set_num_tickets(tls->ctx, TLS_TICKETS_PER_HANDSHAKE) != 1)
		return tls_error_take("session tickets", -EINVAL);
	(void)SSL_CTX_set_session_cache_mode(tls->ctx, SSL_SESS_CACHE_OFF);
	return 0;
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
	tls->server_id = params->server_id;
	tls->peers = params->peers;
	if (CRYPTO_THREAD_run_once(&tls_index_once, tls_index_init) != 1 ||
	    tls_peer_index < 0 || tls_ctx_index < 0) {
		r = tls_error_take("SSL ex_data", -ENOMEM);
		goto out;
	}
	if ((tls->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		r = tls_error_take("SSL_CTX_new", -ENOMEM);
		goto out;
	}
	/* from here the SSL_CTX owns TLS, and its callbacks find it */
	if (SSL_CTX_set_ex_data(tls->ctx, tls_ctx_index, tls) != 1) {
		SSL_CTX_free(tls->ctx);
		tls->ctx = NULL;
		r = tls_error_take("SSL_CTX ex_data", -ENOMEM);
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(tls->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(tls->ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(tls->ctx, TLS_GROUPS) != 1) {
		r = tls_error_take("TLS parameters", -EINVAL);
		goto out;
	}
	(void)SSL_CTX_set_options(tls->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	(void)SSL_CTX_clear_options(tls->ctx, SSL_OP_NO_TICKET);
	/*
	 * An agent's connection sits idle between reports: give its read
	 * and write buffers (about 33 KB) back while it does, so that 1,000
	 * keep-alive connections fit the memory budget.
	 */
	(void)SSL_CTX_set_mode(tls->ctx, SSL_MODE_RELEASE_BUFFERS);
	(void)SSL_CTX_set_max_send_fragment(tls->ctx, TLS_MAX_SEND_FRAGMENT);
	if ((r = tls_server_tickets_setup(tls)) < 0)
		goto out;

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
	    (r = tls_server_verify_setup(tls, params)) < 0)
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
	/* the SSL_CTX frees TLS once its last connection is gone */
	if (tls->ctx != NULL)
		SSL_CTX_free(tls->ctx);
	else
		free(tls);
}

/* The last reference to one of our SSL_CTXs is gone: free its server. */
static void
tls_server_ctx_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	struct tls_server *tls = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (tls == NULL)
		return;
	X509_CRL_free(tls->crl);
	OPENSSL_cleanse(tls->keys, sizeof(tls->keys));
	free(tls);
}

struct ssl_st *
tls_server_ssl_new(struct tls_server *tls)
{
	struct tls_peer *peer = NULL;
	SSL *ssl;

	assert(tls != NULL);
	if ((ssl = SSL_new(tls->ctx)) == NULL) {
		(void)tls_error_take("SSL_new", -ENOMEM);
		return NULL;
	}
	if (tls->peers == NULL)
		return ssl;
	if ((peer = calloc(1, sizeof(*peer))) == NULL ||
	    SSL_set_ex_data(ssl, tls_peer_index, peer) != 1) {
		free(peer);
		SSL_free(ssl);
		(void)tls_error_take("SSL_new", -ENOMEM);
		return NULL;
	}
	peer->ssl = ssl;
	peer->set = tls->peers;
	peer->next = tls->peers->head;
	if (peer->next != NULL)
		peer->next->prev = peer;
	tls->peers->head = peer;
	return ssl;
}

/* SSL_free() of a connection: it leaves its set. */
static void
tls_peer_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	struct tls_peer *peer = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (peer == NULL)
		return;
	if (peer->set != NULL) {
		if (peer->prev != NULL)
			peer->prev->next = peer->next;
		else
			peer->set->head = peer->next;
		if (peer->next != NULL)
			peer->next->prev = peer->prev;
	}
	free(peer);
}

static void
tls_index_init(void)
{
	tls_peer_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_peer_free_cb);
	tls_ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_server_ctx_free_cb);
}

struct tls_peers *
tls_peers_new(void)
{
	return calloc(1, sizeof(struct tls_peers));
}

void
tls_peers_free(struct tls_peers *peers)
{
	struct tls_peer *peer;

	if (peers == NULL)
		return;
	for (peer = peers->head; peer != NULL; peer = peer->next)
		peer->set = NULL;
	free(peers);
}

size_t
tls_peers_close_revoked(struct tls_peers *peers, const struct tls_server *tls)
{
	struct tls_peer *peer;
	size_t n = 0;
	X509 *x;
	int fd;

	assert(peers != NULL && tls != NULL);
	for (peer = peers->head; peer != NULL; peer = peer->next) {
		/* set at the handshake, also for a resumed session */
		if (peer->shut ||
		    (x = SSL_get0_peer_certificate(peer->ssl)) == NULL ||
		    tls_client_allowed(tls, x))
			continue;
		/* the socket stays evhttp's: it sees end of file and frees */
		if ((fd = SSL_get_fd(peer->ssl)) >= 0)
			(void)shutdown(fd, SHUT_RDWR);
		peer->shut = true;
		n++;
	}
	return n;
}
