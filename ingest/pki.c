/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the installation's PKI: the CA key and certificate,
 * server and client certificates, the CRL and PKCS#12 bundles.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "tls.h"

#define DAY_MS			(86400 * (int64_t)1000)
#define PKI_CA_DAYS		3652	/* ten years */
#define PKI_SERVER_DAYS		825
#define PKI_RENEW_DAYS		30	/* re-issue when fewer days are left */
#define PKI_CRL_DAYS		365	/* nextUpdate; re-signed at half */
#define PKI_BACKDATE_MS		(3600 * (int64_t)1000)	/* clock skew */
#define PKI_SERIAL_BITS		128
#define PKI_PKCS12_ITER		10000	/* PBKDF2 and MAC iterations */
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

struct pki {
	char		 dir[PKI_DIR_MAX + 1];
	char		 ca_cert_path[PKI_PATH_MAX];
	char		 ca_key_path[PKI_PATH_MAX];
	char		 crl_path[PKI_PATH_MAX];
	EVP_PKEY	*ca_key;	/* never leaves this file */
	X509		*ca_cert;
	X509_CRL	*crl;		/* as in crl_path */
	int64_t		 ca_not_after_ms;
	char		 ca_sha256[PKI_SHA256_HEX_LEN + 1];
};

/* Refuses to prompt on a terminal for the password of an encrypted key. */
static int
pki_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static void
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

static int
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

static int
pki_path(char out[PKI_PATH_MAX], const char *dir, const char *name)
{
	int n;

	n = snprintf(out, PKI_PATH_MAX, "%s/%s", dir, name);
	if (n < 0 || n >= PKI_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Flushes a rename in DIR to disk. */
static int
pki_dir_sync(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	(void)close(fd);
	return r;
}

/*
 * Replaces PATH with DATA: a temporary file created with MODE (never any
 * wider, whatever the umask), synced, then renamed over PATH so that
 * readers see the old or the new contents, never a mix.
 */
static int
pki_file_write(const struct pki *pki, const char *path, const void *data,
    size_t len, mode_t mode)
{
	char tmp[PKI_PATH_MAX + 32], suffix[17];
	unsigned char rnd[8];
	const char *p = data;
	bool created = false;
	int fd = -1, n, r;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return tls_error_take("RAND_bytes", -EIO);
	pki_hex(rnd, sizeof(rnd), suffix);
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%s", path, suffix);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	created = true;
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto out;
	}
	while (len > 0) {
		ssize_t w;

		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto out;
	}
	r = close(fd);
	fd = -1;
	if (r < 0 || rename(tmp, path) < 0) {
		r = -errno;
		goto out;
	}
	created = false;
	r = pki_dir_sync(pki->dir);
out:
	if (fd >= 0)
		(void)close(fd);
	if (created)
		(void)unlink(tmp);
	return r;
}

/* Fails with -errno when PATH is absent or unreadable. */
static int
pki_file_check(const char *path)
{
	return access(path, R_OK) == 0 ? 0 : -errno;
}

static int
pki_read_cert(const char *path, X509 **ret_cert)
{
	BIO *bio = NULL;
	X509 *cert;
	int r;

	if ((r = pki_file_check(path)) < 0)
		return r;
	if ((bio = BIO_new_file(path, "r")) == NULL)
		return tls_error_take("open certificate", -EIO);
	if ((cert = PEM_read_bio_X509(bio, NULL, pki_no_password,
	    NULL)) == NULL) {
		r = tls_error_take("read certificate", -EINVAL);
		goto out;
	}
	*ret_cert = cert;
	r = 0;
out:
	BIO_free(bio);
	return r;
}

static int
pki_read_key(const char *path, EVP_PKEY **ret_key)
{
	BIO *bio = NULL;
	EVP_PKEY *key;
	int r;

	if ((r = pki_file_check(path)) < 0)
		return r;
	if ((bio = BIO_new_file(path, "r")) == NULL)
		return tls_error_take("open key", -EIO);
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, pki_no_password,
	    NULL)) == NULL) {
		r = tls_error_take("read key", -EINVAL);
		goto out;
	}
	*ret_key = key;
	r = 0;
out:
	BIO_free(bio);
	return r;
}

static int
pki_read_crl(const char *path, X509_CRL **ret_crl)
{
	BIO *bio = NULL;
	X509_CRL *crl;
	int r;

	if ((r = pki_file_check(path)) < 0)
		return r;
	if ((bio = BIO_new_file(path, "r")) == NULL)
		return tls_error_take("open CRL", -EIO);
	if ((crl = PEM_read_bio_X509_CRL(bio, NULL, pki_no_password,
	    NULL)) == NULL) {
		r = tls_error_take("read CRL", -EINVAL);
		goto out;
	}
	*ret_crl = crl;
	r = 0;
out:
	BIO_free(bio);
	return r;
}

/*
 * Copies what was written to BIO into a NUL-terminated string the caller
 * frees (after OPENSSL_cleanse() when it holds a key).
 */
static int
pki_bio_string(BIO *bio, char **ret_s, size_t *ret_len)
{
	char *data, *s;
	long len;

	if ((len = BIO_get_mem_data(bio, &data)) <= 0)
		return -EIO;
	if ((s = malloc((size_t)len + 1)) == NULL)
		return -ENOMEM;
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	*ret_s = s;
	*ret_len = (size_t)len;
	return 0;
}

static int
pki_cert_pem(X509 *cert, char **ret_pem, size_t *ret_len)
{
	BIO *bio;
	int r;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return tls_error_take("BIO_new", -ENOMEM);
	if (PEM_write_bio_X509(bio, cert) != 1)
		r = tls_error_take("write certificate", -EIO);
	else
		r = pki_bio_string(bio, ret_pem, ret_len);
	BIO_free(bio);
	return r;
}

/* The key as unencrypted PKCS#8 PEM; secure memory wipes the BIO. */
static int
pki_key_pem(EVP_PKEY *key, char **ret_pem, size_t *ret_len)
{
	BIO *bio;
	int r;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return tls_error_take("BIO_new", -ENOMEM);
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) != 1)
		r = tls_error_take("write key", -EIO);
	else
		r = pki_bio_string(bio, ret_pem, ret_len);
	BIO_free(bio);
	return r;
}

static void
pki_secret_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, len);
	free(s);
}

static int
pki_write_cert(const struct pki *pki, const char *path, X509 *cert)
{
	size_t len;
	char *pem = NULL;
	int r;

	if ((r = pki_cert_pem(cert, &pem, &len)) < 0)
		return r;
	r = pki_file_write(pki, path, pem, len, 0644);
	free(pem);
	return r;
}

static int
pki_write_key(const struct pki *pki, const char *path, EVP_PKEY *key)
{
	size_t len = 0;
	char *pem = NULL;
	int r;

	if ((r = pki_key_pem(key, &pem, &len)) < 0)
		return r;
	r = pki_file_write(pki, path, pem, len, 0600);
	pki_secret_free(pem, len);
	return r;
}

static int
pki_key_new(EVP_PKEY **ret_key)
{
	EVP_PKEY *key;

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return tls_error_take("generate key", -EIO);
	*ret_key = key;
	return 0;
}

static int
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

static int
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

/*
 * Builds a certificate for KEY named CN, valid from shortly before NOW_MS
 * to NOT_AFTER_MS, with a random serial, signed by the CA (by KEY itself
 * for PKI_CERT_CA).
 */
static int
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

/*
 * Builds and signs a CRL listing what OLD lists (may be NULL) plus SERIAL
 * (may be NULL), valid PKI_CRL_DAYS from NOW_MS.
 */
static int
pki_crl_new(const struct pki *pki, const X509_CRL *old,
    const ASN1_INTEGER *serial, int64_t now_ms, X509_CRL **ret_crl)
{
	STACK_OF(X509_REVOKED) *entries;
	X509_REVOKED *entry = NULL;
	X509_EXTENSION *ext = NULL;
	ASN1_INTEGER *number = NULL, *old_number = NULL;
	ASN1_TIME *last = NULL, *next = NULL;
	X509_CRL *crl = NULL;
	BIGNUM *bn = NULL;
	X509V3_CTX v3;
	int i, r;

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
		    X509_REVOKED_set_revocationDate(entry, last) != 1 ||
		    X509_CRL_add0_revoked(crl, entry) != 1) {
			r = tls_error_take("CRL entry", -ENOMEM);
			goto out;
		}
		entry = NULL;
	}

	/* cRLNumber: one more than the CRL it replaces. */
	if (old != NULL)
		old_number = X509_CRL_get_ext_d2i(old, NID_crl_number, NULL,
		    NULL);
	if ((bn = old_number != NULL ? ASN1_INTEGER_to_BN(old_number, NULL) :
	    BN_new()) == NULL || BN_add_word(bn, 1) != 1 ||
	    (number = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1) {
		r = tls_error_take("CRL number", -ENOMEM);
		goto out;
	}
	X509V3_set_ctx(&v3, pki->ca_cert, NULL, NULL, crl, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &v3,
	    NID_authority_key_identifier, "keyid:always")) == NULL ||
	    X509_CRL_add_ext(crl, ext, -1) != 1) {
		r = tls_error_take("CRL extension", -EIO);
		goto out;
	}
	if (X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, pki->ca_key, EVP_sha256()) <= 0) {
		r = tls_error_take("sign CRL", -EIO);
		goto out;
	}
	*ret_crl = crl;
	crl = NULL;
	r = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_INTEGER_free(number);
	ASN1_INTEGER_free(old_number);
	BN_free(bn);
	X509_REVOKED_free(entry);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return r;
}

/* Writes CRL to crl.pem and makes it the current one; takes CRL. */
static int
pki_crl_commit(struct pki *pki, X509_CRL *crl)
{
	BIO *bio = NULL;
	char *pem = NULL;
	size_t len;
	int r;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = tls_error_take("BIO_new", -ENOMEM);
		goto out;
	}
	if (PEM_write_bio_X509_CRL(bio, crl) != 1) {
		r = tls_error_take("write CRL", -EIO);
		goto out;
	}
	if ((r = pki_bio_string(bio, &pem, &len)) < 0 ||
	    (r = pki_file_write(pki, pki->crl_path, pem, len, 0644)) < 0)
		goto out;
	X509_CRL_free(pki->crl);
	pki->crl = crl;
	crl = NULL;
out:
	free(pem);
	BIO_free(bio);
	X509_CRL_free(crl);
	return r;
}

int
pki_crl_refresh(struct pki *pki, int64_t now_ms)
{
	X509_CRL *crl = NULL;
	int64_t next_ms;
	int r;

	assert(pki != NULL);
	if (pki->crl != NULL &&
	    pki_time_to_ms(X509_CRL_get0_nextUpdate(pki->crl), &next_ms) == 0 &&
	    next_ms - now_ms >= PKI_CRL_DAYS * DAY_MS / 2)
		return 0;
	if ((r = pki_crl_new(pki, pki->crl, NULL, now_ms, &crl)) < 0)
		return r;
	if ((r = pki_crl_commit(pki, crl)) < 0)
		return r;
	return 1;
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

/*
 * Loads ca.key, or creates it when neither it nor ca.pem exists. Returns 1
 * when created.
 */
static int
pki_ca_key_load(struct pki *pki)
{
	struct stat st;
	int r;

	if (stat(pki->ca_key_path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
		if ((st.st_mode & 077) != 0)
			return -EPERM;
		return pki_read_key(pki->ca_key_path, &pki->ca_key);
	}
	if (errno != ENOENT)
		return -errno;
	/* A certificate without its key cannot sign: never replace it. */
	if (access(pki->ca_cert_path, F_OK) == 0)
		return -ENOENT;
	if ((r = pki_key_new(&pki->ca_key)) < 0 ||
	    (r = pki_write_key(pki, pki->ca_key_path, pki->ca_key)) < 0)
		return r;
	return 1;
}

/* Loads ca.pem, or creates it for the CA key. Returns 1 when created. */
static int
pki_ca_cert_load(struct pki *pki, int64_t now_ms)
{
	char cn[PKI_CN_MAX + 1], id_hex[17];
	unsigned char id[8];
	int r;

	r = pki_read_cert(pki->ca_cert_path, &pki->ca_cert);
	if (r == 0) {
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
	    (r = pki_write_cert(pki, pki->ca_cert_path, pki->ca_cert)) < 0)
		return r;
	return 1;
}

/* Loads crl.pem, or signs a new one when missing or when FRESH is set. */
static int
pki_crl_load(struct pki *pki, bool fresh, int64_t now_ms)
{
	X509_CRL *crl = NULL;
	int r;

	r = fresh ? -ENOENT : pki_read_crl(pki->crl_path, &crl);
	if (r == -ENOENT) {
		if ((r = pki_crl_new(pki, NULL, NULL, now_ms, &crl)) < 0)
			return r;
		return pki_crl_commit(pki, crl);
	}
	if (r < 0)
		return r;
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(pki->ca_cert)) != 0 ||
	    X509_CRL_verify(crl, pki->ca_key) != 1) {
		ERR_clear_error();
		X509_CRL_free(crl);
		return -EINVAL;
	}
	pki->crl = crl;
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
	    (r = pki_ca_key_load(pki)) < 0 ||
	    (r = pki_ca_cert_load(pki, now_ms)) < 0)
		goto out;
	created = r == 1;
	if ((r = pki_time_to_ms(X509_get0_notAfter(pki->ca_cert),
	    &pki->ca_not_after_ms)) < 0 ||
	    (r = pki_cert_sha256(pki->ca_cert, pki->ca_sha256)) < 0 ||
	    (r = pki_crl_load(pki, created, now_ms)) < 0 ||
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

const char *
pki_ca_cert_path(const struct pki *pki)
{
	return pki->ca_cert_path;
}

const char *
pki_crl_path(const struct pki *pki)
{
	return pki->crl_path;
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

int
pki_server_cert_ensure(struct pki *pki, int64_t server_id,
    const char *address, const char *hostname, int64_t now_ms,
    struct pki_cert_info *ret_info)
{
	struct pki_cert_info info;
	GENERAL_NAMES *names = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char name[64], cn[PKI_CN_MAX + 1];
	int64_t not_after_ms;
	bool issued = false;
	int r;

	assert(pki != NULL);
	assert(ret_info != NULL);
	if (server_id < 0 || address == NULL)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	if ((r = pki_san_new(address, hostname, &names)) < 0)
		goto out;
	(void)snprintf(name, sizeof(name), "server-%lld.pem",
	    (long long)server_id);
	if ((r = pki_path(info.cert_path, pki->dir, name)) < 0)
		goto out;
	(void)snprintf(name, sizeof(name), "server-%lld.key",
	    (long long)server_id);
	if ((r = pki_path(info.key_path, pki->dir, name)) < 0)
		goto out;

	/* Missing or unreadable-as-PEM files are simply issued again. */
	r = pki_read_cert(info.cert_path, &cert);
	if (r == 0)
		r = pki_read_key(info.key_path, &key);
	if (r < 0 && r != -ENOENT && r != -EINVAL)
		goto out;
	ERR_clear_error();
	if (r < 0 || !pki_server_cert_usable(pki, cert, key, names, now_ms)) {
		X509_free(cert);
		cert = NULL;
		EVP_PKEY_free(key);
		key = NULL;
		not_after_ms = now_ms + PKI_SERVER_DAYS * DAY_MS;
		if (not_after_ms > pki->ca_not_after_ms)
			not_after_ms = pki->ca_not_after_ms;
		(void)snprintf(cn, sizeof(cn),
		    "kics-epp integration server %lld", (long long)server_id);
		/* The key first: a crash in between leaves a mismatch. */
		if ((r = pki_key_new(&key)) < 0 ||
		    (r = pki_cert_new(pki, PKI_CERT_SERVER, key, cn, now_ms,
		    not_after_ms, names, &cert)) < 0 ||
		    (r = pki_write_key(pki, info.key_path, key)) < 0 ||
		    (r = pki_write_cert(pki, info.cert_path, cert)) < 0)
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

int
pki_client_cert_issue(struct pki *pki, int64_t server_id, int64_t now_ms,
    struct pki_client_cert *ret_cert)
{
	struct pki_client_cert cc;
	char cn[PKI_CN_MAX + 1];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t cert_len, key_len = 0;
	int r;

	assert(pki != NULL);
	assert(ret_cert != NULL);
	if (server_id < 0)
		return -EINVAL;
	memset(&cc, 0, sizeof(cc));
	(void)snprintf(cn, sizeof(cn), "kics-epp agents of server %lld",
	    (long long)server_id);
	if ((r = pki_key_new(&key)) < 0 ||
	    (r = pki_cert_new(pki, PKI_CERT_CLIENT, key, cn, now_ms,
	    pki->ca_not_after_ms, NULL, &cert)) < 0 ||
	    (r = pki_cert_pem(cert, &cc.cert_pem, &cert_len)) < 0 ||
	    (r = pki_key_pem(key, &cc.key_pem, &key_len)) < 0 ||
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

void
pki_cleanse(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
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

int
pki_write_pkcs12(const struct pki *pki, const struct pki_client_cert *cert,
    const char *password, uint8_t **ret_der, size_t *ret_len)
{
	STACK_OF(X509) *cas = NULL;
	PKCS12 *p12 = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	uint8_t *der = NULL, *p;
	size_t pw_len;
	int len, r;

	assert(pki != NULL);
	assert(ret_der != NULL && ret_len != NULL);
	if (cert == NULL || cert->cert_pem == NULL || cert->key_pem == NULL ||
	    password == NULL)
		return -EINVAL;
	pw_len = strnlen(password, PKI_PASSWORD_MAX + 1);
	if (pw_len == 0 || pw_len > PKI_PASSWORD_MAX)
		return -EINVAL;

	if ((bio = BIO_new_mem_buf(cert->cert_pem, -1)) == NULL) {
		r = tls_error_take("BIO_new", -ENOMEM);
		goto out;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, pki_no_password,
	    NULL)) == NULL) {
		r = tls_error_take("client certificate", -EINVAL);
		goto out;
	}
	BIO_free(bio);
	if ((bio = BIO_new_mem_buf(cert->key_pem, -1)) == NULL) {
		r = tls_error_take("BIO_new", -ENOMEM);
		goto out;
	}
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, pki_no_password,
	    NULL)) == NULL) {
		r = tls_error_take("client key", -EINVAL);
		goto out;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(x), key) != 1) {
		r = tls_error_take("client key does not match", -EINVAL);
		goto out;
	}
	if ((cas = sk_X509_new_null()) == NULL ||
	    sk_X509_push(cas, pki->ca_cert) <= 0) {
		r = tls_error_take("PKCS#12", -ENOMEM);
		goto out;
	}
	/*
	 * PBES2 with PBKDF2 and AES-256-CBC for both bags; the default MAC
	 * would be SHA-1, so it is left out here (-1) and added with SHA-256.
	 */
	if ((p12 = PKCS12_create_ex(password, PKI_CLIENT_NAME, key, x, cas,
	    NID_aes_256_cbc, NID_aes_256_cbc, PKI_PKCS12_ITER, -1, 0, NULL,
	    NULL)) == NULL ||
	    PKCS12_set_mac(p12, password, -1, NULL, 0, PKI_PKCS12_ITER,
	    EVP_sha256()) != 1) {
		r = tls_error_take("PKCS#12", -EIO);
		goto out;
	}
	if ((len = i2d_PKCS12(p12, NULL)) <= 0) {
		r = tls_error_take("PKCS#12 encoding", -EIO);
		goto out;
	}
	if ((der = malloc((size_t)len)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	p = der;
	if (i2d_PKCS12(p12, &p) != len) {
		r = tls_error_take("PKCS#12 encoding", -EIO);
		goto out;
	}
	*ret_der = der;
	*ret_len = (size_t)len;
	der = NULL;
	r = 0;
out:
	free(der);
	PKCS12_free(p12);
	sk_X509_free(cas);	/* the CA certificate stays ours */
	EVP_PKEY_free(key);
	X509_free(x);
	BIO_free(bio);
	return r;
}
