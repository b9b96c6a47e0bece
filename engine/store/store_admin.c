/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of administration: changes to integration
 * servers, certificates of communication data packages, users, the audit
 * log and manual device status. Administration is rare, so statements are
 * prepared per call instead of taking slots in the statement cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "store-private.h"

/* Prepares sql on s; NULL with the message kept on failure. */
static sqlite3_stmt *
admin_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK) {
		(void)store_error(s, rc);
		(void)sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Steps a statement that returns no rows and finalizes it. */
static int
admin_exec(struct store *s, sqlite3_stmt *st)
{
	int r = store_exec_stmt(s, st);

	(void)sqlite3_finalize(st);
	return r;
}

int
store_server_update(struct store *s, int64_t id,
    const struct engine_server_spec *spec)
{
	sqlite3_stmt *st = admin_prepare(s, "UPDATE integration_servers SET "
	    "name = ?2, address = ?3, port = ?4, enabled = ?5, "
	    "verify_client_cert = ?6, transport = ?7, udp_port = ?8, "
	    "udp_encryption = ?9 WHERE id = ?1");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_text(st, 2, spec->name, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, spec->address, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 4, spec->port);
	(void)sqlite3_bind_int(st, 5, spec->enabled);
	(void)sqlite3_bind_int(st, 6, spec->verify_client_cert);
	(void)sqlite3_bind_text(st, 7, server_transport_name(spec->transport),
	    -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 8, spec->udp_port != 0 ? spec->udp_port :
	    spec->port);
	(void)sqlite3_bind_int(st, 9, spec->udp_encryption);
	if ((r = admin_exec(s, st)) < 0)
		return r;
	return sqlite3_changes(s->db) == 0 ? -ENOENT : 0;
}

int
store_server_delete(struct store *s, int64_t id)
{
	sqlite3_stmt *st = admin_prepare(s,
	    "DELETE FROM integration_servers WHERE id = ?1");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	if ((r = admin_exec(s, st)) < 0)
		return r;
	return sqlite3_changes(s->db) == 0 ? -ENOENT : 0;
}

int
store_server_set_package(struct store *s, int64_t id, const char *package_id,
    int64_t created_ms)
{
	sqlite3_stmt *st = admin_prepare(s, "UPDATE integration_servers SET "
	    "package_id = ?2, package_created_ms = ?3 WHERE id = ?1");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_text(st, 2, package_id, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 3, created_ms);
	if ((r = admin_exec(s, st)) < 0)
		return r;
	return sqlite3_changes(s->db) == 0 ? -ENOENT : 0;
}

void
store_strings_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Steps st, an UPDATE ... RETURNING serial, to its end and finalizes it.
 * Returns 0 and the serials (freed with store_strings_free()), or a
 * negative errno.
 */
static int
admin_serials(struct store *s, sqlite3_stmt *st, char ***ret_serials,
    size_t *ret_n)
{
	char **v = NULL, **p;
	size_t n = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		v = p;
		if ((v[n] = store_column_dup(st, 0)) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = store_error(s, rc);
		goto out;
	}
	*ret_serials = v;
	*ret_n = n;
	v = NULL;
	n = 0;
out:
	(void)sqlite3_finalize(st);
	store_strings_free(v, n);
	return r;
}

int
store_cert_revoke_server(struct store *s, int64_t server_id,
    const char *kind, const char *keep_serial, int64_t now_ms,
    char ***ret_serials, size_t *ret_n)
{
	sqlite3_stmt *st;

	st = admin_prepare(s, "UPDATE certificates SET revoked_ms = ?3 "
	    "WHERE server_id = ?1 AND revoked_ms IS NULL "
	    "AND (?2 IS NULL OR kind = ?2) AND (?4 IS NULL OR serial <> ?4) "
	    "RETURNING serial");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, server_id);
	(void)store_bind_text(st, 2, kind);
	(void)sqlite3_bind_int64(st, 3, now_ms);
	(void)store_bind_text(st, 4, keep_serial);
	return admin_serials(s, st, ret_serials, ret_n);
}

int
store_package_cert_insert(struct store *s, int64_t server_id,
    const char *package_id, const char *serial, const char *sha256,
    int64_t not_after_ms, int64_t now_ms)
{
	sqlite3_stmt *st = admin_prepare(s, "INSERT INTO certificates "
	    "(server_id, kind, serial, sha256, not_after_ms, created_ms, "
	    "package_id, pending) VALUES (?1, 'client', ?2, ?3, ?4, ?5, ?6, "
	    "1)");

	if (st == NULL)
		return -EIO;
	(void)store_bind_id(st, 1, server_id);
	(void)sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 4, not_after_ms);
	(void)sqlite3_bind_int64(st, 5, now_ms);
	(void)sqlite3_bind_text(st, 6, package_id, -1, SQLITE_STATIC);
	return admin_exec(s, st);
}

int
store_package_cert_revoke_pending(struct store *s, int64_t server_id,
    int64_t now_ms, char ***ret_serials, size_t *ret_n)
{
	sqlite3_stmt *st = admin_prepare(s, "UPDATE certificates SET "
	    "revoked_ms = ?2 WHERE server_id = ?1 AND kind = 'client' AND "
	    "pending = 1 AND revoked_ms IS NULL RETURNING serial");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, server_id);
	(void)sqlite3_bind_int64(st, 2, now_ms);
	return admin_serials(s, st, ret_serials, ret_n);
}

/*
 * Steps st, an UPDATE of at most one pending certificate RETURNING its
 * serial and created_ms, and finalizes it. -ENOENT when no row changed.
 */
static int
admin_package_cert(struct store *s, sqlite3_stmt *st, char **ret_serial,
    int64_t *ret_created_ms)
{
	char *serial = NULL;
	int64_t created = 0;
	int rc, r = -ENOENT;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		created = sqlite3_column_int64(st, 1);
		if ((serial = store_column_dup(st, 0)) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		r = 0;
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		r = store_error(s, rc);
		goto out;
	}
	if (r < 0)
		goto out;
	*ret_serial = serial;
	if (ret_created_ms != NULL)
		*ret_created_ms = created;
	serial = NULL;
out:
	(void)sqlite3_finalize(st);
	free(serial);
	return r;
}

int
store_package_cert_activate(struct store *s, int64_t server_id,
    const char *package_id, char **ret_serial, int64_t *ret_created_ms)
{
	sqlite3_stmt *st = admin_prepare(s, "UPDATE certificates SET "
	    "pending = 0 WHERE server_id = ?1 AND package_id = ?2 AND "
	    "kind = 'client' AND pending = 1 AND revoked_ms IS NULL "
	    "RETURNING serial, created_ms");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, server_id);
	(void)sqlite3_bind_text(st, 2, package_id, -1, SQLITE_STATIC);
	return admin_package_cert(s, st, ret_serial, ret_created_ms);
}

int
store_package_cert_discard(struct store *s, int64_t server_id,
    const char *package_id, int64_t now_ms, char **ret_serial)
{
	sqlite3_stmt *st = admin_prepare(s, "UPDATE certificates SET "
	    "revoked_ms = ?3 WHERE server_id = ?1 AND package_id = ?2 AND "
	    "kind = 'client' AND pending = 1 AND revoked_ms IS NULL "
	    "RETURNING serial, created_ms");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, server_id);
	(void)sqlite3_bind_text(st, 2, package_id, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 3, now_ms);
	return admin_package_cert(s, st, ret_serial, NULL);
}

int
store_agents_connected(struct store *s, int64_t since_ms, int64_t server_id,
    int64_t *ret_count)
{
	sqlite3_stmt *st = admin_prepare(s, "SELECT COUNT(*) FROM agents "
	    "WHERE connected = 1 AND last_contact_ms >= ?1 "
	    "AND (?2 = 0 OR server_id = ?2)");
	int rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, since_ms);
	(void)sqlite3_bind_int64(st, 2, server_id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		rc = store_error(s, rc);
		(void)sqlite3_finalize(st);
		return rc;
	}
	*ret_count = sqlite3_column_int64(st, 0);
	(void)sqlite3_finalize(st);
	return 0;
}

int
store_user_list(struct store *s, struct engine_user **ret_users,
    size_t *ret_n)
{
	sqlite3_stmt *st = admin_prepare(s,
	    "SELECT name, role, created_ms FROM users ORDER BY name");
	struct engine_user *v = NULL, *p;
	size_t n = 0;
	int rc, r = 0;

	if (st == NULL)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		v = p;
		p = &v[n++];
		p->name = store_column_dup(st, 0);
		p->role = store_column_dup(st, 1);
		p->created_ms = sqlite3_column_int64(st, 2);
		if (p->name == NULL || p->role == NULL) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		r = store_error(s, rc);
		goto out;
	}
	*ret_users = v;
	*ret_n = n;
	v = NULL;
	n = 0;
out:
	(void)sqlite3_finalize(st);
	engine_users_free(v, n);
	return r;
}

int
store_user_put(struct store *s, const char *name, const char *role,
    int64_t now_ms)
{
	sqlite3_stmt *st = admin_prepare(s, "INSERT INTO users (name, role, "
	    "created_ms) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE "
	    "SET role = excluded.role");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 3, now_ms);
	return admin_exec(s, st);
}

int
store_user_delete(struct store *s, const char *name)
{
	sqlite3_stmt *st = admin_prepare(s,
	    "DELETE FROM users WHERE name = ?1");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((r = admin_exec(s, st)) < 0)
		return r;
	return sqlite3_changes(s->db) == 0 ? -ENOENT : 0;
}

int
store_audit_insert(struct store *s, const struct engine_audit *a)
{
	sqlite3_stmt *st = admin_prepare(s, "INSERT INTO audit_log (at_ms, "
	    "os_user, uid, role, action, target, result, detail) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, a->at_ms);
	(void)sqlite3_bind_text(st, 2, a->os_user, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 3, a->uid);
	(void)sqlite3_bind_text(st, 4, a->role, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 5, a->action, -1, SQLITE_STATIC);
	(void)store_bind_text(st, 6, a->target);
	(void)sqlite3_bind_text(st, 7, a->result, -1, SQLITE_STATIC);
	(void)store_bind_text(st, 8, a->detail);
	return admin_exec(s, st);
}
