/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the PKI's PEM input and output: one reader and one
 * writer for certificates, keys and CRLs, in files and in strings.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pki-private.h"
#include "tls.h"

/* What differs between the object types, apart from the OpenSSL calls. */
static const struct pki_pem_kind {
	const char	*name;		/* in error texts: "read <name>" */
	mode_t		 mode;		/* of its file */
	bool		 secret;	/* held in secure memory, wiped */
} pki_pem_kinds[PKI_PEM_MAX] = {
	[PKI_PEM_CERT] = { "certificate", 0644, false },
	[PKI_PEM_KEY] = { "key", 0600, true },
	[PKI_PEM_CRL] = { "CRL", 0644, false },
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

/* The first object of TYPE in BIO, or NULL with the error queue set. */
static void *
pki_pem_decode(BIO *bio, enum pki_pem_type type)
{
	switch (type) {
	case PKI_PEM_CERT:
		return PEM_read_bio_X509(bio, NULL, pki_no_password, NULL);
	case PKI_PEM_KEY:
		return PEM_read_bio_PrivateKey(bio, NULL, pki_no_password,
		    NULL);
	case PKI_PEM_CRL:
		return PEM_read_bio_X509_CRL(bio, NULL, pki_no_password, NULL);
	case PKI_PEM_MAX:
		break;
	}
	assert(!"unknown PEM type");
	return NULL;
}

int
pki_pem_read(const char *path, enum pki_pem_type type, void **ret_obj)
{
	char what[32];
	BIO *bio = NULL;
	void *obj;
	int r;

	assert(type < PKI_PEM_MAX);
	/* access() gives the errno (-ENOENT above all) that BIO would hide. */
	if (access(path, R_OK) < 0)
		return -errno;
	(void)snprintf(what, sizeof(what), "open %s", pki_pem_kinds[type].name);
	if ((bio = BIO_new_file(path, "r")) == NULL)
		return tls_error_take(what, -EIO);
	if ((obj = pki_pem_decode(bio, type)) == NULL) {
		(void)snprintf(what, sizeof(what), "read %s",
		    pki_pem_kinds[type].name);
		r = tls_error_take(what, -EINVAL);
		goto out;
	}
	*ret_obj = obj;
	r = 0;
out:
	BIO_free(bio);
	return r;
}

int
pki_pem_parse(const char *pem, enum pki_pem_type type, const char *what,
    void **ret_obj)
{
	BIO *bio;
	void *obj;
	int r = 0;

	assert(type < PKI_PEM_MAX);
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		return tls_error_take("BIO_new", -ENOMEM);
	if ((obj = pki_pem_decode(bio, type)) == NULL)
		r = tls_error_take(what, -EINVAL);
	else
		*ret_obj = obj;
	BIO_free(bio);
	return r;
}

/*
 * Copies what was written to BIO into a NUL-terminated string the caller
 * frees (with pki_secret_free() when it holds a key).
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

int
pki_pem_encode(enum pki_pem_type type, const void *obj, char **ret_pem,
    size_t *ret_len)
{
	char what[32];
	BIO *bio;
	int ok = 0, r;

	assert(type < PKI_PEM_MAX);
	/* A key is written to secure memory, which is wiped when freed. */
	bio = BIO_new(pki_pem_kinds[type].secret ? BIO_s_secmem() :
	    BIO_s_mem());
	if (bio == NULL)
		return tls_error_take("BIO_new", -ENOMEM);
	switch (type) {
	case PKI_PEM_CERT:
		ok = PEM_write_bio_X509(bio, obj);
		break;
	case PKI_PEM_KEY:
		ok = PEM_write_bio_PrivateKey(bio, obj, NULL, NULL, 0, NULL,
		    NULL);
		break;
	case PKI_PEM_CRL:
		ok = PEM_write_bio_X509_CRL(bio, obj);
		break;
	case PKI_PEM_MAX:
		break;
	}
	if (ok != 1) {
		(void)snprintf(what, sizeof(what), "write %s",
		    pki_pem_kinds[type].name);
		r = tls_error_take(what, -EIO);
	} else
		r = pki_bio_string(bio, ret_pem, ret_len);
	BIO_free(bio);
	return r;
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

/* Writes all LEN bytes of DATA to FD and syncs them. */
static int
pki_fd_write(int fd, const char *data, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, data, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

int
pki_file_write(const char *dir, const char *path, const char *data,
    size_t len, mode_t mode)
{
	char tmp[PKI_PATH_MAX + 32], suffix[17];
	unsigned char rnd[8];
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
	if ((r = pki_fd_write(fd, data, len)) < 0)
		goto out;
	r = close(fd);
	fd = -1;
	if (r < 0 || rename(tmp, path) < 0) {
		r = -errno;
		goto out;
	}
	created = false;
	r = pki_dir_sync(dir);
out:
	if (fd >= 0)
		(void)close(fd);
	if (created)
		(void)unlink(tmp);
	return r;
}

int
pki_pem_write(const struct pki *pki, const char *path,
    enum pki_pem_type type, const void *obj)
{
	size_t len = 0;
	char *pem = NULL;
	int r;

	assert(type < PKI_PEM_MAX);
	if ((r = pki_pem_encode(type, obj, &pem, &len)) < 0)
		return r;
	r = pki_file_write(pki->dir, path, pem, len, pki_pem_kinds[type].mode);
	if (pki_pem_kinds[type].secret)
		pki_secret_free(pem, len);
	else
		free(pem);
	return r;
}
