/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the text of events --search: what a person types
 * turned into an FTS5 query (words with punctuation quoted, FTS5 syntax
 * kept) and a failed query explained by its offending token.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query-private.h"

/* The columns of events_fts, for "column:" filters. */
static const char *const fts_columns[] = { "title", "description",
	"object_path", "threat_name", "user_name", "hostname", NULL };

/* A character FTS5 accepts in a bareword (https://sqlite.org/fts5.html). */
static bool
bareword_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == 0x1a || c >= 0x80;
}

static bool
is_bareword(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!bareword_char((unsigned char)s[i]))
			return false;
	return n > 0;
}

static bool
word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* Length of the column filter ("title:", "-title:") at s, or 0. */
static size_t
column_filter(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t skip = s[0] == '-';

	if (colon == NULL)
		return 0;
	for (size_t i = 0; fts_columns[i] != NULL; i++)
		if (word_is(s + skip, (size_t)(colon - s) - skip,
		    fts_columns[i]))
			return (size_t)(colon - s) + 1;
	return 0;
}

/* Appends s[0..n) as an FTS5 string: in double quotes, '"' doubled. */
static void
put_quoted(struct strbuf *b, const char *s, size_t n)
{
	(void)strbuf_append(b, "\"");
	for (size_t i = 0; i < n; i++)
		(void)strbuf_printf(b, s[i] == '"' ? "\"\"" : "%c", s[i]);
	(void)strbuf_append(b, "\"");
}

/* One whitespace-free chunk that is not a string, paren or comma. */
static void
put_chunk(struct strbuf *b, const char *s, size_t n)
{
	size_t col;
	bool star;

	if (word_is(s, n, "AND") || word_is(s, n, "OR") ||
	    word_is(s, n, "NOT") || word_is(s, n, "NEAR")) {
		(void)strbuf_printf(b, "%.*s", (int)n, s);
		return;
	}
	if ((col = column_filter(s, n)) > 0) {
		(void)strbuf_printf(b, "%.*s", (int)col, s);
		s += col;
		n -= col;
	}
	if (n > 1 && s[0] == '^') {
		(void)strbuf_append(b, "^");
		s++;
		n--;
	}
	if ((star = n > 1 && s[n - 1] == '*'))
		n--;
	if (n == 0)
		return;
	if (is_bareword(s, n))
		(void)strbuf_printf(b, "%.*s", (int)n, s);
	else
		put_quoted(b, s, n);
	if (star)
		(void)strbuf_append(b, "*");
}

/* Whether the parentheses outside strings pair up (then they are syntax). */
static bool
parens_balanced(const char *t)
{
	bool in_string = false;
	int depth = 0;

	for (; *t != '\0' && depth >= 0; t++) {
		if (*t == '"')
			in_string = !in_string;
		else if (!in_string && *t == '(')
			depth++;
		else if (!in_string && *t == ')')
			depth--;
	}
	return depth == 0;
}

/* The end of the string starting at the '"' at s, or NULL if unclosed. */
static const char *
string_end(const char *s)
{
	for (s++; *s != '\0'; s++) {
		if (*s == '"' && s[1] == '"')
			s++;
		else if (*s == '"')
			return s + 1;
	}
	return NULL;
}

int
query_search_rewrite(const char *text, char **ret_fts, char *errbuf,
    size_t errlen)
{
	bool parens = parens_balanced(text);
	int depth = 0, near_depth = -1;
	struct strbuf b;
	const char *p = text, *e;
	char *out;
	size_t n;

	strbuf_init(&b);
	while (*p != '\0') {
		if (isspace((unsigned char)*p)) {
			if (b.len > 0 && strbuf_str(&b)[b.len - 1] != ' ')
				(void)strbuf_append(&b, " ");
			p++;
		} else if (*p == '"') {
			if ((e = string_end(p)) == NULL) {
				(void)snprintf(errbuf, errlen, "invalid "
				    "search '%s': the '\"' before '%.40s' is "
				    "not closed; write '%s\"'", text, p + 1,
				    text);
				strbuf_fini(&b);
				return -EINVAL;
			}
			(void)strbuf_printf(&b, "%.*s", (int)(e - p), p);
			p = e;
			if (*p == '*') {
				(void)strbuf_append(&b, "*");
				p++;
			}
		} else if (parens && (*p == '(' || *p == ')')) {
			depth += *p == '(' ? 1 : -1;
			if (*p == ')' && depth < near_depth)
				near_depth = -1;
			(void)strbuf_printf(&b, "%c", *p++);
		} else if (near_depth >= 0 && *p == ',') {
			(void)strbuf_append(&b, ",");
			p++;
		} else {
			n = 0;
			while (p[n] != '\0' && !isspace((unsigned char)p[n]) &&
			    p[n] != '"' && !(parens && (p[n] == '(' ||
			    p[n] == ')')) && !(near_depth >= 0 && p[n] == ','))
				n++;
			if (parens && word_is(p, n, "NEAR") && p[n] == '(')
				near_depth = depth + 1;
			put_chunk(&b, p, n);
			p += n;
		}
	}
	if (b.error < 0) {
		strbuf_fini(&b);
		return -ENOMEM;
	}
	out = strdup(strbuf_str(&b));
	strbuf_fini(&b);
	if (out == NULL)
		return -ENOMEM;
	n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	*ret_fts = out;
	return 0;
}

/*
 * The token of fts that SQLite's "syntax error near X" names: the first
 * whole token equal to near, or the last token when near is empty (the
 * end of the query). Returns its offset and length in *ret_len, or -1.
 */
static long
find_token(const char *fts, const char *near, size_t *ret_len)
{
	size_t n = strlen(near), len = strlen(fts);

	if (n == 0) {
		while (len > 0 && fts[len - 1] == ' ')
			len--;
		n = len;
		while (n > 0 && fts[n - 1] != ' ')
			n--;
		*ret_len = len - n;
		return len > n ? (long)n : -1;
	}
	for (const char *p = fts; (p = strstr(p, near)) != NULL; p++) {
		bool start = p == fts || p[-1] == ' ' || p[-1] == '(';
		char end = p[n];

		if (start && (end == '\0' || end == ' ' || end == ')' ||
		    end == '(')) {
			*ret_len = n;
			return (long)(p - fts);
		}
	}
	return -1;
}

int
query_search_explain(struct query_db *db, const char *text, const char *fts)
{
	static const char key[] = "fts5: syntax error near \"";
	char raw[QUERY_ERRMSG_LEN], near[QUERY_ERRMSG_LEN];
	const char *p = strstr(db->errmsg, key);
	struct strbuf fixed;
	size_t n = 0;
	long at;
	int r;

	if (p == NULL)
		return qdb_fail(db, -EINVAL, "invalid search '%s': %s", text,
		    (p = strstr(db->errmsg, "fts5")) != NULL ? p :
		    db->errmsg);
	(void)snprintf(raw, sizeof(raw), "%s", p + sizeof(key) - 1);
	/* SQLite quotes the token; a trailing '"' closes that quote */
	(void)snprintf(near, sizeof(near), "%.*s", (int)strlen(raw) - 1, raw);
	if ((at = find_token(fts, near, &n)) < 0)
		return qdb_fail(db, -EINVAL, "invalid search '%s': FTS5 syntax "
		    "error near '%s'", text, near);
	strbuf_init(&fixed);
	(void)strbuf_printf(&fixed, "%.*s", (int)at, fts);
	put_quoted(&fixed, fts + at, n);
	(void)strbuf_append(&fixed, fts + at + n);
	r = qdb_fail(db, -EINVAL, "invalid search '%s': FTS5 syntax error at "
	    "'%.*s'%s; to search for it as a word, quote it: --search '%s'",
	    text, (int)n, fts + at, word_is(fts + at, n, "AND") ||
	    word_is(fts + at, n, "OR") || word_is(fts + at, n, "NOT") ?
	    " (AND, OR and NOT go between two terms)" : "",
	    fixed.error < 0 ? fts : strbuf_str(&fixed));
	strbuf_fini(&fixed);
	return r;
}
