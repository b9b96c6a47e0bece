/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the map queries: map_edges rows and the export of the
 * whole map as one JSON document or as a Graphviz digraph.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "query-private.h"

#define EDGES_SQL \
	"SELECT src_device_id, dst_device_id, protocol, port, source, " \
	"first_seen_ms, last_seen_ms, packets, bytes, app_protocol " \
	"FROM map_edges " \
	"ORDER BY src_device_id, dst_device_id, protocol, port"

int
query_map_edges_emit(struct query_db *db, const void *arg,
    const struct query_sink *s)
{
	struct qsql q;
	int r;

	(void)arg;
	qsql_init(&q);
	qsql_add(&q, EDGES_SQL);
	r = qsql_emit(db, &q, s);
	qsql_fini(&q);
	return r;
}

int
query_map_edges(struct query_db *db, query_row_fn fn, void *ctx)
{
	struct query_sink s = { fn, ctx, NULL };

	return query_map_edges_emit(db, NULL, &s);
}

int
query_map_edges_json(struct query_db *db, char **ret_json)
{
	struct query_sink s = { NULL, NULL, ret_json };

	return query_map_edges_emit(db, NULL, &s);
}

#define NODE_OBJECT_SQL \
	"SELECT json_object('device_id', device_id, 'name', name, " \
	"'category', category, 'status', status, 'ip', ip, 'mac', mac, " \
	"'vendor', vendor, 'model', model, 'os', os, 'epp_icon', epp_icon, " \
	"'security_state', security_state, 'last_seen_ms', last_seen_ms) " \
	"FROM (SELECT * FROM map_nodes ORDER BY device_id)"
#define EDGE_OBJECT_SQL \
	"SELECT json_object('src_device_id', src_device_id, " \
	"'dst_device_id', dst_device_id, 'protocol', protocol, 'port', port, " \
	"'source', source, 'first_seen_ms', first_seen_ms, 'last_seen_ms', " \
	"last_seen_ms, 'packets', packets, 'bytes', bytes, 'app_protocol', " \
	"app_protocol) FROM (" \
	EDGES_SQL ")"

/* Where the export document goes: a stream or a string. */
struct export_sink {
	FILE		*out;		/* or NULL: into buf */
	struct strbuf	buf;
	bool		first;		/* no element in this array yet */
};

static void
sink_put(struct export_sink *k, const char *s)
{
	if (k->out != NULL)
		(void)fputs(s, k->out);
	else
		(void)strbuf_append(&k->buf, s);
}

/* One object, made by SQLite's json_object(), into the current array. */
static int
sink_row(void *ctx, const struct query_row *row)
{
	struct export_sink *k = ctx;

	if (!k->first)
		sink_put(k, ",");
	k->first = false;
	sink_put(k, row->values[0].text != NULL ? row->values[0].text :
	    "null");
	return 0;
}

/*
 * Writes {"nodes": [...], "edges": [...]}. Each object is SQLite's
 * json_object() of one row, written as it comes: json_group_array() of a
 * million edges and a json_object() around it took seconds longer than
 * the rows themselves (DESIGN.md's export goal is 3 s).
 */
static int
export_json(struct query_db *db, struct export_sink *k)
{
	struct qsql q;
	int r;

	sink_put(k, "{\"nodes\":[");
	k->first = true;
	qsql_init(&q);
	qsql_add(&q, NODE_OBJECT_SQL);
	r = qsql_each(db, &q, sink_row, k);
	qsql_fini(&q);
	if (r < 0)
		return r;
	sink_put(k, "],\"edges\":[");
	k->first = true;
	qsql_init(&q);
	qsql_add(&q, EDGE_OBJECT_SQL);
	r = qsql_each(db, &q, sink_row, k);
	qsql_fini(&q);
	if (r < 0)
		return r;
	sink_put(k, "]}");
	return 0;
}

int
query_map_export_json(struct query_db *db, char **ret_json)
{
	struct export_sink k = { .out = NULL };
	int r;

	strbuf_init(&k.buf);
	if ((r = export_json(db, &k)) == 0 && k.buf.error < 0)
		r = qdb_fail(db, k.buf.error, "out of memory");
	if (r == 0) {
		*ret_json = k.buf.data;
		k.buf.data = NULL;
	}
	strbuf_fini(&k.buf);
	return r;
}

int
query_map_export_json_write(struct query_db *db, FILE *out)
{
	struct export_sink k = { .out = out };
	int r;

	strbuf_init(&k.buf);
	r = export_json(db, &k);
	if (r == 0)
		(void)fputc('\n', out);
	return r;
}

/* Writes s as the inside of a DOT double-quoted string. */
static void
dot_text(FILE *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			(void)fputc('\\', out);
		if ((unsigned char)*s < 0x20)
			(void)fputc(' ', out);
		else
			(void)fputc(*s, out);
	}
}

static const char *
col(const struct query_row *row, size_t i)
{
	return row->values[i].text != NULL ? row->values[i].text : "";
}

/* Columns of map_nodes as selected by query_devices(). */
enum { N_ID, N_NAME, N_CATEGORY, N_STATUS, N_IP, N_MAC, N_VENDOR, N_MODEL,
    N_OS, N_EPP, N_SECURITY, N_LAST_SEEN };

static int
dot_node(void *ctx, const struct query_row *row)
{
	FILE *out = ctx;
	const char *epp = col(row, N_EPP), *sec = col(row, N_SECURITY);
	const char *fill = "white", *border = "gray40", *shape = "box";
	const char *width = "1";

	if (strcmp(epp, "connected") == 0) {
		fill = "palegreen";
		shape = "box3d";
	} else if (strcmp(epp, "disconnected") == 0) {
		fill = "lightgray";
		shape = "box3d";
	}
	if (strcmp(sec, "critical") == 0) {
		border = "red";
		width = "3";
	} else if (strcmp(sec, "warning") == 0) {
		border = "orange";
		width = "2";
	}
	(void)fprintf(out, "  d%s [label=\"", col(row, N_ID));
	dot_text(out, col(row, N_NAME));
	if (row->values[N_IP].text != NULL) {
		(void)fputs("\\n", out);
		dot_text(out, col(row, N_IP));
	}
	(void)fputs("\\n", out);
	dot_text(out, col(row, N_CATEGORY));
	(void)fprintf(out, ", %s\\nEPP: %s\\nsecurity: %s\", shape=%s, "
	    "style=\"%sfilled\", fillcolor=%s, color=%s, penwidth=%s];\n",
	    col(row, N_STATUS), epp, sec, shape,
	    strcmp(epp, "disconnected") == 0 ? "dashed," : "", fill, border,
	    width);
	return ferror(out) ? -EIO : 0;
}

static int
dot_edge(void *ctx, const struct query_row *row)
{
	FILE *out = ctx;
	bool epp = strcmp(col(row, 4), "epp") == 0;

	(void)fprintf(out, "  d%s -> d%s [label=\"%s/%s\", style=%s, "
	    "color=%s];\n", col(row, 0), col(row, 1), col(row, 2),
	    col(row, 3), epp ? "dashed" : "solid", epp ? "blue" : "black");
	return ferror(out) ? -EIO : 0;
}

int
query_map_export_dot(struct query_db *db, FILE *out)
{
	struct query_devices_opts all = { .limit = 0 };
	int r;

	(void)fputs("// kics-epp map: render with dot -Tsvg\n"
	    "// node: green 3-D box = EPP agent connected, gray dashed = EPP "
	    "agent disconnected, plain box = no EPP\n"
	    "// border: red = critical, orange = warning (last 24 h)\n"
	    "// edge: solid black = traffic data, dashed blue = EPP data\n"
	    "digraph kics_map {\n"
	    "  graph [rankdir=LR, overlap=false, fontname=\"Helvetica\"];\n"
	    "  node [fontname=\"Helvetica\", fontsize=10];\n"
	    "  edge [fontname=\"Helvetica\", fontsize=8];\n", out);
	if ((r = query_devices(db, &all, dot_node, out)) < 0)
		goto out;
	if ((r = query_map_edges(db, dot_edge, out)) < 0)
		goto out;
	(void)fputs("}\n", out);
	if (fflush(out) != 0 || ferror(out))
		r = qdb_fail(db, -EIO, "cannot write the graph");
out:
	if (r == -EIO && ferror(out))
		(void)qdb_fail(db, -EIO, "cannot write the graph");
	return r;
}
