/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event-type list (conf/event-types.yaml): maps an EPP category or a
 * system event category to a code, a title and a default severity.
 */
#ifndef KICS_EVENT_TYPES_H
#define KICS_EVENT_TYPES_H

#include <stdint.h>

#include "diag.h"

enum severity {
	SEVERITY_INFO = 1,
	SEVERITY_WARNING = 2,
	SEVERITY_CRITICAL = 3,
	SEVERITY_MAX
};

enum technology {
	TECHNOLOGY_EPP,
	TECHNOLOGY_SYSTEM,
	TECHNOLOGY_MAX
};

/* System event categories the engine and the daemon register. */
#define EVENT_AGENT_CONNECTED		"agent_connected"
#define EVENT_AGENT_DISCONNECTED	"agent_disconnected"
#define EVENT_DEVICE_ADDED		"device_added"
#define EVENT_DEVICE_CHANGED		"device_attributes_changed"
#define EVENT_IP_MOVED			"ip_moved"
#define EVENT_IP_CONFLICT		"ip_conflict"
#define EVENT_ARCHIVED_ACTIVITY		"archived_device_activity"
#define EVENT_DUPLICATE_AGENT		"duplicate_agent_identity"
#define EVENT_AGENT_LIMIT		"agent_limit_reached"
#define EVENT_DEVICE_LIMIT		"device_limit_reached"
#define EVENT_DEVICE_ARCHIVED		"device_archived"
#define EVENT_SERVER_ADDED		"integration_server_added"
#define EVENT_SERVER_CHANGED		"integration_server_changed"
#define EVENT_SERVER_REMOVED		"integration_server_removed"
#define EVENT_CERT_EXPIRING		"certificate_expiring"
#define EVENT_CONFIG_REJECTED		"configuration_rejected"
#define EVENT_SERVER_ERROR		"integration_server_error"
#define EVENT_IP_CONFLICT		"ip_conflict"
#define EVENT_NO_TRAFFIC		"no_traffic"	/* issue 13 */

/*
 * Codes: the monitoring product documents codes of 4000000000..4099999999
 * (a file may give one only to the category it is documented for, see
 * event_types_documented()); every other type has a code of
 * 4900000000..4999999999, a range the product does not use.
 */
#define EVENT_CODE_PRODUCT_MIN	4000000000LL
#define EVENT_CODE_PRODUCT_MAX	4099999999LL
#define EVENT_CODE_OWN_MIN	4900000000LL
#define EVENT_CODE_OWN_MAX	4999999999LL

/*
 * The category the product documents code for, or NULL when code is not
 * one of its documented codes. Static.
 */
const char *event_types_documented(int64_t code);
#define EVENT_UDP_DATA_LOST		"udp_data_lost"	/* issue 14 */
#define EVENT_CONNECTOR_FAILED		"connector_failed"
#define EVENT_CONNECTOR_RECOVERED	"connector_recovered"
#define EVENT_CONNECTOR_TRIMMED		"connector_events_trimmed"
#define EVENT_CONNECTOR_CHANGED		"connector_changed"

/* Category whose entry is used for EPP categories that are not listed. */
#define EVENT_CATEGORY_GENERIC		"*"

struct event_type {
	int64_t		code;		/* see EVENT_CODE_* */
	const char	*category;	/* e.g. "network_attack" */
	const char	*title;
	enum severity	severity;	/* default when the agent sends none */
	enum technology	technology;
};

struct event_types;

/*
 * Reads an event-types file. Every problem is added to diag as
 * "file:line:column: message" and reading goes on, so one run shows them
 * all. System categories (EVENT_* above) and the generic entry that the
 * file does not list are taken from the embedded default file.
 * Returns 0 and a list the caller frees with event_types_free(); -EINVAL
 * when diag got errors; -ENOENT/-EACCES/-EIO when the file cannot be read
 * (also in diag); -ENOMEM. Nothing is written to *ret_types on failure.
 */
int event_types_load(const char *path, struct diag *diag,
    struct event_types **ret_types);

/*
 * Reads the embedded default conf/event-types.yaml. Returns 0 or a negative
 * errno as event_types_load().
 */
int event_types_load_default(struct diag *diag,
    struct event_types **ret_types);

/* Frees the list. NULL-safe. */
void event_types_free(struct event_types *types);

/*
 * Returns the type for category, or the generic entry when category is not
 * listed. Never NULL. Borrowed until event_types_free().
 */
const struct event_type *event_types_find(const struct event_types *types,
    const char *category);

/* Returns "info", "warning" or "critical". */
const char *severity_name(enum severity s);
/* Parses those names; returns 0 or -EINVAL. */
int severity_parse(const char *s, enum severity *ret_severity);

struct yaml_doc_check;
struct yaml_doc_node;

/*
 * For the loaders of conf/ files: reads one of those names, of at most max
 * bytes, from n. Returns 0, or -EINVAL after reporting "unknown severity
 * 'x' (expected info, warning or critical)" or a text problem to c (see
 * yaml_doc.h); *ret_severity is written only on success.
 */
int severity_check(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    size_t max, enum severity *ret_severity);

#endif
