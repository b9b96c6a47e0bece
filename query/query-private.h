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

#include "query.h"
#include "strbuf.h"

#define QSQL_MAX_BINDS	16	/* parameters of one statement */
#define QSQL_MAX_COLS	64	/* columns of one result row */

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

#endif
