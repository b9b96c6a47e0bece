/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's lookups: the one runner of every list
 * command (devices, device find, events, map nodes and edges, the
 * administration tables, rules list), the option parsers of the lists
 * that take options and rules test.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "cli.h"

#define AUDIT_LIMIT	100	/* default records of audit */
#define LOOKUP_FOLLOW_LIMIT 10	/* events shown before following */
#define RULES_ERR_LEN	4096	/* every error of one rules file */

struct query_db *
cli_open_db(void)
{
	char err[QUERY_ERRMSG_LEN];
	struct query_db *db;

	if (query_db_open(arg_data_dir, err, sizeof(err), &db) < 0) {
		(void)cli_fail(0, "%s", err);
		exit(EXIT_NOT_FOUND);
	}
	return db;
}

int
cli_db_fail(struct query_db *db, int r)
{
	return cli_fail(r == -EINVAL ? EXIT_USAGE : EXIT_NOT_FOUND, "%s",
	    r == -ENOMEM ? "out of memory" : query_db_errmsg(db));
}

int64_t
cli_resolve_device(struct query_db *db, const char *key)
{
	int64_t id;
	int r;

	if ((r = query_device_resolve(db, key, &id)) < 0) {
		r = cli_db_fail(db, r);
		query_db_free(db);
		exit(r);
	}
	return id;
}

void
cli_check_address(const char *text)
{
	char buf[ADDR_TEXT_MAX], why[QUERY_ERRMSG_LEN];

	if (query_address_classify(text, buf, sizeof(buf)) < 0 &&
	    strchr(text, '/') != NULL &&
	    query_subnet_check(text, why, sizeof(why)) < 0)
		cli_usage_error("malformed network: %s", why);
	/* Name the kind of address the text seems to be meant as. */
	if (query_address_classify(text, buf, sizeof(buf)) < 0)
		cli_usage_error("malformed %s address '%s'",
		    strchr(text, '-') != NULL || strchr(text, '.') == NULL ||
		    strlen(text) == 14 ? "MAC or IP" : "IP", text);
}

int
cli_list_run(const struct cli_command *c)
{
	const struct cli_list *l = c->list;
	struct query_db *db = NULL;
	struct cli_list_arg a;
	struct out_sink k;
	size_t n;
	int r;

	memset(&a, 0, sizeof(a));
	if (l->parse != NULL)
		l->parse(&a);
	if (c->control == CLI_CONTROL_ASK &&
	    (r = cli_control_allow(c, &a.daemon_json)) != 0)
		return r;
	/* lists without options read what the daemon said, if anything */
	if (l->parse == NULL)
		a.u.daemon_json = a.daemon_json;
	if (out_sink_init(&k, arg_format) < 0) {
		r = cli_fail(EXIT_NOT_FOUND, "out of memory");
		goto out;
	}
	db = cli_open_db();
	if (a.device != NULL)
		*a.device_id = cli_resolve_device(db, a.device);
	if ((r = l->query(db, &a.u, &k.query)) < 0) {
		r = cli_db_fail(db, r);
		goto out;
	}
	if (out_sink_print(stdout, &k, l->cols, &n) < 0) {
		r = cli_fail(EXIT_NOT_FOUND, "cannot write the output");
		goto out;
	}
	r = 0;
	if (n == 0) {
		/* JSON and CSV say "nothing" by being empty. */
		if (arg_format == OUT_FORMAT_TABLE)
			(void)fprintf(stderr, "kics-query: no %s found\n",
			    l->what);
		r = EXIT_NOT_FOUND;
	}
out:
	out_sink_fini(&k);
	query_db_free(db);
	free(a.daemon_json);
	return r;
}

int64_t
cli_parse_time(const char *name, int64_t now)
{
	const char *v = cli_opt(name);
	int64_t ms;

	if (v == NULL)
		return QUERY_TIME_NONE;
	if (query_time_parse(v, now, &ms) < 0)
		cli_usage_error("invalid time '%s' for --%s (use YYYY-MM-DD, "
		    "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM|-HH:MM], now, or an age "
		    "such as 30m, 24h, 7d)", v, name);
	return ms;
}

void
lookup_devices_parse(struct cli_list_arg *a)
{
	static const char *const epp[] = { "none", "connected",
	    "disconnected", NULL };
	static const char *const status[] = { "authorized", "unauthorized",
	    "archived", NULL };
	static const char *const security[] = { "ok", "warning", "critical",
	    NULL };
	struct query_devices_opts *o = &a->u.devices;
	char why[QUERY_ERRMSG_LEN];

	o->limit = cli_opt_limit(0);
	o->epp = cli_opt_enum("epp", epp);
	o->status = cli_opt_enum("status", status);
	o->security = cli_opt_enum("security", security);
	if ((o->category = cli_opt("category")) != NULL &&
	    *o->category == '\0')
		cli_usage_error("empty --category");
	if ((o->subnet = cli_opt("subnet")) != NULL &&
	    query_subnet_check(o->subnet, why, sizeof(why)) < 0)
		cli_usage_error("invalid --subnet: %s", why);
	o->since_ms = cli_parse_time("since", clock_wall_ms());
}

int
lookup_events(const struct cli_command *c)
{
	if (cli_flag("follow")) {
		if (cli_flag("reverse"))
			cli_usage_error("--follow prints in the order events "
			    "are stored; --reverse does not apply");
		return follow_events(c);
	}
	return cli_list_run(c);
}

void
lookup_find_parse(struct cli_list_arg *a)
{
	struct query_find_opts *o = &a->u.find;

	o->limit = cli_opt_limit(0);
	o->text = arg_pos[0];
	if (*o->text == '\0')
		cli_usage_error("empty QUERY");
	cli_check_address(o->text);
}

void
lookup_events_parse(struct cli_list_arg *a)
{
	static const char *const severity[] = { "info", "warning",
	    "critical", NULL };
	struct query_events_opts *o = &a->u.events;
	int64_t now = clock_wall_ms();
	const char *v;

	query_events_opts_init(o);
	o->limit = cli_opt_limit(cli_flag("follow") ? LOOKUP_FOLLOW_LIMIT :
	    QUERY_EVENTS_LIMIT);
	o->reverse = cli_flag("reverse");
	if ((v = cli_opt_enum("severity", severity)) != NULL)
		o->min_severity = query_severity_parse(v);
	if ((v = cli_opt("code")) != NULL)
		o->code = cli_parse_int("code", v, INT64_MAX);
	o->since_ms = cli_parse_time("since", now);
	o->until_ms = cli_parse_time("until", now);
	if ((o->search = cli_opt("search")) != NULL && *o->search == '\0')
		cli_usage_error("empty --search");
	if ((v = cli_opt("device")) != NULL) {
		cli_check_address(v);
		/* Resolved by the runner once the database is open. */
		a->device = v;
		a->device_id = &o->device_id;
	}
}

void
lookup_audit_parse(struct cli_list_arg *a)
{
	a->u.limit = cli_opt_limit(AUDIT_LIMIT);
}

int
lookup_rules_test(const struct cli_command *c)
{
	static const struct out_col cols[] = {
		{ "matched", "MATCHED RULES", OUT_KEEP },
		{ "severity", "SEVERITY", 1 }, { "title", "TITLE", 3 },
		{ "tags", "TAGS", 4 }, { "stored", "STORED", 2 },
		{ NULL, NULL, 0 } };
	const char *file = cli_opt("file"), *event = cli_opt("event-json");
	char err[RULES_ERR_LEN] = "";
	struct out_sink k;
	size_t n;
	int r;

	(void)c;
	if (file == NULL || event == NULL)
		cli_usage_error("--file and --event-json are required");
	if (out_sink_init(&k, arg_format) < 0) {
		out_sink_fini(&k);
		return cli_fail(EXIT_NOT_FOUND, "out of memory");
	}
	r = query_rules_test(file, event, k.query.fn, k.query.ctx,
	    k.query.ret_json, err, sizeof(err));
	/* A bad event is the caller's mistake, a bad rules file is not. */
	if (r == -EINVAL && strncmp(err, "--event-json", 12) == 0) {
		out_sink_fini(&k);
		cli_usage_error("%s", err);
	}
	if (r < 0) {
		(void)fprintf(stderr, "%s\n", err);
		r = cli_fail(EXIT_NOT_FOUND, "rules test: '%s' was not "
		    "applied", file);
	} else if (out_sink_print(stdout, &k, cols, &n) < 0)
		r = cli_fail(EXIT_NOT_FOUND, "cannot write the output");
	out_sink_fini(&k);
	return r;
}
