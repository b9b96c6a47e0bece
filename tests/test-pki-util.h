/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the PKI tests (test-pki.c, test-pki-crl.c): files and
 * the certificates and CRLs in them. Each CHECKs and aborts on failure.
 */
#ifndef KICS_TEST_PKI_UTIL_H
#define KICS_TEST_PKI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/x509.h>

#include "pki.h"

#define DAY_MS		(86400 * (int64_t)1000)

/* "DIR/NAME" in a string the caller frees with free(). */
char *path_join(const char *dir, const char *name);

/* The permission bits of PATH. */
mode_t file_mode(const char *path);

/* Replaces the contents of PATH with LEN bytes of DATA. */
void file_put(const char *path, const void *data, size_t len);

/*
 * Up to 64 KiB of PATH as a NUL-terminated string the caller frees with
 * free().
 */
char *file_slurp(const char *path);

/* The certificate in the PEM file PATH; the caller frees it. */
X509 *cert_load(const char *path);

/* The certificate in the PEM string PEM; the caller frees it. */
X509 *cert_parse(const char *pem);

/* The CRL in the PEM file PATH; the caller frees it. */
X509_CRL *crl_load(const char *path);

/* SHA-256 of X's DER as lowercase hex. */
void sha256_hex(X509 *x, char out[PKI_SHA256_HEX_LEN + 1]);

/* T in milliseconds since the epoch. */
int64_t asn1_ms(const ASN1_TIME *t);

#endif
