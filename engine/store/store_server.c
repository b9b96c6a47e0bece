/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of integration servers, of the certificates
 * issued for them, and of the saved rule set the daemon runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "store-private.h"

int
store_server_count(struct store *s, int64_t *ret_count)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SERVER_COUNT,
	    "SELECT COUNT(*) FROM integration_servers");

	if (st == NULL)
		return -EIO;
	return store_step_int(s, st, ret_count);
}

int
store_server_insert(struct store *s, const struct engine_server_spec *spec,
    int64_t now_ms, int64_t *ret_id)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SERVER_INSERT,
	    "INSERT INTO integration_servers (name, address, port, enabled, "
	    "verify_client_cert, created_ms, transport, udp_port, "
	    "udp_encryption) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, spec->name, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 2, spec->address, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 3, spec->port);
	(void)sqlite3_bind_int(st, 4, spec->enabled);
	(void)sqlite3_bind_int(st, 5, spec->verify_client_cert);
	(void)sqlite3_bind_int64(st, 6, now_ms);
	(void)sqlite3_bind_text(st, 7, server_transport_name(spec->transport),
	    -1, SQLITE_STATIC);
	(void)sqlite3_bind_int(st, 8, spec->udp_port != 0 ? spec->udp_port :
	    spec->port);
	(void)sqlite3_bind_int(st, 9, spec->udp_encryption);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_server_list(struct store *s, struct engine_server **ret_servers,
    size_t *ret_n)
{
	sqlite3_stmt *st = NULL;
	struct engine_server *v = NULL, *p;
	size_t n = 0;
	int rc, r = 0;

	/* rare: prepared per call rather than cached */
	rc = sqlite3_prepare_v2(s->db, "SELECT id, name, address, port, "
	    "enabled, verify_client_cert, cert_not_after_ms, "
	    "package_created_ms, last_data_ms, transport, udp_port, "
	    "udp_encryption, package_id FROM integration_servers "
	    "ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_error(s, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		v = p;
		p = &v[n++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(st, 0);
		p->name = store_column_dup(st, 1);
		p->address = store_column_dup(st, 2);
		p->port = (uint16_t)sqlite3_column_int(st, 3);
		p->enabled = sqlite3_column_int(st, 4) != 0;
		p->verify_client_cert = sqlite3_column_int(st, 5) != 0;
		p->cert_not_after_ms = sqlite3_column_int64(st, 6);
		p->package_created_ms = sqlite3_column_int64(st, 7);
		p->last_data_ms = sqlite3_column_int64(st, 8);
		if (server_transport_parse((const char *)
		    sqlite3_column_text(st, 9), &p->transport) < 0)
			p->transport = SERVER_TRANSPORT_HTTPS;
		p->udp_port = (uint16_t)sqlite3_column_int(st, 10);
		p->udp_encryption = sqlite3_column_int(st, 11) != 0;
		if (sqlite3_column_type(st, 12) != SQLITE_NULL &&
		    (p->package_id = store_column_dup(st, 12)) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		if (p->name == NULL || p->address == NULL) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		r = store_error(s, rc);
		goto out;
	}
	*ret_servers = v;
	*ret_n = n;
	v = NULL;
	n = 0;
out:
	(void)sqlite3_finalize(st);
	engine_servers_free(v, n);
	return r;
}

int
store_server_set_cert(struct store *s, int64_t id, const char *serial,
    const char *sha256, int64_t not_after_ms, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SERVER_CERT,
	    "UPDATE integration_servers SET cert_serial = ?2, "
	    "cert_sha256 = ?3, cert_not_after_ms = ?4 WHERE id = ?1");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 4, not_after_ms);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return -ENOENT;
	st = store_stmt(s, STMT_SERVER_CERT_ROW,
	    "INSERT INTO certificates (server_id, kind, serial, sha256, "
	    "not_after_ms, created_ms) VALUES (?1, 'server', ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (serial) DO NOTHING");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 4, not_after_ms);
	(void)sqlite3_bind_int64(st, 5, now_ms);
	return store_exec_stmt(s, st);
}

int
store_server_touch(struct store *s, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *st;

	if (id == 0)
		return 0;
	st = store_stmt(s, STMT_SERVER_TOUCH,
	    "UPDATE integration_servers SET last_data_ms = ?2 WHERE id = ?1 "
	    "AND (last_data_ms IS NULL OR last_data_ms < ?2)");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_int64(st, 2, now_ms);
	return store_exec_stmt(s, st);
}

int
store_rules_state_put(struct store *s, const char *file, int64_t loaded_ms,
    const char *rules_json, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_RULES_STATE,
	    "INSERT INTO rules_state (id, file, loaded_ms, updated_ms, rules) "
	    "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
	    "file = excluded.file, loaded_ms = excluded.loaded_ms, "
	    "updated_ms = excluded.updated_ms, rules = excluded.rules");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 2, loaded_ms);
	(void)sqlite3_bind_int64(st, 3, now_ms);
	(void)sqlite3_bind_text(st, 4, rules_json, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st);
}
