/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the "did you mean" of an unknown kics-query command:
 * the command or command group nearest to what was typed by edit distance
 * (insertions, deletions, substitutions and swaps of neighbours).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SUGGEST_NAME_MAX	64	/* longer input gets no suggestion */

/*
 * Optimal string alignment distance of a and b (Damerau-Levenshtein
 * without repeated edits of one substring), both shorter than
 * SUGGEST_NAME_MAX.
 */
static size_t
distance(const char *a, const char *b)
{
	size_t d[SUGGEST_NAME_MAX + 1][SUGGEST_NAME_MAX + 1];
	size_t n = strlen(a), m = strlen(b);

	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[n][m];
}

/* Keeps candidate c in *best when it is nearer to typed. */
static void
consider(const char *typed, const char *c, size_t clen, const char **best,
    size_t *best_d, char *buf)
{
	char cand[SUGGEST_NAME_MAX];
	size_t d;

	if (clen >= sizeof(cand))
		return;
	memcpy(cand, c, clen);
	cand[clen] = '\0';
	if ((d = distance(typed, cand)) < *best_d) {
		*best_d = d;
		memcpy(buf, cand, clen + 1);
		*best = buf;
	}
}

const char *
cli_suggest(const char *typed)
{
	static char buf[SUGGEST_NAME_MAX];
	const char *best = NULL;
	size_t len = strlen(typed), best_d;

	if (len == 0 || len >= SUGGEST_NAME_MAX)
		return NULL;
	/* One edit for short words, two for longer ones. */
	best_d = (len <= 4 ? 1 : 2) + 1;
	for (size_t i = 0; i < cli_ncommands; i++) {
		const char *name = cli_commands[i].name;
		const char *sp = strchr(name, ' ');

		consider(typed, name, strlen(name), &best, &best_d, buf);
		/* the group word alone, for a one-word mistake */
		if (sp != NULL && strchr(typed, ' ') == NULL)
			consider(typed, name, (size_t)(sp - name), &best,
			    &best_d, buf);
	}
	return best;
}
