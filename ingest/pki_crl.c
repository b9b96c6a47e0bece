/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the PKI's certificate revocation list: signing it,
 * revoking serials, re-signing before nextUpdate and loading crl.pem.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "pki-private.h"
#include "tls.h"

/*
 * Adds to CRL copies of what OLD lists (may be NULL), then SERIAL (may be
 * NULL) revoked at WHEN.
 */
static int
pki_crl_entries_add(X509_CRL *crl, const X509_CRL *old,
    const ASN1_INTEGER *serial, ASN1_TIME *when)
{
	STACK_OF(X509_REVOKED) *entries;
	X509_REVOKED *entry = NULL;
	int i, r = 0;

	entries = old != NULL ? X509_CRL_get_REVOKED((X509_CRL *)old) : NULL;
	for (i = 0; i < sk_X509_REVOKED_num(entries); i++) {
		entry = X509_REVOKED_dup(sk_X509_REVOKED_value(entries, i));
		if (entry == NULL || X509_CRL_add0_revoked(crl, entry) != 1) {
			r = tls_error_take("CRL entry", -ENOMEM);
			goto out;
		}
		entry = NULL;
	}
	if (serial != NULL) {
		if ((entry = X509_REVOKED_new()) == NULL ||
		    X509_REVOKED_set_serialNumber(entry,
		    (ASN1_INTEGER *)serial) != 1 ||
		    X509_REVOKED_set_revocationDate(entry, when) != 1 ||
		    X509_CRL_add0_revoked(crl, entry) != 1) {
			r = tls_error_take("CRL entry", -ENOMEM);
			goto out;
		}
		entry = NULL;
	}
out:
	X509_REVOKED_free(entry);
	return r;
}

/* Sets the cRLNumber of CRL: one more than that of OLD (may be NULL). */
static int
pki_crl_number_set(X509_CRL *crl, const X509_CRL *old)
{
	ASN1_INTEGER *number = NULL, *old_number = NULL;
	BIGNUM *bn = NULL;
	int r = 0;

	if (old != NULL)
		old_number = X509_CRL_get_ext_d2i(old, NID_crl_number, NULL,
		    NULL);
	if ((bn = old_number != NULL ? ASN1_INTEGER_to_BN(old_number, NULL) :
	    BN_new()) == NULL || BN_add_word(bn, 1) != 1 ||
	    (number = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1)
		r = tls_error_take("CRL number", -ENOMEM);
	ASN1_INTEGER_free(number);
	ASN1_INTEGER_free(old_number);
	BN_free(bn);
	return r;
}

/* Adds the CA's key identifier to CRL, sorts its entries and signs it. */
static int
pki_crl_sign(const struct pki *pki, X509_CRL *crl)
{
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	int r = 0;

	X509V3_set_ctx(&v3, pki->ca_cert, NULL, NULL, crl, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &v3,
	    NID_authority_key_identifier, "keyid:always")) == NULL ||
	    X509_CRL_add_ext(crl, ext, -1) != 1) {
		r = tls_error_take("CRL extension", -EIO);
		goto out;
	}
	if (X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, pki->ca_key, EVP_sha256()) <= 0)
		r = tls_error_take("sign CRL", -EIO);
out:
	X509_EXTENSION_free(ext);
	return r;
}

/*
 * Builds and signs a CRL listing what OLD lists (may be NULL) plus SERIAL
 * (may be NULL), valid PKI_CRL_DAYS from NOW_MS.
 */
static int
pki_crl_new(const struct pki *pki, const X509_CRL *old,
    const ASN1_INTEGER *serial, int64_t now_ms, X509_CRL **ret_crl)
{
	ASN1_TIME *last = NULL, *next = NULL;
	X509_CRL *crl = NULL;
	int r;

	if ((crl = X509_CRL_new()) == NULL ||
	    (last = ASN1_TIME_set(NULL, (time_t)(now_ms / 1000))) == NULL ||
	    (next = ASN1_TIME_set(NULL,
	    (time_t)((now_ms + PKI_CRL_DAYS * DAY_MS) / 1000))) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(pki->ca_cert)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, last) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, next) != 1) {
		r = tls_error_take("CRL", -ENOMEM);
		goto out;
	}
	if ((r = pki_crl_entries_add(crl, old, serial, last)) < 0 ||
	    (r = pki_crl_number_set(crl, old)) < 0 ||
	    (r = pki_crl_sign(pki, crl)) < 0)
		goto out;
	*ret_crl = crl;
	crl = NULL;
	r = 0;
out:
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return r;
}

/* Writes CRL to crl.pem and makes it the current one; takes CRL. */
static int
pki_crl_commit(struct pki *pki, X509_CRL *crl)
{
	int r;

	if ((r = pki_pem_write(pki, pki->crl_path, PKI_PEM_CRL, crl)) < 0) {
		X509_CRL_free(crl);
		return r;
	}
	X509_CRL_free(pki->crl);
	pki->crl = crl;
	return 0;
}

int
pki_crl_refresh(struct pki *pki, int64_t now_ms)
{
	X509_CRL *crl = NULL;
	int64_t next_ms;
	int r;

	assert(pki != NULL);
	/* one signed for longer (365 days before issue 11) comes down too */
	if (pki->crl != NULL &&
	    pki_time_to_ms(X509_CRL_get0_nextUpdate(pki->crl), &next_ms) == 0 &&
	    next_ms - now_ms >= PKI_CRL_DAYS * DAY_MS / 2 &&
	    next_ms - now_ms <= PKI_CRL_DAYS * DAY_MS + DAY_MS)
		return 0;
	if ((r = pki_crl_new(pki, pki->crl, NULL, now_ms, &crl)) < 0)
		return r;
	if ((r = pki_crl_commit(pki, crl)) < 0)
		return r;
	return 1;
}

int
pki_crl_load(struct pki *pki, bool fresh, int64_t now_ms)
{
	X509_CRL *crl = NULL;
	void *obj;
	int r;

	r = fresh ? -ENOENT : pki_pem_read(pki->crl_path, PKI_PEM_CRL, &obj);
	if (r == -ENOENT) {
		if ((r = pki_crl_new(pki, NULL, NULL, now_ms, &crl)) < 0)
			return r;
		return pki_crl_commit(pki, crl);
	}
	if (r < 0)
		return r;
	crl = obj;
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(pki->ca_cert)) != 0 ||
	    X509_CRL_verify(crl, pki->ca_key) != 1) {
		char message[PATH_MAX + 64];

		ERR_clear_error();
		X509_CRL_free(crl);
		(void)snprintf(message, sizeof(message), "'%s': not signed by "
		    "this installation's CA", pki->crl_path);
		tls_error_set("CRL file", message);
		return -EINVAL;
	}
	pki->crl = crl;
	return 0;
}

/* Parses 1 to PKI_SERIAL_HEX_MAX hex digits. */
static int
pki_serial_parse(const char *hex, ASN1_INTEGER **ret_serial)
{
	ASN1_INTEGER *serial;
	BIGNUM *bn = NULL;
	size_t i, len;

	len = strnlen(hex, PKI_SERIAL_HEX_MAX + 1);
	if (len == 0 || len > PKI_SERIAL_HEX_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f') ||
		    (hex[i] >= 'A' && hex[i] <= 'F')))
			return -EINVAL;
	if (BN_hex2bn(&bn, hex) != (int)len)
		return tls_error_take("serial", -ENOMEM);
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	if (serial == NULL)
		return tls_error_take("serial", -ENOMEM);
	*ret_serial = serial;
	return 0;
}

int
pki_revoke(struct pki *pki, const char *serial_hex, int64_t now_ms)
{
	ASN1_INTEGER *serial = NULL;
	X509_REVOKED *found;
	X509_CRL *crl = NULL;
	int r;

	assert(pki != NULL);
	if (serial_hex == NULL)
		return -EINVAL;
	if ((r = pki_serial_parse(serial_hex, &serial)) < 0)
		return r;
	if (X509_CRL_get0_by_serial(pki->crl, &found, serial) == 1) {
		r = 0;
		goto out;
	}
	if ((r = pki_crl_new(pki, pki->crl, serial, now_ms, &crl)) < 0)
		goto out;
	r = pki_crl_commit(pki, crl);
out:
	ASN1_INTEGER_free(serial);
	return r;
}

int64_t
pki_crl_next_update_ms(const struct pki *pki)
{
	int64_t next_ms;

	if (pki->crl == NULL ||
	    pki_time_to_ms(X509_CRL_get0_nextUpdate(pki->crl), &next_ms) < 0)
		return 0;
	return next_ms;
}

const char *
pki_crl_path(const struct pki *pki)
{
	return pki->crl_path;
}
