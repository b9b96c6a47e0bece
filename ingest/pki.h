/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The installation's PKI: its CA, the integration servers' certificates,
 * the client certificates of communication data packages and the CRL.
 */
#ifndef KICS_PKI_H
#define KICS_PKI_H

#include <stddef.h>
#include <stdint.h>

/*
 * THREAD SAFETY NOTES: a struct pki belongs to one thread at a time (the
 * key holder). Failures leave the OpenSSL error text in tls_last_error()
 * of the calling thread.
 */

#define PKI_DIR_MAX		1024	/* bytes of the PKI directory path */
#define PKI_PATH_MAX		(PKI_DIR_MAX + 64)	/* a file in it */
#define PKI_SERIAL_HEX_MAX	40	/* 20-octet serial in hex */
#define PKI_SHA256_HEX_LEN	64	/* SHA-256 fingerprint in hex */
#define PKI_PASSWORD_MAX	1024	/* bytes of a PKCS#12 password */

struct pki;

/* One server certificate as stored on disk. */
struct pki_cert_info {
	char	cert_path[PKI_PATH_MAX];	/* PEM certificate */
	char	key_path[PKI_PATH_MAX];		/* PEM key, mode 0600 */
	int64_t	not_after_ms;			/* expiry, ms since epoch */
	char	serial[PKI_SERIAL_HEX_MAX + 1];	/* lowercase hex */
	char	sha256[PKI_SHA256_HEX_LEN + 1];	/* of the DER, lowercase */
};

/* A client certificate for a communication data package. */
struct pki_client_cert {
	char	*cert_pem;			/* NUL-terminated PEM */
	char	*key_pem;			/* NUL-terminated PEM key */
	int64_t	not_after_ms;			/* expiry, ms since epoch */
	char	serial[PKI_SERIAL_HEX_MAX + 1];	/* lowercase hex */
	char	sha256[PKI_SHA256_HEX_LEN + 1];	/* of the DER, lowercase */
};

/*
 * Opens the PKI kept in DIR, creating DIR (mode 0700) if needed. At first
 * start generates the CA (ECDSA P-256 key in DIR/ca.key, mode 0600, and a
 * self-signed certificate valid 10 years in DIR/ca.pem) and an empty CRL
 * in DIR/crl.pem; later starts load them, check that the key matches the
 * certificate and that the CRL is signed by the CA, and re-sign the CRL
 * when its nextUpdate is near (see pki_crl_refresh()).
 * Returns 1 when the CA was created, 0 when it was loaded, each with a
 * PKI the caller frees with pki_free(); -ENAMETOOLONG if DIR is longer
 * than PKI_DIR_MAX, -ENOENT if ca.pem exists without ca.key, -EPERM if
 * ca.key is readable by group or others, -EINVAL if a file is not valid
 * or does not match, -ENOMEM, -EIO or another negative errno from the
 * file system.
 */
int pki_open(const char *dir, int64_t now_ms, struct pki **ret_pki);

/* Frees the PKI and wipes the CA key from memory. NULL-safe. */
void pki_free(struct pki *pki);

/* Path of the CA certificate (PEM); borrowed until pki_free(). */
const char *pki_ca_cert_path(const struct pki *pki);

/* Path of the CRL (PEM); borrowed until pki_free(). */
const char *pki_crl_path(const struct pki *pki);

/* The PKI directory; borrowed for the life of pki. */
const char *pki_dir(const struct pki *pki);

/* Expiry of the CA certificate in milliseconds since the epoch. */
int64_t pki_ca_not_after_ms(const struct pki *pki);

/*
 * SHA-256 fingerprint of the CA certificate's DER as lowercase hex;
 * borrowed until pki_free().
 */
const char *pki_ca_sha256(const struct pki *pki);

/*
 * Makes sure DIR/server-<id>.pem and DIR/server-<id>.key hold a
 * certificate signed by the CA, with subjectAltName IP:ADDRESS (DNS:ADDRESS
 * when ADDRESS is not an IP literal) plus DNS:HOSTNAME (HOSTNAME may be
 * NULL or empty), extendedKeyUsage serverAuth, valid 825 days (never past
 * the CA). A new key and certificate are issued when the files are
 * missing, do not match each other or the CA, name other addresses, or
 * expire within 30 days of NOW_MS. Returns 1 when it issued, 0 when the
 * existing pair was kept, each filling *ret_info; -EINVAL for an invalid
 * id, address or hostname, -ENOMEM, -EIO or a file-system errno.
 */
int pki_server_cert_ensure(struct pki *pki, int64_t server_id,
    const char *address, const char *hostname, int64_t now_ms,
    struct pki_cert_info *ret_info);

/*
 * Issues a client certificate (new ECDSA P-256 key, extendedKeyUsage
 * clientAuth, valid until the CA expires) for the packages of integration
 * server SERVER_ID, which it names in a subjectAltName URI
 * TLS_CLIENT_URI_PREFIX<id> and in its common name (tls.h). Nothing is
 * stored on disk. Returns 0 and fills *ret_cert, which the caller
 * releases with pki_client_cert_fini();
 * -EINVAL for an invalid id, -ENOMEM, -EIO.
 */
int pki_client_cert_issue(struct pki *pki, int64_t server_id,
    int64_t now_ms, struct pki_client_cert *ret_cert);

/* Wipes the key, frees the PEM strings and zeroes CERT. NULL-safe. */
void pki_client_cert_fini(struct pki_client_cert *cert);

/*
 * Overwrites LEN bytes at P with zeros in a way the compiler cannot drop
 * (OPENSSL_cleanse), so that files outside the TLS and PKI files can
 * wipe secrets such as passwords and PKCS#12 data without OpenSSL. P may be
 * NULL when LEN is 0.
 */
void pki_cleanse(void *p, size_t len);

/*
 * Adds the certificate with serial SERIAL_HEX (as in struct
 * pki_client_cert) to the CRL and atomically rewrites DIR/crl.pem. A serial
 * that is already revoked leaves the CRL unchanged. Returns 0, -EINVAL if
 * SERIAL_HEX is not 1 to PKI_SERIAL_HEX_MAX hex digits, -ENOMEM, -EIO or a
 * file-system errno; on error the CRL in memory and on disk is unchanged.
 */
int pki_revoke(struct pki *pki, const char *serial_hex, int64_t now_ms);

/*
 * Re-signs the CRL with a nextUpdate 30 days after NOW_MS when less than
 * half of that is left at NOW_MS (or when its nextUpdate is further ahead
 * than 30 days, as CRLs of earlier versions were). Returns 1 when it
 * re-signed, 0 when not needed, or a negative errno as pki_revoke().
 */
int pki_crl_refresh(struct pki *pki, int64_t now_ms);

/* The CRL's nextUpdate in milliseconds since the epoch; 0 if unknown. */
int64_t pki_crl_next_update_ms(const struct pki *pki);

/*
 * Builds a PKCS#12 with the CA certificate, CERT and its key, encrypted
 * with AES-256-CBC (PBES2, PBKDF2 with HMAC-SHA-256) under PASSWORD (1 to
 * PKI_PASSWORD_MAX bytes) and a SHA-256 MAC. Returns 0 with the DER in
 * *ret_der (*ret_len bytes; the caller frees it with free()); -EINVAL for
 * a bad password or a CERT that does not parse, -ENOMEM, -EIO.
 */
int pki_write_pkcs12(const struct pki *pki,
    const struct pki_client_cert *cert, const char *password,
    uint8_t **ret_der, size_t *ret_len);

#endif
