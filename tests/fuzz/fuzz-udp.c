/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target of UDP mode's datagrams (issue 14). The input is a run
 * of datagrams, each a 2-byte big-endian length and that many bytes, as
 * they would arrive at one receiver, one millisecond apart and from one of
 * two source addresses. Each goes through udp_wire_parse(); an encrypted
 * one through pki_udp_open() with a fixed key (its tag almost never
 * matches, which is the point: nothing unauthenticated may get further);
 * a plain one into a reassembly table small enough that the memory cap
 * and the timeout are reached. Complete reports are freed unread: what
 * becomes of their bytes is fuzz-report's part.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "pki_udp.h"
#include "udp_reasm.h"
#include "udp_wire.h"

#define FUZZ_REASM_BYTES	(64 * 1024)
#define FUZZ_TIMEOUT_MS		50

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
fuzz_datagram(struct udp_reasm *r, const uint8_t *d, size_t len,
    int64_t now)
{
	static const uint8_t key[PKI_UDP_KEY_LEN] = { 1, 2, 3, 4 };
	uint8_t addr[UDP_REASM_ADDR_LEN] = { 2, 127, 0, 0, 1 };
	uint8_t frag[UDP_WIRE_DATAGRAM_MAX], *report = NULL;
	struct udp_header h;
	const uint8_t *body;
	size_t blen, flen = 0, rlen = 0;

	if (udp_wire_parse(d, len, &h, &body, &blen) < 0)
		return;
	if ((h.flags & UDP_WIRE_FLAG_ENCRYPTED) != 0) {
		if (pki_udp_open(key, d, UDP_WIRE_HEADER_LEN, body, blen,
		    frag, &flen) < 0)
			return;
	} else {
		memcpy(frag, body, blen);
		flen = blen;
	}
	addr[4] = (uint8_t)(1 + (h.message_id & 1));
	if (udp_reasm_add(r, addr, &h, frag, flen, now, &report,
	    &rlen) == 1) {
		if (rlen > UDP_WIRE_REPORT_MAX)
			abort();
		free(report);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udp_reasm *r = udp_reasm_new(FUZZ_REASM_BYTES,
	    FUZZ_TIMEOUT_MS);
	int64_t now = 0;

	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		fuzz_datagram(r, data, len, now++);
		data += len;
		size -= len;
	}
	udp_reasm_expire(r, now + FUZZ_TIMEOUT_MS);
	if (udp_reasm_count(r) != 0 || udp_reasm_bytes(r) != 0)
		abort();
	udp_reasm_free(r);
	return 0;
}
