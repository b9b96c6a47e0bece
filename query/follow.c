/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains events --follow: the last events, then each event the
 * daemon stores, polled over the read-only connection (in WAL mode a
 * reader never blocks the writer), until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define FOLLOW_POLL_MS	250	/* between two looks for new events */

static volatile sig_atomic_t follow_stop;

static void
follow_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

/* How one event prints while following. */
struct follow_out {
	bool		header;		/* the table or CSV header is out */
	struct out_style style;
};

/* The text of column name of row; "-" for NULL or a missing column. */
static const char *
col(const struct query_row *row, const char *name)
{
	for (size_t c = 0; c < row->ncols; c++)
		if (strcmp(row->names[c], name) == 0)
			return row->values[c].text != NULL ?
			    row->values[c].text : "-";
	return "-";
}

/* The occurred time of row as --time says (local time by default). */
static const char *
occurred(const struct query_row *row, char *buf, size_t len)
{
	int64_t ms = strtoll(col(row, "occurred_at_ms"), NULL, 10);

	if (arg_time == OUT_TIME_MS)
		return col(row, "occurred_at_ms");
	if ((arg_time == OUT_TIME_ISO ? query_time_format_iso(ms, buf, len) :
	    query_time_format(ms, buf, len)) < 0)
		return col(row, "occurred_at_ms");
	return buf;
}

/*
 * One event as one line: never cut, so that a terminal wraps rather than
 * loses the end of a title.
 */
static int
follow_row(void *ctx, const struct query_row *row)
{
	struct follow_out *f = ctx;
	char t[40];

	if (arg_format == OUT_FORMAT_JSON) {
		char *json = out_json_time(row->values[0].text);

		if (json == NULL)
			return -ENOMEM;
		(void)printf("%s\n", json);
		free(json);
	} else if (arg_format == OUT_FORMAT_CSV) {
		if (!f->header)
			out_csv_row(stdout, row, true);
		out_csv_row(stdout, row, false);
	} else {
		if (!f->header)
			(void)printf("ID  OCCURRED  SEVERITY  DEVICE  IP  "
			    "CODE  TITLE\n");
		(void)printf("%s  %s  %s  %s  %s  %s  %s\n",
		    col(row, "event_id"), occurred(row, t, sizeof(t)),
		    col(row, "severity"), col(row, "_device_name"),
		    col(row, "_device_ip"), col(row, "code"),
		    col(row, "title"));
	}
	f->header = true;
	return ferror(stdout) ? -EIO : 0;
}

/* Sleeps FOLLOW_POLL_MS unless a signal came. */
static void
follow_sleep(void)
{
	struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };

	if (!follow_stop)
		(void)nanosleep(&ts, NULL);
}

static void
follow_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = follow_signal;
	(void)sigemptyset(&sa.sa_mask);
	/*
	 * SA_RESTART keeps a write of stdout from failing with EINTR;
	 * nanosleep() is never restarted (signal(7)): the sleep ends at once.
	 */
	sa.sa_flags = SA_RESTART;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
}

int
follow_events(const struct cli_command *c)
{
	struct cli_list_arg a;
	struct follow_out f;
	struct query_db *db;
	int64_t last = 0, upto;
	bool json = arg_format == OUT_FORMAT_JSON;
	int r;

	memset(&a, 0, sizeof(a));
	memset(&f, 0, sizeof(f));
	c->list->parse(&a);
	db = cli_open_db();
	if (a.device != NULL)
		*a.device_id = cli_resolve_device(db, a.device);
	follow_signals();
	if (arg_format == OUT_FORMAT_CSV)
		out_csv_begin(stdout);
	if ((r = query_events_last_id(db, &upto)) == 0)
		r = query_events_after(db, &a.u.events, 0, upto,
		    a.u.events.limit, json, follow_row, &f);
	for (last = upto; r == 0 && !follow_stop; last = upto) {
		(void)fflush(stdout);
		follow_sleep();
		if ((r = query_events_last_id(db, &upto)) == 0 &&
		    upto > last)
			r = query_events_after(db, &a.u.events, last, upto, 0,
			    json, follow_row, &f);
	}
	(void)fflush(stdout);
	if (r < 0)
		r = r == -EIO && ferror(stdout) ? cli_fail(EXIT_NOT_FOUND,
		    "cannot write the output") : cli_db_fail(db, r);
	query_db_free(db);
	return r;
}
