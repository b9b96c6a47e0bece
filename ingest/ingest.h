/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private header of ingest/, the daemon kics-epp-proxy: the HTTPS layer
 * (http.c), the queue to the single database writer (writer.c) and the
 * allocation helpers that end the program when memory runs out.
 *
 * THREAD SAFETY NOTES: the daemon runs one libevent loop (TLS, HTTP,
 * protobuf decoding: http.c and daemon.c) and one writer thread, the only
 * thread that calls the engine. They meet in struct writer only:
 * writer_submit() and writer_set_event_types() are called from the loop;
 * finished jobs come back to the loop through an event made active by the
 * writer thread, so every writer_job_done_fn runs on the loop thread.
 * libevent must have been told to use pthreads (evthread_use_pthreads())
 * before the event base was created.
 */
#ifndef KICS_INGEST_H
#define KICS_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpointer.h"
#include "engine.h"
#include "kics_limits.h"
#include "log.h"

struct event_base;
struct forward;
struct event_types;

/* Allocation for ingest/: out of memory ends the daemon (STYLE.md §4). */
static inline void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (p == NULL)
		fatal("calloc %zu x %zu", n, size);
	return p;
}

/*
 * A hash of an agent_id for the tables keyed by it (the writer's sequence
 * hints, the loop's resend cache), never 0 (an empty entry): FNV-1a with
 * its bits mixed by MurmurHash3's finalizer, since FNV-1a alone leaves
 * the last bytes of similar ids (agent-1, agent-2) in its low bits only.
 */
static inline uint64_t
ingest_agent_key(const char *agent_id)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)agent_id;
	    *p != '\0'; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h != 0 ? h : 1;
}

/* Like xcalloc(), for memory that is written whole at once. */
static inline void *
xmalloc(size_t size)
{
	void *p = malloc(size == 0 ? 1 : size);

	if (p == NULL)
		fatal("malloc %zu", size);
	return p;
}

/* Now in unix milliseconds (the database's time unit). */
static inline int64_t
ingest_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

/* writer.c ---------------------------------------------------------------- */

struct writer_job;
struct decode_arena;

/* Called on the loop thread when the writer is done with job. */
typedef void writer_job_done_fn(struct writer_job *job);

/* One report on its way to the engine and back. */
struct writer_job {
	/*
	 * The report: decoded already (the submitter's, also in done()), or
	 * NULL with body set, the wire bytes (bytes of them, pre-scanned,
	 * owned by the job from writer_submit() on) that the writer decodes,
	 * so that decoding never runs on the loop. The writer decodes and
	 * validates each report once, outside its transaction, and frees
	 * what it decoded and the bytes on its own thread before done():
	 * report is then NULL and agent_id says whose it was.
	 */
	Kics__Epp__V1__AgentReport *report;
	uint8_t		*body;
	bool		decoded;	/* writer's: it decoded report */
	bool		valid;		/* writer's: decoded and validated */
	bool		prepared;	/* writer's: valid is set already (while
					   a COMMIT waited for its fsync) */
	struct decode_arena *arena;	/* writer's: what report is carved
					   from when it decoded it */
	size_t		bytes;		/* body size, for the queue */
	int64_t		server_id;	/* integration server, 0 none */
	char		source[ENGINE_SOURCE_LEN];	/* client address */
	bool		one_way;	/* no ack can reach the agent (UDP):
					   the transport vouches for it */
	writer_job_done_fn *done;	/* called with the outcome */
	/* set by the writer before done() is called: */
	enum report_status status;
	uint64_t	acked_sequence;	/* for COMMITTED and ALREADY */
	char		token[ENGINE_TOKEN_LEN + 1];	/* for their ack */
	bool		token_bound;	/* engine_report.token_bound */
	char		reason[ENGINE_REASON_LEN]; /* for the others */
	char		agent_id[LIMIT_AGENT_ID_LEN + 1]; /* the report's,
					   "" when it did not decode */
	uint64_t	ticket;		/* writer's: the WAL fsync its answer
					   waits for (writer_durable.c) */
	/* the loop's, for resend_cache_learn() (resend_cache.h): the
	   report's agent_token and the cache's epoch, 0 when not noted */
	uint64_t	resend_epoch;
	char		resend_token[ENGINE_TOKEN_LEN];

	/* monotonic us of each stage, for the answer times of the status
	   (writer_stats_answer()): submitted on the loop, taken from the
	   queue, handed back by the writer, released to the loop once its
	   fsync is done; 0 where a stage was skipped */
	int64_t		submit_us;
	int64_t		taken_us;
	int64_t		handed_us;
	int64_t		released_us;
	struct writer_job *next;	/* queue link, owned by the writer */
};

struct writer;
struct rules;

/*
 * Starts the writer thread. It owns e and types from now on (both are
 * freed by writer_free(), also when this fails) and is the only caller of
 * the engine: it applies everything queued in one engine_apply_batch()
 * (group commit) and calls engine_tick() about once a second. Results
 * are handed back on base. For a database with a WAL file it also starts
 * the checkpointer thread (checkpointer.h), which takes the checkpoints
 * off the writer's connection. Returns 0 and a writer the caller frees
 * with writer_free(), or a negative errno when a thread or the event
 * cannot be created.
 */
int writer_new(struct event_base *base, struct engine *e,
    struct event_types *types, struct rules *rules,
    struct writer **ret_writer);

/*
 * Queues job (on the loop thread). Returns 0, after which the writer owns
 * the link field until job->done(job) is called; -EAGAIN when the queue
 * is full (LIMIT_INGEST_QUEUE_REPORTS reports or LIMIT_INGEST_QUEUE_BYTES
 * bytes not yet answered; one report alone is always accepted) or
 * -ESHUTDOWN after writer_stop(). On error the job stays the caller's.
 */
int writer_submit(struct writer *w, struct writer_job *job);

/*
 * The highest event id whose COMMIT is on disk (any thread): readers that
 * send events on (the SIEM forwarder) stop there.
 */
int64_t writer_events_durable(struct writer *w);

struct resend_cache;
/*
 * The cache of resends the loop answers alone (resend_cache.h), which
 * the writer teaches as it hands answers back. Loop thread only;
 * borrowed until writer_free().
 */
struct resend_cache *writer_resends(struct writer *w);

/*
 * Hands new event types to the writer, which takes ownership and swaps
 * them into the engine between two batches, then frees the old ones.
 */
void writer_set_event_types(struct writer *w, struct event_types *types);

/*
 * Hands a new rule set (NULL: none) to the writer, which takes ownership,
 * carries the counters of the old set over by rule name and swaps it in
 * between batches.
 */
void writer_set_rules(struct writer *w, struct rules *rules);

/*
 * Asks the writer to register a system event of category (a static
 * EVENT_* string) with text (copied); from the loop thread.
 */
void writer_notice(struct writer *w, const char *category, const char *text);

/*
 * Engine work asked for by the loop thread (administration, issue 5):
 * run() is called on the writer thread, between report batches, with the
 * engine (and whatever else the submitter lets it own meanwhile); done()
 * is called afterwards on the loop thread. The submitter embeds the task
 * in its own context.
 */
struct writer_task;
typedef void writer_task_fn(struct writer_task *task, struct engine *e);
typedef void writer_task_done_fn(struct writer_task *task);
struct writer_task {
	writer_task_fn	*run;		/* writer thread */
	writer_task_done_fn *done;	/* loop thread, afterwards */
	struct writer_task *next;	/* queue link, owned by the writer */
};

/*
 * Queues task (on the loop thread). Returns 0, after which task->done() is
 * called exactly once (also when the writer is freed), or -ESHUTDOWN after
 * writer_stop(), when the task stays the caller's.
 */
int writer_run_task(struct writer *w, struct writer_task *task);

/*
 * Stops accepting jobs. The thread still commits and hands back what is
 * queued, then ends. Idempotent.
 */
void writer_stop(struct writer *w);

/* True when every submitted job has been handed back through done(). */
bool writer_idle(struct writer *w);

/* The group-commit statistics of the writer (issue 17). */
struct writer_stats {
	uint64_t	batches;	/* batches taken from the queue */
	uint64_t	reports;	/* reports in them (valid or not) */
	uint64_t	batch_last;	/* reports in the last batch */
	uint64_t	batch_max;
	uint64_t	resends_early;	/* resends answered outside a batch */
	uint64_t	prepared_ahead;	/* reports decoded and validated while
					   a COMMIT waited for its fsync */
	uint64_t	prepare_us_total;	/* decoding and validation */
	uint64_t	apply_us_total;	/* engine_apply_batch(): the
					   transaction, COMMIT included */
	uint64_t	apply_us_max;	/* the longest one */
	uint64_t	prepare_cpu_us_total;	/* the same as the writer
						   thread's CPU time */
	uint64_t	apply_cpu_us_total;
	uint64_t	drain_us_total;	/* waiting for whole checkpoints */
	uint64_t	ticks;		/* periodic maintenance transactions */
	uint64_t	tick_us_total;	/* their wall time, between batches */
	uint64_t	tick_us_max;
	/*
	 * Answer times: from writer_submit() to the loop's answer, and, of
	 * the answers that took longer than WRITER_SLOW_ANSWER_MS, the time
	 * spent in each stage (queued, in the writer's batch, waiting for
	 * the fsync, waiting for the loop), so that a stall in the ack
	 * latency can be placed (issue 17).
	 */
	uint64_t	answers;
	uint64_t	answer_us_max;
	uint64_t	answers_slow;		/* over WRITER_SLOW_ANSWER_MS */
	uint64_t	answers_over_limit;	/* over 250 ms */
	uint64_t	slow_queue_us_total;
	uint64_t	slow_batch_us_total;
	uint64_t	slow_fsync_us_total;
	uint64_t	slow_loop_us_total;
	uint64_t	queue_now;	/* reports queued or unanswered */
	uint64_t	queue_max;
	uint64_t	uptime_us;	/* since the writer started */
	struct store_wal_stats wal;	/* commits (store_wal.h) */
	struct store_sync_stats sync;	/* fsync times (store_wal.h) */
	bool		checkpointer;	/* a checkpointer thread runs */
	struct checkpointer_stats ckpt;	/* its figures, if so */
	struct engine_peer_cache_stats peer_cache;	/* after the last
							   batch */
};

/* Copies the writer's statistics into *ret (any thread). Never fails. */
void writer_stats(struct writer *w, struct writer_stats *ret);

struct strbuf;
/*
 * Appends the statistics as one JSON object (writer_stats.c; the names
 * are documented in docs/operations.md), with the loop's resend cache:
 * loop thread. Never fails: strbuf keeps its own out-of-memory state.
 */
void writer_stats_json(struct writer *w, struct strbuf *b);

/*
 * Stops the writer, waits for its thread, stops the checkpointer after a
 * last checkpoint, then frees the engine (a clean close) and the event
 * types. Jobs still queued are handed back as
 * REPORT_STATUS_FAILED only if the thread could not run them. NULL-safe.
 * Must be called on the loop thread while base still exists.
 */
void writer_free(struct writer *w);

/* http.c ------------------------------------------------------------------ */

#define HTTP_REPORT_PATH	"/api/v1/report"
#define HTTP_CONTENT_TYPE	"application/x-protobuf"

/* Settings of the HTTP layer, copied from the configuration. */
struct http_config {
	size_t		max_body_bytes;	/* limits.* */
	size_t		max_body_memory_bytes;	/* 0: the built-in default */
	uint32_t	handshake_timeout_s;	/* 0: no deadline */
	size_t		max_connections_per_address; /* 0: max_connections */
	size_t		max_connections;
	uint32_t	idle_timeout_s;
	uint32_t	report_interval_s; /* told to agents */
};

/* One integration server to listen for. Strings are copied. */
struct http_server_params {
	int64_t		server_id;
	const char	*name;
	const char	*address;	/* IP literal or host name */
	uint16_t	port;		/* 0 picks a free port (tests) */
	const char	*cert_file;	/* server certificate, PEM */
	const char	*key_file;
	const char	*ca_file;	/* the installation's CA, PEM */
	const char	*crl_file;	/* may be NULL */
	bool		verify_client;
};

struct http;

/*
 * Returns the HTTP layer of the daemon on base, handing decoded reports to
 * w (borrowed; it must outlive the returned object). Ends the program when
 * out of memory.
 */
struct http *http_new(struct event_base *base, struct writer *w,
    const struct http_config *cfg);

/*
 * Starts one HTTPS listener for p. Returns 0; -ENOENT or -EINVAL when the
 * TLS material cannot be loaded, or the negative errno of the failed
 * bind/listen. Each failure is logged here with the server's name.
 */
int http_listen(struct http *h, const struct http_server_params *p);

/*
 * Port of the n-th listener (in http_listen() order) as bound, or 0 when
 * there is no such listener.
 */
uint16_t http_listener_port(const struct http *h, size_t n);

/* Number of listeners running. */
size_t http_listener_count(const struct http *h);

/*
 * Closes the listening sockets; connections already accepted go on until
 * they are idle. Idempotent.
 */
void http_stop_accepting(struct http *h);

/* Requests handed to the writer and not answered yet. */
size_t http_pending(const struct http *h);

/* Administration of listeners at run time (issue 5), loop thread only. */

/* Whether a listener of integration server server_id runs. */
bool http_listener_running(const struct http *h, int64_t server_id);

/*
 * Stops the listener of server_id: no new connection from now on; its open
 * connections are closed as soon as none of their reports is at the
 * writer. Returns 0 or -ENOENT.
 */
int http_listener_stop(struct http *h, int64_t server_id);

/*
 * Rebuilds the TLS context of every listener from its files, so that a
 * new CRL refuses revoked client certificates at the next handshake (and
 * no session ticket made before is resumed), then closes the open
 * connections whose client certificate the new CRL revokes. Returns 0, or
 * the error of the last listener that kept its old context (logged).
 */
int http_listener_tls_reload(struct http *h);

/*
 * The state of each integration server's listener as a JSON object from
 * its id to "listening" or "error: <reason>"; a server in neither (not
 * enabled) is left out. The caller frees it with free().
 */
char *http_states_json(const struct http *h);

/* Connections open now (closed ones are swept first). */
size_t http_connections(struct http *h);

/*
 * The n-th running listener: server id, name, address and bound port,
 * borrowed until the listener stops. Returns 0 or -ENOENT.
 */
int http_listener_get(const struct http *h, size_t n, int64_t *ret_server_id,
    const char **ret_name, const char **ret_address, uint16_t *ret_port);

/*
 * Frees every listener and connection. Call only when http_pending() is 0
 * (libevent cannot free a server with requests in flight). NULL-safe.
 */
void http_free(struct http *h);

/* certcheck.c: certificate renewal and expiry warnings --------------------- */

struct certcheck;
struct pki;

/*
 * Checks the certificates at once and every few hours from then on, on
 * the writer thread: renews server certificates with fewer than 30 days
 * left and re-signs the CRL when less than half of its validity is left
 * (then reloads the listeners' TLS), and registers a "certificate
 * expiring" warning a day for the CA, a server certificate that is still
 * due, or a CRL within a week of its nextUpdate. The PKI is used on the
 * writer thread only. Never fails (fatal on out of memory); freed with
 * certcheck_free() after writer_free().
 */
struct certcheck *certcheck_new(struct event_base *base, struct writer *w,
    struct http *h, struct pki *pki);
void certcheck_free(struct certcheck *c);

struct engine_server;
/*
 * After a new server certificate keep_serial was recorded for row:
 * revokes the ones it replaced, in the database and the CRL (logged on
 * failure). Call on the thread that owns the engine and the PKI.
 */
void certcheck_revoke_replaced(struct pki *pki, struct engine *e,
    const struct engine_server *row, const char *keep_serial,
    int64_t now_ms);

/* control.c, admin_*.c: the control socket (issue 5) ---------------------- */

#include <sys/types.h>

#include "conf.h"
#include "control.pb-c.h"
#include "kics_limits.h"
#include "pki.h"

#define CONTROL_SOCKET_NAME	"control.sock"	/* in the data directory */
#define CONTROL_MESSAGE_LEN	512		/* bytes of a reply message */

struct control;

/* What the control socket serves with; everything is borrowed. */
struct control_params {
	struct event_base *base;
	const char	*data_dir;
	const struct conf *conf;	/* users and their roles */
	struct writer	*writer;
	struct http	*http;
	struct udp	*udp;		/* UDP mode (issue 14) */
	/*
	 * From now on the PKI is used by administration tasks on the writer
	 * thread only (paths of the CA and the CRL stay readable).
	 */
	struct pki	*pki;
	struct traffic	*traffic;	/* monitoring points (issue 13) */
	/*
	 * Reloads the event types and rules like SIGHUP; returns the number
	 * of rules, or a negative errno with the first error in msg.
	 */
	int		(*reload)(void *arg, char *msg, size_t len);
	void		*reload_arg;
	struct forward	*forward;	/* SIEM forwarder (forward/) */
};

/* One request in progress, from its arrival to its reply. */
struct control_req {
	struct writer_task task;	/* the audit record */
	struct control	*ctl;
	struct control_req *next, *prev;	/* in the control's list */
	struct bufferevent *bev;	/* NULL once the client is gone */
	Kics__Control__V1__Request *msg;	/* owned */
	uid_t		uid;
	char		user[LIMIT_CONF_USER_LEN + 16];	/* OS user name */
	enum role	role;
	const char	*action;	/* static, e.g. "server add" */
	char		target[LIMIT_CONTROL_TEXT_LEN];
	bool		read_only;	/* a lookup: audited only if refused */
	/* outcome */
	int		status;		/* Kics__Control__V1__Status */
	char		message[CONTROL_MESSAGE_LEN];
	char		*json;		/* owned, or NULL */
	uint8_t		*data;		/* owned, or NULL */
	size_t		data_len;
};

/*
 * ADMINISTRATIVE ACTIONS (issue 9): each action that changes something has
 * its own handler, a row of control_actions[] in control.c. The state of
 * one run is the handler's own struct, which begins with struct admin_task
 * and is allocated (zeroed, size bytes) when a request arrives:
 *
 *   prepare()  loop thread: checks and copies the arguments of t->req.
 *              Returns 0, or -EINVAL (answered STATUS_INVALID) or another
 *              negative errno (STATUS_FAILED) with t->message set.
 *   run()      writer thread, between report batches: the engine and PKI
 *              work. Touches its own state only (and reads t->req->msg,
 *              which nothing changes meanwhile); returns 0 or a negative
 *              errno, kept in t->r, with t->message set when it can say
 *              more than strerror().
 *   done()     loop thread: acts on the outcome (listeners, cached roles)
 *              and answers with control_finish(t->req, ...) exactly once.
 *   fini()     frees what the state owns (may be NULL); the state itself
 *              is freed after it, right after done() or a failed prepare.
 */
struct admin_task;
struct admin_handler {
	size_t		size;		/* of the state, >= sizeof(admin_task) */
	int		(*prepare)(struct admin_task *t);
	int		(*run)(struct admin_task *t, struct engine *e);
	void		(*done)(struct admin_task *t);
	void		(*fini)(struct admin_task *t);
};

struct admin_task {
	struct writer_task task;	/* first: the writer hands it back */
	const struct admin_handler *h;
	struct control_req *req;	/* borrowed; done() finishes it */
	int		r;		/* what run() returned */
	char		message[CONTROL_MESSAGE_LEN];	/* why it failed */
};

/*
 * Creates DATA_DIR/control.sock (mode 0660, replacing a stale one) and
 * serves it on p->base. users (borrowed for the call) is the users table
 * as stored. Ends the program when the socket cannot be made.
 */
struct control *control_new(const struct control_params *p,
    const struct engine_user *users, size_t n_users);

/* Closes the socket, removes its file and frees c. NULL-safe. */
void control_free(struct control *c);

/* The parameters c was made with; borrowed. */
const struct control_params *control_params(const struct control *c);

/* Replaces the cached role of user name (ROLE_NONE: removes it). */
void control_user_set(struct control *c, const char *name, enum role role);

/*
 * Ends req with status and a message (printf format): writes the audit
 * record through the writer, then replies and frees req.
 */
void control_finish(struct control_req *req, int status, const char *fmt,
    ...) KICS_PRINTF(3, 4);

/*
 * Runs the handler h for req: prepare(), run() on the writer, done(); or,
 * when prepare() refuses or the writer is stopping, finishes req itself.
 * Frees the handler's state in every case.
 */
void control_admin_start(struct control_req *req,
    const struct admin_handler *h);

/*
 * On the writer thread: issues or keeps the server certificate of server
 * id for address and records it with e. Returns 0 and the certificate in
 * *ret_cert, or a negative errno with t->message set.
 */
int admin_certify(struct admin_task *t, struct engine *e, int64_t id,
    const char *address, struct pki_cert_info *ret_cert);

/* The handlers, one per administrative action (admin_*.c). */
extern const struct admin_handler admin_server_add;	/* admin_servers.c */
extern const struct admin_handler admin_server_edit;
extern const struct admin_handler admin_server_enable;
extern const struct admin_handler admin_server_disable;
extern const struct admin_handler admin_server_remove;
extern const struct admin_handler admin_package_create; /* admin_package.c */
extern const struct admin_handler admin_package_activate;
extern const struct admin_handler admin_package_discard;
extern const struct admin_handler admin_user_add;	/* admin_users.c */
extern const struct admin_handler admin_user_remove;
extern const struct admin_handler admin_device_set;	/* admin_device.c */
extern const struct admin_handler admin_agent_reset;	/* admin_agents.c */
extern const struct admin_handler admin_agent_remove;
extern const struct admin_handler admin_connector_add;	/* admin_connectors.c */
extern const struct admin_handler admin_connector_edit;
extern const struct admin_handler admin_connector_remove;
extern const struct admin_handler admin_connector_test;

/* forwarding.c ------------------------------------------------------------ */

struct conf;
struct forwarding;

/*
 * Stores the configured connectors when the table is empty (first start),
 * before the writer owns e. Ends the program when that fails.
 */
void forwarding_seed(const struct conf *conf, struct engine *e);

/*
 * Starts the forwarder on the database at db_path; its progress goes to
 * w's thread. Ends the program when it cannot start. Freed with
 * forwarding_free().
 */
struct forwarding *forwarding_new(struct writer *w, const char *db_path);

/* The forwarder, for the control socket's connector actions. */
struct forward *forwarding_forward(struct forwarding *fwd);

/*
 * Stops the forwarder once it has handed its last progress to the writer;
 * call before writer_stop(). NULL-safe.
 */
void forwarding_stop(struct forwarding *fwd);

/* Stops and frees fwd. NULL-safe. */
void forwarding_free(struct forwarding *fwd);

#endif
