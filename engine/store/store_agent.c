/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of the agents table: lookup by text id, the
 * committed sequence and last contact, the identity token, the
 * connection-state sweep, and reset and removal by an administrator.
 */
#include <errno.h>
#include <stdio.h>

#include "store-private.h"

int
store_agent_find(struct store *s, const char *agent_id,
    struct store_agent *ret_agent)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_FIND,
	    "SELECT id, device_id, sequence, last_contact_ms, connected, "
	    "duplicate_event_ms, host_digest, apps_digest, token, token_used "
	    "FROM agents WHERE agent_id = ?1");
	const unsigned char *token;
	int rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret_agent->id = sqlite3_column_int64(st, 0);
		ret_agent->device_id = sqlite3_column_int64(st, 1);
		ret_agent->sequence = (uint64_t)sqlite3_column_int64(st, 2);
		ret_agent->last_contact_ms = sqlite3_column_int64(st, 3);
		ret_agent->connected = sqlite3_column_int(st, 4) != 0;
		ret_agent->duplicate_event_ms = sqlite3_column_int64(st, 5);
		ret_agent->host_digest = sqlite3_column_int64(st, 6);
		ret_agent->apps_digest = sqlite3_column_int64(st, 7);
		token = sqlite3_column_text(st, 8);
		(void)snprintf(ret_agent->token, sizeof(ret_agent->token),
		    "%s", token != NULL ? (const char *)token : "");
		ret_agent->token_used = sqlite3_column_int(st, 9) != 0;
		(void)sqlite3_reset(st);
		return 0;
	}
	(void)sqlite3_reset(st);
	return rc == SQLITE_DONE ? -ENOENT : store_error(s, rc);
}

int
store_agent_insert(struct store *s, const char *agent_id, int64_t device_id,
    int64_t server_id, const char *version, const char *token,
    int64_t now_ms, int64_t *ret_id)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_INSERT,
	    "INSERT INTO agents (agent_id, device_id, server_id, "
	    "agent_version, first_contact_ms, last_contact_ms, connected, "
	    "token) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1, ?6)");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
	(void)store_bind_id(st, 2, device_id);
	(void)store_bind_id(st, 3, server_id);
	(void)store_bind_text(st, 4, version);
	(void)sqlite3_bind_int64(st, 5, now_ms);
	(void)store_bind_text(st, 6, token);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_agent_set_token(struct store *s, int64_t id, const char *token,
    bool used)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_TOKEN,
	    "UPDATE agents SET token = ?2, token_used = ?3 WHERE id = ?1");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)store_bind_text(st, 2, token);
	(void)sqlite3_bind_int(st, 3, used ? 1 : 0);
	return store_exec_stmt(s, st);
}

/*
 * Runs sql with agent_id bound to ?1 and returns -ENOENT when it changed
 * no row. Administrative and rare: prepared each time, not cached.
 */
static int
store_agent_exec_by_id(struct store *s, const char *sql,
    const char *agent_id)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_error(s, rc);
	(void)sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? 0 : store_error(s, rc);
	(void)sqlite3_finalize(st);
	if (r == 0 && sqlite3_changes(s->db) == 0)
		r = -ENOENT;
	return r;
}

int
store_agent_reset(struct store *s, const char *agent_id)
{
	return store_agent_exec_by_id(s, "UPDATE agents SET token = NULL, "
	    "token_used = 0 WHERE agent_id = ?1", agent_id);
}

int
store_agent_remove(struct store *s, const char *agent_id)
{
	int r;

	/* devices.owner_agent has no foreign key: clear it by hand */
	r = store_agent_exec_by_id(s, "UPDATE devices SET owner_agent = NULL "
	    "WHERE owner_agent = (SELECT id FROM agents WHERE agent_id = ?1)",
	    agent_id);
	if (r < 0 && r != -ENOENT)
		return r;
	return store_agent_exec_by_id(s, "DELETE FROM agents "
	    "WHERE agent_id = ?1", agent_id);
}

int
store_agent_report(struct store *s, int64_t id, int64_t device_id,
    int64_t server_id, const char *version, uint64_t sequence,
    int64_t sent_at_ms, int64_t host_digest, int64_t apps_digest,
    int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_REPORT,
	    "UPDATE agents SET device_id = ?2, "
	    "server_id = COALESCE(?3, server_id), "
	    "agent_version = COALESCE(?4, agent_version), sequence = ?5, "
	    "last_sent_at_ms = ?6, last_contact_ms = ?7, connected = 1, "
	    "host_digest = COALESCE(?8, host_digest), "
	    "apps_digest = COALESCE(?9, apps_digest) WHERE id = ?1");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)store_bind_id(st, 2, device_id);
	(void)store_bind_id(st, 3, server_id);
	(void)store_bind_text(st, 4, version);
	(void)sqlite3_bind_int64(st, 5, (sqlite3_int64)sequence);
	(void)sqlite3_bind_int64(st, 6, sent_at_ms);
	(void)sqlite3_bind_int64(st, 7, now_ms);
	(void)store_bind_id(st, 8, host_digest);
	(void)store_bind_id(st, 9, apps_digest);
	return store_exec_stmt(s, st);
}

int
store_agent_set_duplicate(struct store *s, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_DUPLICATE,
	    "UPDATE agents SET duplicate_event_ms = ?2 WHERE id = ?1");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_int64(st, 2, now_ms);
	return store_exec_stmt(s, st);
}

int
store_agent_udp_lost(struct store *s, int64_t id, uint64_t missing,
    int64_t now_ms, int64_t every_ms, uint64_t *ret_report)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_UDP_LOST,
	    "UPDATE agents SET udp_lost_count = udp_lost_count + ?2 "
	    "WHERE id = ?1 RETURNING udp_lost_count, udp_lost_ms");
	sqlite3_stmt *noted;
	int64_t count = 0, last = 0;
	bool never = true;
	int rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_int64(st, 2, missing > INT64_MAX / 2 ?
	    INT64_MAX / 2 : (int64_t)missing);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		count = sqlite3_column_int64(st, 0);
		never = sqlite3_column_type(st, 1) == SQLITE_NULL;
		last = sqlite3_column_int64(st, 1);
		rc = sqlite3_step(st);
	}
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_error(s, rc);
	if (!never && now_ms - last < every_ms) {
		*ret_report = 0;
		return 0;
	}
	noted = store_stmt(s, STMT_AGENT_UDP_LOST_NOTED, "UPDATE agents SET "
	    "udp_lost_count = 0, udp_lost_ms = ?2 WHERE id = ?1");
	if (noted == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(noted, 1, id);
	(void)sqlite3_bind_int64(noted, 2, now_ms);
	if ((rc = store_exec_stmt(s, noted)) < 0)
		return rc;
	*ret_report = (uint64_t)count;
	return 0;
}

int
store_agent_computers(struct store *s, int64_t since_ms, int64_t *ret_count)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_COMPUTERS,
	    "SELECT COUNT(DISTINCT device_id) FROM agents "
	    "WHERE device_id IS NOT NULL AND last_contact_ms >= ?1");
	int rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, since_ms);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return store_error(s, rc);
	*ret_count = sqlite3_column_int64(st, 0);
	(void)sqlite3_reset(st);
	return 0;
}

int
store_device_has_agent(struct store *s, int64_t device_id, bool *ret_has)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_ON_DEVICE,
	    "SELECT 1 FROM agents WHERE device_id = ?1 LIMIT 1");
	int rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(s, rc);
	*ret_has = rc == SQLITE_ROW;
	return 0;
}

int
store_agent_active_other(struct store *s, int64_t device_id,
    int64_t except_id, int64_t since_ms, int64_t *ret_id)
{
	sqlite3_stmt *st = store_stmt(s, STMT_AGENT_ACTIVE_OTHER,
	    "SELECT id FROM agents WHERE device_id = ?1 AND id <> ?2 "
	    "AND last_contact_ms >= ?3 ORDER BY last_contact_ms DESC LIMIT 1");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_int64(st, 2, except_id);
	(void)sqlite3_bind_int64(st, 3, since_ms);
	return store_step_int(s, st, ret_id);
}

int
store_agent_disconnect_silent(struct store *s, int64_t before_ms, int limit,
    store_agent_fn fn, void *ctx)
{
	sqlite3_stmt *sel = store_stmt(s, STMT_AGENT_SILENT,
	    "SELECT id, device_id, agent_id FROM agents "
	    "WHERE connected = 1 AND last_contact_ms < ?1 LIMIT ?2");
	sqlite3_stmt *upd;
	int64_t ids[64];
	int n = 0, r = 0, rc;

	if (sel == NULL)
		return -EIO;
	if (limit > (int)(sizeof(ids) / sizeof(ids[0])))
		limit = (int)(sizeof(ids) / sizeof(ids[0]));
	(void)sqlite3_bind_int64(sel, 1, before_ms);
	(void)sqlite3_bind_int(sel, 2, limit);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(sel, 0);
		r = fn(ctx, ids[n], sqlite3_column_int64(sel, 1),
		    (const char *)sqlite3_column_text(sel, 2));
		n++;
		if (r < 0)
			break;
	}
	(void)sqlite3_reset(sel);
	if (r < 0)
		return r;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(s, rc);
	for (int i = 0; i < n; i++) {
		upd = store_stmt(s, STMT_AGENT_DISCONNECT,
		    "UPDATE agents SET connected = 0 WHERE id = ?1");
		if (upd == NULL)
			return -EIO;
		(void)sqlite3_bind_int64(upd, 1, ids[i]);
		if ((r = store_exec_stmt(s, upd)) < 0)
			return r;
	}
	return n;
}
