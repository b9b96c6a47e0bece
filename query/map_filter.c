/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the filters of map render and map export: the
 * devices and device pairs kept by subnet, EPP, time window and distance
 * from one device, loaded into a struct map_graph.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "query-private.h"

#define NODES_SQL \
	"SELECT device_id, name, category, status, ip, epp_icon, " \
	"security_state, last_seen_ms FROM map_nodes"

enum { N_ID, N_NAME, N_CATEGORY, N_STATUS, N_IP, N_EPP, N_SECURITY,
    N_LAST_SEEN };

void
query_map_filter_init(struct query_map_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->since_ms = QUERY_TIME_NONE;
	f->depth = QUERY_MAP_DEPTH;
}

struct nodes_ctx {
	struct map_graph	*g;
	size_t			cap;
	bool			epp_only;
};

static void
node_clear(struct map_node *n)
{
	free(n->name);
	free(n->category);
	free(n->status);
	free(n->ip);
	free(n->epp);
	free(n->security);
}

/* A copy of column i, or NULL; *ok goes false when out of memory. */
static char *
dup_col(const struct query_row *row, size_t i, bool *ok)
{
	char *s;

	if (row->values[i].text == NULL)
		return NULL;
	if ((s = strdup(row->values[i].text)) == NULL)
		*ok = false;
	return s;
}

static int
node_row(void *ctx, const struct query_row *row)
{
	struct nodes_ctx *k = ctx;
	struct map_graph *g = k->g;
	const char *epp = row->values[N_EPP].text;
	struct map_node *n;
	bool ok = true;

	if (k->epp_only && (epp == NULL || strcmp(epp, "none") == 0))
		return 0;
	if (g->nnodes == k->cap) {
		size_t cap = k->cap != 0 ? 2 * k->cap : 256;
		struct map_node *nv = realloc(g->nodes, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		g->nodes = nv;
		k->cap = cap;
	}
	n = &g->nodes[g->nnodes++];
	n->id = row->values[N_ID].i;
	n->name = dup_col(row, N_NAME, &ok);
	n->category = dup_col(row, N_CATEGORY, &ok);
	n->status = dup_col(row, N_STATUS, &ok);
	n->ip = dup_col(row, N_IP, &ok);
	n->epp = dup_col(row, N_EPP, &ok);
	n->security = dup_col(row, N_SECURITY, &ok);
	n->last_seen_ms = row->values[N_LAST_SEEN].type == QUERY_TYPE_NULL ?
	    QUERY_TIME_NONE : row->values[N_LAST_SEEN].i;
	return ok ? 0 : -ENOMEM;
}

static int
node_cmp(const void *key, const void *elem)
{
	int64_t id = *(const int64_t *)key;
	const struct map_node *n = elem;

	return id < n->id ? -1 : id > n->id;
}

ssize_t
map_graph_index(const struct map_graph *g, int64_t id)
{
	const struct map_node *n;

	if (g->nnodes == 0)
		return -1;
	n = bsearch(&id, g->nodes, g->nnodes, sizeof(*n), node_cmp);
	return n != NULL ? n - g->nodes : -1;
}

bool
map_graph_has(const struct map_graph *g, int64_t id)
{
	return map_graph_index(g, id) >= 0;
}

/* Keeps the nodes whose keep[] is set, in order. */
static void
nodes_keep(struct map_graph *g, const bool *keep)
{
	size_t j = 0;

	for (size_t i = 0; i < g->nnodes; i++) {
		if (keep[i])
			g->nodes[j++] = g->nodes[i];
		else
			node_clear(&g->nodes[i]);
	}
	g->nnodes = j;
}

/* Drops the pairs with a device no longer in g. */
static void
pairs_keep(struct map_graph *g)
{
	size_t j = 0;

	for (size_t i = 0; i < g->npairs; i++) {
		struct map_pair *p = &g->pairs[i];

		if (map_graph_has(g, p->a) && map_graph_has(g, p->b))
			g->pairs[j++] = *p;
		else {
			free(p->protocols);
			free(p->apps);
		}
	}
	g->npairs = j;
}

/* --since: devices seen in the window, or in a pair seen in it. */
static int
keep_recent(struct map_graph *g, int64_t since_ms)
{
	bool *keep = calloc(g->nnodes + 1, sizeof(*keep));

	if (keep == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < g->nnodes; i++)
		keep[i] = g->nodes[i].last_seen_ms != QUERY_TIME_NONE &&
		    g->nodes[i].last_seen_ms >= since_ms;
	/* the pairs were loaded for the window already */
	for (size_t i = 0; i < g->npairs; i++) {
		keep[map_graph_index(g, g->pairs[i].a)] = true;
		keep[map_graph_index(g, g->pairs[i].b)] = true;
	}
	nodes_keep(g, keep);
	free(keep);
	return 0;
}

/*
 * --device with --depth: a breadth-first walk over the kept pairs from
 * the centre. The pairs are by a then b, so the neighbours of a node are
 * found by an index of both ends built once (compressed rows).
 */
static int
keep_around(struct map_graph *g, int64_t centre, int64_t depth)
{
	size_t n = g->nnodes, *start = NULL, *adj = NULL, *fill = NULL;
	size_t *queue = NULL, head = 0, tail = 0;
	int64_t *dist = NULL;
	bool *keep = NULL;
	ssize_t c = map_graph_index(g, centre);
	int r = -ENOMEM;

	if (c < 0) {
		/* the centre itself was filtered out: nothing matches */
		for (size_t i = 0; i < n; i++)
			node_clear(&g->nodes[i]);
		g->nnodes = 0;
		return 0;
	}
	if ((start = calloc(n + 1, sizeof(*start))) == NULL ||
	    (fill = calloc(n + 1, sizeof(*fill))) == NULL ||
	    (adj = malloc((2 * g->npairs + 1) * sizeof(*adj))) == NULL ||
	    (queue = malloc((n + 1) * sizeof(*queue))) == NULL ||
	    (dist = malloc((n + 1) * sizeof(*dist))) == NULL ||
	    (keep = calloc(n + 1, sizeof(*keep))) == NULL)
		goto out;
	for (size_t i = 0; i < g->npairs; i++) {
		start[map_graph_index(g, g->pairs[i].a) + 1]++;
		start[map_graph_index(g, g->pairs[i].b) + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		start[i + 1] += start[i];
	for (size_t i = 0; i < g->npairs; i++) {
		size_t a = (size_t)map_graph_index(g, g->pairs[i].a);
		size_t b = (size_t)map_graph_index(g, g->pairs[i].b);

		adj[start[a] + fill[a]++] = b;
		adj[start[b] + fill[b]++] = a;
	}
	for (size_t i = 0; i < n; i++)
		dist[i] = -1;
	dist[c] = 0;
	queue[tail++] = (size_t)c;
	while (head < tail) {
		size_t u = queue[head++];

		keep[u] = true;
		if (dist[u] == depth)
			continue;
		for (size_t e = start[u]; e < start[u + 1]; e++)
			if (dist[adj[e]] < 0) {
				dist[adj[e]] = dist[u] + 1;
				queue[tail++] = adj[e];
			}
	}
	nodes_keep(g, keep);
	r = 0;
out:
	free(start);
	free(fill);
	free(adj);
	free(queue);
	free(dist);
	free(keep);
	return r;
}

void
map_graph_fini(struct map_graph *g)
{
	for (size_t i = 0; i < g->nnodes; i++)
		node_clear(&g->nodes[i]);
	free(g->nodes);
	map_pairs_free(g->pairs, g->npairs);
	memset(g, 0, sizeof(*g));
}

int
map_graph_load(struct query_db *db, const struct query_map_filter *f,
    struct map_graph *g)
{
	struct nodes_ctx k = { g, 0, f->epp_only };
	struct qsql q;
	int r = 0;

	memset(g, 0, sizeof(*g));
	qsql_init(&q);
	qsql_add(&q, NODES_SQL);
	/* As devices --subnet: any of the device's addresses is in it. */
	if (f->subnet != NULL) {
		qsql_add(&q, " WHERE device_id IN (SELECT device_id FROM "
		    "addresses WHERE ");
		r = qsql_subnet_where(db, &q, f->subnet);
		qsql_add(&q, ")");
	}
	qsql_add(&q, " ORDER BY device_id");
	if (r == 0)
		r = qsql_each(db, &q, node_row, &k);
	qsql_fini(&q);
	if (r == 0)
		r = map_pairs_load(db, f->since_ms, &g->pairs, &g->npairs);
	if (r == 0) {
		pairs_keep(g);
		if (f->since_ms != QUERY_TIME_NONE)
			r = keep_recent(g, f->since_ms);
	}
	if (r == 0 && f->device_id != 0) {
		r = keep_around(g, f->device_id, f->depth);
		pairs_keep(g);
	}
	if (r == -ENOMEM)
		r = qdb_fail(db, r, "out of memory");
	return r;
}
