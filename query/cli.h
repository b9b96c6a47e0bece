/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private header of the kics-query program (query/kics-query.c, cli.c,
 * commands.c, lookup.c, show.c, admin.c, output.c) and of its test,
 * tests/test-cli.c: the command table, the parsed command line, the
 * output sink and the printers.
 */
#ifndef KICS_QUERY_CLI_H
#define KICS_QUERY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "control.pb-c.h"
#include "kics_limits.h"
#include "log.h"	/* KICS_PRINTF */
#include "query.h"

/* Exit codes of DESIGN.md's "CLI contract: kics-query". */
#define EXIT_NOT_FOUND	1	/* nothing found, or a failure */
#define EXIT_USAGE	2
#define EXIT_DAEMON	3	/* the control socket cannot be reached */
#define EXIT_ROLE	4	/* from the daemon: the caller's role refused */

#define CLI_DEFAULT_DATA_DIR	"/var/lib/kics-epp"
#define CLI_MAX_OPTS		16	/* options of one command */
#define CLI_MAX_POSITIONAL	LIMIT_DEVICE_SET_KEYS	/* positional
						   arguments (device set) */

/* --time: how *_ms values print. */
enum out_time {
	OUT_TIME_DEFAULT,	/* local time in tables, numbers elsewhere */
	OUT_TIME_MS,		/* unix milliseconds everywhere */
	OUT_TIME_ISO,		/* ISO 8601 with the zone everywhere */
	OUT_TIME_MAX
};

/*
 * A column of a table: the row column it shows, its header, and how it
 * gives way on a narrow terminal. OUT_KEEP columns (ids, names, addresses)
 * are never cut nor left out; the others shrink (text) or are left out,
 * the highest rank first.
 */
struct out_col {
	const char	*name;		/* NULL ends a list */
	const char	*header;
	int		rank;		/* OUT_KEEP, or 1.. (higher: gives way
					   sooner) */
};

#define OUT_KEEP	0

enum out_format {
	OUT_FORMAT_TABLE,
	OUT_FORMAT_JSON,
	OUT_FORMAT_CSV,
	OUT_FORMAT_DOT,		/* map export only */
	OUT_FORMAT_MAX
};

/*
 * What a command wants from the daemon's control socket. Its action and
 * least role are the row of engine/conf/role.h named like the command.
 */
enum cli_control {
	CLI_CONTROL_NONE,	/* reads the database only */
	CLI_CONTROL_ASK,	/* asks leave to read (a refusal is audited,
				   a lookup is not); reads anyway when the
				   daemon is not running */
	CLI_CONTROL_LIVE,	/* adds the daemon's live state if it answers */
	CLI_CONTROL_SEND,	/* the daemon does it; exit 3 when it cannot */
	CLI_CONTROL_MAX
};

struct cli_opt {
	const char	*name;		/* without "--"; NULL ends the list */
	bool		has_arg;
};

/* The argument of a list query, filled by the list's parser. */
struct cli_list_arg {
	union {
		struct query_devices_opts	devices;
		struct query_find_opts		find;
		struct query_events_opts	events;
		int64_t				limit;
		const char			*daemon_json;
	} u;			/* what the query reads; zero when unparsed */
	char		*daemon_json;	/* the daemon's answer, or NULL */
	const char	*device;	/* a device key to resolve, or NULL */
	int64_t		*device_id;	/* where its id goes (inside u) */
};

/* Reads the command's options into a; exits 2 on a usage error. */
typedef void cli_list_parse_fn(struct cli_list_arg *a);

/* A list command: what it queries and how a table shows it. */
struct cli_list {
	query_list_fn		*query;	/* called with &arg.u */
	cli_list_parse_fn	*parse;	/* NULL: no options */
	const struct out_col	*cols;	/* NULL: every column */
	const char		*what;	/* "no <what> found" */
};

struct cli_command;

/* Runs command c with the parsed arg_*; returns the exit status. */
typedef int cli_run_fn(const struct cli_command *c);

struct cli_command {
	const char		*name;		/* "device find" */
	enum cli_control	control;
	cli_run_fn		*run;		/* NULL: cli_list_run(list) */
	const struct cli_list	*list;		/* for run == NULL, or what
						   run lists */
	size_t			min_pos, max_pos; /* positional arguments */
	bool			dot;		/* takes --format dot */
	const char		*usage;		/* after "kics-query " */
	const char		*help;		/* what it does, its options */
	struct cli_opt		opts[CLI_MAX_OPTS]; /* index = arg_opt's */
};

/* The command table (commands.c), in the order of the main help. */
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;

/* Parsed command line (STYLE.md: the only globals besides logging). */
extern const char *arg_data_dir;
extern enum out_format arg_format;
extern bool arg_format_set;		/* --format was given */
extern enum out_time arg_time;		/* --time */
extern bool arg_wide;			/* --wide */
extern const char *arg_opt[CLI_MAX_OPTS];	/* values of options */
extern bool arg_flag[CLI_MAX_OPTS];	/* seen flags and options */
extern const char *arg_pos[CLI_MAX_POSITIONAL];
extern size_t arg_npos;
extern const struct cli_command *arg_command;	/* for messages */

/* --- parsing and dispatch (cli.c) --- */

/*
 * Parses argv into the arg_* globals (reset first) and returns the command
 * to run, a row of cli_commands. Prints the help and exits 0 for --help;
 * prints one line on stderr and exits 2 on a usage error.
 */
const struct cli_command *cli_parse(int argc, char **argv);

/* Parses argv and runs the command; returns the exit status. */
int cli_main(int argc, char **argv);

/* The row called name, or NULL. Borrowed from the static table. */
const struct cli_command *cli_command_find(const char *name);

/* Prints the main help (every command's usage) to f. */
void cli_main_help(FILE *f);

/* Prints the help of command c to stdout. */
void cli_help(const struct cli_command *c);

/* help [COMMAND]: the main help, a group's commands or one command's. */
cli_run_fn cli_help_run;

/*
 * The command nearest to the words typed (edit distance), for "did you
 * mean"; NULL when none is near. Borrowed from the static table.
 */
const char *cli_suggest(const char *typed);

/*
 * One line "kics-query: CMD: message (see ...)" on stderr, then exit 2.
 */
noreturn void cli_usage_error(const char *fmt, ...) KICS_PRINTF(1, 2);

/* One line "kics-query: message" on stderr; returns code. */
int cli_fail(int code, const char *fmt, ...) KICS_PRINTF(2, 3);

/* The value of option name of the current command, or NULL. Borrowed. */
const char *cli_opt(const char *name);
/* Whether the flag or option name was given. */
bool cli_flag(const char *name);
/*
 * The value of option name when it is one of allowed (NULL-terminated),
 * NULL when the option was not given; exit 2 listing the allowed values
 * otherwise.
 */
const char *cli_opt_enum(const char *name, const char *const *allowed);
/* v when one of allowed, else exit 2 naming --name and the values. */
void cli_check_enum(const char *name, const char *v,
    const char *const *allowed);
/* v as an integer in 1..max, or exit 2 naming option name. */
int64_t cli_parse_int(const char *name, const char *v, long long max);
/* --limit as a positive count, or dflt when not given; exit 2 if bad. */
int64_t cli_opt_limit(int64_t dflt);

/* --- reading the database (lookup.c) --- */

/* Opens the database of arg_data_dir, or exits 1 with the reason. */
struct query_db *cli_open_db(void);
/* Prints the failure r of a query on db; returns 2 or 1 for exit. */
int cli_db_fail(struct query_db *db, int r);
/* The id of device key; exits 2 when malformed, 1 when unknown. */
int64_t cli_resolve_device(struct query_db *db, const char *key);
/* Exits 2 when text looks like an address but is malformed. */
void cli_check_address(const char *text);
/* The time of option name relative to now, QUERY_TIME_NONE if not given;
 * exits 2 when it is malformed. */
int64_t cli_parse_time(const char *name, int64_t now);

/* Runs list command c in arg_format; exit 1 when nothing was found. */
int cli_list_run(const struct cli_command *c);

/* The option parsers of the lists with options. */
cli_list_parse_fn lookup_devices_parse;
cli_list_parse_fn lookup_find_parse;
cli_list_parse_fn lookup_events_parse;
cli_list_parse_fn lookup_audit_parse;

/* events: the list, or with --follow the events as they are stored. */
cli_run_fn lookup_events;
/* events --follow (follow.c): polls until SIGINT or SIGTERM, exit 0. */
cli_run_fn follow_events;

/* Commands with their own output. */
cli_run_fn lookup_map_export;	/* map_cli.c */
cli_run_fn lookup_map_render;	/* map_cli.c */
cli_run_fn lookup_rules_test;
cli_run_fn show_device;		/* show.c */
cli_run_fn show_status;		/* show.c */

/* --- the daemon's control socket (admin.c) --- */

/*
 * Sends req; returns 0 with *ret_reply filled (freed with
 * query_control_reply_fini()) when the daemon answered OK, or the exit
 * code after one line on stderr: 3 unreachable, 4 role refused, else the
 * daemon's status. With soft, an unreachable daemon returns -1 silently.
 */
int cli_control_call(const Kics__Control__V1__Request *req, bool soft,
    struct query_control_reply *ret_reply);
/*
 * Asks the daemon whether the caller may run lookup c (the daemon audits
 * it). Returns 0 to go on (also when the daemon is not reachable, after a
 * note), else the exit code. When ret_json is not NULL and the daemon
 * answered with JSON (what only it knows, e.g. listener states), sets
 * *ret_json to it (freed with free()); else leaves it.
 */
int cli_control_allow(const struct cli_command *c, char **ret_json);

/* Administrative commands: check the arguments, send, print the reply. */
cli_run_fn admin_device_set;
cli_run_fn admin_server_add;
cli_run_fn admin_server_edit;
cli_run_fn admin_server_id;	/* enable, disable, remove */
cli_run_fn admin_package_create;
cli_run_fn admin_user_add;
cli_run_fn admin_user_remove;
cli_run_fn admin_connector;	/* connector add|edit|remove|test */
cli_run_fn admin_plain;		/* no arguments: rules reload */
cli_run_fn admin_agent_id;	/* agent reset, agent remove */
cli_run_fn admin_traffic_import;	/* traffic import (issue 13) */

/* --- printers (output.c) --- */

struct out_style {
	bool	colour;		/* ANSI colour: a terminal and no NO_COLOR */
	bool	utf8;		/* the locale's charset is UTF-8 */
	size_t	width;		/* terminal columns */
};

/* Fills s from stdout, $NO_COLOR, $COLUMNS and the terminal size. */
void out_style_init(struct out_style *s);

/*
 * Prints t as aligned columns fitting s->width (unless --wide): cols names
 * the columns to show, their headers and ranks (NULL: every column not
 * starting with '_', ids, names and addresses kept whole). Times (*_ms)
 * print as --time says. Returns 0 or -EIO.
 */
int out_table(FILE *out, const struct out_style *s,
    const struct query_table *t, const struct out_col *cols);

/* The UTF-8 byte order mark every CSV output starts with. */
void out_csv_begin(FILE *out);

/*
 * Writes the columns of row not starting with '_' as one RFC 4180 CSV
 * line (CRLF, quoted where needed, times as --time says), or their names
 * when header.
 */
void out_csv_row(FILE *out, const struct query_row *row, bool header);

/* Writes one CSV field (quoted when needed) followed by sep. */
void out_csv_field(FILE *out, const char *v, const char *sep);

/*
 * The text of a value for CSV: *_ms integers as ISO 8601 with --time iso,
 * else v->text. Returns a pointer to v->text or to buf.
 */
const char *out_csv_value(const char *name, const struct query_value *v,
    char *buf, size_t len);

/*
 * json with every number under a key ending in "_ms" written as an ISO
 * 8601 string when --time iso (else a copy). Freed with free(); NULL when
 * out of memory.
 */
char *out_json_time(const char *json);

/*
 * The one output of every list: a query writes into query (rows into a
 * table for a table, the JSON text for JSON; CSV rows go to stdout as
 * they come), out_sink_print prints what it got.
 */
struct out_sink {
	enum out_format		format;
	struct query_table	*table;	/* table: the rows, owned */
	char			*json;	/* JSON: the text, owned */
	size_t			rows;	/* CSV: rows written */
	struct query_sink	query;	/* what the query writes to */
};

/*
 * Prepares k for format. Returns 0, or -ENOMEM; k can be given to
 * out_sink_fini() either way.
 */
int out_sink_init(struct out_sink *k, enum out_format format);
/* Frees what k collected. */
void out_sink_fini(struct out_sink *k);
/*
 * Prints what k collected to out: the JSON text as it is, CSV always, a
 * table only when it has rows. *ret_count is the number of rows (for
 * JSON, 0 for "[]" and 1 otherwise). Returns 0, or -EIO when the table or
 * CSV cannot be written.
 */
int out_sink_print(FILE *out, const struct out_sink *k,
    const struct out_col *cols, size_t *ret_count);

#endif
