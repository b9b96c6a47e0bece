/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libkicsquery: read-only queries over the kics-epp database for kics-query
 * and tests. Rows come out with the columns of the public views (DESIGN.md
 * "Database contract"), either one by one to a callback or as JSON built by
 * SQLite's JSON functions.
 *
 * THREAD SAFETY: a struct query_db belongs to one thread. It holds a
 * read-only connection that never writes and, in WAL mode, never blocks
 * the daemon's writer.
 */
#ifndef KICS_QUERY_H
#define KICS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define QUERY_DB_NAME		"kics-epp.db"	/* in the data directory */
#define QUERY_ERRMSG_LEN	512	/* bytes of query_db_errmsg() */
#define QUERY_SHOW_EVENTS	20	/* events in query_device_show() */
#define QUERY_EVENTS_LIMIT	50	/* default limit of query_events() */
#define QUERY_TIME_NONE		INT64_MIN	/* an unset time bound */

struct query_db;

enum query_type {
	QUERY_TYPE_NULL,
	QUERY_TYPE_INT,
	QUERY_TYPE_REAL,
	QUERY_TYPE_TEXT,
	QUERY_TYPE_MAX
};

/* One value of a row. text is the value as text (NULL for NULL). */
struct query_value {
	enum query_type	type;
	int64_t		i;		/* QUERY_TYPE_INT */
	const char	*text;		/* every type but NULL */
};

/*
 * One row handed to a query_row_fn: names[0..ncols) and values[0..ncols)
 * are borrowed for the duration of the call only. Columns whose name starts
 * with '_' are presentation extras (e.g. "_snippet"), not view columns.
 */
struct query_row {
	size_t				ncols;
	const char *const		*names;
	const struct query_value	*values;
};

/* Called per row; a negative return stops the query and is returned. */
typedef int (*query_row_fn)(void *ctx, const struct query_row *row);

/*
 * Opens DATA_DIR/kics-epp.db read-only (never creating anything) and checks
 * that its schema is not newer than this program knows. Returns 0 and a
 * handle freed with query_db_free(); -ENOENT when the directory or the
 * database is missing, -EPROTO for a newer schema, -EIO otherwise. On
 * failure a one-line reason naming the path is written to errbuf.
 */
int query_db_open(const char *data_dir, char *errbuf, size_t errlen,
    struct query_db **ret_db);

/* Closes and frees db. NULL-safe. */
void query_db_free(struct query_db *db);

/* The reason of the last failure on db; borrowed until the next call. */
const char *query_db_errmsg(const struct query_db *db);

/* Path of the database file; borrowed for the life of db. */
const char *query_db_path(const struct query_db *db);

/* --- list queries: one signature for every list --- */

/*
 * Where the rows of a list query go: with ret_json NULL, fn(ctx, row) is
 * called per row; otherwise *ret_json receives all rows as one JSON array
 * of objects keyed by the view columns, freed by the caller with free().
 */
struct query_sink {
	query_row_fn	fn;		/* per row, when ret_json is NULL */
	void		*ctx;		/* fn's first argument */
	char		**ret_json;	/* or: the whole array */
};

/*
 * A list query: arg holds its options (the type each *_emit function
 * names; NULL for the lists that take none) and s says where the rows go.
 * One signature lets a caller keep its lists in a table; each returns what
 * its row and JSON variants below return, and writes *s->ret_json only on
 * success.
 */
typedef int query_list_fn(struct query_db *db, const void *arg,
    const struct query_sink *s);

/* --- devices (map_nodes columns) --- */

struct query_devices_opts {
	const char	*epp;		/* none|connected|disconnected or NULL */
	const char	*status;	/* authorized|unauthorized|archived or NULL */
	const char	*category;	/* any case, or NULL */
	const char	*security;	/* ok|warning|critical, or NULL */
	const char	*subnet;	/* IPv4 or IPv6 CIDR, or NULL */
	int64_t		since_ms;	/* seen at or after; <= 0: any */
	int64_t		limit;		/* 0: all */
};

/*
 * Calls fn for each map_nodes row matching o, by device id. A device is in
 * o->subnet when any of its IP addresses (table addresses) is. Returns 0,
 * the negative value fn returned, -EINVAL for an unknown epp, status or
 * security value or a malformed subnet (message in query_db_errmsg()), or
 * -EIO.
 */
int query_devices(struct query_db *db, const struct query_devices_opts *o,
    query_row_fn fn, void *ctx);
/* Same rows as one JSON array; *ret_json is freed with free(). */
int query_devices_json(struct query_db *db, const struct query_devices_opts *o,
    char **ret_json);
/* Either of the two; arg is a const struct query_devices_opts *. */
int query_devices_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/*
 * The statement query_devices() runs for o, its parameters written in
 * (sqlite3_expanded_sql()), so that the same query can be run by the
 * sqlite3 program (bench-query). Returns 0 and text freed with free(), or
 * what query_devices() returns for bad options.
 */
int query_devices_sql(struct query_db *db, const struct query_devices_opts *o,
    char **ret_sql);

/*
 * Checks a --subnet value: 0 when text is an IPv4 or IPv6 network
 * ("10.1.0.0/16", "2001:db8::/32"; a bare address is a /32 or /128),
 * -EINVAL otherwise with a one-line reason in buf (for host bits set, the
 * network meant: "10.1.2.3/16" -> "did you mean 10.1.0.0/16?").
 */
int query_subnet_check(const char *text, char *buf, size_t len);

/*
 * Classifies text for device find and device show: 0 when it is free text
 * (or NULL), 1 when it is an IP or MAC address (canonical text written to
 * buf of len bytes, ADDR_TEXT_MAX is enough), -EINVAL when it looks like an
 * address but is malformed (e.g. "10.0.0.300", "aa:bb:cc:dd:ee").
 */
int query_address_classify(const char *text, char *buf, size_t len);

/*
 * device find: map_nodes rows for text ranked exact address match, exact
 * host name or name (any case), host name or address prefix, then any
 * attribute containing text (only when text is not an address); ties by
 * device id. A network ("10.1.0.0/16", text with a '/' that parses as a
 * CIDR) finds the devices with an IP address in it, match "subnet". Rows
 * carry an extra column "_match" naming why they matched.
 * limit 0 means all. Returns 0 (also when nothing matched), -EINVAL for a
 * malformed address (message in query_db_errmsg()), -EIO.
 */
int query_device_find(struct query_db *db, const char *text, int64_t limit,
    query_row_fn fn, void *ctx);
int query_device_find_json(struct query_db *db, const char *text,
    int64_t limit, char **ret_json);

/* The options of device find as one argument, for query_device_find_emit. */
struct query_find_opts {
	const char	*text;		/* address, host name or free text */
	int64_t		limit;		/* 0: all */
};

/* Either of the two; arg is a const struct query_find_opts *. */
int query_device_find_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/*
 * Resolves a device key: a decimal device id, an IP or MAC address in any
 * accepted notation, or an exact host name / name when only one device has
 * it. Returns 0 and the id, -ENOENT when nothing (or more than one device
 * by name) matches, -EINVAL for a malformed address, -EIO.
 */
int query_device_resolve(struct query_db *db, const char *key,
    int64_t *ret_id);

/*
 * device show: one JSON object with the map_nodes columns of device id plus
 * hostname, domain, serial_number, source, created_ms and the arrays
 * "attributes", "addresses", "applications", "peers", "events" (the last
 * QUERY_SHOW_EVENTS, event_log columns, in the order of every event
 * list: newest first by occurred time) and "agent" (the most
 * recent agent with its "state", or null). Returns 0, -ENOENT, -EIO.
 */
int query_device_show(struct query_db *db, int64_t id, char **ret_json);

/*
 * Calls fn for each element of the array at JSON path in json (an object at
 * path counts as a one-element array); the columns are the keys of the
 * first element, in order. Nested arrays and objects come out as JSON text.
 * Returns 0, fn's negative value, -EINVAL for bad JSON or path, -EIO.
 */
int query_json_rows(struct query_db *db, const char *json, const char *path,
    query_row_fn fn, void *ctx);

/* --- events (event_log columns) --- */

struct query_events_opts {
	int64_t		device_id;	/* 0: any */
	int		min_severity;	/* 1 info, 2 warning, 3 critical; 0 any */
	int64_t		code;		/* 0: any */
	int64_t		since_ms;	/* QUERY_TIME_NONE: unbounded */
	int64_t		until_ms;	/* exclusive; QUERY_TIME_NONE: unbounded */
	const char	*search;	/* search text (query_search_rewrite())
					   or NULL */
	bool		reverse;	/* oldest first */
	int64_t		limit;		/* the first limit rows; 0: all */
};

/* Sets o to no filter and limit QUERY_EVENTS_LIMIT. */
void query_events_opts_init(struct query_events_opts *o);

/*
 * Calls fn for the events matching o in the one order of every event list:
 * newest first by occurred_at_ms, ties by event_id (the higher first);
 * o->reverse turns it round (oldest first). o->limit keeps the first rows
 * of that order. Rows carry extra columns "_device_name" and "_device_ip"
 * (the device as map_nodes names it now) and, with a search, "_snippet":
 * the matching text with each hit between the bytes 0x01 and 0x02.
 * Returns 0, fn's value, -EINVAL for a bad search (explained in
 * query_db_errmsg()), -EIO.
 */
int query_events(struct query_db *db, const struct query_events_opts *o,
    query_row_fn fn, void *ctx);
int query_events_json(struct query_db *db, const struct query_events_opts *o,
    char **ret_json);
/* Either of the two; arg is a const struct query_events_opts *. */
int query_events_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/*
 * events --follow: the events matching o (its limit and order ignored)
 * with after < event_id <= upto, in the order they were stored (event_id);
 * only the last last_n of them when last_n > 0. With json, fn gets one
 * column "json" per row, the event_log object of the event. upto should
 * come from query_events_last_id(): the daemon numbers events in commit
 * order, so no event below it appears later. Returns what query_events()
 * returns.
 */
int query_events_after(struct query_db *db, const struct query_events_opts *o,
    int64_t after, int64_t upto, int64_t last_n, bool json, query_row_fn fn,
    void *ctx);

/* The id of the newest stored event, 0 when there is none; or -EIO. */
int query_events_last_id(struct query_db *db, int64_t *ret_id);

/*
 * Turns what a person types into --search into an FTS5 query: every
 * bareword token that is not FTS5 syntax and holds a character FTS5 does
 * not accept in a bareword (10.1.2.3, CVE-2017-11882, putty.exe,
 * kozlov.i, C:\Windows) is put in double quotes; "phrases", AND, OR, NOT,
 * NEAR(...), parentheses, prefix* and column: filters (the columns of
 * events_fts) are kept. Returns 0 and the query freed with free(), or
 * -EINVAL with a one-line reason in errbuf (an unclosed '"'), -ENOMEM.
 */
int query_search_rewrite(const char *text, char **ret_fts, char *errbuf,
    size_t errlen);

/* Severity name (info|warning|critical) to 1..3, or -EINVAL. */
int query_severity_parse(const char *name);

/* --- map --- */

/* map_edges rows, by source, destination, protocol and port. */
int query_map_edges(struct query_db *db, query_row_fn fn, void *ctx);
int query_map_edges_json(struct query_db *db, char **ret_json);
/* Either of the two; arg is unused (NULL). */
int query_map_edges_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/* {"nodes": [map_nodes rows], "edges": [map_edges rows]}. */
int query_map_export_json(struct query_db *db, char **ret_json);
/* The same document written to out as it is made, with a newline. */
int query_map_export_json_write(struct query_db *db, FILE *out);

/*
 * Writes the whole map as a Graphviz digraph to out: one node per device
 * (label with name, IP, category, security state; EPP nodes drawn by
 * connection state), one edge per map_edges row labelled protocol/port,
 * solid for traffic, dashed for epp. Returns 0, -EIO (also for a write
 * error on out).
 */
int query_map_export_dot(struct query_db *db, FILE *out);

/* --- filtered maps and pictures (issue 15) --- */

#define QUERY_MAP_DEPTH		1	/* default --depth around a device */
/*
 * Layout: dot up to QUERY_MAP_DOT_MAX devices and QUERY_MAP_DOT_MAX_PAIRS
 * device pairs, sfdp above. dot ranks and routes every labelled edge: 100
 * devices with 2,339 pairs (the main job's map) took minutes, 500 pairs a
 * few seconds, 300 about one.
 */
#define QUERY_MAP_DOT_MAX	150
#define QUERY_MAP_DOT_MAX_PAIRS	300

/*
 * Which part of the map to show. A device is kept when it passes every
 * filter given: one of its IP addresses in subnet (as devices --subnet),
 * EPP on it (epp_only), seen at or after
 * since_ms or in an interaction seen then, and, with device_id, at most
 * depth device pairs away from that device through the kept pairs. A pair
 * is kept when both its devices are and, with since_ms, one of its
 * interactions was seen at or after since_ms.
 */
struct query_map_filter {
	const char	*subnet;	/* IPv4 or IPv6 CIDR, or NULL */
	bool		epp_only;	/* only devices with EPP */
	int64_t		since_ms;	/* QUERY_TIME_NONE: any time */
	int64_t		device_id;	/* 0: no centre */
	int64_t		depth;		/* with device_id; 0: the device alone */
};

/* Sets f to no filter (depth QUERY_MAP_DEPTH for a centre set later). */
void query_map_filter_init(struct query_map_filter *f);

enum query_map_format {
	QUERY_MAP_JSON,
	QUERY_MAP_DOT,
	QUERY_MAP_FORMAT_MAX
};

/*
 * map export with filters: the map_nodes rows of the kept devices and,
 * without aggregate, the map_edges rows between them; with aggregate one
 * edge per device pair (src_device_id < dst_device_id, interactions,
 * protocols ["tcp/502", ...], source traffic|epp, direction
 * forward|back|both, first_seen_ms, last_seen_ms, packets, bytes). Written
 * to out as made. Returns 0, -EINVAL for a bad subnet (message in
 * query_db_errmsg()), -ENOMEM, -EIO (also for a write error on out).
 */
int query_map_export(struct query_db *db, const struct query_map_filter *f,
    enum query_map_format format, bool aggregate, FILE *out);

/* What query_map_render() did, for the caller and the benchmark. */
struct query_render_stats {
	size_t		nodes;		/* devices drawn */
	size_t		pairs;		/* device pairs drawn */
	const char	*layout;	/* "dot" or "sfdp"; static */
	double		load_s;		/* reading and filtering the map */
	double		layout_s;	/* Graphviz layout alone */
	double		render_s;	/* drawing and writing the file */
};

/*
 * Draws the filtered map with Graphviz's library into path, an SVG or PNG
 * file as its extension says (.svg, .png, any case): one node per device
 * (name and IP, shape by category, EPP badge, security state as border,
 * red background when unauthorized, routers with a double border), one
 * edge per device pair (protocols/ports as label, width by bytes, solid
 * for traffic, dashed for EPP data) and a legend. The file is written
 * beside path and renamed over it, so path is either the whole picture or
 * unchanged. Returns 0 and fills *ret_stats (may be NULL); -EINVAL for an
 * unknown extension or a bad subnet, -ENOENT when no device matches, a
 * negative errno when path cannot be written, -EIO when Graphviz fails;
 * the reason is in query_db_errmsg().
 */
int query_map_render(struct query_db *db, const struct query_map_filter *f,
    const char *path, struct query_render_stats *ret_stats);

/* --- status and administration tables --- */

/*
 * One JSON object: agents_connected, agents (computers with an agent),
 * max_agents, devices and devices_<status>, events, interactions,
 * last_event_ms, database_bytes (file plus WAL) and "servers" (the rows of
 * query_servers, their state from the "states" of daemon_json, the
 * daemon's live status, or "stopped" when it is NULL). Returns 0 or -EIO.
 */
int query_status_json(struct query_db *db, const char *daemon_json,
    char **ret_json);

/*
 * Integration servers with the columns of the server list, and last a
 * state: "listening" or "error: <reason>" as states (a JSON object from
 * server id to state, from the daemon) says, "disabled", "not listening"
 * for an enabled one states does not name, or "stopped" when states is
 * NULL (no daemon to ask).
 */
int query_servers(struct query_db *db, const char *states, query_row_fn fn,
    void *ctx);
int query_servers_json(struct query_db *db, const char *states,
    char **ret_json);
/* Either of the two; arg points to the states (const char *), or NULL. */
int query_servers_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/*
 * SIEM connectors by id with their forwarder's saved state: id, name,
 * address, port, transport, format, min_severity, technologies, enabled,
 * state ("stopped" when daemon_json is NULL, "disabled", "starting",
 * "connected" or "error"), last_event_id (the cursor), backlog (events
 * after it that pass the filter), delivered, trimmed, errors, last_error,
 * last_delivered_ms, ca. arg points to the daemon's answer (const char *)
 * or NULL.
 */
int query_connectors_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);
/* The same as one JSON array in *ret_json (freed with free()). */
int query_connectors_json(struct query_db *db, const char *daemon_json,
    char **ret_json);

/* --- rules (issue 6) --- */

/*
 * The rule set the daemon runs, one row per rule (name, matches, drops,
 * match, set, tags, drop, stop), from table rules_state; no rows when the
 * daemon never ran with rules.
 */
int query_rules_list(struct query_db *db, query_row_fn fn, void *ctx);
/* The same as the JSON array the daemon saved; "[]" when none. */
int query_rules_list_json(struct query_db *db, char **ret_json);
/* Either of the two; arg is unused (NULL). */
int query_rules_list_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/*
 * Applies the rules file to one event given as a JSON object (keys
 * category, code, product, severity, title, description, object_path,
 * threat_name, user_name, hostname, ip, mac, device_category, attributes,
 * device_ips); counts and writes nothing. When ret_json is not NULL it gets
 * a JSON document {"matched": [rule names], "event": {code, category,
 * severity, title, tags, stored}} freed with free(); when fn is not NULL
 * it is called with one row (matched, severity, title, tags, stored).
 * Returns 0; -EINVAL with every error of the rules file or of the event in
 * errbuf (one per line; event errors start with "--event-json"); -ENOENT
 * or -EACCES when the file cannot be read; -ENOMEM.
 */
int query_rules_test(const char *file, const char *event_json,
    query_row_fn fn, void *ctx, char **ret_json, char *errbuf,
    size_t errlen);

/*
 * agents by agent_id: agent_id, device_id, server_id, last_contact_ms,
 * connected (yes/no, within the agent timeout) and token_bound (yes/no;
 * never the token). arg is unused (NULL). Returns 0 or -EIO.
 */
int query_agents_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/* users: name, role, created_ms. */
int query_users(struct query_db *db, query_row_fn fn, void *ctx);
int query_users_json(struct query_db *db, char **ret_json);
/* Either of the two; arg is unused (NULL). */
int query_users_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/* audit_log, newest limit rows (0: all), newest last. */
int query_audit(struct query_db *db, int64_t limit, query_row_fn fn,
    void *ctx);
int query_audit_json(struct query_db *db, int64_t limit, char **ret_json);
/* Either of the two; arg is a const int64_t * (the limit). */
int query_audit_emit(struct query_db *db, const void *arg,
    const struct query_sink *s);

/* --- time --- */

/*
 * Parses a time for --since/--until relative to now_ms:
 *   YYYY-MM-DD                       local midnight
 *   YYYY-MM-DD[T| ]HH:MM[:SS]        local time
 *   the same followed by Z or +HH:MM / -HH:MM   that UTC offset
 *   N followed by s, m, h, d or w    N seconds/minutes/hours/days/weeks ago
 *   now
 * Returns 0 and unix milliseconds, or -EINVAL (nothing written).
 */
int query_time_parse(const char *text, int64_t now_ms, int64_t *ret_ms);

/*
 * Formats ms as local "YYYY-MM-DD HH:MM:SS" into buf (at least 20 bytes).
 * Returns 0, -EINVAL when the time cannot be represented, -ENOSPC.
 */
int query_time_format(int64_t ms, char *buf, size_t len);

/*
 * Formats ms as ISO 8601 local time with milliseconds and the zone's
 * offset ("2026-11-30T15:36:41.123+01:00") into buf (at least 30 bytes).
 * Returns 0, -EINVAL when the time cannot be represented, -ENOSPC.
 */
int query_time_format_iso(int64_t ms, char *buf, size_t len);

/* --- collected tables --- */

/* Rows collected in memory, for the table and CSV printers and tests. */
struct query_table {
	size_t			ncols;
	size_t			nrows;
	size_t			cap;	/* rows allocated */
	char			**names;	/* ncols column names */
	struct query_value	*cells;	/* nrows * ncols, row-major */
	char			**texts;	/* per row: the texts of its
						   cells in one block, owned */
};

/* Returns an empty table, or NULL when out of memory. */
struct query_table *query_table_new(void);
/* Frees t and all its values. NULL-safe. */
void query_table_free(struct query_table *t);
/*
 * A query_row_fn that appends a copy of row to ctx, a struct query_table
 * (the first row fixes the columns). Returns 0 or -ENOMEM.
 */
int query_table_add_row(void *ctx, const struct query_row *row);
/* Index of the column called name, or -1. */
int query_table_column(const struct query_table *t, const char *name);
/* Cell (row, col); borrowed for the life of t. */
const struct query_value *query_table_cell(const struct query_table *t,
    size_t row, size_t col);

/* --- control socket client (query/control.c, issue 5) --- */

struct Kics__Control__V1__Request;

/* What the daemon answered. */
struct query_control_reply {
	int		status;		/* Kics__Control__V1__Status: exit code */
	char		*message;	/* one line, never NULL */
	char		*json;		/* NULL when empty */
	uint8_t		*data;		/* NULL when empty */
	size_t		data_len;
};

/*
 * Sends req to DATA_DIR/control.sock and reads the reply. Returns 0 and
 * fills *ret_reply (freed with query_control_reply_fini()); a negative
 * errno when the daemon cannot be reached (the connect error) or -EPROTO
 * when its reply is malformed, with a one-line reason in errbuf.
 */
int query_control_call(const char *data_dir,
    const struct Kics__Control__V1__Request *req, char *errbuf,
    size_t errlen, struct query_control_reply *ret_reply);

/* Frees the contents of r (wiping data). NULL-safe. */
void query_control_reply_fini(struct query_control_reply *r);

#endif
