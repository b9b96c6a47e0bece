/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark of the engine: applies N synthetic reports (host info, 10
 * events and CONNECTIONS connections each, 4 in 5 of them bidirectional)
 * to a fresh database, and in the same run writes the same work into the
 * same schema with the fewest plain statements (issue 17: a tight lower
 * bound): the same event rows (each after the lookup of its id by key
 * that finds a repeat), the full-text rows of a transaction with one
 * INSERT … SELECT, and the same interactions as plain UPSERTs in key
 * order, through the store's VFS with the engine's settings. The engine
 * does all that and more (agents, devices, peers, its own events), so a
 * ratio above 1 means the baseline wastes work. Both files must end with
 * the same event rows, full-text rows and interactions. The two sides
 * take turns of TURN_REPORTS reports, so that both see the same moments
 * of a shared machine. Prints both rates, the time per report and their
 * ratio; the goal is an engine rate of at least 85 % of the raw one.
 *
 * With RULES > 0 it also runs the engine with that many loaded rules
 * beside the engine without rules (issue 6: at most 10 % slower).
 *
 * usage: bench-engine [REPORTS [REPORTS_PER_BATCH [RULES [CONNECTIONS]]]]
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-fx.h"
#include "engine.h"
#include "rules.h"
#include "strbuf.h"
#include "report-build.h"
#include "store.h"
#include "stmt-profile.h"
#include "store_vfs.h"
#include "testutil.h"

#define EVENTS_PER_REPORT	10
#define AGENTS			500
#define PEERS			2000	/* remote addresses of all agents */
#define ROUNDS			3
#define TURN_REPORTS		1000	/* a side's turn in a round */

static int arg_conns = 20;	/* connections per report */

static const char *const categories[] = {
	"network_attack", "untrusted_device", "unauthorized_application",
	"prohibited_file_operation", "file_modified", "firewall_blocked",
	"threat_detected", "protection_disabled", "bases_outdated",
	"scan_completed",
};

/*
 * The code, title and severity the engine gives each of categories[]
 * (conf/event-types.yaml), so that the raw side writes the same rows.
 */
static const struct {
	long long	code;
	const char	*title;
	int		severity;
} raw_types[] = {
	{ 4000005500, "Activity specific for network attacks", 2 },
	{ 4000005501, "Connection of an untrusted external device", 2 },
	{ 4000005502, "Attempt to run an unauthorized or untrusted "
	    "application", 2 },
	{ 4000005503, "Prohibited file operation in the specified monitoring "
	    "scope", 2 },
	{ 4000005504, "Files in the specified monitoring scope are modified",
	    2 },
	{ 4000005505, "Network connection not allowed by firewall rules", 1 },
	{ 4900005506, "Threat detected", 3 },
	{ 4900005507, "Protection disabled", 2 },
	{ 4900005508, "Anti-malware databases are out of date", 2 },
	{ 4900005509, "Scan completed", 1 },
};

static rb_report *
make_report(int n, uint64_t *seqs)
{
	int agent = n % AGENTS;
	char id[64], mac[32], ip[32], desc[256], host[32];
	rb_report *r;

	(void)snprintf(id, sizeof(id), "5f0c%04x-0000-4000-8000-%012d", agent,
	    agent);
	r = rb_new(id, ++seqs[agent]);
	(void)snprintf(mac, sizeof(mac), "02:00:00:00:%02x:%02x",
	    (agent >> 8) & 0xff, agent & 0xff);
	(void)snprintf(ip, sizeof(ip), "10.10.%d.%d", agent / 250,
	    agent % 250 + 1);
	(void)snprintf(host, sizeof(host), "ENG-WS-%04d", agent);
	(void)rb_host(r, host, "Windows 10 Enterprise", "10.0.19045", mac, ip);
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	/* bases are updated daily, not between two reports */
	r->applications[0]->bases_date_ms = 1795000000000LL;
	for (int i = 0; i < EVENTS_PER_REPORT; i++) {
		char eid[32];

		(void)snprintf(eid, sizeof(eid), "%d-%d", n, i);
		(void)snprintf(desc, sizeof(desc), "Detected suspicious "
		    "activity %d on %s while process svchost.exe accessed "
		    "C:\\ProgramData\\Siemens\\WinCC\\project%d.mcp", n * 10 + i,
		    host, i);
		(void)rb_event(r, eid, categories[i % 10], desc);
	}
	for (int i = 0; i < arg_conns; i++) {
		char rip[32];
		int peer = (agent * 7 + i * 13) % PEERS;

		(void)snprintf(rip, sizeof(rip), "192.168.%d.%d", peer / 250,
		    peer % 250 + 1);
		(void)rb_conn(r, i % 3 == 2 ? 2 : 1, i % 2 ? 1 : 2, rip, NULL,
		    i % 2 ? 502 : 443, 10 + (uint64_t)i,
		    i % 5 == 4 ? 0 : 9 + (uint64_t)i);
	}
	return r;
}

static char *
db_in(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	CHECK(p != NULL);
	(void)sprintf(p, "%s/%s", dir, name);
	return p;
}

/*
 * n rules of the kinds a plant writes: most look at category, device
 * networks, host names and text and do not match; every tenth tags.
 */
static struct rules *
make_rules(int n)
{
	struct strbuf y;
	struct rules *rules = NULL;
	struct diag *d = diag_new();

	CHECK(d != NULL);
	strbuf_init(&y);
	(void)strbuf_append(&y, "rules:\n");
	for (int i = 0; i < n; i++) {
		(void)strbuf_printf(&y, "  - name: rule-%d\n    match:\n", i);
		switch (i % 5) {
		case 0:
			(void)strbuf_printf(&y, "      category: [%s, %s]\n"
			    "      device: 172.%d.0.0/16\n", categories[i % 10],
			    categories[(i + 3) % 10], 16 + i % 16);
			break;
		case 1:
			(void)strbuf_printf(&y, "      text: \"*wincc%d*\"\n",
			    i);
			break;
		case 2:
			(void)strbuf_printf(&y, "      device: \"hmi-%d-*\"\n"
			    "      severity: \">=warning\"\n", i);
			break;
		case 3:
			(void)strbuf_printf(&y, "      product: \"*Symantec*\"\n"
			    "      code: %lld\n", (i % 10 < 6 ? 4000005500LL :
			    4900005500LL) + i % 10);
			break;
		default:
			(void)strbuf_printf(&y, "      attribute: { site: "
			    "plant-%d }\n", i);
			break;
		}
		if (i % 10 == 9)
			(void)strbuf_printf(&y, "    tags: [seen-%d]\n", i);
		else
			(void)strbuf_printf(&y, "    set: { severity: "
			    "critical }\n");
	}
	if (n > 0)
		(void)strbuf_append(&y, "  - name: everything\n"
		    "    tags: [bench]\n");
	CHECK(y.error == 0);
	if (rules_load_string("bench-rules.yaml", strbuf_str(&y), y.len, d,
	    &rules) < 0) {
		for (size_t i = 0; i < diag_count(d); i++)
			(void)fprintf(stderr, "%s\n", diag_get(d, i));
		abort();
	}
	strbuf_fini(&y);
	diag_free(d);
	return rules;
}

/* The engine's side of a round: its database and its time so far. */
struct engine_side {
	struct event_types	*types;
	struct engine		*e;
	struct engine_report	*er;
	double			 wall, cpu;
};

static void
engine_side_open(struct engine_side *es, const char *path, int batch,
    struct rules *rules)
{
	struct engine_config cfg;
	struct diag *d = diag_new();

	memset(es, 0, sizeof(*es));
	es->er = calloc((size_t)batch, sizeof(*es->er));
	CHECK(d != NULL && es->er != NULL);
	CHECK_EQ(event_types_load_default(d, &es->types), 0);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(path, &cfg, es->types, &es->e), 0);
	engine_set_rules(es->e, rules);
	diag_free(d);
}

/* Applies reports[from … to) in transactions of batch. */
static void
engine_side_run(struct engine_side *es, rb_report **reports, int from,
    int to, int batch)
{
	double t0 = bench_wall_s(), c0 = bench_cpu_s();

	stmt_profile_side(0, "engine");
	for (int i = from; i < to; i += batch) {
		int k = to - i < batch ? to - i : batch;

		for (int j = 0; j < k; j++) {
			es->er[j].report = reports[i + j];
			es->er[j].server_id = 0;
		}
		(void)bench_apply(es->e, es->er, (size_t)k, testutil_now_ms());
	}
	es->cpu += bench_cpu_s() - c0;
	es->wall += bench_wall_s() - t0;
	stmt_profile_ran(0, bench_wall_s() - t0);
}

static void
engine_side_close(struct engine_side *es)
{
	engine_free(es->e);
	event_types_free(es->types);
	free(es->er);
}

/*
 * Inserts the events of report rep of agent, each after the lookup by key
 * (migration 0010) that would find a repeat (seen), as the engine: a
 * plain INSERT … VALUES, as an INSERT … SELECT that reads events would
 * go through a temporary table. Notes in *first the rowid of the
 * transaction's first event, from which raw_fts() indexes them.
 */
static void
raw_events(sqlite3 *db, sqlite3_stmt *seen, sqlite3_stmt *ins,
    const rb_report *rep, int agent, long long now, int64_t *first)
{
	for (size_t x = 0; x < rep->n_events; x++) {
		Kics__Epp__V1__EppEvent *ev = rep->events[x];
		int64_t key = store_event_key(ev->event_id);

		(void)sqlite3_reset(seen);
		(void)sqlite3_bind_int(seen, 1, agent + 1);
		(void)sqlite3_bind_int64(seen, 2, key);
		/* every id is new: a repeat found would be a broken key */
		while (sqlite3_step(seen) == SQLITE_ROW)
			CHECK(strcmp((const char *)sqlite3_column_text(seen,
			    0), ev->event_id) != 0);
		(void)sqlite3_reset(ins);
		(void)sqlite3_bind_text(ins, 1, ev->event_id, -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_int64(ins, 2, ev->occurred_at_ms);
		(void)sqlite3_bind_int64(ins, 3, now);
		(void)sqlite3_bind_int64(ins, 4, raw_types[x % 10].code);
		(void)sqlite3_bind_text(ins, 14, raw_types[x % 10].title, -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_int(ins, 15, raw_types[x % 10].severity);
		(void)sqlite3_bind_text(ins, 5, ev->category, -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_text(ins, 6, ev->product, -1, SQLITE_STATIC);
		(void)sqlite3_bind_text(ins, 7, ev->description, -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_text(ins, 8, ev->object_path, -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_text(ins, 9, ev->threat_name, -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_text(ins, 10, ev->user_name, -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_int64(ins, 11, key);
		(void)sqlite3_bind_int(ins, 12, agent + 1);
		(void)sqlite3_bind_text(ins, 13, rep->host->hostname, -1,
		    SQLITE_STATIC);
		CHECK(sqlite3_step(ins) == SQLITE_DONE);
		if (*first == 0)
			*first = sqlite3_last_insert_rowid(db);
	}
}

/* The full-text rows of the transaction's events, from rowid first on. */
static void
raw_fts(sqlite3_stmt *fts, int64_t first)
{
	(void)sqlite3_reset(fts);
	(void)sqlite3_bind_int64(fts, 1, first);
	CHECK(sqlite3_step(fts) == SQLITE_DONE);
}

/* An interaction to upsert, its key first. */
struct raw_interaction {
	long long	src, dst;
	const char	*protocol;
	int		port;
	long long	first, last, packets, bytes;
};

/* The interactions table's key order (integers, then text as BINARY). */
static int
raw_interaction_cmp(const void *x, const void *y)
{
	const struct raw_interaction *a = x, *b = y;
	int c;

	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	if (a->dst != b->dst)
		return a->dst < b->dst ? -1 : 1;
	if ((c = strcmp(a->protocol, b->protocol)) != 0)
		return c;
	return (a->port > b->port) - (a->port < b->port);
}

/*
 * Adds the interactions of report rep of agent to in[*n …), by the
 * engine's rules (bidirectional connections only; initiator → responder;
 * the responder's port, 0 for ICMP). Raw's devices are agents 1 …
 * AGENTS and then the peers: a peer's id comes from its address, without
 * SQL.
 */
static void
raw_interactions(struct raw_interaction *in, size_t *n, const rb_report *rep,
    int agent, long long now)
{
	static const char *const protocols[] = { NULL, "tcp", "udp", "icmp" };

	for (size_t x = 0; x < rep->n_connections; x++) {
		Kics__Epp__V1__Connection *k = rep->connections[x];
		struct raw_interaction *i = &in[*n];
		int a, b;
		long long peer, self = agent + 1;
		bool out = k->direction ==
		    KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND;

		if (k->packets_sent == 0 || k->packets_received == 0)
			continue;
		CHECK(sscanf(k->remote_address, "192.168.%d.%d", &a, &b) == 2);
		peer = AGENTS + a * 250 + b;
		i->src = out ? self : peer;
		i->dst = out ? peer : self;
		i->protocol = protocols[k->protocol];
		i->port = k->protocol ==
		    KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP ? 0 :
		    (int)(out ? k->remote_port : k->local_port);
		i->last = k->last_seen_ms > 0 && k->last_seen_ms <= now ?
		    k->last_seen_ms : now;
		i->first = k->first_seen_ms > 0 && k->first_seen_ms <= i->last ?
		    k->first_seen_ms : i->last;
		i->packets = (long long)(k->packets_sent + k->packets_received);
		i->bytes = (long long)(k->bytes_sent + k->bytes_received);
		(*n)++;
	}
}

/*
 * Upserts in[0 … n) in key order, so that each search starts near the
 * last one's pages, as the engine writes a transaction's interactions.
 * No two of a batch share a key here (every report of a batch is from
 * another agent), so there is nothing to merge first.
 */
static void
raw_upsert(sqlite3_stmt *up, struct raw_interaction *in, size_t n)
{
	qsort(in, n, sizeof(in[0]), raw_interaction_cmp);
	for (size_t x = 0; x < n; x++) {
		CHECK(x == 0 || raw_interaction_cmp(&in[x - 1], &in[x]) < 0);
		(void)sqlite3_reset(up);
		(void)sqlite3_bind_int64(up, 1, in[x].src);
		(void)sqlite3_bind_int64(up, 2, in[x].dst);
		(void)sqlite3_bind_text(up, 3, in[x].protocol, -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_int(up, 4, in[x].port);
		(void)sqlite3_bind_int64(up, 5, in[x].first);
		(void)sqlite3_bind_int64(up, 6, in[x].last);
		(void)sqlite3_bind_int64(up, 7, in[x].packets);
		(void)sqlite3_bind_int64(up, 8, in[x].bytes);
		CHECK(sqlite3_step(up) == SQLITE_DONE);
	}
}

/*
 * The raw side's connection: the schema of store_open() (the real
 * migrations), the store's VFS and the engine's settings, its foreign
 * keys enforced and no mutexes (the engine's connection is one thread's:
 * SQLite's default serialized mode cost the raw side 30,000 instructions
 * a report that the engine does not spend); 2,500 devices.
 */
static sqlite3 *
raw_open(const char *path)
{
	struct store *s = NULL;
	sqlite3 *db;

	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	store_free(s);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, store_vfs_name()) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA foreign_keys = ON; "
	    "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = FULL; PRAGMA cache_size = -49152; "
	    "PRAGMA secure_delete = OFF; PRAGMA temp_store = MEMORY; "
	    "PRAGMA wal_autocheckpoint = 10000; "
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 2500) INSERT INTO devices (source, created_ms, "
	    "last_seen_ms) SELECT 'epp', 0, 0 FROM n; "
	    "INSERT INTO agents (id, agent_id, device_id, first_contact_ms, "
	    "last_contact_ms) SELECT id, 'raw-' || id, id, 0, 0 FROM devices "
	    "WHERE id <= 500", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(AGENTS + PEERS == 2500);
	return db;
}

/*
 * The raw side of a round: the same event rows, full-text rows and
 * interactions with the fewest plain statements, same batch size, as the
 * engine writes them: an event is the lookup of its key and an INSERT,
 * the full-text rows of a transaction one INSERT … SELECT before COMMIT,
 * an interaction one UPSERT, in key order.
 */
struct raw_side {
	sqlite3			*db;
	sqlite3_stmt		*seen, *ins, *fts, *up;
	struct raw_interaction	*in;
	long long		 now;
	double			 wall, cpu;
};

static void
raw_side_open(struct raw_side *rs, const char *path, int batch)
{
	sqlite3 *db = raw_open(path);

	memset(rs, 0, sizeof(*rs));
	rs->db = db;
	rs->in = calloc((size_t)batch * (size_t)arg_conns + 1,
	    sizeof(*rs->in));
	rs->now = testutil_now_ms();
	CHECK(rs->in != NULL);
	CHECK(sqlite3_prepare_v2(db, "SELECT event_id FROM events WHERE "
	    "agent_ref = ?1 AND event_key = ?2", -1, &rs->seen, NULL) ==
	    SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO events (event_id, "
	    "agent_ref, device_id, occurred_at_ms, registered_at_ms, code, "
	    "title, severity, technology, category, product, agent_title, "
	    "description, object_path, threat_name, user_name, hostname, "
	    "attributes, tags, event_key) VALUES (?1, ?12, ?12, ?2, ?3, ?4, "
	    "?14, ?15, 'epp', ?5, ?6, NULL, ?7, ?8, ?9, ?10, ?13, NULL, '[]', "
	    "?11)", -1, &rs->ins, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO events_fts (rowid, title, "
	    "description, object_path, threat_name, user_name, hostname) "
	    "SELECT id, title, description, object_path, threat_name, "
	    "user_name, hostname FROM events WHERE id >= ?1", -1, &rs->fts,
	    NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO interactions (src_device_id, "
	    "dst_device_id, protocol, port, source, first_seen_ms, "
	    "last_seen_ms, packets, bytes) VALUES (?1, ?2, ?3, ?4, 'epp', ?5, "
	    "?6, ?7, ?8) ON CONFLICT (src_device_id, dst_device_id, protocol, "
	    "port, source) DO UPDATE SET "
	    "first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms), "
	    "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms), "
	    "packets = packets + excluded.packets, "
	    "bytes = bytes + excluded.bytes", -1, &rs->up, NULL) == SQLITE_OK);
}

/* Writes the work of reports[from … to) in transactions of batch. */
static void
raw_side_run(struct raw_side *rs, rb_report **reports, int from, int to,
    int batch)
{
	double t0 = bench_wall_s(), c0 = bench_cpu_s();

	stmt_profile_side(1, "raw");
	for (int i = from; i < to; i += batch) {
		int k = to - i < batch ? to - i : batch;
		int64_t first = 0;
		size_t n_in = 0;

		CHECK(sqlite3_exec(rs->db, "BEGIN", NULL, NULL, NULL) ==
		    SQLITE_OK);
		for (int j = i; j < i + k; j++) {
			raw_events(rs->db, rs->seen, rs->ins, reports[j],
			    j % AGENTS, rs->now, &first);
			raw_interactions(rs->in, &n_in, reports[j], j % AGENTS,
			    rs->now);
		}
		raw_upsert(rs->up, rs->in, n_in);
		if (first != 0)
			raw_fts(rs->fts, first);
		CHECK(sqlite3_exec(rs->db, "COMMIT", NULL, NULL, NULL) ==
		    SQLITE_OK);
	}
	rs->cpu += bench_cpu_s() - c0;
	rs->wall += bench_wall_s() - t0;
	stmt_profile_ran(1, bench_wall_s() - t0);
}

static void
raw_side_close(struct raw_side *rs)
{
	(void)sqlite3_finalize(rs->seen);
	(void)sqlite3_finalize(rs->ins);
	(void)sqlite3_finalize(rs->fts);
	(void)sqlite3_finalize(rs->up);
	(void)sqlite3_close(rs->db);
	free(rs->in);
}

/* What a side wrote: events, their full-text rows, interactions. */
struct work {
	long long	events;
	long long	fts_rows;
	long long	epp_events;	/* the reports' events */
	long long	epp_digest;	/* sums over their columns */
	long long	interactions;
	long long	packets;	/* sum over interactions */
};

/* The work in the file at path. */
static void
count_work(const char *path, struct work *ret)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	/* the device ids differ: raw's come from the agent's number */
	CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM events), "
	    "(SELECT COUNT(*) FROM events_fts_docsize), "
	    "(SELECT COUNT(*) FROM events WHERE technology = 'epp'), "
	    "(SELECT SUM(event_key % 1000003 + agent_ref + code % 1000 + "
	    "severity + length(event_id) + length(title) + length(hostname) + "
	    "length(description)) FROM events WHERE technology = 'epp'), "
	    "COUNT(*), COALESCE(SUM(packets), 0) FROM interactions", -1, &st,
	    NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	ret->events = sqlite3_column_int64(st, 0);
	ret->fts_rows = sqlite3_column_int64(st, 1);
	ret->epp_events = sqlite3_column_int64(st, 2);
	ret->epp_digest = sqlite3_column_int64(st, 3);
	ret->interactions = sqlite3_column_int64(st, 4);
	ret->packets = sqlite3_column_int64(st, 5);
	(void)sqlite3_finalize(st);
	(void)sqlite3_close(db);
}

/*
 * Both sides must have written the same work: the same rows for the
 * events of the n reports (the engine adds its own, such as a new
 * device's), each in the full-text index, and the same interactions.
 */
static void
check_same_work(const char *p_raw, const char *p_engine, int n)
{
	struct work raw, engine;

	count_work(p_raw, &raw);
	count_work(p_engine, &engine);
	CHECK_EQ(raw.events, (long long)n * EVENTS_PER_REPORT);
	CHECK_EQ(raw.epp_events, raw.events);
	CHECK_EQ(engine.epp_events, raw.epp_events);
	CHECK_EQ(engine.epp_digest, raw.epp_digest);
	CHECK_EQ(raw.fts_rows, raw.events);
	CHECK_EQ(engine.fts_rows, engine.events);
	CHECK_EQ(raw.interactions, engine.interactions);
	CHECK_EQ(raw.packets, engine.packets);
}

/* The turn of a side in a round: reports it applies before the other's. */
static int
chunk_of(int batch)
{
	return batch * (TURN_REPORTS / batch > 0 ? TURN_REPORTS / batch : 1);
}

/*
 * A round of the engine against the raw side on fresh files: each applies
 * the next chunk of reports in turn, the one that goes first alternating,
 * so that both see the same moments of a shared machine.
 */
static void
round_engine_raw(const char *dir, int round, rb_report **reports, int n,
    int batch, double *ret_te, double *ret_ce, double *ret_tr,
    double *ret_cr)
{
	char name[32], *p_raw, *p_engine;
	struct engine_side es;
	struct raw_side rs;
	int chunk = chunk_of(batch);

	(void)snprintf(name, sizeof(name), "raw-%d.db", round);
	p_raw = db_in(dir, name);
	(void)snprintf(name, sizeof(name), "engine-%d.db", round);
	p_engine = db_in(dir, name);
	raw_side_open(&rs, p_raw, batch);
	engine_side_open(&es, p_engine, batch, NULL);
	for (int from = 0, turn = 0; from < n; from += chunk, turn++) {
		int to = n - from < chunk ? n : from + chunk;

		if (turn % 2 == 0)
			raw_side_run(&rs, reports, from, to, batch);
		engine_side_run(&es, reports, from, to, batch);
		if (turn % 2 == 1)
			raw_side_run(&rs, reports, from, to, batch);
	}
	raw_side_close(&rs);
	engine_side_close(&es);
	check_same_work(p_raw, p_engine, n);
	*ret_te = es.wall;
	*ret_ce = es.cpu;
	*ret_tr = rs.wall;
	*ret_cr = rs.cpu;
	free(p_raw);
	free(p_engine);
}

/* A round of the engine without rules against the engine with them. */
static void
round_rules(const char *dir, int round, rb_report **reports, int n,
    int batch, struct rules *rules, double *ret_without, double *ret_with)
{
	char name[32], *p_without, *p_with;
	struct engine_side without, with;
	int chunk = chunk_of(batch);

	(void)snprintf(name, sizeof(name), "norules-%d.db", round);
	p_without = db_in(dir, name);
	(void)snprintf(name, sizeof(name), "rules-%d.db", round);
	p_with = db_in(dir, name);
	engine_side_open(&without, p_without, batch, NULL);
	engine_side_open(&with, p_with, batch, rules);
	for (int from = 0, turn = 0; from < n; from += chunk, turn++) {
		int to = n - from < chunk ? n : from + chunk;

		if (turn % 2 == 0)
			engine_side_run(&without, reports, from, to, batch);
		engine_side_run(&with, reports, from, to, batch);
		if (turn % 2 == 1)
			engine_side_run(&without, reports, from, to, batch);
	}
	engine_side_close(&without);
	engine_side_close(&with);
	*ret_without = without.wall;
	*ret_with = with.wall;
	free(p_without);
	free(p_with);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5000;
	int batch = argc > 2 ? atoi(argv[2]) : 100;
	int n_rules = argc > 3 ? atoi(argv[3]) : 0;
	char *dir = testutil_mkdtemp();
	rb_report **reports = calloc((size_t)n, sizeof(*reports));
	uint64_t *seqs = calloc(AGENTS, sizeof(*seqs));
	double te, tr, ce, cr, events = (double)n * EVENTS_PER_REPORT;
	double ratio[ROUNDS], rate_engine[ROUNDS], rate_raw[ROUNDS];
	double cpu_ratio[ROUNDS], med_engine, med_raw;

	if (argc > 4)
		arg_conns = atoi(argv[4]);
	CHECK(n > 0 && batch > 0 && reports != NULL && seqs != NULL);
	CHECK(arg_conns >= 0 && arg_conns <= 100);
	for (int i = 0; i < n; i++)
		reports[i] = make_report(i, seqs);
	/*
	 * Each round is on fresh files, and the median of the per-round
	 * ratios is reported: a ratio measured side by side, in turns of
	 * TURN_REPORTS, survives what absolute rates on a noisy shared
	 * machine do not.
	 */
	for (int round = 0; round < ROUNDS; round++) {
		round_engine_raw(dir, round, reports, n, batch, &te, &ce, &tr,
		    &cr);
		ratio[round] = tr / te;
		cpu_ratio[round] = cr / ce;
		rate_engine[round] = events / te;
		rate_raw[round] = events / tr;
		(void)printf("round %d: engine %.0f events/s (%.1f us/report), "
		    "raw %.0f events/s (%.1f us/report), ratio %.2f\n",
		    round + 1, events / te, te * 1e6 / n, events / tr,
		    tr * 1e6 / n, tr / te);
		(void)printf("round %d: CPU engine %.1f us/report, raw %.1f "
		    "us/report, ratio %.2f\n", round + 1, ce * 1e6 / n,
		    cr * 1e6 / n, cr / ce);
	}
	med_engine = bench_median(rate_engine, ROUNDS);
	med_raw = bench_median(rate_raw, ROUNDS);
	(void)printf("reports: %d (%d events, %d connections each), "
	    "%d per transaction, %d rounds in turns of %d reports\n", n,
	    EVENTS_PER_REPORT, arg_conns, batch, ROUNDS, chunk_of(batch));
	(void)printf("engine: %.0f events/s, %.1f us/report (median)\n",
	    med_engine, events / med_engine * 1e6 / n);
	(void)printf("raw insert + FTS5 + interaction upserts: %.0f events/s, "
	    "%.1f us/report (median)\n", med_raw, events / med_raw * 1e6 / n);
	(void)printf("ratio engine/raw: %.2f (median of rounds; goal >= "
	    "0.85)\n", bench_median(ratio, ROUNDS));
	(void)printf("ratio of CPU time raw/engine: %.2f (median of rounds)\n",
	    bench_median(cpu_ratio, ROUNDS));
	stmt_profile_print((long long)n * ROUNDS);
	if (n_rules > 0) {
		struct rules *rules = make_rules(n_rules);

		for (int round = 0; round < ROUNDS; round++) {
			double t0r, t1r;

			round_rules(dir, round, reports, n, batch, rules, &t0r,
			    &t1r);
			ratio[round] = t0r / t1r;
			rate_engine[round] = events / t1r;
			rate_raw[round] = events / t0r;
			(void)printf("rules round %d: without %.0f events/s, "
			    "with %d rules %.0f events/s, ratio %.2f\n",
			    round + 1, events / t0r, n_rules, events / t1r,
			    t0r / t1r);
		}
		(void)printf("engine without rules: %.0f events/s (median)\n",
		    bench_median(rate_raw, ROUNDS));
		(void)printf("engine with %d rules: %.0f events/s (median)\n",
		    n_rules, bench_median(rate_engine, ROUNDS));
		(void)printf("ratio with/without rules: %.2f (goal >= 0.90)\n",
		    bench_median(ratio, ROUNDS));
		rules_free(rules);
	}
	for (int i = 0; i < n; i++)
		rb_free(reports[i]);
	free(reports);
	free(seqs);
	testutil_rmtree(dir);
	free(dir);
	return 0;
}
