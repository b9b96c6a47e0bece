/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains a statement profile for benchmarks (stmt-profile.h):
 * linked with -Wl,--wrap=sqlite3_step,--wrap=sqlite3_exec, it counts and
 * times every statement the program steps, by its SQL text, for the side
 * of the benchmark that runs (issue 17: where the engine's time goes
 * beside the raw side's, statement by statement).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-fx.h"
#include "stmt-profile.h"

#define SLOTS		1024	/* statements a side may step, a power of 2 */
#define SIDES		2
#define SQL_SHOWN	100	/* characters of a statement's text shown */

int __real_sqlite3_step(sqlite3_stmt *st);
int __wrap_sqlite3_step(sqlite3_stmt *st);
int __real_sqlite3_exec(sqlite3 *db, const char *sql,
    int (*cb)(void *, int, char **, char **), void *arg, char **err);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql,
    int (*cb)(void *, int, char **, char **), void *arg, char **err);

/* A statement's count and time, keyed by its address (a text's for exec). */
struct slot {
	const void	*key;
	char		*sql;
	long long	 calls;
	double		 seconds;
};

static struct {
	const char	*name;
	struct slot	 slots[SLOTS];
	double		 seconds;	/* of the side's runs, all in all */
} sides[SIDES];
static int current = -1;

void
stmt_profile_side(int side, const char *name)
{
	if (side < 0 || side >= SIDES)
		abort();
	sides[side].name = name;
	current = side;
}

void
stmt_profile_ran(int side, double seconds)
{
	sides[side].seconds += seconds;
	current = -1;
}

static void
note(const void *key, const char *sql, double seconds)
{
	struct slot *sl;
	size_t h;

	if (current < 0)
		return;
	h = ((uintptr_t)key >> 4) * 2654435761u % SLOTS;
	for (size_t n = 0; n < SLOTS; n++, h = (h + 1) % SLOTS) {
		sl = &sides[current].slots[h];
		if (sl->key == NULL) {
			sl->key = key;
			sl->sql = strdup(sql != NULL ? sql : "?");
			if (sl->sql == NULL)
				abort();
		}
		if (sl->key == key) {
			sl->calls++;
			sl->seconds += seconds;
			return;
		}
	}
	abort();	/* more statements than SLOTS */
}

int
__wrap_sqlite3_step(sqlite3_stmt *st)
{
	double t0 = bench_wall_s();
	int rc = __real_sqlite3_step(st);

	note(st, sqlite3_sql(st), bench_wall_s() - t0);
	return rc;
}

int
__wrap_sqlite3_exec(sqlite3 *db, const char *sql,
    int (*cb)(void *, int, char **, char **), void *arg, char **err)
{
	double t0 = bench_wall_s();
	int rc = __real_sqlite3_exec(db, sql, cb, arg, err);

	note(sql, sql, bench_wall_s() - t0);
	return rc;
}

/* Slots with the same text (a statement prepared twice) become one. */
static size_t
merge(struct slot *sl, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < out; j++)
			if (strcmp(sl[j].sql, sl[i].sql) == 0)
				break;
		if (j == out) {
			sl[out++] = sl[i];
			continue;
		}
		sl[j].calls += sl[i].calls;
		sl[j].seconds += sl[i].seconds;
		free(sl[i].sql);
	}
	return out;
}

static int
by_time(const void *x, const void *y)
{
	const struct slot *a = x, *b = y;

	return (a->seconds < b->seconds) - (a->seconds > b->seconds);
}

void
stmt_profile_print(long long reports)
{
	for (int s = 0; s < SIDES; s++) {
		struct slot *sl = calloc(SLOTS, sizeof(*sl));
		double in_steps = 0, per = 1e6 / (double)reports;
		long long calls = 0;
		size_t n = 0;

		if (sl == NULL)
			abort();
		for (size_t i = 0; i < SLOTS; i++)
			if (sides[s].slots[i].key != NULL)
				sl[n++] = sides[s].slots[i];
		n = merge(sl, n);
		qsort(sl, n, sizeof(*sl), by_time);
		for (size_t i = 0; i < n; i++) {
			in_steps += sl[i].seconds;
			calls += sl[i].calls;
		}
		(void)printf("%s: %.1f us/report, %.1f in %.1f statements, "
		    "%.1f outside them\n", sides[s].name != NULL ?
		    sides[s].name : "?", sides[s].seconds * per,
		    in_steps * per, (double)calls / (double)reports,
		    (sides[s].seconds - in_steps) * per);
		(void)printf("  us/report  calls/report  us/call  statement\n");
		for (size_t i = 0; i < n; i++) {
			char text[SQL_SHOWN + 1];

			(void)snprintf(text, sizeof(text), "%s", sl[i].sql);
			for (char *p = text; *p != '\0'; p++)
				if (*p == '\n' || *p == '\t')
					*p = ' ';
			if (sl[i].seconds * per >= 0.05)
				(void)printf("  %9.2f  %12.2f  %7.2f  %s\n",
				    sl[i].seconds * per,
				    (double)sl[i].calls / (double)reports,
				    sl[i].seconds * 1e6 /
				    (double)sl[i].calls, text);
			free(sl[i].sql);
		}
		free(sl);
	}
}
