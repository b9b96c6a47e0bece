/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private header of kics-agent-sim: deterministic generators of simulated
 * hosts and their AgentReport messages, and the statistics of a run.
 */
#ifndef KICS_SIM_H
#define KICS_SIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "epp_agent.pb-c.h"

/*
 * Limits of the simulator. Agent indexes are bounded so that every host
 * gets its own address on each subnet it joins (200 hosts per /24, see
 * sim_host.c) and its own MAC in a vendor's 24-bit space.
 */
#define SIM_MAX_AGENT_INDEX	40000	/* first_agent + agents <= this */
#define SIM_MAX_AGENTS		2000	/* agents in one process */
#define SIM_MAX_IFACES		4	/* up to three NICs plus loopback */
#define SIM_MAX_APPS		2	/* EPP applications on a host */
#define SIM_MAX_USERS		3	/* user names that appear in events */
#define SIM_NAME_LEN		48	/* generated names, never untrusted */
#define SIM_UUID_LEN		37	/* 36 characters and a NUL */
#define SIM_MAC_LEN		18
#define SIM_IP_LEN		46

/* ---------------------------------------------------------------- rng */

/* splitmix64: tiny, fast, and good enough for test data. */
struct sim_rng {
	uint64_t	state;
};

/* Seeds a generator from a run seed and two stream numbers. */
void sim_rng_init(struct sim_rng *rng, uint64_t seed, uint64_t a,
    uint64_t b);
/* Next 64 random bits. */
uint64_t sim_rng_next(struct sim_rng *rng);
/* Uniform in [0, n); n must be > 0. */
uint32_t sim_rng_below(struct sim_rng *rng, uint32_t n);
/* Uniform in [lo, hi]; lo <= hi. */
uint64_t sim_rng_range(struct sim_rng *rng, uint64_t lo, uint64_t hi);
/* True with probability p (0..1). */
bool sim_rng_chance(struct sim_rng *rng, double p);
/* Number of items for a mean rate: floor(rate) plus one with p = frac. */
size_t sim_rng_count(struct sim_rng *rng, double rate);
/* The splitmix64 finaliser: a bijection of 64-bit values. */
uint64_t sim_mix64(uint64_t x);
/*
 * A keyed bijection of [0, 2^bits): distinct inputs below 2^bits give
 * distinct outputs. bits is 8..64. Used for unique MACs and ids.
 */
uint64_t sim_permute(uint64_t x, unsigned int bits, uint64_t key);

#define SIM_PICK(rng, array)                                                  \
	((array)[sim_rng_below((rng), sizeof(array) / sizeof((array)[0]))])

/* ---------------------------------------------------------------- fmt */

/*
 * snprintf for the generators' formats, byte for byte the same output:
 * the conversions s, d, u, x, X and %%, the flags '0' and '+', a width, and
 * the length modifiers l, ll and z (anything else is a bug: asserted).
 * Returns the length of the whole output; buf holds what fits, with a NUL
 * when size > 0.
 */
size_t sim_vformat(char *buf, size_t size, const char *fmt, va_list ap);
size_t sim_format(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes v as n lowercase hex digits (no NUL); returns the end. */
char *sim_fmt_hex(char *p, uint64_t v, unsigned int n);
/* Writes v in decimal (no NUL); returns the end. */
char *sim_fmt_uint(char *p, uint64_t v);
/* Writes "a.b.c.d" and a NUL into buf (SIM_IP_LEN). */
void sim_fmt_ipv4(char *buf, unsigned int a, unsigned int b, unsigned int c,
    unsigned int d);
/* The MAC of a 24-bit OUI and NIC part, lowercase, into buf (SIM_MAC_LEN). */
void sim_fmt_mac(char *buf, uint32_t oui, uint32_t nic);

/* -------------------------------------------------------------- arena */

/*
 * A bump allocator for one report: every string and sub-message of a
 * built AgentReport lives in it and goes away with sim_arena_fini().
 */
struct sim_arena_chunk;
struct sim_arena {
	struct sim_arena_chunk	*chunks;	/* newest first */
	size_t			 hint;		/* size of the next chunk */
};

void sim_arena_init(struct sim_arena *arena);
/* Frees every allocation of the arena; the arena may be reused. */
void sim_arena_fini(struct sim_arena *arena);
/*
 * Ends every allocation of the arena but keeps its memory for the next
 * ones: a report built after another of the same size allocates nothing.
 */
void sim_arena_clear(struct sim_arena *arena);
/* Zeroed memory owned by the arena, or NULL when out of memory. */
void *sim_arena_alloc(struct sim_arena *arena, size_t size);
/* A copy of s owned by the arena, or NULL when out of memory. */
char *sim_arena_strdup(struct sim_arena *arena, const char *s);
/*
 * A formatted string owned by the arena (sim_vformat()'s conversions), or
 * NULL when out of memory.
 */
char *sim_arena_printf(struct sim_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *sim_arena_vprintf(struct sim_arena *arena, const char *fmt,
    va_list ap) __attribute__((format(printf, 2, 0)));

/* --------------------------------------------------------------- host */

enum sim_role {
	SIM_ROLE_OFFICE_WS,	/* office workstation */
	SIM_ROLE_ENG_WS,	/* engineering workstation: office + control */
	SIM_ROLE_HMI,		/* operator panel on the control network */
	SIM_ROLE_SCADA_SRV,	/* SCADA server: control + office */
	SIM_ROLE_HISTORIAN,	/* process historian: control + office */
	SIM_ROLE_DMZ_SRV,	/* DMZ server */
	SIM_ROLE_APP_SRV,	/* office server */
	SIM_ROLE_MAX
};

enum sim_net {
	SIM_NET_OFFICE,		/* 10.10.0.0/16, one segment */
	SIM_NET_CONTROL,	/* 192.168.10.0/24, .11.0/24 … (cells) */
	SIM_NET_DMZ,		/* 172.16.5.0/24, .6.0/24 … */
	SIM_NET_LOOPBACK,
	SIM_NET_MAX
};

enum sim_os_family {
	SIM_OS_WINDOWS,
	SIM_OS_LINUX,
};

struct sim_iface {
	char		 name[SIM_NAME_LEN];
	char		 mac[SIM_MAC_LEN];	/* "" on Windows loopback */
	char		 ipv4[SIM_IP_LEN];
	char		 ipv6[SIM_IP_LEN];	/* link-local or "" */
	enum sim_net	 net;
};

struct sim_app {
	const char	*product;
	const char	*version;
	int		 state;		/* EppApplication state enum */
	bool		 realtime;
	int64_t		 bases_age_ms;	/* bases date = report time - this */
};

#define SIM_TOKEN_LEN	64	/* bytes of an agent token (issue 11) */

struct sim_host {
	uint32_t		 index;		/* global agent index */
	uint64_t		 seed;
	enum sim_role		 role;
	enum sim_os_family	 os_family;
	char			 agent_id[SIM_UUID_LEN];
	char			 hostname[SIM_NAME_LEN];
	const char		*domain;
	const char		*os_name;
	const char		*os_version;
	const char		*vendor;
	const char		*model;
	char			 serial[SIM_NAME_LEN];
	struct sim_iface	 ifaces[SIM_MAX_IFACES];
	size_t			 n_ifaces;
	struct sim_app		 apps[SIM_MAX_APPS];
	size_t			 n_apps;
	const char		*users[SIM_MAX_USERS];
	size_t			 n_users;
	char			 token[SIM_TOKEN_LEN + 1]; /* from the first ack
						   with one; "" until then */
};

/*
 * Generates host number index of the population given by seed: the same
 * (seed, index) always gives the same host, and two indexes never share
 * an agent_id, a MAC or an IPv4 address. Returns 0, or -EINVAL when index
 * >= SIM_MAX_AGENT_INDEX; ret_host is written only on success and owns
 * nothing (its strings are static or inline).
 */
int sim_host_generate(uint64_t seed, uint32_t index,
    struct sim_host *ret_host);

/* The interface of host on net, or NULL when it has none. */
const struct sim_iface *sim_host_iface(const struct sim_host *host,
    enum sim_net net);

/* Writes the IPv4 address of host index on net into buf (SIM_IP_LEN). */
void sim_host_address(enum sim_net net, uint32_t index, char *buf);

/* ------------------------------------------------------------- report */

struct sim_report_params {
	uint64_t	seed;
	uint32_t	first_agent;	/* peers are drawn from */
	uint32_t	n_agents;	/* [first_agent, first_agent + n) */
	uint32_t	host_every;	/* host info in report 0, K, 2K… */
	double		events_per_report;	/* mean */
	double		connections_per_report;	/* mean */
	int64_t		period_ms;	/* report period, for seen times */
	/*
	 * NULL, or the n_agents hosts from first_agent generated with seed
	 * (sim_host_generate()), so that peers are looked up rather than
	 * generated for every connection; the content is the same.
	 */
	const struct sim_host *peers;
};

/* The generation context of one report (shared by the generators). */
struct sim_report_ctx {
	const struct sim_report_params	*params;
	const struct sim_host		*host;
	struct sim_arena		*arena;
	struct sim_rng			 rng;
	uint64_t			 sequence;
	/* 0-based report count */
	uint64_t			 number;
	int64_t				 now_ms;
};

/*
 * Builds report number `number` (0 for the first) of host, with the given
 * sequence and clock. The content is a function of (params, host, number,
 * sequence, now_ms) only. *ret_report is allocated in arena and points
 * into host and static strings: it is valid while both live. Returns 0,
 * or -ENOMEM (ret_report untouched; the arena may hold garbage).
 */
int sim_report_build(const struct sim_report_params *params,
    const struct sim_host *host, uint64_t sequence, uint64_t number,
    int64_t now_ms, struct sim_arena *arena,
    Kics__Epp__V1__AgentReport **ret_report);

/* A byte buffer that keeps its memory from one use to the next. */
struct sim_buf {
	uint8_t	*data;		/* malloc()ed, or NULL */
	size_t	 len;		/* bytes in use */
	size_t	 cap;		/* bytes allocated */
};

/* Frees the buffer's memory (NULL-safe); it may be used again. */
void sim_buf_fini(struct sim_buf *buf);

/*
 * Builds the same report in arena (cleared first: what it held before is
 * gone) and packs it into out, which grows as needed; out->len is then its
 * size. Nothing is allocated when arena and out are large enough from an
 * earlier report. Returns 0, -ENOMEM, or -EIO if protobuf-c packed a
 * different size than it promised; on error out->len is 0.
 */
int sim_report_pack(const struct sim_report_params *params,
    const struct sim_host *host, uint64_t sequence, uint64_t number,
    int64_t now_ms, struct sim_arena *arena, struct sim_buf *out);

/*
 * Builds the same report and packs it. On success *ret_buf is a malloc()ed
 * buffer of *ret_len bytes that the caller frees with free(). Returns 0,
 * -ENOMEM, or -EIO as sim_report_pack().
 */
int sim_report_encode(const struct sim_report_params *params,
    const struct sim_host *host, uint64_t sequence, uint64_t number,
    int64_t now_ms, uint8_t **ret_buf, size_t *ret_len);

/*
 * Packs the next report of an agent into out, as sim_report_pack():
 * sequence sequence_start + *number, then increments *number. Sequences
 * are thus strictly increasing per agent. *number and *ret_sequence are
 * written only on success.
 */
int sim_report_next(const struct sim_report_params *params,
    const struct sim_host *host, uint64_t sequence_start, uint64_t *number,
    int64_t now_ms, struct sim_arena *arena, struct sim_buf *out,
    uint64_t *ret_sequence);

/*
 * Appends `count` events to the report in ctx; event ids are unique per
 * (host, sequence, position) and over all hosts. 0 or -ENOMEM.
 */
int sim_event_add(struct sim_report_ctx *ctx,
    Kics__Epp__V1__AgentReport *report, size_t count);

/* The categories the generator uses, for tests (conf/event-types.yaml). */
extern const char *const sim_event_categories[];
extern const size_t sim_event_n_categories;

/* Appends `count` connections to the report in ctx. 0 or -ENOMEM. */
int sim_conn_add(struct sim_report_ctx *ctx,
    Kics__Epp__V1__AgentReport *report, size_t count);

/* Writes a version-4-shaped UUID made of two 64-bit halves into buf. */
void sim_uuid_format(uint64_t hi, uint64_t lo, char *buf);

/* -------------------------------------------------------------- stats */

/* Latency histogram: log-linear buckets, ~1.5 % precision, bounded size. */
#define SIM_HIST_SUB	64
#define SIM_HIST_POW	40
#define SIM_SECONDS	120	/* of the measured part, in the timeline */
#define SIM_SLOW_MS	250	/* an ack the timeline counts as slow */
struct sim_stats {
	uint64_t	sent;		/* requests written, retries included */
	uint64_t	acked;		/* 200 with the right acked_sequence */
	uint64_t	refused;	/* 403 agent_limit */
	uint64_t	busy;		/* 503 busy, retried */
	uint64_t	errors;		/* anything unexpected */
	uint64_t	tls_errors;	/* of errors: TLS handshake failures */
	uint64_t	bytes_sent;	/* report bodies */
	uint64_t	hist[SIM_HIST_POW][SIM_HIST_SUB];
	uint64_t	lat_count;
	uint64_t	lat_max_us;
	/* the timeline: per second of the measured part in which reports
	   were due (open loop) or sent, their acks, the slow ones and the
	   longest; the last second also holds any later ones */
	uint64_t	sec_acked[SIM_SECONDS];
	uint64_t	sec_slow[SIM_SECONDS];
	uint64_t	sec_max_us[SIM_SECONDS];
	unsigned int	seconds;	/* used: the highest index + 1 */
	/* --open-loop: */
	bool		open_loop;	/* latency from the scheduled time */
	double		offered_per_s;	/* the --rate asked for */
	uint64_t	unsent;		/* due before the end, never sent */
	/* --warmup: acks of reports sent (open loop: due) before its end;
	   not in acked, the latencies or the rate */
	uint64_t	warmup_acked;
	/* --transport udp: */
	uint64_t	datagrams;	/* sent, duplicates included */
	uint64_t	dgram_dropped;	/* on purpose (--drop) */
	uint64_t	dgram_duplicated;	/* sent twice (--duplicate) */
	uint64_t	dgram_reordered;	/* sent after the next */
};

/* Records one ack latency in microseconds. */
void sim_stats_latency(struct sim_stats *stats, uint64_t us);
/*
 * Records the same latency in the timeline, for a report due (or sent)
 * since_us after the measured part began.
 */
void sim_stats_timeline(struct sim_stats *stats, int64_t since_us,
    uint64_t us);
/*
 * The latency at percentile p (0..100) in microseconds, accurate to the
 * bucket width; 0 when nothing was recorded.
 */
uint64_t sim_stats_percentile(const struct sim_stats *stats, double p);
/* Prints the final summary as text, or as one JSON object when json. */
void sim_stats_print(const struct sim_stats *stats, double elapsed_s,
    bool json, FILE *file);
/* Prints one progress line (overwriting the previous one) to stderr. */
void sim_stats_progress(const struct sim_stats *stats, double elapsed_s,
    double rate);

/* ---------------------------------------------------------------- tls */

struct ssl_st;		/* OpenSSL's SSL: this header needs no OpenSSL */
struct sim_tls;

struct sim_tls_params {
	const char	*server_name;	/* IP literal or host name to verify */
	const char	*ca_file;	/* PEM; NULL: do not verify (warned) */
	const char	*cert_file;	/* PEM client certificate, or NULL */
	const char	*key_file;	/* PEM key of cert_file */
	/* or a communication data package: zip with certificates.pfx */
	const char	*package_file;
	const char	*password_file;	/* its password, first line */
};

/*
 * Builds the client TLS context shared by all agents: TLS 1.2 or later,
 * the server certificate verified against ca_file including its IP address
 * or host name, and the client certificate when one is given. Returns 0
 * and a context freed with sim_tls_free(); -ENOENT when a file is missing,
 * -EINVAL when one is unusable (sim_tls_last_error() says why), -ENOMEM.
 */
int sim_tls_new(const struct sim_tls_params *params,
    struct sim_tls **ret_tls);
/* NULL-safe. Connections made from the context keep working. */
void sim_tls_free(struct sim_tls *tls);
/*
 * A new client SSL with SNI and the name check set; owned by the caller
 * (give it to bufferevent_openssl_socket_new with BEV_OPT_CLOSE_ON_FREE).
 * NULL when out of memory.
 */
struct ssl_st *sim_tls_ssl_new(struct sim_tls *tls);
/* Text of the oldest queued OpenSSL error (and clears the queue), or "". */
const char *sim_tls_last_error(void);
/* Text for an OpenSSL error code (bufferevent_get_openssl_error). */
const char *sim_tls_error_text(unsigned long code);

/* --------------------------------------------------------------- http */

#define SIM_HTTP_MAX_HEAD	(8 * 1024)	/* status line and headers */
#define SIM_HTTP_MAX_BODY	(64 * 1024)	/* an ack or error is tiny */

/*
 * Writes the head of a report POST (request line, Host, Content-Type,
 * User-Agent, Content-Length and the empty line) into buf. Returns its
 * length, or -ENOSPC when size is too small.
 */
int sim_http_head(char *buf, size_t size, const char *path,
    const char *host_header, size_t body_len);

/* One parsed reply; head and body point into the parsed buffer. */
struct sim_http_reply {
	int		 status;
	const uint8_t	*head;
	size_t		 head_len;	/* status line and headers */
	const uint8_t	*body;
	size_t		 body_len;
	size_t		 extra;		/* bytes after the body */
	bool		 close;		/* the server closes after it */
};

/*
 * Parses the reply at the start of buf[0..len); eof says that the server
 * closed the connection after these bytes. Returns 0 with *ret_reply when
 * a whole reply is there, 1 when more bytes are needed, -EPROTO for a
 * malformed or truncated reply, -EMSGSIZE when the head or body is above
 * its limit, -ENOTSUP for a Transfer-Encoding (the daemon sends none).
 */
int sim_http_parse(const uint8_t *buf, size_t len, bool eof,
    struct sim_http_reply *ret_reply);

/* ------------------------------------------------------------- client */

struct event_base;
struct sim_client;

/* The outcome of one request. status 0 means no HTTP reply at all. */
struct sim_reply {
	int		 status;
	const uint8_t	*body;		/* borrowed for the callback only */
	size_t		 len;
	const char	*error;		/* when status is 0 */
	bool		 tls_error;	/* the failure was in TLS */
};

typedef void sim_client_reply_fn(const struct sim_reply *reply, void *arg);

/*
 * A keep-alive HTTPS client of one agent: one connection at a time, made on
 * demand and made again after the server or an error closed it. ip is a
 * numeric address, host_header the value of the Host header. Returns NULL
 * when out of memory; free with sim_client_free().
 */
struct sim_client *sim_client_new(struct event_base *base,
    struct sim_tls *tls, const char *ip, uint16_t port,
    const char *host_header, int timeout_s);
/* NULL-safe; a request in flight is cancelled without its callback. */
void sim_client_free(struct sim_client *client);
/*
 * POSTs body (copied) to path as application/x-protobuf; cb runs once with
 * the outcome, later, from the event loop (a failed connect too). One
 * request at a time; never call it from inside cb (the connection may be
 * rebuilt here). Returns 0, -EBUSY when a request is in flight, or -ENOMEM
 * (then cb never runs).
 */
int sim_client_post(struct sim_client *client, const char *path,
    const uint8_t *body, size_t len, sim_client_reply_fn *cb, void *arg);

/* ---------------------------------------------------------------- run */

struct sim_run_params {
	const char		*address;	/* as given: verified name */
	uint16_t		 port;
	uint32_t		 agents;
	uint32_t		 first_agent;
	double			 rate;		/* reports/s, 0 = no pacing */
	/*
	 * With rate: every agent keeps its schedule whatever the replies;
	 * a report due while the previous one waits for its ack goes out
	 * right after that ack, and latency counts from the scheduled time
	 * (no coordinated omission).
	 */
	bool			 open_loop;
	/*
	 * Seconds at the start whose reports (by send time; open loop: by
	 * scheduled time) count neither in the latencies nor in the rate:
	 * the connections' TLS handshakes fall in them.
	 */
	double			 warmup_s;
	double			 duration_s;	/* 0 = no limit */
	uint64_t		 reports;	/* per agent, 0 = no limit */
	uint64_t		 sequence_start;
	int			 timeout_s;	/* per request */
	bool			 progress;	/* one line a second */
	struct sim_report_params report;
	struct sim_tls_params	 tls;
	const char		*token_file;	/* NULL: tokens not kept */
};

/*
 * Runs the simulation until the duration passes, every agent sent its
 * reports, or SIGINT/SIGTERM, and fills ret_stats. Returns 0 when the run
 * happened (the counters tell how it went), or a negative errno when it
 * could not start (address, TLS context, memory); the cause is logged.
 */
int sim_run(const struct sim_run_params *params, struct sim_stats *ret_stats,
    double *ret_elapsed_s);

/* ---------------------------------------------------------------- udp */

/* How --udp-mangle spoils every datagram (tests of the receiver). */
enum sim_udp_mangle {
	SIM_UDP_MANGLE_NONE,
	SIM_UDP_MANGLE_HEADER,		/* a bit of the message id */
	SIM_UDP_MANGLE_CIPHERTEXT,	/* a bit of the last byte */
	SIM_UDP_MANGLE_MAGIC,		/* "KEU9" */
	SIM_UDP_MANGLE_SHORT,		/* 20 bytes */
	SIM_UDP_MANGLE_OVERSIZE,	/* padded to 1,500 bytes */
	SIM_UDP_MANGLE_MAX
};

struct sim_udp_params {
	uint16_t	port;		/* 0: the package's udp_port, else
					   the run's port */
	double		drop;		/* shares of datagrams, 0..1 */
	double		duplicate;
	double		reorder;
	enum sim_udp_mangle mangle;
};

/*
 * Sends the run's reports one way over UDP (no acks): encrypted with the
 * key of the run's package (params->tls.package_file and its password)
 * when one is given, else plain. Reports go round-robin over the agents,
 * paced by params->rate, until every agent sent params->reports, the
 * duration passed, or SIGINT/SIGTERM. Returns 0 and the counters, or a
 * negative errno when it could not start (logged).
 */
int sim_udp_run(const struct sim_run_params *params,
    const struct sim_udp_params *u, struct sim_stats *ret_stats,
    double *ret_elapsed_s);

/* ------------------------------------------------------------- tokens */

/*
 * Sets the token of each of hosts[0..n) that the token file at path names
 * (a missing file names none). Returns 0 or a negative errno.
 */
int sim_tokens_load(const char *path, struct sim_host *const *hosts,
    size_t n);

/*
 * Rewrites the token file at path (mode 0600, atomically) with the tokens
 * of hosts[0..n), keeping the lines of other agents. Returns 0 or a
 * negative errno, with the file unchanged.
 */
int sim_tokens_save(const char *path, struct sim_host *const *hosts,
    size_t n);

#endif
