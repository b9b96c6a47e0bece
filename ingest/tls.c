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

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "tls-private.h"
#include "tls_sessions.h"

/*
 * THREAD SAFETY NOTES: handshakes, and so the session cache of a struct
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
 * Session resumption (issue 17). OpenSSL 3.0 makes a stateless ticket by
 * encoding the session, decoding it again and encoding the copy, and
 * decodes it once more when a client resumes with it; with a client
 * certificate each of these parses the certificate, its public key
 * through the provider decoders, which made a resumed handshake cost 2.4
 * times a plain full one. Sessions stay in memory instead, in a cache of
 * each context (struct tls_sessions), and a TLS 1.3 ticket (or a TLS 1.2
 * session id) only names one: nothing is encoded or parsed. A cache dies
 * with its context, so no session crosses integration servers or a reload
 * (every change of the CRL reloads the contexts), and each session is
 * checked against the CRL again when it is resumed.
 */
#define TLS_SESSION_LIFETIME_S	7200	/* OpenSSL's default, 2 hours */
/*
 * Sessions a context keeps: one per agent at the design load of 1,000
 * (each holds the one ticket of its last handshake), and a quarter more
 * for agents that went away before their ticket timed out. A session
 * costs about 2 KB while its agent's connection is open (they share the
 * client certificate) and about 12 KB once it is closed, when the session
 * keeps the only copy of the parsed certificate: at most 15 MB
 * (docs/performance.md). Beyond the bound the oldest go first, and an
 * agent whose session went makes a full handshake.
 */
#define TLS_SESSIONS_MAX	1250
/*
 * TLS 1.3 tickets sent after a full handshake (OpenSSL's default is 2,
 * for clients that open connections in parallel; an agent reconnects one
 * connection at a time and resumes with one ticket, and every resumption
 * hands it the next). A TLS 1.3 ticket is used once: resuming takes its
 * session out of the cache.
 */
#define TLS_TICKETS_PER_HANDSHAKE	1

struct tls_server {
	SSL_CTX		*ctx;
	int64_t		server_id;	/* > 0: client certificates name it */
	X509_CRL	*crl;		/* verified at load, or NULL */
	struct tls_peers *peers;	/* borrowed, or NULL */
	struct tls_sessions *sessions;	/* resumable sessions */
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
 * does, and its callbacks keep finding their server id, CRL and sessions.
 */
static int tls_ctx_index = -1;

static _Thread_local char tls_error_text[TLS_ERROR_TEXT_LEN];

/* The struct tls_server of CTX, or NULL once it is being freed. */
static struct tls_server *
tls_server_of(const SSL_CTX *ctx)
{
	return SSL_CTX_get_ex_data(ctx, tls_ctx_index);
}

void
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
int
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

	if (params->crl_file != NULL &&
	    (r = tls_crl_load(params->crl_file, params->ca_file,
	    &tls->crl)) < 0)
		goto out;
	SSL_CTX_set_verify(ctx,
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, tls_verify_cb);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	r = 0;
out:
	sk_X509_NAME_pop_free(names, X509_NAME_free);
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
 * (CA, dates), then for the client's own certificate the CRL and the
 * server it names, so that a revoked certificate, or a package of another
 * integration server, fails the handshake.
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	const struct tls_server *tls;
	X509 *x;
	SSL *ssl;
	int64_t id;
	int err;

	if (ok != 1 || X509_STORE_CTX_get_error_depth(xs) != 0)
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	tls = ssl != NULL ? tls_server_of(SSL_get_SSL_CTX(ssl)) : NULL;
	x = X509_STORE_CTX_get_current_cert(xs);
	if (tls == NULL || x == NULL)
		err = X509_V_ERR_APPLICATION_VERIFICATION;
	else if (tls->crl != NULL)
		err = tls_crl_verdict(tls->crl, x, time(NULL));
	else
		err = X509_V_OK;
	if (err == X509_V_OK && tls->server_id > 0 &&
	    (tls_cert_server_id(x, &id) < 0 || id != tls->server_id))
		err = X509_V_ERR_APPLICATION_VERIFICATION;
	if (err != X509_V_OK) {
		X509_STORE_CTX_set_error(xs, err);
		return 0;
	}
	return 1;
}

/*
 * Keeps a copy of SESSION in the cache of TLS. A copy, because OpenSSL
 * marks a connection's own session unresumable when the connection is
 * freed without a close_notify (evhttp sends none) or after a fatal alert:
 * the stateless tickets used before stayed valid in both cases, as TLS 1.3
 * allows, and what ends a session early here is the CRL, checked when it
 * is resumed. The copy shares the client certificate; nothing is parsed.
 */
static void
tls_session_keep(struct tls_server *tls, const SSL_SESSION *session,
    time_t now)
{
	SSL_SESSION *copy;

	/* on failure the session is dropped: a full handshake next time */
	if ((copy = SSL_SESSION_dup(session)) != NULL)
		(void)tls_sessions_put(tls->sessions, copy, now);
}

/*
 * OpenSSL's new-session callback: a full TLS 1.2 handshake, or a TLS 1.3
 * ticket, made SESSION resumable.
 */
static int
tls_session_new_cb(SSL *ssl, SSL_SESSION *session)
{
	struct tls_server *tls = tls_server_of(SSL_get_SSL_CTX(ssl));

	if (tls != NULL && tls->sessions != NULL)
		tls_session_keep(tls, session, time(NULL));
	return 0;	/* OpenSSL drops the reference it gave */
}

/*
 * OpenSSL's session lookup, for a client that resumes with session id or
 * TLS 1.3 ticket ID (LEN bytes): the session, unless its client
 * certificate was revoked since or names another server (then a full
 * handshake checks the certificate). A TLS 1.3 session is taken out of the
 * cache (its ticket is used once, and the resumption hands the client the
 * next); a TLS 1.2 one stays, as OpenSSL makes no new one when it resumes.
 */
static SSL_SESSION *
tls_session_get_cb(SSL *ssl, const unsigned char *id, int len, int *copy)
{
	struct tls_server *tls = tls_server_of(SSL_get_SSL_CTX(ssl));
	SSL_SESSION *session;
	time_t now = time(NULL);
	X509 *peer;

	*copy = 0;	/* the reference returned is OpenSSL's */
	if (tls == NULL || tls->sessions == NULL || len <= 0 ||
	    (session = tls_sessions_take(tls->sessions, id, (size_t)len,
	    now)) == NULL)
		return NULL;
	peer = SSL_SESSION_get0_peer(session);
	if (peer != NULL && !tls_client_allowed(tls, peer)) {
		SSL_SESSION_free(session);
		return NULL;
	}
	if (SSL_SESSION_get_protocol_version(session) != TLS1_3_VERSION)
		tls_session_keep(tls, session, now);
	return session;
}

/*
 * Session resumption from the context's own cache, never from stateless
 * tickets: SSL_OP_NO_TICKET makes TLS 1.3 tickets names of cached
 * sessions, and TLS 1.2 resume by session id. The session id context
 * names the server, so that no session of one integration server is
 * resumed at another even if a cache were shared. OpenSSL's remove
 * callback is not used (see tls_session_keep()).
 */
static int
tls_server_sessions_setup(struct tls_server *tls)
{
	char sid[TLS_SID_CTX_LEN + 1];
	int n;

	n = snprintf(sid, sizeof(sid), "kics-epp:%lld",
	    (long long)tls->server_id);
	if (n < 0 || (size_t)n >= sizeof(sid)) {
		tls_error_set("TLS parameters", "server id too long");
		return -EINVAL;
	}
	if ((tls->sessions = tls_sessions_new(TLS_SESSIONS_MAX)) == NULL) {
		tls_error_set("session cache", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (SSL_CTX_set_session_id_context(tls->ctx, (unsigned char *)sid,
	    (unsigned int)n) != 1 ||
	    SSL_CTX_set_num_tickets(tls->ctx, TLS_TICKETS_PER_HANDSHAKE) != 1)
		return tls_error_take("session cache", -EINVAL);
	(void)SSL_CTX_set_options(tls->ctx, SSL_OP_NO_TICKET);
	(void)SSL_CTX_set_session_cache_mode(tls->ctx, SSL_SESS_CACHE_SERVER |
	    SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR);
	(void)SSL_CTX_set_timeout(tls->ctx, TLS_SESSION_LIFETIME_S);
	SSL_CTX_sess_set_new_cb(tls->ctx, tls_session_new_cb);
	SSL_CTX_sess_set_get_cb(tls->ctx, tls_session_get_cb);
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
	/*
	 * An agent's connection sits idle between reports: give its read
	 * and write buffers (about 33 KB) back while it does, so that 1,000
	 * keep-alive connections fit the memory budget.
	 */
	(void)SSL_CTX_set_mode(tls->ctx, SSL_MODE_RELEASE_BUFFERS);
	(void)SSL_CTX_set_max_send_fragment(tls->ctx, TLS_MAX_SEND_FRAGMENT);
	if ((r = tls_server_sessions_setup(tls)) < 0)
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
	/*
	 * The chain sent after the server certificate, built once here:
	 * left to OpenSSL, it is built from the context's store on every
	 * handshake, verifying the certificates' signatures on the way
	 * (issue 17). It is what that gave: our CA where the store has it
	 * (client verification), otherwise nothing.
	 */
	if (SSL_CTX_build_cert_chain(tls->ctx,
	    SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR |
	    SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR) <= 0) {
		r = tls_error_take("certificate chain", -EINVAL);
		goto out;
	}
	(void)SSL_CTX_set_mode(tls->ctx, SSL_MODE_NO_AUTO_CHAIN);

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
	tls_sessions_free(tls->sessions);
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
