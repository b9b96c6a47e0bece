/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the read-only connection of libkicsquery (opening,
 * the schema version check, error text) and the statement runner shared by
 * every query: rows to a callback, or a JSON array made by SQLite.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "query-private.h"
#include "embedded.h"

static void
set_err(char *buf, size_t len, const char *fmt, ...) KICS_PRINTF(3, 4);

static void
set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int
qdb_fail(struct query_db *db, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	va_end(ap);
	return r;
}

static int
check_version(sqlite3 *db, const char *path, char *errbuf, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r = -EIO, v;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		set_err(errbuf, errlen, "cannot read database '%s': %s", path,
		    sqlite3_errmsg(db));
		goto out;
	}
	v = sqlite3_column_int(st, 0);
	if (v > embedded_schema_version()) {
		set_err(errbuf, errlen, "database '%s' has schema version %d, "
		    "newer than the %d this kics-query knows; use a newer "
		    "kics-query", path, v, embedded_schema_version());
		r = -EPROTO;
		goto out;
	}
	if (v < 1) {
		set_err(errbuf, errlen, "'%s' is not a kics-epp database "
		    "(schema version %d)", path, v);
		goto out;
	}
	if (v < embedded_schema_version()) {
		/* kics-query never writes: only the daemon migrates */
		set_err(errbuf, errlen, "database '%s' has schema version %d, "
		    "older than the %d this kics-query reads; start "
		    "kics-epp-proxy once to upgrade it", path, v,
		    embedded_schema_version());
		r = -EPROTO;
		goto out;
	}
	r = 0;
out:
	(void)sqlite3_finalize(st);
	return r;
}

/*
 * The message of a data directory or database this user may not read:
 * the directory is 0750 and the files 0640, for the group of the daemon's
 * user (docs/operations.md). dir_gid is the data directory's group.
 */
static void
set_denied(char *errbuf, size_t errlen, const char *data_dir, gid_t dir_gid,
    const char *path)
{
	struct group *gr = getgrgid(dir_gid);
	char gid[32];

	(void)snprintf(gid, sizeof(gid), "%lu", (unsigned long)dir_gid);
	set_err(errbuf, errlen, "permission denied: cannot read '%s' in the "
	    "data directory '%s': only members of the group '%s' may read "
	    "it", path, data_dir, gr != NULL ? gr->gr_name : gid);
}

/*
 * Whether SQLite failed because the -wal or -shm file is missing and this
 * user may not create it: a database last closed by a daemon older than
 * SQLITE_FCNTL_PERSIST_WAL (see store_open()).
 */
static bool
wal_missing(const char *data_dir, const char *path)
{
	char p[PATH_MAX];
	struct stat sb;

	if (access(data_dir, W_OK) == 0)
		return false;
	(void)snprintf(p, sizeof(p), "%s-wal", path);
	if (stat(p, &sb) != 0)
		return true;
	(void)snprintf(p, sizeof(p), "%s-shm", path);
	return stat(p, &sb) != 0;
}

/*
 * READ-ONLY ACCESS. kics-query opens the database with
 * SQLITE_OPEN_READONLY, also while the daemon is stopped, and never with
 * "immutable=1": that would be wrong while the daemon writes, and telling
 * a running daemon from a stopped one (the pid file is locked only when
 * detached) is a race. Instead the daemon keeps kics-epp.db-wal and
 * kics-epp.db-shm in place (SQLITE_FCNTL_PERSIST_WAL in store_open()),
 * which is all a read-only reader in a directory it may not write needs
 * (https://www.sqlite.org/wal.html, "Read-Only Databases"). A reader that
 * may only read -shm reads the WAL into its own memory when no daemon
 * holds it.
 */
int
query_db_open(const char *data_dir, char *errbuf, size_t errlen,
    struct query_db **ret_db)
{
	struct query_db *q = NULL;
	struct stat sb, dir_sb;
	size_t n;
	int r = -ENOMEM;

	if (stat(data_dir, &dir_sb) != 0 || !S_ISDIR(dir_sb.st_mode)) {
		set_err(errbuf, errlen, "data directory '%s' %s", data_dir,
		    errno == ENOENT ? "does not exist" :
		    S_ISDIR(dir_sb.st_mode) ? strerror(errno) :
		    "is not a directory");
		return -ENOENT;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		goto out;
	n = strlen(data_dir) + sizeof(QUERY_DB_NAME) + 1;
	if ((q->path = malloc(n)) == NULL)
		goto out;
	(void)snprintf(q->path, n, "%s/%s", data_dir, QUERY_DB_NAME);
	if (stat(q->path, &sb) != 0) {
		/* query.h promises -ENOENT or -EIO: a denial is -EIO */
		r = errno == EACCES ? -EIO : -ENOENT;
		if (r == -EIO)
			set_denied(errbuf, errlen, data_dir, dir_sb.st_gid,
			    q->path);
		else
			set_err(errbuf, errlen, "database '%s' does not exist "
			    "(kics-epp-proxy creates it when it first starts)",
			    q->path);
		goto out;
	}
	if (access(q->path, R_OK) != 0 && errno == EACCES) {
		set_denied(errbuf, errlen, data_dir, sb.st_gid, q->path);
		r = -EIO;
		goto out;
	}
	/* Read-only: never creates, never writes, never blocks the writer. */
	if (sqlite3_open_v2(q->path, &q->db, SQLITE_OPEN_READONLY,
	    NULL) != SQLITE_OK) {
		set_err(errbuf, errlen, "cannot open database '%s': %s",
		    q->path, q->db != NULL ? sqlite3_errmsg(q->db) :
		    "out of memory");
		r = -EIO;
		goto out;
	}
	if (qdb_register_functions(q->db) < 0) {
		set_err(errbuf, errlen, "cannot open database '%s': %s",
		    q->path, sqlite3_errmsg(q->db));
		r = -EIO;
		goto out;
	}
	(void)sqlite3_busy_timeout(q->db, 2000);
	(void)sqlite3_exec(q->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	if ((r = check_version(q->db, q->path, errbuf, errlen)) < 0) {
		if (r == -EIO && wal_missing(data_dir, q->path))
			set_err(errbuf, errlen, "cannot read database '%s': "
			    "its -wal and -shm files are missing and only the "
			    "daemon's user may create them; start "
			    "kics-epp-proxy once, it keeps them from then on",
			    q->path);
		goto out;
	}
	*ret_db = q;
	q = NULL;
	r = 0;
out:
	query_db_free(q);
	return r;
}

void
query_db_free(struct query_db *db)
{
	if (db == NULL)
		return;
	(void)sqlite3_close(db->db);
	free(db->path);
	free(db);
}

const char *
query_db_errmsg(const struct query_db *db)
{
	return db->errmsg;
}

const char *
query_db_path(const struct query_db *db)
{
	return db->path;
}

int
qdb_prepare(struct query_db *db, const char *sql, sqlite3_stmt **ret_st)
{
	int rc = sqlite3_prepare_v2(db->db, sql, -1, ret_st, NULL);

	if (rc == SQLITE_OK)
		return 0;
	if (rc == SQLITE_NOMEM)
		return qdb_fail(db, -ENOMEM, "out of memory");
	return qdb_fail(db, -EIO, "database '%s': %s", db->path,
	    sqlite3_errmsg(db->db));
}

void
qsql_init(struct qsql *q)
{
	memset(q, 0, sizeof(*q));
	strbuf_init(&q->sql);
}

void
qsql_fini(struct qsql *q)
{
	strbuf_fini(&q->sql);
}

void
qsql_add(struct qsql *q, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		q->sql.error = -ENOMEM;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	(void)strbuf_append(&q->sql, buf);
	free(buf);
}

int
qsql_int(struct qsql *q, int64_t v)
{
	if (q->nbinds == QSQL_MAX_BINDS) {
		q->sql.error = -E2BIG;
		return 0;
	}
	q->binds[q->nbinds].is_text = false;
	q->binds[q->nbinds].i = v;
	return (int)++q->nbinds;
}

int
qsql_text(struct qsql *q, const char *v)
{
	if (q->nbinds == QSQL_MAX_BINDS) {
		q->sql.error = -E2BIG;
		return 0;
	}
	q->binds[q->nbinds].is_text = true;
	q->binds[q->nbinds].text = v;
	return (int)++q->nbinds;
}

static int
qsql_prepare(struct query_db *db, struct qsql *q, const char *sql,
    sqlite3_stmt **ret_st)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (q->sql.error < 0)
		return qdb_fail(db, q->sql.error, "cannot build the query");
	if ((r = qdb_prepare(db, sql, &st)) < 0)
		return r;
	for (size_t i = 0; i < q->nbinds; i++) {
		int rc = q->binds[i].is_text ?
		    sqlite3_bind_text(st, (int)i + 1, q->binds[i].text, -1,
		    SQLITE_STATIC) :
		    sqlite3_bind_int64(st, (int)i + 1, q->binds[i].i);

		if (rc != SQLITE_OK) {
			(void)sqlite3_finalize(st);
			return qdb_fail(db, -EIO, "cannot bind: %s",
			    sqlite3_errmsg(db->db));
		}
	}
	*ret_st = st;
	return 0;
}

/* Maps a failed sqlite3_step() to an errno and a message. */
static int
step_fail(struct query_db *db, int rc)
{
	if (rc == SQLITE_NOMEM)
		return qdb_fail(db, -ENOMEM, "out of memory");
	if (rc == SQLITE_BUSY)
		return qdb_fail(db, -EBUSY, "database '%s' is busy", db->path);
	return qdb_fail(db, -EIO, "database '%s': %s", db->path,
	    sqlite3_errmsg(db->db));
}

static int
run_stmt(struct query_db *db, sqlite3_stmt *st, query_row_fn fn, void *ctx)
{
	const char *names[QSQL_MAX_COLS];
	struct query_value vals[QSQL_MAX_COLS];
	size_t n = (size_t)sqlite3_column_count(st);
	int rc, r;

	if (n > QSQL_MAX_COLS)
		return qdb_fail(db, -E2BIG, "too many columns");
	for (size_t i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, (int)i);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct query_row row = { n, names, vals };

		for (size_t i = 0; i < n; i++) {
			int t = sqlite3_column_type(st, (int)i);

			memset(&vals[i], 0, sizeof(vals[i]));
			if (t == SQLITE_NULL)
				continue;
			vals[i].type = t == SQLITE_INTEGER ? QUERY_TYPE_INT :
			    t == SQLITE_FLOAT ? QUERY_TYPE_REAL :
			    QUERY_TYPE_TEXT;
			vals[i].i = sqlite3_column_int64(st, (int)i);
			vals[i].text = (const char *)sqlite3_column_text(st,
			    (int)i);
			if (vals[i].text == NULL)
				return qdb_fail(db, -ENOMEM, "out of memory");
		}
		if ((r = fn(ctx, &row)) < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return step_fail(db, rc);
	return 0;
}

int
qsql_each(struct query_db *db, struct qsql *q, query_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = qsql_prepare(db, q, strbuf_str(&q->sql), &st)) < 0)
		return r;
	r = run_stmt(db, st, fn, ctx);
	(void)sqlite3_finalize(st);
	return r;
}

int
qsql_text_result(struct query_db *db, struct qsql *q, char **ret_text)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	char *s;
	int r, rc;

	if ((r = qsql_prepare(db, q, strbuf_str(&q->sql), &st)) < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE ||
	    (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL)) {
		r = -ENOENT;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = step_fail(db, rc);
		goto out;
	}
	if ((t = sqlite3_column_text(st, 0)) == NULL ||
	    (s = strdup((const char *)t)) == NULL) {
		r = qdb_fail(db, -ENOMEM, "out of memory");
		goto out;
	}
	*ret_text = s;
	r = 0;
out:
	(void)sqlite3_finalize(st);
	return r;
}

/*
 * Builds into ret (initialised) the statement that turns the rows of q
 * into JSON objects: one array of them when group, else one object per row
 * in a column "json". Columns starting with '_' are left out; "tags" is
 * embedded as JSON. Returns 0 or a negative errno (message in db).
 */
static int
json_wrap(struct query_db *db, struct qsql *q, bool group, struct qsql *ret)
{
	sqlite3_stmt *st = NULL;
	struct strbuf outer;
	size_t n;
	int r;

	strbuf_init(&outer);
	/* The inner statement tells the column names. */
	if ((r = qsql_prepare(db, q, strbuf_str(&q->sql), &st)) < 0)
		goto out;
	n = (size_t)sqlite3_column_count(st);
	(void)strbuf_append(&outer, group ?
	    "SELECT json_group_array(json_object(" : "SELECT json_object(");
	for (size_t i = 0, k = 0; i < n; i++) {
		const char *c = sqlite3_column_name(st, (int)i);

		if (c[0] == '_')
			continue;
		(void)strbuf_printf(&outer, strcmp(c, "tags") == 0 ?
		    "%s'%s', json(\"%s\")" : "%s'%s', \"%s\"",
		    k++ > 0 ? ", " : "", c, c);
	}
	(void)strbuf_printf(&outer, group ? ")) FROM (%s)" :
	    ") AS json FROM (%s)", strbuf_str(&q->sql));
	if (outer.error < 0) {
		r = qdb_fail(db, outer.error, "out of memory");
		goto out;
	}
	ret->nbinds = q->nbinds;
	memcpy(ret->binds, q->binds, sizeof(q->binds));
	(void)strbuf_append(&ret->sql, strbuf_str(&outer));
	r = 0;
out:
	(void)sqlite3_finalize(st);
	strbuf_fini(&outer);
	return r;
}

int
qsql_json(struct query_db *db, struct qsql *q, char **ret_json)
{
	struct qsql wrapped;
	int r;

	qsql_init(&wrapped);
	if ((r = json_wrap(db, q, true, &wrapped)) == 0)
		r = qsql_text_result(db, &wrapped, ret_json);
	qsql_fini(&wrapped);
	return r;
}

int
qsql_json_each(struct query_db *db, struct qsql *q, query_row_fn fn,
    void *ctx)
{
	struct qsql wrapped;
	int r;

	qsql_init(&wrapped);
	if ((r = json_wrap(db, q, false, &wrapped)) == 0)
		r = qsql_each(db, &wrapped, fn, ctx);
	qsql_fini(&wrapped);
	return r;
}

int
qsql_expanded(struct query_db *db, struct qsql *q, char **ret_sql)
{
	sqlite3_stmt *st = NULL;
	char *x, *s;
	int r;

	if ((r = qsql_prepare(db, q, strbuf_str(&q->sql), &st)) < 0)
		return r;
	x = sqlite3_expanded_sql(st);
	s = x != NULL ? strdup(x) : NULL;
	sqlite3_free(x);
	(void)sqlite3_finalize(st);
	if (s == NULL)
		return qdb_fail(db, -ENOMEM, "out of memory");
	*ret_sql = s;
	return 0;
}

int
qsql_emit(struct query_db *db, struct qsql *q, const struct query_sink *s)
{
	if (s->ret_json != NULL)
		return qsql_json(db, q, s->ret_json);
	return qsql_each(db, q, s->fn, s->ctx);
}
