/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the creation of a communication data package: a zip
 * (libarchive) holding certificates.pfx (PKCS#12: CA certificate, a new
 * client certificate and its key) and metadata.json. The package goes back
 * to kics-query, which writes the file as the caller with mode 0600, so
 * the daemon never writes to a path a client chose. A new package revokes
 * the earlier client certificates of its server.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "ingest.h"
#include "kics_limits.h"
#include "log.h"
#include "tls.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED

#define PACKAGE_ZIP_MAX		(256 * 1024)	/* bytes of the zip */
#define PACKAGE_META_LEN	2048		/* bytes of metadata.json */
#define PACKAGE_ID_LEN		37		/* UUID text and NUL */
#define PACKAGE_PASSWORD_MIN	12		/* characters; as kics-query */

/* A random (version 4) UUID. */
static int
package_uuid(char out[PACKAGE_ID_LEN])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	(void)snprintf(out, PACKAGE_ID_LEN, "%02x%02x%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
	    b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	    b[13], b[14], b[15]);
	return 0;
}

static int
package_add(struct archive *a, const char *name, const void *data,
    size_t len, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r = -EIO;

	if (e == NULL)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(a, e) == ARCHIVE_OK &&
	    archive_write_data(a, data, len) == (la_ssize_t)len)
		r = 0;
	archive_entry_free(e);
	return r;
}

/* Characters of a UTF-8 string of len bytes (invalid bytes count too). */
static size_t
package_chars(const uint8_t *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* The zip of the two files, in memory. */
static int
package_zip(const uint8_t *pfx, size_t pfx_len, const char *meta,
    int64_t now_ms, uint8_t **ret_zip, size_t *ret_len)
{
	struct archive *a;
	uint8_t *buf = xcalloc(1, PACKAGE_ZIP_MAX);
	size_t used = 0;
	int r = -EIO;

	if ((a = archive_write_new()) == NULL) {
		free(buf);
		return -ENOMEM;
	}
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_memory(a, buf, PACKAGE_ZIP_MAX, &used) !=
	    ARCHIVE_OK)
		goto out;
	if ((r = package_add(a, "certificates.pfx", pfx, pfx_len,
	    (time_t)(now_ms / 1000))) < 0 ||
	    (r = package_add(a, "metadata.json", meta, strlen(meta),
	    (time_t)(now_ms / 1000))) < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		r = -EIO;
		goto out;
	}
	*ret_zip = buf;
	*ret_len = used;
	buf = NULL;
	r = 0;
out:
	if (r < 0)
		log_warnx("package: zip: %s", archive_error_string(a) != NULL ?
		    archive_error_string(a) : strerror(-r));
	archive_write_free(a);
	free(buf);
	return r;
}

/* The state of one package create. */
struct package_create {
	struct admin_task t;
	int64_t		server_id;
	struct engine_server row;	/* strings owned */
	struct pki_cert_info cert;	/* the server certificate */
	char		id[PACKAGE_ID_LEN];	/* of the package */
	char		*meta;		/* metadata.json, owned */
	uint8_t		*zip;		/* owned */
	size_t		zip_len;
	size_t		revoked;	/* earlier client certificates */
	bool		tls_reload;	/* the CRL changed */
};

static int
package_prepare(struct admin_task *t)
{
	struct package_create *x = (struct package_create *)t;
	const Kics__Control__V1__PackageArgs *a = t->req->msg->package;

	if (a == NULL || a->server_id <= 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "a server id is required");
		return -EINVAL;
	}
	/* kics-query checks the length too; other clients may not */
	if (package_chars(a->password.data, a->password.len) <
	    PACKAGE_PASSWORD_MIN || a->password.len > PKI_PASSWORD_MAX ||
	    memchr(a->password.data, '\0', a->password.len) != NULL) {
		(void)snprintf(t->message, sizeof(t->message), "the password "
		    "must be at least %d characters (at most %d bytes, "
		    "without NUL)", PACKAGE_PASSWORD_MIN, PKI_PASSWORD_MAX);
		return -EINVAL;
	}
	x->server_id = a->server_id;
	return 0;
}

/* metadata.json of the package, for the agent's installer. */
static void
package_meta(struct package_create *x, int64_t now_ms)
{
	x->meta = xcalloc(1, PACKAGE_META_LEN);
	(void)snprintf(x->meta, PACKAGE_META_LEN, "{\"package_id\":\"%s\","
	    "\"server_id\":%lld,\"address\":\"%s\",\"port\":%u,"
	    "\"transport\":\"https\",\"verify_client_cert\":%s,"
	    "\"server_cert_sha256\":\"%s\",\"created_ms\":%lld}\n", x->id,
	    (long long)x->row.id, x->row.address, x->row.port,
	    x->row.verify_client_cert ? "true" : "false", x->cert.sha256,
	    (long long)now_ms);
}

/* The new client certificate, recorded; the ones it replaces revoked. */
static int
package_record(struct package_create *x, struct engine *e,
    const struct pki_client_cert *cc, int64_t now_ms)
{
	struct pki *pki = control_params(x->t.req->ctl)->pki;
	char **revoked = NULL;
	size_t n = 0;
	int r;

	if ((r = engine_package_record(e, x->row.id, x->id, cc->serial,
	    cc->sha256, cc->not_after_ms, now_ms, &revoked, &n)) < 0) {
		(void)snprintf(x->t.message, sizeof(x->t.message),
		    "cannot record the package: %s", engine_errmsg(e));
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		if (pki_revoke(pki, revoked[i], now_ms) < 0)
			log_warnx("package: cannot revoke certificate %s: %s, "
			    "ignoring", revoked[i], tls_last_error());
		else
			x->tls_reload = true;
	}
	engine_strings_free(revoked, n);
	x->revoked = n;
	return 0;
}

/* The writer step: certificate, PKCS#12, zip, records, revocations. */
static int
package_run(struct admin_task *t, struct engine *e)
{
	struct package_create *x = (struct package_create *)t;
	const Kics__Control__V1__PackageArgs *a = t->req->msg->package;
	struct pki *pki = control_params(t->req->ctl)->pki;
	struct pki_client_cert cc = { 0 };
	char password[PKI_PASSWORD_MAX + 1];
	uint8_t *pfx = NULL;
	size_t pfx_len = 0;
	int64_t now = ingest_now_ms();
	int r;

	memcpy(password, a->password.data, a->password.len);
	password[a->password.len] = '\0';
	if ((r = engine_server_get(e, x->server_id, &x->row)) < 0) {
		if (r == -ENOENT)
			(void)snprintf(t->message, sizeof(t->message),
			    "no integration server %lld",
			    (long long)x->server_id);
		goto out;
	}
	if ((r = admin_certify(t, e, x->row.id, x->row.address,
	    &x->cert)) < 0)
		goto out;
	if ((r = package_uuid(x->id)) < 0 ||
	    (r = pki_client_cert_issue(pki, x->row.id, now, &cc)) < 0 ||
	    (r = pki_write_pkcs12(pki, &cc, password, &pfx, &pfx_len)) < 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "cannot make the client certificate: %s: %s",
		    strerror(-r), tls_last_error());
		goto out;
	}
	package_meta(x, now);
	if ((r = package_zip(pfx, pfx_len, x->meta, now, &x->zip,
	    &x->zip_len)) < 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "cannot build the zip");
		goto out;
	}
	r = package_record(x, e, &cc, now);
out:
	if (r < 0 && t->message[0] == '\0')
		(void)snprintf(t->message, sizeof(t->message), "%s",
		    strerror(-r));
	if (pfx != NULL) {
		pki_cleanse(pfx, pfx_len);
		free(pfx);
	}
	pki_client_cert_fini(&cc);
	pki_cleanse(password, sizeof(password));
	pki_cleanse(a->password.data, a->password.len);
	return r;
}

static void
package_done(struct admin_task *t)
{
	struct package_create *x = (struct package_create *)t;
	struct control_req *req = t->req;

	if (x->tls_reload)
		(void)http_listener_tls_reload(control_params(req->ctl)->http);
	if (t->r < 0) {
		control_finish(req, ST_FAILED, "%s", t->message);
		return;
	}
	/* the reply carries the zip and its metadata */
	req->json = x->meta;
	x->meta = NULL;
	req->data = x->zip;
	req->data_len = x->zip_len;
	x->zip = NULL;
	(void)snprintf(req->target, sizeof(req->target), "server %lld "
	    "package %s", (long long)x->row.id, x->id);
	control_finish(req, ST_OK, "package for integration server %lld "
	    "created (%zu bytes); %zu earlier client certificate(s) revoked",
	    (long long)x->row.id, req->data_len, x->revoked);
}

static void
package_fini(struct admin_task *t)
{
	struct package_create *x = (struct package_create *)t;

	engine_server_clear(&x->row);
	free(x->meta);
	free(x->zip);
}

const struct admin_handler admin_package_create = {
	.size = sizeof(struct package_create),
	.prepare = package_prepare,
	.run = package_run,
	.done = package_done,
	.fini = package_fini,
};
