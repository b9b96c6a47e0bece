/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's output: the sink every list prints
 * through, aligned tables that fit the terminal (local times, colour on a
 * terminal only) and RFC 4180 CSV.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "query-private.h"	/* QSQL_MAX_COLS */

#define OUT_DEFAULT_WIDTH	80
#define OUT_MIN_WIDTH		20
#define OUT_MAX_WIDTH		1000
#define OUT_SEP			2	/* spaces between columns */
#define OUT_MIN_COL		4	/* a shrunk text column keeps this */

#define ANSI_RESET	"\033[0m"
#define ANSI_BOLD	"\033[1m"
#define ANSI_RED	"\033[1;31m"
#define ANSI_YELLOW	"\033[33m"
#define ANSI_GREEN	"\033[32m"
#define ANSI_DIM	"\033[2m"

/* Snippet hit markers from query_events(). */
#define HIT_OPEN	'\001'
#define HIT_CLOSE	'\002'

void
out_style_init(struct out_style *s)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS"), *cs;
	long w = 0;

	memset(s, 0, sizeof(*s));
	s->colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	if (setlocale(LC_CTYPE, "") != NULL && (cs = nl_langinfo(CODESET)) &&
	    strcmp(cs, "UTF-8") == 0)
		s->utf8 = true;
	if (cols != NULL && *cols != '\0')
		w = strtol(cols, NULL, 10);
	if (w <= 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		w = ws.ws_col;
	if (w <= 0)
		w = isatty(STDOUT_FILENO) ? OUT_DEFAULT_WIDTH : OUT_MAX_WIDTH;
	if (w < OUT_MIN_WIDTH)
		w = OUT_MIN_WIDTH;
	if (w > OUT_MAX_WIDTH)
		w = OUT_MAX_WIDTH;
	s->width = (size_t)w;
}

/* Display width: code points, hit markers counting 1 without colour. */
static size_t
disp_width(const char *t, bool colour)
{
	size_t n = 0;

	for (; *t != '\0'; t++) {
		if (*t == HIT_OPEN || *t == HIT_CLOSE)
			n += colour ? 0 : 1;
		else if (((unsigned char)*t & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The text of a cell for a table; NULL and times made readable. */
static char *
cell_text(const char *name, const struct query_value *v)
{
	char buf[32];
	char *s;

	if (v->type == QUERY_TYPE_NULL)
		return strdup("-");
	if (v->type == QUERY_TYPE_INT && ends_with(name, "_ms") &&
	    query_time_format(v->i, buf, sizeof(buf)) == 0)
		return strdup(buf);
	if ((s = strdup(v->text)) == NULL)
		return NULL;
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != HIT_OPEN &&
		    *p != HIT_CLOSE)
			*p = ' ';
	return s;
}

static const char *
cell_colour(const char *name, const char *v)
{
	if (strcmp(name, "severity") == 0 ||
	    strcmp(name, "security_state") == 0) {
		if (strcmp(v, "critical") == 0)
			return ANSI_RED;
		if (strcmp(v, "warning") == 0)
			return ANSI_YELLOW;
		if (strcmp(v, "ok") == 0)
			return ANSI_GREEN;
	}
	if (strcmp(name, "epp_icon") == 0 || strcmp(name, "state") == 0) {
		if (strcmp(v, "connected") == 0 || strcmp(v, "running") == 0)
			return ANSI_GREEN;
		if (strcmp(v, "disconnected") == 0 ||
		    strcmp(v, "failed") == 0 || strcmp(v, "stopped") == 0)
			return ANSI_RED;
		if (strcmp(v, "none") == 0)
			return ANSI_DIM;
	}
	if (strcmp(name, "status") == 0 && strcmp(v, "unauthorized") == 0)
		return ANSI_YELLOW;
	return NULL;
}

/* Writes text cut to width w and padded when pad, with hit markers. */
static void
put_cell(FILE *out, const struct out_style *s, const char *text, size_t w,
    bool pad, const char *colour)
{
	size_t full = disp_width(text, s->colour), used = 0;
	size_t room = full > w ? (w > 0 ? w - 1 : 0) : w;
	bool hit = false;

	if (colour != NULL && s->colour)
		(void)fputs(colour, out);
	for (const char *p = text; *p != '\0'; p++) {
		bool start = ((unsigned char)*p & 0xc0) != 0x80;

		if (*p == HIT_OPEN || *p == HIT_CLOSE) {
			hit = *p == HIT_OPEN;
			if (s->colour) {
				(void)fputs(hit ? ANSI_BOLD : ANSI_RESET, out);
				if (!hit && colour != NULL)
					(void)fputs(colour, out);
				continue;
			}
			if (used + 1 > room)
				break;
			(void)fputc(hit ? '[' : ']', out);
			used++;
			continue;
		}
		if (start) {
			if (used + 1 > room)
				break;
			used++;
		}
		(void)fputc(*p, out);
	}
	if (full > w && w > 0) {
		(void)fputs(s->utf8 ? "\xe2\x80\xa6" : "~", out);
		used++;
	}
	if ((colour != NULL || hit) && s->colour)
		(void)fputs(ANSI_RESET, out);
	for (; pad && used < w; used++)
		(void)fputc(' ', out);
}

/* Chooses the columns to show: indexes into t and their headers. */
static size_t
pick_columns(const struct query_table *t, const char *const *cols,
    int *idx, const char **hdr, char **owned)
{
	size_t n = 0;

	if (cols != NULL) {
		for (; cols[0] != NULL && n < QSQL_MAX_COLS; cols += 2) {
			int i = query_table_column(t, cols[0]);

			if (i >= 0) {
				idx[n] = i;
				hdr[n++] = cols[1];
			}
		}
		return n;
	}
	for (size_t i = 0; i < t->ncols && n < QSQL_MAX_COLS; i++) {
		char *h;

		if (t->names[i][0] == '_' || (h = strdup(t->names[i])) == NULL)
			continue;
		if (ends_with(h, "_ms"))
			h[strlen(h) - 3] = '\0';
		for (char *p = h; *p != '\0'; p++)
			*p = *p == '_' ? ' ' :
			    (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		owned[n] = h;
		idx[n] = (int)i;
		hdr[n++] = h;
	}
	return n;
}

/*
 * Narrows the n column widths w to fit width: the widest text column
 * loses a character at a time down to OUT_MIN_COL, then columns are left
 * out from the right. Returns how many columns to show.
 */
static size_t
fit_widths(size_t *w, const bool *shrinkable, size_t n, size_t width)
{
	size_t total, nshow;

	for (;;) {
		size_t best = n;

		total = OUT_SEP * (n - 1);
		for (size_t c = 0; c < n; c++)
			total += w[c];
		if (total <= width)
			break;
		for (size_t c = 0; c < n; c++)
			if (shrinkable[c] && w[c] > OUT_MIN_COL &&
			    (best == n || w[c] > w[best]))
				best = c;
		if (best == n)
			break;
		w[best]--;
	}
	for (nshow = n; nshow > 1 && total > width; nshow--)
		total -= w[nshow - 1] + OUT_SEP;
	return nshow;
}

int
out_table(FILE *out, const struct out_style *s, const struct query_table *t,
    const char *const *cols)
{
	int idx[QSQL_MAX_COLS];
	const char *hdr[QSQL_MAX_COLS];
	char *owned[QSQL_MAX_COLS] = { NULL };
	size_t w[QSQL_MAX_COLS], n, nshow;
	bool shrinkable[QSQL_MAX_COLS];
	char **text = NULL;
	int r = -ENOMEM;

	n = pick_columns(t, cols, idx, hdr, owned);
	if (n == 0 || t->nrows == 0) {
		r = 0;
		goto out;
	}
	if ((text = calloc(t->nrows * n, sizeof(*text))) == NULL)
		goto out;
	for (size_t c = 0; c < n; c++) {
		w[c] = disp_width(hdr[c], false);
		shrinkable[c] = false;
		for (size_t row = 0; row < t->nrows; row++) {
			const struct query_value *v = query_table_cell(t, row,
			    (size_t)idx[c]);
			char *x = cell_text(t->names[idx[c]], v);
			size_t dw;

			if (x == NULL)
				goto out;
			text[row * n + c] = x;
			dw = disp_width(x, s->colour);
			if (dw > w[c])
				w[c] = dw;
			if (v->type == QUERY_TYPE_TEXT)
				shrinkable[c] = true;
		}
	}
	nshow = fit_widths(w, shrinkable, n, s->width);
	for (size_t c = 0; c < nshow; c++) {
		if (s->colour)
			(void)fputs(ANSI_BOLD, out);
		put_cell(out, s, hdr[c], w[c], c + 1 < nshow, NULL);
		if (s->colour)
			(void)fputs(ANSI_RESET, out);
		(void)fputs(c + 1 < nshow ? "  " : "\n", out);
	}
	for (size_t row = 0; row < t->nrows; row++) {
		for (size_t c = 0; c < nshow; c++) {
			const char *x = text[row * n + c];

			put_cell(out, s, x, w[c], c + 1 < nshow,
			    cell_colour(t->names[idx[c]], x));
			(void)fputs(c + 1 < nshow ? "  " : "\n", out);
		}
	}
	if (ferror(out)) {
		r = -EIO;
		goto out;
	}
	r = 0;
out:
	for (size_t i = 0; text != NULL && i < t->nrows * n; i++)
		free(text[i]);
	free(text);
	for (size_t i = 0; i < QSQL_MAX_COLS; i++)
		free(owned[i]);
	return r;
}

void
out_csv_field(FILE *out, const char *v, const char *sep)
{
	size_t len = v != NULL ? strlen(v) : 0;

	if (v != NULL && (strpbrk(v, ",\"\r\n") != NULL ||
	    (len > 0 && (v[0] == ' ' || v[len - 1] == ' ')))) {
		(void)fputc('"', out);
		for (; *v != '\0'; v++) {
			if (*v == '"')
				(void)fputc('"', out);
			(void)fputc(*v, out);
		}
		(void)fputc('"', out);
	} else if (v != NULL)
		(void)fputs(v, out);
	(void)fputs(sep, out);
}

int
out_csv(FILE *out, const struct query_table *t)
{
	size_t last = 0;

	for (size_t c = 0; c < t->ncols; c++)
		if (t->names[c][0] != '_')
			last = c;
	for (size_t c = 0; c < t->ncols; c++)
		if (t->names[c][0] != '_')
			out_csv_field(out, t->names[c],
			    c == last ? "\r\n" : ",");
	for (size_t row = 0; row < t->nrows; row++)
		for (size_t c = 0; c < t->ncols; c++)
			if (t->names[c][0] != '_')
				out_csv_field(out,
				    query_table_cell(t, row, c)->text,
				    c == last ? "\r\n" : ",");
	return ferror(out) ? -EIO : 0;
}

int
out_sink_init(struct out_sink *k, enum out_format format)
{
	memset(k, 0, sizeof(*k));
	k->format = format;
	if (format == OUT_FORMAT_JSON) {
		/* SQLite builds the JSON: no row passes through here. */
		k->query.ret_json = &k->json;
		return 0;
	}
	if ((k->table = query_table_new()) == NULL)
		return -ENOMEM;
	k->query.fn = query_table_add_row;
	k->query.ctx = k->table;
	return 0;
}

void
out_sink_fini(struct out_sink *k)
{
	query_table_free(k->table);
	free(k->json);
	k->table = NULL;
	k->json = NULL;
}

int
out_sink_print(FILE *out, const struct out_sink *k, const char *const *cols,
    size_t *ret_count)
{
	struct out_style s;
	int r = 0;

	if (k->format == OUT_FORMAT_JSON) {
		(void)fprintf(out, "%s\n", k->json);
		*ret_count = strcmp(k->json, "[]") != 0;
		return 0;
	}
	/* CSV keeps its header line even without rows; a table says none. */
	if (k->format == OUT_FORMAT_CSV)
		r = out_csv(out, k->table);
	else if (k->table->nrows > 0) {
		out_style_init(&s);
		r = out_table(out, &s, k->table, cols);
	}
	if (r == 0)
		*ret_count = k->table->nrows;
	return r;
}
