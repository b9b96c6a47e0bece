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
#define ST_INVALID	KICS__CONTROL__V1__STATUS__STATUS_INVALID

#define PACKAGE_ZIP_MAX		(256 * 1024)	/* bytes of the zip */
#define PACKAGE_META_LEN	2048		/* bytes of metadata.json */
#define PACKAGE_ID_LEN		37		/* UUID text and NUL */

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

/* The writer step: certificate, PKCS#12, zip, records, revocations. */
static void
package_run(struct writer_task *t, struct engine *e)
{
	struct control_req *req = (struct control_req *)t;
	const Kics__Control__V1__PackageArgs *a = req->msg->package;
	struct pki *pki = control_params(req->ctl)->pki;
	struct pki_client_cert cc = { 0 };
	char password[PKI_PASSWORD_MAX + 1];
	char id[PACKAGE_ID_LEN];
	char meta[PACKAGE_META_LEN];
	uint8_t *pfx = NULL;
	size_t pfx_len = 0, n = 0;
	char **revoked = NULL;
	int64_t now = ingest_now_ms();
	int r;

	req->message[0] = '\0';
	memcpy(password, a->password.data, a->password.len);
	password[a->password.len] = '\0';
	if ((r = engine_server_get(e, a->server_id, &req->row)) < 0) {
		if (r == -ENOENT)
			(void)snprintf(req->message, sizeof(req->message),
			    "no integration server %lld",
			    (long long)a->server_id);
		goto out;
	}
	if ((r = admin_certify(req, e, req->row.id, req->row.address)) < 0)
		goto out;
	if ((r = package_uuid(id)) < 0 ||
	    (r = pki_client_cert_issue(pki, req->row.id, now, &cc)) < 0 ||
	    (r = pki_write_pkcs12(pki, &cc, password, &pfx, &pfx_len)) < 0) {
		(void)snprintf(req->message, sizeof(req->message),
		    "cannot make the client certificate: %s: %s",
		    strerror(-r), tls_last_error());
		goto out;
	}
	(void)snprintf(meta, sizeof(meta), "{\"package_id\":\"%s\","
	    "\"server_id\":%lld,\"address\":\"%s\",\"port\":%u,"
	    "\"transport\":\"https\",\"verify_client_cert\":%s,"
	    "\"server_cert_sha256\":\"%s\",\"created_ms\":%lld}\n", id,
	    (long long)req->row.id, req->row.address, req->row.port,
	    req->row.verify_client_cert ? "true" : "false", req->cert.sha256,
	    (long long)now);
	if ((r = package_zip(pfx, pfx_len, meta, now, &req->data,
	    &req->data_len)) < 0) {
		(void)snprintf(req->message, sizeof(req->message),
		    "cannot build the zip");
		goto out;
	}
	if ((r = engine_package_record(e, req->row.id, id, cc.serial, cc.sha256,
	    cc.not_after_ms, now, &revoked, &n)) < 0) {
		(void)snprintf(req->message, sizeof(req->message),
		    "cannot record the package: %s", engine_errmsg(e));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (pki_revoke(pki, revoked[i], now) < 0)
			log_warnx("package: cannot revoke certificate %s: %s, "
			    "ignoring", revoked[i], tls_last_error());
		else
			req->tls_reload = true;
	}
	req->json = xcalloc(1, PACKAGE_META_LEN);
	(void)snprintf(req->json, PACKAGE_META_LEN, "%s", meta);
	(void)snprintf(req->target, sizeof(req->target), "server %lld "
	    "package %s", (long long)req->row.id, id);
	req->id = (int64_t)n;
out:
	if (r < 0) {
		free(req->data);
		req->data = NULL;
		req->data_len = 0;
		if (req->message[0] == '\0')
			(void)snprintf(req->message, sizeof(req->message),
			    "%s", strerror(-r));
	}
	req->r = r;
	engine_strings_free(revoked, n);
	if (pfx != NULL) {
		pki_cleanse(pfx, pfx_len);
		free(pfx);
	}
	pki_client_cert_fini(&cc);
	pki_cleanse(password, sizeof(password));
	pki_cleanse(a->password.data, a->password.len);
}

static void
package_done(struct writer_task *t)
{
	struct control_req *req = (struct control_req *)t;

	if (req->tls_reload)
		(void)http_listener_tls_reload(control_params(req->ctl)->http);
	if (req->r < 0) {
		control_finish(req, ST_FAILED, "%s", req->message);
		return;
	}
	control_finish(req, ST_OK, "package for integration server %lld "
	    "created (%zu bytes); %lld earlier client certificate(s) revoked",
	    (long long)req->row.id, req->data_len, (long long)req->id);
}

void
admin_package(struct control_req *req)
{
	const Kics__Control__V1__PackageArgs *a = req->msg->package;

	if (a == NULL || a->server_id <= 0) {
		control_finish(req, ST_INVALID, "a server id is required");
		return;
	}
	if (a->password.len == 0 || a->password.len > PKI_PASSWORD_MAX ||
	    memchr(a->password.data, '\0', a->password.len) != NULL) {
		control_finish(req, ST_INVALID, "the password must be 1 to %d "
		    "bytes without NUL", PKI_PASSWORD_MAX);
		return;
	}
	control_submit(req, package_run, package_done);
}
