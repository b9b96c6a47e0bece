/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's map commands with filters: map export
 * (JSON or DOT, per interaction or per device pair) and map render (an
 * SVG or PNG picture drawn with Graphviz's library).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "cli.h"

#define DEPTH_MAX	100	/* --depth: further is the whole network */

/* Reads the filter options; the device key is resolved once db is open. */
static void
map_filter_parse(struct query_map_filter *f, const char **ret_device)
{
	const char *v, *device = cli_opt("device");
	char why[QUERY_ERRMSG_LEN], *end;
	long long n;

	query_map_filter_init(f);
	if ((v = cli_opt("subnet")) != NULL) {
		if (query_subnet_check(v, why, sizeof(why)) < 0)
			cli_usage_error("invalid --subnet: %s", why);
		f->subnet = v;
	}
	f->epp_only = cli_flag("epp-only");
	f->since_ms = cli_parse_time("since", clock_wall_ms());
	if ((v = cli_opt("depth")) != NULL) {
		if (device == NULL)
			cli_usage_error("--depth needs --device");
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 0 ||
		    n > DEPTH_MAX)
			cli_usage_error("invalid --depth '%s' (0 to %d)", v,
			    DEPTH_MAX);
		f->depth = n;
	}
	if (device != NULL)
		cli_check_address(device);
	*ret_device = device;
}

/*
 * JSON export with --time iso: written whole into memory, then its *_ms
 * values rewritten as ISO 8601 text.
 */
static int
export_json_iso(struct query_db *db, const struct query_map_filter *f,
    bool aggregate)
{
	char *json = NULL, *iso = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	if ((mem = open_memstream(&json, &len)) == NULL)
		return -ENOMEM;
	r = query_map_export(db, f, QUERY_MAP_JSON, aggregate, mem);
	if (fclose(mem) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0 && (iso = out_json_time(json)) == NULL)
		r = -ENOMEM;
	if (r == 0)
		(void)fputs(iso, stdout);
	free(iso);
	free(json);
	return r;
}

int
lookup_map_export(const struct cli_command *c)
{
	static const char *const aggregate[] = { "pairs", NULL };
	const char *device, *agg = cli_opt_enum("aggregate", aggregate);
	struct query_map_filter f;
	struct query_db *db;
	int r;

	(void)c;
	if (arg_format_set && arg_format != OUT_FORMAT_JSON &&
	    arg_format != OUT_FORMAT_DOT)
		cli_usage_error("map export takes --format json or dot");
	map_filter_parse(&f, &device);
	db = cli_open_db();
	if (device != NULL)
		f.device_id = cli_resolve_device(db, device);
	/* Streamed: the document can be larger than one string should be. */
	if (arg_format != OUT_FORMAT_DOT && arg_time == OUT_TIME_ISO)
		r = export_json_iso(db, &f, agg != NULL);
	else
		r = query_map_export(db, &f, arg_format == OUT_FORMAT_DOT ?
		    QUERY_MAP_DOT : QUERY_MAP_JSON, agg != NULL, stdout);
	if (r < 0)
		r = cli_db_fail(db, r);
	query_db_free(db);
	return r;
}

/* Whether file names a picture kics-query can draw. */
static bool
picture_name(const char *file)
{
	const char *dot = strrchr(file, '.');

	return dot != NULL && strchr(dot, '/') == NULL &&
	    (strcasecmp(dot, ".svg") == 0 || strcasecmp(dot, ".png") == 0);
}

int
lookup_map_render(const struct cli_command *c)
{
	const char *device, *file = cli_opt("out");
	struct query_render_stats st;
	struct query_map_filter f;
	struct query_db *db;
	int r;

	(void)c;
	if (arg_format_set)
		cli_usage_error("map render takes no --format: the picture "
		    "format follows the name of --out");
	if (file == NULL)
		cli_usage_error("--out FILE.svg or --out FILE.png is required");
	if (!picture_name(file))
		cli_usage_error("cannot tell the picture format of '%s' (use "
		    "a name ending in .svg or .png)", file);
	map_filter_parse(&f, &device);
	db = cli_open_db();
	if (device != NULL)
		f.device_id = cli_resolve_device(db, device);
	if ((r = query_map_render(db, &f, file, &st)) < 0) {
		r = cli_db_fail(db, r);
	} else {
		(void)printf("%s: %zu device%s, %zu device pair%s (%s "
		    "layout)\n", file, st.nodes, st.nodes == 1 ? "" : "s",
		    st.pairs, st.pairs == 1 ? "" : "s", st.layout);
		r = 0;
	}
	query_db_free(db);
	return r;
}
