/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the UDP receiver (udp.h): the sockets with a large
 * receive buffer and the kernel's drop counter (SO_RXQ_OVFL), the read
 * loop, the opening of encrypted fragments with the package keys, the
 * reassembly and the hand-over of whole reports to the intake, and the
 * counters shown by kics-query status and server list.
 *
 * Nothing here answers a datagram: a data diode carries nothing back.
 * Every datagram is counted as received, and each one that goes nowhere
 * as dropped for one reason: malformed (header, size, magic),
 * undecryptable (plain where encryption is required, no such key, or
 * not authentic), incomplete (its report never completed within
 * UDP_REASM_TIMEOUT_MS), kernel (the socket buffer overflowed) or busy
 * (the writer's queue was full).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ingest.h"
#include "intake.h"
#include "log.h"
#include "pki_udp.h"
#include "strbuf.h"
#include "udp.h"
#include "udp_reasm.h"
#include "udp_wire.h"

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL	40	/* Linux, asm-generic/socket.h */
#endif

#define UDP_READS_PER_EVENT	512	/* datagrams per wake-up */
#define UDP_EXPIRE_MS		1000	/* reassembly sweep */
#define UDP_REASON_LEN		256	/* why a socket failed */
#define UDP_WARN_INTERVAL_MS	10000	/* refused reports in the log */

/* The counters of one server; kept across restarts of its socket. */
struct udp_stats {
	int64_t		server_id;
	uint64_t	received;
	uint64_t	malformed;
	uint64_t	undecryptable;
	uint64_t	incomplete;
	uint64_t	kernel;
	uint64_t	busy;
	uint64_t	applied;
	uint64_t	refused;
	bool		failed;		/* the socket could not be made */
	char		reason[UDP_REASON_LEN];	/* then why */
};

struct udp_receiver {
	struct udp	*udp;
	int64_t		server_id;
	char		*name;
	char		*address;
	uint16_t	port;		/* as bound */
	bool		encryption;
	int		fd;
	struct event	*ev;
	struct udp_reasm *reasm;
	uint64_t	reasm_dropped;	/* of reasm, counted already */
	uint32_t	kernel_seen;	/* SO_RXQ_OVFL, counted already */
};

struct udp {
	struct event_base *base;
	struct writer	*writer;
	struct udp_config cfg;
	char		*pki_dir;
	struct udp_receiver **rx;
	size_t		n_rx;
	struct udp_stats *stats;
	size_t		n_stats;
	struct pki_udp_key *keys;
	size_t		n_keys;
	struct event	*expire_ev;
	size_t		pending;
	int64_t		last_warn_ms;
};

/* A report on its way to the writer. */
struct udp_job {
	struct writer_job job;		/* first: the writer hands it back */
	struct udp	*udp;
};

static struct udp_stats *
udp_stats_get(struct udp *u, int64_t server_id)
{
	for (size_t i = 0; i < u->n_stats; i++)
		if (u->stats[i].server_id == server_id)
			return &u->stats[i];
	u->stats = reallocarray(u->stats, u->n_stats + 1, sizeof(*u->stats));
	if (u->stats == NULL)
		fatal("reallocarray");
	memset(&u->stats[u->n_stats], 0, sizeof(*u->stats));
	u->stats[u->n_stats].server_id = server_id;
	return &u->stats[u->n_stats++];
}

/* Moves what the reassembly dropped since last time to the counters. */
static void
udp_receiver_sync(struct udp_receiver *rx)
{
	uint64_t d = udp_reasm_dropped(rx->reasm);

	udp_stats_get(rx->udp, rx->server_id)->incomplete +=
	    d - rx->reasm_dropped;
	rx->reasm_dropped = d;
}

static void
udp_job_done(struct writer_job *wj)
{
	struct udp_job *uj = (struct udp_job *)wj;
	struct udp *u = uj->udp;
	struct udp_stats *st = udp_stats_get(u, wj->server_id);
	int64_t now;

	switch (wj->status) {
	case REPORT_STATUS_COMMITTED:
		st->applied++;
		break;
	case REPORT_STATUS_ALREADY:
		break;		/* a duplicate: nothing to do, nothing lost */
	case REPORT_STATUS_FAILED:
		st->busy++;	/* the writer logged why */
		break;
	default:
		st->refused++;
		now = ingest_now_ms();
		if (now - u->last_warn_ms >= UDP_WARN_INTERVAL_MS) {
			u->last_warn_ms = now;
			log_info("UDP report from %s refused: %s", wj->source,
			    wj->reason);
		}
		break;
	}
	u->pending--;
	intake_job_fini(wj);
	free(uj);
}

/* Hands a whole report to the intake; data is the caller's. */
static void
udp_submit(struct udp_receiver *rx, const char *source, const uint8_t *data,
    size_t len)
{
	struct udp *u = rx->udp;
	struct udp_stats *st = udp_stats_get(u, rx->server_id);
	struct udp_job *uj = xcalloc(1, sizeof(*uj));
	char reason[ENGINE_REASON_LEN];
	int r;

	uj->udp = u;
	uj->job.server_id = rx->server_id;
	uj->job.one_way = true;
	(void)snprintf(uj->job.source, sizeof(uj->job.source), "%s", source);
	uj->job.done = udp_job_done;
	r = intake_submit(u->writer, &uj->job, data, len, reason,
	    sizeof(reason));
	if (r == 0) {
		u->pending++;
		return;
	}
	if (r == -EBADMSG) {
		st->refused++;
		log_debug("server '%s': UDP report from %s refused before "
		    "decoding: %s", rx->name, source, reason);
	} else
		st->busy++;
	free(uj);
}

/* The key that opens package number for this server, or NULL. */
static const struct pki_udp_key *
udp_key_find(const struct udp *u, int64_t server_id, uint32_t number)
{
	for (size_t i = 0; i < u->n_keys; i++)
		if (u->keys[i].package_id == number &&
		    u->keys[i].server_id == server_id)
			return &u->keys[i];
	return NULL;
}

/*
 * The fragment of one datagram, opened when encrypted, into out (room for
 * UDP_WIRE_DATAGRAM_MAX bytes). Returns 0 and its length, -EBADMSG
 * (malformed) or -EACCES (undecryptable).
 */
static int
udp_fragment(struct udp_receiver *rx, const uint8_t *dgram, size_t n,
    struct udp_header *ret_h, uint8_t *out, size_t *ret_len)
{
	const struct pki_udp_key *k;
	const uint8_t *body;
	size_t body_len;
	int r;

	if ((r = udp_wire_parse(dgram, n, ret_h, &body, &body_len)) < 0) {
		log_debug("server '%s': datagram dropped: %s", rx->name,
		    udp_wire_strerror(r));
		return -EBADMSG;
	}
	if ((ret_h->flags & UDP_WIRE_FLAG_ENCRYPTED) == 0) {
		if (rx->encryption)
			return -EACCES;
		memcpy(out, body, body_len);
		*ret_len = body_len;
		return 0;
	}
	if ((k = udp_key_find(rx->udp, rx->server_id,
	    ret_h->package_id)) == NULL)
		return -EACCES;
	if (pki_udp_open(k->key, dgram, UDP_WIRE_HEADER_LEN, body, body_len,
	    out, ret_len) < 0)
		return -EACCES;
	return 0;
}

/* The reassembly key and the text of a sender's address. */
static void
udp_source(const struct sockaddr_storage *ss, uint8_t key[UDP_REASM_ADDR_LEN],
    char *text, size_t len)
{
	memset(key, 0, UDP_REASM_ADDR_LEN);
	key[0] = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		memcpy(key + 1, &s4->sin_addr, 4);
		(void)inet_ntop(AF_INET, &s4->sin_addr, text, (socklen_t)len);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		memcpy(key + 1, &s6->sin6_addr, 16);
		(void)inet_ntop(AF_INET6, &s6->sin6_addr, text,
		    (socklen_t)len);
	} else
		(void)snprintf(text, len, "?");
}

/* One datagram of n bytes (truncated: longer than the buffer). */
static void
udp_datagram(struct udp_receiver *rx, const uint8_t *dgram, size_t n,
    bool truncated, const struct sockaddr_storage *from)
{
	struct udp_stats *st = udp_stats_get(rx->udp, rx->server_id);
	uint8_t frag[UDP_WIRE_DATAGRAM_MAX], key[UDP_REASM_ADDR_LEN];
	char source[INET6_ADDRSTRLEN + 1];
	struct udp_header h;
	uint8_t *report = NULL;
	size_t flen = 0, rlen = 0;
	int r;

	st->received++;
	if (truncated) {
		st->malformed++;
		return;
	}
	if ((r = udp_fragment(rx, dgram, n, &h, frag, &flen)) < 0) {
		if (r == -EBADMSG)
			st->malformed++;
		else
			st->undecryptable++;
		return;
	}
	udp_source(from, key, source, sizeof(source));
	if (h.count == 1) {
		udp_submit(rx, source, frag, flen);
		return;
	}
	r = udp_reasm_add(rx->reasm, key, &h, frag, flen, ingest_now_ms(),
	    &report, &rlen);
	udp_receiver_sync(rx);
	if (r == -EINVAL)
		st->malformed++;
	if (r != 1)
		return;
	udp_submit(rx, source, report, rlen);
	free(report);
}

/* The kernel's drop counter from a received message's control data. */
static void
udp_kernel_drops(struct udp_receiver *rx, struct msghdr *msg)
{
	struct cmsghdr *c;
	uint32_t v;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL ||
		    c->cmsg_len < CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		/* a running count since the socket was made; it wraps */
		udp_stats_get(rx->udp, rx->server_id)->kernel +=
		    (uint32_t)(v - rx->kernel_seen);
		rx->kernel_seen = v;
	}
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_receiver *rx = arg;
	/* one byte more than the largest datagram shows an oversize one */
	uint8_t buf[UDP_WIRE_DATAGRAM_MAX + 1];
	union {
		struct cmsghdr	align;
		uint8_t		b[CMSG_SPACE(sizeof(uint32_t)) + 64];
	} ctl;
	struct sockaddr_storage from;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;

	(void)what;
	for (int i = 0; i < UDP_READS_PER_EVENT; i++) {
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.b;
		msg.msg_controllen = sizeof(ctl.b);
		if ((n = recvmsg(fd, &msg, MSG_DONTWAIT)) < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("server '%s': UDP recvmsg, ignoring",
				    rx->name);
			return;
		}
		udp_kernel_drops(rx, &msg);
		udp_datagram(rx, buf, (size_t)n, (size_t)n > sizeof(buf) - 1 ||
		    (msg.msg_flags & MSG_TRUNC) != 0, &from);
	}
}

static void
udp_expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp *u = arg;
	struct timeval tv = { UDP_EXPIRE_MS / 1000, 0 };
	int64_t now = ingest_now_ms();

	(void)fd;
	(void)what;
	for (size_t i = 0; i < u->n_rx; i++) {
		udp_reasm_expire(u->rx[i]->reasm, now);
		udp_receiver_sync(u->rx[i]);
	}
	(void)evtimer_add(u->expire_ev, &tv);
}

struct udp *
udp_new(struct event_base *base, struct writer *w,
    const struct udp_config *cfg)
{
	struct udp *u = xcalloc(1, sizeof(*u));
	struct timeval tv = { UDP_EXPIRE_MS / 1000, 0 };

	u->base = base;
	u->writer = w;
	u->cfg = *cfg;
	u->pki_dir = xstrdup(cfg->pki_dir);
	u->cfg.pki_dir = u->pki_dir;
	if ((u->expire_ev = evtimer_new(base, udp_expire_cb, u)) == NULL)
		fatalx("evtimer_new: out of memory");
	(void)evtimer_add(u->expire_ev, &tv);
	udp_keys_reload(u);
	return u;
}

void
udp_keys_reload(struct udp *u)
{
	struct pki_udp_key *keys;
	size_t n;
	int r;

	if ((r = pki_udp_keys_load(u->pki_dir, &keys, &n)) < 0) {
		log_warnx("cannot read the UDP keys in '%s': %s, keeping the "
		    "old ones", u->pki_dir, strerror(-r));
		return;
	}
	pki_udp_keys_free(u->keys, u->n_keys);
	u->keys = keys;
	u->n_keys = n;
	log_debug("%zu UDP package key(s) loaded", n);
}

static void
udp_receiver_free(struct udp_receiver *rx)
{
	if (rx == NULL)
		return;
	if (rx->ev != NULL)
		event_free(rx->ev);
	if (rx->fd >= 0)
		(void)close(rx->fd);
	udp_reasm_free(rx->reasm);
	free(rx->name);
	free(rx->address);
	free(rx);
}

/* A bound socket for address:port; 0, or a negative errno and why. */
static int
udp_socket(struct udp_receiver *rx, uint16_t port, char *why, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, size = (int)rx->udp->cfg.rcvbuf_bytes, got = 0, r;
	socklen_t gl = sizeof(got);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, rx->address,
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, rx->address,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		(void)snprintf(why, len, "address %s is not an IP address",
		    rx->address);
		return -EINVAL;
	}
	if ((rx->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		r = -errno;
		(void)snprintf(why, len, "socket: %s", strerror(-r));
		return r;
	}
	/* as much as we may; root may pass net.core.rmem_max */
	if (setsockopt(rx->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) < 0)
		(void)setsockopt(rx->fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	if (getsockopt(rx->fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0 &&
	    (size_t)got / 2 < rx->udp->cfg.rcvbuf_bytes)
		log_warnx("server '%s': UDP receive buffer is %d bytes, not "
		    "the %zu of limits.udp_rcvbuf_bytes (raise "
		    "net.core.rmem_max), ignoring", rx->name, got / 2,
		    rx->udp->cfg.rcvbuf_bytes);
	if (setsockopt(rx->fd, SOL_SOCKET, SO_RXQ_OVFL, &one,
	    sizeof(one)) < 0)
		log_warn("server '%s': SO_RXQ_OVFL, the kernel's drops will "
		    "not be counted, ignoring", rx->name);
	if (bind(rx->fd, (struct sockaddr *)&ss, sl) < 0) {
		r = -errno;
		(void)snprintf(why, len, "cannot receive on %s UDP port %u: "
		    "%s", rx->address, (unsigned)port, strerror(-r));
		return r;
	}
	sl = sizeof(ss);
	if (getsockname(rx->fd, (struct sockaddr *)&ss, &sl) == 0)
		rx->port = ntohs(ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int
udp_listen(struct udp *u, const struct udp_server_params *p)
{
	struct udp_receiver *rx = xcalloc(1, sizeof(*rx));
	struct udp_stats *st;
	char why[UDP_REASON_LEN];
	int r;

	rx->udp = u;
	rx->fd = -1;
	rx->server_id = p->server_id;
	rx->name = xstrdup(p->name);
	rx->address = xstrdup(p->address);
	rx->encryption = p->encryption;
	rx->reasm = udp_reasm_new(UDP_REASM_BYTES_MAX, UDP_REASM_TIMEOUT_MS);
	st = udp_stats_get(u, p->server_id);
	if ((r = udp_socket(rx, p->port, why, sizeof(why))) < 0) {
		log_warnx("server '%s': %s", rx->name, why);
		st->failed = true;
		(void)snprintf(st->reason, sizeof(st->reason), "%s", why);
		udp_receiver_free(rx);
		return r;
	}
	st->failed = false;
	if ((rx->ev = event_new(u->base, rx->fd, EV_READ | EV_PERSIST,
	    udp_read_cb, rx)) == NULL || event_add(rx->ev, NULL) < 0)
		fatalx("event_new: out of memory");
	u->rx = reallocarray(u->rx, u->n_rx + 1, sizeof(*u->rx));
	if (u->rx == NULL)
		fatal("reallocarray");
	u->rx[u->n_rx++] = rx;
	log_info("server '%s' receiving on %s UDP port %u (%s)", rx->name,
	    rx->address, (unsigned)rx->port, rx->encryption ?
	    "encrypted only" : "plain and encrypted");
	return 0;
}

static ssize_t
udp_index(const struct udp *u, int64_t server_id)
{
	for (size_t i = 0; i < u->n_rx; i++)
		if (u->rx[i]->server_id == server_id)
			return (ssize_t)i;
	return -1;
}

int
udp_listener_stop(struct udp *u, int64_t server_id)
{
	ssize_t i = udp_index(u, server_id);
	struct udp_stats *st = udp_stats_get(u, server_id);

	st->failed = false;
	if (i < 0)
		return -ENOENT;
	log_info("server '%s' stopped receiving on UDP", u->rx[i]->name);
	udp_receiver_sync(u->rx[i]);
	udp_receiver_free(u->rx[i]);
	u->rx[i] = u->rx[--u->n_rx];
	return 0;
}

bool
udp_listener_running(const struct udp *u, int64_t server_id)
{
	return udp_index(u, server_id) >= 0;
}

int
udp_listener_get(const struct udp *u, size_t n, int64_t *ret_server_id,
    const char **ret_name, const char **ret_address, uint16_t *ret_port)
{
	if (n >= u->n_rx)
		return -ENOENT;
	*ret_server_id = u->rx[n]->server_id;
	*ret_name = u->rx[n]->name;
	*ret_address = u->rx[n]->address;
	*ret_port = u->rx[n]->port;
	return 0;
}

size_t
udp_listener_count(const struct udp *u)
{
	return u->n_rx;
}

char *
udp_states_json(const struct udp *u)
{
	struct strbuf b;
	char *json;

	strbuf_init(&b);
	(void)strbuf_append(&b, "{");
	for (size_t i = 0; i < u->n_stats; i++) {
		const struct udp_stats *st = &u->stats[i];
		ssize_t x = udp_index(u, st->server_id);
		char state[UDP_REASON_LEN + 16];

		if (x < 0 && !st->failed)
			(void)snprintf(state, sizeof(state), "stopped");
		else if (x < 0)
			(void)snprintf(state, sizeof(state), "error: %s",
			    st->reason);
		else
			(void)snprintf(state, sizeof(state), "listening");
		(void)strbuf_printf(&b, "%s\"%lld\":{\"state\":",
		    i > 0 ? "," : "", (long long)st->server_id);
		(void)strbuf_json_string(&b, state);
		(void)strbuf_printf(&b, ",\"port\":%u,\"received\":%llu,"
		    "\"dropped_malformed\":%llu,\"dropped_undecryptable\":%llu,"
		    "\"dropped_incomplete\":%llu,\"dropped_kernel\":%llu,"
		    "\"dropped_busy\":%llu,\"reports_applied\":%llu,"
		    "\"reports_refused\":%llu,\"reassembling\":%zu}",
		    x >= 0 ? (unsigned)u->rx[x]->port : 0u,
		    (unsigned long long)st->received,
		    (unsigned long long)st->malformed,
		    (unsigned long long)st->undecryptable,
		    (unsigned long long)st->incomplete,
		    (unsigned long long)st->kernel,
		    (unsigned long long)st->busy,
		    (unsigned long long)st->applied,
		    (unsigned long long)st->refused,
		    x >= 0 ? udp_reasm_count(u->rx[x]->reasm) : (size_t)0);
	}
	(void)strbuf_append(&b, "}");
	if (b.error < 0)
		fatalx("out of memory");
	json = xstrdup(strbuf_str(&b));
	strbuf_fini(&b);
	return json;
}

size_t
udp_pending(const struct udp *u)
{
	return u->pending;
}

void
udp_stop_accepting(struct udp *u)
{
	while (u->n_rx > 0)
		(void)udp_listener_stop(u, u->rx[0]->server_id);
}

void
udp_free(struct udp *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->n_rx; i++)
		udp_receiver_free(u->rx[i]);
	free(u->rx);
	free(u->stats);
	pki_udp_keys_free(u->keys, u->n_keys);
	if (u->expire_ev != NULL)
		event_free(u->expire_ev);
	free(u->pki_dir);
	free(u);
}
