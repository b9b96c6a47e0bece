/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's main program: the command line of
 * DESIGN.md's "CLI contract", its help texts and exit codes. Reads go to
 * libkicsquery; administrative commands need the daemon's control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "control.pb-c.h"
#include "query-private.h"
#include "role.h"

#define EXIT_NOT_FOUND	1
#define EXIT_USAGE	2
#define EXIT_DAEMON	3
#define EXIT_ROLE	4	/* from the daemon: the caller's role refused */

#define DEFAULT_DATA_DIR	"/var/lib/kics-epp"
#define CONTROL_SOCKET		"control.sock"
#define MAX_POSITIONAL		4
#define LIMIT_MAX		1000000000LL

/* Parsed command line (STYLE.md: the only globals besides logging). */
static const char *arg_data_dir;
static enum out_format arg_format = OUT_FORMAT_TABLE;
static bool arg_format_set;
static const char *arg_opt[32];		/* values of command options */
static bool arg_flag[32];		/* seen flags and options */
static const char *arg_pos[MAX_POSITIONAL];
static size_t arg_npos;

struct opt {
	const char	*name;		/* without "--" */
	bool		has_arg;
};

struct cmd;
typedef int cmd_fn(const struct cmd *c);

struct cmd {
	const char	*name;		/* "device find" */
	cmd_fn		*run;
	size_t		min_pos, max_pos;	/* positional arguments */
	const char	*usage;		/* after "kics-query " */
	const char	*help;		/* what it does, its options */
	struct opt	opts[16];	/* index = arg_opt/arg_flag index */
};

static const struct cmd *cur;	/* the command being run, for messages */

static void
usage_error(const char *fmt, ...) KICS_PRINTF(1, 2);

/* One line on stderr, then exit 2. */
static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	(void)fputs("kics-query: ", stderr);
	if (cur != NULL)
		(void)fprintf(stderr, "%s: ", cur->name);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, " (see 'kics-query %s%s--help')\n",
	    cur != NULL ? cur->name : "", cur != NULL ? " " : "");
	exit(EXIT_USAGE);
}

static int
fail(int code, const char *fmt, ...) KICS_PRINTF(2, 3);

static int
fail(int code, const char *fmt, ...)
{
	va_list ap;

	(void)fputs("kics-query: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	return code;
}

/* Index of option name in cur->opts, or -1. */
static int
opt_index(const char *name)
{
	for (int i = 0; cur->opts[i].name != NULL; i++)
		if (strcmp(cur->opts[i].name, name) == 0)
			return i;
	return -1;
}

static const char *
opt(const char *name)
{
	int i = opt_index(name);

	return i >= 0 ? arg_opt[i] : NULL;
}

static bool
flag(const char *name)
{
	int i = opt_index(name);

	return i >= 0 && arg_flag[i];
}

static void
print_help(const struct cmd *c)
{
	(void)printf("usage: kics-query %s\n\n%s\n"
	    "Common options:\n"
	    "  --data-dir DIR   data directory (default $KICS_DATA_DIR, "
	    "else " DEFAULT_DATA_DIR ")\n"
	    "  --format F       table (default), json or csv%s\n"
	    "  --help           this text\n\n"
	    "Exit status: 0 ok, 1 nothing found or failure, 2 usage error, "
	    "3 daemon unreachable, 4 role refused.\n", c->usage, c->help,
	    strcmp(c->name, "map export") == 0 ? "; here json or dot" : "");
}

static void
set_format(const char *v)
{
	if (strcmp(v, "table") == 0)
		arg_format = OUT_FORMAT_TABLE;
	else if (strcmp(v, "json") == 0)
		arg_format = OUT_FORMAT_JSON;
	else if (strcmp(v, "csv") == 0)
		arg_format = OUT_FORMAT_CSV;
	else if (strcmp(v, "dot") == 0)
		arg_format = OUT_FORMAT_DOT;
	else
		usage_error("unknown format '%s' (use table, json or csv)", v);
	arg_format_set = true;
}

/*
 * Parses argv[first..argc) for command c: its options, the common ones
 * anywhere, "--name value" or "--name=value", "--" ending options.
 */
static void
parse_command_args(const struct cmd *c, int argc, char **argv, int first)
{
	bool options = true;

	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		char name[64];
		size_t len;
		int k;

		if (!options || a[0] != '-' || a[1] == '\0') {
			if (arg_npos == c->max_pos)
				usage_error("unexpected argument '%s'", a);
			arg_pos[arg_npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options = false;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(c);
			exit(0);
		}
		if (a[1] != '-')
			usage_error("unknown option '%s'", a);
		eq = strchr(a, '=');
		len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (len >= sizeof(name))
			usage_error("unknown option '%.40s...'", a);
		memcpy(name, a + 2, len);
		name[len] = '\0';
		k = opt_index(name);
		if (k >= 0 && !c->opts[k].has_arg) {
			if (eq != NULL)
				usage_error("option '--%s' takes no value",
				    name);
			arg_flag[k] = true;
			continue;
		}
		if (k < 0 && strcmp(name, "data-dir") != 0 &&
		    strcmp(name, "format") != 0)
			usage_error("unknown option '--%s'", name);
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			usage_error("option '--%s' needs a value", name);
		if (strcmp(name, "data-dir") == 0)
			arg_data_dir = val;
		else if (strcmp(name, "format") == 0)
			set_format(val);
		else {
			arg_opt[k] = val;
			arg_flag[k] = true;
		}
	}
	if (arg_npos < c->min_pos)
		usage_error("missing argument (usage: kics-query %s)",
		    c->usage);
	if (arg_format == OUT_FORMAT_DOT && strcmp(c->name, "map export") != 0)
		usage_error("--format dot is only for map export");
}

/* A positive integer option up to max, or exit 2. */
static int64_t
parse_int(const char *name, const char *v, long long max)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > max)
		usage_error("invalid --%s '%s' (a positive integer)", name, v);
	return n;
}

static int64_t
parse_count(const char *name, const char *v)
{
	return parse_int(name, v, LIMIT_MAX);
}

static int64_t
opt_limit(int64_t dflt)
{
	const char *v = opt("limit");

	return v != NULL ? parse_count("limit", v) : dflt;
}

static struct query_db *
open_db(void)
{
	char err[QUERY_ERRMSG_LEN];
	struct query_db *db;

	if (query_db_open(arg_data_dir, err, sizeof(err), &db) < 0) {
		(void)fail(0, "%s", err);
		exit(EXIT_NOT_FOUND);
	}
	return db;
}

static int
db_fail(struct query_db *db, int r)
{
	return fail(r == -EINVAL ? EXIT_USAGE : EXIT_NOT_FOUND, "%s",
	    r == -ENOMEM ? "out of memory" : query_db_errmsg(db));
}

/* Prints json, or the collected table t as a table or CSV. */
static int
print_rows(struct query_table *t, const char *const *cols)
{
	struct out_style s;

	if (arg_format == OUT_FORMAT_CSV)
		return out_csv(stdout, t);
	out_style_init(&s);
	return out_table(stdout, &s, t, cols);
}

typedef int rows_fn(struct query_db *db, query_row_fn fn, void *ctx,
    const void *arg);
typedef int json_fn(struct query_db *db, char **ret_json, const void *arg);

/*
 * Runs a row query in the chosen format; exit 1 when it found nothing and
 * empty_is_miss.
 */
static int
run_rows(struct query_db *db, rows_fn *rows, json_fn *json, const void *arg,
    const char *const *cols, const char *what, bool empty_is_miss)
{
	struct query_table *t = NULL;
	char *text = NULL;
	size_t n;
	int r;

	if (arg_format == OUT_FORMAT_JSON) {
		if ((r = json(db, &text, arg)) < 0)
			return db_fail(db, r);
		(void)printf("%s\n", text);
		n = strcmp(text, "[]") != 0;
		free(text);
	} else {
		if ((t = query_table_new()) == NULL)
			return fail(EXIT_NOT_FOUND, "out of memory");
		if ((r = rows(db, query_table_add_row, t, arg)) < 0) {
			query_table_free(t);
			return db_fail(db, r);
		}
		if (t->nrows > 0 || arg_format == OUT_FORMAT_CSV)
			r = print_rows(t, cols);
		n = t->nrows;
		query_table_free(t);
		if (r < 0)
			return fail(EXIT_NOT_FOUND, "cannot write the output");
	}
	if (n == 0 && empty_is_miss) {
		if (arg_format == OUT_FORMAT_TABLE)
			(void)fprintf(stderr, "kics-query: no %s found\n",
			    what);
		return EXIT_NOT_FOUND;
	}
	return 0;
}

static const char *const device_cols[] = {
	"device_id", "ID", "name", "NAME", "category", "CATEGORY",
	"status", "STATUS", "ip", "IP", "mac", "MAC", "os", "OS",
	"epp_icon", "EPP", "security_state", "SECURITY",
	"last_seen_ms", "LAST SEEN", "vendor", "VENDOR", "model", "MODEL",
	NULL };

static int
devices_rows(struct query_db *db, query_row_fn fn, void *ctx, const void *a)
{
	return query_devices(db, a, fn, ctx);
}

static int
devices_json(struct query_db *db, char **ret, const void *a)
{
	return query_devices_json(db, a, ret);
}

static int
cmd_devices(const struct cmd *c)
{
	struct query_devices_opts o = { opt("epp"), opt("status"),
	    opt_limit(0) };
	struct query_db *db;
	int r;

	(void)c;
	if (o.epp != NULL && strcmp(o.epp, "none") != 0 &&
	    strcmp(o.epp, "connected") != 0 &&
	    strcmp(o.epp, "disconnected") != 0)
		usage_error("invalid --epp '%s' (use none, connected or "
		    "disconnected)", o.epp);
	if (o.status != NULL && strcmp(o.status, "authorized") != 0 &&
	    strcmp(o.status, "unauthorized") != 0 &&
	    strcmp(o.status, "archived") != 0)
		usage_error("invalid --status '%s' (use authorized, "
		    "unauthorized or archived)", o.status);
	db = open_db();
	r = run_rows(db, devices_rows, devices_json, &o, device_cols,
	    "devices", true);
	query_db_free(db);
	return r;
}

static int
map_nodes(const struct cmd *c)
{
	struct query_devices_opts o = { NULL, NULL, 0 };
	struct query_db *db = open_db();
	int r;

	(void)c;
	r = run_rows(db, devices_rows, devices_json, &o, device_cols,
	    "devices", true);
	query_db_free(db);
	return r;
}

struct find_arg {
	const char	*text;
	int64_t		limit;
};

static int
find_rows(struct query_db *db, query_row_fn fn, void *ctx, const void *a)
{
	const struct find_arg *f = a;

	return query_device_find(db, f->text, f->limit, fn, ctx);
}

static int
find_json(struct query_db *db, char **ret, const void *a)
{
	const struct find_arg *f = a;

	return query_device_find_json(db, f->text, f->limit, ret);
}

static void
check_address(const char *what, const char *text)
{
	char buf[ADDR_TEXT_MAX];

	if (query_address_classify(text, buf, sizeof(buf)) < 0)
		usage_error("malformed %s address '%s'",
		    strchr(text, '-') != NULL || strchr(text, '.') == NULL ||
		    strlen(text) == 14 ? "MAC or IP" : "IP", text);
	(void)what;
}

static int
cmd_device_find(const struct cmd *c)
{
	static const char *const cols[] = {
		"device_id", "ID", "name", "NAME", "ip", "IP", "mac", "MAC",
		"category", "CATEGORY", "status", "STATUS", "epp_icon", "EPP",
		"security_state", "SECURITY", "_match", "MATCH",
		"last_seen_ms", "LAST SEEN", NULL };
	struct find_arg f = { arg_pos[0], opt_limit(0) };
	struct query_db *db;
	int r;

	(void)c;
	if (*f.text == '\0')
		usage_error("empty QUERY");
	check_address("QUERY", f.text);
	db = open_db();
	r = run_rows(db, find_rows, find_json, &f, cols, "device matches",
	    true);
	query_db_free(db);
	return r;
}

/* Resolves a device key; exits 2 when malformed, 1 when unknown. */
static int64_t
resolve_device(struct query_db *db, const char *key)
{
	int64_t id;
	int r;

	if ((r = query_device_resolve(db, key, &id)) < 0) {
		r = db_fail(db, r);
		query_db_free(db);
		exit(r);
	}
	return id;
}

/* Prints the scalar members of the object at path as "key  value" lines. */
static int
show_pairs(void *ctx, const struct query_row *row)
{
	struct out_style *s = ctx;
	char buf[32];

	for (size_t i = 0; i < row->ncols; i++) {
		const struct query_value *v = &row->values[i];
		const char *text = v->text != NULL ? v->text : "-";
		size_t n = strlen(row->names[i]);

		if (v->type == QUERY_TYPE_TEXT && (text[0] == '[' ||
		    text[0] == '{'))
			continue;	/* a section of its own */
		if (v->type == QUERY_TYPE_INT && n > 3 &&
		    strcmp(row->names[i] + n - 3, "_ms") == 0 &&
		    query_time_format(v->i, buf, sizeof(buf)) == 0)
			text = buf;
		(void)printf("  %-16s %s\n", row->names[i], text);
	}
	(void)s;
	return 0;
}

static const char *const show_sections[] = {
	"$.attributes", "Attributes (value, source, time)",
	"$.addresses", "Addresses",
	"$.applications", "EPP applications",
	"$.peers", "Peers",
	"$.events", "Last events",
	NULL };

/* device show in CSV: section,row,field,value for every value. */
struct show_csv {
	const char	*section;
	size_t		row;
};

static int
show_csv_row(void *ctx, const struct query_row *row)
{
	struct show_csv *sc = ctx;
	char idx[32];

	(void)snprintf(idx, sizeof(idx), "%zu", sc->row++);
	for (size_t i = 0; i < row->ncols; i++) {
		const char *v = row->values[i].text;

		if (strcmp(sc->section, "device") == 0 && v != NULL &&
		    row->values[i].type == QUERY_TYPE_TEXT &&
		    (v[0] == '[' || v[0] == '{'))
			continue;
		out_csv_field(stdout, sc->section, ",");
		out_csv_field(stdout, idx, ",");
		out_csv_field(stdout, row->names[i], ",");
		out_csv_field(stdout, v, "\r\n");
	}
	return 0;
}

static int
show_csv(struct query_db *db, const char *json)
{
	static const char *const parts[] = { "$", "device", "$.attributes",
	    "attribute", "$.addresses", "address", "$.applications",
	    "application", "$.agent", "agent", "$.peers", "peer", "$.events",
	    "event", NULL };
	int r;

	(void)fputs("section,row,field,value\r\n", stdout);
	for (size_t i = 0; parts[i] != NULL; i += 2) {
		struct show_csv sc = { parts[i + 1], 0 };

		r = query_json_rows(db, json, parts[i], show_csv_row, &sc);
		if (r < 0 && r != -EINVAL)
			return r;
	}
	return 0;
}

static int
show_table(struct query_db *db, const char *json)
{
	struct out_style s;
	struct query_table *t;
	int r = 0;

	out_style_init(&s);
	(void)printf("Device\n");
	if ((r = query_json_rows(db, json, "$", show_pairs, &s)) < 0)
		return r;
	(void)printf("\nAgent\n");
	r = query_json_rows(db, json, "$.agent", show_pairs, &s);
	if (r == -EINVAL)
		(void)printf("  none\n");
	else if (r < 0)
		return r;
	for (size_t i = 0; show_sections[i] != NULL; i += 2) {
		if ((t = query_table_new()) == NULL)
			return -ENOMEM;
		(void)printf("\n%s\n", show_sections[i + 1]);
		r = query_json_rows(db, json, show_sections[i],
		    query_table_add_row, t);
		if (r == 0 && t->nrows == 0)
			(void)printf("  none\n");
		else if (r == 0)
			r = out_table(stdout, &s, t, NULL);
		query_table_free(t);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
cmd_device_show(const struct cmd *c)
{
	struct query_db *db;
	char *json = NULL;
	int64_t id;
	int r;

	(void)c;
	check_address("ID|IP|MAC", arg_pos[0]);
	db = open_db();
	id = resolve_device(db, arg_pos[0]);
	if ((r = query_device_show(db, id, &json)) < 0) {
		r = db_fail(db, r);
		goto out;
	}
	if (arg_format == OUT_FORMAT_JSON)
		(void)printf("%s\n", json);
	else if (arg_format == OUT_FORMAT_CSV)
		r = show_csv(db, json);
	else
		r = show_table(db, json);
	if (r < 0)
		r = db_fail(db, r);
out:
	free(json);
	query_db_free(db);
	return r;
}

static int
events_rows(struct query_db *db, query_row_fn fn, void *ctx, const void *a)
{
	return query_events(db, a, fn, ctx);
}

static int
events_json(struct query_db *db, char **ret, const void *a)
{
	return query_events_json(db, a, ret);
}

static int64_t
parse_time_opt(const char *name, int64_t now)
{
	const char *v = opt(name);
	int64_t ms;

	if (v == NULL)
		return QUERY_TIME_NONE;
	if (query_time_parse(v, now, &ms) < 0)
		usage_error("invalid time '%s' for --%s (use YYYY-MM-DD, "
		    "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM|-HH:MM], now, or an age "
		    "such as 30m, 24h, 7d)", v, name);
	return ms;
}

static int
cmd_events(const struct cmd *c)
{
	static const char *const cols[] = {
		"event_id", "ID", "occurred_at_ms", "OCCURRED",
		"severity", "SEVERITY", "device_id", "DEVICE", "code", "CODE",
		"title", "TITLE", "_snippet", "MATCH",
		"description", "DESCRIPTION", NULL };
	struct query_events_opts o;
	struct query_db *db;
	int64_t now = clock_wall_ms();
	const char *v;
	int r;

	(void)c;
	query_events_opts_init(&o);
	o.limit = opt_limit(QUERY_EVENTS_LIMIT);
	if ((v = opt("severity")) != NULL &&
	    (o.min_severity = query_severity_parse(v)) < 0)
		usage_error("invalid --severity '%s' (use info, warning or "
		    "critical)", v);
	if ((v = opt("code")) != NULL)
		o.code = parse_int("code", v, INT64_MAX);
	o.since_ms = parse_time_opt("since", now);
	o.until_ms = parse_time_opt("until", now);
	if ((o.search = opt("search")) != NULL && *o.search == '\0')
		usage_error("empty --search");
	if ((v = opt("device")) != NULL)
		check_address("--device", v);
	db = open_db();
	if (v != NULL)
		o.device_id = resolve_device(db, v);
	r = run_rows(db, events_rows, events_json, &o, cols, "events", true);
	query_db_free(db);
	return r;
}

static int
edges_rows(struct query_db *db, query_row_fn fn, void *ctx, const void *a)
{
	(void)a;
	return query_map_edges(db, fn, ctx);
}

static int
edges_json(struct query_db *db, char **ret, const void *a)
{
	(void)a;
	return query_map_edges_json(db, ret);
}

static int
cmd_map_edges(const struct cmd *c)
{
	struct query_db *db = open_db();
	int r;

	(void)c;
	r = run_rows(db, edges_rows, edges_json, NULL, NULL, "edges", true);
	query_db_free(db);
	return r;
}

static int
cmd_map_export(const struct cmd *c)
{
	struct query_db *db;
	char *json = NULL;
	int r;

	(void)c;
	if (arg_format_set && arg_format != OUT_FORMAT_JSON &&
	    arg_format != OUT_FORMAT_DOT)
		usage_error("map export takes --format json or dot");
	db = open_db();
	if (arg_format == OUT_FORMAT_DOT)
		r = query_map_export_dot(db, stdout);
	else
		r = query_map_export_json_write(db, stdout);
	if (r < 0)
		r = db_fail(db, r);
	free(json);
	query_db_free(db);
	return r;
}

static int control_call(const Kics__Control__V1__Request *req, bool soft,
    struct query_control_reply *ret);
static int control_allow(Kics__Control__V1__Action action);

static int
cmd_status(const struct cmd *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	struct query_control_reply live = { 0 };
	struct query_db *db;
	char *json = NULL;
	int r;

	(void)c;
	req.action = KICS__CONTROL__V1__ACTION__ACTION_STATUS;
	if ((r = control_call(&req, true, &live)) > 0)
		return r;
	db = open_db();
	if ((r = query_status_json(db, &json)) < 0) {
		r = db_fail(db, r);
		goto out;
	}
	if (live.json == NULL)
		(void)fprintf(stderr, "kics-query: note: the daemon's live "
		    "status is not available (daemon not reachable); showing "
		    "the database '%s' only\n", query_db_path(db));
	if (arg_format == OUT_FORMAT_JSON) {
		/* {"daemon": live status or null, database fields...} */
		(void)printf("{\"daemon\":%s,%s\n", live.json != NULL ?
		    live.json : "null", json + 1);
	} else if (arg_format == OUT_FORMAT_TABLE && live.json != NULL) {
		struct out_style s;
		struct query_table *t = query_table_new();

		out_style_init(&s);
		(void)printf("Daemon\n");
		r = query_json_rows(db, live.json, "$", show_pairs, &s);
		(void)printf("\nListeners\n");
		if (r == 0 && t != NULL)
			r = query_json_rows(db, live.json, "$.listeners",
			    query_table_add_row, t);
		if (r == 0 && t != NULL && t->nrows == 0)
			(void)printf("  none\n");
		else if (r == 0 && t != NULL)
			r = out_table(stdout, &s, t, NULL);
		query_table_free(t);
		(void)printf("\n");
	}
	if (arg_format == OUT_FORMAT_JSON) {
	} else if (arg_format == OUT_FORMAT_CSV) {
		struct show_csv sc = { "status", 0 };

		(void)fputs("section,row,field,value\r\n", stdout);
		r = query_json_rows(db, json, "$", show_csv_row, &sc);
		sc.section = "server";
		sc.row = 0;
		if (r == 0)
			r = query_json_rows(db, json, "$.servers",
			    show_csv_row, &sc);
	} else {
		struct query_table *t = query_table_new();
		struct out_style s;

		out_style_init(&s);
		(void)printf("Database\n");
		r = query_json_rows(db, json, "$", show_pairs, &s);
		(void)printf("\nIntegration servers\n");
		if (r == 0 && t != NULL)
			r = query_json_rows(db, json, "$.servers",
			    query_table_add_row, t);
		if (r == 0 && t != NULL && t->nrows == 0)
			(void)printf("  none\n");
		else if (r == 0 && t != NULL)
			r = out_table(stdout, &s, t, NULL);
		query_table_free(t);
	}
	if (r < 0 && r != -EINVAL)
		r = db_fail(db, r);
	else
		r = 0;
out:
	query_control_reply_fini(&live);
	free(json);
	query_db_free(db);
	return r;
}

static int
servers_rows(struct query_db *db, query_row_fn fn, void *ctx, const void *a)
{
	(void)a;
	return query_servers(db, fn, ctx);
}

static int
servers_json(struct query_db *db, char **ret, const void *a)
{
	(void)a;
	return query_servers_json(db, ret);
}

static int
users_rows(struct query_db *db, query_row_fn fn, void *ctx, const void *a)
{
	(void)a;
	return query_users(db, fn, ctx);
}

static int
users_json(struct query_db *db, char **ret, const void *a)
{
	(void)a;
	return query_users_json(db, ret);
}

static int
audit_rows(struct query_db *db, query_row_fn fn, void *ctx, const void *a)
{
	return query_audit(db, *(const int64_t *)a, fn, ctx);
}

static int
audit_json(struct query_db *db, char **ret, const void *a)
{
	return query_audit_json(db, *(const int64_t *)a, ret);
}

static int
cmd_list(const struct cmd *c)
{
	struct query_db *db;
	int64_t limit = 0;
	int r;

	if (strcmp(c->name, "audit") == 0)
		limit = opt_limit(100);
	if ((r = control_allow(strcmp(c->name, "server list") == 0 ?
	    KICS__CONTROL__V1__ACTION__ACTION_SERVER_LIST :
	    strcmp(c->name, "user list") == 0 ?
	    KICS__CONTROL__V1__ACTION__ACTION_USER_LIST :
	    KICS__CONTROL__V1__ACTION__ACTION_AUDIT)) != 0)
		return r;
	db = open_db();
	if (strcmp(c->name, "server list") == 0)
		r = run_rows(db, servers_rows, servers_json, NULL, NULL,
		    "integration servers", true);
	else if (strcmp(c->name, "user list") == 0)
		r = run_rows(db, users_rows, users_json, NULL, NULL, "users",
		    true);
	else
		r = run_rows(db, audit_rows, audit_json, &limit, NULL,
		    "audit records", true);
	query_db_free(db);
	return r;
}

/* --- the daemon's control socket (issue 5) --- */

/*
 * Sends req; returns 0 with *ret filled when the daemon answered OK, or
 * the exit code after one line on stderr: 3 unreachable, 4 role refused,
 * else the daemon's status. With soft, an unreachable daemon returns -1
 * without a message.
 */
static int
control_call(const Kics__Control__V1__Request *req, bool soft,
    struct query_control_reply *ret)
{
	char err[1024];
	int r;

	if ((r = query_control_call(arg_data_dir, req, err, sizeof(err),
	    ret)) < 0) {
		if (soft)
			return -1;
		return fail(EXIT_DAEMON, "%s", err);
	}
	if (ret->status == KICS__CONTROL__V1__STATUS__STATUS_OK)
		return 0;
	r = ret->status >= 1 && ret->status <= EXIT_ROLE ? ret->status :
	    EXIT_NOT_FOUND;
	(void)fail(r, "%s%s", r == EXIT_ROLE ? "refused: " : "",
	    ret->message);
	query_control_reply_fini(ret);
	return r;
}

/* Asks the daemon whether the caller may run a lookup (and audits it). */
static int
control_allow(Kics__Control__V1__Action action)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	struct query_control_reply rep;
	int r;

	req.action = action;
	if ((r = control_call(&req, true, &rep)) < 0) {
		(void)fprintf(stderr, "kics-query: note: the daemon is not "
		    "reachable; reading the database directly\n");
		return 0;
	}
	if (r == 0)
		query_control_reply_fini(&rep);
	return r;
}

/* The first line of the password file; exit 2 when missing or empty. */
static char *
read_password(const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		usage_error("cannot read --password-file '%s': %s", path,
		    strerror(errno));
	n = getline(&line, &cap, f);
	(void)fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		free(line);
		usage_error("the password file '%s' is empty", path);
	}
	return line;
}

/* Writes the package as the caller, mode 0600. */
static int
write_package(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0 || fchmod(fd, 0600) < 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	(void)fail(0, "cannot write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(path);
	return EXIT_NOT_FOUND;
}

static int64_t
id_arg(const char *v)
{
	return strtoll(v, NULL, 10);
}

static const char *
opt_or_empty(const char *name)
{
	const char *v = opt(name);

	return v != NULL ? v : "";
}

/* Builds the request of administrative command c, sends it, prints. */
static int
admin_send(const struct cmd *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__ServerArgs srv =
	    KICS__CONTROL__V1__SERVER_ARGS__INIT;
	Kics__Control__V1__PackageArgs pkg =
	    KICS__CONTROL__V1__PACKAGE_ARGS__INIT;
	Kics__Control__V1__UserArgs usr = KICS__CONTROL__V1__USER_ARGS__INIT;
	Kics__Control__V1__DeviceArgs dev =
	    KICS__CONTROL__V1__DEVICE_ARGS__INIT;
	const struct role_action *ra;
	struct query_control_reply rep;
	char *password = NULL;
	int r;

	/* the control action of a command is the one of the same name */
	if ((ra = role_action_by_name(c->name)) == NULL)
		return fail(EXIT_USAGE, "%s: not an administrative command",
		    c->name);
	req.action = ra->action;
	if (strcmp(c->name, "device set") == 0) {
		req.device = &dev;
		dev.id = id_arg(arg_pos[0]);
		dev.status = (char *)opt_or_empty("status");
		dev.name = (char *)opt_or_empty("name");
		dev.category = (char *)opt_or_empty("category");
		dev.vendor = (char *)opt_or_empty("vendor");
		dev.model = (char *)opt_or_empty("model");
		dev.os_name = (char *)opt_or_empty("os-name");
		dev.os_version = (char *)opt_or_empty("os-version");
	} else if (strncmp(c->name, "server ", 7) == 0) {
		req.server = &srv;
		if (arg_npos > 0)
			srv.id = id_arg(arg_pos[0]);
		srv.name = (char *)opt_or_empty("name");
		srv.address = (char *)opt_or_empty("address");
		srv.port = opt("port") != NULL ?
		    (uint32_t)atoi(opt("port")) : 0;
		if (flag("verify-client"))
			srv.verify_client_cert =
			    KICS__CONTROL__V1__TOGGLE__TOGGLE_ON;
		else if (flag("no-verify-client"))
			srv.verify_client_cert =
			    KICS__CONTROL__V1__TOGGLE__TOGGLE_OFF;
		srv.force = flag("force");
	} else if (strcmp(c->name, "package create") == 0) {
		req.package = &pkg;
		pkg.server_id = id_arg(opt("server"));
		password = read_password(opt("password-file"));
		pkg.password.data = (uint8_t *)password;
		pkg.password.len = strlen(password);
	} else if (strncmp(c->name, "user ", 5) == 0) {
		req.user = &usr;
		usr.name = (char *)arg_pos[0];
		usr.role = (char *)opt_or_empty("role");
	}
	r = control_call(&req, false, &rep);
	if (password != NULL) {
		memset(password, 0, strlen(password));
		free(password);
	}
	if (r != 0)
		return r;
	if (req.action == KICS__CONTROL__V1__ACTION__ACTION_PACKAGE_CREATE &&
	    (r = write_package(opt("out"), rep.data, rep.data_len)) != 0) {
		query_control_reply_fini(&rep);
		return r;
	}
	if (arg_format == OUT_FORMAT_JSON)
		(void)printf("%s\n", rep.json != NULL ? rep.json : "{}");
	else
		(void)printf("%s\n", rep.message);
	query_control_reply_fini(&rep);
	return 0;
}

/* An integration server id or device id argument. */
static void
check_id(const char *what, const char *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1)
		usage_error("invalid %s '%s' (a positive integer)", what, v);
}

static void
check_one_of(const char *name, const char *v, const char *a, const char *b,
    const char *c)
{
	if (v == NULL || strcmp(v, a) == 0 || strcmp(v, b) == 0 ||
	    (c != NULL && strcmp(v, c) == 0))
		return;
	usage_error("invalid --%s '%s' (use %s, %s%s%s)", name, v, a, b,
	    c != NULL ? " or " : "", c != NULL ? c : "");
}

static void
check_port(const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 65535)
		usage_error("invalid --port '%s' (1 to 65535)", v);
}

/*
 * Administrative commands: everything is checked here, then the request
 * goes to the daemon over DATA_DIR/control.sock (query/control.c); exit 3
 * when it cannot be reached, 4 when it refuses the caller's role.
 */
static int
cmd_admin(const struct cmd *c)
{
	const char *v;

	if (strcmp(c->name, "device set") == 0) {
		bool any = false;

		check_id("device id", arg_pos[0]);
		check_one_of("status", opt("status"), "authorized",
		    "unauthorized", "archived");
		for (int i = 0; c->opts[i].name != NULL; i++)
			any |= arg_flag[i];
		if (!any)
			usage_error("nothing to set (give at least one of "
			    "--status, --name, --category, --vendor, --model, "
			    "--os-name, --os-version)");
	} else if (strcmp(c->name, "server add") == 0 ||
	    strcmp(c->name, "server edit") == 0) {
		char buf[ADDR_TEXT_MAX];
		bool add = strcmp(c->name, "server add") == 0;

		if (!add)
			check_id("server id", arg_pos[0]);
		if (add && (opt("address") == NULL || opt("port") == NULL))
			usage_error("--address and --port are required");
		if ((v = opt("address")) != NULL &&
		    addr_ip_normalize(v, buf, sizeof(buf)) < 0)
			usage_error("malformed IP address '%s'", v);
		if ((v = opt("port")) != NULL)
			check_port(v);
		if (flag("verify-client") && flag("no-verify-client"))
			usage_error("--verify-client and --no-verify-client "
			    "exclude each other");
	} else if (strncmp(c->name, "server ", 7) == 0) {
		check_id("server id", arg_pos[0]);
	} else if (strcmp(c->name, "package create") == 0) {
		if (opt("server") == NULL || opt("out") == NULL ||
		    opt("password-file") == NULL)
			usage_error("--server, --out and --password-file are "
			    "required");
		check_id("--server", opt("server"));
		if (access(opt("password-file"), R_OK) != 0)
			usage_error("cannot read --password-file '%s': %s",
			    opt("password-file"), strerror(errno));
	} else if (strcmp(c->name, "user add") == 0) {
		if (opt("role") == NULL)
			usage_error("--role is required");
		check_one_of("role", opt("role"), "administrator", "operator",
		    NULL);
	}
	return admin_send(c);
}

static int
rules_rows(struct query_db *db, query_row_fn fn, void *ctx, const void *a)
{
	(void)a;
	return query_rules_list(db, fn, ctx);
}

static int
rules_json(struct query_db *db, char **ret, const void *a)
{
	(void)a;
	return query_rules_list_json(db, ret);
}

static int
cmd_rules_list(const struct cmd *c)
{
	static const char *const cols[] = {
		"name", "NAME", "matches", "MATCHES", "drops", "DROPS",
		"match", "MATCH", "set", "SET", "tags", "TAGS", "drop", "DROP",
		"stop", "STOP", NULL };
	struct query_db *db = open_db();
	int r;

	(void)c;
	r = run_rows(db, rules_rows, rules_json, NULL, cols,
	    "rule set saved by the daemon", true);
	query_db_free(db);
	return r;
}

static int
cmd_rules_test(const struct cmd *c)
{
	static const char *const cols[] = {
		"matched", "MATCHED RULES", "severity", "SEVERITY", "title",
		"TITLE", "tags", "TAGS", "stored", "STORED", NULL };
	struct query_table *t = NULL;
	char err[4096] = "", *json = NULL;
	bool as_json = arg_format == OUT_FORMAT_JSON;
	int r;

	(void)c;
	if (opt("file") == NULL || opt("event-json") == NULL)
		usage_error("--file and --event-json are required");
	if (!as_json && (t = query_table_new()) == NULL)
		return fail(EXIT_NOT_FOUND, "out of memory");
	r = query_rules_test(opt("file"), opt("event-json"),
	    as_json ? NULL : query_table_add_row, t, as_json ? &json : NULL,
	    err, sizeof(err));
	if (r == -EINVAL && strncmp(err, "--event-json", 12) == 0) {
		query_table_free(t);
		usage_error("%s", err);
	}
	if (r < 0) {
		query_table_free(t);
		(void)fprintf(stderr, "%s\n", err);
		return fail(EXIT_NOT_FOUND, "rules test: '%s' was not applied",
		    opt("file"));
	}
	if (as_json)
		(void)printf("%s\n", json);
	else
		r = print_rows(t, cols);
	free(json);
	query_table_free(t);
	return r < 0 ? fail(EXIT_NOT_FOUND, "cannot write the output") : 0;
}

#define HELP_DEVICE_ROWS \
	"With --format json: an array of objects with the map_nodes " \
	"columns\n(device_id, name, category, status, ip, mac, vendor, " \
	"model, os, epp_icon,\nsecurity_state, last_seen_ms); csv has " \
	"the same columns.\n"

static const struct cmd cmds[] = {
	{ "devices", cmd_devices, 0, 0,
	  "devices [--epp none|connected|disconnected] [--status S] "
	  "[--limit N]",
	  "Lists devices by id.\n"
	  "  --epp STATE      only devices whose EPP icon is none, connected "
	  "or disconnected\n"
	  "  --status S       only authorized, unauthorized or archived "
	  "devices\n"
	  "  --limit N        at most N devices (default: all)\n"
	  HELP_DEVICE_ROWS "Exit 1 when no device matches.\n",
	  { { "epp", true }, { "status", true }, { "limit", true } } },
	{ "device find", cmd_device_find, 1, 1,
	  "device find QUERY [--limit N]",
	  "Finds devices. QUERY is an IPv4 or IPv6 address in any valid "
	  "notation, a MAC\n(aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or "
	  "aabb.ccdd.eeff), a host name or its\nprefix, or free text. "
	  "Results are ranked: exact address match, exact host\nname or "
	  "name (any case), host name or address prefix, then free text "
	  "found in\nany attribute (not searched for an address). A "
	  "malformed address is an error.\n"
	  "  --limit N        at most N devices (default: all)\n"
	  HELP_DEVICE_ROWS "The table adds a MATCH column. Exit 1 when "
	  "nothing matches.\n",
	  { { "limit", true } } },
	{ "device show", cmd_device_show, 1, 1, "device show ID|IP|MAC",
	  "Shows one device: its attributes with their source and time, "
	  "all addresses,\nEPP applications and their state, the agent and "
	  "its connection state, peers\nwith protocol, port and source, and "
	  "the last 20 events. The device is given by\nid, IP or MAC "
	  "address, or an exact host name held by one device only.\n"
	  "With --format json: one object (the map_nodes columns plus "
	  "hostname, domain,\nserial_number, source, created_ms, and "
	  "attributes, addresses, applications,\nagent, peers, events); "
	  "csv: rows of section,row,field,value.\n"
	  "Exit 1 when no device matches.\n", { { NULL, false } } },
	{ "device set", cmd_admin, 1, 1,
	  "device set ID [--status authorized|unauthorized|archived] "
	  "[--name N]\n       [--category C] [--vendor V] [--model M] "
	  "[--os-name O] [--os-version V]",
	  "Sets manual values of a device (they win over EPP and traffic "
	  "data).\nAdministrator only; sent to the daemon over "
	  "DATA_DIR/control.sock\n(exit 3 when it cannot be reached, 4 when "
	  "your role is refused).\n",
	  { { "status", true }, { "name", true }, { "category", true },
	  { "vendor", true }, { "model", true }, { "os-name", true },
	  { "os-version", true } } },
	{ "events", cmd_events, 0, 0,
	  "events [--device X] [--severity S] [--code C] [--since T] "
	  "[--until T]\n       [--search FTS] [--limit N]",
	  "Lists the newest events (newest last).\n"
	  "  --device X       events of one device: id, IP, MAC or exact "
	  "host name\n"
	  "  --severity S     events of severity S or higher: info, warning, "
	  "critical\n"
	  "  --code C         events with this event-type code\n"
	  "  --since T        events that occurred at or after T\n"
	  "  --until T        events that occurred before T\n"
	  "  --search FTS     full-text search (SQLite FTS5 query syntax: "
	  "words, \"phrases\",\n                   prefix*, AND, OR, NOT, "
	  "column:word) over title, description,\n                   "
	  "object_path, threat_name, user_name and hostname; newest "
	  "first,\n                   the table shows the matching text "
	  "with hits highlighted\n"
	  "  --limit N        at most N events (default 50)\n"
	  "T is YYYY-MM-DD (local midnight), YYYY-MM-DDTHH:MM[:SS] (local "
	  "time; a space\nfor T works too) optionally followed by Z, +HH:MM "
	  "or -HH:MM, the word now,\nor an age: a number followed by s, m, "
	  "h, d or w (30m, 24h, 7d, 2w).\n"
	  "With --format json: an array of objects with the event_log "
	  "columns\n(event_id, occurred_at_ms, registered_at_ms, device_id, "
	  "agent_id, code, title,\nseverity, technology, category, "
	  "description, tags); csv has the same columns.\n"
	  "Exit 1 when no event matches.\n",
	  { { "device", true }, { "severity", true }, { "code", true },
	  { "since", true }, { "until", true }, { "search", true },
	  { "limit", true } } },
	{ "map nodes", map_nodes, 0, 0, "map nodes",
	  "Prints every row of the map_nodes view.\n" HELP_DEVICE_ROWS,
	  { { NULL, false } } },
	{ "map edges", cmd_map_edges, 0, 0, "map edges",
	  "Prints every row of the map_edges view (src_device_id, "
	  "dst_device_id, protocol,\nport, source, first_seen_ms, "
	  "last_seen_ms, packets, bytes).\n", { { NULL, false } } },
	{ "map export", cmd_map_export, 0, 0, "map export [--format json|dot]",
	  "Exports the whole map. json (the default): one object "
	  "{\"nodes\": [map_nodes\nrows], \"edges\": [map_edges rows]}. dot: "
	  "a Graphviz digraph for dot -Tsvg:\nEPP nodes are green 3-D boxes "
	  "when their agent is connected, gray dashed when\ndisconnected, "
	  "plain boxes have no EPP; a red (critical) or orange (warning)\n"
	  "border shows the security state; edges are labelled "
	  "protocol/port, solid black\nfor traffic data and dashed blue for "
	  "EPP data.\n", { { NULL, false } } },
	{ "status", cmd_status, 0, 0, "status",
	  "Summarises the installation: the daemon's live status "
	  "(listeners, connections,\nqueue, database size; Operator or "
	  "Administrator) and, from the database,\nagents connected out "
	  "of the maximum, devices by status, events, interactions\nand "
	  "the integration servers. When the daemon cannot be reached a "
	  "note on\nstderr says so and only the database is shown.\n",
	  { { NULL, false } } },
	{ "server list", cmd_list, 0, 0, "server list",
	  "Lists integration servers: id, name, address, port, transport, "
	  "enabled,\nverify_client_cert, agents_connected, last_data_ms, "
	  "cert_not_after_ms,\npackage_created_ms.\n", { { NULL, false } } },
	{ "server add", cmd_admin, 0, 0,
	  "server add --address IP --port P [--verify-client] [--name N]",
	  "Adds an integration server (Administrator, through the "
	  "daemon).\n", { { "address", true }, { "port", true },
	  { "verify-client", false }, { "name", true } } },
	{ "server edit", cmd_admin, 1, 1,
	  "server edit ID [--address IP] [--port P] [--name N] "
	  "[--verify-client|--no-verify-client]",
	  "Changes an integration server (Administrator, through the "
	  "daemon).\n", { { "address", true }, { "port", true },
	  { "name", true }, { "verify-client", false },
	  { "no-verify-client", false } } },
	{ "server enable", cmd_admin, 1, 1, "server enable ID",
	  "Enables an integration server (Administrator, through the "
	  "daemon).\n", { { NULL, false } } },
	{ "server disable", cmd_admin, 1, 1, "server disable ID [--force]",
	  "Disables an integration server (Administrator, through the "
	  "daemon); its\nopen connections are closed. The last enabled "
	  "one is kept while agents are\nconnected unless --force.\n",
	  { { "force", false } } },
	{ "server remove", cmd_admin, 1, 1, "server remove ID [--force]",
	  "Removes an integration server and revokes its certificates "
	  "(Administrator,\nthrough the daemon); --force as for "
	  "disable.\n", { { "force", false } } },
	{ "package create", cmd_admin, 0, 0,
	  "package create --server ID --out FILE --password-file FILE",
	  "Creates the communication data package of a server "
	  "(Administrator, through\nthe daemon).\n",
	  { { "server", true }, { "out", true }, { "password-file", true } } },
	{ "user list", cmd_list, 0, 0, "user list",
	  "Lists users and their roles (name, role, created_ms).\n",
	  { { NULL, false } } },
	{ "user add", cmd_admin, 1, 1,
	  "user add NAME --role administrator|operator",
	  "Adds a user (Administrator, through the daemon).\n",
	  { { "role", true } } },
	{ "user remove", cmd_admin, 1, 1, "user remove NAME",
	  "Removes a user (Administrator, through the daemon).\n",
	  { { NULL, false } } },
	{ "audit", cmd_list, 0, 0, "audit [--limit N]",
	  "Lists the newest audit records, newest last.\n"
	  "  --limit N        at most N records (default 100)\n",
	  { { "limit", true } } },
	{ "rules list", cmd_rules_list, 0, 0, "rules list",
	  "Lists the event rules the daemon runs, in order, with how many "
	  "events each\nmatched and dropped since it was loaded (the daemon "
	  "saves them every few\nseconds). With --format json: the rules as "
	  "objects with name, line, match,\nset, tags, drop, stop, matches "
	  "and drops. Exit 1 when the daemon has saved\nno rule set.\n",
	  { { NULL, false } } },
	{ "rules test", cmd_rules_test, 0, 0,
	  "rules test --file FILE --event-json JSON",
	  "Applies a rules file to one event and prints which rules match "
	  "and the event\nas it would be stored (code, category, severity, "
	  "title, tags, stored);\nwrites nothing. JSON keys of the event: "
	  "category, code, product, severity,\ntitle, description, "
	  "object_path, threat_name, user_name, hostname, ip, mac,\n"
	  "device_category, attributes (object), device_ips (array). Every "
	  "error of the\nrules file is printed as file:line:column: "
	  "message; exit 1 then.\n",
	  { { "file", true }, { "event-json", true } } },
	{ "rules reload", cmd_admin, 0, 0, "rules reload",
	  "Makes the daemon reload its rules (Administrator).\n",
	  { { NULL, false } } },
};

static void
main_help(FILE *f)
{
	(void)fputs("usage: kics-query [--data-dir DIR] [--format "
	    "table|json|csv] COMMAND [ARGS]\n\nLooks up devices, events "
	    "and the network map in the kics-epp database\n(read-only), "
	    "and sends administrative commands to the daemon.\n\n"
	    "Commands:\n", f);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		(void)fprintf(f, "  %s\n", cmds[i].usage);
	(void)fputs("\n'kics-query COMMAND --help' describes a command. "
	    "See kics-query(1).\nExit status: 0 ok, 1 nothing found or "
	    "failure, 2 usage error, 3 daemon\nunreachable, 4 role "
	    "refused.\n", f);
}

/* Whether word starts a two-word command. */
static bool
is_group(const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strncmp(cmds[i].name, word, n) == 0 &&
		    cmds[i].name[n] == ' ')
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	char name[64];
	int i = 1;

	arg_data_dir = getenv("KICS_DATA_DIR");
	if (arg_data_dir == NULL || *arg_data_dir == '\0')
		arg_data_dir = DEFAULT_DATA_DIR;
	/* Common options before the command. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			main_help(stdout);
			return 0;
		}
		if (strncmp(a, "--data-dir=", 11) == 0)
			arg_data_dir = a + 11;
		else if (strncmp(a, "--format=", 9) == 0)
			set_format(a + 9);
		else if ((strcmp(a, "--data-dir") == 0 ||
		    strcmp(a, "--format") == 0) && i + 1 < argc) {
			if (a[2] == 'd')
				arg_data_dir = argv[++i];
			else
				set_format(argv[++i]);
		} else if (strcmp(a, "--data-dir") == 0 ||
		    strcmp(a, "--format") == 0)
			usage_error("option '%s' needs a value", a);
		else
			usage_error("unknown option '%s'", a);
	}
	if (i == argc)
		usage_error("missing command");
	if (is_group(argv[i])) {
		if (i + 1 == argc || argv[i + 1][0] == '-') {
			if (i + 1 < argc && (strcmp(argv[i + 1], "--help") ==
			    0 || strcmp(argv[i + 1], "-h") == 0)) {
				main_help(stdout);
				return 0;
			}
			usage_error("'%s' needs a subcommand", argv[i]);
		}
		(void)snprintf(name, sizeof(name), "%s %s", argv[i],
		    argv[i + 1]);
		i += 2;
	} else
		(void)snprintf(name, sizeof(name), "%s", argv[i++]);
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(cmds[k].name, name) != 0)
			continue;
		cur = &cmds[k];
		parse_command_args(cur, argc, argv, i);
		if (arg_format == OUT_FORMAT_DOT &&
		    strcmp(cur->name, "map export") != 0)
			usage_error("--format dot is only for map export");
		return cur->run(cur);
	}
	usage_error("unknown command '%s'", name);
}
