/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's command line: the common and per-command
 * options of DESIGN.md's "CLI contract", the help texts drawn from the
 * command table, usage errors (exit 2) and the dispatch to the command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "version.h"

#define CLI_NAME_MAX	64	/* bytes of a command or option name */
#define LIMIT_MAX	1000000000LL

const char *arg_data_dir;
enum out_format arg_format;
bool arg_format_set;
enum out_time arg_time;
bool arg_wide;
const char *arg_opt[CLI_MAX_OPTS];
bool arg_flag[CLI_MAX_OPTS];
const char *arg_pos[CLI_MAX_POSITIONAL];
size_t arg_npos;
const struct cli_command *arg_command;

void
cli_usage_error(const char *fmt, ...)
{
	const struct cli_command *c = arg_command;
	va_list ap;

	(void)fputs("kics-query: ", stderr);
	if (c != NULL)
		(void)fprintf(stderr, "%s: ", c->name);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, " (see 'kics-query %s%s--help')\n",
	    c != NULL ? c->name : "", c != NULL ? " " : "");
	exit(EXIT_USAGE);
}

int
cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	(void)fputs("kics-query: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	return code;
}

/* Index of option name in c->opts, or -1. */
static int
opt_index(const struct cli_command *c, const char *name)
{
	for (int i = 0; c->opts[i].name != NULL; i++)
		if (strcmp(c->opts[i].name, name) == 0)
			return i;
	return -1;
}

const char *
cli_opt(const char *name)
{
	int i = opt_index(arg_command, name);

	return i >= 0 ? arg_opt[i] : NULL;
}

bool
cli_flag(const char *name)
{
	int i = opt_index(arg_command, name);

	return i >= 0 && arg_flag[i];
}

void
cli_check_enum(const char *name, const char *v, const char *const *allowed)
{
	char list[256] = "";
	size_t n = 0, len = 0;

	for (n = 0; allowed[n] != NULL; n++)
		if (strcmp(v, allowed[n]) == 0)
			return;
	for (size_t i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", allowed[i]);
	cli_usage_error("invalid --%s '%s' (use %s)", name, v, list);
}

const char *
cli_opt_enum(const char *name, const char *const *allowed)
{
	const char *v = cli_opt(name);

	if (v != NULL)
		cli_check_enum(name, v, allowed);
	return v;
}

int64_t
cli_parse_int(const char *name, const char *v, long long max)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > max)
		cli_usage_error("invalid --%s '%s' (a positive integer)", name,
		    v);
	return n;
}

int64_t
cli_opt_limit(int64_t dflt)
{
	const char *v = cli_opt("limit");

	return v != NULL ? cli_parse_int("limit", v, LIMIT_MAX) : dflt;
}

void
cli_help(const struct cli_command *c)
{
	(void)printf("usage: kics-query %s\n\n%s\n"
	    "Common options:\n"
	    "  --data-dir DIR   data directory (default $KICS_DATA_DIR, "
	    "else " CLI_DEFAULT_DATA_DIR ")\n"
	    "  --format F       table (default), json or csv%s\n"
	    "  --time ms|iso    *_ms values as unix milliseconds, or as ISO "
	    "8601 local time\n                   with the zone "
	    "(2026-11-30T15:36:41.123+01:00), in every format;\n"
	    "                   default: local time in tables, "
	    "milliseconds in json and csv\n"
	    "  --wide           tables show every column, none cut (else "
	    "they fit the\n                   terminal: ids, names and "
	    "addresses are never cut)\n"
	    "  --help           this text\n\n"
	    "Exit status: 0 ok, 1 nothing found or failure, 2 usage error, "
	    "3 daemon unreachable, 4 role refused.\n", c->usage, c->help,
	    c->dot ? "; here json or dot" : "");
}

/* The commands of group word ("device"), usage lines to f; their count. */
static size_t
group_help(FILE *f, const char *word)
{
	size_t n = strlen(word), k = 0;

	for (size_t i = 0; i < cli_ncommands; i++)
		if (strncmp(cli_commands[i].name, word, n) == 0 &&
		    cli_commands[i].name[n] == ' ') {
			if (k++ == 0)
				(void)fprintf(f, "Commands of '%s':\n", word);
			(void)fprintf(f, "  kics-query %s\n",
			    cli_commands[i].usage);
		}
	if (k > 0)
		(void)fprintf(f, "\n'kics-query %s SUBCOMMAND --help' "
		    "describes one.\n", word);
	return k;
}

void
cli_main_help(FILE *f)
{
	(void)fputs("usage: kics-query [--data-dir DIR] [--format "
	    "table|json|csv] [--time ms|iso] [--wide]\n"
	    "                  COMMAND [ARGS]\n       kics-query --version\n"
	    "\nLooks up devices, events "
	    "and the network map in the kics-epp database\n(read-only), "
	    "and sends administrative commands to the daemon.\n\n"
	    "Commands:\n", f);
	for (size_t i = 0; i < cli_ncommands; i++)
		(void)fprintf(f, "  %s\n", cli_commands[i].usage);
	(void)fputs("\n'kics-query COMMAND --help' or 'kics-query help "
	    "COMMAND' describes a command.\nSee kics-query(1).\nExit "
	    "status: 0 ok, 1 nothing found or failure, 2 usage error, 3 "
	    "daemon\nunreachable, 4 role refused.\n", f);
}

const struct cli_command *
cli_command_find(const char *name)
{
	for (size_t i = 0; i < cli_ncommands; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

/* Whether word starts a two-word command. */
static bool
is_group(const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i < cli_ncommands; i++)
		if (strncmp(cli_commands[i].name, word, n) == 0 &&
		    cli_commands[i].name[n] == ' ')
			return true;
	return false;
}

static void
set_format(const char *v)
{
	static const char *const formats[] = { "table", "json", "csv", NULL };

	if (strcmp(v, "dot") == 0)
		arg_format = OUT_FORMAT_DOT;
	else {
		cli_check_enum("format", v, formats);
		arg_format = strcmp(v, "json") == 0 ? OUT_FORMAT_JSON :
		    strcmp(v, "csv") == 0 ? OUT_FORMAT_CSV : OUT_FORMAT_TABLE;
	}
	arg_format_set = true;
}

static void
set_time(const char *v)
{
	static const char *const times[] = { "ms", "iso", NULL };

	cli_check_enum("time", v, times);
	arg_time = strcmp(v, "iso") == 0 ? OUT_TIME_ISO : OUT_TIME_MS;
}

/*
 * Takes the common option a (name without "--", its value or NULL).
 * Returns false when a is not one.
 */
static bool
common_option(const char *name, const char *val)
{
	if (strcmp(name, "data-dir") == 0)
		arg_data_dir = val;
	else if (strcmp(name, "format") == 0)
		set_format(val);
	else if (strcmp(name, "time") == 0)
		set_time(val);
	else
		return false;
	return true;
}

static bool
is_common(const char *name)
{
	return strcmp(name, "data-dir") == 0 || strcmp(name, "format") == 0 ||
	    strcmp(name, "time") == 0;
}

/*
 * Splits "--name[=value]" into name (exit 2 when too long); returns the
 * value after '=', or NULL.
 */
static const char *
split_option(const char *a, char name[CLI_NAME_MAX])
{
	const char *eq = strchr(a, '=');
	size_t len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);

	if (len >= CLI_NAME_MAX)
		cli_usage_error("unknown option '%.40s...'", a);
	memcpy(name, a + 2, len);
	name[len] = '\0';
	return eq != NULL ? eq + 1 : NULL;
}

/*
 * Takes the option at argv[*i] for command c: its own options and the
 * common ones, as "--name value" or "--name=value".
 */
static void
take_option(const struct cli_command *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *val;
	char name[CLI_NAME_MAX];
	int k;

	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		cli_help(c);
		exit(0);
	}
	if (a[1] != '-')
		cli_usage_error("unknown option '%s'", a);
	val = split_option(a, name);
	k = opt_index(c, name);
	if (k < 0 && strcmp(name, "wide") == 0) {
		if (val != NULL)
			cli_usage_error("option '--%s' takes no value", name);
		arg_wide = true;
		return;
	}
	if (k >= 0 && !c->opts[k].has_arg) {
		if (val != NULL)
			cli_usage_error("option '--%s' takes no value", name);
		arg_flag[k] = true;
		return;
	}
	if (k < 0 && !is_common(name))
		cli_usage_error("unknown option '--%s'", name);
	if (val == NULL && *i + 1 < argc)
		val = argv[++*i];
	else if (val == NULL)
		cli_usage_error("option '--%s' needs a value", name);
	if (k < 0)
		(void)common_option(name, val);
	else {
		arg_opt[k] = val;
		arg_flag[k] = true;
	}
}

/*
 * Parses argv[first..argc) for command c: its options and the common ones
 * anywhere, "--" ending options, then the positional arguments.
 */
static void
parse_command_args(const struct cli_command *c, int argc, char **argv,
    int first)
{
	bool options = true;

	for (int i = first; i < argc; i++) {
		const char *a = argv[i];

		if (!options || a[0] != '-' || a[1] == '\0') {
			if (arg_npos == c->max_pos)
				cli_usage_error("unexpected argument '%s'", a);
			arg_pos[arg_npos++] = a;
		} else if (strcmp(a, "--") == 0)
			options = false;
		else
			take_option(c, argc, argv, &i);
	}
	if (arg_npos < c->min_pos)
		cli_usage_error("missing argument (usage: kics-query %s)",
		    c->usage);
	if (arg_format == OUT_FORMAT_DOT && !c->dot)
		cli_usage_error("--format dot is only for map export");
}

/* The common options before the command; returns the command's index. */
static int
parse_common(int argc, char **argv)
{
	char name[CLI_NAME_MAX];
	const char *val;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cli_main_help(stdout);
			exit(0);
		}
		if (strcmp(a, "--version") == 0) {
			(void)printf("kics-query %s\n", kics_version());
			exit(0);
		}
		if (strcmp(a, "--wide") == 0) {
			arg_wide = true;
			continue;
		}
		if (a[1] != '-')
			cli_usage_error("unknown option '%s'", a);
		val = split_option(a, name);
		if (!is_common(name))
			cli_usage_error("unknown option '%s'", a);
		if (val == NULL && i + 1 < argc)
			val = argv[++i];
		else if (val == NULL)
			cli_usage_error("option '%s' needs a value", a);
		(void)common_option(name, val);
	}
	return i;
}

/* Sets the arg_* globals to "nothing given". */
static void
args_reset(void)
{
	arg_data_dir = getenv("KICS_DATA_DIR");
	if (arg_data_dir == NULL || *arg_data_dir == '\0')
		arg_data_dir = CLI_DEFAULT_DATA_DIR;
	arg_format = OUT_FORMAT_TABLE;
	arg_format_set = false;
	arg_time = OUT_TIME_DEFAULT;
	arg_wide = false;
	memset(arg_opt, 0, sizeof(arg_opt));
	memset(arg_flag, 0, sizeof(arg_flag));
	memset(arg_pos, 0, sizeof(arg_pos));
	arg_npos = 0;
	arg_command = NULL;
}

/* Exits 2 naming the unknown command and the nearest one, if any. */
static noreturn void
unknown_command(const char *name)
{
	const char *near = cli_suggest(name);

	if (near != NULL)
		cli_usage_error("unknown command '%s'; did you mean '%s'?",
		    name, near);
	cli_usage_error("unknown command '%s'", name);
}

int
cli_help_run(const struct cli_command *c)
{
	const struct cli_command *h;
	char name[CLI_NAME_MAX];

	(void)c;
	if (arg_npos == 0) {
		cli_main_help(stdout);
		return 0;
	}
	(void)snprintf(name, sizeof(name), "%s%s%s", arg_pos[0],
	    arg_npos > 1 ? " " : "", arg_npos > 1 ? arg_pos[1] : "");
	if ((h = cli_command_find(name)) != NULL) {
		cli_help(h);
		return 0;
	}
	if (arg_npos == 1 && group_help(stdout, name) > 0)
		return 0;
	arg_command = NULL;
	unknown_command(name);
}

const struct cli_command *
cli_parse(int argc, char **argv)
{
	char name[CLI_NAME_MAX];
	int i;

	args_reset();
	if ((i = parse_common(argc, argv)) == argc)
		cli_usage_error("missing command");
	if (is_group(argv[i])) {
		if (i + 1 == argc || argv[i + 1][0] == '-') {
			if (i + 1 < argc && (strcmp(argv[i + 1], "--help") ==
			    0 || strcmp(argv[i + 1], "-h") == 0)) {
				(void)group_help(stdout, argv[i]);
				exit(0);
			}
			cli_usage_error("'%s' needs a subcommand (see "
			    "'kics-query %s --help')", argv[i], argv[i]);
		}
		(void)snprintf(name, sizeof(name), "%s %s", argv[i],
		    argv[i + 1]);
		i += 2;
	} else
		(void)snprintf(name, sizeof(name), "%s", argv[i++]);
	if ((arg_command = cli_command_find(name)) == NULL)
		unknown_command(name);
	parse_command_args(arg_command, argc, argv, i);
	return arg_command;
}

int
cli_main(int argc, char **argv)
{
	const struct cli_command *c = cli_parse(argc, argv);

	if (c->run != NULL)
		return c->run(c);
	return cli_list_run(c);
}
