/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transports of an integration server (issue 14): HTTPS, one-way UDP
 * for data diodes, or both, and their names in the configuration, the
 * database and kics-query.
 */
#ifndef KICS_TRANSPORT_H
#define KICS_TRANSPORT_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

enum server_transport {
	SERVER_TRANSPORT_HTTPS,		/* the default */
	SERVER_TRANSPORT_UDP,
	SERVER_TRANSPORT_BOTH,
	SERVER_TRANSPORT_MAX
};

/* "https", "udp" or "both"; static. */
static inline const char *
server_transport_name(enum server_transport t)
{
	static const char *const names[SERVER_TRANSPORT_MAX] = {
		"https", "udp", "both",
	};

	return t < SERVER_TRANSPORT_MAX ? names[t] : "https";
}

/* Reads a transport name; 0, or -EINVAL when s is none of them. */
static inline int
server_transport_parse(const char *s, enum server_transport *ret)
{
	for (int t = 0; t < SERVER_TRANSPORT_MAX; t++)
		if (strcmp(s, server_transport_name(
		    (enum server_transport)t)) == 0) {
			*ret = (enum server_transport)t;
			return 0;
		}
	return -EINVAL;
}

static inline bool
server_transport_https(enum server_transport t)
{
	return t != SERVER_TRANSPORT_UDP;
}

static inline bool
server_transport_udp(enum server_transport t)
{
	return t != SERVER_TRANSPORT_HTTPS;
}

#endif
