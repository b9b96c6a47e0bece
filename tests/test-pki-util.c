/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the PKI tests: files and the certificates and CRLs in
 * them, read with OpenSSL directly rather than through ingest/pki*.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "test-pki-util.h"
#include "testutil.h"

char *
path_join(const char *dir, const char *name)
{
	char *p;

	CHECK((p = malloc(strlen(dir) + strlen(name) + 2)) != NULL);
	(void)sprintf(p, "%s/%s", dir, name);
	return p;
}

mode_t
file_mode(const char *path)
{
	struct stat st;

	CHECK(stat(path, &st) == 0);
	return st.st_mode & 07777;
}

void
file_put(const char *path, const void *data, size_t len)
{
	FILE *f;

	CHECK((f = fopen(path, "wb")) != NULL);
	CHECK(fwrite(data, 1, len, f) == len);
	CHECK(fclose(f) == 0);
}

X509 *
cert_load(const char *path)
{
	X509 *x;
	FILE *f;

	CHECK((f = fopen(path, "r")) != NULL);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	(void)fclose(f);
	CHECK(x != NULL);
	return x;
}

X509 *
cert_parse(const char *pem)
{
	BIO *bio;
	X509 *x;

	CHECK((bio = BIO_new_mem_buf(pem, -1)) != NULL);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	CHECK(x != NULL);
	return x;
}

X509_CRL *
crl_load(const char *path)
{
	X509_CRL *crl;
	FILE *f;

	CHECK((f = fopen(path, "r")) != NULL);
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	(void)fclose(f);
	CHECK(crl != NULL);
	return crl;
}

void
sha256_hex(X509 *x, char out[PKI_SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int len = 0, i;

	CHECK(X509_digest(x, EVP_sha256(), md, &len) == 1);
	CHECK_EQ(len, 32);
	for (i = 0; i < len; i++)
		(void)sprintf(out + 2 * i, "%02x", md[i]);
}

int64_t
asn1_ms(const ASN1_TIME *t)
{
	struct tm tm;

	CHECK(ASN1_TIME_to_tm(t, &tm) == 1);
	return (int64_t)timegm(&tm) * 1000;
}

char *
file_slurp(const char *path)
{
	char *s;
	FILE *f;
	size_t n;

	CHECK((s = calloc(1, 65536)) != NULL);
	CHECK((f = fopen(path, "r")) != NULL);
	n = fread(s, 1, 65535, f);
	s[n] = '\0';
	(void)fclose(f);
	return s;
}
