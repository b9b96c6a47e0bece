/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the PKCS#12 bundle of a communication data package:
 * the CA certificate, a client certificate and its key, under a password.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pkcs12.h>

#include "pki-private.h"
#include "tls.h"

/* Parses the PEM of CERT into a certificate and the key that matches it. */
static int
pki_p12_pair_parse(const struct pki_client_cert *cert, X509 **ret_x,
    EVP_PKEY **ret_key)
{
	void *x = NULL, *key = NULL;
	int r;

	if ((r = pki_pem_parse(cert->cert_pem, PKI_PEM_CERT,
	    "client certificate", &x)) < 0 ||
	    (r = pki_pem_parse(cert->key_pem, PKI_PEM_KEY, "client key",
	    &key)) < 0)
		goto out;
	if (EVP_PKEY_eq(X509_get0_pubkey(x), key) != 1) {
		r = tls_error_take("client key does not match", -EINVAL);
		goto out;
	}
	*ret_x = x;
	*ret_key = key;
	x = NULL;
	key = NULL;
out:
	EVP_PKEY_free(key);
	X509_free(x);
	return r;
}

/* The DER of P12 in a buffer the caller frees with free(). */
static int
pki_p12_der(PKCS12 *p12, uint8_t **ret_der, size_t *ret_len)
{
	uint8_t *der, *p;
	int len;

	if ((len = i2d_PKCS12(p12, NULL)) <= 0)
		return tls_error_take("PKCS#12 encoding", -EIO);
	if ((der = malloc((size_t)len)) == NULL)
		return -ENOMEM;
	p = der;
	if (i2d_PKCS12(p12, &p) != len) {
		free(der);
		return tls_error_take("PKCS#12 encoding", -EIO);
	}
	*ret_der = der;
	*ret_len = (size_t)len;
	return 0;
}

int
pki_write_pkcs12(const struct pki *pki, const struct pki_client_cert *cert,
    const char *password, uint8_t **ret_der, size_t *ret_len)
{
	STACK_OF(X509) *cas = NULL;
	PKCS12 *p12 = NULL;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	size_t pw_len;
	int r;

	assert(pki != NULL);
	assert(ret_der != NULL && ret_len != NULL);
	if (cert == NULL || cert->cert_pem == NULL || cert->key_pem == NULL ||
	    password == NULL)
		return -EINVAL;
	pw_len = strnlen(password, PKI_PASSWORD_MAX + 1);
	if (pw_len == 0 || pw_len > PKI_PASSWORD_MAX)
		return -EINVAL;

	if ((r = pki_p12_pair_parse(cert, &x, &key)) < 0)
		goto out;
	if ((cas = sk_X509_new_null()) == NULL ||
	    sk_X509_push(cas, pki->ca_cert) <= 0) {
		r = tls_error_take("PKCS#12", -ENOMEM);
		goto out;
	}
	/*
	 * PBES2 with PBKDF2 (HMAC-SHA-256, OpenSSL 3's default PRF) and
	 * AES-256-CBC for both bags; the default MAC would be SHA-1, so it is
	 * left out here (-1) and added with SHA-256. This is the layout
	 * "openssl pkcs12 -export" of OpenSSL 3 writes, and what Python's
	 * cryptography writes for BestAvailableEncryption: OpenSSL 1.1.1 and
	 * 3.x, cryptography, Java 11+ and Windows 10 1709+ / Server 2019+
	 * (CryptoAPI, certutil) read it; older Windows knows only 3DES and
	 * RC2. Only the count differs from OpenSSL's default (2,048); a
	 * reader that caps counts (.NET's Pkcs12LoaderLimits) may need its
	 * limit raised.
	 */
	if ((p12 = PKCS12_create_ex(password, PKI_CLIENT_NAME, key, x, cas,
	    NID_aes_256_cbc, NID_aes_256_cbc, PKI_PKCS12_ITER, -1, 0, NULL,
	    NULL)) == NULL ||
	    PKCS12_set_mac(p12, password, -1, NULL, 0, PKI_PKCS12_ITER,
	    EVP_sha256()) != 1) {
		r = tls_error_take("PKCS#12", -EIO);
		goto out;
	}
	r = pki_p12_der(p12, ret_der, ret_len);
out:
	PKCS12_free(p12);
	sk_X509_free(cas);	/* the CA certificate stays ours */
	EVP_PKEY_free(key);
	X509_free(x);
	return r;
}
