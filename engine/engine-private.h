/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the engine's own files: the engine object and the steps of
 * applying one report (report.c drives host.c, peer.c and event.c).
 */
#ifndef KICS_ENGINE_PRIVATE_H
#define KICS_ENGINE_PRIVATE_H

#include "engine.h"
#include "kics_limits.h"
#include "store.h"

#define ENGINE_SYSTEM_TEXT_LEN	4096	/* bytes of a system description */
#define ENGINE_LABEL_LEN	320	/* "device N 'name'", a host name */
#define ENGINE_TICK_BATCH	256	/* rows per engine_tick() step */
#define ENGINE_TRIM_STEP	10000	/* rows deleted per tick when over cap */
#define ENGINE_COUNT_STEP	20000	/* interactions counted per tick: a
					   few ms (a whole count of 700,000
					   took 30-110 ms of the writer's
					   time, every 10 s under load) */
#define ENGINE_NOTICE_MS	3600000	/* once-per-hour system events */
#define ENGINE_TRIM_PLAN_MS	10000	/* how often caps are counted */
#define ENGINE_RULES_SAVE_MS	5000	/* rule counters saved this often */

#define ENGINE_REFUSED_SLOTS	1024	/* refused agents remembered */
#define ENGINE_SOURCE_SLOTS	1024	/* addresses whose new agents are
					   counted (agent.c) */
#define ENGINE_SOURCE_WINDOW_MS	60000	/* they are counted per minute */

/* When "agent limit reached" was last registered for an agent. */
struct engine_refused {
	char		agent_id[LIMIT_AGENT_ID_LEN + 1];
	int64_t		event_ms;	/* 0 = free slot */
};

/* New agents of one source address in the minute from since_ms. */
struct engine_source {
	char		address[ENGINE_SOURCE_LEN];
	int64_t		since_ms;	/* 0 = free slot */
	uint32_t	count;
};

struct engine {
	struct store		*store;
	struct engine_config	cfg;
	const struct event_types *types;	/* borrowed */
	struct rules		*rules;		/* borrowed, NULL = none */
	int64_t			rules_loaded_ms;	/* 0 = save at once */
	int64_t			rules_saved_ms;	/* rules_state written */
	uint64_t		rules_saved_total;	/* counters then */
	int64_t			device_limit_event_ms;	/* last notice */
	int64_t			trim_events_left;	/* rows to delete */
	int64_t			trim_interactions_left;
	/* interactions at most at the last count (-1: none yet), and the
	   store's interaction writes then (store_interaction_writes()) */
	int64_t			interactions_counted;
	uint64_t		interaction_writes_then;
	/* a count of the interactions in steps, one a tick: whether one
	   runs, the last initiator counted, the rows so far, and the
	   store's interaction writes when it began */
	bool			icount_running;
	int64_t			icount_after;
	int64_t			icount_rows;
	uint64_t		icount_writes;
	int64_t			trim_plan_ms;	/* caps last counted */
	bool			trim_again;	/* count again next tick */
	int64_t			tick_now_ms;	/* now of the running tick */
	int64_t			archive_check_ms;	/* last archive sweep */
	struct engine_refused	refused[ENGINE_REFUSED_SLOTS];
	int64_t			device_count;	/* -1 = unknown; may run high
						   after rollbacks, never low */
	struct engine_source	sources[ENGINE_SOURCE_SLOTS];
};

/* What applying one report knows about its device and agent. */
struct report_ctx {
	struct engine		*e;
	const Kics__Epp__V1__AgentReport *r;
	int64_t			now_ms;
	int64_t			server_id;
	int64_t			agent_ref;	/* agents.id */
	int64_t			device_id;
	bool			owner;	/* host info of this agent wins */
	bool			device_new;	/* added by this report */
	bool			one_way;	/* over UDP: no ack, no token */
	struct store_device	device;	/* effective attributes */
	char			token[ENGINE_TOKEN_LEN + 1]; /* bound to a new
						   agent by this report */
};

/*
 * report.c: applies one validated report inside the batch's savepoint and
 * sets er->status; returns a negative errno on storage errors only.
 */
int report_apply(struct engine *e, struct engine_report *er, int64_t now_ms);

/*
 * agent.c: agent identity and the rate of new agents (issue 11).
 *
 * agent_token_new() writes a new random token (ENGINE_TOKEN_LEN hex
 * digits and a NUL) to ret_token; 0 or -EIO.
 *
 * agent_identify() tells whether report c->r may speak for the known
 * agent a; when not, it sets er->status to REPORT_STATUS_IDENTITY with the
 * reason and returns false. It writes nothing.
 *
 * agent_token_ack() sets er->token for the ack of a report of a that
 * changes nothing (a resend).
 *
 * agent_token_bound() tells whether report c->r carries the token stored
 * for a (engine_report.token_bound).
 *
 * agent_token_commit() binds, confirms or keeps the token of the agent of
 * a report being committed (a NULL when it is new, c->token then holding
 * the token it was inserted with) and sets er->token; 0 or a negative
 * errno.
 *
 * agent_rate_refused() tells whether a new agent from er->source is
 * beyond max_new_per_address; when it is, it sets er->status to
 * REPORT_STATUS_AGENT_RATE with the reason. agent_rate_note() counts a
 * new agent of er->source.
 */
int agent_token_new(char *ret_token);
bool agent_identify(const struct report_ctx *c, const struct store_agent *a,
    struct engine_report *er);
void agent_token_ack(const struct report_ctx *c, const struct store_agent *a,
    struct engine_report *er);
bool agent_token_bound(const struct report_ctx *c, const struct store_agent *a);
int agent_token_commit(struct report_ctx *c, const struct store_agent *a,
    struct engine_report *er);
bool agent_rate_refused(struct engine *e, struct engine_report *er,
    int64_t now_ms);
void agent_rate_note(struct engine *e, const struct engine_report *er,
    int64_t now_ms);

/* host.c: identity by address, attributes, addresses, applications. */
int host_find_device(struct store *s, const Kics__Epp__V1__HostInfo *h,
    int64_t *ret_device_id);
/*
 * Applies the report's host info; with same_host (the agent sent exactly
 * this host info last time, to this device) only addresses are refreshed.
 */
int host_apply(struct report_ctx *c, bool same_host);
int host_apply_applications(struct report_ctx *c);

/* peer.c: connections into peers and interactions. */
int peer_apply_connections(struct report_ctx *c);

/* event.c: EPP events and system events. */
int event_apply_epp(struct report_ctx *c);
int event_system(struct engine *e, const char *category, int64_t device_id,
    int64_t agent_ref, const char *hostname, const char *description,
    int64_t now_ms);
/*
 * Writes "device N 'name'" for device id to buf (len bytes), and its host
 * name ("" when none) to host (hostlen bytes) when host is not NULL; an
 * unknown device is just "device N". 0 or a negative errno.
 */
int event_device_label(struct engine *e, int64_t id, char *buf, size_t len,
    char *host, size_t hostlen);
/*
 * Creates a device and registers "device added" naming what (an agent id
 * or an address). With enforce_limit, beyond max_devices nothing is added,
 * one "device limit reached" event an hour is registered and -ENOSPC is
 * returned. Agents' own devices are not limited (max_agents bounds them).
 */
int event_device_added(struct engine *e, enum store_source source,
    const char *what, bool enforce_limit, int64_t now_ms,
    int64_t *ret_device_id);

/* address.c: an address shown on a device (issue 12). */
struct address_claim {
	int64_t		device_id;	/* the device that shows it */
	const char	*kind;		/* mac | ipv4 | ipv6 */
	const char	*value;		/* canonical text */
	const char	*iface;		/* NULL when unknown */
	enum store_source source;
	bool		device_new;	/* added with this same data */
	const char	*mac;		/* the device's MAC, NULL or "" when
					   it has none (event text) */
	int64_t		agent_ref;	/* for the events, 0 when none */
};
/*
 * Puts the address on a->device_id, applying DESIGN's rules: an IP that
 * another device holds stays there when that device is authorized or the
 * IP was set on it by hand (unless a itself is manual), and "IP address
 * conflict" is registered on a->device_id (when new, then once an hour);
 * otherwise the address is put there, and an IP moved from another
 * device, or new on a device with a MAC (a->mac) that was not added with
 * this data, registers "new IP address for a device with a known MAC". A
 * MAC moved from another device registers "device attributes changed".
 * Returns 0 when the device holds the address, 1 on a conflict (it does
 * not), or a negative errno.
 */
int address_claim(struct engine *e, const struct address_claim *a,
    int64_t now_ms);

/*
 * archive.c (issue 12). archive_device() archives device id with one
 * "device archived" event saying why; returns 1, 0 when it was archived
 * already, -ENOENT or a negative errno. archive_reactivate() makes an
 * archived device unauthorized with "activity from an archived device"
 * (how: "reported as the host of agent 'x'"…); 0 or a negative errno.
 * archive_prune() deletes the archived devices silent the longest while
 * the archive holds more than max_archived_devices (at most a step at a
 * time), with one "device limit reached" event giving their number;
 * returns 1 when more remain to delete, 0 or a negative errno.
 * archive_sweep() archives devices silent for archive_after_days (a batch
 * at a time) and prunes; returns 1 when more remains, 0 or a negative
 * errno.
 */
int archive_device(struct engine *e, int64_t id, const char *why,
    int64_t now_ms);
int archive_reactivate(struct engine *e, int64_t id, int64_t agent_ref,
    const char *how, int64_t now_ms);
int archive_prune(struct engine *e, int64_t now_ms);
int archive_sweep(struct engine *e, int64_t now_ms);

#endif
