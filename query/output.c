/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's output: the sink every list prints
 * through, aligned tables that fit the terminal (local times, colour on a
 * terminal only) and RFC 4180 CSV.
 */
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "query-private.h"	/* QSQL_MAX_COLS */
#include "strbuf.h"

#define OUT_DEFAULT_WIDTH	80
#define OUT_MIN_WIDTH		20
#define OUT_MAX_WIDTH		1000
#define OUT_SEP			2	/* spaces between columns */
#define OUT_MIN_COL		10	/* a shrunk text column keeps this */

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
	if (w <= 0 && !isatty(STDOUT_FILENO)) {
		/* A file or a pipe gets whole lines: nothing to fit. */
		s->width = SIZE_MAX;
		return;
	}
	if (w <= 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		w = ws.ws_col;
	if (w <= 0)
		w = OUT_DEFAULT_WIDTH;
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

/* The texts of a table's cells, one after the other, NUL-terminated. */
struct arena {
	char	*buf;
	size_t	len, cap;
};

/* Appends n bytes of s and a NUL; returns the offset, or -1 (no memory). */
static long
arena_add(struct arena *a, const char *s, size_t n)
{
	long at = (long)a->len;

	if (a->len + n + 1 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 4096;
		char *b;

		while (cap < a->len + n + 1)
			cap *= 2;
		if ((b = realloc(a->buf, cap)) == NULL)
			return -1;
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, s, n);
	a->buf[a->len + n] = '\0';
	a->len += n + 1;
	return at;
}

/*
 * Adds the text of a cell for a table to a: "-" for NULL, times as --time
 * says, control characters as spaces. Returns its offset or -1.
 */
static long
cell_text(struct arena *a, const char *name, const struct query_value *v)
{
	char buf[40];
	long at;

	if (v->type == QUERY_TYPE_NULL)
		return arena_add(a, "-", 1);
	if (v->type == QUERY_TYPE_INT && ends_with(name, "_ms") &&
	    arg_time != OUT_TIME_MS && (arg_time == OUT_TIME_ISO ?
	    query_time_format_iso(v->i, buf, sizeof(buf)) :
	    query_time_format(v->i, buf, sizeof(buf))) == 0)
		return arena_add(a, buf, strlen(buf));
	if ((at = arena_add(a, v->text, strlen(v->text))) < 0)
		return -1;
	for (char *p = a->buf + at; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != HIT_OPEN &&
		    *p != HIT_CLOSE)
			*p = ' ';
	return at;
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

/* Whether a column of a list without ranks holds an id, name or address. */
static bool
is_key_name(const char *n)
{
	static const char *const keys[] = { "id", "name", "ip", "mac",
	    "address", "value", "agent_id", NULL };

	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(n, keys[i]) == 0)
			return true;
	return ends_with(n, "_id") || ends_with(n, "_name") ||
	    ends_with(n, "_ip") || ends_with(n, "_mac");
}

/* The columns shown: indexes into t, their headers and ranks. */
struct pick {
	size_t		n;
	int		idx[QSQL_MAX_COLS];
	const char	*hdr[QSQL_MAX_COLS];
	int		rank[QSQL_MAX_COLS];
	char		*owned[QSQL_MAX_COLS];	/* made headers */
};

static bool
picked(const struct pick *p, int i)
{
	for (size_t k = 0; k < p->n; k++)
		if (p->idx[k] == i)
			return true;
	return false;
}

/* Adds column i of t with a header made from its name ("last_seen_ms"
 * becomes "LAST SEEN"). */
static void
pick_named(struct pick *p, const struct query_table *t, size_t i)
{
	char *h;

	if (p->n == QSQL_MAX_COLS || (h = strdup(t->names[i])) == NULL)
		return;
	if (ends_with(h, "_ms"))
		h[strlen(h) - 3] = '\0';
	for (char *c = h; *c != '\0'; c++)
		*c = *c == '_' ? ' ' :
		    (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	p->owned[p->n] = h;
	p->idx[p->n] = (int)i;
	p->hdr[p->n] = h;
	p->rank[p->n] = is_key_name(t->names[i]) ? OUT_KEEP : (int)i + 1;
	p->n++;
}

/*
 * Chooses the columns to show: cols, or every column not starting with
 * '_'; with --wide the columns cols leaves out follow.
 */
static void
pick_columns(const struct query_table *t, const struct out_col *cols,
    struct pick *p)
{
	memset(p, 0, sizeof(*p));
	for (; cols != NULL && cols->name != NULL && p->n < QSQL_MAX_COLS;
	    cols++) {
		int i = query_table_column(t, cols->name);

		if (i >= 0) {
			p->idx[p->n] = i;
			p->hdr[p->n] = cols->header;
			p->rank[p->n++] = cols->rank;
		}
	}
	if (cols != NULL && !arg_wide)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		if (t->names[i][0] != '_' && !picked(p, (int)i))
			pick_named(p, t, i);
}

/* Sum of the widths of the columns shown, with the gaps between them. */
static size_t
total_width(const size_t *w, const bool *show, size_t n)
{
	size_t total = 0, k = 0;

	for (size_t c = 0; c < n; c++)
		if (show[c]) {
			total += w[c] + (k++ > 0 ? OUT_SEP : 0);
		}
	return total;
}

/*
 * Shrinks the text columns that may give way, the highest rank first, each
 * down to its minw, until total fits width. Returns the new total.
 */
static size_t
shrink_columns(size_t *w, const size_t *minw, const bool *text,
    const int *rank, const bool *show, size_t n, size_t total, size_t width)
{
	/* The first pass finds no column of rank INT_MAX, only the next. */
	for (int r = INT_MAX; total > width && r > OUT_KEEP;) {
		int next = OUT_KEEP;

		for (size_t k = 0; k < n; k++) {
			size_t cut;

			if (!show[k] || rank[k] == OUT_KEEP)
				continue;
			if (rank[k] < r && rank[k] > next)
				next = rank[k];
			if (rank[k] != r || !text[k] || w[k] <= minw[k] ||
			    total <= width)
				continue;
			cut = w[k] - minw[k];
			if (cut > total - width)
				cut = total - width;
			w[k] -= cut;
			total -= cut;
		}
		r = next;
	}
	return total;
}

/*
 * Fits the columns to width: the text columns that may give way shrink
 * (shrink_columns()); when that is not enough the highest-ranked column
 * that may give way is left out and the rest start again from their
 * natural widths. Ids, names and addresses (OUT_KEEP) never shrink nor
 * go: when they alone are wider than the terminal, the lines are longer.
 */
static void
fit_columns(size_t *w, const size_t *natural, const size_t *minw,
    const bool *text, const int *rank, bool *show, size_t n, size_t width)
{
	for (;;) {
		size_t drop = n;

		memcpy(w, natural, n * sizeof(*w));
		if (shrink_columns(w, minw, text, rank, show, n,
		    total_width(w, show, n), width) <= width)
			return;
		for (size_t k = 0; k < n; k++)
			if (show[k] && rank[k] != OUT_KEEP &&
			    (drop == n || rank[k] >= rank[drop]))
				drop = k;
		if (drop == n)
			return;
		show[drop] = false;
	}
}

/* Writes the header and the rows of the columns shown. */
static void
put_rows(FILE *out, const struct out_style *s, const struct query_table *t,
    const struct pick *p, char **text, const size_t *w, const bool *show)
{
	size_t last = 0;

	for (size_t c = 0; c < p->n; c++)
		if (show[c])
			last = c;
	for (size_t c = 0; c < p->n; c++) {
		if (!show[c])
			continue;
		if (s->colour)
			(void)fputs(ANSI_BOLD, out);
		put_cell(out, s, p->hdr[c], w[c], c != last, NULL);
		if (s->colour)
			(void)fputs(ANSI_RESET, out);
		(void)fputs(c != last ? "  " : "\n", out);
	}
	for (size_t row = 0; row < t->nrows; row++) {
		for (size_t c = 0; c < p->n; c++) {
			const char *x = text[row * p->n + c];

			if (!show[c])
				continue;
			put_cell(out, s, x, w[c], c != last,
			    cell_colour(t->names[p->idx[c]], x));
			(void)fputs(c != last ? "  " : "\n", out);
		}
	}
}

int
out_table(FILE *out, const struct out_style *s, const struct query_table *t,
    const struct out_col *cols)
{
	struct pick p;
	size_t w[QSQL_MAX_COLS], natural[QSQL_MAX_COLS], minw[QSQL_MAX_COLS];
	bool text_col[QSQL_MAX_COLS], show[QSQL_MAX_COLS];
	struct arena a = { NULL, 0, 0 };
	long *at = NULL;
	char **text = NULL;
	int r = -ENOMEM;

	pick_columns(t, cols, &p);
	if (p.n == 0 || t->nrows == 0) {
		r = 0;
		goto out;
	}
	if ((at = calloc(t->nrows * p.n, sizeof(*at))) == NULL ||
	    (text = calloc(t->nrows * p.n, sizeof(*text))) == NULL)
		goto out;
	for (size_t c = 0; c < p.n; c++) {
		natural[c] = disp_width(p.hdr[c], false);
		minw[c] = natural[c] > OUT_MIN_COL ? natural[c] : OUT_MIN_COL;
		text_col[c] = false;
		show[c] = true;
		for (size_t row = 0; row < t->nrows; row++) {
			const struct query_value *v = query_table_cell(t, row,
			    (size_t)p.idx[c]);

			if ((at[row * p.n + c] = cell_text(&a,
			    t->names[p.idx[c]], v)) < 0)
				goto out;
			if (v->type == QUERY_TYPE_TEXT)
				text_col[c] = true;
		}
	}
	/* the arena has stopped moving: offsets become pointers */
	for (size_t i = 0; i < t->nrows * p.n; i++) {
		size_t dw, c = i % p.n;

		text[i] = a.buf + at[i];
		if ((dw = disp_width(text[i], s->colour)) > natural[c])
			natural[c] = dw;
	}
	memcpy(w, natural, sizeof(w));
	if (!arg_wide)
		fit_columns(w, natural, minw, text_col, p.rank, show, p.n,
		    s->width);
	put_rows(out, s, t, &p, text, w, show);
	r = ferror(out) ? -EIO : 0;
out:
	free(a.buf);
	free(at);
	free(text);
	for (size_t i = 0; i < QSQL_MAX_COLS; i++)
		free(p.owned[i]);
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

void
out_csv_begin(FILE *out)
{
	/* Spreadsheet programs read the file as UTF-8 only with the mark. */
	(void)fputs("\xef\xbb\xbf", out);
}

const char *
out_csv_value(const char *name, const struct query_value *v, char *buf,
    size_t len)
{
	if (arg_time == OUT_TIME_ISO && v->type == QUERY_TYPE_INT &&
	    ends_with(name, "_ms") && query_time_format_iso(v->i, buf,
	    len) == 0)
		return buf;
	return v->text;
}

void
out_csv_row(FILE *out, const struct query_row *row, bool header)
{
	char buf[40];
	size_t last = 0;

	for (size_t c = 0; c < row->ncols; c++)
		if (row->names[c][0] != '_')
			last = c;
	for (size_t c = 0; c < row->ncols; c++)
		if (row->names[c][0] != '_')
			out_csv_field(out, header ? row->names[c] :
			    out_csv_value(row->names[c], &row->values[c], buf,
			    sizeof(buf)), c == last ? "\r\n" : ",");
}

/* The key just closed at json[end] ('"'), when it ends in "_ms". */
static bool
ms_key(const char *json, size_t start, size_t end)
{
	const char *p = json + end + 1;

	while (*p == ' ')
		p++;
	return *p == ':' && end - start >= 3 &&
	    memcmp(json + end - 3, "_ms", 3) == 0;
}

char *
out_json_time(const char *json)
{
	struct strbuf b;
	bool in_string = false, want = false;
	size_t start = 0;
	char buf[40], *ret;

	if (arg_time != OUT_TIME_ISO)
		return strdup(json);
	strbuf_init(&b);
	for (size_t i = 0; json[i] != '\0'; i++) {
		if (in_string) {
			if (json[i] == '\\' && json[i + 1] != '\0') {
				(void)strbuf_printf(&b, "%c%c", json[i],
				    json[i + 1]);
				i++;
				continue;
			}
			if (json[i] == '"') {
				in_string = false;
				want = ms_key(json, start, i);
			}
		} else if (json[i] == '"') {
			in_string = true;
			start = i + 1;
		} else if (want && (json[i] == '-' ||
		    (json[i] >= '0' && json[i] <= '9'))) {
			char *end;
			long long v = strtoll(json + i, &end, 10);

			want = false;
			if (*end != '.' && *end != 'e' && *end != 'E' &&
			    query_time_format_iso(v, buf, sizeof(buf)) == 0) {
				(void)strbuf_printf(&b, "\"%s\"", buf);
				i = (size_t)(end - json) - 1;
				continue;
			}
		} else if (json[i] != ':' && json[i] != ' ')
			want = false;
		(void)strbuf_printf(&b, "%c", json[i]);
	}
	ret = b.error < 0 ? NULL : strdup(strbuf_str(&b));
	strbuf_fini(&b);
	return ret;
}

/* A query_row_fn writing one CSV row to stdout, the header before the
 * first. */
static int
csv_stream_row(void *ctx, const struct query_row *row)
{
	struct out_sink *k = ctx;

	if (k->rows++ == 0) {
		out_csv_begin(stdout);
		out_csv_row(stdout, row, true);
	}
	out_csv_row(stdout, row, false);
	return ferror(stdout) ? -EIO : 0;
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
	if (format == OUT_FORMAT_CSV) {
		/* Streamed: nothing needs all rows before the first. */
		k->query.fn = csv_stream_row;
		k->query.ctx = k;
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
out_sink_print(FILE *out, const struct out_sink *k, const struct out_col *cols,
    size_t *ret_count)
{
	struct out_style s;
	char *json;
	int r = 0;

	if (k->format == OUT_FORMAT_JSON) {
		if ((json = out_json_time(k->json)) == NULL)
			return -ENOMEM;
		(void)fprintf(out, "%s\n", json);
		free(json);
		*ret_count = strcmp(k->json, "[]") != 0;
		return ferror(out) ? -EIO : 0;
	}
	/* Without rows CSV is the mark alone; a table says none. */
	if (k->format == OUT_FORMAT_CSV) {
		if (k->rows == 0)
			out_csv_begin(out);
		*ret_count = k->rows;
		return ferror(out) ? -EIO : 0;
	}
	if (k->table->nrows > 0) {
		out_style_init(&s);
		r = out_table(out, &s, k->table, cols);
	}
	if (r == 0)
		*ret_count = k->table->nrows;
	return r;
}
