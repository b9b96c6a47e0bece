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

#endif
