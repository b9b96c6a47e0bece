/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon configuration (conf/kics-epp.yaml): read, validated and then
 * immutable. A reload builds a new struct conf and swaps it in.
 */
#ifndef KICS_CONF_H
#define KICS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connector.h"
#include "diag.h"
#include "log.h"
#include "role.h"
#include "transport.h"


/* Where the daemon logs (log:); DEFAULT follows --foreground. */
enum conf_log {
	CONF_LOG_DEFAULT,	/* stderr with --foreground, else syslog */
	CONF_LOG_STDERR,
	CONF_LOG_SYSLOG,
	CONF_LOG_FILE,		/* log_file */
	CONF_LOG_MAX
};

struct conf_server {
	char		*name;
	char		*address;		/* IPv4 or IPv6 literal */
	uint16_t	 port;
	bool		 verify_client_cert;
	bool		 enabled;
	enum server_transport transport;	/* https | udp | both */
	uint16_t	 udp_port;		/* default: port */
	bool		 udp_encryption;
};

/* A monitoring point: live capture on an interface (issue 13). */
struct conf_point {
	char		*name;
	char		*interface;
	char		*filter;		/* BPF expression, "" for all */
};

/* A SIEM connector of connectors: (DESIGN.md "SIEM forwarding"). */
struct conf_connector {
	char		*name;
	char		*address;		/* IP literal or host name */
	uint16_t	 port;
	enum connector_transport transport;
	char		*ca;			/* absolute path, or NULL */
	enum connector_format format;
	int		 min_severity;		/* 1 info … 3 critical */
	unsigned	 technologies;		/* CONNECTOR_TECH_* bits */
	bool		 enabled;
};

struct conf_user {
	char		*name;			/* OS user name */
	enum role	 role;
};

struct conf {
	char			*path;		/* NULL when built in */
	char			*data_dir;	/* absolute */
	enum log_level		 log_level;
	enum conf_log		 log;
	char			*log_file;	/* log: file; else NULL */
	char			*user;		/* the daemon's service user;
						   NULL: not set */
	struct conf_server	*servers;	/* integration_servers */
	size_t			 n_servers;
	uint32_t		 max_agents;	/* agents.* */
	uint32_t		 report_interval_s;
	uint32_t		 timeout_s;	/* >= 2 * report_interval_s */
	uint32_t		 max_new_per_address;	/* a minute, 0: any */
	uint64_t		 max_body_bytes; /* limits.* */
	uint64_t		 max_body_memory_bytes;
	uint64_t		 udp_rcvbuf_bytes;	/* SO_RCVBUF of UDP */
	uint32_t		 max_connections;
	uint32_t		 idle_timeout_s;
	uint32_t		 handshake_timeout_s;
	uint32_t		 max_connections_per_address;
	uint32_t		 max_devices;
	uint32_t		 max_archived_devices;
	uint64_t		 max_events;
	uint64_t		 max_interactions;
	uint32_t		 archive_after_days;
	struct conf_connector	*connectors;	/* connectors */
	size_t			 n_connectors;
	struct conf_user	*users;
	size_t			 n_users;
	struct conf_point	*points;	/* monitoring_points */
	size_t			 n_points;
	uint32_t		 flush_interval_s;	/* traffic.* */
	uint32_t		 no_traffic_after_s;
	uint32_t		 max_flows;
	char			*ieee_data_dir;	/* absolute */
	/*
	 * event_types and rules, relative names resolved against the
	 * directory of path; NULL when the configuration is the built-in one
	 * or does not name them, which means the built-in files.
	 */
	char			*event_types_path;
	char			*rules_path;
};

/*
 * Reads the configuration file at path, or the built-in default
 * (conf/kics-epp.yaml as shipped) when path is NULL. Every key is optional
 * and defaults to the shipped value; unknown keys, wrong types and values
 * out of range are errors. Every error is added to diag as
 * "file:line:column: message" and reading goes on.
 * Returns 0 and a configuration the caller frees with conf_free(); -EINVAL
 * when diag got errors; -ENOENT/-EACCES/-EIO when the file cannot be read
 * (also in diag); -ENOMEM. *ret_conf is written only on success.
 */
int conf_load(const char *path, struct diag *diag, struct conf **ret_conf);

/* Frees c and everything in it. NULL-safe. */
void conf_free(struct conf *c);

/*
 * Checks that next changes no key that needs a restart (data_dir, user,
 * limits.max_connections) compared with cur. Adds one message per such key
 * to diag (with next's file name, no line). Returns 0 or -EINVAL, or
 * -ENOMEM.
 */
int conf_check_reload(const struct conf *cur, const struct conf *next,
    struct diag *diag);

/*
 * Server, connector and OS user names as useradd(8) takes them: letters, digits,
 * '.', '_', '-', not starting with '-' (which a program would take for an
 * option). True when s is one.
 */
bool conf_name_valid(const char *s);

/* Parses "stderr", "syslog" or "file"; returns 0 or -EINVAL. */
int conf_log_parse(const char *s, enum conf_log *ret_log);

#endif
