/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the PKI's certificate authority: its key and
 * self-signed certificate, created at first start and loaded afterwards.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "pki-private.h"
#include "tls.h"

/*
 * Loads ca.key, or creates it when neither it nor ca.pem exists. Returns 1
 * when created.
 */
static int
pki_ca_key_load(struct pki *pki)
{
	struct stat st;
	void *obj;
	int r;

	if (stat(pki->ca_key_path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
		if ((st.st_mode & 077) != 0)
			return -EPERM;
		if ((r = pki_pem_read(pki->ca_key_path, PKI_PEM_KEY,
		    &obj)) < 0)
			return r;
		pki->ca_key = obj;
		return 0;
	}
	if (errno != ENOENT)
		return -errno;
	/* A certificate without its key cannot sign: never replace it. */
	if (access(pki->ca_cert_path, F_OK) == 0)
		return -ENOENT;
	if ((r = pki_key_new(&pki->ca_key)) < 0 ||
	    (r = pki_pem_write(pki, pki->ca_key_path, PKI_PEM_KEY,
	    pki->ca_key)) < 0)
		return r;
	return 1;
}

/* Loads ca.pem, or creates it for the CA key. Returns 1 when created. */
static int
pki_ca_cert_load(struct pki *pki, int64_t now_ms)
{
	char cn[PKI_CN_MAX + 1], id_hex[17];
	unsigned char id[8];
	void *obj;
	int r;

	r = pki_pem_read(pki->ca_cert_path, PKI_PEM_CERT, &obj);
	if (r == 0) {
		pki->ca_cert = obj;
		if (EVP_PKEY_eq(X509_get0_pubkey(pki->ca_cert),
		    pki->ca_key) != 1 || X509_check_ca(pki->ca_cert) != 1) {
			ERR_clear_error();
			return -EINVAL;
		}
		return 0;
	}
	if (r != -ENOENT)
		return r;
	/* A random id keeps the names of different installations apart. */
	if (RAND_bytes(id, sizeof(id)) != 1)
		return tls_error_take("RAND_bytes", -EIO);
	pki_hex(id, sizeof(id), id_hex);
	(void)snprintf(cn, sizeof(cn), "kics-epp CA %s", id_hex);
	if ((r = pki_cert_new(pki, PKI_CERT_CA, pki->ca_key, cn, now_ms,
	    now_ms + PKI_CA_DAYS * DAY_MS, NULL, &pki->ca_cert)) < 0 ||
	    (r = pki_pem_write(pki, pki->ca_cert_path, PKI_PEM_CERT,
	    pki->ca_cert)) < 0)
		return r;
	return 1;
}

int
pki_ca_load(struct pki *pki, int64_t now_ms)
{
	bool created;
	int r;

	if ((r = pki_ca_key_load(pki)) < 0 ||
	    (r = pki_ca_cert_load(pki, now_ms)) < 0)
		return r;
	created = r == 1;
	if ((r = pki_time_to_ms(X509_get0_notAfter(pki->ca_cert),
	    &pki->ca_not_after_ms)) < 0 ||
	    (r = pki_cert_sha256(pki->ca_cert, pki->ca_sha256)) < 0)
		return r;
	return created ? 1 : 0;
}

const char *
pki_ca_cert_path(const struct pki *pki)
{
	return pki->ca_cert_path;
}

int64_t
pki_ca_not_after_ms(const struct pki *pki)
{
	return pki->ca_not_after_ms;
}

const char *
pki_ca_sha256(const struct pki *pki)
{
	return pki->ca_sha256;
}

const char *
pki_dir(const struct pki *pki)
{
	return pki->dir;
}
