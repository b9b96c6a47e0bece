/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the one order of event lists with a search of many hits (issue
 * 12): newest first by occurred time, ties by the higher event id, also
 * when the newest hits by event id are not the newest by occurred time
 * (events that arrived late, or early ones stamped in the future), checked
 * against the whole sorted list for several limits, both directions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "query.h"
#include "query-fx.h"
#include "testutil.h"

#define HITS	2500	/* more than the newest hits a search looks at */

/*
 * "needle" events: the first three stored occurred last ("early"), the
 * others ("tail", half of them "thread", half "plain") occurred in the
 * order stored, two at each millisecond. A search for "tail" finds its
 * answer among the newest hits; one for "needle" or "thread" must sort
 * every hit.
 */
static void
fill(struct engine *e, long long now)
{
	char id[32], text[64];
	rb_report *r = NULL;
	int n = 0;

	for (int i = 0; i < HITS + 3; i++) {
		Kics__Epp__V1__EppEvent *ev;

		if (n % 900 == 0) {
			if (r != NULL)
				fx_commit(e, r, now);
			r = rb_new("agent-order", (uint64_t)n / 900 + 1);
			(void)rb_host(r, "ORDER-WS", "Windows 10", "10.0",
			    "02:00:00:00:00:09", "10.9.0.9");
		}
		(void)snprintf(id, sizeof(id), "n%d", n++);
		(void)snprintf(text, sizeof(text), "%s %s %d", i < 3 ?
		    "needle early" : "needle tail", i % 2 ? "thread" : "plain",
		    i);
		ev = rb_event(r, id, "threat_detected", text);
		/* the first three occurred last; the rest in order, pairs
		 * of them at the same millisecond */
		ev->occurred_at_ms = (uint64_t)(i < 3 ? now - 1000 + i :
		    now - 3600000 + (i / 2) * 100);
	}
	fx_commit(e, r, now);
}

/* The event ids of a search, in the order printed. */
static size_t
ids(struct query_db *db, const char *search, bool reverse, int64_t limit,
    long long *out, size_t max)
{
	struct query_events_opts o;
	struct query_table *t = query_table_new();
	size_t n;

	CHECK(t != NULL);
	query_events_opts_init(&o);
	o.search = search;
	o.reverse = reverse;
	o.limit = limit;
	CHECK_EQ(query_events(db, &o, query_table_add_row, t), 0);
	n = t->nrows < max ? t->nrows : max;
	for (size_t i = 0; i < n; i++)
		out[i] = query_table_cell(t, i, 0)->i;
	query_table_free(t);
	return n;
}

static void
test_order(void)
{
	static long long all[HITS + 16], some[HITS + 16];
	static const char *const words[] = { "needle", "thread", "plain",
	    "tail", "needle early", "tail AND thread", NULL };
	static const int64_t limits[] = { 1, 10, 50, 200 };
	struct query_fx f;
	struct query_db *db;

	query_fx_open(&f, fill);
	db = f.db;
	for (size_t w = 0; words[w] != NULL; w++) {
		for (int rev = 0; rev < 2; rev++) {
			/* no limit: every hit sorted, the reference */
			size_t n = ids(db, words[w], rev, 0, all, HITS + 16);

			CHECK(n > 0);
			for (size_t l = 0; l < 4; l++) {
				size_t m = ids(db, words[w], rev, limits[l],
				    some, HITS + 16);

				CHECK_EQ(m, (size_t)limits[l] < n ?
				    (size_t)limits[l] : n);
				CHECK(memcmp(some, all, m * sizeof(*all)) ==
				    0);
			}
		}
	}
	/* the three stored first occurred last: they lead "needle" */
	CHECK_EQ(ids(db, "needle", false, 3, some, 3), 3);
	CHECK(some[0] > some[1] && some[1] > some[2]);
	CHECK(some[0] < 10 && some[1] < 10 && some[2] < 10);
	/* and trail "needle" oldest first */
	CHECK_EQ(ids(db, "needle", true, HITS + 16, all, HITS + 16), HITS + 3);
	CHECK(all[HITS + 2] == some[0] && all[HITS] == some[2]);
	query_fx_close(&f);
}

int
main(void)
{
	RUN(test_order);
	return 0;
}
