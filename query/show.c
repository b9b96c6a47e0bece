/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the two kics-query commands that print one document
 * in sections rather than a list: device show and status, as "key value"
 * pairs and tables, as section,row,field,value CSV, or as their JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "role.h"

/* The row numbers of one section of the section,row,field,value CSV. */
struct show_csv {
	const char	*section;
	size_t		row;
	bool		nested;		/* leave arrays and objects out */
};

/*
 * Prints the scalar members of a row as "key  value" lines, times (*_ms)
 * as local time; nested arrays and objects are sections of their own.
 */
static int
show_pairs(void *ctx, const struct query_row *row)
{
	char buf[40];

	(void)ctx;
	for (size_t i = 0; i < row->ncols; i++) {
		const struct query_value *v = &row->values[i];
		const char *text = v->text != NULL ? v->text : "-";
		size_t n = strlen(row->names[i]);

		if (v->type == QUERY_TYPE_TEXT && (text[0] == '[' ||
		    text[0] == '{'))
			continue;
		if (v->type == QUERY_TYPE_INT && n > 3 &&
		    strcmp(row->names[i] + n - 3, "_ms") == 0 &&
		    arg_time != OUT_TIME_MS && (arg_time == OUT_TIME_ISO ?
		    query_time_format_iso(v->i, buf, sizeof(buf)) :
		    query_time_format(v->i, buf, sizeof(buf))) == 0)
			text = buf;
		(void)printf("  %-16s %s\n", row->names[i], text);
	}
	return 0;
}

/* One row as CSV lines section,row,field,value, one per value. */
static int
show_csv_row(void *ctx, const struct query_row *row)
{
	struct show_csv *sc = ctx;
	char idx[32], buf[40];

	(void)snprintf(idx, sizeof(idx), "%zu", sc->row++);
	for (size_t i = 0; i < row->ncols; i++) {
		const char *v = out_csv_value(row->names[i], &row->values[i],
		    buf, sizeof(buf));

		/* Arrays and objects come as sections of their own. */
		if (sc->nested && v != NULL &&
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

/*
 * Prints "\ntitle" and the rows at path of json as a table, or "  none".
 * Returns 0 or the failure of query_json_rows() or out_table().
 */
static int
show_section(struct query_db *db, const char *json, const char *path,
    const char *title, const struct out_style *s)
{
	struct query_table *t;
	int r;

	if ((t = query_table_new()) == NULL)
		return -ENOMEM;
	(void)printf("\n%s\n", title);
	r = query_json_rows(db, json, path, query_table_add_row, t);
	if (r == 0 && t->nrows == 0)
		(void)printf("  none\n");
	else if (r == 0)
		r = out_table(stdout, s, t, NULL);
	query_table_free(t);
	return r;
}

static int
device_csv(struct query_db *db, const char *json)
{
	static const char *const parts[] = { "$", "device", "$.attributes",
	    "attribute", "$.addresses", "address", "$.applications",
	    "application", "$.agent", "agent", "$.peers", "peer", "$.events",
	    "event", NULL };
	int r;

	out_csv_begin(stdout);
	(void)fputs("section,row,field,value\r\n", stdout);
	for (size_t i = 0; parts[i] != NULL; i += 2) {
		struct show_csv sc = { parts[i + 1], 0, i == 0 };

		/* -EINVAL: a null agent, which has no rows. */
		r = query_json_rows(db, json, parts[i], show_csv_row, &sc);
		if (r < 0 && r != -EINVAL)
			return r;
	}
	return 0;
}

static int
device_table(struct query_db *db, const char *json)
{
	static const char *const sections[] = {
		"$.attributes", "Attributes (value, source, time)",
		"$.addresses", "Addresses",
		"$.applications", "EPP applications",
		"$.peers", "Peers",
		"$.events", "Last events",
		NULL };
	struct out_style s;
	int r;

	out_style_init(&s);
	(void)printf("Device\n");
	if ((r = query_json_rows(db, json, "$", show_pairs, NULL)) < 0)
		return r;
	(void)printf("\nAgent\n");
	r = query_json_rows(db, json, "$.agent", show_pairs, NULL);
	if (r == -EINVAL)
		(void)printf("  none\n");
	else if (r < 0)
		return r;
	for (size_t i = 0; sections[i] != NULL; i += 2)
		if ((r = show_section(db, json, sections[i], sections[i + 1],
		    &s)) < 0)
			return r;
	return 0;
}

/* Prints json (times as --time says) and a newline; 0 or -ENOMEM. */
static int
print_json(const char *json)
{
	char *t = out_json_time(json);

	if (t == NULL)
		return -ENOMEM;
	(void)printf("%s\n", t);
	free(t);
	return 0;
}

int
show_device(const struct cli_command *c)
{
	struct query_db *db;
	char *json = NULL;
	int64_t id;
	int r;

	(void)c;
	cli_check_address(arg_pos[0]);
	db = cli_open_db();
	id = cli_resolve_device(db, arg_pos[0]);
	if ((r = query_device_show(db, id, &json)) < 0) {
		r = cli_db_fail(db, r);
		goto out;
	}
	if (arg_format == OUT_FORMAT_JSON)
		r = print_json(json);
	else if (arg_format == OUT_FORMAT_CSV)
		r = device_csv(db, json);
	else
		r = device_table(db, json);
	if (r < 0)
		r = cli_db_fail(db, r);
out:
	free(json);
	query_db_free(db);
	return r;
}

/* The daemon's live status as pairs and its listeners as a table. */
static void
status_daemon_table(struct query_db *db, const char *live)
{
	struct out_style s;

	out_style_init(&s);
	(void)printf("Daemon\n");
	if (query_json_rows(db, live, "$", show_pairs, NULL) == 0) {
		(void)show_section(db, live, "$.listeners", "Listeners", &s);
		(void)show_section(db, live, "$.udp_receivers",
		    "UDP receivers", &s);
		/* -EINVAL: a daemon from before the statistics */
		(void)printf("\nGroup commit\n");
		if (query_json_rows(db, live, "$.writer", show_pairs,
		    NULL) < 0)
			(void)printf("  none\n");
	} else
		(void)printf("\nListeners\n");
	(void)printf("\n");
}

/*
 * status as section,row,field,value CSV: every section the table shows,
 * the daemon's live status and listeners when it answered, then the
 * database counts, the integration servers and the SIEM connectors.
 */
static int
status_csv(struct query_db *db, const char *live, const char *json)
{
	static const struct {
		const char	*path;
		const char	*section;
		bool		live;
	} parts[] = {
		{ "$", "daemon", true }, { "$.listeners", "listener", true },
		{ "$.writer", "writer", true },
		{ "$", "status", false }, { "$.servers", "server", false },
		{ "$.connectors", "connector", false },
	};
	int r;

	out_csv_begin(stdout);
	(void)fputs("section,row,field,value\r\n", stdout);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct show_csv sc = { parts[i].section, 0,
		    strcmp(parts[i].path, "$") == 0 };

		if (parts[i].live && live == NULL)
			continue;
		/* -EINVAL: an empty or missing section, no rows */
		r = query_json_rows(db, parts[i].live ? live : json,
		    parts[i].path, show_csv_row, &sc);
		if (r < 0 && r != -EINVAL)
			return r;
	}
	return 0;
}

/* The database part of status; returns 0 or a negative errno. */
static int
status_database(struct query_db *db, const char *json)
{
	struct out_style s;
	int r;

	out_style_init(&s);
	(void)printf("Database\n");
	if ((r = query_json_rows(db, json, "$", show_pairs, NULL)) < 0) {
		(void)printf("\nIntegration servers\n");
		return r;
	}
	if ((r = show_section(db, json, "$.servers", "Integration servers",
	    &s)) < 0)
		return r;
	return show_section(db, json, "$.connectors", "SIEM connectors", &s);
}

/* {"daemon": live status or null, database fields...}; 0 or -ENOMEM. */
static int
status_json(const char *live, const char *json)
{
	size_t n = strlen(json) + (live != NULL ? strlen(live) : 4) + 16;
	char *doc = malloc(n);
	int r;

	if (doc == NULL)
		return -ENOMEM;
	(void)snprintf(doc, n, "{\"daemon\":%s,%s", live != NULL ? live :
	    "null", json + 1);
	r = print_json(doc);
	free(doc);
	return r;
}

int
show_status(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	struct query_control_reply live = { 0 };
	struct query_db *db;
	char *json = NULL;
	int r;

	req.action = role_action_by_name(c->name)->action;
	/* An unreachable daemon (-1) still leaves the database to show. */
	if ((r = cli_control_call(&req, true, &live)) > 0)
		return r;
	db = cli_open_db();
	if ((r = query_status_json(db, live.json, &json)) < 0) {
		r = cli_db_fail(db, r);
		goto out;
	}
	if (live.json == NULL)
		(void)fprintf(stderr, "kics-query: note: the daemon's live "
		    "status is not available (daemon not reachable); showing "
		    "the database '%s' only\n", query_db_path(db));
	if (arg_format == OUT_FORMAT_JSON)
		r = status_json(live.json, json);
	else if (arg_format == OUT_FORMAT_CSV)
		r = status_csv(db, live.json, json);
	else {
		if (live.json != NULL)
			status_daemon_table(db, live.json);
		r = status_database(db, json);
	}
	/* -EINVAL: a section missing from the document, not a failure. */
	r = r < 0 && r != -EINVAL ? cli_db_fail(db, r) : 0;
out:
	query_control_reply_fini(&live);
	free(json);
	query_db_free(db);
	return r;
}
