/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the pre-scan of prescan.h: the wire schema of
 * AgentReport as tables, and a state machine that walks the bytes once,
 * piece by piece, counting before anything is decoded.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kics_limits.h"
#include "log.h"	/* KICS_PRINTF */
#include "prescan.h"

/*
 * A field that is not repeated may still come more than once on the wire
 * (the decoder merges or replaces); each time costs an allocation.
 */
#define PRESCAN_MAX_SINGULAR	8

/* In this order: the kinds before PK_BYTES are varints (wire type 0). */
enum prescan_kind {
	PK_V32,		/* enum or uint32: at most 4 varint bytes here */
	PK_V64,		/* int64, uint64, bool */
	PK_BYTES,	/* string */
	PK_MSG,		/* embedded message */
};

struct prescan_msg;

struct prescan_field {
	uint32_t	num;
	enum prescan_kind kind;
	size_t		max;		/* repeated: entries; 0: singular */
	const char	*name;
	const struct prescan_msg *msg;	/* PK_MSG */
};

struct prescan_msg {
	const struct prescan_field *fields;
	size_t		n;
};

#define FIELDS(a)	{ a, sizeof(a) / sizeof(a[0]) }

static const struct prescan_field attr_fields[] = {
	{ 1, PK_BYTES, 0, "key", NULL },
	{ 2, PK_BYTES, 0, "value", NULL },
};
static const struct prescan_msg attr_msg = FIELDS(attr_fields);

static const struct prescan_field nif_fields[] = {
	{ 1, PK_BYTES, 0, "name", NULL },
	{ 2, PK_BYTES, 0, "mac", NULL },
	{ 3, PK_BYTES, LIMIT_ADDRESSES, "addresses", NULL },
};
static const struct prescan_msg nif_msg = FIELDS(nif_fields);

static const struct prescan_field host_fields[] = {
	{ 1, PK_BYTES, 0, "hostname", NULL },
	{ 2, PK_BYTES, 0, "domain", NULL },
	{ 3, PK_BYTES, 0, "os_name", NULL },
	{ 4, PK_BYTES, 0, "os_version", NULL },
	{ 5, PK_BYTES, 0, "vendor", NULL },
	{ 6, PK_BYTES, 0, "model", NULL },
	{ 7, PK_BYTES, 0, "serial_number", NULL },
	{ 8, PK_MSG, LIMIT_INTERFACES, "interfaces", &nif_msg },
};
static const struct prescan_msg host_msg = FIELDS(host_fields);

static const struct prescan_field app_fields[] = {
	{ 1, PK_BYTES, 0, "product", NULL },
	{ 2, PK_BYTES, 0, "version", NULL },
	{ 3, PK_V32, 0, "state", NULL },
	{ 4, PK_V64, 0, "realtime_protection", NULL },
	{ 5, PK_V64, 0, "bases_date_ms", NULL },
};
static const struct prescan_msg app_msg = FIELDS(app_fields);

static const struct prescan_field event_fields[] = {
	{ 1, PK_BYTES, 0, "event_id", NULL },
	{ 2, PK_V64, 0, "occurred_at_ms", NULL },
	{ 3, PK_V32, 0, "severity", NULL },
	{ 4, PK_BYTES, 0, "category", NULL },
	{ 5, PK_BYTES, 0, "product", NULL },
	{ 6, PK_BYTES, 0, "title", NULL },
	{ 7, PK_BYTES, 0, "description", NULL },
	{ 8, PK_BYTES, 0, "object_path", NULL },
	{ 9, PK_BYTES, 0, "threat_name", NULL },
	{ 10, PK_BYTES, 0, "user_name", NULL },
	{ 11, PK_MSG, LIMIT_EVENT_ATTRIBUTES, "attributes", &attr_msg },
};
static const struct prescan_msg event_msg = FIELDS(event_fields);

static const struct prescan_field conn_fields[] = {
	{ 1, PK_V32, 0, "protocol", NULL },
	{ 2, PK_BYTES, 0, "local_address", NULL },
	{ 3, PK_V32, 0, "local_port", NULL },
	{ 4, PK_BYTES, 0, "remote_address", NULL },
	{ 5, PK_V32, 0, "remote_port", NULL },
	{ 6, PK_BYTES, 0, "remote_mac", NULL },
	{ 7, PK_V32, 0, "direction", NULL },
	{ 8, PK_V64, 0, "packets_sent", NULL },
	{ 9, PK_V64, 0, "packets_received", NULL },
	{ 10, PK_V64, 0, "bytes_sent", NULL },
	{ 11, PK_V64, 0, "bytes_received", NULL },
	{ 12, PK_V64, 0, "first_seen_ms", NULL },
	{ 13, PK_V64, 0, "last_seen_ms", NULL },
	{ 14, PK_BYTES, 0, "process_name", NULL },
};
static const struct prescan_msg conn_msg = FIELDS(conn_fields);

static const struct prescan_field report_fields[] = {
	{ 1, PK_BYTES, 0, "agent_id", NULL },
	{ 2, PK_V64, 0, "sequence", NULL },
	{ 3, PK_V64, 0, "sent_at_ms", NULL },
	{ 4, PK_BYTES, 0, "agent_version", NULL },
	{ 5, PK_MSG, 0, "host", &host_msg },
	{ 6, PK_MSG, LIMIT_APPLICATIONS, "applications", &app_msg },
	{ 7, PK_MSG, LIMIT_EVENTS, "events", &event_msg },
	{ 8, PK_MSG, LIMIT_CONNECTIONS, "connections", &conn_msg },
	{ 9, PK_BYTES, 0, "agent_token", NULL },
};
static const struct prescan_msg report_msg = FIELDS(report_fields);


enum prescan_step {
	PS_KEY,		/* reading a field key */
	PS_VALUE,	/* reading a varint value */
	PS_LEN,		/* reading the length of a string or message */
	PS_SKIP,	/* passing over bytes up to skip_to */
};

static int prescan_fail(struct prescan_stream *s, const char *fmt, ...)
    KICS_PRINTF(2, 3);

/*
 * The path of the innermost message ("events[3].attributes[0]", "" at the
 * top) into path (PRESCAN_PATH_LEN bytes), cut short like the reason.
 */
static void
prescan_path(const struct prescan_stream *s, char *path)
{
	size_t n;

	path[0] = '\0';
	for (size_t d = 1; d < s->depth; d++) {
		const struct prescan_frame *m = &s->frames[d];

		n = strlen(path);
		(void)snprintf(path + n, PRESCAN_PATH_LEN - n, "%s%s",
		    n > 0 ? "." : "", m->name);
		n = strlen(path);
		if (m->repeated)
			(void)snprintf(path + n, PRESCAN_PATH_LEN - n, "[%zu]",
			    m->index);
	}
}

/* Refuses the body: the reason is prefixed with the current message's path. */
static int
prescan_fail(struct prescan_stream *s, const char *fmt, ...)
{
	char path[PRESCAN_PATH_LEN];
	char msg[PRESCAN_REASON_LEN - PRESCAN_PATH_LEN - 2];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	prescan_path(s, path);
	(void)snprintf(s->reason, sizeof(s->reason), "%s%s%s", path,
	    *path != '\0' ? ": " : "", msg);
	s->failed = true;
	return -EINVAL;
}

static inline const struct prescan_field *
prescan_find(const struct prescan_msg *m, uint32_t num)
{
	/* the tables above list fields 1..n in order: no search for those */
	if (num >= 1 && num <= m->n && m->fields[num - 1].num == num)
		return &m->fields[num - 1];
	for (size_t i = 0; i < m->n; i++)
		if (m->fields[i].num == num)
			return &m->fields[i];
	return NULL;
}

/* Bytes left in the innermost message. */
static uint64_t
prescan_room(const struct prescan_stream *s)
{
	return s->frames[s->depth - 1].end - s->pos;
}

static void
prescan_varint_start(struct prescan_stream *s, enum prescan_step step,
    unsigned vmax)
{
	s->step = step;
	varint_init(&s->var);
	s->vmax = vmax;
}

/* The next field starts: messages that end here are complete. */
static void
prescan_next(struct prescan_stream *s)
{
	while (s->depth > 1 && s->pos == s->frames[s->depth - 1].end)
		s->depth--;
	prescan_varint_start(s, PS_KEY, 5);
}

static void
prescan_skip(struct prescan_stream *s, uint64_t n)
{
	s->skip_to = s->pos + n;
	s->step = PS_SKIP;
	if (n == 0)
		prescan_next(s);
}

/* Why the varint being read is refused, in the words of its step. */
static int prescan_bad_varint(struct prescan_stream *s);

/*
 * A key was read: its value, a varint (PS_VALUE) or a length (PS_LEN),
 * must start inside the message.
 */
static int
prescan_expect(struct prescan_stream *s, enum prescan_step step,
    unsigned vmax)
{
	prescan_varint_start(s, step, vmax);
	return prescan_room(s) == 0 ? prescan_bad_varint(s) : 0;
}

static int
prescan_bad_varint(struct prescan_stream *s)
{
	if (s->step == PS_KEY)
		return prescan_fail(s, "bad field key");
	if (s->step == PS_LEN)
		return s->f != NULL ?
		    prescan_fail(s, "%s: length past the end", s->f->name) :
		    prescan_fail(s, "field %u: length past the end", s->num);
	return s->f != NULL ? prescan_fail(s, "%s: bad varint", s->f->name) :
	    prescan_fail(s, "field %u: bad varint", s->num);
}

/* A key of an unknown field was read: plan how to pass over its value. */
static int
prescan_unknown(struct prescan_stream *s, unsigned wt)
{
	uint64_t n;

	if (++s->unknown > PRESCAN_MAX_UNKNOWN)
		return prescan_fail(s, "more than %d unknown fields",
		    PRESCAN_MAX_UNKNOWN);
	switch (wt) {
	case 0:
		return prescan_expect(s, PS_VALUE, 10);
	case 1:
	case 5:
		n = wt == 1 ? 8 : 4;
		if (prescan_room(s) < n)
			return prescan_fail(s, "field %u: truncated", s->num);
		prescan_skip(s, n);
		return 0;
	case 2:
		return prescan_expect(s, PS_LEN, 5);
	default:
		return prescan_fail(s, "field %u: wire type %u is not accepted",
		    s->num, wt);
	}
}

/* A key of known field f was read: count it, check its wire type. */
static int
prescan_known(struct prescan_stream *s, const struct prescan_field *f,
    unsigned wt)
{
	size_t max = f->max > 0 ? f->max : PRESCAN_MAX_SINGULAR;
	size_t *count = &s->frames[s->depth - 1].counts[f->num];
	bool varint = f->kind == PK_V32 || f->kind == PK_V64;

	if (++*count > max)
		return prescan_fail(s, "%s: more than %zu %s", f->name, max,
		    f->max > 0 ? "entries" : "occurrences");
	if (wt != (varint ? 0u : 2u))
		return prescan_fail(s, "%s: wrong wire type %u", f->name, wt);
	if (varint)	/* 32-bit fields: no valid value needs a 5th byte */
		return prescan_expect(s, PS_VALUE, f->kind == PK_V32 ? 4 : 10);
	return prescan_expect(s, PS_LEN, 5);
}

static int
prescan_key(struct prescan_stream *s)
{
	uint64_t key = s->var.v;

	if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
		return prescan_fail(s, "bad field key");
	s->num = (uint32_t)(key >> 3);
	s->f = prescan_find(s->frames[s->depth - 1].msg, s->num);
	if (s->f == NULL)
		return prescan_unknown(s, (unsigned)(key & 7));
	return prescan_known(s, s->f, (unsigned)(key & 7));
}

/* The length of a string or message was read. */
static int
prescan_len(struct prescan_stream *s)
{
	const struct prescan_frame *up = &s->frames[s->depth - 1];
	struct prescan_frame *m;

	if (s->var.v > prescan_room(s))
		return prescan_bad_varint(s);
	if (s->f == NULL || s->f->kind != PK_MSG) {
		prescan_skip(s, s->var.v);
		return 0;
	}
	/* the schema nests at most PRESCAN_MAX_DEPTH deep */
	assert(s->depth < PRESCAN_MAX_DEPTH);
	m = &s->frames[s->depth];
	memset(m->counts, 0, sizeof(m->counts));
	m->msg = s->f->msg;
	m->start = s->pos;
	m->end = s->pos + s->var.v;
	/* the path is formatted only for a reason (prescan_path()) */
	m->name = s->f->name;
	m->repeated = s->f->max > 0;
	m->index = up->counts[s->f->num] - 1;
	s->depth++;
	prescan_next(s);
	return 0;
}

/* The varint being read is whole. */
static int
prescan_varint_done(struct prescan_stream *s)
{
	switch (s->step) {
	case PS_KEY:
		return prescan_key(s);
	case PS_LEN:
		return prescan_len(s);
	default:
		prescan_next(s);
		return 0;
	}
}

void
prescan_stream_init(struct prescan_stream *s, uint64_t total)
{
	memset(s, 0, sizeof(*s));
	s->frames[0].msg = &report_msg;
	s->frames[0].end = total;
	s->depth = 1;
	s->total = total;
	prescan_next(s);
}

/*
 * The quick pass: a whole message in one piece, checked in a plain loop
 * rather than a turn of the state machine per byte (that was most of the
 * scan's time). It accepts only what the state machine would accept with
 * nothing left to say: at the first thing it does not take on trust (an
 * unknown field, a count over its limit, a wire type, varint or length
 * that is wrong) it gives up, and the state machine scans the message
 * again from its start and gives the verdict and the reason. It recurses
 * once per level of the schema (at most PRESCAN_MAX_DEPTH).
 */

/*
 * Whether the message m in p[0..len) passes as a whole. Every field we
 * know has a 1-byte key, and the tables above list fields 1..n in order,
 * so a key byte indexes its field; a length nearly always takes one byte.
 */
static bool
prescan_quick(const struct prescan_msg *m, const uint8_t *p, uint64_t len)
{
	uint32_t counts[PRESCAN_MAX_FIELD] = { 0 };
	const uint8_t *end = p + len;
	const struct prescan_field *f;
	unsigned b, num;
	uint64_t v;
	size_t n;

	while (p < end) {
		b = *p++;
		num = b >> 3;
		/* a longer key, field 0 or one we do not know; a wrong wire
		   type (varints 0, the others 2) */
		if (b >= 0x80 || num - 1 >= m->n ||
		    (f = &m->fields[num - 1])->num != num ||
		    (b & 7) != (f->kind >= PK_BYTES ? 2u : 0u) ||
		    ++counts[num] > (f->max > 0 ? f->max :
		    PRESCAN_MAX_SINGULAR))
			return false;
		if (f->kind < PK_BYTES) {
			if ((n = varint_len(p, end,
			    f->kind == PK_V32 ? 4 : 10)) == 0)
				return false;
			p += n;
			continue;
		}
		if (p < end && *p < 0x80)
			v = *p++;
		else if ((n = varint_read(p, end, 5, &v)) > 0)
			p += n;
		else
			return false;
		if (v > (uint64_t)(end - p) || (f->kind == PK_MSG &&
		    !prescan_quick(f->msg, p, v)))
			return false;
		p += v;
	}
	return true;
}

int
prescan_stream_feed(struct prescan_stream *s, const uint8_t *data,
    size_t len)
{
	const struct prescan_frame *fr;
	size_t i = 0;
	uint64_t n;

	if (s->failed)
		return -EINVAL;
	if (len > s->total - s->pos)
		return prescan_fail(s, "more bytes than the declared %llu",
		    (unsigned long long)s->total);
	while (i < len) {
		if (s->step == PS_SKIP) {
			/* strings are passed over, not read */
			n = s->skip_to - s->pos;
			if (n > len - i)
				n = len - i;
			i += (size_t)n;
			s->pos += n;
			if (s->pos == s->skip_to)
				prescan_next(s);
			continue;
		}
		fr = &s->frames[s->depth - 1];
		if (s->step == PS_KEY && s->pos == fr->start &&
		    fr->end - fr->start <= len - i && fr->end > fr->start &&
		    prescan_quick(fr->msg, data + i, fr->end - fr->start)) {
			n = fr->end - fr->start;
			i += (size_t)n;
			s->pos += n;
			prescan_next(s);
			continue;
		}
		s->pos++;
		if (varint_add(&s->var, data[i++])) {
			if (prescan_varint_done(s) < 0)
				return -EINVAL;
		} else if (s->var.n == s->vmax || prescan_room(s) == 0)
			return prescan_bad_varint(s);
	}
	return 0;
}

int
prescan_stream_end(struct prescan_stream *s)
{
	if (s->failed)
		return -EINVAL;
	if (s->pos != s->total)
		return prescan_fail(s, "body ends after %llu of %llu bytes",
		    (unsigned long long)s->pos, (unsigned long long)s->total);
	return 0;
}

int
report_prescan(const uint8_t *data, size_t len, char *reason,
    size_t reason_len)
{
	struct prescan_stream s;
	int r;

	prescan_stream_init(&s, len);
	if ((r = prescan_stream_feed(&s, data, len)) == 0)
		r = prescan_stream_end(&s);
	if (reason_len > 0)
		(void)snprintf(reason, reason_len, "%s", r < 0 ? s.reason : "");
	return r;
}
