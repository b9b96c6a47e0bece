/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the issuing of the PKI's certificates: keys, the
 * certificate builder the CA also uses, server and client certificates.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "pki-private.h"
#include "tls.h"

int
pki_key_new(EVP_PKEY **ret_key)
{
	EVP_PKEY *key;

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return tls_error_take("generate key", -EIO);
	*ret_key = key;
	return 0;
}

int
pki_serial_hex(const ASN1_INTEGER *serial, char out[PKI_SERIAL_HEX_MAX + 1])
{
	BIGNUM *bn = NULL;
	char *hex = NULL;
	size_t i, len;
	int r;

	if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL) {
		r = tls_error_take("serial", -ENOMEM);
		goto out;
	}
	if ((len = strlen(hex)) > PKI_SERIAL_HEX_MAX || hex[0] == '-') {
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i <= len; i++)
		out[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ?
		    hex[i] - 'A' + 'a' : hex[i]);
	r = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return r;
}

int
pki_cert_sha256(const X509 *cert, char out[PKI_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (X509_digest(cert, EVP_sha256(), md, &len) != 1 ||
	    len * 2 != PKI_SHA256_HEX_LEN)
		return tls_error_take("certificate digest", -EIO);
	pki_hex(md, len, out);
	return 0;
}

static int
pki_ext_add(X509 *cert, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int r = 0;

	if ((ext = X509V3_EXT_nconf_nid(NULL, v3, nid, value)) == NULL)
		return tls_error_take("certificate extension", -EIO);
	if (X509_add_ext(cert, ext, -1) != 1)
		r = tls_error_take("certificate extension", -ENOMEM);
	X509_EXTENSION_free(ext);
	return r;
}

static int
pki_cert_extensions(const struct pki *pki, X509 *cert,
    enum pki_cert_kind kind, GENERAL_NAMES *san)
{
	X509V3_CTX v3;
	int r;

	X509V3_set_ctx(&v3, kind == PKI_CERT_CA ? cert : pki->ca_cert, cert,
	    NULL, NULL, 0);
	if (kind == PKI_CERT_CA) {
		if ((r = pki_ext_add(cert, &v3, NID_basic_constraints,
		    "critical,CA:TRUE,pathlen:0")) < 0 ||
		    (r = pki_ext_add(cert, &v3, NID_key_usage,
		    "critical,keyCertSign,cRLSign")) < 0 ||
		    (r = pki_ext_add(cert, &v3, NID_subject_key_identifier,
		    "hash")) < 0)
			return r;
		return 0;
	}
	if ((r = pki_ext_add(cert, &v3, NID_basic_constraints,
	    "critical,CA:FALSE")) < 0 ||
	    (r = pki_ext_add(cert, &v3, NID_key_usage,
	    "critical,digitalSignature")) < 0 ||
	    (r = pki_ext_add(cert, &v3, NID_ext_key_usage,
	    kind == PKI_CERT_SERVER ? "serverAuth" : "clientAuth")) < 0 ||
	    (r = pki_ext_add(cert, &v3, NID_subject_key_identifier,
	    "hash")) < 0 ||
	    (r = pki_ext_add(cert, &v3, NID_authority_key_identifier,
	    "keyid:always")) < 0)
		return r;
	if (san != NULL && X509_add1_ext_i2d(cert, NID_subject_alt_name, san, 0,
	    X509V3_ADD_DEFAULT) != 1)
		return tls_error_take("subjectAltName", -ENOMEM);
	return 0;
}

int
pki_cert_new(const struct pki *pki, enum pki_cert_kind kind, EVP_PKEY *key,
    const char *cn, int64_t now_ms, int64_t not_after_ms, GENERAL_NAMES *san,
    X509 **ret_cert)
{
	X509 *cert = NULL;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	EVP_PKEY *signer;
	int r;

	assert(kind < PKI_CERT_MAX);
	signer = kind == PKI_CERT_CA ? key : pki->ca_key;
	if ((cert = X509_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    (bn = BN_new()) == NULL) {
		r = tls_error_take("X509_new", -ENOMEM);
		goto out;
	}
	/* A positive serial of exactly PKI_SERIAL_BITS random bits. */
	if (BN_rand(bn, PKI_SERIAL_BITS, BN_RAND_TOP_ONE,
	    BN_RAND_BOTTOM_ANY) != 1 ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
		r = tls_error_take("serial", -EIO);
		goto out;
	}
	if (X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(cert, serial) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)PKI_ORGANIZATION, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(cert, name) != 1 ||
	    X509_set_issuer_name(cert, kind == PKI_CERT_CA ? name :
	    X509_get_subject_name(pki->ca_cert)) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(cert),
	    (time_t)((now_ms - PKI_BACKDATE_MS) / 1000)) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert),
	    (time_t)(not_after_ms / 1000)) == NULL ||
	    X509_set_pubkey(cert, key) != 1) {
		r = tls_error_take("certificate", -ENOMEM);
		goto out;
	}
	if ((r = pki_cert_extensions(pki, cert, kind, san)) < 0)
		goto out;
	if (X509_sign(cert, signer, EVP_sha256()) <= 0) {
		r = tls_error_take("sign certificate", -EIO);
		goto out;
	}
	*ret_cert = cert;
	cert = NULL;
	r = 0;
out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(cert);
	return r;
}

/* Letters, digits and inner hyphens, in dot-separated labels. */
static bool
pki_dns_name_valid(const char *name)
{
	size_t len, label = 0;
	const char *p;

	len = strnlen(name, PKI_DNS_NAME_MAX + 1);
	if (len == 0 || len > PKI_DNS_NAME_MAX)
		return false;
	for (p = name; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
		if (*p == '-' && label == 0)
			return false;
		if (++label > PKI_DNS_LABEL_MAX)
			return false;
	}
	return label > 0 && p[-1] != '-';
}

/* Appends IP:NAME when NAME is an IP literal, else DNS:NAME. */
static int
pki_san_add(GENERAL_NAMES *names, const char *name)
{
	unsigned char ip[16];
	GENERAL_NAME *gn = NULL;
	ASN1_STRING *value = NULL;
	int type, r;

	if (inet_pton(AF_INET, name, ip) == 1) {
		type = GEN_IPADD;
		value = ASN1_OCTET_STRING_new();
		r = value != NULL ? ASN1_OCTET_STRING_set(value, ip, 4) : 0;
	} else if (inet_pton(AF_INET6, name, ip) == 1) {
		type = GEN_IPADD;
		value = ASN1_OCTET_STRING_new();
		r = value != NULL ? ASN1_OCTET_STRING_set(value, ip, 16) : 0;
	} else if (pki_dns_name_valid(name)) {
		type = GEN_DNS;
		value = ASN1_IA5STRING_new();
		r = value != NULL ? ASN1_STRING_set(value, name, -1) : 0;
	} else
		return -EINVAL;
	if (r != 1 || (gn = GENERAL_NAME_new()) == NULL) {
		r = tls_error_take("subjectAltName", -ENOMEM);
		goto out;
	}
	GENERAL_NAME_set0_value(gn, type, value);
	value = NULL;
	if (sk_GENERAL_NAME_push(names, gn) <= 0) {
		r = tls_error_take("subjectAltName", -ENOMEM);
		goto out;
	}
	gn = NULL;
	r = 0;
out:
	GENERAL_NAME_free(gn);
	ASN1_STRING_free(value);
	return r;
}

static int
pki_san_new(const char *address, const char *hostname,
    GENERAL_NAMES **ret_names)
{
	GENERAL_NAMES *names;
	int r;

	if ((names = GENERAL_NAMES_new()) == NULL)
		return tls_error_take("subjectAltName", -ENOMEM);
	if ((r = pki_san_add(names, address)) < 0)
		goto out;
	if (hostname != NULL && *hostname != '\0' &&
	    strcmp(hostname, address) != 0) {
		if (!pki_dns_name_valid(hostname)) {
			r = -EINVAL;
			goto out;
		}
		if ((r = pki_san_add(names, hostname)) < 0)
			goto out;
	}
	*ret_names = names;
	names = NULL;
	r = 0;
out:
	GENERAL_NAMES_free(names);
	return r;
}

/* Whether CERT names exactly the names in WANT, in any order. */
static bool
pki_san_equal(const X509 *cert, GENERAL_NAMES *want)
{
	GENERAL_NAMES *have;
	bool equal;
	int i, j;

	if ((have = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return false;
	equal = sk_GENERAL_NAME_num(have) == sk_GENERAL_NAME_num(want);
	for (i = 0; equal && i < sk_GENERAL_NAME_num(want); i++) {
		equal = false;
		for (j = 0; !equal && j < sk_GENERAL_NAME_num(have); j++)
			equal = GENERAL_NAME_cmp(sk_GENERAL_NAME_value(want, i),
			    sk_GENERAL_NAME_value(have, j)) == 0;
	}
	GENERAL_NAMES_free(have);
	return equal;
}

/*
 * Whether the stored server certificate can stay: it matches its key, was
 * issued by our CA, names exactly NAMES and is not due for renewal.
 */
static bool
pki_server_cert_usable(const struct pki *pki, X509 *cert, EVP_PKEY *key,
    GENERAL_NAMES *names, int64_t now_ms)
{
	int64_t not_before_ms, not_after_ms;
	bool usable;

	usable = EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1 &&
	    X509_check_issued(pki->ca_cert, cert) == X509_V_OK &&
	    X509_verify(cert, pki->ca_key) == 1 &&
	    pki_san_equal(cert, names) &&
	    pki_time_to_ms(X509_get0_notBefore(cert), &not_before_ms) == 0 &&
	    pki_time_to_ms(X509_get0_notAfter(cert), &not_after_ms) == 0 &&
	    not_before_ms <= now_ms &&
	    not_after_ms - now_ms >= PKI_RENEW_DAYS * DAY_MS;
	ERR_clear_error();
	return usable;
}

static int
pki_cert_info_fill(X509 *cert, struct pki_cert_info *info)
{
	int r;

	if ((r = pki_time_to_ms(X509_get0_notAfter(cert),
	    &info->not_after_ms)) < 0 ||
	    (r = pki_serial_hex(X509_get0_serialNumber(cert),
	    info->serial)) < 0 ||
	    (r = pki_cert_sha256(cert, info->sha256)) < 0)
		return r;
	return 0;
}

/* Sets the paths of INFO to DIR/server-<SERVER_ID>.pem and .key. */
static int
pki_server_paths(const struct pki *pki, int64_t server_id,
    struct pki_cert_info *info)
{
	char name[64];
	int r;

	(void)snprintf(name, sizeof(name), "server-%lld.pem",
	    (long long)server_id);
	if ((r = pki_path(info->cert_path, pki->dir, name)) < 0)
		return r;
	(void)snprintf(name, sizeof(name), "server-%lld.key",
	    (long long)server_id);
	return pki_path(info->key_path, pki->dir, name);
}

/*
 * Reads the stored pair named in INFO. Returns 0 with both; 1 when a file
 * is missing or not PEM of its type, since such a pair is simply issued
 * again; another negative errno on failure.
 */
static int
pki_server_pair_read(const struct pki_cert_info *info, X509 **ret_cert,
    EVP_PKEY **ret_key)
{
	void *cert = NULL, *key = NULL;
	int r;

	r = pki_pem_read(info->cert_path, PKI_PEM_CERT, &cert);
	if (r == 0)
		r = pki_pem_read(info->key_path, PKI_PEM_KEY, &key);
	ERR_clear_error();
	if (r < 0) {
		X509_free(cert);
		return r == -ENOENT || r == -EINVAL ? 1 : r;
	}
	*ret_cert = cert;
	*ret_key = key;
	return 0;
}

/*
 * Issues a new key and certificate for SERVER_ID naming NAMES and stores
 * them where INFO says. Returns 0 with the certificate, which the caller
 * frees with X509_free().
 */
static int
pki_server_issue(const struct pki *pki, int64_t server_id,
    GENERAL_NAMES *names, int64_t now_ms, const struct pki_cert_info *info,
    X509 **ret_cert)
{
	char cn[PKI_CN_MAX + 1];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int64_t not_after_ms;
	int r;

	not_after_ms = now_ms + PKI_SERVER_DAYS * DAY_MS;
	if (not_after_ms > pki->ca_not_after_ms)
		not_after_ms = pki->ca_not_after_ms;
	(void)snprintf(cn, sizeof(cn), "kics-epp integration server %lld",
	    (long long)server_id);
	/* The key first: a crash in between leaves a mismatch. */
	if ((r = pki_key_new(&key)) < 0 ||
	    (r = pki_cert_new(pki, PKI_CERT_SERVER, key, cn, now_ms,
	    not_after_ms, names, &cert)) < 0 ||
	    (r = pki_pem_write(pki, info->key_path, PKI_PEM_KEY, key)) < 0 ||
	    (r = pki_pem_write(pki, info->cert_path, PKI_PEM_CERT, cert)) < 0)
		goto out;
	*ret_cert = cert;
	cert = NULL;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}

int
pki_server_cert_ensure(struct pki *pki, int64_t server_id,
    const char *address, const char *hostname, int64_t now_ms,
    struct pki_cert_info *ret_info)
{
	struct pki_cert_info info;
	GENERAL_NAMES *names = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	bool issued = false;
	int r;

	assert(pki != NULL);
	assert(ret_info != NULL);
	if (server_id < 0 || address == NULL)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	if ((r = pki_san_new(address, hostname, &names)) < 0 ||
	    (r = pki_server_paths(pki, server_id, &info)) < 0 ||
	    (r = pki_server_pair_read(&info, &cert, &key)) < 0)
		goto out;
	if (r == 1 || !pki_server_cert_usable(pki, cert, key, names, now_ms)) {
		X509_free(cert);
		cert = NULL;
		if ((r = pki_server_issue(pki, server_id, names, now_ms, &info,
		    &cert)) < 0)
			goto out;
		issued = true;
	}
	if ((r = pki_cert_info_fill(cert, &info)) < 0)
		goto out;
	*ret_info = info;
	r = issued ? 1 : 0;
out:
	GENERAL_NAMES_free(names);
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}

/*
 * The subjectAltName of a client certificate: the URI that names its
 * integration server (tls.h), which the listeners check (issue 11).
 */
static int
pki_client_san(int64_t server_id, GENERAL_NAMES **ret_san)
{
	char uri[sizeof(TLS_CLIENT_URI_PREFIX) + 24];
	GENERAL_NAMES *san = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;

	(void)snprintf(uri, sizeof(uri), TLS_CLIENT_URI_PREFIX "%lld",
	    (long long)server_id);
	if ((san = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL ||
	    (ia5 = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(ia5, uri, -1) != 1) {
		ASN1_IA5STRING_free(ia5);
		GENERAL_NAME_free(gn);
		GENERAL_NAMES_free(san);
		return tls_error_take("subjectAltName", -ENOMEM);
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
	if (sk_GENERAL_NAME_push(san, gn) <= 0) {
		GENERAL_NAME_free(gn);
		GENERAL_NAMES_free(san);
		return tls_error_take("subjectAltName", -ENOMEM);
	}
	*ret_san = san;
	return 0;
}

int
pki_client_cert_issue(struct pki *pki, int64_t server_id, int64_t now_ms,
    struct pki_client_cert *ret_cert)
{
	struct pki_client_cert cc;
	char cn[PKI_CN_MAX + 1];
	GENERAL_NAMES *san = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t len;
	int r;

	assert(pki != NULL);
	assert(ret_cert != NULL);
	if (server_id < 0)
		return -EINVAL;
	memset(&cc, 0, sizeof(cc));
	/* the name older listeners, and tls.c for old packages, go by */
	(void)snprintf(cn, sizeof(cn), TLS_CLIENT_CN_PREFIX "%lld",
	    (long long)server_id);
	if ((r = pki_client_san(server_id, &san)) < 0 ||
	    (r = pki_key_new(&key)) < 0 ||
	    (r = pki_cert_new(pki, PKI_CERT_CLIENT, key, cn, now_ms,
	    pki->ca_not_after_ms, san, &cert)) < 0 ||
	    (r = pki_pem_encode(PKI_PEM_CERT, cert, &cc.cert_pem,
	    &len)) < 0 ||
	    (r = pki_pem_encode(PKI_PEM_KEY, key, &cc.key_pem, &len)) < 0 ||
	    (r = pki_serial_hex(X509_get0_serialNumber(cert),
	    cc.serial)) < 0 ||
	    (r = pki_cert_sha256(cert, cc.sha256)) < 0 ||
	    (r = pki_time_to_ms(X509_get0_notAfter(cert),
	    &cc.not_after_ms)) < 0)
		goto out;
	*ret_cert = cc;
	memset(&cc, 0, sizeof(cc));
out:
	pki_client_cert_fini(&cc);
	GENERAL_NAMES_free(san);
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}

void
pki_client_cert_fini(struct pki_client_cert *cert)
{
	if (cert == NULL)
		return;
	if (cert->key_pem != NULL)
		pki_secret_free(cert->key_pem, strlen(cert->key_pem));
	free(cert->cert_pem);
	memset(cert, 0, sizeof(*cert));
}
