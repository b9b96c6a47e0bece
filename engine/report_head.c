/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the reading of an AgentReport's head from its wire
 * bytes (report_head.h). It trusts nothing the pre-scan checked: every
 * length is checked against the end of the bytes again.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "report_head.h"
#include "varint.h"

enum {
	WIRE_VARINT = 0,
	WIRE_FIXED64 = 1,
	WIRE_LEN = 2,
	WIRE_FIXED32 = 5,
};

enum {
	FIELD_AGENT_ID = 1,
	FIELD_SEQUENCE = 2,
	FIELD_AGENT_TOKEN = 9,
};

/* The last occurrence of a string field: protobuf-c keeps that one. */
struct head_text {
	const uint8_t	*p;
	uint64_t	len;
};

/*
 * Copies t into dst (size bytes) as protobuf-c gives it to C (up to its
 * first NUL) when that is printable ASCII without spaces and fits; else
 * false.
 */
static bool
head_text_copy(char *dst, size_t size, struct head_text t)
{
	uint64_t n = 0;

	while (n < t.len && t.p[n] != '\0')
		n++;
	if (n >= size)
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (t.p[i] <= ' ' || t.p[i] > '~')
			return false;
	if (n > 0)	/* t.p is NULL for a field that was not there */
		(void)memcpy(dst, t.p, (size_t)n);
	dst[n] = '\0';
	return true;
}

/*
 * Reads one field's value at *pp (before end) for key; keeps it in h,
 * id or token when it is one of the head's. Returns false on anything
 * unexpected.
 */
static bool
head_field(const uint8_t **pp, const uint8_t *end, uint64_t key,
    struct report_head *h, struct head_text *id, struct head_text *token)
{
	const uint8_t *p = *pp;
	uint64_t num = key >> 3, v;
	size_t k;

	switch (key & 7) {
	case WIRE_VARINT:
		if ((k = varint_read(p, end, VARINT_MAX_BYTES, &v)) == 0)
			return false;
		if (num == FIELD_SEQUENCE)
			h->sequence = v;
		else if (num == FIELD_AGENT_ID || num == FIELD_AGENT_TOKEN)
			return false;
		*pp = p + k;
		return true;
	case WIRE_LEN:
		if ((k = varint_read(p, end, VARINT_MAX_BYTES, &v)) == 0 ||
		    v > (uint64_t)(end - p) - k || num == FIELD_SEQUENCE)
			return false;
		p += k;
		if (num == FIELD_AGENT_ID)
			*id = (struct head_text){ p, v };
		else if (num == FIELD_AGENT_TOKEN)
			*token = (struct head_text){ p, v };
		*pp = p + v;
		return true;
	case WIRE_FIXED64:
	case WIRE_FIXED32:
		k = (key & 7) == WIRE_FIXED64 ? 8 : 4;
		if (num == FIELD_AGENT_ID || num == FIELD_SEQUENCE ||
		    num == FIELD_AGENT_TOKEN || (size_t)(end - p) < k)
			return false;
		*pp = p + k;
		return true;
	default:
		return false;	/* groups and wire types that do not exist */
	}
}

int
report_head_read(const uint8_t *p, size_t len, struct report_head *h)
{
	const uint8_t *end = p + len;
	struct head_text id = { NULL, 0 }, token = { NULL, 0 };
	uint64_t key;
	size_t k;

	memset(h, 0, sizeof(*h));
	while (p < end) {
		if ((k = varint_read(p, end, 5, &key)) == 0 || key >> 3 == 0)
			return -EINVAL;
		p += k;
		if (!head_field(&p, end, key, h, &id, &token))
			return -EINVAL;
	}
	if (!head_text_copy(h->agent_id, sizeof(h->agent_id), id) ||
	    !head_text_copy(h->agent_token, sizeof(h->agent_token), token) ||
	    h->agent_id[0] == '\0' || h->sequence == 0 ||
	    h->sequence > (uint64_t)INT64_MAX)
		return -EINVAL;
	return 0;
}
