/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the read side of SIEM connectors: each connector with
 * what the daemon saved of its forwarder (state, cursor, counters) and its
 * backlog, the events after its cursor that pass its filter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "query-private.h"

/*
 * ?1: the daemon's answer, or NULL when it is not running: its saved
 * state is then history, and the list says "stopped".
 */
#define CONNECTORS_SQL \
	"SELECT c.id, c.name, c.address, c.port, c.transport, c.format, " \
	"CASE c.min_severity WHEN 3 THEN 'critical' WHEN 2 THEN 'warning' " \
	"ELSE 'info' END AS min_severity, c.technologies, c.enabled, " \
	"CASE WHEN c.enabled = 0 THEN 'disabled' WHEN ?1 IS NULL THEN " \
	"'stopped' ELSE COALESCE(k.state, 'starting') END AS state, " \
	"COALESCE(k.event_id, 0) AS last_event_id, " \
	"(SELECT COUNT(*) FROM events e WHERE e.id > COALESCE(k.event_id, 0) " \
	"AND e.severity >= c.min_severity AND instr(c.technologies, " \
	"e.technology) > 0) AS backlog, " \
	"COALESCE(k.delivered, 0) AS delivered, " \
	"COALESCE(k.trimmed, 0) AS trimmed, COALESCE(k.errors, 0) AS errors, " \
	"COALESCE(k.last_error, '') AS last_error, k.last_delivered_ms, " \
	"c.ca FROM connectors c LEFT JOIN connector_cursors k " \
	"ON k.connector_id = c.id ORDER BY c.id"

int
query_connectors_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	struct qsql q;
	int r;

	qsql_init(&q);
	(void)qsql_text(&q, arg != NULL ? *(const char *const *)arg : NULL);
	qsql_add(&q, CONNECTORS_SQL);
	r = qsql_emit(db, &q, s);
	qsql_fini(&q);
	return r;
}

int
query_connectors_json(struct query_db *db, const char *daemon_json,
    char **ret_json)
{
	struct query_sink s = { NULL, NULL, ret_json };

	return query_connectors_emit(db, &daemon_json, &s);
}
