/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the creation of a communication data package: a zip
 * (libarchive) holding certificates.pfx (PKCS#12: CA certificate, a new
 * client certificate and its key) and metadata.json. The package goes back
 * to kics-query, which writes the file as the caller with mode 0600, so
 * the daemon never writes to a path a client chose. The package stays
 * pending until kics-query activates it, having written the file; only
 * then are the earlier client certificates of its server revoked. When
 * the file cannot be written, kics-query discards it instead (issue 10).
 */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "ingest.h"
#include "kics_limits.h"
#include "log.h"
#include "pki_udp.h"
#include "udp.h"
#include "tls.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED

#define PACKAGE_ZIP_MAX		(256 * 1024)	/* bytes of the zip */
#define PACKAGE_META_LEN	2048		/* bytes of metadata.json */
#define PACKAGE_ID_LEN		37		/* UUID text and NUL */
#define PACKAGE_PASSWORD_MIN	12		/* characters; as kics-query */
#define PACKAGE_REASON_MAX	320		/* bytes of a reason */

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

/* Whether v is a package id as package_uuid() makes them. */
static bool
package_id_valid(const char *v)
{
	if (strlen(v) != PACKAGE_ID_LEN - 1)
		return false;
	for (size_t i = 0; v[i] != '\0'; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (v[i] != '-')
				return false;
		} else if (strchr("0123456789abcdef", v[i]) == NULL)
			return false;
	}
	return true;
}

/*
 * Revokes serials in the CRL; returns whether any was (the listeners then
 * need a TLS reload). A failure leaves the database saying revoked while
 * the CRL does not; it is logged, and the next revocation rewrites the CRL.
 */
static bool
package_revoke(struct pki *pki, char *const *serials, size_t n,
    int64_t now_ms)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (pki_revoke(pki, serials[i], now_ms) < 0)
			log_warnx("package: cannot revoke certificate %s: %s, "
			    "ignoring", serials[i], tls_last_error());
		else
			any = true;
	}
	return any;
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

/* Removes the UDP key of package id of server_id; whether it existed. */
static bool
package_key_remove(const char *dir, int64_t server_id, const char *id)
{
	char path[PKI_PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/udp-%lld-%s.key", dir,
	    (long long)server_id, id);
	return unlink(path) == 0;
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
	size_t		discarded;	/* pending earlier packages revoked */
	bool		tls_reload;	/* the CRL changed */
	bool		keys_reload;	/* UDP keys written or removed */
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

/* The UDP receiver opens with the keys now in the PKI directory. */
static void
package_keys_reload(struct control_req *req)
{
	struct udp *u = control_params(req->ctl)->udp;

	if (u != NULL)
		udp_keys_reload(u);
}

/* metadata.json of the package, for the agent's installer. */
static void
package_meta(struct package_create *x, int64_t now_ms)
{
	x->meta = xcalloc(1, PACKAGE_META_LEN);
	(void)snprintf(x->meta, PACKAGE_META_LEN, "{\"package_id\":\"%s\","
	    "\"server_id\":%lld,\"address\":\"%s\",\"port\":%u,"
	    "\"transport\":\"%s\",\"verify_client_cert\":%s,"
	    "\"server_cert_sha256\":\"%s\",\"created_ms\":%lld,"
	    "\"udp_port\":%u,\"udp_encryption\":%s}\n", x->id,
	    (long long)x->row.id, x->row.address, x->row.port,
	    server_transport_name(x->row.transport),
	    x->row.verify_client_cert ? "true" : "false", x->cert.sha256,
	    (long long)now_ms, x->row.udp_port,
	    x->row.udp_encryption ? "true" : "false");
}

/*
 * A package id whose UDP number (pki_udp_package_number()) is not 0 and
 * no key in dir has, so that a datagram names one key only.
 */
static int
package_id_new(const char *dir, char out[PACKAGE_ID_LEN])
{
	struct pki_udp_key *keys = NULL;
	size_t n = 0;
	uint32_t number = 0;
	bool taken = true;
	int r;

	if ((r = pki_udp_keys_load(dir, &keys, &n)) < 0)
		return r;
	for (int tries = 0; taken && tries < 16; tries++) {
		if ((r = package_uuid(out)) < 0)
			break;
		(void)pki_udp_package_number(out, &number);
		taken = number == 0;
		for (size_t i = 0; i < n && !taken; i++)
			taken = keys[i].package_id == number;
	}
	pki_udp_keys_free(keys, n);
	return r < 0 ? r : taken ? -EEXIST : 0;
}

/*
 * For a server in UDP mode: the package's key, derived from its password
 * (never stored) and written to the PKI directory; the keys of earlier
 * packages never activated go, as their certificates do.
 */
static int
package_udp_key(struct package_create *x, const char *password)
{
	const char *dir = pki_dir(control_params(x->t.req->ctl)->pki);
	const char *keep[2] = { x->row.package_id, x->id };
	uint8_t key[PKI_UDP_KEY_LEN];
	uint32_t number;
	int r;

	if (!server_transport_udp(x->row.transport))
		return 0;
	if ((r = pki_udp_package_number(x->id, &number)) < 0 ||
	    (r = pki_udp_key_derive(password, strlen(password), number,
	    key)) < 0 ||
	    (r = pki_udp_key_write(dir, x->row.id, x->id, key)) < 0) {
		(void)snprintf(x->t.message, sizeof(x->t.message),
		    "cannot store the UDP key: %s", strerror(-r));
		pki_cleanse(key, sizeof(key));
		return r;
	}
	pki_cleanse(key, sizeof(key));
	(void)pki_udp_keys_prune(dir, x->row.id, keep, 2);
	x->keys_reload = true;
	return 0;
}

/*
 * The new client certificate, recorded pending. Nothing the agents use is
 * revoked here: only the certificates of earlier packages that were never
 * activated, whose files kics-query did not finish.
 */
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
	x->tls_reload = package_revoke(pki, revoked, n, now_ms);
	engine_strings_free(revoked, n);
	x->discarded = n;
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
	if ((r = package_id_new(pki_dir(pki), x->id)) < 0 ||
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
	if ((r = package_record(x, e, &cc, now)) < 0)
		goto out;
	r = package_udp_key(x, password);
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
	if (x->keys_reload)
		package_keys_reload(req);
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
	if (x->discarded > 0)
		control_finish(req, ST_OK, "package %s for integration server "
		    "%lld made (%zu bytes), pending until it is written; %zu "
		    "unfinished earlier package(s) discarded", x->id,
		    (long long)x->row.id, req->data_len, x->discarded);
	else
		control_finish(req, ST_OK, "package %s for integration server "
		    "%lld made (%zu bytes), pending until it is written",
		    x->id, (long long)x->row.id, req->data_len);
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

/*
 * The state of the steps after a package create: activate, once
 * kics-query has written the file, or discard, when it could not.
 */
struct package_step {
	struct admin_task t;
	int64_t		server_id;
	char		id[PACKAGE_ID_LEN];	/* discard: "" if none made */
	char		reason[PACKAGE_REASON_MAX];	/* discard */
	size_t		revoked;	/* activate: earlier certificates */
	bool		tls_reload;	/* the CRL changed */
	bool		keys_reload;	/* UDP keys removed */
};

/* Server and package id of a step; the id may be absent if optional. */
static int
package_step_prepare(struct admin_task *t, bool id_optional)
{
	struct package_step *x = (struct package_step *)t;
	const Kics__Control__V1__PackageArgs *a = t->req->msg->package;

	if (a == NULL || a->server_id <= 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "a server id is required");
		return -EINVAL;
	}
	x->server_id = a->server_id;
	if (id_optional && a->package_id[0] == '\0')
		return 0;
	if (!package_id_valid(a->package_id)) {
		(void)snprintf(t->message, sizeof(t->message), "a package id "
		    "(the package_id of the package made) is required");
		return -EINVAL;
	}
	memcpy(x->id, a->package_id, sizeof(x->id));
	(void)snprintf(t->req->target, sizeof(t->req->target), "server %lld "
	    "package %s", (long long)x->server_id, x->id);
	return 0;
}

/* The message when the server has no such pending package. */
static void
package_step_unknown(struct package_step *x, struct engine *e, int r)
{
	if (r == -ENOENT)
		(void)snprintf(x->t.message, sizeof(x->t.message),
		    "integration server %lld has no pending package %s (it "
		    "is unknown, already activated, discarded or replaced by "
		    "a newer one)", (long long)x->server_id, x->id);
	else
		(void)snprintf(x->t.message, sizeof(x->t.message), "%s",
		    engine_errmsg(e));
}

static int
package_activate_prepare(struct admin_task *t)
{
	return package_step_prepare(t, false);
}

/* The writer step: the package made current, the others revoked. */
static int
package_activate_run(struct admin_task *t, struct engine *e)
{
	struct package_step *x = (struct package_step *)t;
	struct pki *pki = control_params(t->req->ctl)->pki;
	char **revoked = NULL;
	size_t n = 0;
	int64_t now = ingest_now_ms();
	int r;

	if ((r = engine_package_activate(e, x->server_id, x->id, now,
	    &revoked, &n)) < 0) {
		package_step_unknown(x, e, r);
		return r;
	}
	x->tls_reload = package_revoke(pki, revoked, n, now);
	engine_strings_free(revoked, n);
	x->revoked = n;
	/* the UDP keys of the server's other packages end with them */
	x->keys_reload = pki_udp_keys_prune(pki_dir(pki), x->server_id,
	    &(const char *){ x->id }, 1) > 0;
	return 0;
}

static void
package_activate_done(struct admin_task *t)
{
	struct package_step *x = (struct package_step *)t;
	struct control_req *req = t->req;

	if (x->tls_reload)
		(void)http_listener_tls_reload(control_params(req->ctl)->http);
	if (x->keys_reload)
		package_keys_reload(req);
	if (t->r < 0) {
		control_finish(req, ST_FAILED, "package %s not activated: %s",
		    x->id, t->message);
		return;
	}
	control_finish(req, ST_OK, "package %s is now the package of "
	    "integration server %lld; %zu earlier client certificate(s) "
	    "revoked", x->id, (long long)x->server_id, x->revoked);
}

const struct admin_handler admin_package_activate = {
	.size = sizeof(struct package_step),
	.prepare = package_activate_prepare,
	.run = package_activate_run,
	.done = package_activate_done,
};

/*
 * A discard carries why kics-query gave up; it names a path of the
 * caller's and ends up in the log, the audit record and an event, so
 * control characters are replaced and the length is bounded.
 */
static int
package_discard_prepare(struct admin_task *t)
{
	struct package_step *x = (struct package_step *)t;
	const char *reason = t->req->msg->package != NULL ?
	    t->req->msg->package->reason : "";
	int r;

	if ((r = package_step_prepare(t, true)) < 0)
		return r;
	if (reason[0] == '\0') {
		(void)snprintf(t->message, sizeof(t->message),
		    "a reason is required");
		return -EINVAL;
	}
	(void)snprintf(x->reason, sizeof(x->reason), "%s", reason);
	if (strlen(reason) >= sizeof(x->reason)) {
		/* cut short: without the last, maybe partial, character */
		size_t n = strlen(x->reason);

		while (n > 0 && ((unsigned char)x->reason[n - 1] & 0xc0) ==
		    0x80)
			n--;
		if (n > 0 && ((unsigned char)x->reason[n - 1] & 0x80) != 0)
			n--;
		x->reason[n] = '\0';
	}
	for (char *p = x->reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return 0;
}

/* The writer step: the pending certificate revoked, if there is one. */
static int
package_discard_run(struct admin_task *t, struct engine *e)
{
	struct package_step *x = (struct package_step *)t;
	struct pki *pki = control_params(t->req->ctl)->pki;
	char *serial = NULL;
	int64_t now = ingest_now_ms();
	int r;

	/* no package id: nothing was made, only the audit record is due */
	if (x->id[0] == '\0')
		return 0;
	if ((r = engine_package_discard(e, x->server_id, x->id, x->reason,
	    now, &serial)) < 0) {
		package_step_unknown(x, e, r);
		return r;
	}
	x->tls_reload = package_revoke(pki, &serial, 1, now);
	free(serial);
	x->keys_reload = package_key_remove(pki_dir(pki), x->server_id, x->id);
	return 0;
}

/*
 * A discard is the end of a package create that failed, so it is
 * answered and audited as a failure however it went; the reason and the
 * outcome are in the message.
 */
static void
package_discard_done(struct admin_task *t)
{
	struct package_step *x = (struct package_step *)t;
	struct control_req *req = t->req;

	if (x->tls_reload)
		(void)http_listener_tls_reload(control_params(req->ctl)->http);
	if (x->keys_reload)
		package_keys_reload(req);
	if (x->id[0] == '\0')
		control_finish(req, ST_FAILED, "no package made for "
		    "integration server %lld: %s; nothing changed",
		    (long long)x->server_id, x->reason);
	else if (t->r < 0)
		control_finish(req, ST_FAILED, "package %s of integration "
		    "server %lld not written: %s; not discarded: %s", x->id,
		    (long long)x->server_id, x->reason, t->message);
	else
		control_finish(req, ST_FAILED, "package %s of integration "
		    "server %lld not written: %s; it is discarded and the "
		    "server's current package stays valid", x->id,
		    (long long)x->server_id, x->reason);
}

const struct admin_handler admin_package_discard = {
	.size = sizeof(struct package_step),
	.prepare = package_discard_prepare,
	.run = package_discard_run,
	.done = package_discard_done,
};
