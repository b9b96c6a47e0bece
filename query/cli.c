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
	    "  --help           this text\n\n"
	    "Exit status: 0 ok, 1 nothing found or failure, 2 usage error, "
	    "3 daemon unreachable, 4 role refused.\n", c->usage, c->help,
	    c->dot ? "; here json or dot" : "");
}

void
cli_main_help(FILE *f)
{
	(void)fputs("usage: kics-query [--data-dir DIR] [--format "
	    "table|json|csv] COMMAND [ARGS]\n       kics-query --version\n"
	    "\nLooks up devices, events "
	    "and the network map in the kics-epp database\n(read-only), "
	    "and sends administrative commands to the daemon.\n\n"
	    "Commands:\n", f);
	for (size_t i = 0; i < cli_ncommands; i++)
		(void)fprintf(f, "  %s\n", cli_commands[i].usage);
	(void)fputs("\n'kics-query COMMAND --help' describes a command. "
	    "See kics-query(1).\nExit status: 0 ok, 1 nothing found or "
	    "failure, 2 usage error, 3 daemon\nunreachable, 4 role "
	    "refused.\n", f);
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
	if (strcmp(v, "table") == 0)
		arg_format = OUT_FORMAT_TABLE;
	else if (strcmp(v, "json") == 0)
		arg_format = OUT_FORMAT_JSON;
	else if (strcmp(v, "csv") == 0)
		arg_format = OUT_FORMAT_CSV;
	else if (strcmp(v, "dot") == 0)
		arg_format = OUT_FORMAT_DOT;
	else
		cli_usage_error("unknown format '%s' (use table, json or csv)",
		    v);
	arg_format_set = true;
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
	if (k >= 0 && !c->opts[k].has_arg) {
		if (val != NULL)
			cli_usage_error("option '--%s' takes no value", name);
		arg_flag[k] = true;
		return;
	}
	if (k < 0 && strcmp(name, "data-dir") != 0 &&
	    strcmp(name, "format") != 0)
		cli_usage_error("unknown option '--%s'", name);
	if (val == NULL && *i + 1 < argc)
		val = argv[++*i];
	else if (val == NULL)
		cli_usage_error("option '--%s' needs a value", name);
	if (strcmp(name, "data-dir") == 0)
		arg_data_dir = val;
	else if (strcmp(name, "format") == 0)
		set_format(val);
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
			cli_usage_error("option '%s' needs a value", a);
		else
			cli_usage_error("unknown option '%s'", a);
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
	memset(arg_opt, 0, sizeof(arg_opt));
	memset(arg_flag, 0, sizeof(arg_flag));
	memset(arg_pos, 0, sizeof(arg_pos));
	arg_npos = 0;
	arg_command = NULL;
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
				cli_main_help(stdout);
				exit(0);
			}
			cli_usage_error("'%s' needs a subcommand", argv[i]);
		}
		(void)snprintf(name, sizeof(name), "%s %s", argv[i],
		    argv[i + 1]);
		i += 2;
	} else
		(void)snprintf(name, sizeof(name), "%s", argv[i++]);
	if ((arg_command = cli_command_find(name)) == NULL)
		cli_usage_error("unknown command '%s'", name);
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
