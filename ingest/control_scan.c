/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the descriptor-driven pre-scan of control_scan.h:
 * a recursive walk over a message's fields, one level per nested message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "control_scan.h"
#include "log.h"	/* KICS_PRINTF */
#include "varint.h"

struct control_scan {
	size_t		unknown;
	char		*reason;
	size_t		reason_len;
};

static int scan_fail(struct control_scan *s, const char *path,
    const char *fmt, ...) KICS_PRINTF(3, 4);

static int
scan_fail(struct control_scan *s, const char *path, const char *fmt, ...)
{
	char msg[CONTROL_SCAN_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(s->reason, s->reason_len, "%s%s%s", path,
	    *path != '\0' ? ": " : "", msg);
	return -EINVAL;
}

/* The wire type a field of type t is sent with, unpacked. */
static unsigned
scan_wire_type(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 5;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 1;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 2;
	default:
		return 0;
	}
}

/* A 32-bit varint type: protobuf-c reads it with a 32-bit int shift. */
static bool
scan_is_v32(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_INT32 || t == PROTOBUF_C_TYPE_UINT32 ||
	    t == PROTOBUF_C_TYPE_SINT32 || t == PROTOBUF_C_TYPE_ENUM;
}

/*
 * One varint value of field f at *pp: a 32-bit one must fit in 31 bits
 * (at most 5 bytes, the 5th below 0x08), a 64-bit one in 10 bytes.
 */
static int
scan_value(struct control_scan *s, const ProtobufCFieldDescriptor *f,
    const uint8_t **pp, const uint8_t *end, const char *path)
{
	bool v32 = scan_is_v32(f->type);
	uint64_t v;
	size_t n;

	if ((n = varint_read(*pp, end, v32 ? 5 : 10, &v)) == 0 ||
	    (v32 && v >= (UINT64_C(1) << 31)))
		return scan_fail(s, path, "%s: bad varint", f->name);
	*pp += n;
	return 0;
}

static int scan_msg(struct control_scan *s, const ProtobufCMessageDescriptor *d,
    const uint8_t *p, size_t len, const char *path, unsigned depth);

/* The value of known field f, of wire type wt, at *pp. */
static int
scan_known(struct control_scan *s, const ProtobufCFieldDescriptor *f,
    unsigned wt, const uint8_t **pp, const uint8_t *end, const char *path,
    unsigned depth)
{
	unsigned want = scan_wire_type(f->type);
	const uint8_t *p = *pp, *q;
	char sub[96];
	uint64_t len;
	size_t n;
	int r;

	/* a repeated scalar may come packed, as one string of values */
	if (wt == 2 && want == 0 && f->label == PROTOBUF_C_LABEL_REPEATED)
		want = 2;
	if (wt != want)
		return scan_fail(s, path, "%s: wrong wire type %u", f->name,
		    wt);
	switch (wt) {
	case 0:
		return scan_value(s, f, pp, end, path);
	case 1:
	case 5:
		n = wt == 1 ? 8 : 4;
		if ((size_t)(end - p) < n)
			return scan_fail(s, path, "%s: truncated", f->name);
		*pp = p + n;
		return 0;
	default:
		break;
	}
	if ((n = varint_read(p, end, 5, &len)) == 0 ||
	    len > (uint64_t)(end - p - (ptrdiff_t)n))
		return scan_fail(s, path, "%s: length past the end", f->name);
	p += n;
	*pp = p + len;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		(void)snprintf(sub, sizeof(sub), "%s%s%s", path,
		    *path != '\0' ? "." : "", f->name);
		return scan_msg(s, f->descriptor, p, (size_t)len, sub,
		    depth + 1);
	}
	if (scan_wire_type(f->type) != 0)
		return 0;	/* a string or bytes */
	for (q = p; q < p + len; )	/* packed values */
		if ((r = scan_value(s, f, &q, p + len, path)) < 0)
			return r;
	return 0;
}

/* Passes over the value of an unknown field of wire type wt at *pp. */
static int
scan_unknown(struct control_scan *s, unsigned wt, uint32_t num,
    const uint8_t **pp, const uint8_t *end, const char *path)
{
	uint64_t v;
	size_t n;

	if (++s->unknown > CONTROL_SCAN_MAX_UNKNOWN)
		return scan_fail(s, path, "more than %d unknown fields",
		    CONTROL_SCAN_MAX_UNKNOWN);
	switch (wt) {
	case 0:
		if ((n = varint_read(*pp, end, 10, &v)) == 0)
			return scan_fail(s, path, "field %u: bad varint", num);
		*pp += n;
		return 0;
	case 1:
	case 5:
		n = wt == 1 ? 8 : 4;
		if ((size_t)(end - *pp) < n)
			return scan_fail(s, path, "field %u: truncated", num);
		*pp += n;
		return 0;
	case 2:
		if ((n = varint_read(*pp, end, 5, &v)) == 0 ||
		    v > (uint64_t)(end - *pp - (ptrdiff_t)n))
			return scan_fail(s, path, "field %u: length past the "
			    "end", num);
		*pp += n + v;
		return 0;
	default:
		return scan_fail(s, path, "field %u: wire type %u is not "
		    "accepted", num, wt);
	}
}

static int
scan_msg(struct control_scan *s, const ProtobufCMessageDescriptor *d,
    const uint8_t *p, size_t len, const char *path, unsigned depth)
{
	const uint8_t *end = p + len;
	const ProtobufCFieldDescriptor *f;
	size_t counts[64] = { 0 }, max, i;
	uint64_t key;
	size_t n;
	int r;

	if (depth > CONTROL_SCAN_MAX_DEPTH)
		return scan_fail(s, path, "nested deeper than %d",
		    CONTROL_SCAN_MAX_DEPTH);
	/* counts are kept per field index; the schema is ours and small */
	if (d->n_fields > sizeof(counts) / sizeof(counts[0]))
		return scan_fail(s, path, "%s has too many fields", d->name);
	while (p < end) {
		if ((n = varint_read(p, end, 5, &key)) == 0 ||
		    key >> 3 == 0 || key >> 3 > 0x1fffffff)
			return scan_fail(s, path, "bad field key");
		p += n;
		f = protobuf_c_message_descriptor_get_field(d,
		    (unsigned)(key >> 3));
		if (f == NULL) {
			r = scan_unknown(s, (unsigned)(key & 7),
			    (uint32_t)(key >> 3), &p, end, path);
		} else {
			i = (size_t)(f - d->fields);
			max = f->label == PROTOBUF_C_LABEL_REPEATED ?
			    CONTROL_SCAN_MAX_REPEATED :
			    CONTROL_SCAN_MAX_SINGULAR;
			if (++counts[i] > max)
				return scan_fail(s, path, "%s: more than %zu "
				    "occurrences", f->name, max);
			r = scan_known(s, f, (unsigned)(key & 7), &p, end,
			    path, depth);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int
control_scan(const ProtobufCMessageDescriptor *d, const uint8_t *data,
    size_t len, char *reason, size_t reason_len)
{
	struct control_scan s = { 0, reason, reason_len };

	if (reason_len > 0)
		reason[0] = '\0';
	return scan_msg(&s, d, data, len, "", 0);
}
