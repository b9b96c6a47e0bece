/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What tls.c shares with the files beside it: its error text and file
 * checks, and the CRL of a context (tls_crl.c).
 */
#ifndef KICS_TLS_PRIVATE_H
#define KICS_TLS_PRIVATE_H

#include <time.h>

#include <openssl/x509.h>

#define TLS_ERROR_TEXT_LEN	512	/* bytes kept for tls_last_error() */

/* Fails with -errno, and says which file, when PATH cannot be read. */
int tls_file_check(const char *what, const char *path);

/*
 * Reads the CRL of CRL_FILE and verifies, once, that the CA in CA_FILE
 * signed it and that it has no critical extension: 0 and *RET_CRL, or a
 * negative errno with an error naming the file.
 */
int tls_crl_load(const char *crl_file, const char *ca_file,
    X509_CRL **ret_crl);

/* The CRL's verdict on client certificate X at NOW, an X509_V_ERR_* code. */
int tls_crl_verdict(X509_CRL *crl, X509 *x, time_t now);

#endif
