/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the pre-scan of prescan.h: the wire schema of
 * AgentReport as tables, and one recursive walk over the bytes that counts
 * before anything is decoded.
 */
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
#define PRESCAN_MAX_FIELD	15	/* highest field number we know + 1 */
#define PRESCAN_PATH_LEN	64

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

struct prescan {
	size_t		unknown;	/* unknown fields so far */
	char		*reason;
	size_t		reason_len;
};

static int prescan_fail(struct prescan *s, const char *path, const char *fmt,
    ...) KICS_PRINTF(3, 4);

static int
prescan_fail(struct prescan *s, const char *path, const char *fmt, ...)
{
	char msg[PRESCAN_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(s->reason, s->reason_len, "%s%s%s", path,
	    *path != '\0' ? ": " : "", msg);
	return -EINVAL;
}

/*
 * Reads a varint of at most max bytes at *p (before end). Returns its
 * length in bytes, 0 when truncated or longer than max.
 */
static size_t
prescan_varint(const uint8_t *p, const uint8_t *end, size_t max,
    uint64_t *ret_v)
{
	uint64_t v = 0;

	for (size_t i = 0; i < max && p + i < end; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			*ret_v = v;
			return i + 1;
		}
	}
	return 0;
}

static const struct prescan_field *
prescan_find(const struct prescan_msg *m, uint32_t num)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->fields[i].num == num)
			return &m->fields[i];
	return NULL;
}

static int prescan_msg(struct prescan *s, const struct prescan_msg *m,
    const uint8_t *p, size_t len, const char *path);

/* Skips an unknown field of wire type wt at *pp. */
static int
prescan_unknown(struct prescan *s, unsigned wt, const uint8_t **pp,
    const uint8_t *end, const char *path, uint32_t num)
{
	const uint8_t *p = *pp;
	uint64_t v;
	size_t n;

	if (++s->unknown > PRESCAN_MAX_UNKNOWN)
		return prescan_fail(s, path, "more than %d unknown fields",
		    PRESCAN_MAX_UNKNOWN);
	switch (wt) {
	case 0:
		if ((n = prescan_varint(p, end, 10, &v)) == 0)
			return prescan_fail(s, path, "field %u: bad varint",
			    num);
		p += n;
		break;
	case 1:
	case 5:
		n = wt == 1 ? 8 : 4;
		if ((size_t)(end - p) < n)
			return prescan_fail(s, path, "field %u: truncated",
			    num);
		p += n;
		break;
	case 2:
		if ((n = prescan_varint(p, end, 5, &v)) == 0 ||
		    v > (uint64_t)(end - p - (ptrdiff_t)n))
			return prescan_fail(s, path, "field %u: length past "
			    "the end", num);
		p += n + v;
		break;
	default:
		return prescan_fail(s, path, "field %u: wire type %u is not "
		    "accepted", num, wt);
	}
	*pp = p;
	return 0;
}

/* One known field f of wire type wt at *pp, its count in *count. */
static int
prescan_known(struct prescan *s, const struct prescan_field *f, unsigned wt,
    const uint8_t **pp, const uint8_t *end, const char *path, size_t *count)
{
	const uint8_t *p = *pp;
	char sub[PRESCAN_PATH_LEN];
	size_t n, max = f->max > 0 ? f->max : PRESCAN_MAX_SINGULAR;
	uint64_t v;
	int r;

	if (++*count > max)
		return prescan_fail(s, path, "%s: more than %zu %s", f->name,
		    max, f->max > 0 ? "entries" : "occurrences");
	if (wt != (f->kind == PK_V32 || f->kind == PK_V64 ? 0u : 2u))
		return prescan_fail(s, path, "%s: wrong wire type %u", f->name,
		    wt);
	if (f->kind == PK_V32 || f->kind == PK_V64) {
		/* 32-bit fields: no valid value of ours needs a 5th byte */
		if ((n = prescan_varint(p, end, f->kind == PK_V32 ? 4 : 10,
		    &v)) == 0)
			return prescan_fail(s, path, "%s: bad varint", f->name);
		*pp = p + n;
		return 0;
	}
	if ((n = prescan_varint(p, end, 5, &v)) == 0 ||
	    v > (uint64_t)(end - p - (ptrdiff_t)n))
		return prescan_fail(s, path, "%s: length past the end",
		    f->name);
	if (f->kind == PK_MSG) {
		if (f->max > 0)
			(void)snprintf(sub, sizeof(sub), "%s%s%s[%zu]", path,
			    *path != '\0' ? "." : "", f->name, *count - 1);
		else
			(void)snprintf(sub, sizeof(sub), "%s%s%s", path,
			    *path != '\0' ? "." : "", f->name);
		if ((r = prescan_msg(s, f->msg, p + n, (size_t)v, sub)) < 0)
			return r;
	}
	*pp = p + n + v;
	return 0;
}

static int
prescan_msg(struct prescan *s, const struct prescan_msg *m, const uint8_t *p,
    size_t len, const char *path)
{
	const uint8_t *end = p + len;
	size_t counts[PRESCAN_MAX_FIELD] = { 0 };
	const struct prescan_field *f;
	uint64_t key;
	size_t n;
	int r;

	while (p < end) {
		if ((n = prescan_varint(p, end, 5, &key)) == 0 ||
		    key >> 3 == 0 || key >> 3 > 0x1fffffff)
			return prescan_fail(s, path, "bad field key");
		p += n;
		f = prescan_find(m, (uint32_t)(key >> 3));
		if (f == NULL)
			r = prescan_unknown(s, (unsigned)(key & 7), &p, end,
			    path, (uint32_t)(key >> 3));
		else
			r = prescan_known(s, f, (unsigned)(key & 7), &p, end,
			    path, &counts[f->num]);
		if (r < 0)
			return r;
	}
	return 0;
}

int
report_prescan(const uint8_t *data, size_t len, char *reason,
    size_t reason_len)
{
	struct prescan s = { 0, reason, reason_len };

	if (reason_len > 0)
		reason[0] = '\0';
	return prescan_msg(&s, &report_msg, data, len, "");
}
