/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the status summary read from the database and the
 * read side of the administration tables: integration servers, agents,
 * users and the audit log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query-private.h"

/* Now minus the agent timeout: the oldest contact that is connected. */
#define CONNECTED_SINCE_SQL \
	"((SELECT ms FROM now_ms) - (SELECT value FROM settings " \
	"WHERE key = 'agent_timeout_ms'))"

/* ?1 path of server s in the UDP part of the daemon's states */
#define UDP_SQL(field) \
	"json_extract(?1, '$.udp.\"' || s.id || '\".' || '" field "')"
#define HTTPS_STATE_SQL \
	"COALESCE(json_extract(?1, '$.\"' || s.id || '\"'), 'not listening')"
#define UDP_STATE_SQL "COALESCE(" UDP_SQL("state") ", 'not listening')"
#define SERVERS_SQL \
	"SELECT s.id, s.name, s.address, s.port, s.transport, s.enabled, " \
	"s.verify_client_cert, (SELECT COUNT(*) FROM agents a WHERE " \
	"a.server_id = s.id AND a.last_contact_ms >= " CONNECTED_SINCE_SQL \
	") AS agents_connected, s.last_data_ms, s.cert_not_after_ms, " \
	"s.package_created_ms, CASE WHEN ?1 IS NULL THEN 'stopped' " \
	"WHEN s.enabled = 0 THEN 'disabled' " \
	"WHEN s.transport = 'udp' THEN " UDP_STATE_SQL " " \
	"WHEN s.transport = 'both' THEN CASE WHEN " HTTPS_STATE_SQL \
	" = 'listening' THEN " UDP_STATE_SQL " ELSE " HTTPS_STATE_SQL \
	" END ELSE " HTTPS_STATE_SQL " END AS state, " \
	"s.udp_port, s.udp_encryption, " \
	UDP_SQL("received") " AS udp_received, " \
	UDP_SQL("dropped_malformed") " AS udp_dropped_malformed, " \
	UDP_SQL("dropped_undecryptable") " AS udp_dropped_undecryptable, " \
	UDP_SQL("dropped_incomplete") " AS udp_dropped_incomplete, " \
	UDP_SQL("dropped_kernel") " AS udp_dropped_kernel, " \
	UDP_SQL("dropped_busy") " AS udp_dropped_busy, " \
	UDP_SQL("reports_applied") " AS udp_reports_applied, " \
	UDP_SQL("reports_refused") " AS udp_reports_refused " \
	"FROM integration_servers s ORDER BY s.id"

#define USERS_SQL "SELECT name, role, created_ms FROM users ORDER BY name"

/* Never the token itself: only whether one is bound (issue 11). */
#define AGENTS_SQL \
	"SELECT agent_id, device_id, server_id, last_contact_ms, " \
	"CASE WHEN last_contact_ms >= " CONNECTED_SINCE_SQL " THEN 'yes' " \
	"ELSE 'no' END AS connected, CASE WHEN token IS NULL THEN 'no' " \
	"ELSE 'yes' END AS token_bound FROM agents ORDER BY agent_id"

int
query_servers_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	struct qsql q;
	int r;

	qsql_init(&q);
	/* ?1: the daemon's listener states (http_states_json()), or NULL */
	(void)qsql_text(&q, arg != NULL ? *(const char *const *)arg : NULL);
	qsql_add(&q, SERVERS_SQL);
	r = qsql_emit(db, &q, s);
	qsql_fini(&q);
	return r;
}

int
query_servers(struct query_db *db, const char *states, query_row_fn fn,
    void *ctx)
{
	struct query_sink s = { fn, ctx, NULL };

	return query_servers_emit(db, &states, &s);
}

int
query_servers_json(struct query_db *db, const char *states,
    char **ret_json)
{
	struct query_sink s = { NULL, NULL, ret_json };

	return query_servers_emit(db, &states, &s);
}

int
query_users_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	struct qsql q;
	int r;

	(void)arg;
	qsql_init(&q);
	qsql_add(&q, USERS_SQL);
	r = qsql_emit(db, &q, s);
	qsql_fini(&q);
	return r;
}

int
query_users(struct query_db *db, query_row_fn fn, void *ctx)
{
	struct query_sink s = { fn, ctx, NULL };

	return query_users_emit(db, NULL, &s);
}

int
query_users_json(struct query_db *db, char **ret_json)
{
	struct query_sink s = { NULL, NULL, ret_json };

	return query_users_emit(db, NULL, &s);
}

int
query_agents_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	struct qsql q;
	int r;

	(void)arg;
	qsql_init(&q);
	qsql_add(&q, AGENTS_SQL);
	r = qsql_emit(db, &q, s);
	qsql_fini(&q);
	return r;
}

static void
audit_sql(struct qsql *q, int64_t limit)
{
	qsql_add(q, "SELECT * FROM (SELECT id, at_ms, os_user, uid, role, "
	    "action, target, result, detail FROM audit_log ORDER BY id DESC");
	if (limit > 0)
		qsql_add(q, " LIMIT ?%d", qsql_int(q, limit));
	qsql_add(q, ") ORDER BY id");
}

int
query_audit_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	struct qsql q;
	int r;

	qsql_init(&q);
	audit_sql(&q, *(const int64_t *)arg);
	r = qsql_emit(db, &q, s);
	qsql_fini(&q);
	return r;
}

int
query_audit(struct query_db *db, int64_t limit, query_row_fn fn, void *ctx)
{
	struct query_sink s = { fn, ctx, NULL };

	return query_audit_emit(db, &limit, &s);
}

int
query_audit_json(struct query_db *db, int64_t limit, char **ret_json)
{
	struct query_sink s = { NULL, NULL, ret_json };

	return query_audit_emit(db, &limit, &s);
}

/* Size of path, 0 when it does not exist. */
static int64_t
file_size(const char *path, const char *suffix)
{
	char buf[4096];
	struct stat sb;

	(void)snprintf(buf, sizeof(buf), "%s%s", path, suffix);
	return stat(buf, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

int
query_status_json(struct query_db *db, const char *daemon_json,
    char **ret_json)
{
	struct qsql q;
	char *servers = NULL, *states = NULL, *connectors = NULL;
	int r;

	if (daemon_json != NULL) {
		qsql_init(&q);
		qsql_add(&q, "SELECT json_extract(?%d, '$.states')",
		    qsql_text(&q, daemon_json));
		r = qsql_text_result(db, &q, &states);
		qsql_fini(&q);
		if (r < 0)
			return r;
		if (states == NULL && (states = strdup("{}")) == NULL)
			return -ENOMEM;
	}
	r = query_servers_json(db, states, &servers);
	free(states);
	if (r == 0)
		r = query_connectors_json(db, daemon_json, &connectors);
	if (r < 0) {
		free(servers);
		return r;
	}
	qsql_init(&q);
	qsql_add(&q, "SELECT json_object("
	    "'agents_connected', (SELECT COUNT(*) FROM (SELECT device_id "
	    "FROM agents WHERE device_id IS NOT NULL GROUP BY device_id "
	    "HAVING MAX(last_contact_ms) >= " CONNECTED_SINCE_SQL ")), "
	    "'agents', (SELECT COUNT(DISTINCT device_id) FROM agents), "
	    "'max_agents', (SELECT value FROM settings WHERE key = "
	    "'max_agents'), "
	    "'devices', (SELECT COUNT(*) FROM devices), ");
	qsql_add(&q, "'devices_authorized', (SELECT COUNT(*) FROM devices "
	    "WHERE status = 'authorized'), 'devices_unauthorized', (SELECT "
	    "COUNT(*) FROM devices WHERE status = 'unauthorized'), "
	    "'devices_archived', (SELECT COUNT(*) FROM devices WHERE status "
	    "= 'archived'), 'events', (SELECT COUNT(*) FROM events), "
	    "'interactions', (SELECT COUNT(*) FROM interactions), "
	    "'last_event_ms', (SELECT registered_at_ms FROM events ORDER BY "
	    "id DESC LIMIT 1), ");
	qsql_add(&q, "'database_bytes', ?%d, 'servers', json(?%d), ",
	    qsql_int(&q, file_size(db->path, "") +
	    file_size(db->path, "-wal")), qsql_text(&q, servers));
	qsql_add(&q, "'connectors', json(?%d))", qsql_text(&q, connectors));
	r = qsql_text_result(db, &q, ret_json);
	qsql_fini(&q);
	free(servers);
	free(connectors);
	return r;
}
