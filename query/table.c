/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains query_table, rows collected in memory for printing,
 * and query_json_rows(), which turns a JSON array of objects back into
 * rows (device show's sections) with SQLite's json_each().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query-private.h"

struct query_table *
query_table_new(void)
{
	return calloc(1, sizeof(struct query_table));
}

void
query_table_free(struct query_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows; i++)
		free(t->texts[i]);
	free(t->texts);
	for (size_t i = 0; i < t->ncols; i++)
		free(t->names[i]);
	free(t->names);
	free(t->cells);
	free(t);
}

static int
set_columns(struct query_table *t, const struct query_row *row)
{
	if ((t->names = calloc(row->ncols + 1, sizeof(*t->names))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < row->ncols; i++) {
		if ((t->names[i] = strdup(row->names[i])) == NULL) {
			for (size_t j = 0; j < i; j++)
				free(t->names[j]);
			free(t->names);
			t->names = NULL;
			return -ENOMEM;
		}
	}
	t->ncols = row->ncols;
	return 0;
}

/* Makes room for one more row. Returns 0 or -ENOMEM. */
static int
grow(struct query_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	size_t ncols = t->ncols ? t->ncols : 1;
	struct query_value *c;
	char **x;

	if (cap > SIZE_MAX / sizeof(*c) / ncols)
		return -ENOMEM;
	if ((c = realloc(t->cells, cap * ncols * sizeof(*c))) == NULL)
		return -ENOMEM;
	t->cells = c;
	if ((x = realloc(t->texts, cap * sizeof(*x))) == NULL)
		return -ENOMEM;
	t->texts = x;
	t->cap = cap;
	return 0;
}

int
query_table_add_row(void *ctx, const struct query_row *row)
{
	struct query_table *t = ctx;
	struct query_value *cell;
	size_t len = 0, off = 0;
	char *block;
	int r;

	if (t->names == NULL && (r = set_columns(t, row)) < 0)
		return r;
	if (row->ncols != t->ncols)
		return -EINVAL;
	if (t->nrows == t->cap && (r = grow(t)) < 0)
		return r;
	/* One allocation per row: a 100,000-row table is not a million. */
	for (size_t i = 0; i < t->ncols; i++)
		if (row->values[i].text != NULL)
			len += strlen(row->values[i].text) + 1;
	if ((block = malloc(len > 0 ? len : 1)) == NULL)
		return -ENOMEM;
	cell = &t->cells[t->nrows * t->ncols];
	for (size_t i = 0; i < t->ncols; i++) {
		cell[i] = row->values[i];
		if (row->values[i].text != NULL) {
			size_t n = strlen(row->values[i].text) + 1;

			memcpy(block + off, row->values[i].text, n);
			cell[i].text = block + off;
			off += n;
		}
	}
	t->texts[t->nrows++] = block;
	return 0;
}

int
query_table_column(const struct query_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->names[i], name) == 0)
			return (int)i;
	return -1;
}

const struct query_value *
query_table_cell(const struct query_table *t, size_t row, size_t col)
{
	return &t->cells[row * t->ncols + col];
}

/* Collects the keys of the first element into q as SELECT columns. */
static int
key_cb(void *ctx, const struct query_row *row)
{
	struct qsql *q = ctx;
	const char *k = row->values[0].text;

	if (k == NULL || strchr(k, '"') != NULL || strchr(k, '\'') != NULL)
		return -EINVAL;
	qsql_add(q, "%sjson_extract(value, '$.\"%s\"') AS \"%s\"",
	    q->sql.len > strlen("SELECT ") ? ", " : "", k, k);
	return 0;
}

int
query_json_rows(struct query_db *db, const char *json, const char *path,
    query_row_fn fn, void *ctx)
{
	struct qsql q, keys;
	char *type = NULL;
	int r;

	qsql_init(&q);
	qsql_init(&keys);
	qsql_add(&keys, "SELECT json_type(?%d, ?%d)", qsql_text(&keys, json),
	    qsql_text(&keys, path));
	if ((r = qsql_text_result(db, &keys, &type)) < 0) {
		if (r == -ENOENT || r == -EIO)
			r = qdb_fail(db, -EINVAL, "no JSON at '%s'", path);
		goto out;
	}
	qsql_fini(&keys);
	qsql_init(&keys);
	qsql_add(&q, "SELECT ");
	if (strcmp(type, "object") == 0)
		qsql_add(&keys, "SELECT key FROM json_each(?%d, ?%d)",
		    qsql_text(&keys, json), qsql_text(&keys, path));
	else if (strcmp(type, "array") == 0)
		qsql_add(&keys, "SELECT key FROM json_each(?%d, ?%d || '[0]')",
		    qsql_text(&keys, json), qsql_text(&keys, path));
	else {
		r = qdb_fail(db, -EINVAL, "'%s' is not an array or object",
		    path);
		goto out;
	}
	if ((r = qsql_each(db, &keys, key_cb, &q)) < 0)
		goto out;
	if (q.sql.len == strlen("SELECT "))
		goto out;	/* empty array: no rows */
	if (strcmp(type, "object") == 0)
		qsql_add(&q, " FROM (SELECT json_extract(?%d, ?%d) AS value)",
		    qsql_text(&q, json), qsql_text(&q, path));
	else
		qsql_add(&q, " FROM json_each(?%d, ?%d) ORDER BY key",
		    qsql_text(&q, json), qsql_text(&q, path));
	r = qsql_each(db, &q, fn, ctx);
out:
	free(type);
	qsql_fini(&q);
	qsql_fini(&keys);
	return r;
}
