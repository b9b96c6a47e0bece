/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Records that cross the engine's API and that the store fills: integration
 * servers, users and audit entries, and the functions that free them. They
 * live beside the store so that the store needs nothing from the layers
 * above it; engine.h includes this header.
 */
#ifndef KICS_RECORDS_H
#define KICS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"
#include "connector.h"

/* An integration server as stored (DESIGN.md "integration servers"). */
struct engine_server {
	int64_t		id;
	char		*name;
	char		*address;	/* IP literal */
	uint16_t	port;
	bool		enabled;
	bool		verify_client_cert;
	enum server_transport transport;
	uint16_t	udp_port;		/* UDP mode: the port */
	bool		udp_encryption;		/* plain datagrams dropped */
	char		*package_id;		/* current package, NULL none */
	int64_t		cert_not_after_ms;	/* 0 = none yet */
	int64_t		package_created_ms;	/* 0 = none yet */
	int64_t		last_data_ms;		/* 0 = none yet */
};

/* What creating an integration server takes. */
struct engine_server_spec {
	const char	*name;
	const char	*address;
	uint16_t	port;
	bool		enabled;
	bool		verify_client_cert;
	enum server_transport transport;
	uint16_t	udp_port;	/* 0: the same as port */
	bool		udp_encryption;
};

/* Frees what engine_servers_list() returned. NULL-safe. */
void engine_servers_free(struct engine_server *servers, size_t n);

/* Frees the strings of s (not s). NULL-safe. */
void engine_server_clear(struct engine_server *s);

/* Frees an array of strings from the engine. NULL-safe. */
void engine_strings_free(char **v, size_t n);

/* A row of the users table. */
struct engine_user {
	char		*name;		/* OS user name */
	char		*role;		/* administrator | operator */
	int64_t		created_ms;
};

/* Frees what engine_users_list() returned. NULL-safe. */
void engine_users_free(struct engine_user *users, size_t n);

/* One audit record; strings are borrowed. */
struct engine_audit {
	int64_t		at_ms;
	const char	*os_user;
	int64_t		uid;
	const char	*role;		/* administrator | operator | none */
	const char	*action;	/* e.g. "server add" */
	const char	*target;	/* NULL when none */
	const char	*result;	/* ok | refused | failed */
	const char	*detail;	/* NULL or one line */
};

/* A SIEM connector as stored (table connectors). */
struct engine_connector {
	int64_t		id;		/* 0 until stored */
	char		*name;
	char		*address;	/* IP literal or host name */
	uint16_t	port;
	enum connector_transport transport;
	char		*ca;		/* PEM file, or NULL */
	enum connector_format format;
	int		min_severity;	/* 1 info, 2 warning, 3 critical */
	unsigned	technologies;	/* CONNECTOR_TECH_* bits */
	bool		enabled;
};

/* Frees the strings of c (not c). NULL-safe. */
void engine_connector_clear(struct engine_connector *c);
/* Frees an array of connectors. NULL-safe. */
void engine_connectors_free(struct engine_connector *v, size_t n);
/*
 * Copies src into dst (strings duplicated). Returns 0 or -ENOMEM, when
 * dst is left cleared.
 */
int engine_connector_copy(struct engine_connector *dst,
    const struct engine_connector *src);

/* The forwarder's state of one connector, saved by the writer. */
struct engine_connector_progress {
	int64_t		id;		/* connector */
	int64_t		cursor;		/* last event delivered or skipped */
	int64_t		delivered;	/* messages since the last save */
	int64_t		trimmed;	/* events lost since the last save */
	int64_t		errors;		/* failures since the last save */
	int64_t		last_delivered_ms;	/* 0: none since */
	char		state[32];	/* connected | retrying | disabled… */
	char		last_error[256];	/* "" when none */
	/* system events to register with it (0 or 1 each) */
	bool		failed;		/* just went down */
	bool		recovered;	/* just came back */
};

/* One event as the forwarder formats it; strings are borrowed. */
struct engine_fwd_event {
	int64_t		id;
	int64_t		occurred_at_ms;
	int64_t		code;
	int		severity;	/* 1 info, 2 warning, 3 critical */
	const char	*title;
	const char	*description;	/* "" when none */
	const char	*technology;	/* epp | system */
	const char	*category;	/* "" when none */
	int64_t		device_id;	/* 0: none */
	const char	*ip;		/* "" when unknown */
	const char	*mac;
	const char	*hostname;
	const char	*tags;		/* comma-separated, "" when none */
};

#endif
