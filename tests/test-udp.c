/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of UDP mode's pieces (issue 14): the datagram parser, the
 * reassembly table (order, duplicates, timeout, memory cap) and the
 * package keys (derivation against a known answer, key files, opening
 * and refusing tampered datagrams).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pki_udp.h"
#include "testutil.h"
#include "udp_reasm.h"
#include "udp_wire.h"

static const uint8_t addr_a[UDP_REASM_ADDR_LEN] = { 2, 127, 0, 0, 1 };
static const uint8_t addr_b[UDP_REASM_ADDR_LEN] = { 2, 127, 0, 0, 2 };

/* A datagram with header h and body_len bytes of body (value 'x'). */
static size_t
make(const struct udp_header *h, size_t body_len, uint8_t *out)
{
	udp_wire_header_write(h, out);
	memset(out + UDP_WIRE_HEADER_LEN, 'x', body_len);
	return UDP_WIRE_HEADER_LEN + body_len;
}

static int
parse(const uint8_t *d, size_t len)
{
	struct udp_header h;
	const uint8_t *body;
	size_t blen;

	return udp_wire_parse(d, len, &h, &body, &blen);
}

static void
test_wire_parse(void)
{
	struct udp_header h = { 0, 1, 3, 0x0102030405060708ULL, 0 }, got;
	uint8_t d[UDP_WIRE_DATAGRAM_MAX + 8];
	const uint8_t *body;
	size_t n, blen;

	n = make(&h, 100, d);
	CHECK(memcmp(d, "KEU1\0\0\0\1\0\3\0\0\1\2\3\4\5\6\7\10\0\0\0\0",
	    UDP_WIRE_HEADER_LEN) == 0);
	CHECK_EQ(udp_wire_parse(d, n, &got, &body, &blen), 0);
	CHECK(got.index == 1 && got.count == 3 && got.flags == 0);
	CHECK(got.message_id == h.message_id && got.package_id == 0);
	CHECK(body == d + UDP_WIRE_HEADER_LEN && blen == 100);
	/* sizes: no header, a full plain fragment, one byte more */
	CHECK_EQ(parse(d, UDP_WIRE_HEADER_LEN - 1), -EBADMSG);
	CHECK_EQ(parse(d, make(&h, 0, d)), 0);
	CHECK_EQ(parse(d, make(&h, UDP_WIRE_FRAGMENT_MAX, d)), 0);
	CHECK_EQ(parse(d, make(&h, UDP_WIRE_FRAGMENT_MAX + 1, d)), -EMSGSIZE);
	CHECK_EQ(parse(d, UDP_WIRE_DATAGRAM_MAX + 1), -EMSGSIZE);
	/* magic, flags, reserved bytes */
	n = make(&h, 10, d);
	d[3] = '2';
	CHECK_EQ(parse(d, n), -EPROTO);
	n = make(&h, 10, d);
	d[4] = 0x02;
	CHECK_EQ(parse(d, n), -EINVAL);
	n = make(&h, 10, d);
	d[5] = 1;
	CHECK_EQ(parse(d, n), -EINVAL);
	n = make(&h, 10, d);
	d[11] = 1;
	CHECK_EQ(parse(d, n), -EINVAL);
	/* fragment count and index */
	h.count = 0;
	CHECK_EQ(parse(d, make(&h, 10, d)), -EINVAL);
	h.count = UDP_WIRE_FRAGMENTS_MAX + 1;
	CHECK_EQ(parse(d, make(&h, 10, d)), -EINVAL);
	h.count = 3;
	h.index = 3;
	CHECK_EQ(parse(d, make(&h, 10, d)), -EINVAL);
	h.index = 0;
	/* package id goes with the flag; an encrypted body holds nonce+tag */
	h.package_id = 7;
	CHECK_EQ(parse(d, make(&h, 10, d)), -EINVAL);
	h.flags = UDP_WIRE_FLAG_ENCRYPTED;
	CHECK_EQ(parse(d, make(&h, 27, d)), -EBADMSG);
	CHECK_EQ(parse(d, make(&h, 28, d)), 0);
	CHECK_EQ(parse(d, make(&h, 28 + UDP_WIRE_FRAGMENT_MAX, d)), 0);
	h.package_id = 0;
	CHECK_EQ(parse(d, make(&h, 28, d)), -EINVAL);
	CHECK_EQ(udp_wire_fragments(0), 1);
	CHECK_EQ(udp_wire_fragments(1400), 1);
	CHECK_EQ(udp_wire_fragments(1401), 2);
	CHECK(strcmp(udp_wire_strerror(-EPROTO), "wrong magic") == 0);
}

/* Adds fragment i of count of message id from addr: "<id>:<i>". */
static int
add(struct udp_reasm *r, const uint8_t *addr, uint64_t id, uint16_t i,
    uint16_t count, int64_t now, uint8_t **out, size_t *len)
{
	struct udp_header h = { 0, i, count, id, 0 };
	char frag[32];

	(void)snprintf(frag, sizeof(frag), "%llu:%u;", (unsigned long long)id,
	    (unsigned)i);
	return udp_reasm_add(r, addr, &h, (const uint8_t *)frag,
	    strlen(frag), now, out, len);
}

static void
test_reasm_order_and_duplicates(void)
{
	struct udp_reasm *r = udp_reasm_new(1 << 20, 10000);
	uint8_t *out = NULL;
	size_t len = 0;

	/* out of order, a duplicate, and the same id from another address */
	CHECK_EQ(add(r, addr_a, 9, 2, 3, 0, &out, &len), 0);
	CHECK_EQ(add(r, addr_a, 9, 0, 3, 1, &out, &len), 0);
	CHECK_EQ(add(r, addr_a, 9, 0, 3, 2, &out, &len), -EALREADY);
	CHECK_EQ(add(r, addr_b, 9, 1, 3, 3, &out, &len), 0);
	CHECK_EQ(add(r, addr_a, 9, 1, 4, 3, &out, &len), -EINVAL);
	CHECK_EQ(add(r, addr_a, 9, 1, 3, 4, &out, &len), 1);
	CHECK(len == strlen("9:0;9:1;9:2;") &&
	    memcmp(out, "9:0;9:1;9:2;", len) == 0);
	free(out);
	/* a late duplicate of a complete report starts nothing */
	CHECK_EQ(add(r, addr_a, 9, 2, 3, 5, &out, &len), -EALREADY);
	CHECK_EQ(udp_reasm_count(r), 2);
	/* 10 s after their first fragment both go; one was incomplete */
	udp_reasm_expire(r, 9999);
	CHECK_EQ(udp_reasm_count(r), 2);
	udp_reasm_expire(r, 10003);
	CHECK_EQ(udp_reasm_count(r), 0);
	CHECK_EQ(udp_reasm_dropped(r), 1);
	CHECK_EQ(udp_reasm_bytes(r), 0);
	udp_reasm_free(r);
}

static void
test_reasm_memory_cap(void)
{
	/* room for about three incomplete reports of one fragment each */
	struct udp_reasm *r = udp_reasm_new(3 * 1600, 10000);
	uint8_t *out = NULL;
	size_t len = 0;

	for (uint64_t id = 1; id <= 10; id++)
		CHECK_EQ(add(r, addr_a, id, 0, 2, (int64_t)id, &out, &len), 0);
	CHECK(udp_reasm_bytes(r) <= 3 * 1600);
	CHECK(udp_reasm_count(r) < 10);
	/* the oldest made room, each counted as incomplete */
	CHECK_EQ(udp_reasm_dropped(r), 10 - udp_reasm_count(r));
	CHECK_EQ(add(r, addr_a, 10, 1, 2, 11, &out, &len), 1);
	free(out);
	udp_reasm_free(r);
}

static void
test_key_derive_known_answer(void)
{
	/* PBKDF2-HMAC-SHA256("correct horse battery",
	   "kics-epp-udp:2864434397", 200000, 32), by Python's hashlib */
	static const char want[] = "86f71b9be17ddb13379ca2501158d94e"
	    "2dc944d5854304afe79231380d50be0c";
	const char *pw = "correct horse battery";
	uint8_t key[PKI_UDP_KEY_LEN];
	char hex[2 * PKI_UDP_KEY_LEN + 1];
	uint32_t number = 0;

	CHECK_EQ(pki_udp_package_number("aabbccdd-0000-4000-8000-00000000"
	    "0000", &number), 0);
	CHECK_EQ(number, 0xaabbccddU);
	CHECK_EQ(pki_udp_package_number("AABBCCDD-0000", &number), -EINVAL);
	CHECK_EQ(pki_udp_key_derive(pw, strlen(pw), number, key), 0);
	for (size_t i = 0; i < sizeof(key); i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", key[i]);
	CHECK(strcmp(hex, want) == 0);
}

/* An encrypted datagram of plain (len bytes) under key, as agents do. */
static size_t
seal(const uint8_t *key, uint32_t number, const uint8_t *plain, size_t len,
    uint8_t *out)
{
	struct udp_header h = { UDP_WIRE_FLAG_ENCRYPTED, 0, 1, 42, number };
	uint8_t *nonce = out + UDP_WIRE_HEADER_LEN;
	uint8_t *ct = nonce + UDP_WIRE_NONCE_LEN;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;

	udp_wire_header_write(&h, out);
	memset(nonce, 7, UDP_WIRE_NONCE_LEN);
	CHECK(ctx != NULL);
	CHECK(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
	    nonce) == 1);
	CHECK(EVP_EncryptUpdate(ctx, NULL, &n, out, UDP_WIRE_HEADER_LEN) == 1);
	CHECK(EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) == 1);
	CHECK(EVP_EncryptFinal_ex(ctx, ct + n, &n) == 1);
	CHECK(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
	    UDP_WIRE_TAG_LEN, ct + len) == 1);
	EVP_CIPHER_CTX_free(ctx);
	return UDP_WIRE_HEADER_LEN + UDP_WIRE_NONCE_LEN + len +
	    UDP_WIRE_TAG_LEN;
}

static int
open_dgram(const uint8_t *key, const uint8_t *d, size_t n, uint8_t *out,
    size_t *len)
{
	return pki_udp_open(key, d, UDP_WIRE_HEADER_LEN,
	    d + UDP_WIRE_HEADER_LEN, n - UDP_WIRE_HEADER_LEN, out, len);
}

static void
test_key_files_and_open(void)
{
	char *dir = testutil_mkdtemp(), path[512];
	static const char pkg1[] = "0000002a-1111-4111-8111-111111111111";
	static const char pkg2[] = "0000002b-2222-4222-8222-222222222222";
	uint8_t key[PKI_UDP_KEY_LEN], other[PKI_UDP_KEY_LEN];
	uint8_t d[UDP_WIRE_DATAGRAM_MAX], out[UDP_WIRE_DATAGRAM_MAX];
	struct pki_udp_key *keys = NULL;
	const char *keep = pkg2;
	struct stat sb;
	size_t n, len = 0, nk = 0;

	memset(key, 0x11, sizeof(key));
	memset(other, 0x22, sizeof(other));
	CHECK_EQ(pki_udp_key_write(dir, 5, pkg1, key), 0);
	CHECK_EQ(pki_udp_key_write(dir, 5, pkg2, other), 0);
	CHECK_EQ(pki_udp_key_write(dir, 6, pkg1, key), 0);
	CHECK_EQ(pki_udp_key_write(dir, 5, "../x", key), -EINVAL);
	(void)snprintf(path, sizeof(path), "%s/udp-5-%s.key", dir, pkg1);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK_EQ(pki_udp_keys_load(dir, &keys, &nk), 0);
	CHECK_EQ(nk, 3);
	pki_udp_keys_free(keys, nk);
	/* a newer package of server 5 ends its other keys, not server 6's */
	CHECK_EQ(pki_udp_keys_prune(dir, 5, &keep, 1), 1);
	CHECK_EQ(pki_udp_keys_load(dir, &keys, &nk), 0);
	CHECK_EQ(nk, 2);
	for (size_t i = 0; i < nk; i++)
		CHECK((keys[i].server_id == 5 && keys[i].package_id == 0x2b) ||
		    (keys[i].server_id == 6 && keys[i].package_id == 0x2a));
	pki_udp_keys_free(keys, nk);
	/* a key readable by others is not used */
	(void)snprintf(path, sizeof(path), "%s/udp-6-%s.key", dir, pkg1);
	CHECK(chmod(path, 0644) == 0);
	CHECK_EQ(pki_udp_keys_load(dir, &keys, &nk), 0);
	CHECK_EQ(nk, 1);
	pki_udp_keys_free(keys, nk);
	CHECK_EQ(pki_udp_keys_prune(dir, 0, NULL, 0), 2);

	n = seal(key, 0x2a, (const uint8_t *)"report bytes", 12, d);
	CHECK_EQ(open_dgram(key, d, n, out, &len), 0);
	CHECK(len == 12 && memcmp(out, "report bytes", 12) == 0);
	CHECK_EQ(open_dgram(other, d, n, out, &len), -EBADMSG);
	d[12] ^= 1;		/* header: the authenticated data */
	CHECK_EQ(open_dgram(key, d, n, out, &len), -EBADMSG);
	d[12] ^= 1;
	d[UDP_WIRE_HEADER_LEN + UDP_WIRE_NONCE_LEN] ^= 1;	/* ciphertext */
	CHECK_EQ(open_dgram(key, d, n, out, &len), -EBADMSG);
	d[UDP_WIRE_HEADER_LEN + UDP_WIRE_NONCE_LEN] ^= 1;
	d[n - 1] ^= 1;		/* tag */
	CHECK_EQ(open_dgram(key, d, n, out, &len), -EBADMSG);
	CHECK_EQ(open_dgram(key, d, UDP_WIRE_HEADER_LEN + 27, out, &len),
	    -EBADMSG);
	testutil_rmtree(dir);
	free(dir);
}

/* The worked example of docs/udp-protocol.md, byte for byte. */
static void
test_docs_worked_example(void)
{
	static const char hex[] = "4b45553101000000000100000123456789abcdef"
	    "aabbccdd000102030405060708090a0b02e5f98d2fc0318423404ad0e1aada"
	    "7445b5263faf46f0d2479927";
	static const uint8_t report[] = { 0x0a, 0x07, 'e', 'x', 'a', 'm', 'p',
	    'l', 'e', 0x10, 0x01 };
	const char *pw = "correct horse battery";
	uint8_t d[64], key[PKI_UDP_KEY_LEN], out[64];
	struct udp_header h;
	const uint8_t *body;
	size_t n = strlen(hex) / 2, blen, len = 0;
	unsigned v;

	for (size_t i = 0; i < n; i++) {
		CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
		d[i] = (uint8_t)v;
	}
	CHECK_EQ(n, 63);
	CHECK_EQ(udp_wire_parse(d, n, &h, &body, &blen), 0);
	CHECK(h.flags == UDP_WIRE_FLAG_ENCRYPTED && h.count == 1);
	CHECK(h.message_id == 0x0123456789abcdefULL);
	CHECK(h.package_id == 2864434397U);
	CHECK_EQ(pki_udp_key_derive(pw, strlen(pw), h.package_id, key), 0);
	CHECK_EQ(pki_udp_open(key, d, UDP_WIRE_HEADER_LEN, body, blen, out,
	    &len), 0);
	CHECK(len == sizeof(report) && memcmp(out, report, len) == 0);
}

int
main(void)
{
	RUN(test_wire_parse);
	RUN(test_reasm_order_and_duplicates);
	RUN(test_reasm_memory_cap);
	RUN(test_key_derive_known_answer);
	RUN(test_key_files_and_open);
	RUN(test_docs_worked_example);
	return 0;
}
