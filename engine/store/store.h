/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: every SQL statement of the engine, over one read-write SQLite
 * connection. Only store*.c include sqlite3.h; the rest of the engine sees
 * rows as plain C values. All functions return 0 or a negative errno:
 * -ENOENT (no such row), -EEXIST (constraint), -EBUSY, -ENOMEM, -EIO; the
 * database's own message is kept for store_errmsg().
 *
 * THREAD SAFETY: a struct store belongs to the writer thread.
 */
#ifndef KICS_STORE_H
#define KICS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_ERRMSG_LEN 512
/*
 * Granularity of last-seen times of devices and addresses: a newer time
 * is written only when it is this much later, so that a report does not
 * rewrite rows that nothing else changed.
 */
#define STORE_TOUCH_MS	60000

struct store;

/*
 * Opens or creates the database at path: WAL, synchronous=FULL, foreign
 * keys on, and the settings of DESIGN.md's performance notes; then applies
 * every embedded migration newer than PRAGMA user_version, each in its own
 * transaction. Returns 0 and a store the caller frees with store_free();
 * -EPROTO when the file is of a newer schema than this binary, -ENOENT when
 * its directory is missing, -ENOMEM, -EIO. On failure a one-line reason is
 * written to errbuf (errlen bytes) when errbuf is not NULL.
 */
int store_open(const char *path, char *errbuf, size_t errlen,
    struct store **ret_store);

/* Checkpoints, closes and frees s. NULL-safe. */
void store_free(struct store *s);

/* Last database message; borrowed until the next call on s. */
const char *store_errmsg(const struct store *s);

/* Schema version this binary knows (the highest embedded migration). */
int store_schema_version(void);

/* Transactions and savepoints (one savepoint level is enough). */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);
/*
 * Ends the transaction of store_begin() the one way every engine function
 * does: r >= 0 commits and returns r, r < 0 rolls back and returns r. When
 * the commit fails, rolls back and returns its error (-EBUSY, -EIO...).
 */
int store_end(struct store *s, int r);
int store_savepoint(struct store *s);
int store_savepoint_release(struct store *s);
int store_savepoint_rollback(struct store *s);
/* Whether a write transaction (store_begin()) is open on s. */
bool store_writing(const struct store *s);
/*
 * A read transaction, outside store_begin(): the statements between the
 * two see one snapshot and take the database's read lock once, not once
 * each. store_read_end() ends it (if one is open).
 */
int store_read_begin(struct store *s);
void store_read_end(struct store *s);

/* settings table */
int store_setting_set_int(struct store *s, const char *key, int64_t value);
int store_setting_get_int(struct store *s, const char *key,
    int64_t *ret_value);

/* agents */
#define STORE_TOKEN_LEN	32	/* characters of an agent token */

struct store_agent {
	int64_t		id;		/* agents.id */
	int64_t		device_id;	/* 0 when none */
	uint64_t	sequence;	/* last committed */
	int64_t		last_contact_ms;
	bool		connected;
	int64_t		duplicate_event_ms;	/* 0 when never */
	int64_t		host_digest;	/* of the last host info, 0 = none */
	int64_t		apps_digest;	/* of the last applications, 0 = none */
	char		token[STORE_TOKEN_LEN + 1];	/* "" when none bound */
	bool		token_used;	/* the agent has sent it back */
};

int store_agent_find(struct store *s, const char *agent_id,
    struct store_agent *ret_agent);
/* Inserts a new agent with token bound (not used yet); 0 and its row id. */
int store_agent_insert(struct store *s, const char *agent_id,
    int64_t device_id, int64_t server_id, const char *version,
    const char *token, int64_t now_ms, int64_t *ret_id);
/*
 * Binds token (NULL: none) to agent row id, used or not. Returns 0 or a
 * negative errno.
 */
int store_agent_set_token(struct store *s, int64_t id, const char *token,
    bool used);
/*
 * Unbinds the token of agent agent_id. Returns 0, -ENOENT for an unknown
 * agent, or a negative errno.
 */
int store_agent_reset(struct store *s, const char *agent_id);
/*
 * Deletes agent agent_id (its device stays, without an owner when it was
 * this agent; its events keep no link to it). Returns 0, -ENOENT for an
 * unknown agent, or a negative errno.
 */
int store_agent_remove(struct store *s, const char *agent_id);
/*
 * Records a committed report of agent id; a digest of 0 keeps the stored
 * one.
 */
int store_agent_report(struct store *s, int64_t id, int64_t device_id,
    int64_t server_id, const char *version, uint64_t sequence,
    int64_t sent_at_ms, int64_t host_digest, int64_t apps_digest,
    int64_t now_ms);
int store_agent_set_duplicate(struct store *s, int64_t id, int64_t now_ms);
/*
 * Adds missing reports lost over UDP to agent row id (issue 14). When no
 * "EPP data lost over UDP" was registered for it since every_ms before
 * now_ms, returns 0 with the missing reports to name in *ret_report (the
 * count starts again at 0, now noted as the event's time); else 0 with
 * *ret_report 0. Or a negative errno.
 */
int store_agent_udp_lost(struct store *s, int64_t id, uint64_t missing,
    int64_t now_ms, int64_t every_ms, uint64_t *ret_report);
/*
 * Number of distinct devices that have an agent in contact at or after
 * since_ms.
 */
int store_agent_computers(struct store *s, int64_t since_ms,
    int64_t *ret_count);
/* Whether device_id has an agent at all. */
int store_device_has_agent(struct store *s, int64_t device_id,
    bool *ret_has);
/*
 * Finds an agent other than except_id on device_id whose last contact is at
 * or after since_ms. Returns 0 and its id, or -ENOENT.
 */
int store_agent_active_other(struct store *s, int64_t device_id,
    int64_t except_id, int64_t since_ms, int64_t *ret_id);
/*
 * Marks disconnected up to limit connected agents silent since before
 * before_ms; for each calls fn(ctx, agent row id, device id, agent_id).
 * Returns the number marked (>= 0) or a negative errno.
 */
typedef int (*store_agent_fn)(void *ctx, int64_t id, int64_t device_id,
    const char *agent_id);
int store_agent_disconnect_silent(struct store *s, int64_t before_ms,
    int limit, store_agent_fn fn, void *ctx);

/* devices */
/* A device's status, as devices.status holds it. */
enum store_status {
	STORE_STATUS_AUTHORIZED,
	STORE_STATUS_UNAUTHORIZED,	/* every new device */
	STORE_STATUS_ARCHIVED,		/* silent: in the archive's pool */
	STORE_STATUS_MAX
};
extern const char *const store_status_names[STORE_STATUS_MAX];
/* Parses one of store_status_names; 0 or -EINVAL. */
int store_status_parse(const char *name, enum store_status *ret_status);

struct store_device {
	int64_t		id;
	int64_t		owner_agent;	/* 0 when none */
	enum store_status status;
	int64_t		last_seen_ms;
	char		*attr[9];	/* effective values, see
					   store_attr_names; NULL if unset */
	char		*ip;		/* primary addresses, NULL if none */
	char		*mac;
	char		*category;	/* derived: server, workstation… */
};
/* The attribute names, in the order of store_device.attr. */
enum store_attr {
	STORE_ATTR_NAME,
	STORE_ATTR_HOSTNAME,
	STORE_ATTR_DOMAIN,
	STORE_ATTR_OS_NAME,
	STORE_ATTR_OS_VERSION,
	STORE_ATTR_VENDOR,
	STORE_ATTR_MODEL,
	STORE_ATTR_SERIAL_NUMBER,
	STORE_ATTR_CATEGORY,
	STORE_ATTR_MAX
};
extern const char *const store_attr_names[STORE_ATTR_MAX];

enum store_source {
	STORE_SOURCE_MANUAL,	/* highest precedence */
	STORE_SOURCE_EPP,
	STORE_SOURCE_TRAFFIC,
	STORE_SOURCE_MAX
};
extern const char *const store_source_names[STORE_SOURCE_MAX];

/* Frees the strings of d (not d itself); NULL-safe. */
void store_device_clear(struct store_device *d);
/* Loads the device row; the caller clears it with store_device_clear(). */
int store_device_get(struct store *s, int64_t id,
    struct store_device *ret_device);
int store_device_insert(struct store *s, enum store_source source,
    int64_t now_ms, int64_t *ret_id);
/* Devices that are not archived (what limits.max_devices bounds). */
int store_device_count(struct store *s, int64_t *ret_count);
/* Widens last_seen_ms; un-archives nothing (status is the admin's). */
int store_device_touch(struct store *s, int64_t id, int64_t now_ms);
int store_device_set_owner(struct store *s, int64_t id, int64_t agent_ref);
/*
 * Sets the primary IP and MAC of device id shown in the device table
 * (NULL or "" leaves that one alone); writes nothing when they are
 * already those, and runs no statement when the peer cache knows it.
 */
int store_device_set_primary(struct store *s, int64_t id, const char *ip,
    const char *mac);
/*
 * When ip is the primary IP of device id, it becomes another IP of the
 * device (or none): for an IP that moved to another device.
 */
int store_device_drop_primary_ip(struct store *s, int64_t id,
    const char *ip);
int store_device_set_category(struct store *s, int64_t id,
    const char *category);

/*
 * Stores value for (device, attribute, source) and recomputes the device's
 * effective value by precedence. *ret_old (caller frees with free(), may be
 * NULL) gets the previous value of that same source; ret_changed says
 * whether the stored value changed. value NULL deletes that source's value.
 */
int store_attr_set(struct store *s, int64_t device_id, enum store_attr attr,
    enum store_source source, const char *value, int64_t now_ms,
    char **ret_old, bool *ret_changed);

/*
 * Loads every value of source for device_id into ret_values (indexed by
 * enum store_attr, NULL where unset); the caller frees each with free().
 */
int store_attr_get_source(struct store *s, int64_t device_id,
    enum store_source source, char *ret_values[STORE_ATTR_MAX]);

/* addresses: value is canonical text; kind "mac", "ipv4" or "ipv6". */
/* Device holding address value, or -ENOENT. */
int store_address_device(struct store *s, const char *value,
    int64_t *ret_device_id);
/* The device holding an address, as the merge rules need it. */
struct store_holder {
	int64_t		device_id;
	int64_t		last_seen_ms;	/* of the device: touch it only when
					   that is stale */
	enum store_status status;	/* of the device */
	enum store_source source;	/* of the address; manual: set by hand */
	bool		has_mac;	/* the device has a MAC address */
	int64_t		addr_seen_ms;	/* last_seen_ms of the address */
};
/*
 * Fills *ret_holder for address value; -ENOENT when nobody holds it.
 * Answers come from the peer cache when they can (store-private.h).
 */
int store_address_holder(struct store *s, const char *value,
    struct store_holder *ret_holder);
/*
 * Hints that store_address_holder() of each of values[0 … n) follows:
 * their answers in the peer cache are fetched from memory together, not
 * one after the other (issue 17: a report's peers missed the CPU's caches
 * one by one, 2-4 us a report). Changes nothing.
 */
void store_address_prefetch(struct store *s, const char *const *values,
    size_t n);

/* Counters of the peer cache since the store was opened. */
struct store_peer_cache_stats {
	uint64_t	hits;
	uint64_t	misses;
	uint64_t	evictions;	/* entries dropped to make room */
	uint64_t	clears;		/* forgotten whole (rollbacks, prunes) */
	uint64_t	primary_skips;	/* store_device_set_primary() calls
					   that the cache showed were no-ops */
	uint32_t	entries;	/* cached now */
};
void store_peer_cache_stats(const struct store *s,
    struct store_peer_cache_stats *ret_stats);
/* Device holding IP value that has no MAC address at all, or -ENOENT. */
int store_address_device_without_mac(struct store *s, const char *value,
    int64_t *ret_device_id);
/*
 * Puts address value on device_id, creating it or moving it from another
 * device. Returns 1 when the device did not hold it before (new, or moved:
 * *ret_from is then the device it was taken from), 0 when it already held
 * it (*ret_from 0), or a negative errno. An address its device showed in
 * the last STORE_TOUCH_MS, with no interface given, costs no SQL when
 * the peer cache knows it (issue 17).
 */
int store_address_put(struct store *s, int64_t device_id, const char *kind,
    const char *value, const char *interface, enum store_source source,
    int64_t now_ms, int64_t *ret_from);

/* Sets the source of address value (e.g. manual: set by hand). */
int store_address_set_source(struct store *s, const char *value,
    enum store_source source);

/* EPP applications of a device */
struct store_application {
	const char	*product;
	const char	*version;
	const char	*state;		/* unspecified|running|stopped|failed */
	bool		realtime_protection;
	int64_t		bases_date_ms;
};
/* Replaces the list of device_id's applications with apps[0..n). */
int store_applications_replace(struct store *s, int64_t device_id,
    int64_t agent_ref, const struct store_application *apps, size_t n,
    int64_t now_ms);

/* events */
struct store_event {
	const char	*event_id;	/* NULL for system events */
	int64_t		agent_ref;	/* 0 when none */
	int64_t		device_id;	/* 0 when none */
	int64_t		occurred_at_ms;
	int64_t		registered_at_ms;
	int64_t		code;
	const char	*title;
	int		severity;	/* 1..3 */
	const char	*technology;	/* "epp" | "system" */
	const char	*category;
	const char	*product;
	const char	*agent_title;
	const char	*description;
	const char	*object_path;
	const char	*threat_name;
	const char	*user_name;
	const char	*hostname;
	const char	*attributes;	/* JSON object or NULL */
	const char	*tags;		/* JSON array or NULL for [] */
};
/*
 * Inserts the event and its full-text row. Returns 1 when stored, 0 when
 * (agent_ref, event_id) was already there (nothing changed), or a negative
 * errno.
 */
int store_event_insert(struct store *s, const struct store_event *ev);
/*
 * The key of an agent's event id in events.event_key: SipHash-2-4 of its
 * bytes under a fixed key (stored values depend on it: never change it).
 * Two ids may share a key; store_event_insert() compares the ids.
 */
int64_t store_event_key(const char *event_id);
int store_event_count(struct store *s, int64_t *ret_count);
/* The highest events.id, 0 when there is none. */
int store_event_max_id(struct store *s, int64_t *ret_id);
/*
 * Widens the times of device_id's latest warning and critical events,
 * from which map_nodes computes security_state (0: no such event).
 * store_event_insert() does not: callers aggregate a report's events.
 */
int store_device_mark_severity(struct store *s, int64_t device_id,
    int64_t warning_ms, int64_t critical_ms);
/*
 * Deletes the n oldest events and their full-text rows, also rows inserted
 * earlier in the same transaction.
 */
int store_event_trim(struct store *s, int64_t n);

/* interactions */
struct store_interaction {
	int64_t		src_device_id;	/* initiator */
	int64_t		dst_device_id;	/* responder */
	const char	*protocol;	/* tcp|udp|icmp */
	uint32_t	port;		/* responder port, 0 for icmp */
	const char	*source;	/* traffic|epp */
	int64_t		first_seen_ms;
	int64_t		last_seen_ms;
	uint64_t	packets;
	uint64_t	bytes;
};
/*
 * Adds counters to the interaction, creating it; seen times widen. Inside
 * a transaction the addition is queued and merged with the others of the
 * same interaction (issue 17) and written by store_interaction_flush(),
 * at the latest by COMMIT; a rollback drops it with the rest. Returns 0,
 * -ENOMEM, or the error of a write (the queue is written when full).
 */
int store_interaction_add(struct store *s,
    const struct store_interaction *in);
/*
 * Writes the queued interactions, one UPSERT each in key order, and
 * empties the queue. Returns 0 or a negative errno; on error the queue is
 * empty too and the transaction must be rolled back (the part written and
 * the part dropped are the transaction's).
 */
int store_interaction_flush(struct store *s);
/*
 * Counts the interactions of initiators after after_src (device ids in
 * order), those of at least limit rows but whole initiators: adds them
 * to *count and sets *after_src to the last initiator counted. Returns 1
 * when initiators may be left, 0 when the count reached the end, or a
 * negative errno. Counting in such steps, a few milliseconds each, keeps
 * a count of a large table from stalling the writer.
 */
int store_interaction_count_step(struct store *s, int64_t *after_src,
    int64_t limit, int64_t *count);
/*
 * Statements that wrote an interaction row (added or updated it) through
 * s so far, rolled back or not: the rows added since an earlier reading
 * are at most the difference, which spares a store_interaction_count_step()
 * (all of up to 1M rows read) while they cannot have passed a cap.
 */
uint64_t store_interaction_writes(const struct store *s);
/* Deletes the n interactions first seen longest ago. */
int store_interaction_trim(struct store *s, int64_t n);

/*
 * Traffic (store_traffic.c, issue 13). store_traffic_edge_add() adds in
 * (source "traffic") with app_protocol (NULL or "" keeps the stored one)
 * and sets *ret_created when the interaction is new.
 * store_traffic_address_new() adds address value, which nobody holds, to
 * device_id (source traffic); -EEXIST when somebody does.
 * store_traffic_device_fill() gives device_id, made from traffic in this
 * transaction and without addresses or attributes yet, its IP (of kind
 * ip_kind) and MAC as addresses of source traffic and primary ones, and
 * its vendor from traffic (what store_attr_set() would do); "" leaves one
 * out. Three statements at most, where one each would take six.
 * store_traffic_fill_primary() sets the primary IP and MAC of
 * device_id where it has none (NULL or "": leave that one).
 */
int store_traffic_edge_add(struct store *s, const struct store_interaction *in,
    const char *app_protocol, bool *ret_created);
int store_traffic_address_new(struct store *s, int64_t device_id,
    const char *kind, const char *value, int64_t now_ms);
int store_traffic_device_fill(struct store *s, int64_t device_id,
    const char *ip_kind, const char *ip, const char *mac, const char *vendor,
    int64_t now_ms);
int store_traffic_fill_primary(struct store *s, int64_t device_id,
    const char *ip, const char *mac);

/* integration servers (struct engine_server of records.h) */
struct engine_server;
struct engine_server_spec;
int store_server_count(struct store *s, int64_t *ret_count);
int store_server_insert(struct store *s,
    const struct engine_server_spec *spec, int64_t now_ms, int64_t *ret_id);
int store_server_list(struct store *s, struct engine_server **ret_servers,
    size_t *ret_n);
int store_server_set_cert(struct store *s, int64_t id, const char *serial,
    const char *sha256, int64_t not_after_ms, int64_t now_ms);
/* Sets last_data_ms of server id (no-op for id 0). */
int store_server_touch(struct store *s, int64_t id, int64_t now_ms);

/* Replaces the saved rule set and its counters (table rules_state). */
int store_rules_state_put(struct store *s, const char *file,
    int64_t loaded_ms, const char *rules_json, int64_t now_ms);

/*
 * The archive (store_archive.c, issue 12). store_device_silent() writes
 * to ret_ids the ids of at most max devices that are not archived and
 * were last seen before before_ms, the longest silent first, and returns
 * how many (or a negative errno). store_device_status_set() returns 1
 * when the status of device id changed, 0 when it had it already,
 * -ENOENT or a negative errno. store_archive_count() counts archived
 * devices. store_archive_prune() deletes the n archived devices silent the
 * longest, with their addresses, attributes, applications and
 * interactions (their events and agents stay, without the link), and
 * returns how many it deleted or a negative errno.
 */
int store_device_silent(struct store *s, int64_t before_ms, int64_t *ret_ids,
    size_t max);
int store_device_status_set(struct store *s, int64_t id,
    enum store_status status);
int store_archive_count(struct store *s, int64_t *ret_count);
int store_archive_prune(struct store *s, int64_t n);

/*
 * IP conflicts being reported (store_archive.c, issue 12): device_id uses
 * IP value that another device holds. store_conflict_note() returns 1 when
 * "IP address conflict" is due (the conflict is new, or was last reported
 * before now_ms - every_ms; its time is then set to now_ms), 0 when not,
 * or a negative errno. store_conflict_clear() forgets it (device_id holds
 * value now).
 */
int store_conflict_note(struct store *s, int64_t device_id,
    const char *value, int64_t now_ms, int64_t every_ms);
int store_conflict_clear(struct store *s, int64_t device_id,
    const char *value);

/*
 * Selection of devices for device set (store_select.c, issue 12).
 * store_device_exists(): 0 or -ENOENT. store_device_by_name(): the one
 * device whose name or host name is name (any case); -ENOENT when none,
 * -EEXIST when several (*ret_count then says how many). store_ip_each():
 * calls fn for every IP address (device id and canonical text) until fn
 * returns nonzero, which it returns; else 0 or a negative errno.
 */
int store_device_exists(struct store *s, int64_t id);
int store_device_by_name(struct store *s, const char *name,
    int64_t *ret_id, int64_t *ret_count);
typedef int (*store_ip_fn)(void *ctx, int64_t device_id, const char *ip);
int store_ip_each(struct store *s, store_ip_fn fn, void *ctx);

/* administration (store_admin.c, issue 5); structs of records.h */
struct engine_user;
struct engine_audit;
int store_server_update(struct store *s, int64_t id,
    const struct engine_server_spec *spec);
int store_server_delete(struct store *s, int64_t id);
int store_server_set_package(struct store *s, int64_t id,
    const char *package_id, int64_t created_ms);
/*
 * Marks revoked the certificates of server_id not revoked yet, of kind
 * ("server" or "client"; NULL: all) other than keep_serial (NULL: none
 * kept), and returns their serials in an array freed with
 * store_strings_free().
 */
int store_cert_revoke_server(struct store *s, int64_t server_id,
    const char *kind, const char *keep_serial, int64_t now_ms,
    char ***ret_serials, size_t *ret_n);
/*
 * Communication data packages (issue 10): a package's client certificate
 * is inserted pending; activating it clears pending, discarding it marks
 * it revoked. Both act only on a certificate still pending and not
 * revoked, return -ENOENT when there is none, and return its serial
 * (freed with free()).
 */
int store_package_cert_insert(struct store *s, int64_t server_id,
    const char *package_id, const char *serial, const char *sha256,
    int64_t not_after_ms, int64_t now_ms);
/* Marks revoked the pending client certificates of server_id. */
int store_package_cert_revoke_pending(struct store *s, int64_t server_id,
    int64_t now_ms, char ***ret_serials, size_t *ret_n);
/* Also returns created_ms of the certificate (the package's time). */
int store_package_cert_activate(struct store *s, int64_t server_id,
    const char *package_id, char **ret_serial, int64_t *ret_created_ms);
int store_package_cert_discard(struct store *s, int64_t server_id,
    const char *package_id, int64_t now_ms, char **ret_serial);
void store_strings_free(char **v, size_t n);
/* Connected agents in contact since since_ms, of server_id (0: any). */
int store_agents_connected(struct store *s, int64_t since_ms,
    int64_t server_id, int64_t *ret_count);
int store_user_list(struct store *s, struct engine_user **ret_users,
    size_t *ret_n);
int store_user_put(struct store *s, const char *name, const char *role,
    int64_t now_ms);
int store_user_delete(struct store *s, const char *name);
int store_audit_insert(struct store *s, const struct engine_audit *a);

/* SIEM connectors (store_connector.c). */
struct engine_connector;
struct engine_connector_progress;
int store_connector_count(struct store *s, int64_t *ret_count);
/*
 * Stores connector c and its cursor, which starts after the newest event
 * stored now. Returns 0 and the new id; -EEXIST for a name in use.
 */
int store_connector_insert(struct store *s, const struct engine_connector *c,
    int64_t now_ms, int64_t *ret_id);
/* Replaces the row c->id with c; -ENOENT when there is none. */
int store_connector_update(struct store *s, const struct engine_connector *c);
/* Deletes connector id and its cursor; -ENOENT when there is none. */
int store_connector_delete(struct store *s, int64_t id);
/*
 * Every connector by id, or the one called name (NULL: all). Returns 0 and
 * an array freed with engine_connectors_free().
 */
int store_connector_list(struct store *s, const char *name,
    struct engine_connector **ret_v, size_t *ret_n);
/* Saves what the forwarder reported for one connector (p->id). */
int store_connector_progress(struct store *s,
    const struct engine_connector_progress *p, int64_t now_ms);

#endif
