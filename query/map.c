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

/*
 * Each JSON object comes with the ids (and the last seen time of an edge)
 * after it, so that a filtered export can keep or skip the row.
 */
#define NODE_OBJECT_SQL \
	"SELECT json_object('device_id', device_id, 'name', name, " \
	"'category', category, 'status', status, 'ip', ip, 'mac', mac, " \
	"'vendor', vendor, 'model', model, 'os', os, 'epp_icon', epp_icon, " \
	"'security_state', security_state, 'last_seen_ms', last_seen_ms), " \
	"device_id FROM (SELECT * FROM map_nodes ORDER BY device_id)"
#define EDGE_OBJECT_SQL \
	"SELECT json_object('src_device_id', src_device_id, " \
	"'dst_device_id', dst_device_id, 'protocol', protocol, 'port', port, " \
	"'source', source, 'first_seen_ms', first_seen_ms, 'last_seen_ms', " \
	"last_seen_ms, 'packets', packets, 'bytes', bytes, 'app_protocol', " \
	"app_protocol), src_device_id, dst_device_id, last_seen_ms " \
	"FROM (" EDGES_SQL ")"

/* Which rows a filtered export keeps: those of devices in keep. */
struct export_keep {
	const struct map_graph	*g;	/* NULL: every row */
	int64_t			since_ms; /* edges seen at or after */
};

/* Whether the node row (its id in column id) passes k. */
static bool
keep_node(const struct export_keep *k, const struct query_row *row,
    size_t id)
{
	return k->g == NULL || map_graph_has(k->g, row->values[id].i);
}

/* Whether the edge row (ids in src, src + 1; last seen in seen) passes. */
static bool
keep_edge(const struct export_keep *k, const struct query_row *row,
    size_t src, size_t seen)
{
	if (k->g == NULL)
		return true;
	if (k->since_ms != QUERY_TIME_NONE &&
	    row->values[seen].i < k->since_ms)
		return false;
	return map_graph_has(k->g, row->values[src].i) &&
	    map_graph_has(k->g, row->values[src + 1].i);
}

/* Where the export document goes: a stream or a string. */
struct export_sink {
	FILE			*out;	/* or NULL: into buf */
	struct strbuf		buf;
	bool			first;	/* no element in this array yet */
	bool			edges;	/* rows are edges, not nodes */
	struct export_keep	keep;
};

static void
sink_put(struct export_sink *k, const char *s)
{
	if (k->out != NULL)
		(void)fputs(s, k->out);
	else
		(void)strbuf_append(&k->buf, s);
}

static void
sink_next(struct export_sink *k)
{
	if (!k->first)
		sink_put(k, ",");
	k->first = false;
}

/* One object, made by SQLite's json_object(), into the current array. */
static int
sink_row(void *ctx, const struct query_row *row)
{
	struct export_sink *k = ctx;

	if (k->edges ? !keep_edge(&k->keep, row, 1, 3) :
	    !keep_node(&k->keep, row, 1))
		return 0;
	sink_next(k);
	sink_put(k, row->values[0].text != NULL ? row->values[0].text :
	    "null");
	return 0;
}

/* The items of the comma-separated list as JSON strings, comma-separated. */
static int
json_list(struct strbuf *b, const char *list)
{
	for (size_t i = 0; *list != '\0'; i++) {
		size_t l = strcspn(list, ",");
		char *item = strndup(list, l);

		if (item == NULL)
			return -ENOMEM;
		if (i > 0)
			(void)strbuf_append(b, ",");
		(void)strbuf_json_string(b, item);
		free(item);
		list += l + (list[l] == ',');
	}
	return 0;
}

/* One device pair as a JSON object (see query_map_export()). */
static void
sink_pair(struct export_sink *k, const struct map_pair *p, struct strbuf *b)
{
	const char *s = p->protocols;

	strbuf_reset(b);
	(void)strbuf_printf(b, "{\"src_device_id\":%lld,\"dst_device_id\":"
	    "%lld,\"interactions\":%lld,\"protocols\":[", (long long)p->a,
	    (long long)p->b, (long long)p->interactions);
	for (size_t i = 0; i < p->nprotocols; i++) {
		size_t l = strcspn(s, ",");

		(void)strbuf_printf(b, "%s\"%.*s\"", i > 0 ? "," : "", (int)l,
		    s);
		s += l + (s[l] == ',');
	}
	(void)strbuf_printf(b, "],\"source\":\"%s\",\"direction\":\"%s\","
	    "\"first_seen_ms\":%lld,\"last_seen_ms\":%lld,\"packets\":%lld,"
	    "\"bytes\":%lld,\"app_protocols\":[", p->traffic ? "traffic" :
	    "epp", p->forward && p->back ? "both" : p->back ? "back" :
	    "forward", (long long)p->first_seen_ms, (long long)p->last_seen_ms,
	    (long long)p->packets, (long long)p->bytes);
	if (json_list(b, p->apps) < 0)
		b->error = -ENOMEM;
	(void)strbuf_append(b, "]}");
	sink_next(k);
	sink_put(k, strbuf_str(b));
}

static int
sink_pairs(struct query_db *db, struct export_sink *k,
    const struct map_graph *g)
{
	struct strbuf b;
	int r = 0;

	strbuf_init(&b);
	for (size_t i = 0; i < g->npairs && b.error == 0; i++)
		sink_pair(k, &g->pairs[i], &b);
	if (b.error < 0)
		r = qdb_fail(db, b.error, "out of memory");
	strbuf_fini(&b);
	return r;
}

static int
sink_query(struct query_db *db, struct export_sink *k, const char *sql,
    bool edges)
{
	struct qsql q;
	int r;

	k->first = true;
	k->edges = edges;
	qsql_init(&q);
	qsql_add(&q, "%s", sql);
	r = qsql_each(db, &q, sink_row, k);
	qsql_fini(&q);
	return r;
}

/*
 * Writes {"nodes": [...], "edges": [...]}. Each object is SQLite's
 * json_object() of one row, written as it comes: json_group_array() of a
 * million edges and a json_object() around it took seconds longer than
 * the rows themselves (DESIGN.md's export goal is 3 s). With pairs, the
 * edges are the device pairs of pairs instead.
 */
static int
export_json(struct query_db *db, struct export_sink *k,
    const struct map_graph *pairs)
{
	int r;

	sink_put(k, "{\"nodes\":[");
	if ((r = sink_query(db, k, NODE_OBJECT_SQL, false)) < 0)
		return r;
	sink_put(k, "],\"edges\":[");
	k->first = true;
	if (pairs != NULL)
		r = sink_pairs(db, k, pairs);
	else
		r = sink_query(db, k, EDGE_OBJECT_SQL, true);
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
	if ((r = export_json(db, &k, NULL)) == 0 && k.buf.error < 0)
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
	struct query_map_filter all;

	query_map_filter_init(&all);
	return query_map_export(db, &all, QUERY_MAP_JSON, false, out);
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

/* The DOT writer's state. */
struct dot_ctx {
	FILE			*out;
	struct strbuf		b;	/* one label */
	struct export_keep	keep;
};

/*
 * A device as map render draws it (the same HTML-like label, shape and
 * colours), with its attributes as the tooltip.
 */
static int
dot_node(void *ctx, const struct query_row *row)
{
	struct dot_ctx *d = ctx;
	const char *epp = col(row, N_EPP), *sec = col(row, N_SECURITY);
	struct map_look l;

	if (!keep_node(&d->keep, row, N_ID))
		return 0;
	map_look_node(col(row, N_CATEGORY), col(row, N_STATUS), epp, sec,
	    &l);
	map_look_label(&d->b, col(row, N_NAME), row->values[N_IP].text, &l);
	if (d->b.error < 0)
		return -ENOMEM;
	(void)fprintf(d->out, "  d%s [label=<%s>, tooltip=\"", col(row, N_ID),
	    strbuf_str(&d->b));
	dot_text(d->out, col(row, N_NAME));
	(void)fputs("\\n", d->out);
	dot_text(d->out, col(row, N_CATEGORY));
	(void)fprintf(d->out, ", %s\\nEPP: %s\\nsecurity: %s\", shape=%s, "
	    "style=filled, fillcolor=\"%s\", color=\"%s\", penwidth=%s, "
	    "peripheries=%d, id=\"device-%s\"];\n", col(row, N_STATUS), epp,
	    sec, l.shape, l.fill, l.border,
	    strcmp(sec, "critical") == 0 ? "3.5" : "2.5", l.router ? 2 : 1,
	    col(row, N_ID));
	return ferror(d->out) ? -EIO : 0;
}

static int
dot_edge(void *ctx, const struct query_row *row)
{
	struct dot_ctx *d = ctx;
	bool epp = strcmp(col(row, 4), "epp") == 0;

	if (!keep_edge(&d->keep, row, 0, 6))
		return 0;
	(void)fprintf(d->out, "  d%s -> d%s [label=\"%s/%s", col(row, 0),
	    col(row, 1), col(row, 2), col(row, 3));
	if (*col(row, 9) != '\0') {
		(void)fputs("\\n", d->out);
		dot_text(d->out, col(row, 9));
	}
	(void)fprintf(d->out, "\", style=%s, color=\"%s\"];\n",
	    epp ? "dashed" : "solid", epp ? MAP_COLOUR_EPP :
	    MAP_COLOUR_TRAFFIC);
	return ferror(d->out) ? -EIO : 0;
}

/* The comma-separated list as "a, b" inside a DOT double-quoted string. */
static void
dot_list(FILE *out, const char *list)
{
	for (const char *s = list; *s != '\0'; s++) {
		if (*s == ',')
			(void)fputs(", ", out);
		else
			dot_text(out, (char[2]){ *s, 0 });
	}
}

/* One device pair, drawn as map render draws it. */
static int
dot_pair(FILE *out, const struct map_pair *p)
{
	(void)fprintf(out, "  d%lld -> d%lld [label=\"", (long long)p->a,
	    (long long)p->b);
	dot_list(out, p->protocols);
	if (*p->apps != '\0') {
		(void)fputs("\\n", out);
		dot_list(out, p->apps);
	}
	(void)fprintf(out, "\", style=%s, color=\"%s\", penwidth=%.2f, "
	    "dir=%s, id=\"pair-%lld-%lld\"];\n",
	    p->traffic ? "solid" : "dashed",
	    p->traffic ? MAP_COLOUR_TRAFFIC : MAP_COLOUR_EPP,
	    map_look_width(p->bytes), p->forward && p->back ? "both" :
	    p->back ? "back" : "forward", (long long)p->a, (long long)p->b);
	return ferror(out) ? -EIO : 0;
}

static void
dot_header(FILE *out)
{
	(void)fputs("// kics-epp map (kics-query map render draws it for you)\n"
	    "// badge: green EPP = agent connected, grey EPP = agent "
	    "disconnected, none = no EPP\n"
	    "// border: green = ok, yellow = warning, red = critical "
	    "(last 24 h)\n"
	    "// fill: red = unauthorized device\n"
	    "// shape: box3d server, box workstation, ellipse unknown, "
	    "hexagon with a double\n//   border = router (network_device)\n"
	    "// edge: solid dark grey = traffic data, dashed blue = EPP data\n"
	    "digraph kics_map {\n"
	    "  graph [rankdir=LR, overlap=false, fontname=\"Helvetica\"];\n"
	    "  node [fontname=\"Helvetica\", fontsize=10];\n"
	    "  edge [fontname=\"Helvetica\", fontsize=8];\n", out);
}

static int
export_dot(struct query_db *db, struct dot_ctx *d,
    const struct map_graph *pairs)
{
	struct query_devices_opts all = { .limit = 0 };
	int r;

	dot_header(d->out);
	if ((r = query_devices(db, &all, dot_node, d)) < 0)
		return r;
	if (pairs == NULL)
		return query_map_edges(db, dot_edge, d);
	for (size_t i = 0; i < pairs->npairs; i++)
		if ((r = dot_pair(d->out, &pairs->pairs[i])) < 0)
			return r;
	return 0;
}

int
query_map_export_dot(struct query_db *db, FILE *out)
{
	struct query_map_filter all;

	query_map_filter_init(&all);
	return query_map_export(db, &all, QUERY_MAP_DOT, false, out);
}

static bool
filtered(const struct query_map_filter *f)
{
	return f->subnet != NULL || f->epp_only ||
	    f->since_ms != QUERY_TIME_NONE || f->device_id != 0;
}

int
query_map_export(struct query_db *db, const struct query_map_filter *f,
    enum query_map_format format, bool aggregate, FILE *out)
{
	struct map_graph g = { 0 };
	struct export_keep keep = { NULL, f->since_ms };
	const struct map_graph *pairs = aggregate ? &g : NULL;
	int r = 0;

	/* Without filters the rows stream straight from SQLite. */
	if (filtered(f) || aggregate) {
		if ((r = map_graph_load(db, f, &g)) < 0)
			goto out;
		if (filtered(f))
			keep.g = &g;
	}
	if (format == QUERY_MAP_DOT) {
		struct dot_ctx d = { .out = out, .keep = keep };

		strbuf_init(&d.b);
		if ((r = export_dot(db, &d, pairs)) == 0)
			(void)fputs("}\n", out);
		strbuf_fini(&d.b);
	} else {
		struct export_sink k = { .out = out, .keep = keep };

		strbuf_init(&k.buf);
		if ((r = export_json(db, &k, pairs)) == 0)
			(void)fputc('\n', out);
	}
	if (r == -ENOMEM)
		r = qdb_fail(db, r, "out of memory");
	if (r == 0 && (fflush(out) != 0 || ferror(out)))
		r = -EIO;
	if (r == -EIO && ferror(out))
		(void)qdb_fail(db, -EIO, "cannot write the map");
out:
	map_graph_fini(&g);
	return r;
}
