/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The UDP receiver of the daemon (issue 14): one socket per integration
 * server in UDP mode, datagrams parsed (udp_wire.h), opened with the
 * package keys (pki_udp.h), reassembled (udp_reasm.h) and handed to the
 * one intake (intake.h) as one-way reports. Nothing is ever sent back.
 *
 * THREAD SAFETY NOTES: loop thread only; the writer's answers come back
 * there too (ingest.h).
 */
#ifndef KICS_UDP_H
#define KICS_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct writer;

#define UDP_REASM_BYTES_MAX	(32 * 1024 * 1024)	/* per server */

/* Settings of the receiver, copied from the configuration. */
struct udp_config {
	size_t		rcvbuf_bytes;	/* limits.udp_rcvbuf_bytes */
	const char	*pki_dir;	/* where the package keys are */
};

/* One integration server to receive for. Strings are copied. */
struct udp_server_params {
	int64_t		server_id;
	const char	*name;
	const char	*address;	/* IP literal */
	uint16_t	port;		/* udp_port; 0 picks a free one (tests) */
	bool		encryption;	/* udp_encryption: plain is dropped */
};

struct udp;

/*
 * The receiver of the daemon on base, handing reports to w (borrowed; it
 * must outlive the receiver). Reads the package keys at once. Ends the
 * program when out of memory.
 */
struct udp *udp_new(struct event_base *base, struct writer *w,
    const struct udp_config *cfg);

/*
 * Starts receiving for p. Returns 0, or the negative errno of the failed
 * socket or bind (logged with the server's name, and kept for
 * udp_states_json()).
 */
int udp_listen(struct udp *u, const struct udp_server_params *p);

/* Stops receiving for server_id. Returns 0 or -ENOENT. */
int udp_listener_stop(struct udp *u, int64_t server_id);

/* Whether server_id is received for. */
bool udp_listener_running(const struct udp *u, int64_t server_id);

/*
 * The n-th socket: server id, name, address and bound port, borrowed
 * until it stops. Returns 0 or -ENOENT.
 */
int udp_listener_get(const struct udp *u, size_t n, int64_t *ret_server_id,
    const char **ret_name, const char **ret_address, uint16_t *ret_port);

/* Number of sockets receiving. */
size_t udp_listener_count(const struct udp *u);

/*
 * Reads the package keys again (after a package was made, activated or
 * discarded, or a server removed): from then on only those open
 * datagrams. Keeps the old keys when the directory cannot be read.
 */
void udp_keys_reload(struct udp *u);

/*
 * Per server: its state and counters, as a JSON object from server id to
 * {"state": "listening" | "error: <reason>", "port", "received",
 * "dropped_malformed", "dropped_undecryptable", "dropped_incomplete",
 * "dropped_kernel", "dropped_busy", "reports_applied", "reports_refused",
 * "reassembling"}; counters survive a restart of the socket (an edit),
 * not of the daemon. The caller frees it with free().
 */
char *udp_states_json(const struct udp *u);

/* Reports handed to the writer and not answered yet. */
size_t udp_pending(const struct udp *u);

/* Closes every socket (shutdown); answers still come back. */
void udp_stop_accepting(struct udp *u);

/*
 * Frees everything. Call after writer_free(), which answers the reports
 * still queued. NULL-safe.
 */
void udp_free(struct udp *u);

#endif
