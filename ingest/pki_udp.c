/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the keys of UDP mode (pki_udp.h): derivation with
 * PBKDF2, the key files in the PKI directory and AES-256-GCM opening.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "pki-private.h"
#include "pki_udp.h"
#include "udp_wire.h"

#define PKI_UDP_FILE_PREFIX	"udp-"
#define PKI_UDP_FILE_SUFFIX	".key"
#define PKI_UDP_KEYS_MAX	4096	/* key files read at most */

int
pki_udp_package_number(const char *package_id, uint32_t *ret_number)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 8; i++) {
		char c = package_id[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*ret_number = v;
	return 0;
}

int
pki_udp_key_derive(const void *password, size_t len, uint32_t number,
    uint8_t ret_key[PKI_UDP_KEY_LEN])
{
	char salt[sizeof(PKI_UDP_SALT_PREFIX) + 16];
	int n;

	n = snprintf(salt, sizeof(salt), PKI_UDP_SALT_PREFIX "%" PRIu32,
	    number);
	if (PKCS5_PBKDF2_HMAC(password, (int)len, (const unsigned char *)salt,
	    n, PKI_UDP_ITERATIONS, EVP_sha256(), PKI_UDP_KEY_LEN,
	    ret_key) != 1)
		return -EIO;
	return 0;
}

/* "udp-<server>-<package>.key" in dir. */
static int
pki_udp_key_path(char out[PKI_PATH_MAX], const char *dir, int64_t server_id,
    const char *package_id)
{
	char name[96];

	(void)snprintf(name, sizeof(name), PKI_UDP_FILE_PREFIX "%lld-%s"
	    PKI_UDP_FILE_SUFFIX, (long long)server_id, package_id);
	return pki_path(out, dir, name);
}

int
pki_udp_key_write(const char *dir, int64_t server_id, const char *package_id,
    const uint8_t key[PKI_UDP_KEY_LEN])
{
	char path[PKI_PATH_MAX];
	int r;

	if (strlen(package_id) != PKI_UDP_PACKAGE_ID_LEN ||
	    strchr(package_id, '/') != NULL)
		return -EINVAL;
	if ((r = pki_udp_key_path(path, dir, server_id, package_id)) < 0)
		return r;
	return pki_file_write(dir, path, (const char *)key, PKI_UDP_KEY_LEN,
	    0600);
}

/*
 * Reads the server id and package id of a key file's name; 0 or -EINVAL
 * for any other name.
 */
static int
pki_udp_name_parse(const char *name, int64_t *ret_server,
    char ret_package[PKI_UDP_PACKAGE_ID_LEN + 1])
{
	size_t plen = strlen(PKI_UDP_FILE_PREFIX), len = strlen(name);
	size_t slen = strlen(PKI_UDP_FILE_SUFFIX);
	char *end;
	long long id;

	if (len < plen + slen + 2 || strncmp(name, PKI_UDP_FILE_PREFIX,
	    plen) != 0 || strcmp(name + len - slen, PKI_UDP_FILE_SUFFIX) != 0)
		return -EINVAL;
	errno = 0;
	id = strtoll(name + plen, &end, 10);
	if (errno != 0 || id <= 0 || *end != '-' ||
	    (size_t)(name + len - slen - (end + 1)) != PKI_UDP_PACKAGE_ID_LEN)
		return -EINVAL;
	*ret_server = id;
	memcpy(ret_package, end + 1, PKI_UDP_PACKAGE_ID_LEN);
	ret_package[PKI_UDP_PACKAGE_ID_LEN] = '\0';
	return 0;
}

static bool
pki_udp_kept(const char *package, const char *const *keep, size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] != NULL && strcmp(keep[i], package) == 0)
			return true;
	return false;
}

int
pki_udp_keys_prune(const char *dir, int64_t server_id,
    const char *const *keep, size_t n_keep)
{
	char package[PKI_UDP_PACKAGE_ID_LEN + 1], path[PKI_PATH_MAX];
	struct dirent *de;
	int64_t id;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (pki_udp_name_parse(de->d_name, &id, package) < 0 ||
		    (server_id != 0 && id != server_id) ||
		    pki_udp_kept(package, keep, n_keep))
			continue;
		if (pki_path(path, dir, de->d_name) == 0 && unlink(path) == 0)
			n++;
	}
	(void)closedir(d);
	return n;
}

/* Reads one key file into k; 0 or a negative errno (logged). */
static int
pki_udp_key_read(const char *dir, const char *name, struct pki_udp_key *k)
{
	char package[PKI_UDP_PACKAGE_ID_LEN + 1], path[PKI_PATH_MAX];
	struct stat sb;
	ssize_t got;
	int fd, r = -EINVAL;

	if (pki_udp_name_parse(name, &k->server_id, package) < 0 ||
	    pki_udp_package_number(package, &k->package_id) < 0 ||
	    pki_path(path, dir, name) < 0)
		return -EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -errno;
	if (fstat(fd, &sb) == 0 && (sb.st_mode & 077) == 0 &&
	    sb.st_size == PKI_UDP_KEY_LEN) {
		got = read(fd, k->key, PKI_UDP_KEY_LEN);
		r = got == PKI_UDP_KEY_LEN ? 0 : -EIO;
	}
	(void)close(fd);
	if (r < 0)
		log_warnx("UDP key '%s': not a key file of mode 0600, "
		    "ignoring", path);
	return r;
}

int
pki_udp_keys_load(const char *dir, struct pki_udp_key **ret_keys,
    size_t *ret_n)
{
	struct pki_udp_key *v = NULL, *p;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL && n < PKI_UDP_KEYS_MAX) {
		if (strncmp(de->d_name, PKI_UDP_FILE_PREFIX,
		    strlen(PKI_UDP_FILE_PREFIX)) != 0)
			continue;
		if ((p = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			(void)closedir(d);
			pki_udp_keys_free(v, n);
			return -ENOMEM;
		}
		v = p;
		if (pki_udp_key_read(dir, de->d_name, &v[n]) == 0)
			n++;
	}
	(void)closedir(d);
	*ret_keys = v;
	*ret_n = n;
	return 0;
}

void
pki_udp_keys_free(struct pki_udp_key *keys, size_t n)
{
	if (keys == NULL)
		return;
	OPENSSL_cleanse(keys, n * sizeof(*keys));
	free(keys);
}

int
pki_udp_open(const uint8_t key[PKI_UDP_KEY_LEN], const uint8_t *aad,
    size_t aad_len, const uint8_t *body, size_t len, uint8_t *out,
    size_t *ret_len)
{
	const uint8_t *nonce = body, *ct = body + UDP_WIRE_NONCE_LEN;
	EVP_CIPHER_CTX *ctx;
	size_t ct_len;
	int n = 0, fin = 0, ok;

	if (len < UDP_WIRE_NONCE_LEN + UDP_WIRE_TAG_LEN)
		return -EBADMSG;
	ct_len = len - UDP_WIRE_NONCE_LEN - UDP_WIRE_TAG_LEN;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) ==
	    1 && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
	    UDP_WIRE_NONCE_LEN, NULL) == 1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
	    EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, UDP_WIRE_TAG_LEN,
	    (void *)(ct + ct_len)) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		OPENSSL_cleanse(out, ct_len);
		return -EBADMSG;
	}
	*ret_len = (size_t)n + (size_t)fin;
	return 0;
}
