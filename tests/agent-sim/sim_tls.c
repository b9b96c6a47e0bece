/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the client TLS context of the simulator: protocol
 * floor, server certificate verification with name or IP check, and the
 * loading of client credentials. The only file of the simulator that
 * includes OpenSSL besides the HTTPS client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
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
	if (params->ca_file != NULL &&
	    (r = tls_load_ca(tls->ctx, params->ca_file)) < 0)
		goto out;
	if (params->ca_file == NULL)
		SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_NONE, NULL);
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
