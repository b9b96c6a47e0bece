/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the read-ahead of a pcap import: frames are copied
 * and parsed AHEAD_DEPTH frames before the flow table takes them, and the
 * memory their flows live in is fetched meanwhile (the bucket when a
 * frame is read, the flow half way), so that a packet of one of tens of
 * thousands of interleaved flows does not wait for two cache misses in a
 * row. The flow table sees the same frames in the same order.
 *
 * THREAD SAFETY NOTES: a struct pkt_ahead belongs to its import thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define AHEAD_MIN_BUF	2048	/* bytes per frame at least */

int
pkt_ahead_init(struct pkt_ahead *a, struct flow_table *ft, int linktype,
    size_t snaplen)
{
	memset(a, 0, sizeof(*a));
	a->ft = ft;
	a->linktype = linktype;
	a->buflen = snaplen > AHEAD_MIN_BUF ? snaplen : AHEAD_MIN_BUF;
	for (size_t i = 0; i < AHEAD_DEPTH; i++)
		if ((a->slot[i].buf = malloc(a->buflen)) == NULL) {
			pkt_ahead_fini(a);
			return -ENOMEM;
		}
	return 0;
}

void
pkt_ahead_fini(struct pkt_ahead *a)
{
	for (size_t i = 0; i < AHEAD_DEPTH; i++) {
		free(a->slot[i].buf);
		a->slot[i].buf = NULL;
	}
}

/* Parses frame d of caplen bytes into s. */
static void
ahead_parse(struct pkt_ahead *a, struct ahead_slot *s, const uint8_t *d,
    uint32_t caplen, uint32_t len, int64_t ts_ms)
{
	s->kind = pkt_parse(a->linktype, d, caplen, &s->pk);
	s->pk.ts_ms = ts_ms;
	s->pk.wire_len = len;
}

/* Hands the oldest frame queued to the flow table. */
static void
ahead_feed(struct pkt_ahead *a)
{
	struct ahead_slot *s = &a->slot[a->head];

	flow_table_packet(a->ft, s->kind, &s->pk);
	a->head = (a->head + 1) % AHEAD_DEPTH;
	a->n--;
}

void
pkt_ahead_drain(struct pkt_ahead *a)
{
	while (a->n > 0)
		ahead_feed(a);
}

void
pkt_ahead_push(struct pkt_ahead *a, const uint8_t *d, uint32_t caplen,
    uint32_t len, int64_t ts_ms)
{
	struct ahead_slot *s;

	if (caplen > a->buflen) {
		/* larger than the file said frames are: no copy, in order */
		struct ahead_slot big;

		pkt_ahead_drain(a);
		ahead_parse(a, &big, d, caplen, len, ts_ms);
		flow_table_packet(a->ft, big.kind, &big.pk);
		return;
	}
	if (a->n == AHEAD_DEPTH)
		ahead_feed(a);
	/* half way: the bucket has come, the flow is fetched now */
	if (a->n >= AHEAD_DEPTH / 2)
		flow_table_prefetch(a->ft, a->slot[(a->head + a->n -
		    AHEAD_DEPTH / 2) % AHEAD_DEPTH].hash);
	s = &a->slot[(a->head + a->n) % AHEAD_DEPTH];
	memcpy(s->buf, d, caplen);
	ahead_parse(a, s, s->buf, caplen, len, ts_ms);
	s->hash = flow_table_prefetch_bucket(a->ft, s->kind, &s->pk);
	a->n++;
}
