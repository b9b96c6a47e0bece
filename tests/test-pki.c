/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/pki*.c on real files: the CA, server and client
 * certificates, renewal and the PEM reader's failures. The CRL and
 * PKCS#12 bundles are in test-pki-crl.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "test-pki-util.h"
#include "testutil.h"
#include "tls.h"

#define PASSWORD	"correct horse battery staple"

static void
serial_hex(X509 *x, char out[PKI_SERIAL_HEX_MAX + 1])
{
	BIGNUM *bn;
	char *hex;
	size_t i;

	CHECK((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) !=
	    NULL);
	CHECK((hex = BN_bn2hex(bn)) != NULL);
	CHECK(strlen(hex) <= PKI_SERIAL_HEX_MAX);
	for (i = 0; hex[i] != '\0'; i++)
		out[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ?
		    hex[i] - 'A' + 'a' : hex[i]);
	out[i] = '\0';
	OPENSSL_free(hex);
	BN_free(bn);
}

/* X509_verify_cert against the CA file at time NOW_MS for PURPOSE. */
static int
cert_verify(const char *ca_path, X509 *x, int64_t now_ms, int purpose)
{
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	X509 *ca;
	int ok;

	ca = cert_load(ca_path);
	CHECK((store = X509_STORE_new()) != NULL);
	CHECK(X509_STORE_add_cert(store, ca) == 1);
	CHECK((ctx = X509_STORE_CTX_new()) != NULL);
	CHECK(X509_STORE_CTX_init(ctx, store, x, NULL) == 1);
	X509_STORE_CTX_set_time(ctx, 0, (time_t)(now_ms / 1000));
	CHECK(X509_STORE_CTX_set_purpose(ctx, purpose) == 1);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	return ok;
}

static void
test_ca_create_reopen(void)
{
	char *tmp, *dir, *key, *pem, *crl_path;
	char sha[PKI_SHA256_HEX_LEN + 1];
	struct pki *pki = NULL;
	int64_t now = testutil_now_ms(), not_after;
	X509_EXTENSION *ext;
	BIGNUM *bn;
	mode_t old_umask;
	X509 *ca;
	X509_CRL *crl;
	int i;

	tmp = testutil_mkdtemp();
	dir = path_join(tmp, "pki");
	key = path_join(dir, "ca.key");
	pem = path_join(dir, "ca.pem");
	crl_path = path_join(dir, "crl.pem");

	/* A permissive umask must not widen the modes. */
	old_umask = umask(0);
	CHECK_EQ(pki_open(dir, now, &pki), 1);
	(void)umask(old_umask);
	CHECK(pki != NULL);
	CHECK_EQ(file_mode(dir), 0700);
	CHECK_EQ(file_mode(key), 0600);
	CHECK_EQ(file_mode(pem), 0644);
	CHECK(strcmp(pki_ca_cert_path(pki), pem) == 0);
	CHECK(strcmp(pki_crl_path(pki), crl_path) == 0);
	CHECK_EQ(strlen(pki_ca_sha256(pki)), PKI_SHA256_HEX_LEN);
	(void)snprintf(sha, sizeof(sha), "%s", pki_ca_sha256(pki));
	not_after = pki_ca_not_after_ms(pki);
	CHECK(not_after > now + 3650 * DAY_MS);
	CHECK(not_after <= now + 3653 * DAY_MS);

	/* The certificate on disk is what the accessors describe. */
	ca = cert_load(pem);
	{
		char want[PKI_SHA256_HEX_LEN + 1];

		sha256_hex(ca, want);
		CHECK(strcmp(want, sha) == 0);
	}
	CHECK_EQ(asn1_ms(X509_get0_notAfter(ca)), not_after);
	CHECK_EQ(X509_check_ca(ca), 1);
	CHECK((X509_get_key_usage(ca) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ==
	    (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
	CHECK(X509_get0_subject_key_id(ca) != NULL);
	CHECK((i = X509_get_ext_by_NID(ca, NID_basic_constraints, -1)) >= 0);
	CHECK((ext = X509_get_ext(ca, i)) != NULL);
	CHECK_EQ(X509_EXTENSION_get_critical(ext), 1);
	CHECK_EQ(X509_verify(ca, X509_get0_pubkey(ca)), 1);
	CHECK_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(ca)), EVP_PKEY_EC);
	CHECK((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(ca), NULL)) !=
	    NULL);
	CHECK_EQ(BN_num_bits(bn), 128);
	BN_free(bn);

	/* An empty CRL signed by the CA. */
	crl = crl_load(crl_path);
	CHECK_EQ(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	CHECK(X509_CRL_get_REVOKED(crl) == NULL ||
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) == 0);
	CHECK(asn1_ms(X509_CRL_get0_nextUpdate(crl)) > now + 29 * DAY_MS);
	X509_CRL_free(crl);
	X509_free(ca);
	pki_free(pki);

	/* The second start loads the same CA. */
	pki = NULL;
	CHECK_EQ(pki_open(dir, now + 1000, &pki), 0);
	CHECK(strcmp(pki_ca_sha256(pki), sha) == 0);
	CHECK_EQ(pki_ca_not_after_ms(pki), not_after);
	pki_free(pki);
	pki_free(NULL);

	testutil_rmtree(tmp);
	free(crl_path);
	free(pem);
	free(key);
	free(dir);
	free(tmp);
}

static void
test_open_errors(void)
{
	char *tmp, *dir, *other, *key, *other_key, *crl, *file;
	char long_dir[PKI_DIR_MAX + 2];
	struct pki *pki = NULL, *p2 = NULL;
	int64_t now = testutil_now_ms();
	FILE *f;
	char buf[4096];
	size_t n;

	tmp = testutil_mkdtemp();
	dir = path_join(tmp, "a");
	other = path_join(tmp, "b");
	key = path_join(dir, "ca.key");
	other_key = path_join(other, "ca.key");
	crl = path_join(dir, "crl.pem");
	file = path_join(tmp, "plain");

	CHECK_EQ(pki_open("", now, &pki), -EINVAL);
	memset(long_dir, 'x', sizeof(long_dir) - 1);
	long_dir[sizeof(long_dir) - 1] = '\0';
	CHECK_EQ(pki_open(long_dir, now, &pki), -ENAMETOOLONG);
	file_put(file, "x", 1);
	CHECK_EQ(pki_open(file, now, &pki), -ENOTDIR);
	CHECK(pki == NULL);

	CHECK_EQ(pki_open(dir, now, &pki), 1);
	pki_free(pki);
	pki = NULL;
	CHECK_EQ(pki_open(other, now, &p2), 1);
	pki_free(p2);

	/* A group-readable CA key is refused. */
	CHECK(chmod(key, 0640) == 0);
	CHECK_EQ(pki_open(dir, now, &pki), -EPERM);
	CHECK(chmod(key, 0600) == 0);

	/* A CRL that is not PEM. */
	CHECK((f = fopen(crl, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf), f);
	(void)fclose(f);
	file_put(crl, "garbage\n", 8);
	CHECK_EQ(pki_open(dir, now, &pki), -EINVAL);
	file_put(crl, buf, n);
	CHECK_EQ(pki_open(dir, now, &pki), 0);
	pki_free(pki);
	pki = NULL;

	/* Another installation's key does not match ca.pem. */
	CHECK((f = fopen(key, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf), f);
	(void)fclose(f);
	CHECK(rename(other_key, key) == 0);
	CHECK_EQ(pki_open(dir, now, &pki), -EINVAL);

	/* ca.pem without its key is never replaced. */
	CHECK(unlink(key) == 0);
	CHECK_EQ(pki_open(dir, now, &pki), -ENOENT);
	CHECK(pki == NULL);
	CHECK(access(key, F_OK) < 0);

	/* Back to the right key, it opens again. */
	file_put(key, buf, n);
	CHECK(chmod(key, 0600) == 0);
	CHECK_EQ(pki_open(dir, now, &pki), 0);
	pki_free(pki);

	testutil_rmtree(tmp);
	free(file);
	free(crl);
	free(other_key);
	free(key);
	free(other);
	free(dir);
	free(tmp);
}

static void
test_server_cert(void)
{
	char *tmp, sha[PKI_SHA256_HEX_LEN + 1], serial[PKI_SERIAL_HEX_MAX + 1];
	struct pki_cert_info info, again;
	struct pki *pki = NULL;
	int64_t now = testutil_now_ms();
	EVP_PKEY *key;
	X509 *x;
	FILE *f;

	tmp = testutil_mkdtemp();
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_server_cert_ensure(pki, 7, "127.0.0.1", "epp-host", now,
	    &info), 1);
	CHECK(strstr(info.cert_path, "/server-7.pem") != NULL);
	CHECK(strstr(info.key_path, "/server-7.key") != NULL);
	CHECK_EQ(file_mode(info.key_path), 0600);
	CHECK_EQ(strlen(info.sha256), PKI_SHA256_HEX_LEN);

	x = cert_load(info.cert_path);
	sha256_hex(x, sha);
	CHECK(strcmp(sha, info.sha256) == 0);
	serial_hex(x, serial);
	CHECK(strcmp(serial, info.serial) == 0);
	CHECK_EQ(asn1_ms(X509_get0_notAfter(x)), info.not_after_ms);
	CHECK(info.not_after_ms > now + 824 * DAY_MS);
	CHECK(info.not_after_ms <= now + 825 * DAY_MS);
	CHECK_EQ(cert_verify(pki_ca_cert_path(pki), x, now,
	    X509_PURPOSE_SSL_SERVER), 1);
	CHECK_EQ(cert_verify(pki_ca_cert_path(pki), x, now,
	    X509_PURPOSE_SSL_CLIENT), 0);
	CHECK_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	CHECK_EQ(X509_check_ip_asc(x, "127.0.0.2", 0), 0);
	CHECK_EQ(X509_check_host(x, "epp-host", 0, 0, NULL), 1);
	CHECK((X509_get_extended_key_usage(x) & XKU_SSL_SERVER) != 0);
	CHECK_EQ(X509_check_ca(x), 0);

	CHECK((f = fopen(info.key_path, "r")) != NULL);
	CHECK((key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) != NULL);
	(void)fclose(f);
	CHECK_EQ(X509_check_private_key(x, key), 1);
	EVP_PKEY_free(key);
	X509_free(x);

	/* Nothing changed: kept, also across a restart. */
	CHECK_EQ(pki_server_cert_ensure(pki, 7, "127.0.0.1", "epp-host",
	    now + DAY_MS, &again), 0);
	CHECK(strcmp(again.sha256, info.sha256) == 0);
	pki_free(pki);
	pki = NULL;
	CHECK_EQ(pki_open(tmp, now, &pki), 0);
	CHECK_EQ(pki_server_cert_ensure(pki, 7, "127.0.0.1", "epp-host", now,
	    &again), 0);
	CHECK(strcmp(again.sha256, info.sha256) == 0);
	CHECK(strcmp(again.serial, info.serial) == 0);

	/* A DNS address and an IPv6 one. */
	CHECK_EQ(pki_server_cert_ensure(pki, 8, "epp.example.org", NULL, now,
	    &again), 1);
	x = cert_load(again.cert_path);
	CHECK_EQ(X509_check_host(x, "epp.example.org", 0, 0, NULL), 1);
	X509_free(x);
	CHECK_EQ(pki_server_cert_ensure(pki, 9, "::1", "h", now, &again), 1);
	x = cert_load(again.cert_path);
	CHECK_EQ(X509_check_ip_asc(x, "::1", 0), 1);
	CHECK_EQ(X509_check_host(x, "h", 0, 0, NULL), 1);
	X509_free(x);

	/* Invalid input leaves *ret_info alone. */
	memset(&again, 0x5a, sizeof(again));
	CHECK_EQ(pki_server_cert_ensure(pki, 10, "bad address!", NULL, now,
	    &again), -EINVAL);
	CHECK_EQ(pki_server_cert_ensure(pki, 10, "10.0.0.1", "-bad", now,
	    &again), -EINVAL);
	CHECK_EQ(pki_server_cert_ensure(pki, 10, "10.0.0.1", "a..b", now,
	    &again), -EINVAL);
	CHECK_EQ(pki_server_cert_ensure(pki, -1, "10.0.0.1", NULL, now,
	    &again), -EINVAL);
	CHECK_EQ(pki_server_cert_ensure(pki, 10, "fe80::1%eth0", NULL, now,
	    &again), -EINVAL);
	CHECK_EQ((unsigned char)again.serial[0], 0x5a);

	pki_free(pki);
	testutil_rmtree(tmp);
	free(tmp);
}

static void
test_server_cert_renewal(void)
{
	char *tmp;
	struct pki_cert_info info, kept, renewed;
	struct pki *pki = NULL;
	int64_t now = testutil_now_ms();

	tmp = testutil_mkdtemp();
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_server_cert_ensure(pki, 1, "192.0.2.10", "epp", now,
	    &info), 1);

	/* 31 days before expiry: kept. */
	CHECK_EQ(pki_server_cert_ensure(pki, 1, "192.0.2.10", "epp",
	    info.not_after_ms - 31 * DAY_MS, &kept), 0);
	CHECK(strcmp(kept.sha256, info.sha256) == 0);
	CHECK_EQ(kept.not_after_ms, info.not_after_ms);

	/* 29 days before expiry: renewed with a new serial and expiry. */
	CHECK_EQ(pki_server_cert_ensure(pki, 1, "192.0.2.10", "epp",
	    info.not_after_ms - 29 * DAY_MS, &renewed), 1);
	CHECK(strcmp(renewed.sha256, info.sha256) != 0);
	CHECK(strcmp(renewed.serial, info.serial) != 0);
	CHECK(renewed.not_after_ms > info.not_after_ms);
	CHECK_EQ(renewed.not_after_ms, info.not_after_ms - 29 * DAY_MS +
	    825 * DAY_MS);

	/* After expiry as well. */
	CHECK_EQ(pki_server_cert_ensure(pki, 1, "192.0.2.10", "epp",
	    renewed.not_after_ms + DAY_MS, &kept), 1);
	CHECK(strcmp(kept.sha256, renewed.sha256) != 0);

	pki_free(pki);
	testutil_rmtree(tmp);
	free(tmp);
}

static void
test_server_cert_reissue(void)
{
	char *tmp, *other;
	struct pki_cert_info info, next, foreign;
	struct pki *pki = NULL, *pki2 = NULL;
	int64_t now = testutil_now_ms();
	X509 *x;

	tmp = testutil_mkdtemp();
	other = testutil_mkdtemp();
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.1", "host-a", now,
	    &info), 1);

	/* The address changed. */
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.2", "host-a", now,
	    &next), 1);
	CHECK(strcmp(next.sha256, info.sha256) != 0);
	x = cert_load(next.cert_path);
	CHECK_EQ(X509_check_ip_asc(x, "127.0.0.2", 0), 1);
	CHECK_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 0);
	X509_free(x);
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.2", "host-a", now,
	    &info), 0);

	/* The hostname changed, then was dropped. */
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.2", "host-b", now,
	    &next), 1);
	x = cert_load(next.cert_path);
	CHECK_EQ(X509_check_host(x, "host-b", 0, 0, NULL), 1);
	CHECK_EQ(X509_check_host(x, "host-a", 0, 0, NULL), 0);
	X509_free(x);
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.2", NULL, now,
	    &next), 1);
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.2", "", now,
	    &next), 0);

	/* A missing key, or a corrupt certificate. */
	CHECK(unlink(next.key_path) == 0);
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.2", NULL, now,
	    &info), 1);
	file_put(info.cert_path, "junk", 4);
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.2", NULL, now,
	    &info), 1);

	/* A certificate from another CA put in place is replaced. */
	CHECK_EQ(pki_open(other, now, &pki2), 1);
	CHECK_EQ(pki_server_cert_ensure(pki2, 3, "127.0.0.2", NULL, now,
	    &foreign), 1);
	CHECK(rename(foreign.cert_path, info.cert_path) == 0);
	CHECK(rename(foreign.key_path, info.key_path) == 0);
	CHECK_EQ(pki_server_cert_ensure(pki, 3, "127.0.0.2", NULL, now,
	    &next), 1);
	x = cert_load(next.cert_path);
	CHECK_EQ(cert_verify(pki_ca_cert_path(pki), x, now,
	    X509_PURPOSE_SSL_SERVER), 1);
	X509_free(x);

	pki_free(pki2);
	pki_free(pki);
	testutil_rmtree(other);
	testutil_rmtree(tmp);
	free(other);
	free(tmp);
}

static void
test_client_cert(void)
{
	char *tmp, serial[PKI_SERIAL_HEX_MAX + 1];
	char sha[PKI_SHA256_HEX_LEN + 1];
	struct pki_client_cert cc, cc2;
	struct pki *pki = NULL;
	int64_t now = testutil_now_ms();
	EVP_PKEY *key;
	BIO *bio;
	X509 *x;

	tmp = testutil_mkdtemp();
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_client_cert_issue(pki, -2, now, &cc), -EINVAL);
	CHECK_EQ(pki_client_cert_issue(pki, 5, now, &cc), 0);
	CHECK(cc.cert_pem != NULL && cc.key_pem != NULL);
	CHECK(strstr(cc.key_pem, "PRIVATE KEY") != NULL);

	x = cert_parse(cc.cert_pem);
	CHECK((bio = BIO_new_mem_buf(cc.key_pem, -1)) != NULL);
	CHECK((key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) != NULL);
	BIO_free(bio);
	CHECK_EQ(X509_check_private_key(x, key), 1);
	serial_hex(x, serial);
	CHECK(strcmp(serial, cc.serial) == 0);
	/* The fingerprint is that of the DER of the PEM handed out. */
	CHECK_EQ(strlen(cc.sha256), PKI_SHA256_HEX_LEN);
	sha256_hex(x, sha);
	CHECK(strcmp(sha, cc.sha256) == 0);
	CHECK_EQ(asn1_ms(X509_get0_notAfter(x)), cc.not_after_ms);
	CHECK_EQ(cc.not_after_ms, pki_ca_not_after_ms(pki));
	CHECK((X509_get_extended_key_usage(x) & XKU_SSL_CLIENT) != 0);
	CHECK_EQ(cert_verify(pki_ca_cert_path(pki), x, now,
	    X509_PURPOSE_SSL_CLIENT), 1);
	CHECK_EQ(cert_verify(pki_ca_cert_path(pki), x, now,
	    X509_PURPOSE_SSL_SERVER), 0);
	EVP_PKEY_free(key);
	X509_free(x);

	/* Each issue has its own key and serial; nothing lands on disk. */
	CHECK_EQ(pki_client_cert_issue(pki, 5, now, &cc2), 0);
	CHECK(strcmp(cc.serial, cc2.serial) != 0);
	CHECK(strcmp(cc.key_pem, cc2.key_pem) != 0);
	CHECK(strcmp(cc.sha256, cc2.sha256) != 0);
	x = cert_parse(cc2.cert_pem);
	sha256_hex(x, sha);
	CHECK(strcmp(sha, cc2.sha256) == 0);
	X509_free(x);
	pki_client_cert_fini(&cc2);

	pki_client_cert_fini(&cc);
	CHECK(cc.cert_pem == NULL && cc.key_pem == NULL);
	CHECK_EQ(cc.serial[0], '\0');
	CHECK_EQ(cc.sha256[0], '\0');
	pki_client_cert_fini(&cc);
	pki_client_cert_fini(NULL);

	pki_free(pki);
	testutil_rmtree(tmp);
	free(tmp);
}

static void
test_cleanse(void)
{
	char secret[] = "correct horse";
	size_t i;

	pki_cleanse(secret, sizeof(secret) - 1);
	for (i = 0; i < sizeof(secret) - 1; i++)
		CHECK_EQ(secret[i], '\0');
	/* Nothing to wipe: a no-op, also for NULL. */
	(void)snprintf(secret, sizeof(secret), "x");
	pki_cleanse(secret, 0);
	CHECK_EQ(secret[0], 'x');
	pki_cleanse(NULL, 0);
}

/* Replaces PATH with SAVED, keeping the mode the CA key needs. */
static void
file_restore(const char *path, const char *saved)
{
	file_put(path, saved, strlen(saved));
	CHECK(chmod(path, 0600) == 0);
}

/*
 * pki_open() fails with -EINVAL when PATH holds DATA, and the error text
 * says which object the one PEM reader expected there.
 */
static void
open_refused(const char *dir, const char *path, const char *data,
    const char *what)
{
	struct pki *pki = NULL;

	file_put(path, data, strlen(data));
	CHECK_EQ(pki_open(dir, testutil_now_ms(), &pki), -EINVAL);
	CHECK(pki == NULL);
	CHECK(strncmp(tls_last_error(), what, strlen(what)) == 0);
}

/*
 * The PEM reader shared by every PKI file: a missing file is created
 * again; garbage, an empty file and PEM of another type are refused as
 * invalid, and the error text names the object expected.
 */
static void
test_pem_read_errors(void)
{
	char *tmp, *key, *pem, *crl, *saved_key, *saved_pem, *saved_crl;
	struct pki_cert_info info;
	struct pki *pki = NULL;
	int64_t now = testutil_now_ms();
	X509_CRL *x;

	tmp = testutil_mkdtemp();
	key = path_join(tmp, "ca.key");
	pem = path_join(tmp, "ca.pem");
	crl = path_join(tmp, "crl.pem");
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_server_cert_ensure(pki, 1, "127.0.0.1", NULL, now,
	    &info), 1);
	pki_free(pki);
	pki = NULL;
	saved_key = file_slurp(key);
	saved_pem = file_slurp(pem);
	saved_crl = file_slurp(crl);

	/* Missing (-ENOENT inside): the CRL is signed again. */
	CHECK(unlink(crl) == 0);
	CHECK_EQ(pki_open(tmp, now, &pki), 0);
	x = crl_load(crl);
	X509_CRL_free(x);

	/* Garbage, nothing, and PEM of another type in each file. */
	open_refused(tmp, key, "garbage\n", "read key: ");
	open_refused(tmp, key, "", "read key: ");
	open_refused(tmp, key, saved_pem, "read key: ");
	file_restore(key, saved_key);
	open_refused(tmp, pem, "garbage\n", "read certificate: ");
	open_refused(tmp, pem, saved_key, "read certificate: ");
	file_restore(pem, saved_pem);
	open_refused(tmp, crl, "", "read CRL: ");
	open_refused(tmp, crl, saved_pem, "read CRL: ");
	file_restore(crl, saved_crl);
	pki_free(pki);
	pki = NULL;
	CHECK_EQ(pki_open(tmp, now, &pki), 0);

	/* A server's files holding the wrong type are issued again. */
	file_put(info.key_path, saved_pem, strlen(saved_pem));
	CHECK_EQ(pki_server_cert_ensure(pki, 1, "127.0.0.1", NULL, now,
	    &info), 1);
	file_put(info.cert_path, saved_key, strlen(saved_key));
	CHECK_EQ(pki_server_cert_ensure(pki, 1, "127.0.0.1", NULL, now,
	    &info), 1);
	CHECK_EQ(pki_server_cert_ensure(pki, 1, "127.0.0.1", NULL, now,
	    &info), 0);

	pki_free(pki);
	testutil_rmtree(tmp);
	free(saved_crl);
	free(saved_pem);
	free(saved_key);
	free(crl);
	free(pem);
	free(key);
	free(tmp);
}

/* The same reader on strings: a key is not a certificate, nor the reverse. */
static void
test_pem_parse_errors(void)
{
	struct pki_client_cert cc, broken;
	struct pki *pki = NULL;
	int64_t now = testutil_now_ms();
	uint8_t *der = NULL;
	size_t len = 0;
	char *tmp;

	tmp = testutil_mkdtemp();
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_client_cert_issue(pki, 1, now, &cc), 0);
	broken = cc;
	broken.cert_pem = cc.key_pem;
	CHECK_EQ(pki_write_pkcs12(pki, &broken, PASSWORD, &der, &len),
	    -EINVAL);
	CHECK(strncmp(tls_last_error(), "client certificate: ", 20) == 0);
	broken.cert_pem = cc.cert_pem;
	broken.key_pem = cc.cert_pem;
	CHECK_EQ(pki_write_pkcs12(pki, &broken, PASSWORD, &der, &len),
	    -EINVAL);
	CHECK(strncmp(tls_last_error(), "client key: ", 12) == 0);
	broken.key_pem = (char *)"";
	CHECK_EQ(pki_write_pkcs12(pki, &broken, PASSWORD, &der, &len),
	    -EINVAL);
	CHECK(der == NULL && len == 0);

	pki_client_cert_fini(&cc);
	pki_free(pki);
	testutil_rmtree(tmp);
	free(tmp);
}

int
main(void)
{
	RUN(test_ca_create_reopen);
	RUN(test_open_errors);
	RUN(test_pem_read_errors);
	RUN(test_pem_parse_errors);
	RUN(test_server_cert);
	RUN(test_server_cert_renewal);
	RUN(test_server_cert_reissue);
	RUN(test_client_cert);
	RUN(test_cleanse);
	return 0;
}
