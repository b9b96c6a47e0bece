/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SIEM forwarding (DESIGN.md "SIEM forwarding", issue 16): the formats
 * (forward_format.c), the syslog transports (forward_conn.c) and the
 * forwarder thread (forward.c), which reads events through its own
 * read-only connection (engine/store/store_forward.h) and never writes the
 * database: it hands its progress to a publish callback, which the daemon
 * runs through its writer, the one writer of the database.
 *
 * THREAD SAFETY: forward_new(), forward_reload(), forward_test(),
 * forward_stop() and forward_free() may be called from any one thread
 * (the daemon's loop); the publish callback runs on the forwarder thread.
 */
#ifndef KICS_FORWARD_H
#define KICS_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "strbuf.h"

#define FORWARD_SD_ID		"kics@32473"
#define FORWARD_APP_NAME	"kics-epp"
#define FORWARD_FACILITY	16	/* local0 */
#define FORWARD_TITLE_MAX	1024	/* bytes of a title in a message */
#define FORWARD_TEXT_MAX	4096	/* bytes of a description */

/* forward_format.c ---------------------------------------------------------- */

/* Who sends: the header fields that are not the event's. */
struct forward_origin {
	const char	*hostname;	/* RFC 5424 HOSTNAME; "-" when unknown */
	long		pid;		/* PROCID */
	const char	*version;	/* CEF device version */
};

/*
 * Appends to b one message for ev in format f, without transport framing:
 * RFC 5424 (with the structured data kics@32473) or CEF inside an RFC 5424
 * header. An event with code 0 is the test message (MSGID "test").
 * Returns 0 or -ENOMEM (b->error).
 */
int forward_format(struct strbuf *b, enum connector_format f,
    const struct forward_origin *o, const struct engine_fwd_event *ev);

/* RFC 5424 PRI of a severity (1..3): local0 with critical 2, warning 4,
   info 6. */
int forward_pri(int severity);
/* CEF severity 0..10 of a severity (1..3): 3, 6, 9. */
int forward_cef_severity(int severity);

/* Appends s escaped as an RFC 5424 PARAM-VALUE ('"', '\' and ']'). */
int forward_sd_escape(struct strbuf *b, const char *s, size_t max);
/* Appends s escaped for a CEF header field ('\', '|'; newlines: space). */
int forward_cef_header_escape(struct strbuf *b, const char *s, size_t max);
/* Appends s escaped for a CEF extension value ('\', '=', '\n', '\r'). */
int forward_cef_ext_escape(struct strbuf *b, const char *s, size_t max);

/* forward_conn.c ------------------------------------------------------------ */

struct forward_conn;

/*
 * Connects to c's receiver (resolving its address, then the TLS handshake
 * verifying the receiver's certificate with c->ca and c->address) within
 * timeout_ms. Returns 0 and a connection freed with forward_conn_free(), or
 * a negative errno with a one-line reason in err (errlen bytes).
 */
int forward_conn_open(const struct engine_connector *c, int timeout_ms,
    char *err, size_t errlen, struct forward_conn **ret_conn);

/* Closes and frees fc. NULL-safe. */
void forward_conn_free(struct forward_conn *fc);

/*
 * Sends one message: a datagram over UDP, "LEN SP MSG" (RFC 6587 octet
 * counting) over TCP and TLS. Returns 0 once it is written to the socket
 * (sent, for UDP), or a negative errno with the reason in err.
 */
int forward_conn_send(struct forward_conn *fc, const char *msg, size_t len,
    char *err, size_t errlen);

/*
 * Stream transports: writes len bytes of already framed messages. Returns
 * 0 once all are written, or a negative errno with the reason in err.
 */
int forward_conn_write(struct forward_conn *fc, const char *buf, size_t len,
    char *err, size_t errlen);

/*
 * Stream transports: the count of bytes the receiver has acknowledged, and
 * the mark it must reach for everything written so far. UDP: both equal.
 */
int forward_conn_acked(struct forward_conn *fc, uint64_t *ret_acked,
    uint64_t *ret_mark);

/* True when the receiver has closed the connection (stream transports). */
bool forward_conn_closed(struct forward_conn *fc);

/* forward.c ---------------------------------------------------------------- */

/* Called on the forwarder thread with the progress of n connectors. The
   callee copies what it keeps; returns 0 or -EAGAIN to be asked again. */
typedef int forward_publish_fn(void *arg,
    const struct engine_connector_progress *v, const char *const *names,
    size_t n);

/* Called from the test thread with the outcome of forward_test(). */
typedef void forward_test_fn(void *arg, int r, const char *message);

/*
 * The highest event id whose COMMIT is on disk (the forwarder's thread
 * calls it before each read): events above it are not sent yet.
 */
typedef int64_t forward_durable_fn(void *arg);

struct forward_params {
	const char	*db_path;	/* the database, opened read-only */
	forward_publish_fn *publish;
	void		*publish_arg;
	forward_durable_fn *durable;	/* NULL: every event stored */
	void		*durable_arg;
};

struct forward;

/*
 * Starts the forwarder thread. Returns 0 and a forwarder freed with
 * forward_free(), or a negative errno (the database cannot be opened,
 * the thread cannot start) with a reason in err.
 */
int forward_new(const struct forward_params *p, char *err, size_t errlen,
    struct forward **ret_fwd);

/* Makes the forwarder read the connectors table again (after a change). */
void forward_reload(struct forward *fw);

/*
 * Sends one test message to connector c from a thread of its own, then
 * calls done(arg, r, message) from that thread: r is 0 when the message was
 * delivered (written to the stream or sent as a datagram). Returns 0, or
 * a negative errno when the thread cannot start (done is not called).
 */
int forward_test(struct forward *fw, const struct engine_connector *c,
    forward_test_fn *done, void *arg);

/*
 * Stops the thread: it waits a moment for what it wrote to be
 * acknowledged, publishes its last progress and ends. NULL-safe.
 */
void forward_stop(struct forward *fw);

/* forward_stop(), then frees fw. NULL-safe. */
void forward_free(struct forward *fw);

#endif
