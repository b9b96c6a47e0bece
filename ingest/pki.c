/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the core of the installation's PKI: opening and
 * freeing it, and the small helpers the other pki_*.c files share.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "pki-private.h"

void
pki_hex(const unsigned char *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
pki_time_to_ms(const ASN1_TIME *t, int64_t *ret_ms)
{
	struct tm tm;
	time_t secs;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -EINVAL;
	if ((secs = timegm(&tm)) == (time_t)-1)
		return -EINVAL;
	*ret_ms = (int64_t)secs * 1000;
	return 0;
}

int
pki_path(char out[PKI_PATH_MAX], const char *dir, const char *name)
{
	int n;

	n = snprintf(out, PKI_PATH_MAX, "%s/%s", dir, name);
	if (n < 0 || n >= PKI_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

void
pki_secret_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, len);
	free(s);
}

void
pki_cleanse(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

static int
pki_dir_ensure(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		/* The umask may have narrowed it; make it exactly 0700. */
		if (chmod(dir, 0700) < 0)
			return -errno;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

int
pki_open(const char *dir, int64_t now_ms, struct pki **ret_pki)
{
	struct pki *pki = NULL;
	bool created;
	size_t len;
	int r;

	assert(dir != NULL);
	assert(ret_pki != NULL);
	if ((len = strnlen(dir, PKI_DIR_MAX + 1)) > PKI_DIR_MAX)
		return -ENAMETOOLONG;
	if (len == 0)
		return -EINVAL;
	ERR_clear_error();
	if ((pki = calloc(1, sizeof(*pki))) == NULL)
		return -ENOMEM;
	memcpy(pki->dir, dir, len + 1);
	if ((r = pki_path(pki->ca_cert_path, dir, "ca.pem")) < 0 ||
	    (r = pki_path(pki->ca_key_path, dir, "ca.key")) < 0 ||
	    (r = pki_path(pki->crl_path, dir, "crl.pem")) < 0 ||
	    (r = pki_dir_ensure(dir)) < 0 ||
	    (r = pki_ca_load(pki, now_ms)) < 0)
		goto out;
	created = r == 1;
	if ((r = pki_crl_load(pki, created, now_ms)) < 0 ||
	    (r = pki_crl_refresh(pki, now_ms)) < 0)
		goto out;

	*ret_pki = pki;
	pki = NULL;
	r = created ? 1 : 0;
out:
	pki_free(pki);
	return r;
}

void
pki_free(struct pki *pki)
{
	if (pki == NULL)
		return;
	EVP_PKEY_free(pki->ca_key);	/* clears the key material */
	X509_free(pki->ca_cert);
	X509_CRL_free(pki->crl);
	free(pki);
}
