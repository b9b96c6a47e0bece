/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine: merges decoded agent reports into the SQLite database. It is
 * the only writer of the database and knows nothing of HTTP.
 *
 * THREAD SAFETY: a struct engine belongs to one thread (the writer); none of
 * these functions may be called concurrently on the same engine. Readers use
 * their own read-only connections (query/), never this one.
 */
#ifndef KICS_ENGINE_H
#define KICS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "epp_agent.pb-c.h"
#include "event_types.h"
#include "kics_limits.h"
#include "records.h"
#include "store_wal.h"

#define ENGINE_REASON_LEN 256	/* bytes of engine_report.reason */
#define ENGINE_TOKEN_LEN 32	/* hex digits of an agent token (128 bits) */
#define ENGINE_SOURCE_LEN 64	/* bytes of engine_report.source */

/* Settings the engine stores or enforces; see conf/kics-epp.yaml. */
struct engine_config {
	int64_t		agent_timeout_ms;	/* silence → disconnected */
	uint32_t	report_interval_s;	/* told to agents */
	uint32_t	max_agents;		/* computers with an agent */
	uint32_t	max_devices;		/* not archived */
	uint32_t	max_archived_devices;	/* the archive's pool */
	uint64_t	max_events;
	uint64_t	max_interactions;
	/* days: silent devices are archived, silent agents stop counting
	   towards max_agents */
	uint32_t	archive_after_days;
	uint32_t	max_new_per_address;	/* new agents per source
						   address a minute, 0: any */
};

/* Fills cfg with the defaults of conf/kics-epp.yaml. */
void engine_config_init(struct engine_config *cfg);

enum report_status {
	REPORT_STATUS_COMMITTED,	/* applied in this batch */
	REPORT_STATUS_ALREADY,		/* sequence already committed: no change */
	REPORT_STATUS_INVALID,		/* failed validation: nothing stored */
	REPORT_STATUS_AGENT_LIMIT,	/* new computer beyond max_agents */
	REPORT_STATUS_FAILED,		/* storage error: nothing stored */
	REPORT_STATUS_IDENTITY,		/* agent token missing or wrong:
					   nothing stored */
	REPORT_STATUS_AGENT_RATE,	/* new agent beyond the new agents
					   a minute of its source address */
	REPORT_STATUS_MAX
};

/* One report handed to engine_apply_batch() and what became of it. */
struct engine_report {
	const Kics__Epp__V1__AgentReport *report;	/* borrowed */
	int64_t		server_id;	/* integration server, 0 if none */
	char		source[ENGINE_SOURCE_LEN];	/* client address, ""
						   if unknown */
	/*
	 * One way (UDP, issue 14): no ack reaches the agent, so no token
	 * can; the transport's key vouches for the agent instead, and a
	 * gap in its sequence registers "EPP data lost over UDP".
	 */
	bool		one_way;
	/*
	 * The caller ran report_validate() on report and it passed (the
	 * daemon's writer does, outside the transaction): the engine does
	 * not check it a second time. When false the engine validates.
	 */
	bool		validated;
	/* set by engine_apply_batch(): */
	enum report_status status;
	uint64_t	acked_sequence;	/* for COMMITTED and ALREADY */
	/* for the ack of COMMITTED and ALREADY: the agent's token until
	   it has sent it back, else "" */
	char		token[ENGINE_TOKEN_LEN + 1];
	/*
	 * For COMMITTED and ALREADY: the report carried the agent's own
	 * token, the one stored for it, so that a later copy of that
	 * sequence bearing the same token gets the same answer until an
	 * administrator resets or removes the agent. Never over UDP.
	 */
	bool		token_bound;
	char		reason[ENGINE_REASON_LEN];	/* for the others */
};

struct engine;

/*
 * Opens (creating if needed) the database at path, applies pending
 * migrations and stores the settings of cfg. Returns 0 and an engine the
 * caller frees with engine_free(), -ENOENT when the directory is missing,
 * -EPROTO when the database was made by a newer kics-epp (the message from
 * engine_errmsg() of a failed open is lost, so see store_open() for it),
 * -ENOMEM or -EIO. types is borrowed and must outlive the engine or be
 * replaced with engine_set_event_types().
 */
int engine_open(const char *path, const struct engine_config *cfg,
    const struct event_types *types, struct engine **ret_engine);

/* Closes the database cleanly (checkpoint) and frees e. NULL-safe. */
void engine_free(struct engine *e);

/*
 * The commit statistics of e's connection (store_wal.h), for the daemon's
 * status. Writer thread only. Never fails.
 */
void engine_wal_stats(const struct engine *e, struct store_wal_stats *ret);

/* The peer cache's counters (store_peer_cache_stats()), for the status. */
struct engine_peer_cache_stats {
	uint64_t	hits;
	uint64_t	misses;
	uint64_t	evictions;	/* entries dropped to make room */
	uint64_t	clears;		/* forgotten whole (rollbacks, prunes) */
	uint64_t	primary_skips;	/* primary IP/MAC updates spared */
	uint64_t	entries;	/* cached now */
};

/*
 * Copies the peer cache's counters since e was opened into *ret. Writer
 * thread only. Never fails.
 */
void engine_peer_cache_stats(const struct engine *e,
    struct engine_peer_cache_stats *ret);

/*
 * Whether given (NUL-terminated) is the agent token stored, the
 * ENGINE_TOKEN_LEN characters at stored (a NUL after them is not read),
 * compared in a time that depends on neither's contents (only on the
 * given length, which is no secret).
 */
bool engine_token_equal(const char *stored, const char *given);

/*
 * The highest id of the events table (0: none), for the daemon to tell
 * readers which events are on disk (its writer, between batches). Returns
 * 0 or -EIO.
 */
int engine_event_max_id(struct engine *e, int64_t *ret_id);

/*
 * Hands the WAL checkpoints of e over to a second connection, returned
 * in *ret_ckpt for a checkpointer thread: see store_wal_handoff().
 */
int engine_wal_handoff(struct engine *e, struct store_ckpt **ret_ckpt);

struct report_head;
/*
 * Answers the report whose head is h (report_head.h: read from its wire
 * bytes and checked there) outside any transaction when it is the resend
 * of a sequence the database already holds: the answer
 * engine_apply_batch() would give (REPORT_STATUS_ALREADY, the acked
 * sequence, the token), found with one read and nothing written, so that
 * the caller need neither decode the report nor hold it for a batch and
 * its commit. er gives the transport (one_way: never answered here) and
 * receives the answer. Only between batches. Returns 1 when er is
 * answered, 0 when the report must go to engine_apply_batch() (a new
 * sequence, an unknown agent, a token that does not match: those answers
 * belong to the batch, after the whole report is validated) or a
 * negative errno.
 */
int engine_answer_resend(struct engine *e, const struct report_head *h,
    struct engine_report *er);

/*
 * Brackets a run of engine_answer_resend() calls in one read transaction,
 * so that they take the database's read lock once (two fcntl() calls a
 * report otherwise). Between batches only: engine_resend_end() must come
 * before the next engine_apply_batch() or other engine call that writes.
 */
int engine_resend_begin(struct engine *e);
void engine_resend_end(struct engine *e);

/* Replaces the event types used for later reports; types is borrowed. */
void engine_set_event_types(struct engine *e,
    const struct event_types *types);

struct rules;
/*
 * Replaces the rules applied to later EPP events (NULL: none); rules is
 * borrowed and its counters are updated. Call it between batches only, so
 * that no report is applied with half a rule set.
 */
void engine_set_rules(struct engine *e, struct rules *rules);

/*
 * Applies n reports in one transaction, each report all-or-nothing, and
 * commits durably (synchronous=FULL). Reports not marked validated are
 * checked with report_validate() first, outside the transaction; the
 * others are trusted to have passed it. Sets status, acked_sequence and
 * reason of every element. Returns 0 when the transaction committed; a
 * negative errno when the whole batch failed, in which case every report
 * that was not INVALID is FAILED and nothing was stored.
 */
int engine_apply_batch(struct engine *e, struct engine_report *reports,
    size_t n, int64_t now_ms);

/*
 * Periodic work in one bounded transaction: registers "agent disconnected"
 * for agents silent past the timeout, archives devices silent for
 * archive_after_days, and trims events and interactions past their caps
 * (oldest 10 %, in steps). Returns 0 when all work is done, 1 when more
 * remains (call again soon), or a negative errno.
 */
int engine_tick(struct engine *e, int64_t now_ms);

/*
 * Registers a system event of the given category (see event_types.h) with
 * a description, for the device device_id (0 for none). Returns 0 or a
 * negative errno.
 */
int engine_system_event(struct engine *e, const char *category,
    int64_t device_id, const char *description, int64_t now_ms);

/*
 * At first start: stores specs[0..n) when the integration servers table is
 * empty, registering "integration server added" for each. Returns how many
 * were stored (0 when the table already had servers) or a negative errno
 * (-EEXIST for a duplicate name or address:port); nothing is stored on
 * failure.
 */
int engine_servers_seed(struct engine *e,
    const struct engine_server_spec *specs, size_t n, int64_t now_ms);

/*
 * Lists the integration servers by id. Returns 0 and an array the caller
 * frees with engine_servers_free(), or a negative errno.
 */
int engine_servers_list(struct engine *e, struct engine_server **ret_servers,
    size_t *ret_n);

/*
 * Records the current server certificate of server id (and in the
 * certificates table). Returns 0, -ENOENT for an unknown id, or a negative
 * errno.
 */
int engine_server_set_cert(struct engine *e, int64_t id, const char *serial,
    const char *sha256, int64_t not_after_ms, int64_t now_ms);

/*
 * The last error message of the database, for the log. Borrowed until the
 * next call on e.
 */
const char *engine_errmsg(const struct engine *e);

/* --- administration (engine/admin.c, issue 5) ------------------------ */

#define ENGINE_MAX_USERS	100	/* rows of the users table */

/*
 * Stores a new integration server and registers "integration server
 * added". Returns 0 and its id; -EEXIST for a duplicate name or
 * address:port; another negative errno. Nothing is stored on failure.
 */
int engine_server_add(struct engine *e, const struct engine_server_spec *spec,
    int64_t now_ms, int64_t *ret_id);

/*
 * Loads server id into *ret_server (freed with engine_server_clear()).
 * Returns 0, -ENOENT or a negative errno.
 */
int engine_server_get(struct engine *e, int64_t id,
    struct engine_server *ret_server);

/*
 * Replaces name, address, port, enabled and verify_client_cert of server
 * id with spec and registers "integration server changed" with
 * description. Returns 0, -ENOENT, -EEXIST (name or address:port taken)
 * or a negative errno; nothing changes on failure.
 */
int engine_server_update(struct engine *e, int64_t id,
    const struct engine_server_spec *spec, const char *description,
    int64_t now_ms);

/*
 * Deletes server id, marks every certificate of it revoked and registers
 * "integration server removed". Returns 0 and the serials newly revoked
 * (freed with engine_strings_free()), -ENOENT or a negative errno.
 */
int engine_server_remove(struct engine *e, int64_t id, int64_t now_ms,
    char ***ret_serials, size_t *ret_n);

/*
 * Marks revoked in the certificates table the server certificates of
 * server id other than keep_serial (NULL: every one), e.g. when its
 * address changed, and registers "integration server changed" when any
 * was. Returns 0 and the serials newly revoked (freed with
 * engine_strings_free()), or a negative errno; nothing changes on failure.
 */
int engine_server_certs_revoke(struct engine *e, int64_t id,
    const char *keep_serial, int64_t now_ms, char ***ret_serials,
    size_t *ret_n);

/*
 * COMMUNICATION DATA PACKAGES (issue 10) are made in two steps, so that
 * agents lose their package only once the new one has been written:
 *
 *   record    the new client certificate is stored pending; the earlier
 *             certificates of the server stay valid.
 *   activate  once the file is written: the package becomes the server's
 *             current one and every other client certificate of the
 *             server is revoked.
 *   discard   when the file could not be written: its certificate is
 *             revoked and nothing else changes.
 *
 * A package neither activated nor discarded (the client died) keeps its
 * certificate until the next record for the server revokes it; no
 * package ever revokes anything before it is activated.
 */

/*
 * Records the client certificate of package package_id of server id,
 * pending. Pending certificates of earlier packages of the server are
 * marked revoked and their serials returned (freed with
 * engine_strings_free()). Returns 0 or a negative errno; nothing changes
 * on failure.
 */
int engine_package_record(struct engine *e, int64_t server_id,
    const char *package_id, const char *serial, const char *sha256,
    int64_t not_after_ms, int64_t now_ms, char ***ret_revoked,
    size_t *ret_n);

/*
 * Activates pending package package_id of server server_id: records it
 * on the server row (with the time it was made), marks revoked every
 * other client certificate of the server and returns their serials
 * (freed with engine_strings_free()), and registers "integration server
 * changed". Returns 0, -ENOENT when the server has no such pending
 * package (unknown, already activated, discarded or replaced), or a
 * negative errno; nothing changes on failure.
 */
int engine_package_activate(struct engine *e, int64_t server_id,
    const char *package_id, int64_t now_ms, char ***ret_revoked,
    size_t *ret_n);

/*
 * Discards pending package package_id of server server_id: marks its
 * certificate revoked, returns its serial (freed with free()) and
 * registers "integration server changed" with reason. Returns 0, -ENOENT
 * as engine_package_activate(), or a negative errno; nothing changes on
 * failure.
 */
int engine_package_discard(struct engine *e, int64_t server_id,
    const char *package_id, const char *reason, int64_t now_ms,
    char **ret_serial);

/*
 * Number of agents connected now (in contact within the agent timeout),
 * of server_id or of every server when server_id is 0.
 */
int engine_agents_connected(struct engine *e, int64_t server_id,
    int64_t now_ms, int64_t *ret_count);

/* Lists users by name; freed with engine_users_free(). */
int engine_users_list(struct engine *e, struct engine_user **ret_users,
    size_t *ret_n);

/*
 * Adds user name with role (or changes its role). Returns 0, -EINVAL for
 * an unknown role, -ENOSPC beyond ENGINE_MAX_USERS, or a negative errno.
 */
int engine_user_put(struct engine *e, const char *name, const char *role,
    int64_t now_ms);

/* Removes user name. Returns 0, -ENOENT or a negative errno. */
int engine_user_remove(struct engine *e, const char *name);

/* Appends a to the audit log (own transaction). 0 or a negative errno. */
int engine_audit_add(struct engine *e, const struct engine_audit *a);

/*
 * Manual values of devices set by an administrator; NULL or "" leaves a
 * value unchanged.
 */
struct engine_device_edit {
	const char	*status;	/* authorized|unauthorized|archived */
	const char	*name;
	const char	*category;
	const char	*vendor;
	const char	*model;
	const char	*os_name;
	const char	*os_version;
	const char	*ip;		/* an IP set by hand: one device only */
};

#define ENGINE_DEVICE_KEYS	LIMIT_DEVICE_SET_KEYS	/* keys of one
							   device set */

/* Which devices a device set changes: keys, or every one in a network. */
struct engine_device_select {
	const char *const *keys;	/* id, IP, MAC, or a name or host name
					   that one device has (any case) */
	size_t		n_keys;
	const char	*subnet;	/* or NULL: devices with an IP in it */
};

/* What a device set did, or which key failed. */
struct engine_device_result {
	int64_t		matched;	/* devices selected */
	int64_t		changed;	/* of them, devices that changed */
	int64_t		first_id;	/* the first one selected */
	const char	*bad;		/* the key or value refused; borrowed
					   from the request */
	int64_t		named;		/* -EEXIST: devices with that name */
};

/*
 * Applies d to every device sel selects, in one transaction: status (to
 * archived through the archive, with "device archived"), the values as
 * attributes of source manual (which win over epp and traffic from then
 * on), the IP with source manual (which then stays with that device when
 * another shows it), and registers "device attributes changed" on each
 * device that changed, naming the old and the new values. Returns 0 and
 * *ret; -ENOENT when a key matches no device or the network none (nothing
 * changes; ret->bad names the key, NULL for the network); -EEXIST when a
 * name is held by several devices (ret->bad, ret->named); -EINVAL for a
 * bad status, network, IP or key, or an IP for more than one device
 * (ret->bad); -E2BIG beyond ENGINE_DEVICE_KEYS; or another negative errno.
 * *ret is written in every case.
 */
int engine_device_set(struct engine *e, const struct engine_device_select *sel,
    const struct engine_device_edit *d, int64_t now_ms,
    struct engine_device_result *ret);

/* --- agents (engine/agent.c, issue 11) ------------------------------- */

/*
 * Unbinds the token of agent agent_id, so that its next report binds a
 * new one (an agent reinstalled with the same id). Returns 0, -ENOENT for
 * an unknown agent, or a negative errno; nothing changes on failure.
 */
int engine_agent_reset(struct engine *e, const char *agent_id);

/*
 * Removes agent agent_id, so that it no longer counts towards max_agents;
 * its device stays. A later report with that id is a new agent. Returns
 * 0, -ENOENT for an unknown agent, or a negative errno; nothing changes on
 * failure.
 */
int engine_agent_remove(struct engine *e, const char *agent_id);

/*
 * SIEM connectors (connector.c). At first start engine_connectors_seed()
 * stores v[0..n) when the table is empty, registering "connector changed"
 * for each; returns how many were stored (0 when the table had rows).
 */
int engine_connectors_seed(struct engine *e, const struct engine_connector *v,
    size_t n, int64_t now_ms);
/*
 * The connectors by id, or the one called name (NULL: all). Returns 0 and
 * an array freed with engine_connectors_free(), or a negative errno.
 */
int engine_connectors_list(struct engine *e, const char *name,
    struct engine_connector **ret_v, size_t *ret_n);
/*
 * Stores c (c->id ignored) with a cursor after the newest event, registers
 * "connector changed". Returns 0 and the id; -EEXIST for a name in use.
 */
int engine_connector_add(struct engine *e, const struct engine_connector *c,
    int64_t now_ms, int64_t *ret_id);
/* Replaces connector c->id by c (its cursor stays); -ENOENT, -EEXIST. */
int engine_connector_update(struct engine *e, const struct engine_connector *c,
    int64_t now_ms);
/* Removes connector c->id and its cursor; -ENOENT when there is none. */
int engine_connector_remove(struct engine *e, const struct engine_connector *c,
    int64_t now_ms);
/*
 * Saves the forwarder's progress of n connectors (cursor, counters, state)
 * in one transaction and registers the system events it asks for; names[i]
 * names v[i] in them. Returns 0 or a negative errno (nothing saved).
 */
int engine_connector_progress(struct engine *e,
    const struct engine_connector_progress *v, const char *const *names,
    size_t n, int64_t now_ms);

#endif
