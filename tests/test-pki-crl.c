/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/pki*.c on real files: revocation, the CRL's refresh and
 * the PKCS#12 bundles of communication data packages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "test-pki-util.h"
#include "testutil.h"

#define PASSWORD	"correct horse battery staple"

static long
crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *n;
	long v;

	CHECK((n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL)) !=
	    NULL);
	v = ASN1_INTEGER_get(n);
	ASN1_INTEGER_free(n);
	return v;
}

static bool
crl_lists(X509_CRL *crl, const char *pem)
{
	X509_REVOKED *rev;
	X509 *x;
	bool found;

	x = cert_parse(pem);
	found = X509_CRL_get0_by_cert(crl, &rev, x) == 1;
	X509_free(x);
	return found;
}

static void
test_revoke(void)
{
	char *tmp, long_serial[PKI_SERIAL_HEX_MAX + 2], upper[64];
	struct pki_client_cert a, b;
	struct pki *pki = NULL;
	int64_t now = testutil_now_ms();
	X509_CRL *crl;
	X509 *ca;
	long number;
	size_t i;

	tmp = testutil_mkdtemp();
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_client_cert_issue(pki, 1, now, &a), 0);
	CHECK_EQ(pki_client_cert_issue(pki, 1, now, &b), 0);
	ca = cert_load(pki_ca_cert_path(pki));
	crl = crl_load(pki_crl_path(pki));
	number = crl_number(crl);
	CHECK(!crl_lists(crl, a.cert_pem));
	X509_CRL_free(crl);

	CHECK_EQ(pki_revoke(pki, a.serial, now), 0);
	crl = crl_load(pki_crl_path(pki));
	CHECK_EQ(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	CHECK(crl_lists(crl, a.cert_pem));
	CHECK(!crl_lists(crl, b.cert_pem));
	CHECK_EQ(crl_number(crl), number + 1);
	CHECK_EQ(file_mode(pki_crl_path(pki)), 0644);
	X509_CRL_free(crl);

	/* Revoking again changes nothing; upper case is accepted. */
	for (i = 0; a.serial[i] != '\0'; i++)
		upper[i] = (char)(a.serial[i] >= 'a' && a.serial[i] <= 'f' ?
		    a.serial[i] - 'a' + 'A' : a.serial[i]);
	upper[i] = '\0';
	CHECK_EQ(pki_revoke(pki, upper, now), 0);
	crl = crl_load(pki_crl_path(pki));
	CHECK_EQ(crl_number(crl), number + 1);
	CHECK_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	X509_CRL_free(crl);

	CHECK_EQ(pki_revoke(pki, b.serial, now), 0);

	/* Invalid serials leave the CRL alone. */
	CHECK_EQ(pki_revoke(pki, "", now), -EINVAL);
	CHECK_EQ(pki_revoke(pki, "12xz", now), -EINVAL);
	CHECK_EQ(pki_revoke(pki, "-12", now), -EINVAL);
	CHECK_EQ(pki_revoke(pki, NULL, now), -EINVAL);
	memset(long_serial, 'a', sizeof(long_serial) - 1);
	long_serial[sizeof(long_serial) - 1] = '\0';
	CHECK_EQ(pki_revoke(pki, long_serial, now), -EINVAL);

	/* The revocations survive a restart. */
	pki_free(pki);
	pki = NULL;
	CHECK_EQ(pki_open(tmp, now, &pki), 0);
	crl = crl_load(pki_crl_path(pki));
	CHECK(crl_lists(crl, a.cert_pem));
	CHECK(crl_lists(crl, b.cert_pem));
	CHECK_EQ(crl_number(crl), number + 2);
	X509_CRL_free(crl);

	X509_free(ca);
	pki_client_cert_fini(&a);
	pki_client_cert_fini(&b);
	pki_free(pki);
	testutil_rmtree(tmp);
	free(tmp);
}

static void
test_crl_refresh(void)
{
	char *tmp;
	struct pki_client_cert a;
	struct pki *pki = NULL;
	int64_t now = testutil_now_ms(), next;
	X509_CRL *crl;

	tmp = testutil_mkdtemp();
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_client_cert_issue(pki, 1, now, &a), 0);
	CHECK_EQ(pki_revoke(pki, a.serial, now), 0);
	crl = crl_load(pki_crl_path(pki));
	next = asn1_ms(X509_CRL_get0_nextUpdate(crl));
	X509_CRL_free(crl);

	/* issue 11: valid 30 days, re-signed once fewer than 15 are left */
	CHECK(next >= now + 30 * DAY_MS - 1000 && next <= now + 30 * DAY_MS);
	CHECK_EQ(pki_crl_next_update_ms(pki), next / 1000 * 1000);
	CHECK_EQ(pki_crl_refresh(pki, now + 10 * DAY_MS), 0);
	CHECK_EQ(pki_crl_refresh(pki, now + 15 * DAY_MS - 2000), 0);
	CHECK_EQ(pki_crl_refresh(pki, now + 16 * DAY_MS), 1);
	crl = crl_load(pki_crl_path(pki));
	next = asn1_ms(X509_CRL_get0_nextUpdate(crl));
	CHECK(next >= now + 46 * DAY_MS - 1000 && next <= now + 46 * DAY_MS);
	CHECK(crl_lists(crl, a.cert_pem));
	X509_CRL_free(crl);
	CHECK_EQ(pki_crl_refresh(pki, now + 17 * DAY_MS), 0);

	/* One signed for longer ahead (a year, before issue 11) comes down. */
	CHECK_EQ(pki_crl_refresh(pki, now - 10 * DAY_MS), 1);
	CHECK_EQ(pki_crl_next_update_ms(pki) / 1000,
	    (now + 20 * DAY_MS) / 1000);

	/* Opening late re-signs it too. */
	pki_free(pki);
	pki = NULL;
	CHECK_EQ(pki_open(tmp, now + 600 * DAY_MS, &pki), 0);
	crl = crl_load(pki_crl_path(pki));
	CHECK(asn1_ms(X509_CRL_get0_nextUpdate(crl)) > now + 629 * DAY_MS);
	CHECK(crl_lists(crl, a.cert_pem));
	X509_CRL_free(crl);

	pki_client_cert_fini(&a);
	pki_free(pki);
	testutil_rmtree(tmp);
	free(tmp);
}

/*
 * Runs "openssl pkcs12 -info -noout" on PATH with PASSWORD; returns its
 * exit status and leaves its output in OUT.
 */
static int
openssl_pkcs12_info(const char *openssl, const char *path,
    const char *password, const char *out)
{
	char pass[256];
	pid_t pid;
	int status, fd;

	(void)snprintf(pass, sizeof(pass), "pass:%s", password);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		(void)execl(openssl, "openssl", "pkcs12", "-info", "-noout",
		    "-in", path, "-passin", pass, (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_pkcs12(void)
{
	char *tmp, *p12_path, *out_path, *out, pw_long[PKI_PASSWORD_MAX + 2];
	char ca_sha[PKI_SHA256_HEX_LEN + 1];
	struct pki_client_cert cc, broken;
	struct pki *pki = NULL;
	const unsigned char *p;
	int64_t now = testutil_now_ms();
	STACK_OF(X509) *cas = NULL;
	const char *openssl;
	EVP_PKEY *key = NULL;
	X509 *x = NULL, *want;
	uint8_t *der = NULL;
	PKCS12 *p12;
	size_t len = 0;

	tmp = testutil_mkdtemp();
	p12_path = path_join(tmp, "certificates.pfx");
	out_path = path_join(tmp, "openssl.out");
	CHECK_EQ(pki_open(tmp, now, &pki), 1);
	CHECK_EQ(pki_client_cert_issue(pki, 4, now, &cc), 0);

	CHECK_EQ(pki_write_pkcs12(pki, &cc, "", &der, &len), -EINVAL);
	CHECK_EQ(pki_write_pkcs12(pki, &cc, NULL, &der, &len), -EINVAL);
	memset(pw_long, 'p', sizeof(pw_long) - 1);
	pw_long[sizeof(pw_long) - 1] = '\0';
	CHECK_EQ(pki_write_pkcs12(pki, &cc, pw_long, &der, &len), -EINVAL);
	broken = cc;
	broken.cert_pem = (char *)"not a certificate";
	CHECK_EQ(pki_write_pkcs12(pki, &broken, PASSWORD, &der, &len),
	    -EINVAL);
	CHECK(der == NULL && len == 0);

	CHECK_EQ(pki_write_pkcs12(pki, &cc, PASSWORD, &der, &len), 0);
	CHECK(der != NULL && len > 0);
	file_put(p12_path, der, len);

	/* Opens with the password: CA, client certificate and key. */
	p = der;
	CHECK((p12 = d2i_PKCS12(NULL, &p, (long)len)) != NULL);
	CHECK_EQ(PKCS12_verify_mac(p12, PASSWORD, -1), 1);
	CHECK_EQ(PKCS12_verify_mac(p12, "wrong", -1), 0);
	CHECK_EQ(PKCS12_parse(p12, "wrong", &key, &x, &cas), 0);
	CHECK(key == NULL && x == NULL);
	ERR_clear_error();
	CHECK_EQ(PKCS12_parse(p12, PASSWORD, &key, &x, &cas), 1);
	want = cert_parse(cc.cert_pem);
	CHECK_EQ(X509_cmp(x, want), 0);
	CHECK_EQ(X509_check_private_key(x, key), 1);
	CHECK_EQ(sk_X509_num(cas), 1);
	sha256_hex(sk_X509_value(cas, 0), ca_sha);
	CHECK(strcmp(ca_sha, pki_ca_sha256(pki)) == 0);
	X509_free(want);
	sk_X509_pop_free(cas, X509_free);
	X509_free(x);
	EVP_PKEY_free(key);
	PKCS12_free(p12);

	/* The openssl CLI reads it, with AES-256-CBC and a SHA-256 MAC. */
	openssl = getenv("KICS_OPENSSL");
	if (openssl != NULL && *openssl != '\0') {
		CHECK_EQ(openssl_pkcs12_info(openssl, p12_path, PASSWORD,
		    out_path), 0);
		out = file_slurp(out_path);
		/* issue 11: 600,000 iterations for the MAC and both bags */
		CHECK(strstr(out, "MAC: sha256, Iteration 600000") != NULL);
		CHECK(strstr(out, "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, "
		    "Iteration 600000, PRF hmacWithSHA256") != NULL);
		CHECK(strstr(out, "PKCS7 Encrypted data: PBES2, PBKDF2, "
		    "AES-256-CBC, Iteration 600000, PRF hmacWithSHA256") !=
		    NULL);
		CHECK(strstr(out, "RC2") == NULL);
		CHECK(strstr(out, "3DES") == NULL);
		free(out);
		CHECK(openssl_pkcs12_info(openssl, p12_path, "wrong",
		    out_path) != 0);
	} else
		(void)fprintf(stderr, "no KICS_OPENSSL: CLI check skipped\n");

	free(der);
	pki_client_cert_fini(&cc);
	pki_free(pki);
	testutil_rmtree(tmp);
	free(out_path);
	free(p12_path);
	free(tmp);
}

int
main(void)
{
	RUN(test_revoke);
	RUN(test_crl_refresh);
	RUN(test_pkcs12);
	return 0;
}
