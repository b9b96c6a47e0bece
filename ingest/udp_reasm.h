/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reassembly of UDP mode's reports from their fragments (issue 14), per
 * (source address, message id), in a table of bounded memory: what is
 * still incomplete after the timeout, or pushed out to make room, is
 * dropped and counted. A report once complete is remembered (without its
 * bytes) until its timeout, so that a late duplicate fragment is ignored
 * instead of starting a report that can never complete.
 *
 * THREAD SAFETY NOTES: one table belongs to one thread (the loop).
 */
#ifndef KICS_UDP_REASM_H
#define KICS_UDP_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "udp_wire.h"

#define UDP_REASM_TIMEOUT_MS	10000	/* incomplete reports live this long */
#define UDP_REASM_ADDR_LEN	17	/* family byte and an IPv6 address */

struct udp_reasm;

/*
 * A table that holds at most max_bytes of fragments and bookkeeping, and
 * drops incomplete reports timeout_ms after their first fragment. Ends
 * the program when out of memory.
 */
struct udp_reasm *udp_reasm_new(size_t max_bytes, int64_t timeout_ms);

/* Frees the table and everything in it. NULL-safe. */
void udp_reasm_free(struct udp_reasm *r);

/*
 * Adds fragment h->index of h->count (len bytes of the report, already
 * decrypted) from source addr (UDP_REASM_ADDR_LEN bytes). Returns
 *   0          kept; the report is not complete yet
 *   1          the report is complete: its bytes, in order, in *ret_data
 *              (the caller frees it with free()) and *ret_len
 *   -EALREADY  a fragment already held, or of a report already complete
 *   -EINVAL    the fragment count differs from the report's other
 *              fragments (dropped)
 * Expires what is due at now_ms first.
 */
int udp_reasm_add(struct udp_reasm *r, const uint8_t *addr,
    const struct udp_header *h, const uint8_t *data, size_t len,
    int64_t now_ms, uint8_t **ret_data, size_t *ret_len);

/* Drops what is incomplete past the timeout at now_ms. */
void udp_reasm_expire(struct udp_reasm *r, int64_t now_ms);

/* Incomplete reports dropped so far (timeout or room). */
uint64_t udp_reasm_dropped(const struct udp_reasm *r);

/* Bytes held now, bookkeeping included. */
size_t udp_reasm_bytes(const struct udp_reasm *r);

/* Reports in the table now (incomplete or remembered). */
size_t udp_reasm_count(const struct udp_reasm *r);

#endif
