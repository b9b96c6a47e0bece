/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the PKI files (pki.c and pki_*.c) share: struct pki, the validity
 * periods and the functions one of them provides to the others.
 */
#ifndef KICS_PKI_PRIVATE_H
#define KICS_PKI_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"

/*
 * Every function here follows pki.h: it belongs to the thread that owns
 * the struct pki, and an OpenSSL failure leaves its text in
 * tls_last_error().
 */

#define DAY_MS			(86400 * (int64_t)1000)
#define PKI_CA_DAYS		3652	/* ten years */
#define PKI_SERVER_DAYS		825
#define PKI_RENEW_DAYS		30	/* re-issue when fewer days are left */
/*
 * The CRL's nextUpdate is PKI_CRL_DAYS ahead; the daemon re-signs it when
 * less than half is left (its certificate check runs every few hours), so
 * a running daemon never lets it expire, and a stopped one re-signs it at
 * start. Short, so that a copy taken away stops being current soon.
 */
#define PKI_CRL_DAYS		30
#define PKI_BACKDATE_MS		(3600 * (int64_t)1000)	/* clock skew */
#define PKI_SERIAL_BITS		128
/*
 * PBKDF2 and MAC iterations of the package's PKCS#12: OWASP's 2023 figure
 * for PBKDF2-HMAC-SHA-256. The MAC (PKCS#12 KDF with SHA-256) gets the
 * same count, since a weaker MAC would be the cheaper way to test guesses
 * of the password. Costs about a second to write and to open.
 */
#define PKI_PKCS12_ITER		600000
#define PKI_DNS_NAME_MAX	253
#define PKI_DNS_LABEL_MAX	63
#define PKI_CN_MAX		64	/* ub-common-name */

#define PKI_ORGANIZATION	"kics-epp"
#define PKI_CLIENT_NAME		"kics-epp client"	/* PKCS#12 name */

enum pki_cert_kind {
	PKI_CERT_CA,
	PKI_CERT_SERVER,
	PKI_CERT_CLIENT,
	PKI_CERT_MAX
};

/* The objects kept as PEM, and the OpenSSL type each is read into. */
enum pki_pem_type {
	PKI_PEM_CERT,		/* X509, file mode 0644 */
	PKI_PEM_KEY,		/* EVP_PKEY, unencrypted PKCS#8, mode 0600 */
	PKI_PEM_CRL,		/* X509_CRL, mode 0644 */
	PKI_PEM_MAX
};

struct pki {
	char		 dir[PKI_DIR_MAX + 1];
	char		 ca_cert_path[PKI_PATH_MAX];
	char		 ca_key_path[PKI_PATH_MAX];
	char		 crl_path[PKI_PATH_MAX];
	EVP_PKEY	*ca_key;	/* never leaves the PKI files */
	X509		*ca_cert;
	X509_CRL	*crl;		/* as in crl_path */
	int64_t		 ca_not_after_ms;
	char		 ca_sha256[PKI_SHA256_HEX_LEN + 1];
};

/* pki.c: the core */

/*
 * Writes LEN bytes of DATA as 2 * LEN lowercase hex digits and a NUL to
 * OUT, which must hold them. Cannot fail.
 */
void pki_hex(const unsigned char *data, size_t len, char *out);

/*
 * Converts T to milliseconds since the epoch. Returns 0 and sets *RET_MS;
 * -EINVAL when T is NULL or not a valid time.
 */
int pki_time_to_ms(const ASN1_TIME *t, int64_t *ret_ms);

/*
 * Writes "DIR/NAME" to OUT. Returns 0; -ENAMETOOLONG when it does not fit,
 * leaving OUT truncated.
 */
int pki_path(char out[PKI_PATH_MAX], const char *dir, const char *name);

/*
 * Replaces PATH (in DIR) with DATA: a temporary file created with MODE
 * (never any wider, whatever the umask), synced, then renamed over PATH
 * so that readers see the old or the new contents, never a mix. Returns
 * 0 or a negative errno with PATH unchanged.
 */
int pki_file_write(const char *dir, const char *path, const char *data,
    size_t len, mode_t mode);

/* Wipes LEN bytes of S (OPENSSL_cleanse) and frees it. NULL-safe. */
void pki_secret_free(char *s, size_t len);

/* pki_pem.c: PEM files and strings */

/*
 * The one PEM reader for files: decodes the first object of TYPE in PATH
 * (an encrypted key is refused, never prompted for). Returns 0 and a new
 * object of the type enum pki_pem_type names in *RET_OBJ, which the caller
 * frees with its OpenSSL free function; -ENOENT (or another errno) when
 * PATH cannot be read, -EINVAL when it holds no such object (garbage, or
 * PEM of another type), -EIO, -ENOMEM.
 */
int pki_pem_read(const char *path, enum pki_pem_type type, void **ret_obj);

/*
 * As pki_pem_read(), from the NUL-terminated string PEM; WHAT names the
 * object in the error text. Returns 0 and a new object in *RET_OBJ;
 * -EINVAL when PEM holds no object of TYPE, -ENOMEM.
 */
int pki_pem_parse(const char *pem, enum pki_pem_type type, const char *what,
    void **ret_obj);

/*
 * Encodes OBJ, of the type TYPE names, as PEM (a key as unencrypted
 * PKCS#8). Returns 0 with a NUL-terminated string in *RET_PEM (*RET_LEN
 * bytes before the NUL) that the caller frees with free(), for a key with
 * pki_secret_free(); -ENOMEM or -EIO.
 */
int pki_pem_encode(enum pki_pem_type type, const void *obj, char **ret_pem,
    size_t *ret_len);

/*
 * The one PEM writer for files: atomically replaces PATH with OBJ as PEM,
 * with mode 0600 for a key and 0644 otherwise whatever the umask, and
 * syncs it and the PKI directory. Returns 0; -ENOMEM, -EIO or a
 * file-system errno, with PATH unchanged.
 */
int pki_pem_write(const struct pki *pki, const char *path,
    enum pki_pem_type type, const void *obj);

/* pki_issue.c: keys and certificates */

/*
 * Generates an ECDSA P-256 key. Returns 0 with a key the caller frees with
 * EVP_PKEY_free(); -EIO.
 */
int pki_key_new(EVP_PKEY **ret_key);

/*
 * Builds a certificate of KIND for KEY named CN, valid from shortly before
 * NOW_MS to NOT_AFTER_MS, with a random PKI_SERIAL_BITS serial and SAN (may
 * be NULL; not taken), signed by the CA of PKI; a PKI_CERT_CA is signed by
 * KEY itself, so PKI's CA key and certificate may still be unset. Returns
 * 0 with a certificate the caller frees with X509_free(); -ENOMEM or -EIO.
 */
int pki_cert_new(const struct pki *pki, enum pki_cert_kind kind,
    EVP_PKEY *key, const char *cn, int64_t now_ms, int64_t not_after_ms,
    GENERAL_NAMES *san, X509 **ret_cert);

/*
 * Writes SERIAL as lowercase hex to OUT. Returns 0; -EINVAL when it is
 * negative or longer than PKI_SERIAL_HEX_MAX digits, -ENOMEM. OUT is
 * written only on success.
 */
int pki_serial_hex(const ASN1_INTEGER *serial,
    char out[PKI_SERIAL_HEX_MAX + 1]);

/*
 * Writes the SHA-256 of CERT's DER as lowercase hex to OUT. Returns 0;
 * -EIO, with OUT unchanged.
 */
int pki_cert_sha256(const X509 *cert, char out[PKI_SHA256_HEX_LEN + 1]);

/* pki_ca.c: the CA */

/*
 * Loads the CA key and certificate of PKI (paths and directory set), or
 * creates them when neither exists, and fills ca_not_after_ms and
 * ca_sha256. Returns 1 when created, 0 when loaded; otherwise a negative
 * errno as pki_open(), possibly with ca_key or ca_cert set for pki_free()
 * to release.
 */
int pki_ca_load(struct pki *pki, int64_t now_ms);

/* pki_crl.c: the CRL */

/*
 * Loads crl.pem into PKI, checking that the CA signed it, or signs and
 * writes an empty one when it is missing or FRESH is set (a new CA).
 * Returns 0; -EINVAL when the file is not a CRL of this CA, -ENOMEM, -EIO
 * or a file-system errno, with PKI's CRL unset.
 */
int pki_crl_load(struct pki *pki, bool fresh, int64_t now_ms);

#endif
