/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The capture side of monitoring points in the daemon (ingest/traffic*.c,
 * issue 13): the IEEE vendor registry, the packet parser, the flow table
 * with nDPI, and how batches reach the writer.
 *
 * THREAD SAFETY NOTES: a struct flow_table and a struct traffic_dpi belong
 * to one thread (a capture or an import) at a time; idle detection modules
 * wait in a pool under a mutex of its own. The vendor registry is read-only
 * once loaded and shared by all. traffic_submit() may be called from any
 * thread; the batch's task runs on the writer and is freed on the loop.
 */
#ifndef KICS_CAPTURE_H
#define KICS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traffic.h"

struct writer;

/* traffic_vendor.c: Debian ieee-data, read at start ---------------------- */

#define VENDORS_DIR	"/usr/share/ieee-data"	/* oui.csv, mam.csv,
						   oui36.csv */
struct vendors;

/*
 * Reads the MA-L (oui.csv), MA-M (mam.csv) and MA-S (oui36.csv)
 * registries of dir. A missing file is skipped; a file with no usable row
 * is an error. Returns 0 and a registry freed with vendors_free(), or
 * -ENOENT when no file could be read, -EINVAL, -ENOMEM, with a reason in
 * err.
 */
int vendors_load(const char *dir, struct vendors **ret_vendors, char *err,
    size_t errlen);
/* The organization of mac (6 bytes), longest prefix first, or NULL. */
const char *vendors_find(const struct vendors *v, const uint8_t *mac);
/* Number of prefixes read. */
size_t vendors_count(const struct vendors *v);
void vendors_free(struct vendors *v);

/* traffic_parse.c: one captured frame ------------------------------------ */

enum pkt_kind {
	PKT_IP,			/* TCP, UDP or ICMP over IPv4 or IPv6 */
	PKT_ARP_REPLY,
	PKT_OTHER,		/* well formed, not something flows use */
	PKT_TRUNCATED,		/* shorter than its headers say */
	PKT_MALFORMED,		/* headers that cannot be */
	PKT_KIND_MAX
};

struct pkt {
	int64_t		ts_ms;		/* capture timestamp */
	uint32_t	wire_len;	/* frame length on the wire */
	bool		has_mac;	/* Ethernet: src_mac is known */
	uint8_t		src_mac[6];
	uint8_t		family;		/* 4 or 6 */
	uint8_t		src_ip[16];	/* IPv4 in the first 4 bytes */
	uint8_t		dst_ip[16];
	enum traffic_proto proto;
	uint16_t	sport, dport;	/* 0 for ICMP */
	bool		syn;		/* TCP SYN without ACK */
	uint16_t	payload_len;	/* bytes after the L4 header */
	const uint8_t	*l3;		/* the IP header, for nDPI */
	uint16_t	l3_len;
	uint8_t		arp_mac[6];	/* PKT_ARP_REPLY: sender */
	uint8_t		arp_ip[4];
};

/*
 * Parses one frame of link type linktype (DLT_EN10MB, with 802.1Q/802.1ad
 * tags, DLT_RAW or DLT_LINUX_SLL) of caplen bytes captured. Returns what
 * it is; *p is filled for PKT_IP and PKT_ARP_REPLY.
 */
enum pkt_kind pkt_parse(int linktype, const uint8_t *data, uint32_t caplen,
    struct pkt *p);
/* Why a packet of kind k was skipped, for people. */
const char *pkt_kind_reason(enum pkt_kind k);

/* traffic_dpi.c: nDPI ---------------------------------------------------- */

struct traffic_dpi;
struct ndpi_flow_struct;

/*
 * A detection module for the calling thread until traffic_dpi_put():
 * one kept from an earlier capture or import, else a new one (about
 * 0.1 s and 7 MB). NULL when out of memory. A module is never used by two
 * threads at once: nDPI 4.2 keeps the packet being dissected and its
 * caches in the module.
 */
struct traffic_dpi *traffic_dpi_get(void);
/* Gives d back, to be kept for the next traffic_dpi_get(). NULL-safe. */
void traffic_dpi_put(struct traffic_dpi *d);
/* Frees the modules kept (at the daemon's end). */
void traffic_dpi_pool_clear(void);
/* A flow's detection state (freed with traffic_dpi_flow_free()). */
struct ndpi_flow_struct *traffic_dpi_flow_new(void);
void traffic_dpi_flow_free(struct ndpi_flow_struct *f);
/*
 * Feeds one packet (its IP header on) to flow f. Returns the protocol id
 * once one is detected, else 0.
 */
uint16_t traffic_dpi_packet(struct traffic_dpi *d, struct ndpi_flow_struct *f,
    const struct pkt *p);
/* Gives up on f: the id nDPI guesses, or 0. */
uint16_t traffic_dpi_giveup(struct traffic_dpi *d, struct ndpi_flow_struct *f);
/*
 * The id nDPI guesses for a flow it never saw a payload of, from its L4
 * protocol, its IPv4 addresses (NULL for IPv6) and ports; or 0.
 */
uint16_t traffic_dpi_guess(struct traffic_dpi *d, enum traffic_proto proto,
    const uint8_t *src_ip4, uint16_t sport, const uint8_t *dst_ip4,
    uint16_t dport);
/* The name of protocol id, as nDPI spells it ("" for 0). */
const char *traffic_dpi_name(struct traffic_dpi *d, uint16_t id);
/* Whether port is a default port of protocol id for proto. */
bool traffic_dpi_default_port(struct traffic_dpi *d, uint16_t id,
    enum traffic_proto proto, uint16_t port);

/* traffic_merge.c: one batch record per interaction ---------------------- */

/* What makes flows one interaction (zeroed, then filled). */
struct flow_merge_key {
	uint8_t		ip[2][16];	/* initiator, responder */
	uint8_t		mac[2][6];	/* when the host's own */
	uint8_t		family;
	uint8_t		proto;		/* enum traffic_proto */
	uint8_t		has_mac;	/* bit 0 initiator, bit 1 responder */
	uint8_t		zero;
	uint16_t	port;		/* the responder's */
	uint8_t		zero2[6];
};

/* The keys of a batch's flow records, and an index of them. */
struct flow_merge {
	struct flow_merge_key *keys;	/* cap; keys[i] is record i's */
	size_t		cap;
	uint32_t	*slots;		/* n_slots, record + 1, 0 free */
	size_t		n_slots;
};

/* Frees m's memory and makes it empty (all zero: empty too). */
void flow_merge_clear(struct flow_merge *m);
/*
 * The record of key k among the n records so far: returns 1 and its index
 * when there is one, else 0 and n, which k now names (the caller appends
 * record n). -ENOMEM when out of memory.
 */
int flow_merge_find(struct flow_merge *m, const struct flow_merge_key *k,
    size_t n, size_t *ret_index);
/* Adds one more flow's counters, times and protocol name to into. */
void flow_merge_add(struct traffic_flow *into, uint64_t packets,
    uint64_t bytes, int64_t first_ms, int64_t last_ms, const char *app);

/* traffic_slab.c: the memory of a flow table ----------------------------- */

/* size bytes of zeroes, on huge pages where the kernel allows; or NULL. */
void *big_zalloc(size_t size);
/* Frees p of size bytes from big_zalloc(). NULL-safe. */
void big_free(void *p, size_t size);

/* Objects of one size carved from huge-page slabs. */
struct flow_slab {
	size_t		obj;		/* bytes per object, aligned */
	size_t		per_slab;
	void		**slabs;	/* n_slabs, the last one in use */
	size_t		n_slabs, cap_slabs;
	size_t		used;		/* objects carved from the last */
	void		*free;		/* objects given back, a list */
};

void flow_slab_init(struct flow_slab *s, size_t obj_size);
/* A zeroed object, or NULL when out of memory. */
void *flow_slab_get(struct flow_slab *s);
void flow_slab_put(struct flow_slab *s, void *p);
/* Frees every slab (objects still out are gone with them). */
void flow_slab_fini(struct flow_slab *s);

/* traffic_flow.c: the bounded flow table --------------------------------- */

/* What a capture or an import counted. */
struct traffic_counts {
	uint64_t	packets;	/* read */
	uint64_t	flows;		/* distinct flows seen */
	uint64_t	unidirectional;	/* flows dropped: one way only */
	uint64_t	evicted;	/* flushed early: the table was full */
	uint64_t	skipped[PKT_KIND_MAX];	/* packets, by kind */
	uint64_t	arp_replies;
	uint64_t	dpi_packets;	/* packets given to nDPI */
};

struct flow_table;

/*
 * A table of at most max_flows flows, whose hosts get vendors from v
 * (borrowed, may be NULL), for monitoring point point. NULL when out of
 * memory.
 */
struct flow_table *flow_table_new(size_t max_flows, const struct vendors *v,
    const char *point);
void flow_table_free(struct flow_table *t);
/* Adds one parsed packet of kind k (every kind is counted). */
void flow_table_packet(struct flow_table *t, enum pkt_kind k,
    const struct pkt *p);
/*
 * Takes what is ready for the engine, at most a few thousand flows at a
 * time (call again until it returns NULL): flows' counters since the last
 * take, ARP bindings and new routers. Flows idle since before
 * idle_before_ms (capture time), or every flow with all, are removed.
 * Returns a batch (freed with traffic_batch_free()) or NULL when there is
 * nothing to hand over.
 */
struct traffic_batch *flow_table_take(struct flow_table *t, bool all,
    int64_t idle_before_ms);
/*
 * Fetches the memory the flow of a packet of kind k lives in ahead of
 * flow_table_packet(): the bucket now (returns the hash for
 * flow_table_prefetch(); 0 for a packet of no flow), the first flow of
 * the bucket with flow_table_prefetch() later. Changes nothing.
 */
uint64_t flow_table_prefetch_bucket(const struct flow_table *t,
    enum pkt_kind k, const struct pkt *p);
void flow_table_prefetch(const struct flow_table *t, uint64_t hash);
/* Whether flows were evicted into a batch that waits to be taken. */
bool flow_table_pending(const struct flow_table *t);
const struct traffic_counts *flow_table_counts(const struct flow_table *t);
void traffic_batch_free(struct traffic_batch *b);

/* traffic_ahead.c: frames read ahead of the flow table ------------------ */

#define AHEAD_DEPTH	4	/* frames between read and flow table */

struct ahead_slot {
	uint8_t		*buf;		/* the frame's copy */
	struct pkt	pk;
	enum pkt_kind	kind;
	uint64_t	hash;		/* flow_table_prefetch_bucket()'s */
};

struct pkt_ahead {
	struct flow_table *ft;		/* borrowed */
	int		linktype;
	size_t		buflen;		/* of each slot's buf */
	struct ahead_slot slot[AHEAD_DEPTH];
	size_t		head, n;	/* queued: n from head on */
};

/*
 * Read-ahead into ft for frames of linktype, of at most snaplen bytes
 * (larger ones pass without read-ahead). 0 or -ENOMEM.
 */
int pkt_ahead_init(struct pkt_ahead *a, struct flow_table *ft, int linktype,
    size_t snaplen);
void pkt_ahead_fini(struct pkt_ahead *a);
/*
 * Takes frame d (caplen bytes captured of len, at ts_ms) and hands the
 * frame AHEAD_DEPTH older to the flow table.
 */
void pkt_ahead_push(struct pkt_ahead *a, const uint8_t *d, uint32_t caplen,
    uint32_t len, int64_t ts_ms);
/* Hands every frame still queued to the flow table. */
void pkt_ahead_drain(struct pkt_ahead *a);

/* traffic_submit.c: batches to the writer -------------------------------- */

/*
 * What became of submitted batches. done() is called on the loop thread
 * after each batch was applied; ctx is the submitter's.
 */
struct traffic_sink {
	void		(*applied)(void *ctx, const struct traffic_result *res,
			    int r);
	void		*ctx;
};

/*
 * Hands batch b (owned from now on) to the writer, which applies it
 * between report batches; sink->applied() runs on the writer thread with
 * the result. Returns 0, or -ESHUTDOWN when the writer stops (b is freed).
 */
int traffic_submit(struct writer *w, struct traffic_batch *b,
    const struct traffic_sink *sink);

/*
 * Asks the writer to register "no traffic" for point (silent for after_s
 * since since_ms; 0: since the capture started). Returns 0 or -ESHUTDOWN.
 */
int traffic_submit_silence(struct writer *w, const char *point,
    uint32_t after_s, int64_t since_ms);

/* traffic_points.c: the monitoring points of the daemon ------------------ */

#include <pthread.h>

struct conf;
struct control_req;
struct traffic_point;
struct traffic_import;

/* What the daemon's traffic runs with; the loop thread owns it. */
struct traffic {
	struct writer	*writer;	/* borrowed */
	struct vendors	*vendors;	/* NULL: no registry could be read */
	uint32_t	flush_interval_s;
	uint32_t	no_traffic_after_s;
	uint32_t	max_flows;
	pthread_mutex_t	mtx;		/* the fields below, and in_flight
					   of points and imports */
	pthread_cond_t	cond;		/* a batch was applied, or stopping */
	bool		stopping;
	struct traffic_point *points;	/* n_points */
	size_t		n_points;
	struct traffic_import *imports;	/* to answer: the writer stopped
					   before their last task */
	size_t		n_imports;	/* import threads running */
};

/* Batches of one source that may wait at the writer at once. */
#define TRAFFIC_IN_FLIGHT	4

/*
 * Reads the vendor registries of conf (a warning when there is none) and
 * returns the daemon's traffic, feeding w (borrowed). Never fails (fatal
 * when out of memory).
 */
struct traffic *traffic_new(const struct conf *conf, struct writer *w);
/*
 * Starts one capture thread per monitoring point of conf. A point whose
 * interface or filter fails is logged and left out. Returns the number of
 * captures running.
 */
size_t traffic_start(struct traffic *t, const struct conf *conf);
/*
 * Stops the captures (their last flows are handed over) and the imports
 * (which answer that the daemon is stopping). Call before writer_stop().
 * Idempotent.
 */
void traffic_stop(struct traffic *t);
/* Stops and frees t. NULL-safe. Loop thread, before writer_free(). */
void traffic_free(struct traffic *t);

/* traffic_import.c: kics-query traffic import ---------------------------- */

/* The control action "traffic import" (loop thread). */
void traffic_import_start(struct control_req *req);
/* Waits for the imports of t and answers those left over. Loop thread. */
void traffic_imports_end(struct traffic *t);

#endif
