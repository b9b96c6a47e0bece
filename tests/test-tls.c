/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/tls.c: real handshakes over a socketpair between an
 * OpenSSL client and tls_server_ssl_new(), with certificates from pki.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "testutil.h"
#include "tls.h"

#define HANDSHAKE_ROUNDS	1000

/* connect_once() frees the server's SSL without a close_notify */
static bool server_quiet_close;

struct fixture {
	char			*tmp;
	struct pki		*pki;
	struct pki_cert_info	 server;
	struct pki_client_cert	 client;
};

struct outcome {
	bool		 ok;		/* handshake done, data went through */
	long		 verify;	/* server's view of the client cert */
	int		 server_reason;	/* OpenSSL reason of a server failure */
	int		 version;
	char		 cipher[64];
	bool		 reused;
	SSL_SESSION	*session;	/* client's, for resumption */
};

static void
fixture_init(struct fixture *f)
{
	int64_t now = testutil_now_ms();

	memset(f, 0, sizeof(*f));
	f->tmp = testutil_mkdtemp();
	CHECK(pki_open(f->tmp, now, &f->pki) == 1);
	CHECK(pki_server_cert_ensure(f->pki, 1, "127.0.0.1", "localhost", now,
	    &f->server) == 1);
	CHECK_EQ(pki_client_cert_issue(f->pki, 1, now, &f->client), 0);
}

static void
fixture_fini(struct fixture *f)
{
	pki_client_cert_fini(&f->client);
	pki_free(f->pki);
	testutil_rmtree(f->tmp);
	free(f->tmp);
}

static struct tls_server *
server_new(const struct fixture *f, bool verify_client)
{
	struct tls_server_params params = {
		.cert_file = f->server.cert_path,
		.key_file = f->server.key_path,
		.ca_file = pki_ca_cert_path(f->pki),
		.crl_file = pki_crl_path(f->pki),
		.verify_client = verify_client,
	};
	struct tls_server *tls = NULL;

	CHECK_EQ(tls_server_new(&params, &tls), 0);
	CHECK(tls != NULL);
	return tls;
}

/*
 * A client trusting CA_PATH, with the given certificate (or none), TLS
 * versions and TLS 1.2 cipher list (NULL: OpenSSL's default).
 */
static SSL_CTX *
client_new(const char *ca_path, const struct pki_client_cert *cert,
    int min_version, int max_version, const char *ciphers)
{
	EVP_PKEY *key;
	SSL_CTX *ctx;
	BIO *bio;
	X509 *x;

	CHECK((ctx = SSL_CTX_new(TLS_client_method())) != NULL);
	CHECK(SSL_CTX_load_verify_file(ctx, ca_path) == 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	CHECK(SSL_CTX_set_min_proto_version(ctx, min_version) == 1);
	CHECK(SSL_CTX_set_max_proto_version(ctx, max_version) == 1);
	if (ciphers != NULL)
		CHECK(SSL_CTX_set_cipher_list(ctx, ciphers) == 1);
	if (cert != NULL) {
		CHECK((bio = BIO_new_mem_buf(cert->cert_pem, -1)) != NULL);
		CHECK((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL);
		BIO_free(bio);
		CHECK((bio = BIO_new_mem_buf(cert->key_pem, -1)) != NULL);
		CHECK((key = PEM_read_bio_PrivateKey(bio, NULL, NULL,
		    NULL)) != NULL);
		BIO_free(bio);
		CHECK(SSL_CTX_use_certificate(ctx, x) == 1);
		CHECK(SSL_CTX_use_PrivateKey(ctx, key) == 1);
		X509_free(x);
		EVP_PKEY_free(key);
	}
	return ctx;
}

static X509 *
cert_from_pem(const char *pem)
{
	BIO *bio;
	X509 *x;

	CHECK((bio = BIO_new_mem_buf(pem, -1)) != NULL);
	CHECK((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL);
	BIO_free(bio);
	return x;
}

/* One step of a non-blocking handshake: 1 done, 0 again, -1 failed. */
static int
step(SSL *ssl, bool *done)
{
	int r;

	if (*done)
		return 1;
	if ((r = SSL_do_handshake(ssl)) == 1) {
		*done = true;
		return 1;
	}
	r = SSL_get_error(ssl, r);
	return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/*
 * Connects CLIENT to a new SSL of TLS over a socketpair, checking the
 * server certificate for 127.0.0.1, then sends one byte from the server
 * (which also delivers TLS 1.3 session tickets).
 */
static struct outcome
connect_once(struct tls_server *tls, SSL_CTX *client, SSL_SESSION *resume)
{
	struct outcome o;
	bool cdone = false, sdone = false;
	int sv[2], i, rc = 0, rs = 0;
	SSL *s, *c;
	char byte = 0;

	memset(&o, 0, sizeof(o));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
	CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	CHECK((s = tls_server_ssl_new(tls)) != NULL);
	CHECK((c = SSL_new(client)) != NULL);
	CHECK(SSL_set_fd(s, sv[0]) == 1);
	CHECK(SSL_set_fd(c, sv[1]) == 1);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	CHECK(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c),
	    "127.0.0.1") == 1);
	if (resume != NULL)
		CHECK(SSL_set_session(c, resume) == 1);

	ERR_clear_error();
	for (i = 0; i < HANDSHAKE_ROUNDS && !(cdone && sdone); i++) {
		if ((rc = step(c, &cdone)) < 0)
			break;
		ERR_clear_error();
		if ((rs = step(s, &sdone)) < 0) {
			o.server_reason = ERR_GET_REASON(ERR_peek_error());
			break;
		}
	}
	o.verify = SSL_get_verify_result(s);
	if (cdone && sdone) {
		CHECK(SSL_write(s, "k", 1) == 1);
		for (i = 0; i < HANDSHAKE_ROUNDS; i++) {
			int r = SSL_read(c, &byte, 1);

			if (r == 1)
				break;
			if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				break;
		}
		o.ok = byte == 'k';
		o.version = SSL_version(s);
		(void)snprintf(o.cipher, sizeof(o.cipher), "%s",
		    SSL_get_cipher_name(s));
		o.reused = SSL_session_reused(c) == 1;
		/* The client checked the server against the CA and IP. */
		CHECK_EQ(SSL_get_verify_result(c), X509_V_OK);
		/* A clean close keeps the session resumable. */
		(void)SSL_shutdown(c);
		if (!server_quiet_close)
			(void)SSL_shutdown(s);
		o.session = SSL_get1_session(c);
	}
	(void)rc;
	(void)rs;
	ERR_clear_error();
	SSL_free(c);
	SSL_free(s);
	(void)close(sv[0]);
	(void)close(sv[1]);
	return o;
}

static void
test_no_client_verification(void)
{
	struct fixture f;
	struct tls_server *tls;
	struct outcome o, again;
	SSL_CTX *client;

	fixture_init(&f);
	tls = server_new(&f, false);
	client = client_new(pki_ca_cert_path(f.pki), NULL, TLS1_2_VERSION,
	    TLS1_3_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	CHECK(o.ok);
	CHECK_EQ(o.version, TLS1_3_VERSION);

	/* Session tickets are on: the second connection resumes. */
	CHECK(o.session != NULL);
	again = connect_once(tls, client, o.session);
	CHECK(again.ok);
	CHECK(again.reused);
	SSL_SESSION_free(again.session);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);

	/* A client that sends its certificate anyway is fine too. */
	client = client_new(pki_ca_cert_path(f.pki), &f.client,
	    TLS1_2_VERSION, TLS1_3_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	CHECK(o.ok);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);

	tls_server_free(tls);
	tls_server_free(NULL);
	fixture_fini(&f);
}

static void
test_tls12_ciphers(void)
{
	struct fixture f;
	struct tls_server *tls;
	struct outcome o;
	SSL_CTX *client;
	static const char *refused[] = {
		"ECDHE-ECDSA-AES128-SHA",	/* CBC */
		"ECDHE-ECDSA-AES256-SHA384",	/* CBC */
		"AES128-GCM-SHA256",		/* no forward secrecy */
		"DHE-RSA-AES128-GCM-SHA256",	/* finite-field DH */
	};
	size_t i;

	fixture_init(&f);
	tls = server_new(&f, false);
	client = client_new(pki_ca_cert_path(f.pki), NULL, TLS1_2_VERSION,
	    TLS1_2_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	CHECK(o.ok);
	CHECK_EQ(o.version, TLS1_2_VERSION);
	CHECK(strncmp(o.cipher, "ECDHE-ECDSA-", 12) == 0);
	CHECK(strstr(o.cipher, "GCM") != NULL ||
	    strstr(o.cipher, "CHACHA20") != NULL);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);

	client = client_new(pki_ca_cert_path(f.pki), NULL, TLS1_2_VERSION,
	    TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305");
	o = connect_once(tls, client, NULL);
	CHECK(o.ok);
	CHECK(strcmp(o.cipher, "ECDHE-ECDSA-CHACHA20-POLY1305") == 0);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		client = client_new(pki_ca_cert_path(f.pki), NULL,
		    TLS1_2_VERSION, TLS1_2_VERSION, refused[i]);
		o = connect_once(tls, client, NULL);
		CHECK(!o.ok);
		CHECK_EQ(o.server_reason, SSL_R_NO_SHARED_CIPHER);
		SSL_CTX_free(client);
	}

	tls_server_free(tls);
	fixture_fini(&f);
}

static void
test_tls11_refused(void)
{
	struct fixture f;
	struct tls_server *tls;
	struct outcome o;
	SSL_CTX *client;

	fixture_init(&f);
	tls = server_new(&f, false);
	/* Security level 0 so that the client really offers TLS 1.1. */
	client = client_new(pki_ca_cert_path(f.pki), NULL, TLS1_1_VERSION,
	    TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0");
	o = connect_once(tls, client, NULL);
	CHECK(!o.ok);
	CHECK_EQ(o.server_reason, SSL_R_UNSUPPORTED_PROTOCOL);
	SSL_CTX_free(client);
	tls_server_free(tls);
	fixture_fini(&f);
}

static void
test_client_verification(void)
{
	struct fixture f;
	struct tls_server *tls, *reloaded;
	struct outcome o;
	SSL_CTX *client;
	int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
	size_t i;

	fixture_init(&f);
	tls = server_new(&f, true);
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		/* Without a certificate: refused. */
		client = client_new(pki_ca_cert_path(f.pki), NULL,
		    versions[i], versions[i], NULL);
		o = connect_once(tls, client, NULL);
		CHECK(!o.ok);
		CHECK_EQ(o.server_reason,
		    SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
		SSL_CTX_free(client);

		/* With the package's certificate: accepted. */
		client = client_new(pki_ca_cert_path(f.pki), &f.client,
		    versions[i], versions[i], NULL);
		o = connect_once(tls, client, NULL);
		CHECK(o.ok);
		CHECK_EQ(o.version, versions[i]);
		CHECK_EQ(o.verify, X509_V_OK);
		SSL_SESSION_free(o.session);
		SSL_CTX_free(client);
	}

	/* Revoked: a context loaded with the new CRL refuses it. */
	CHECK_EQ(pki_revoke(f.pki, f.client.serial, testutil_now_ms()), 0);
	reloaded = server_new(&f, true);
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		client = client_new(pki_ca_cert_path(f.pki), &f.client,
		    versions[i], versions[i], NULL);
		o = connect_once(reloaded, client, NULL);
		CHECK(!o.ok);
		CHECK_EQ(o.verify, X509_V_ERR_CERT_REVOKED);
		CHECK_EQ(o.server_reason, SSL_R_CERTIFICATE_VERIFY_FAILED);
		SSL_CTX_free(client);
	}
	tls_server_free(reloaded);

	/* Without a CRL file the certificate chain alone decides. */
	{
		struct tls_server_params params = {
			.cert_file = f.server.cert_path,
			.key_file = f.server.key_path,
			.ca_file = pki_ca_cert_path(f.pki),
			.verify_client = true,
		};

		CHECK_EQ(tls_server_new(&params, &reloaded), 0);
		client = client_new(pki_ca_cert_path(f.pki), &f.client,
		    TLS1_2_VERSION, TLS1_3_VERSION, NULL);
		o = connect_once(reloaded, client, NULL);
		CHECK(o.ok);
		SSL_SESSION_free(o.session);
		SSL_CTX_free(client);
		tls_server_free(reloaded);
	}

	tls_server_free(tls);
	fixture_fini(&f);
}

static void
test_other_ca_refused(void)
{
	struct fixture f, other;
	struct tls_server *tls;
	struct outcome o;
	SSL_CTX *client;

	fixture_init(&f);
	fixture_init(&other);
	tls = server_new(&f, true);
	client = client_new(pki_ca_cert_path(f.pki), &other.client,
	    TLS1_2_VERSION, TLS1_3_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	CHECK(!o.ok);
	CHECK(o.verify != X509_V_OK);
	CHECK_EQ(o.server_reason, SSL_R_CERTIFICATE_VERIFY_FAILED);
	SSL_CTX_free(client);

	/* The same client against the other CA's server works. */
	tls_server_free(tls);
	tls = server_new(&other, true);
	client = client_new(pki_ca_cert_path(other.pki), &other.client,
	    TLS1_2_VERSION, TLS1_3_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	CHECK(o.ok);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);

	tls_server_free(tls);
	fixture_fini(&other);
	fixture_fini(&f);
}

static void
test_new_errors(void)
{
	struct fixture f, other;
	struct tls_server_params params;
	struct tls_server *tls = NULL;
	char *junk;
	FILE *fp;

	fixture_init(&f);
	fixture_init(&other);
	CHECK(pki_server_cert_ensure(other.pki, 1, "127.0.0.1", NULL,
	    testutil_now_ms(), &other.server) >= 0);
	CHECK((junk = malloc(strlen(f.tmp) + 16)) != NULL);
	(void)sprintf(junk, "%s/junk.pem", f.tmp);
	CHECK((fp = fopen(junk, "w")) != NULL);
	CHECK(fputs("-----BEGIN CERTIFICATE-----\nnope\n", fp) >= 0);
	CHECK(fclose(fp) == 0);

	memset(&params, 0, sizeof(params));
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);

	params.cert_file = "/nonexistent/server.pem";
	params.key_file = f.server.key_path;
	CHECK_EQ(tls_server_new(&params, &tls), -ENOENT);
	CHECK(strstr(tls_last_error(), "/nonexistent/server.pem") != NULL);

	params.cert_file = junk;
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);
	CHECK(tls_last_error()[0] != '\0');

	/* The key of another server does not match. */
	params.cert_file = f.server.cert_path;
	params.key_file = other.server.key_path;
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);
	CHECK(strstr(tls_last_error(), "match") != NULL);

	params.key_file = junk;
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);

	/* Client verification needs a valid CA, and a valid CRL if given. */
	params.key_file = f.server.key_path;
	params.verify_client = true;
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);
	params.ca_file = "/nonexistent/ca.pem";
	CHECK_EQ(tls_server_new(&params, &tls), -ENOENT);
	params.ca_file = junk;
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);
	params.ca_file = pki_ca_cert_path(f.pki);
	params.crl_file = junk;
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);
	params.crl_file = "/nonexistent/crl.pem";
	CHECK_EQ(tls_server_new(&params, &tls), -ENOENT);
	CHECK(tls == NULL);

	params.crl_file = pki_crl_path(f.pki);
	CHECK_EQ(tls_server_new(&params, &tls), 0);
	tls_server_free(tls);

	free(junk);
	fixture_fini(&other);
	fixture_fini(&f);
}

static struct tls_server *
server_bound_new(const struct fixture *f, int64_t server_id,
    struct tls_peers *peers)
{
	struct tls_server_params params = {
		.cert_file = f->server.cert_path,
		.key_file = f->server.key_path,
		.ca_file = pki_ca_cert_path(f->pki),
		.crl_file = pki_crl_path(f->pki),
		.verify_client = true,
		.server_id = server_id,
		.peers = peers,
	};
	struct tls_server *tls = NULL;

	CHECK_EQ(tls_server_new(&params, &tls), 0);
	return tls;
}

/*
 * A client certificate as packages before issue 11 had it: common name
 * "kics-epp agents of server ID", no subjectAltName, signed by F's CA.
 */
static void
old_style_cert(const struct fixture *f, int64_t id,
    struct pki_client_cert *ret)
{
	char *path, cn[64];
	EVP_PKEY *ca_key, *key;
	X509_NAME *name;
	X509 *ca, *x;
	BIO *bio;
	FILE *fp;
	BUF_MEM *mem;

	CHECK((path = malloc(strlen(f->tmp) + 16)) != NULL);
	(void)sprintf(path, "%s/ca.key", f->tmp);
	CHECK((fp = fopen(path, "r")) != NULL);
	CHECK((ca_key = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) != NULL);
	(void)fclose(fp);
	CHECK((fp = fopen(pki_ca_cert_path(f->pki), "r")) != NULL);
	CHECK((ca = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL);
	(void)fclose(fp);
	free(path);

	CHECK((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) != NULL);
	CHECK((x = X509_new()) != NULL);
	CHECK(X509_set_version(x, X509_VERSION_3) == 1);
	CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242 + id) == 1);
	(void)snprintf(cn, sizeof(cn), "kics-epp agents of server %lld",
	    (long long)id);
	CHECK((name = X509_NAME_new()) != NULL);
	CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (unsigned char *)cn, -1, -1, 0) == 1);
	CHECK(X509_set_subject_name(x, name) == 1);
	X509_NAME_free(name);
	CHECK(X509_set_issuer_name(x, X509_get_subject_name(ca)) == 1);
	CHECK(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL);
	CHECK(X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL);
	CHECK(X509_set_pubkey(x, key) == 1);
	CHECK(X509_sign(x, ca_key, EVP_sha256()) > 0);

	memset(ret, 0, sizeof(*ret));
	CHECK((bio = BIO_new(BIO_s_mem())) != NULL);
	CHECK(PEM_write_bio_X509(bio, x) == 1);
	BIO_get_mem_ptr(bio, &mem);
	CHECK((ret->cert_pem = strndup(mem->data, mem->length)) != NULL);
	BIO_free(bio);
	CHECK((bio = BIO_new(BIO_s_mem())) != NULL);
	CHECK(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) == 1);
	BIO_get_mem_ptr(bio, &mem);
	CHECK((ret->key_pem = strndup(mem->data, mem->length)) != NULL);
	BIO_free(bio);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
}

/*
 * The outcome of CERT (NULL: none) from a new client, TLS 1.2 or 1.3, at
 * TLS, which it frees; the session is not kept.
 */
static struct outcome
connect_fresh(const struct fixture *f, struct tls_server *tls,
    const struct pki_client_cert *cert)
{
	SSL_CTX *client;
	struct outcome o;

	client = client_new(pki_ca_cert_path(f->pki), cert, TLS1_2_VERSION,
	    TLS1_3_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	SSL_SESSION_free(o.session);
	o.session = NULL;
	SSL_CTX_free(client);
	tls_server_free(tls);
	return o;
}

/* The outcome of CERT (NULL: none) at a server bound to SERVER_ID. */
static struct outcome
connect_bound(const struct fixture *f, int64_t server_id,
    const struct pki_client_cert *cert)
{
	return connect_fresh(f, server_bound_new(f, server_id, NULL), cert);
}

/* issue 11: a client certificate works only at its own server. */
static void
test_server_binding(void)
{
	struct pki_client_cert two, old1, old2;
	struct fixture f;
	GENERAL_NAMES *san;
	const GENERAL_NAME *gn;
	struct outcome o;
	X509 *x;

	fixture_init(&f);
	CHECK_EQ(pki_client_cert_issue(f.pki, 2, testutil_now_ms(), &two), 0);

	/* The package's certificate names its server as a URI. */
	x = cert_from_pem(f.client.cert_pem);
	CHECK((san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL)) != NULL);
	CHECK_EQ(sk_GENERAL_NAME_num(san), 1);
	gn = sk_GENERAL_NAME_value(san, 0);
	CHECK_EQ(gn->type, GEN_URI);
	CHECK(strcmp((const char *)ASN1_STRING_get0_data(
	    gn->d.uniformResourceIdentifier), "urn:kics-epp:server:1") == 0);
	GENERAL_NAMES_free(san);
	X509_free(x);

	o = connect_bound(&f, 1, &f.client);
	CHECK(o.ok);
	o = connect_bound(&f, 2, &two);
	CHECK(o.ok);
	o = connect_bound(&f, 2, &f.client);
	CHECK(!o.ok);
	CHECK_EQ(o.verify, X509_V_ERR_APPLICATION_VERIFICATION);
	CHECK_EQ(o.server_reason, SSL_R_CERTIFICATE_VERIFY_FAILED);
	o = connect_bound(&f, 1, &two);
	CHECK(!o.ok);
	CHECK_EQ(o.verify, X509_V_ERR_APPLICATION_VERIFICATION);
	/* An unbound context (0) takes any certificate of the CA. */
	o = connect_bound(&f, 0, &two);
	CHECK(o.ok);

	/* Packages made before: bound by their common name. */
	old_style_cert(&f, 1, &old1);
	old_style_cert(&f, 2, &old2);
	o = connect_bound(&f, 1, &old1);
	CHECK(o.ok);
	o = connect_bound(&f, 1, &old2);
	CHECK(!o.ok);
	CHECK_EQ(o.verify, X509_V_ERR_APPLICATION_VERIFICATION);

	pki_client_cert_fini(&old2);
	pki_client_cert_fini(&old1);
	pki_client_cert_fini(&two);
	fixture_fini(&f);
}

static int tickets_seen;	/* sessions a client got since last reset */

static int
count_ticket_cb(SSL *ssl, SSL_SESSION *session)
{
	(void)ssl;
	(void)session;
	tickets_seen++;
	return 0;	/* OpenSSL keeps the session */
}

/*
 * issue 17: a full TLS 1.3 handshake hands the client one ticket, not
 * OpenSSL's default two, and that ticket still resumes.
 */
static void
test_one_ticket(void)
{
	struct tls_server *tls;
	struct fixture f;
	struct outcome o, again;
	SSL_CTX *client;

	fixture_init(&f);
	tls = server_bound_new(&f, 1, NULL);
	client = client_new(pki_ca_cert_path(f.pki), &f.client,
	    TLS1_3_VERSION, TLS1_3_VERSION, NULL);
	(void)SSL_CTX_set_session_cache_mode(client, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(client, count_ticket_cb);
	tickets_seen = 0;
	o = connect_once(tls, client, NULL);
	CHECK(o.ok && !o.reused && o.session != NULL);
	CHECK_EQ(tickets_seen, 1);
	again = connect_once(tls, client, o.session);
	CHECK(again.ok && again.reused);
	SSL_SESSION_free(again.session);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);
	tls_server_free(tls);
	fixture_fini(&f);
}

/*
 * issue 11: tickets resume at the context that made them only, so none
 * made before a revocation (which reloads the contexts) is resumed, and
 * none crosses to another server.
 */
static void
test_tickets(void)
{
	struct tls_server *tls, *other, *reloaded;
	struct fixture f;
	struct outcome o, again;
	SSL_CTX *client;
	int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
	size_t i;

	fixture_init(&f);
	tls = server_bound_new(&f, 1, NULL);
	other = server_bound_new(&f, 1, NULL);
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		client = client_new(pki_ca_cert_path(f.pki), &f.client,
		    versions[i], versions[i], NULL);
		o = connect_once(tls, client, NULL);
		CHECK(o.ok && !o.reused && o.session != NULL);
		again = connect_once(tls, client, o.session);
		CHECK(again.ok && again.reused);
		SSL_SESSION_free(again.session);
		/* another context has other keys: a full handshake */
		again = connect_once(other, client, o.session);
		CHECK(again.ok && !again.reused);
		SSL_SESSION_free(again.session);
		SSL_SESSION_free(o.session);
		SSL_CTX_free(client);
	}

	/* Revoked: the reloaded context resumes nothing and refuses it. */
	client = client_new(pki_ca_cert_path(f.pki), &f.client,
	    TLS1_3_VERSION, TLS1_3_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	CHECK(o.ok);
	CHECK_EQ(pki_revoke(f.pki, f.client.serial, testutil_now_ms()), 0);
	reloaded = server_bound_new(&f, 1, NULL);
	again = connect_once(reloaded, client, o.session);
	CHECK(!again.ok && !again.reused);
	CHECK_EQ(again.verify, X509_V_ERR_CERT_REVOKED);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);

	tls_server_free(reloaded);
	tls_server_free(other);
	tls_server_free(tls);
	fixture_fini(&f);
}

/*
 * Writes to PATH the CRL of FROM with the last byte of its signature
 * flipped: well formed, named as the CA's, but not signed by it.
 */
static void
crl_write_tampered(const char *from, const char *path)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_CRL *crl;
	FILE *fp;
	int len;

	CHECK((fp = fopen(from, "r")) != NULL);
	CHECK((crl = PEM_read_X509_CRL(fp, NULL, NULL, NULL)) != NULL);
	(void)fclose(fp);
	CHECK((len = i2d_X509_CRL(crl, &der)) > 0);
	X509_CRL_free(crl);
	der[len - 1] ^= 0x01;
	p = der;
	CHECK((crl = d2i_X509_CRL(NULL, &p, len)) != NULL);
	OPENSSL_free(der);
	CHECK((fp = fopen(path, "w")) != NULL);
	CHECK(PEM_write_X509_CRL(fp, crl) == 1);
	CHECK(fclose(fp) == 0);
	X509_CRL_free(crl);
}

/*
 * issue 17: the CRL's signature is verified once, when a context is made,
 * and a CRL that fails is refused there with its file named.
 */
static void
test_crl_checked_at_load(void)
{
	struct tls_server_params params;
	struct tls_server *tls = NULL;
	struct fixture f, other;
	char *bad;

	fixture_init(&f);
	fixture_init(&other);
	CHECK((bad = malloc(strlen(f.tmp) + 16)) != NULL);
	(void)sprintf(bad, "%s/bad-crl.pem", f.tmp);
	crl_write_tampered(pki_crl_path(f.pki), bad);
	params = (struct tls_server_params){
		.cert_file = f.server.cert_path,
		.key_file = f.server.key_path,
		.ca_file = pki_ca_cert_path(f.pki),
		.crl_file = bad,
		.verify_client = true,
	};
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);
	CHECK(tls == NULL);
	CHECK(strstr(tls_last_error(), bad) != NULL);
	CHECK(strstr(tls_last_error(), "signature") != NULL);

	/* The CRL of another CA. */
	params.crl_file = pki_crl_path(other.pki);
	CHECK_EQ(tls_server_new(&params, &tls), -EINVAL);
	CHECK(strstr(tls_last_error(), pki_crl_path(other.pki)) != NULL);
	CHECK(strstr(tls_last_error(), "issuer") != NULL);

	params.crl_file = pki_crl_path(f.pki);
	CHECK_EQ(tls_server_new(&params, &tls), 0);
	tls_server_free(tls);
	free(bad);
	fixture_fini(&other);
	fixture_fini(&f);
}

/*
 * The outcome of F's client certificate at a context loaded with F's CRL,
 * after that CRL was re-signed as if at NOW_MS.
 */
static struct outcome
connect_crl_at(struct fixture *f, int64_t now_ms)
{
	CHECK_EQ(pki_crl_refresh(f->pki, now_ms), 1);
	return connect_fresh(f, server_new(f, true), &f->client);
}

/*
 * A CRL past its nextUpdate (one the daemon could not re-sign), or not
 * yet valid, is loaded but refuses every client certificate, as OpenSSL's
 * own CRL check did: revocation fails closed.
 */
static void
test_crl_dates(void)
{
	int64_t day = 86400000, now = testutil_now_ms();
	struct fixture f;
	struct outcome o;

	fixture_init(&f);
	o = connect_crl_at(&f, now - 40 * day);	/* ended 10 days ago */
	CHECK(!o.ok);
	CHECK_EQ(o.verify, X509_V_ERR_CRL_HAS_EXPIRED);
	CHECK_EQ(o.server_reason, SSL_R_CERTIFICATE_VERIFY_FAILED);
	o = connect_crl_at(&f, now + 20 * day);	/* made in 20 days */
	CHECK(!o.ok);
	CHECK_EQ(o.verify, X509_V_ERR_CRL_NOT_YET_VALID);
	o = connect_crl_at(&f, now);
	CHECK(o.ok);
	CHECK_EQ(o.verify, X509_V_OK);
	fixture_fini(&f);
}

/*
 * issue 17: sessions are resumed from the context's cache, also when the
 * server's connection ended without a close_notify (as evhttp ends them);
 * a TLS 1.3 ticket resumes once, and the resumption hands the next; a
 * TLS 1.2 session id resumes again.
 */
static void
test_resume_from_cache(void)
{
	struct outcome o, again, twice, next;
	struct tls_server *tls;
	struct fixture f;
	SSL_CTX *client;

	fixture_init(&f);
	tls = server_bound_new(&f, 1, NULL);
	server_quiet_close = true;
	client = client_new(pki_ca_cert_path(f.pki), &f.client,
	    TLS1_3_VERSION, TLS1_3_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	CHECK(o.ok && !o.reused && o.session != NULL);
	again = connect_once(tls, client, o.session);
	CHECK(again.ok && again.reused && again.session != NULL);
	twice = connect_once(tls, client, o.session);
	CHECK(twice.ok && !twice.reused);
	next = connect_once(tls, client, again.session);
	CHECK(next.ok && next.reused);
	SSL_SESSION_free(next.session);
	SSL_SESSION_free(twice.session);
	SSL_SESSION_free(again.session);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);

	client = client_new(pki_ca_cert_path(f.pki), &f.client,
	    TLS1_2_VERSION, TLS1_2_VERSION, NULL);
	o = connect_once(tls, client, NULL);
	CHECK(o.ok && !o.reused && o.session != NULL);
	again = connect_once(tls, client, o.session);
	CHECK(again.ok && again.reused);
	twice = connect_once(tls, client, o.session);
	CHECK(twice.ok && twice.reused);
	SSL_SESSION_free(twice.session);
	SSL_SESSION_free(again.session);
	SSL_SESSION_free(o.session);
	SSL_CTX_free(client);
	server_quiet_close = false;
	tls_server_free(tls);
	fixture_fini(&f);
}

/* issue 11: open connections of a revoked certificate are shut down. */
static void
test_peers_close_revoked(void)
{
	struct tls_server *tls, *reloaded;
	struct pki_client_cert two;
	struct tls_peers *peers;
	struct fixture f;
	SSL_CTX *client;
	int sv[2][2];
	SSL *s[2], *c[2];
	bool sdone, cdone;
	char byte;
	size_t k;
	int i;

	fixture_init(&f);
	CHECK_EQ(pki_client_cert_issue(f.pki, 1, testutil_now_ms(), &two), 0);
	CHECK((peers = tls_peers_new()) != NULL);
	tls = server_bound_new(&f, 1, peers);
	for (k = 0; k < 2; k++) {
		client = client_new(pki_ca_cert_path(f.pki),
		    k == 0 ? &f.client : &two, TLS1_2_VERSION, TLS1_3_VERSION,
		    NULL);
		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[k]) == 0);
		CHECK(fcntl(sv[k][0], F_SETFL, O_NONBLOCK) == 0);
		CHECK(fcntl(sv[k][1], F_SETFL, O_NONBLOCK) == 0);
		CHECK((s[k] = tls_server_ssl_new(tls)) != NULL);
		CHECK((c[k] = SSL_new(client)) != NULL);
		SSL_CTX_free(client);
		CHECK(SSL_set_fd(s[k], sv[k][0]) == 1);
		CHECK(SSL_set_fd(c[k], sv[k][1]) == 1);
		SSL_set_accept_state(s[k]);
		SSL_set_connect_state(c[k]);
		sdone = cdone = false;
		for (i = 0; i < HANDSHAKE_ROUNDS && !(sdone && cdone); i++) {
			CHECK(step(c[k], &cdone) >= 0);
			CHECK(step(s[k], &sdone) >= 0);
		}
		CHECK(sdone && cdone);
	}
	/* Nothing revoked: nothing closed. */
	CHECK_EQ(tls_peers_close_revoked(peers, tls), 0);

	CHECK_EQ(pki_revoke(f.pki, f.client.serial, testutil_now_ms()), 0);
	reloaded = server_bound_new(&f, 1, peers);
	tls_server_free(tls);
	CHECK_EQ(tls_peers_close_revoked(peers, reloaded), 1);
	CHECK_EQ(tls_peers_close_revoked(peers, reloaded), 0);
	/* the client of the revoked certificate sees its end at once */
	CHECK(SSL_read(c[0], &byte, 1) <= 0);
	CHECK(SSL_get_error(c[0], 0) != SSL_ERROR_WANT_READ);
	ERR_clear_error();
	/* the other goes on */
	CHECK(SSL_write(s[1], "k", 1) == 1);
	for (i = 0; i < HANDSHAKE_ROUNDS; i++)
		if (SSL_read(c[1], &byte, 1) == 1)
			break;
	CHECK_EQ(byte, 'k');

	/* SSL_free() leaves the set; freeing the set first is fine too. */
	SSL_free(s[0]);
	tls_peers_free(peers);
	SSL_free(s[1]);
	for (k = 0; k < 2; k++) {
		SSL_free(c[k]);
		(void)close(sv[k][0]);
		(void)close(sv[k][1]);
	}
	tls_server_free(reloaded);
	pki_client_cert_fini(&two);
	fixture_fini(&f);
}

int
main(void)
{
	/* as in the daemon: a write to a socket shut down is EPIPE */
	(void)signal(SIGPIPE, SIG_IGN);
	RUN(test_no_client_verification);
	RUN(test_tls12_ciphers);
	RUN(test_tls11_refused);
	RUN(test_client_verification);
	RUN(test_other_ca_refused);
	RUN(test_new_errors);
	RUN(test_server_binding);
	RUN(test_tickets);
	RUN(test_one_ticket);
	RUN(test_peers_close_revoked);
	RUN(test_crl_checked_at_load);
	RUN(test_crl_dates);
	RUN(test_resume_from_cache);
	return 0;
}
