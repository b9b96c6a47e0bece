/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the globs of rules: their check when a rule is read
 * (refusing what fnmatch() would quietly take as literal), their
 * compilation into a shape with fast paths, and their matching.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules-private.h"

void
rules_ascii_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

_Static_assert(RULES_PAIR_BITS == 1 << 8, "rules_pair_bit() hashes to 8 bits");

/* The bit of the pair (a, b): the top bits of a multiplicative hash. */
static inline unsigned
rules_pair_bit(unsigned char a, unsigned char b)
{
	return ((uint32_t)a << 8 | b) * 2654435761u >> (32 - 8);
}

void
rules_lower_pairs(char *d, const char *s, size_t len,
    uint64_t ret_pairs[RULES_PAIR_WORDS])
{
	unsigned char prev = 0, c;
	unsigned h;

	memset(ret_pairs, 0, RULES_PAIR_WORDS * sizeof(ret_pairs[0]));
	for (size_t i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		d[i] = (char)c;
		if (i > 0) {
			h = rules_pair_bit(prev, c);
			ret_pairs[h / 64] |= (uint64_t)1 << (h % 64);
		}
		prev = c;
	}
	d[len] = '\0';
}

static bool
rules_is_class(const char *s, size_t len)
{
	static const char *const classes[] = {
		"alnum", "alpha", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "xdigit",
	};

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i]) == len &&
		    strncmp(classes[i], s, len) == 0)
			return true;
	return false;
}

/*
 * Checks a glob as fnmatch() with FNM_NOESCAPE reads it. glibc takes an
 * unclosed '[' as a literal, which is nearly always a typo in a rule, so it
 * is refused here. Returns NULL when p is fine, else what is wrong.
 */
const char *
rules_glob_problem(const char *p)
{
	for (size_t i = 0; p[i] != '\0'; i++) {
		size_t j;

		if (p[i] != '[')
			continue;
		j = i + 1;
		if (p[j] == '!' || p[j] == '^')
			j++;
		if (p[j] == ']')
			j++;		/* a leading ']' is a member */
		while (p[j] != ']') {
			char d;
			size_t k;

			if (p[j] == '\0')
				return "unbalanced '['";
			if (p[j] != '[' || (p[j + 1] != ':' &&
			    p[j + 1] != '.' && p[j + 1] != '=')) {
				j++;
				continue;
			}
			d = p[j + 1];
			for (k = j + 2; p[k] != '\0' &&
			    !(p[k] == d && p[k + 1] == ']'); k++)
				;
			if (p[k] == '\0')
				return "unbalanced '['";
			if (d == ':' && !rules_is_class(p + j + 2, k - j - 2))
				return "unknown character class";
			j = k + 2;
		}
		i = j;
	}
	return NULL;
}

/*
 * Compiles the valid glob p into *g: lowercase, and its shape for the fast
 * paths of rules_glob_match(). Returns 0 or -ENOMEM (g then empty).
 */
int
rules_glob_init(struct rule_glob *g, const char *p)
{
	size_t len = strlen(p), stars = 0, first, last;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < len; i++)
		stars += p[i] == '*';
	first = len > 0 && p[0] == '*';
	last = len > 1 && p[len - 1] == '*';
	if (strpbrk(p, "?[") != NULL)
		g->kind = RULE_GLOB_FNMATCH;
	else if (stars == len)
		g->kind = RULE_GLOB_ANY;
	else if (stars == 0)
		g->kind = RULE_GLOB_EXACT;
	else if (stars == 1 && first)
		g->kind = RULE_GLOB_SUFFIX;
	else if (stars == 1 && last)
		g->kind = RULE_GLOB_PREFIX;
	else if (stars == 2 && first && last)
		g->kind = RULE_GLOB_SUBSTRING;
	else
		g->kind = RULE_GLOB_FNMATCH;
	if (g->kind == RULE_GLOB_FNMATCH || g->kind == RULE_GLOB_ANY)
		first = last = 0;
	if ((g->pattern = strdup(p)) == NULL ||
	    (g->lit = strndup(p + first, len - first - last)) == NULL) {
		free(g->pattern);
		memset(g, 0, sizeof(*g));
		return -ENOMEM;
	}
	rules_ascii_lower(g->pattern);
	g->len = strlen(g->lit);
	rules_lower_pairs(g->lit, g->lit, g->len, g->pairs);
	/* a literal must appear whole in a text it matches; not so the
	   pattern of fnmatch() */
	if (g->kind == RULE_GLOB_FNMATCH || g->kind == RULE_GLOB_ANY)
		memset(g->pairs, 0, sizeof(g->pairs));
	return 0;
}

void
rules_globs_free(struct rule_glob *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].pattern);
		free(v[i].lit);
	}
	free(v);
}

bool
rules_glob_match(const struct rule_glob *g, const char *s)
{
	size_t len;

	switch (g->kind) {
	case RULE_GLOB_EXACT:
		return strcmp(s, g->lit) == 0;
	case RULE_GLOB_PREFIX:
		return strncmp(s, g->lit, g->len) == 0;
	case RULE_GLOB_SUFFIX:
		len = strlen(s);
		return len >= g->len &&
		    memcmp(s + len - g->len, g->lit, g->len) == 0;
	case RULE_GLOB_SUBSTRING:
		return strstr(s, g->lit) != NULL;
	case RULE_GLOB_ANY:
		return true;
	default:
		return fnmatch(g->pattern, s, FNM_NOESCAPE) == 0;
	}
}
