/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the aggregation of map_edges into device pairs: one
 * entry per two devices, whatever the direction, protocols and ports of
 * their interactions, with their counters added up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "query-private.h"

/* MAX() of a comparison is 1 when any row of the group satisfies it. */
#define PAIRS_SQL \
	"SELECT MIN(src_device_id, dst_device_id) AS a, " \
	"MAX(src_device_id, dst_device_id) AS b, " \
	"group_concat(DISTINCT protocol || '/' || port), COUNT(*), " \
	"SUM(packets), SUM(bytes), MIN(first_seen_ms), MAX(last_seen_ms), " \
	"MAX(source = 'traffic'), MAX(src_device_id < dst_device_id), " \
	"MAX(src_device_id > dst_device_id), " \
	"group_concat(DISTINCT NULLIF(app_protocol, '')) FROM map_edges"
#define PAIRS_ORDER " GROUP BY a, b ORDER BY a, b"

enum { P_A, P_B, P_PROTOCOLS, P_COUNT, P_PACKETS, P_BYTES, P_FIRST, P_LAST,
    P_TRAFFIC, P_FORWARD, P_BACK, P_APPS, P_MAX };

struct pairs_ctx {
	struct map_pair	*v;
	size_t		n, cap;
};

/*
 * Orders "proto/port" texts by protocol, then by port as a number; texts
 * without '/' (application protocols) in byte order.
 */
static int
proto_cmp(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
	int c = strncmp(a, b, la < lb ? la : lb);

	if (c != 0 || la != lb)
		return c != 0 ? c : (la < lb ? -1 : 1);
	c = atoi(a + la + (a[la] != '\0')) - atoi(b + lb + (b[lb] != '\0'));
	return c < 0 ? -1 : c > 0;
}

/*
 * Sorts the comma-separated list text in place (SQLite's group_concat
 * keeps no order) and returns how many items it has.
 */
static int
protocols_sort(char *text, size_t *ret_n)
{
	char **item, *p, *copy;
	size_t n = 1, i, off = 0;

	for (p = text; *p != '\0'; p++)
		n += *p == ',';
	if ((item = malloc(n * sizeof(*item))) == NULL ||
	    (copy = strdup(text)) == NULL) {
		free(item);
		return -ENOMEM;
	}
	item[0] = copy;
	for (i = 1, p = copy; (p = strchr(p, ',')) != NULL; i++) {
		*p++ = '\0';
		item[i] = p;
	}
	qsort(item, n, sizeof(*item), proto_cmp);
	for (i = 0; i < n; i++) {
		size_t l = strlen(item[i]);

		memcpy(text + off, item[i], l);
		off += l;
		if (i + 1 < n)
			text[off++] = ',';
	}
	text[off] = '\0';
	free(copy);
	free(item);
	*ret_n = n;
	return 0;
}

static int
pair_row(void *ctx, const struct query_row *row)
{
	struct pairs_ctx *k = ctx;
	const struct query_value *v = row->values;
	struct map_pair *p;

	if (k->n == k->cap) {
		size_t cap = k->cap != 0 ? 2 * k->cap : 256;
		struct map_pair *nv = realloc(k->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		k->v = nv;
		k->cap = cap;
	}
	p = &k->v[k->n];
	memset(p, 0, sizeof(*p));
	p->a = v[P_A].i;
	p->b = v[P_B].i;
	if ((p->protocols = strdup(v[P_PROTOCOLS].text != NULL ?
	    v[P_PROTOCOLS].text : "")) == NULL)
		return -ENOMEM;
	k->n++;
	if (protocols_sort(p->protocols, &p->nprotocols) < 0)
		return -ENOMEM;
	if ((p->apps = strdup(v[P_APPS].text != NULL ? v[P_APPS].text :
	    "")) == NULL)
		return -ENOMEM;
	if (*p->apps != '\0' && protocols_sort(p->apps, &p->napps) < 0)
		return -ENOMEM;
	p->interactions = v[P_COUNT].i;
	p->packets = v[P_PACKETS].i;
	p->bytes = v[P_BYTES].i;
	p->first_seen_ms = v[P_FIRST].i;
	p->last_seen_ms = v[P_LAST].i;
	p->traffic = v[P_TRAFFIC].i != 0;
	p->forward = v[P_FORWARD].i != 0;
	p->back = v[P_BACK].i != 0;
	return 0;
}

void
map_pairs_free(struct map_pair *pairs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].protocols);
		free(pairs[i].apps);
	}
	free(pairs);
}

int
map_pairs_load(struct query_db *db, int64_t since_ms,
    struct map_pair **ret_pairs, size_t *ret_n)
{
	struct pairs_ctx k = { NULL, 0, 0 };
	struct qsql q;
	int r;

	qsql_init(&q);
	qsql_add(&q, PAIRS_SQL);
	if (since_ms != QUERY_TIME_NONE)
		qsql_add(&q, " WHERE last_seen_ms >= ?%d",
		    qsql_int(&q, since_ms));
	qsql_add(&q, PAIRS_ORDER);
	r = qsql_each(db, &q, pair_row, &k);
	qsql_fini(&q);
	if (r == -ENOMEM)
		r = qdb_fail(db, r, "out of memory");
	if (r < 0) {
		map_pairs_free(k.v, k.n);
		return r;
	}
	*ret_pairs = k.v;
	*ret_n = k.n;
	return 0;
}
