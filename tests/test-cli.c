/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of kics-query's command line without a database or a daemon: the
 * command table agrees with engine/conf/role.h and is complete, the option
 * parser fills arg_*, and usage errors exit 2 with one line on stderr.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "role.h"
#include "testutil.h"

#define ACTION_SCAN	256	/* past the last action of control.proto */
#define ERR_MAX		4096	/* stderr of one child */

/* argv of kics-query with the given arguments. */
#define ARGV(...)	((const char *[]){ "kics-query", __VA_ARGS__, NULL })

static int
argc_of(const char **argv)
{
	int n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

/*
 * Runs cli_parse (parse_only) or cli_main on argv in a child with stdout
 * to /dev/null; returns its exit status and its stderr in err.
 */
static int
run_child(bool parse_only, const char **argv, char err[ERR_MAX])
{
	int fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	(void)fflush(stdout);
	(void)fflush(stderr);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		CHECK(freopen("/dev/null", "w", stdout) != NULL);
		CHECK(dup2(fds[1], STDERR_FILENO) == STDERR_FILENO);
		(void)close(fds[0]);
		if (parse_only) {
			(void)cli_parse(argc_of(argv), (char **)argv);
			_exit(0);
		}
		exit(cli_main(argc_of(argv), (char **)argv));
	}
	(void)close(fds[1]);
	while (len < ERR_MAX - 1 &&
	    (n = read(fds[0], err + len, ERR_MAX - 1 - len)) > 0)
		len += (size_t)n;
	err[len] = '\0';
	(void)close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Every row is complete: a usage naming it, help, one way to run. */
static void
test_rows_complete(void)
{
	CHECK(cli_ncommands > 0);
	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];
		size_t nopts = 0;

		CHECK(c->name != NULL && c->usage != NULL && c->help != NULL);
		CHECK(strncmp(c->usage, c->name, strlen(c->name)) == 0);
		CHECK(c->help[0] != '\0');
		CHECK(c->help[strlen(c->help) - 1] == '\n');
		/* a run of its own may use the list (events --follow) */
		CHECK(c->run != NULL || c->list != NULL);
		if (c->list != NULL)
			CHECK(c->list->query != NULL && c->list->what != NULL);
		CHECK(c->min_pos <= c->max_pos);
		CHECK(c->max_pos <= CLI_MAX_POSITIONAL);
		CHECK(c->control < CLI_CONTROL_MAX);
		while (nopts < CLI_MAX_OPTS && c->opts[nopts].name != NULL)
			nopts++;
		/* the last slot stays NULL: it ends the option list */
		CHECK(nopts < CLI_MAX_OPTS);
		CHECK(cli_command_find(c->name) == c);
	}
}

/* A command that talks to the daemon has its action in role.h. */
static void
test_rows_have_actions(void)
{
	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];
		const struct role_action *ra = role_action_by_name(c->name);

		if (c->control == CLI_CONTROL_NONE) {
			CHECK(ra == NULL);
			continue;
		}
		CHECK(ra != NULL);
		CHECK(role_action_find(ra->action) == ra);
		CHECK(ra->role == ROLE_OPERATOR ||
		    ra->role == ROLE_ADMINISTRATOR);
	}
}

/* And every action of role.h has its command. */
static void
test_actions_have_rows(void)
{
	size_t found = 0;

	for (int a = 0; a < ACTION_SCAN; a++) {
		const struct role_action *ra =
		    role_action_find((Kics__Control__V1__Action)a);
		const struct cli_command *c;

		if (ra == NULL)
			continue;
		found++;
		CHECK((c = cli_command_find(ra->name)) != NULL);
		CHECK(c->control != CLI_CONTROL_NONE);
	}
	CHECK(found > 0);
}

static void
test_parse_options(void)
{
	const char **argv = ARGV("--data-dir", "/nonexistent", "devices",
	    "--limit=5", "--format", "json", "--epp", "none");
	const struct cli_command *c;

	c = cli_parse(argc_of(argv), (char **)argv);
	CHECK(strcmp(c->name, "devices") == 0);
	CHECK(strcmp(arg_data_dir, "/nonexistent") == 0);
	CHECK(arg_format == OUT_FORMAT_JSON && arg_format_set);
	CHECK(strcmp(cli_opt("limit"), "5") == 0);
	CHECK(strcmp(cli_opt("epp"), "none") == 0);
	CHECK(cli_opt("status") == NULL);
	CHECK(cli_opt("no-such-option") == NULL);
	CHECK_EQ(cli_opt_limit(7), 5);
	CHECK_EQ(arg_npos, 0);
}

static void
test_parse_positional(void)
{
	const char **find = ARGV("device", "find", "--", "-x");
	const char **disable = ARGV("--format=csv", "server", "disable", "3",
	    "--force");
	const struct cli_command *c;

	c = cli_parse(argc_of(find), (char **)find);
	CHECK(strcmp(c->name, "device find") == 0);
	CHECK_EQ(arg_npos, 1);
	CHECK(strcmp(arg_pos[0], "-x") == 0);
	/* a second parse starts from nothing */
	CHECK(arg_format == OUT_FORMAT_TABLE && !arg_format_set);
	c = cli_parse(argc_of(disable), (char **)disable);
	CHECK(strcmp(c->name, "server disable") == 0);
	CHECK(c->control == CLI_CONTROL_SEND);
	CHECK(arg_format == OUT_FORMAT_CSV);
	CHECK(strcmp(arg_pos[0], "3") == 0);
	CHECK(cli_flag("force"));
	CHECK(!cli_flag("verify-client"));
	CHECK_EQ(cli_opt_limit(7), 7);
}

/* argv is a usage error: exit 2 with one line naming what is wrong. */
static void
usage_error(const char **argv, const char *words)
{
	char err[ERR_MAX];

	CHECK_EQ(run_child(true, argv, err), EXIT_USAGE);
	CHECK(strncmp(err, "kics-query: ", 12) == 0);
	CHECK(strstr(err, words) != NULL);
	CHECK(strchr(err, '\n') == err + strlen(err) - 1);
}

static void
test_usage_errors(void)
{
	usage_error(ARGV("--bogus"), "unknown option '--bogus'");
	usage_error(ARGV("devices", "--bogus"), "unknown option '--bogus'");
	usage_error(ARGV("devices", "-x"), "unknown option '-x'");
	usage_error(ARGV("nosuch"), "unknown command 'nosuch'");
	usage_error(ARGV("device"), "'device' needs a subcommand");
	usage_error(ARGV("device", "bogus"), "unknown command 'device bogus'");
	usage_error(ARGV(NULL), "missing command");
	usage_error(ARGV("devices", "extra"), "unexpected argument 'extra'");
	usage_error(ARGV("device", "show"), "missing argument");
	usage_error(ARGV("devices", "--limit"), "'--limit' needs a value");
	usage_error(ARGV("server", "disable", "1", "--force=1"),
	    "'--force' takes no value");
	usage_error(ARGV("--format", "xml", "devices"),
	    "invalid --format 'xml' (use table, json or csv)");
	usage_error(ARGV("devices", "--time", "utc"),
	    "invalid --time 'utc' (use ms or iso)");
	usage_error(ARGV("devices", "--wide=1"), "'--wide' takes no value");
	/* issue 12: the nearest command is suggested */
	usage_error(ARGV("devcies"),
	    "unknown command 'devcies'; did you mean 'devices'?");
	usage_error(ARGV("evnets"),
	    "unknown command 'evnets'; did you mean 'events'?");
	usage_error(ARGV("device", "fnd", "x"),
	    "unknown command 'device fnd'; did you mean 'device find'?");
	usage_error(ARGV("devcie"),
	    "unknown command 'devcie'; did you mean 'device'?");
	usage_error(ARGV("zzzzzz"), "unknown command 'zzzzzz' (see");
	usage_error(ARGV("devices", "--format", "dot"),
	    "--format dot is only for map export");
	usage_error(ARGV("--data-dir"), "'--data-dir' needs a value");
}

/* Errors found by the command's own checks, before any database. */
static void
test_command_usage_errors(void)
{
	const char **cases[] = {
		ARGV("--data-dir", "/nonexistent", "devices", "--limit", "0"),
		ARGV("--data-dir", "/nonexistent", "devices", "--epp", "x"),
		ARGV("--data-dir", "/nonexistent", "device", "find",
		    "1.2.3.400"),
		ARGV("--data-dir", "/nonexistent", "events", "--since", "x"),
		ARGV("--data-dir", "/nonexistent", "audit", "--limit", "-1"),
		ARGV("--data-dir", "/nonexistent", "map", "export", "--format",
		    "csv"),
		ARGV("--data-dir", "/nonexistent", "user", "add", "bob",
		    "--role", "x"),
		ARGV("--data-dir", "/nonexistent", "server", "add"),
		ARGV("--data-dir", "/nonexistent", "device", "set", "1"),
		ARGV("--data-dir", "/nonexistent", "rules", "test"),
		/* issue 12: enumerated values and the new filters */
		ARGV("--data-dir", "/nonexistent", "devices", "--security",
		    "high"),
		ARGV("--data-dir", "/nonexistent", "devices", "--status",
		    "gone"),
		ARGV("--data-dir", "/nonexistent", "devices", "--subnet",
		    "10.0.0.1/8"),
		ARGV("--data-dir", "/nonexistent", "devices", "--subnet",
		    "nonsense"),
		ARGV("--data-dir", "/nonexistent", "devices", "--since",
		    "yesterday"),
		ARGV("--data-dir", "/nonexistent", "events", "--severity",
		    "loud"),
		ARGV("--data-dir", "/nonexistent", "events", "--follow",
		    "--reverse"),
		ARGV("--data-dir", "/nonexistent", "device", "find",
		    "10.0.0.1/8"),
		ARGV("--data-dir", "/nonexistent", "help", "nosuch"),
	};
	char err[ERR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(run_child(false, cases[i], err), EXIT_USAGE);
	/* A well-formed lookup of a missing database finds nothing. */
	CHECK_EQ(run_child(false, ARGV("--data-dir", "/nonexistent",
	    "devices"), err), EXIT_NOT_FOUND);
	CHECK(strstr(err, "/nonexistent") != NULL);
	/* And an administrative command without a daemon: exit 3. */
	CHECK_EQ(run_child(false, ARGV("--data-dir", "/nonexistent",
	    "rules", "reload"), err), EXIT_DAEMON);
}

static void
test_help(void)
{
	char err[ERR_MAX];

	CHECK_EQ(run_child(true, ARGV("--help"), err), 0);
	CHECK_EQ(run_child(true, ARGV("device", "--help"), err), 0);
	/* issue 12: kics-query help [COMMAND] */
	CHECK_EQ(run_child(false, ARGV("help"), err), 0);
	CHECK_EQ(run_child(false, ARGV("help", "devices"), err), 0);
	CHECK_EQ(run_child(false, ARGV("help", "device"), err), 0);
	CHECK_EQ(run_child(false, ARGV("help", "device", "find"), err), 0);
	CHECK(err[0] == '\0');
	CHECK_EQ(run_child(false, ARGV("help", "devcies"), err), EXIT_USAGE);
	CHECK(strstr(err, "did you mean 'devices'?") != NULL);
	for (size_t i = 0; i < cli_ncommands; i++) {
		char name[64], *sub;

		(void)snprintf(name, sizeof(name), "%s", cli_commands[i].name);
		if ((sub = strchr(name, ' ')) != NULL)
			*sub++ = '\0';
		CHECK_EQ(run_child(true, sub != NULL ? ARGV(name, sub,
		    "--help") : ARGV(name, "-h"), err), 0);
		CHECK(err[0] == '\0');
	}
}

/* An unknown value of an enumerated option lists the allowed ones. */
static void
test_enum_messages(void)
{
	const struct {
		const char	**argv;
		const char	*msg;
	} cases[] = {
		{ ARGV("--data-dir", "/nonexistent", "devices", "--security",
		    "high"), "invalid --security 'high' (use ok, warning or "
		    "critical)" },
		{ ARGV("--data-dir", "/nonexistent", "devices", "--epp", "x"),
		    "invalid --epp 'x' (use none, connected or disconnected)" },
		{ ARGV("--data-dir", "/nonexistent", "events", "--severity",
		    "loud"), "invalid --severity 'loud' (use info, warning or "
		    "critical)" },
		{ ARGV("--data-dir", "/nonexistent", "devices", "--subnet",
		    "10.1.2.3/16"), "'10.1.2.3/16' has host bits set; did you "
		    "mean 10.1.0.0/16?" },
		{ ARGV("--data-dir", "/nonexistent", "device", "find",
		    "2001:db8::1/32"), "'2001:db8::1/32' has host bits set; "
		    "did you mean 2001:db8::/32?" },
	};
	char err[ERR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(run_child(false, cases[i].argv, err), EXIT_USAGE);
		if (strstr(err, cases[i].msg) == NULL)
			(void)fprintf(stderr, "got: %s", err);
		CHECK(strstr(err, cases[i].msg) != NULL);
	}
}

int
main(void)
{
	(void)unsetenv("KICS_DATA_DIR");
	RUN(test_rows_complete);
	RUN(test_rows_have_actions);
	RUN(test_actions_have_rows);
	RUN(test_parse_options);
	RUN(test_parse_positional);
	RUN(test_usage_errors);
	RUN(test_command_usage_errors);
	RUN(test_help);
	RUN(test_enum_messages);
	(void)fprintf(stderr, "test-cli: all passed\n");
	return 0;
}
