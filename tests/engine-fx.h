/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fixture of the engine tests: an engine over a real SQLite file in a
 * temporary directory, and a read-only connection beside it that reads the
 * result back as renderers would.
 */
#ifndef KICS_ENGINE_FX_H
#define KICS_ENGINE_FX_H

#include <sqlite3.h>

#include "engine.h"
#include "report-build.h"

#define TCP KICS__EPP__V1__CONNECTION__PROTOCOL__TCP
#define UDP KICS__EPP__V1__CONNECTION__PROTOCOL__UDP
#define OUT KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND
#define IN KICS__EPP__V1__CONNECTION__DIRECTION__INBOUND

struct fx {
	char			*dir;
	char			*path;
	struct event_types	*types;
	struct engine		*e;
	sqlite3			*db;	/* a reader, as renderers would be */
};

/* Opens f on a new temporary directory with cfg (defaults: fx_open). */
void fx_open_cfg(struct fx *f, const struct engine_config *cfg);
void fx_open(struct fx *f);
/* Closes f and removes its directory. */
void fx_close(struct fx *f);
/* Applies r alone at now_ms (now: fx_apply) and returns its status. */
enum report_status fx_apply_at(struct fx *f, rb_report *r, long long now_ms);
enum report_status fx_apply(struct fx *f, rb_report *r);
/* The first column of the first row of sql as an integer (-1: no row). */
long long q_int(struct fx *f, const char *sql);
/* Like q_int on the connection db; aborts, naming sql, if it fails. */
long long q_int_db(sqlite3 *db, const char *sql);
/* Runs sql on db; aborts with SQLite's message if it fails. */
void exec_db(sqlite3 *db, const char *sql);
/* Like q_int on a read-only connection to path of its own. */
long long q_int_path(const char *path, const char *sql);
/* DIR/kics-epp.db, the database path in dir; the caller frees it. */
char *db_path(const char *dir);
/* Like q_int for text; the caller frees the result (NULL: no row/NULL). */
char *q_text(struct fx *f, const char *sql);
/* Aborts unless sql gives the text want. */
void check_text(struct fx *f, const char *sql, const char *want);
/* The device holding address value (-1: none). */
long long holder(struct fx *f, const char *value);
/* From now on every update of a devices row adds its id to t_updates. */
void count_device_updates(struct fx *f);
/* Makes every interaction on port 9999 fail, as a storage error would. */
void fx_fail_port_9999(struct fx *f);
/*
 * Applies agent's report seq at at, with one outbound TCP connection to
 * ip (its MAC mac, or none) on port, and returns its status.
 */
enum report_status fx_connect(struct fx *f, const char *agent, uint64_t seq,
    const char *ip, const char *mac, int port, long long at);
/* Sum of row counts of every table, to prove nothing changed. */
long long all_rows(struct fx *f);
/* A report of agent with host information, one interface and one EPP app. */
rb_report *host_report(const char *agent, uint64_t seq, const char *mac,
    const char *ip);
/* Applies host_report(agent, seq, mac, ip) at at_ms; aborts unless it was
   committed. */
void apply_host(struct fx *f, const char *agent, uint64_t seq,
    const char *mac, const char *ip, long long at_ms);

/*
 * Fixtures kept as a database file (the query tests and their --fill DIR
 * mode): a fill function writes the data through an engine open at now_ms.
 */
typedef void fx_fill_fn(struct engine *e, long long now_ms);
/* Applies r alone at now_ms, aborts unless it was committed, frees r. */
void fx_commit(struct engine *e, rb_report *r, long long now_ms);
/*
 * Creates DIR/kics-epp.db with the default configuration and event types,
 * writes it with fill at the current time and closes it; aborts on error.
 */
void fx_fill_dir(const char *dir, fx_fill_fn *fill);

#endif
