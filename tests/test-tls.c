/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/tls.c: real handshakes over a socketpair between an
 * OpenSSL client and tls_server_ssl_new(), with certificates from pki.c.
 */
#include <errno.h>
#include <fcntl.h>
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

int
main(void)
{
	RUN(test_no_client_verification);
	RUN(test_tls12_ciphers);
	RUN(test_tls11_refused);
	RUN(test_client_verification);
	RUN(test_other_ca_refused);
	RUN(test_new_errors);
	return 0;
}
