/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the CRL of an integration server's context: read
 * and verified against the CA once when the context is made, then
 * consulted by serial on every handshake (tls-private.h).
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "tls-private.h"

/*
 * Whether the CA certificate in CA_FILE whose subject issued CRL signed
 * it: -EINVAL, with an error naming both files, when none did.
 */
static int
tls_crl_signed(X509_CRL *crl, const char *crl_file, const char *ca_file)
{
	char message[TLS_ERROR_TEXT_LEN];
	const char *why = "its issuer is not the CA";
	BIO *bio = NULL;
	X509 *ca = NULL;
	int r = -EINVAL;

	if ((bio = BIO_new_file(ca_file, "r")) == NULL)
		return tls_error_take("CA file", -EIO);
	while (r < 0 && (ca = PEM_read_bio_X509(bio, NULL, NULL,
	    NULL)) != NULL) {
		if (X509_NAME_cmp(X509_get_subject_name(ca),
		    X509_CRL_get_issuer(crl)) == 0) {
			why = "its signature does not verify with the CA's key";
			if (X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1)
				r = 0;
			else if ((X509_get_extension_flags(ca) &
			    EXFLAG_KUSAGE) != 0 &&
			    (X509_get_key_usage(ca) & KU_CRL_SIGN) == 0)
				why = "the CA may not sign CRLs";
		}
		X509_free(ca);
	}
	ERR_clear_error();
	BIO_free(bio);
	if (r < 0) {
		if (snprintf(message, sizeof(message), "'%s': %s in '%s'",
		    crl_file, why, ca_file) < 0)
			message[0] = '\0';
		tls_error_set("CRL file", message);
	}
	return r;
}

/*
 * Reads the CRL of CRL_FILE and verifies, once, that the CA in CA_FILE
 * signed it and that it has no critical extension (no scope, no delta):
 * handshakes then only look up serials in it (tls_crl_verdict()).
 */
int
tls_crl_load(const char *crl_file, const char *ca_file, X509_CRL **ret_crl)
{
	X509_CRL *crl = NULL;
	BIO *bio = NULL;
	int r;

	if ((r = tls_file_check("CRL file", crl_file)) < 0)
		return r;
	if ((bio = BIO_new_file(crl_file, "r")) == NULL) {
		r = tls_error_take("CRL file", -EIO);
		goto out;
	}
	if ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) == NULL) {
		r = tls_error_take("CRL file", -EINVAL);
		goto out;
	}
	if ((r = tls_crl_signed(crl, crl_file, ca_file)) < 0)
		goto out;
	for (int i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		if (X509_EXTENSION_get_critical(X509_CRL_get_ext(crl, i))) {
			char message[TLS_ERROR_TEXT_LEN];

			if (snprintf(message, sizeof(message),
			    "'%s': a critical extension", crl_file) < 0)
				message[0] = '\0';
			tls_error_set("CRL file", message);
			r = -EINVAL;
			goto out;
		}
	}
	*ret_crl = crl;
	crl = NULL;
	r = 0;
out:
	X509_CRL_free(crl);
	BIO_free(bio);
	return r;
}

/*
 * The CRL's verdict on client certificate X at NOW, an X509_V_ERR_* code:
 * what OpenSSL checked under X509_V_FLAG_CRL_CHECK (the CRL of X's
 * issuer, current, not listing X) but for the CRL's signature, verified
 * when it was loaded instead of on every handshake. An expired CRL thus
 * still refuses every client certificate, so that a CRL the daemon could
 * not re-sign fails closed.
 */
int
tls_crl_verdict(X509_CRL *crl, X509 *x, time_t now)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	X509_REVOKED *entry;
	int c;

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_issuer_name(x)) != 0)
		return X509_V_ERR_UNABLE_TO_GET_CRL;
	if ((c = X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &now)) == 0)
		return X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD;
	if (c > 0)
		return X509_V_ERR_CRL_NOT_YET_VALID;
	if (next != NULL && (c = X509_cmp_time(next, &now)) == 0)
		return X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD;
	if (next != NULL && c < 0)
		return X509_V_ERR_CRL_HAS_EXPIRED;
	if (X509_CRL_get0_by_cert(crl, &entry, x) == 1)
		return X509_V_ERR_CERT_REVOKED;
	return X509_V_OK;
}
