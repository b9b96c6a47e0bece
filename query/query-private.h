/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private header of query/: the read-only connection and the small SQL
 * builder every query file uses. Only query/ includes sqlite3.h (besides
 * engine/store*.c).
 */
#ifndef KICS_QUERY_PRIVATE_H
#define KICS_QUERY_PRIVATE_H

#include <sqlite3.h>
#include <stdarg.h>
#include <sys/types.h>

#include "query.h"
#include "strbuf.h"

#define QSQL_MAX_BINDS	16	/* parameters of one statement */
#define QSQL_MAX_COLS	128	/* columns of one result row (status: the
				   daemon's writer object has 67 fields) */

struct query_db {
	sqlite3	*db;		/* SQLITE_OPEN_READONLY */
	char	*path;		/* DATA_DIR/kics-epp.db */
	char	errmsg[QUERY_ERRMSG_LEN];
};

/* A statement being built: its text and its parameters ?1..?n. */
struct qsql {
	struct strbuf	sql;
	size_t		nbinds;
	struct {
		bool		is_text;
		int64_t		i;
		const char	*text;	/* borrowed until the statement ran */
	} binds[QSQL_MAX_BINDS];
};

void qsql_init(struct qsql *q);
void qsql_fini(struct qsql *q);
/* Appends SQL text (printf format). */
void qsql_add(struct qsql *q, const char *fmt, ...) KICS_PRINTF(2, 3);
/* Adds a parameter and returns its number for "?%d" (0 when full). */
int qsql_int(struct qsql *q, int64_t v);
int qsql_text(struct qsql *q, const char *v);

/*
 * Runs q, calling fn per row. Returns 0, fn's negative value, -ENOMEM or
 * -EIO (message in db->errmsg).
 */
int qsql_each(struct query_db *db, struct qsql *q, query_row_fn fn,
    void *ctx);
/*
 * Runs q wrapped in json_group_array(json_object(...)) over its columns
 * (not those starting with '_'; "tags" is embedded as JSON) and returns
 * the array text, freed with free().
 */
int qsql_json(struct query_db *db, struct qsql *q, char **ret_json);
/*
 * Runs q wrapped in json_object(...) as qsql_json() does, calling fn per
 * row with one column "json": the row as one JSON object.
 */
int qsql_json_each(struct query_db *db, struct qsql *q, query_row_fn fn,
    void *ctx);
/* The text of q with its parameters written in; freed with free(). */
int qsql_expanded(struct query_db *db, struct qsql *q, char **ret_sql);
/* qsql_each or qsql_json, as s says. */
int qsql_emit(struct query_db *db, struct qsql *q, const struct query_sink *s);
/* Runs q and returns the first column of its first row as text (-ENOENT). */
int qsql_text_result(struct query_db *db, struct qsql *q, char **ret_text);

/* Prepares sql; on failure sets db->errmsg and returns -EIO or -EINVAL. */
int qdb_prepare(struct query_db *db, const char *sql, sqlite3_stmt **ret_st);
/* Sets db->errmsg and returns r. */
int qdb_fail(struct query_db *db, int r, const char *fmt, ...)
    KICS_PRINTF(3, 4);

/* Adds kics_in_subnet() (subnet.c) to db. Returns 0 or -EIO. */
int qdb_register_functions(sqlite3 *db);

/*
 * Appends to q the condition on a row of table addresses (columns kind and
 * value, unqualified) that its address lies in the network text. Returns 0
 * or -EINVAL with the reason in db->errmsg (query_subnet_check()).
 */
int qsql_subnet_where(struct query_db *db, struct qsql *q, const char *text);

/*
 * After SQLite refused fts (query_search_rewrite() of the user's text):
 * replaces db->errmsg by one line naming the offending token and the
 * query with that token quoted. Returns -EINVAL.
 */
int query_search_explain(struct query_db *db, const char *text,
    const char *fts);

/* The map_nodes columns, for statements that select them from "m". */
#define QUERY_MAP_NODES_COLS \
	"m.device_id, m.name, m.category, m.status, m.ip, m.mac, " \
	"m.vendor, m.model, m.os, m.epp_icon, m.security_state, " \
	"m.last_seen_ms"

/* --- the filtered map in memory (map_filter.c, map_pairs.c) --- */

/* One map_nodes row. Strings are owned; NULL for NULL. */
struct map_node {
	int64_t		id;
	char		*name, *category, *status, *ip, *epp, *security;
	int64_t		last_seen_ms;	/* QUERY_TIME_NONE when NULL */
};

/* The map_edges rows of two devices, aggregated. */
struct map_pair {
	int64_t		a, b;		/* device ids, a < b */
	char		*protocols;	/* "tcp/445,tcp/502": sorted, owned */
	size_t		nprotocols;
	char		*apps;		/* "Modbus,SSH": the application
					   protocols nDPI named, sorted,
					   "" when none; owned */
	size_t		napps;
	int64_t		interactions, packets, bytes;
	int64_t		first_seen_ms, last_seen_ms;
	bool		traffic;	/* a traffic row among them */
	bool		forward, back;	/* a->b and b->a initiated */
};

struct map_graph {
	struct map_node	*nodes;		/* kept devices, by id */
	size_t		nnodes;
	struct map_pair	*pairs;		/* kept pairs, by a then b */
	size_t		npairs;
};

/*
 * Loads the devices and device pairs that f keeps into g (zeroed first).
 * Returns 0, -EINVAL for a bad subnet, -ENOMEM, -EIO (db->errmsg); g can
 * be given to map_graph_fini() either way.
 */
int map_graph_load(struct query_db *db, const struct query_map_filter *f,
    struct map_graph *g);
void map_graph_fini(struct map_graph *g);
/* Whether device id is in g, and its index in g->nodes or -1. */
bool map_graph_has(const struct map_graph *g, int64_t id);
ssize_t map_graph_index(const struct map_graph *g, int64_t id);

/*
 * Appends to *pairs every device pair of map_edges with an interaction
 * seen at or after since_ms (QUERY_TIME_NONE: any), by a then b.
 * Returns 0, -ENOMEM, -EIO; on failure *pairs is unchanged.
 */
int map_pairs_load(struct query_db *db, int64_t since_ms,
    struct map_pair **ret_pairs, size_t *ret_n);
void map_pairs_free(struct map_pair *pairs, size_t n);

/* --- how the map looks (map_style.c): one table for render and dot --- */

struct map_look {
	const char	*shape;		/* Graphviz shape of the category */
	const char	*border;	/* security state colour */
	const char	*fill;		/* background: red when unauthorized */
	const char	*badge;		/* EPP badge colour, NULL: no badge */
	bool		router;		/* category network_device */
};

void map_look_node(const char *category, const char *status,
    const char *epp, const char *security, struct map_look *ret_look);
/*
 * The HTML-like Graphviz label of a device into b (reset first): name,
 * then the EPP badge when l has one, the IP and "router" when it is one.
 */
void map_look_label(struct strbuf *b, const char *name, const char *ip,
    const struct map_look *l);
/* Pen width of a pair with bytes, 1 to 6 on a log scale. */
double map_look_width(int64_t bytes);

#define MAP_COLOUR_OK		"#2e7d32"	/* green */
#define MAP_COLOUR_WARNING	"#f9c80e"	/* yellow */
#define MAP_COLOUR_CRITICAL	"#d32f2f"	/* red */
#define MAP_COLOUR_CONNECTED	"#2e7d32"	/* EPP badge: green */
#define MAP_COLOUR_DISCONNECTED	"#9e9e9e"	/* EPP badge: grey */
#define MAP_COLOUR_UNAUTHORIZED	"#f4a6a6"	/* background: red */
#define MAP_COLOUR_PLAIN	"#ffffff"
#define MAP_COLOUR_ARCHIVED	"#eeeeee"
#define MAP_COLOUR_TRAFFIC	"#37474f"	/* edge: solid */
#define MAP_COLOUR_EPP		"#1565c0"	/* edge: dashed */

#endif
