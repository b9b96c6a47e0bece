/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the device queries: the device list (map_nodes),
 * device find with its ranking, the resolution of a device key and the
 * device show document.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "query-private.h"

/* Connection state of an agent row "ag" computed like map_nodes. */
#define AGENT_STATE_SQL \
	"CASE WHEN ag.last_contact_ms >= (SELECT ms FROM now_ms) - " \
	"(SELECT value FROM settings WHERE key = 'agent_timeout_ms') " \
	"THEN 'connected' ELSE 'disconnected' END"

static bool
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static bool
all_chars(const char *s, const char *set)
{
	for (; *s != '\0'; s++)
		if (strchr(set, *s) == NULL)
			return false;
	return true;
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

/* Whether text is shaped like an address, so that a failed parse is an
 * error rather than free text. */
static bool
looks_like_address(const char *t)
{
	static const char hexsep[] = "0123456789abcdefABCDEF:.%";
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t len = strlen(t);

	if (all_chars(t, "0123456789.") && count_char(t, '.') == 3)
		return true;
	if (strchr(t, ':') != NULL && all_chars(t, hexsep))
		return true;
	if (count_char(t, '-') == 5 && len <= 17) {
		const char *p = t;

		while (*p != '\0') {
			size_t g = strspn(p, alnum);

			if (g < 1 || g > 2)
				return false;
			p += g;
			if (*p == '-')
				p++;
		}
		return true;
	}
	if (len == 14 && count_char(t, '.') == 2 && t[4] == '.' &&
	    t[9] == '.')
		return strspn(t, alnum) == 4;
	return false;
}

/* Whether text is shaped like "address/prefix". */
static bool
looks_like_network(const char *t)
{
	const char *slash = strrchr(t, '/');
	char head[ADDR_TEXT_MAX];

	if (slash == NULL || (size_t)(slash - t) >= sizeof(head) ||
	    slash[1] == '\0' || !all_chars(slash + 1, "0123456789"))
		return false;
	memcpy(head, t, (size_t)(slash - t));
	head[slash - t] = '\0';
	return looks_like_address(head) || all_chars(head, "0123456789.");
}

int
query_address_classify(const char *text, char *buf, size_t len)
{
	char tmp[ADDR_TEXT_MAX];

	if (text == NULL)
		return 0;
	if (strchr(text, '/') != NULL && looks_like_network(text)) {
		if (addr_cidr_normalize(text, tmp, sizeof(tmp)) < 0)
			return -EINVAL;
		if (strlen(tmp) >= len)
			return -ENOSPC;
		memcpy(buf, tmp, strlen(tmp) + 1);
		return 2;
	}
	if (addr_ip_normalize(text, tmp, sizeof(tmp)) == 0 ||
	    addr_mac_normalize(text, tmp, sizeof(tmp)) == 0) {
		if (strlen(tmp) >= len)
			return -ENOSPC;
		memcpy(buf, tmp, strlen(tmp) + 1);
		return 1;
	}
	return looks_like_address(text) ? -EINVAL : 0;
}

static int
bad_address(struct query_db *db, const char *text)
{
	char why[QUERY_ERRMSG_LEN];

	if (strchr(text, '/') != NULL &&
	    query_subnet_check(text, why, sizeof(why)) < 0)
		return qdb_fail(db, -EINVAL, "malformed network %s", why);
	return qdb_fail(db, -EINVAL, "malformed %s address '%s'",
	    strchr(text, '-') != NULL || count_char(text, ':') == 5 ||
	    count_char(text, '.') == 2 ? "MAC" : "IP", text);
}

static int
devices_sql(struct query_db *db, const struct query_devices_opts *o,
    struct qsql *q)
{
	static const char *const epp[] = { "none", "connected",
	    "disconnected", NULL };
	static const char *const status[] = { "authorized", "unauthorized",
	    "archived", NULL };
	static const char *const security[] = { "ok", "warning", "critical",
	    NULL };
	int r;

	if (o->epp != NULL && !one_of(o->epp, epp))
		return qdb_fail(db, -EINVAL, "unknown EPP state '%s' (use "
		    "none, connected or disconnected)", o->epp);
	if (o->status != NULL && !one_of(o->status, status))
		return qdb_fail(db, -EINVAL, "unknown status '%s' (use "
		    "authorized, unauthorized or archived)", o->status);
	if (o->security != NULL && !one_of(o->security, security))
		return qdb_fail(db, -EINVAL, "unknown security state '%s' (use "
		    "ok, warning or critical)", o->security);
	qsql_add(q, "SELECT " QUERY_MAP_NODES_COLS " FROM map_nodes m "
	    "WHERE 1");
	if (o->epp != NULL)
		qsql_add(q, " AND m.epp_icon = ?%d", qsql_text(q, o->epp));
	if (o->status != NULL)
		qsql_add(q, " AND m.status = ?%d", qsql_text(q, o->status));
	if (o->category != NULL)
		qsql_add(q, " AND m.category = ?%d COLLATE NOCASE",
		    qsql_text(q, o->category));
	if (o->security != NULL)
		qsql_add(q, " AND m.security_state = ?%d",
		    qsql_text(q, o->security));
	if (o->since_ms > 0)
		qsql_add(q, " AND m.last_seen_ms >= ?%d",
		    qsql_int(q, o->since_ms));
	if (o->subnet != NULL) {
		qsql_add(q, " AND m.device_id IN (SELECT device_id FROM "
		    "addresses WHERE ");
		if ((r = qsql_subnet_where(db, q, o->subnet)) < 0)
			return r;
		qsql_add(q, ")");
	}
	qsql_add(q, " ORDER BY m.device_id");
	if (o->limit > 0)
		qsql_add(q, " LIMIT ?%d", qsql_int(q, o->limit));
	return 0;
}

int
query_devices_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	struct qsql q;
	int r;

	qsql_init(&q);
	if ((r = devices_sql(db, arg, &q)) == 0)
		r = qsql_emit(db, &q, s);
	qsql_fini(&q);
	return r;
}

int
query_devices_sql(struct query_db *db, const struct query_devices_opts *o,
    char **ret_sql)
{
	struct qsql q;
	int r;

	qsql_init(&q);
	if ((r = devices_sql(db, o, &q)) == 0)
		r = qsql_expanded(db, &q, ret_sql);
	qsql_fini(&q);
	return r;
}

int
query_devices(struct query_db *db, const struct query_devices_opts *o,
    query_row_fn fn, void *ctx)
{
	struct query_sink s = { fn, ctx, NULL };

	return query_devices_emit(db, o, &s);
}

int
query_devices_json(struct query_db *db, const struct query_devices_opts *o,
    char **ret_json)
{
	struct query_sink s = { NULL, NULL, ret_json };

	return query_devices_emit(db, o, &s);
}

/*
 * The ranked hits of device find. An address query uses only indexed
 * lookups (exact address, then address prefix), so that it stays a few
 * milliseconds on 100,000 devices; free text also scans the attributes.
 */
static int
find_sql(struct query_db *db, const char *text, int64_t limit,
    char *canon, size_t canonlen, char *lower, struct qsql *q)
{
	int r, t, l;

	if ((r = query_address_classify(text, canon, canonlen)) < 0)
		return bad_address(db, text);
	qsql_add(q, "WITH hits (device_id, rank, why) AS (");
	if (r == 2) {
		qsql_add(q, "SELECT device_id, 0, 'subnet' FROM addresses "
		    "WHERE ");
		if ((r = qsql_subnet_where(db, q, canon)) < 0)
			return r;
	} else if (r == 1) {
		int a = qsql_text(q, canon);

		qsql_add(q, "SELECT device_id, 0, 'address' FROM addresses "
		    "WHERE value = ?%d UNION ALL SELECT device_id, 2, "
		    "'address prefix' FROM addresses WHERE value > ?%d AND "
		    "value < ?%d || char(1114111) AND NOT EXISTS (SELECT 1 "
		    "FROM addresses WHERE value = ?%d)", a, a, a, a);
	} else {
		for (size_t i = 0; text[i] != '\0'; i++)
			lower[i] = (char)tolower((unsigned char)text[i]);
		lower[strlen(text)] = '\0';
		t = qsql_text(q, text);
		l = qsql_text(q, lower);
		qsql_add(q, "SELECT id, 1, 'host name' FROM devices "
		    "WHERE hostname = ?%d COLLATE NOCASE "
		    "UNION ALL SELECT id, 1, 'name' FROM devices "
		    "WHERE name = ?%d COLLATE NOCASE "
		    "UNION ALL SELECT id, 2, 'host name prefix' FROM devices "
		    "WHERE hostname >= ?%d COLLATE NOCASE AND "
		    "hostname < ?%d || char(1114111) COLLATE NOCASE ", t, t,
		    t, t);
		qsql_add(q, "UNION ALL SELECT device_id, 2, 'address prefix' "
		    "FROM addresses WHERE value >= ?%d AND "
		    "value < ?%d || char(1114111) ", l, l);
		qsql_add(q, "UNION ALL SELECT id, 3, 'text' FROM devices "
		    "WHERE instr(lower(COALESCE(name, '') || ' ' || "
		    "COALESCE(hostname, '') || ' ' || COALESCE(domain, '') || "
		    "' ' || COALESCE(os_name, '') || ' ' || "
		    "COALESCE(os_version, '') || ' ' || COALESCE(vendor, '') "
		    "|| ' ' || COALESCE(model, '') || ' ' || "
		    "COALESCE(serial_number, '') || ' ' || category || ' ' || "
		    "COALESCE(category_manual, '') || ' ' || COALESCE(ip, '') "
		    "|| ' ' || COALESCE(mac, '')), ?%d) > 0", l);
	}
	/* A bare column next to MIN() comes from the row of the minimum. */
	qsql_add(q, "), best AS (SELECT device_id, MIN(rank) AS rank, why "
	    "FROM hits GROUP BY device_id) SELECT " QUERY_MAP_NODES_COLS
	    ", best.why AS _match FROM best JOIN map_nodes m "
	    "ON m.device_id = best.device_id ORDER BY best.rank, "
	    "best.device_id");
	if (limit > 0)
		qsql_add(q, " LIMIT ?%d", qsql_int(q, limit));
	return 0;
}

int
query_device_find_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	const struct query_find_opts *o = arg;
	char canon[ADDR_TEXT_MAX], *lower;
	struct qsql q;
	int r;

	if ((lower = malloc(strlen(o->text) + 1)) == NULL)
		return -ENOMEM;
	qsql_init(&q);
	if ((r = find_sql(db, o->text, o->limit, canon, sizeof(canon), lower,
	    &q)) == 0)
		r = qsql_emit(db, &q, s);
	qsql_fini(&q);
	free(lower);
	return r;
}

int
query_device_find(struct query_db *db, const char *text, int64_t limit,
    query_row_fn fn, void *ctx)
{
	struct query_find_opts o = { text, limit };
	struct query_sink s = { fn, ctx, NULL };

	return query_device_find_emit(db, &o, &s);
}

int
query_device_find_json(struct query_db *db, const char *text,
    int64_t limit, char **ret_json)
{
	struct query_find_opts o = { text, limit };
	struct query_sink s = { NULL, NULL, ret_json };

	return query_device_find_emit(db, &o, &s);
}

static bool
is_decimal_id(const char *s)
{
	return s[0] != '\0' && s[0] != '0' && strlen(s) <= 18 &&
	    all_chars(s, "0123456789");
}

int
query_device_resolve(struct query_db *db, const char *key, int64_t *ret_id)
{
	char canon[ADDR_TEXT_MAX], *text = NULL;
	struct qsql q;
	int64_t id;
	int r;

	qsql_init(&q);
	if (is_decimal_id(key)) {
		qsql_add(&q, "SELECT id FROM devices WHERE id = ?%d",
		    qsql_int(&q, strtoll(key, NULL, 10)));
	} else if ((r = query_address_classify(key, canon,
	    sizeof(canon))) < 0) {
		r = bad_address(db, key);
		goto out;
	} else if (r == 2) {
		r = qdb_fail(db, -EINVAL, "'%s' is a network, not one device "
		    "(use device find or devices --subnet)", key);
		goto out;
	} else if (r == 1) {
		qsql_add(&q, "SELECT device_id FROM addresses WHERE "
		    "value = ?%d", qsql_text(&q, canon));
	} else {
		int k = qsql_text(&q, key);

		/* A name resolves only when exactly one device has it. */
		qsql_add(&q, "SELECT CASE WHEN COUNT(*) = 1 THEN MIN(id) END "
		    "FROM (SELECT id FROM devices WHERE hostname = ?%d "
		    "COLLATE NOCASE UNION SELECT id FROM devices WHERE "
		    "name = ?%d COLLATE NOCASE)", k, k);
	}
	if ((r = qsql_text_result(db, &q, &text)) < 0) {
		if (r == -ENOENT)
			(void)qdb_fail(db, r, "no device matches '%s'", key);
		goto out;
	}
	id = strtoll(text, NULL, 10);
	*ret_id = id;
	r = 0;
out:
	free(text);
	qsql_fini(&q);
	return r;
}

int
query_device_show(struct query_db *db, int64_t id, char **ret_json)
{
	struct qsql q;
	int d, r;

	qsql_init(&q);
	d = qsql_int(&q, id);
	qsql_add(&q, "SELECT json_object("
	    "'device_id', m.device_id, 'name', m.name, "
	    "'category', m.category, 'status', m.status, 'ip', m.ip, "
	    "'mac', m.mac, 'vendor', m.vendor, 'model', m.model, "
	    "'os', m.os, 'epp_icon', m.epp_icon, "
	    "'security_state', m.security_state, "
	    "'last_seen_ms', m.last_seen_ms, 'hostname', dv.hostname, "
	    "'domain', dv.domain, 'serial_number', dv.serial_number, "
	    "'source', dv.source, 'created_ms', dv.created_ms, ");
	qsql_add(&q, "'attributes', json((SELECT json_group_array("
	    "json_object('name', name, 'value', value, 'source', source, "
	    "'updated_ms', updated_ms)) FROM (SELECT * FROM "
	    "device_attributes WHERE device_id = ?%d ORDER BY name, "
	    "CASE source WHEN 'manual' THEN 0 WHEN 'epp' THEN 1 ELSE 2 END)"
	    ")), ", d);
	qsql_add(&q, "'addresses', json((SELECT json_group_array("
	    "json_object('kind', kind, 'value', value, 'interface', "
	    "interface, 'source', source, 'first_seen_ms', first_seen_ms, "
	    "'last_seen_ms', last_seen_ms)) FROM (SELECT * FROM addresses "
	    "WHERE device_id = ?%d ORDER BY kind, value))), ", d);
	qsql_add(&q, "'applications', json((SELECT json_group_array("
	    "json_object('product', product, 'version', version, 'state', "
	    "state, 'realtime_protection', realtime_protection, "
	    "'bases_date_ms', bases_date_ms, 'updated_ms', updated_ms)) "
	    "FROM (SELECT * FROM epp_applications WHERE device_id = ?%d "
	    "ORDER BY product))), ", d);
	qsql_add(&q, "'agent', json((SELECT json_object('agent_id', "
	    "ag.agent_id, 'state', " AGENT_STATE_SQL ", 'version', "
	    "ag.agent_version, 'server_id', ag.server_id, "
	    "'first_contact_ms', ag.first_contact_ms, 'last_contact_ms', "
	    "ag.last_contact_ms, 'sequence', ag.sequence) FROM agents ag "
	    "WHERE ag.device_id = ?%d ORDER BY ag.last_contact_ms DESC "
	    "LIMIT 1)), ", d);
	qsql_add(&q, "'peers', json((SELECT json_group_array(json_object("
	    "'direction', e.dir, 'peer_device_id', e.peer, 'peer_name', "
	    "COALESCE(p.name, p.hostname, p.ip, p.mac, 'device-' || p.id), "
	    "'peer_ip', p.ip, 'protocol', e.protocol, 'port', e.port, "
	    "'source', e.source, 'first_seen_ms', e.first_seen_ms, "
	    "'last_seen_ms', e.last_seen_ms, 'packets', e.packets, 'bytes', "
	    "e.bytes, 'app_protocol', e.app_protocol)) FROM (SELECT "
	    "'outbound' AS dir, dst_device_id AS peer, "
	    "* FROM map_edges WHERE src_device_id = ?%d UNION ALL "
	    "SELECT 'inbound', src_device_id, * FROM map_edges WHERE "
	    "dst_device_id = ?%d ORDER BY last_seen_ms DESC, peer) e "
	    "JOIN devices p ON p.id = e.peer)), ", d, d);
	qsql_add(&q, "'events', json((SELECT json_group_array(json_object("
	    "'event_id', event_id, 'occurred_at_ms', occurred_at_ms, "
	    "'registered_at_ms', registered_at_ms, 'device_id', device_id, "
	    "'agent_id', agent_id, 'code', code, 'title', title, "
	    "'severity', severity, 'technology', technology, 'category', "
	    "category, 'description', description, 'tags', json(tags))) "
	    "FROM (SELECT * FROM (SELECT e.id AS event_id, e.occurred_at_ms, "
	    "e.registered_at_ms, e.device_id, ag.agent_id, e.code, e.title, "
	    "CASE e.severity WHEN 3 THEN 'critical' WHEN 2 THEN 'warning' "
	    "ELSE 'info' END AS severity, e.technology, e.category, "
	    "e.description, e.tags FROM events e LEFT JOIN agents ag "
	    "ON ag.id = e.agent_ref WHERE e.device_id = ?%d ORDER BY "
	    "e.occurred_at_ms DESC, e.id DESC LIMIT %d) "
	    "ORDER BY occurred_at_ms DESC, event_id DESC)))) ", d,
	    QUERY_SHOW_EVENTS);
	qsql_add(&q, "FROM map_nodes m JOIN devices dv ON dv.id = m.device_id "
	    "WHERE m.device_id = ?%d", d);
	r = qsql_text_result(db, &q, ret_json);
	if (r == -ENOENT)
		(void)qdb_fail(db, r, "no device with id %lld", (long long)id);
	qsql_fini(&q);
	return r;
}
