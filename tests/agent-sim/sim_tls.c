/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the client TLS context of the simulator: protocol
 * floor, server certificate verification with name or IP check, and the
 * loading of client credentials. The only file of the simulator that
 * includes OpenSSL besides the HTTPS client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sim.h"

struct sim_tls {
	SSL_CTX	*ctx;
	char	*server_name;	/* what the certificate must name */
	bool	 name_is_ip;
};

static char tls_errbuf[256];

const char *
sim_tls_error_text(unsigned long code)
{
	if (code == 0)
		return "";
	ERR_error_string_n(code, tls_errbuf, sizeof(tls_errbuf));
	return tls_errbuf;
}

const char *
sim_tls_last_error(void)
{
	unsigned long code = ERR_get_error();
	const char *text = sim_tls_error_text(code);

	ERR_clear_error();
	return text;
}

static int
file_check(const char *path)
{
	return access(path, R_OK) == 0 ? 0 : -ENOENT;
}

/*
 * Loads a PEM certificate chain and its key into ctx. Kept apart so that
 * a PKCS#12 communication data package (--package, --password-file) can
 * be loaded by a sibling function later.
 */
static int
tls_load_pem_credentials(SSL_CTX *ctx, const char *cert_file,
    const char *key_file)
{
	int r;

	if ((r = file_check(cert_file)) < 0 || (r = file_check(key_file)) < 0)
		return r;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return -EINVAL;
	return 0;
}

#define SIM_PFX_MAX		(256 * 1024)	/* certificates.pfx */
#define SIM_PASSWORD_MAX	1024		/* its password */

/* Reads certificates.pfx out of the zip into a new buffer. */
static int
tls_package_pfx(const char *path, unsigned char **ret_buf, size_t *ret_len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	unsigned char *buf = NULL;
	la_ssize_t n;
	int r = -EINVAL;

	if (a == NULL)
		return -ENOMEM;
	(void)archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 16384) != ARCHIVE_OK) {
		r = -ENOENT;
		goto out;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(e), "certificates.pfx") != 0)
			continue;
		if (archive_entry_size(e) <= 0 ||
		    archive_entry_size(e) > SIM_PFX_MAX)
			goto out;
		if ((buf = malloc((size_t)archive_entry_size(e))) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		n = archive_read_data(a, buf, (size_t)archive_entry_size(e));
		if (n != archive_entry_size(e))
			goto out;
		*ret_buf = buf;
		*ret_len = (size_t)n;
		buf = NULL;
		r = 0;
		break;
	}
out:
	free(buf);
	archive_read_free(a);
	return r;
}

/*
 * Loads a communication data package: the client certificate and key of
 * its PKCS#12, and its CA as the one that verifies the server.
 */
static int
tls_load_package(SSL_CTX *ctx, const char *package, const char *pwfile)
{
	char pass[SIM_PASSWORD_MAX + 2];
	unsigned char *pfx = NULL;
	const unsigned char *p;
	size_t len = 0;
	STACK_OF(X509) *cas = NULL;
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	PKCS12 *p12 = NULL;
	FILE *f;
	int r;

	if ((f = fopen(pwfile, "r")) == NULL)
		return -ENOENT;
	if (fgets(pass, sizeof(pass), f) == NULL)
		pass[0] = '\0';
	(void)fclose(f);
	pass[strcspn(pass, "\r\n")] = '\0';
	if ((r = tls_package_pfx(package, &pfx, &len)) < 0)
		goto out;
	r = -EINVAL;
	p = pfx;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)len)) == NULL ||
	    PKCS12_parse(p12, pass, &key, &cert, &cas) != 1 ||
	    cert == NULL || key == NULL || sk_X509_num(cas) < 1)
		goto out;
	if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto out;
	for (int i = 0; i < sk_X509_num(cas); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(cas, i)) != 1)
			goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	r = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	if (pfx != NULL)
		OPENSSL_cleanse(pfx, len);
	free(pfx);
	PKCS12_free(p12);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(cas, X509_free);
	return r;
}

static int
tls_load_ca(SSL_CTX *ctx, const char *ca_file)
{
	int r;

	if ((r = file_check(ca_file)) < 0)
		return r;
	if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)
		return -EINVAL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return 0;
}

int
sim_tls_new(const struct sim_tls_params *params, struct sim_tls **ret_tls)
{
	struct sim_tls *tls;
	unsigned char addr[16];
	int r = -ENOMEM;

	ERR_clear_error();
	if ((tls = calloc(1, sizeof(*tls))) == NULL)
		return -ENOMEM;
	if ((tls->server_name = strdup(params->server_name)) == NULL)
		goto out;
	tls->name_is_ip = inet_pton(AF_INET, params->server_name, addr) == 1 ||
	    inet_pton(AF_INET6, params->server_name, addr) == 1;
	if ((tls->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto out;
	r = -EINVAL;
	if (SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION) != 1)
		goto out;
	/* 2,000 idle connections: give the 34 KB of buffers back. */
	(void)SSL_CTX_set_mode(tls->ctx, SSL_MODE_RELEASE_BUFFERS);
	/* One read(2) per TLS record rather than header and body apart. */
	SSL_CTX_set_read_ahead(tls->ctx, 1);
	if (params->ca_file != NULL &&
	    (r = tls_load_ca(tls->ctx, params->ca_file)) < 0)
		goto out;
	if (params->ca_file == NULL && params->package_file == NULL)
		SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_NONE, NULL);
	if (params->package_file != NULL &&
	    (r = tls_load_package(tls->ctx, params->package_file,
	    params->password_file)) < 0)
		goto out;
	if (params->cert_file != NULL &&
	    (r = tls_load_pem_credentials(tls->ctx, params->cert_file,
	    params->key_file)) < 0)
		goto out;
	*ret_tls = tls;
	tls = NULL;
	r = 0;
out:
	sim_tls_free(tls);
	return r;
}

void
sim_tls_free(struct sim_tls *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	free(tls->server_name);
	free(tls);
}

struct ssl_st *
sim_tls_ssl_new(struct sim_tls *tls)
{
	X509_VERIFY_PARAM *vp;
	SSL *ssl, *ret = NULL;

	if ((ssl = SSL_new(tls->ctx)) == NULL)
		return NULL;
	vp = SSL_get0_param(ssl);
	if (tls->name_is_ip) {
		/* No SNI for addresses (RFC 6066); check the IP SAN. */
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, tls->server_name) != 1)
			goto out;
	} else {
		if (SSL_set_tlsext_host_name(ssl, tls->server_name) != 1 ||
		    X509_VERIFY_PARAM_set1_host(vp, tls->server_name, 0) != 1)
			goto out;
	}
	ret = ssl;
	ssl = NULL;
out:
	SSL_free(ssl);
	return ret;
}
