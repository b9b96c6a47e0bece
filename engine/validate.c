/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the checks a decoded AgentReport must pass before the
 * engine stores it, and the wording of the reason given when it fails.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "kics_limits.h"
#include "log.h"	/* KICS_PRINTF */
#include "validate.h"

/* Bytes of a field path such as "events[999].attributes[63].value". */
#define VALIDATE_PATH_LEN	96
/* Bytes of a quoted value: each byte may become "\xNN", plus quotes, "...". */
#define VALIDATE_QUOTE_BUF	(4 * VALIDATE_QUOTE_LEN + 8)
/* Largest TCP/UDP port. */
#define VALIDATE_PORT_MAX	65535

/* Where the first failure is written. */
struct vctx {
	char	*reason;
	size_t	 len;
};

/*
 * Where a field is: name, name[i] or name[i].sub[j]. It is formatted only
 * when a reason is written (vpath_format()), not for every entry checked.
 */
struct vpath {
	const char	*name;	/* "", "host", "events", "host.interfaces" */
	bool		 indexed;	/* name[i] */
	size_t		 i;
	const char	*sub;	/* name[i].sub[j] when not NULL */
	size_t		 j;
};

static const struct vpath vp_top = { "", false, 0, NULL, 0 };
static const struct vpath vp_host = { "host", false, 0, NULL, 0 };
static const struct vpath vp_report = { "report", false, 0, NULL, 0 };

enum text_kind {
	TEXT_SHORT,	/* LIMIT_SHORT_TEXT_LEN, no control characters */
	TEXT_LONG,	/* LIMIT_LONG_TEXT_LEN, tab, LF and CR allowed */
};

/*
 * Decodes one UTF-8 sequence at s (NUL-terminated, so a truncated sequence
 * stops at the NUL, which is no continuation byte). Returns its length 1..4
 * and the code point, or 0 when the bytes are not valid UTF-8.
 */
static size_t
utf8_decode(const unsigned char *s, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t n, i;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past the last code point */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	*ret_cp = cp;
	return n;
}

static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/*
 * Writes s to out as 'text', with control characters and bytes that are
 * not UTF-8 as \xNN, and "..." after VALIDATE_QUOTE_LEN bytes of output.
 */
static void
quote(const char *s, char out[VALIDATE_QUOTE_BUF])
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0, n, i;
	uint32_t cp;

	out[o++] = '\'';
	while (*p != '\0') {
		if (o - 1 >= VALIDATE_QUOTE_LEN) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		n = utf8_decode(p, &cp);
		if (n == 0 || is_control(cp)) {
			/* One escaped byte; the rest is looked at next. */
			(void)snprintf(out + o, 5, "\\x%02x", (unsigned)*p);
			o += 4;
			p++;
			continue;
		}
		for (i = 0; i < n; i++)
			out[o++] = (char)p[i];
		p += n;
	}
	out[o++] = '\'';
	out[o] = '\0';
}

/* Cuts a truncated reason back to the last whole UTF-8 sequence. */
static void
utf8_trim(char *s)
{
	size_t end = strlen(s), j;
	uint32_t cp;

	if (end == 0)
		return;
	j = end - 1;
	while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80)
		j--;
	if (utf8_decode((const unsigned char *)s + j, &cp) == 0)
		s[j] = '\0';
}

/* Writes at as text ("events[3].attributes[0]") to out. */
static void
vpath_format(const struct vpath *at, char out[VALIDATE_PATH_LEN])
{
	if (!at->indexed)
		(void)snprintf(out, VALIDATE_PATH_LEN, "%s", at->name);
	else if (at->sub == NULL)
		(void)snprintf(out, VALIDATE_PATH_LEN, "%s[%zu]", at->name,
		    at->i);
	else
		(void)snprintf(out, VALIDATE_PATH_LEN, "%s[%zu].%s[%zu]",
		    at->name, at->i, at->sub, at->j);
}

static int fail(struct vctx *v, const struct vpath *at, const char *field,
    const char *fmt, ...) KICS_PRINTF(4, 5);

/*
 * Writes "path: message" to the reason buffer and returns -EINVAL. path is
 * at, then ".field" when both are set.
 */
static int
fail(struct vctx *v, const struct vpath *at, const char *field,
    const char *fmt, ...)
{
	char msg[VALIDATE_REASON_LEN], prefix[VALIDATE_PATH_LEN];
	va_list ap;
	int n;

	if (v->reason == NULL || v->len == 0)
		return -EINVAL;
	vpath_format(at, prefix);
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(v->reason, v->len, "%s%s%s: %s", prefix,
	    *prefix != '\0' && field != NULL ? "." : "",
	    field != NULL ? field : "", msg);
	if (n < 0)
		v->reason[0] = '\0';
	else if ((size_t)n >= v->len)
		utf8_trim(v->reason);
	return -EINVAL;
}

#define BYTES_01	0x0101010101010101ull
#define BYTES_60	0x6060606060606060ull
#define BYTES_7F	0x7f7f7f7f7f7f7f7full
#define BYTES_80	0x8080808080808080ull

/*
 * Whether s[0 … len) is all printable ASCII (0x20-0x7e), eight bytes at
 * a time (issue 17: a report's text is a few kilobytes). In each byte b
 * of a word, with c = b & 0x7f, adding 0x60 to c sets its top bit when
 * c >= 0x20, and adding 0x01 when c == 0x7f; neither carries into the
 * next byte. b is printable when its own top bit is clear, the first
 * sum's is set and the second's is clear.
 */
static bool
printable_ascii(const char *s, size_t len)
{
	size_t i = 0;
	uint64_t w, low, bad = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		low = w & BYTES_7F;
		bad |= (w | ~(low + BYTES_60) | (low + BYTES_01)) & BYTES_80;
	}
	for (; i < len; i++) {
		unsigned char b = (unsigned char)s[i];

		bad |= b < 0x20 || b >= 0x7f;
	}
	return bad == 0;
}

/*
 * Checks one string: required (when asked), length, UTF-8, control
 * characters. A NULL string counts as empty.
 */
static int
check_text(struct vctx *v, const struct vpath *at, const char *field,
    const char *s, enum text_kind kind, bool required)
{
	char q[VALIDATE_QUOTE_BUF];
	size_t max = kind == TEXT_LONG ? LIMIT_LONG_TEXT_LEN :
	    LIMIT_SHORT_TEXT_LEN;
	const unsigned char *p;
	size_t len, n;
	uint32_t cp;

	if (s == NULL || *s == '\0')
		return required ? fail(v, at, field, "missing") : 0;
	/* most text is printable ASCII throughout: no decoding needed */
	len = strlen(s);
	if (len <= max && printable_ascii(s, len))
		return 0;
	if (len > max) {
		quote(s, q);
		return fail(v, at, field,
		    "%s is too long (%zu bytes, limit %zu)", q, len, max);
	}
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		/* most text is printable ASCII: no decoding needed */
		if (*p >= 0x20 && *p < 0x7f) {
			n = 1;
			continue;
		}
		if ((n = utf8_decode(p, &cp)) == 0) {
			quote(s, q);
			return fail(v, at, field,
			    "%s is not valid UTF-8", q);
		}
		if (is_control(cp) && !(kind == TEXT_LONG &&
		    (cp == '\t' || cp == '\n' || cp == '\r'))) {
			quote(s, q);
			return fail(v, at, field,
			    "%s contains a control character", q);
		}
	}
	return 0;
}

/* Checks a list length against its limit. */
static int
check_count(struct vctx *v, const struct vpath *at, const char *field,
    size_t n, size_t limit)
{
	if (n > limit)
		return fail(v, at, field, "%zu entries, limit %zu", n,
		    limit);
	return 0;
}

static int
check_agent_id(struct vctx *v, const char *id)
{
	char q[VALIDATE_QUOTE_BUF];
	size_t len, i;

	if (id == NULL || *id == '\0')
		return fail(v, &vp_top, "agent_id", "missing");
	len = strlen(id);
	if (len > LIMIT_AGENT_ID_LEN) {
		quote(id, q);
		return fail(v, &vp_top, "agent_id",
		    "%s is too long (%zu bytes, limit %d)", q, len,
		    LIMIT_AGENT_ID_LEN);
	}
	for (i = 0; i < len; i++) {
		/* It appears in logs and file names: no spaces either. */
		if (id[i] <= ' ' || id[i] > '~') {
			quote(id, q);
			return fail(v, &vp_top, "agent_id",
			    "%s is not printable ASCII without spaces", q);
		}
	}
	return 0;
}

/* An agent token is what an ack gave: short printable ASCII, or none. */
static int
check_token(struct vctx *v, const char *token)
{
	size_t len;

	if (token == NULL)
		return 0;
	len = strlen(token);
	if (len > LIMIT_AGENT_TOKEN_LEN)
		return fail(v, &vp_top, "agent_token", "too long (%zu bytes, "
		    "limit %d)", len, LIMIT_AGENT_TOKEN_LEN);
	for (size_t i = 0; i < len; i++)
		/* never quoted back: it may be a secret */
		if (token[i] <= ' ' || token[i] > '~')
			return fail(v, &vp_top, "agent_token",
			    "not printable ASCII without spaces");
	return 0;
}

static int
check_interface(struct vctx *v, size_t i,
    const Kics__Epp__V1__NetworkInterface *nif)
{
	struct vpath at = { "host.interfaces", true, i, NULL, 0 };
	struct vpath aat = { "host.interfaces", true, i, "addresses", 0 };
	char q[VALIDATE_QUOTE_BUF];
	struct addr_mac mac;
	struct addr_ip ip;
	size_t j;
	int prefix, r;

	if (nif == NULL)
		return fail(v, &at, NULL, "missing");
	if ((r = check_text(v, &at, "name", nif->name, TEXT_SHORT,
	    false)) < 0)
		return r;
	if (nif->mac != NULL && *nif->mac != '\0' &&
	    addr_mac_parse(nif->mac, &mac) < 0) {
		quote(nif->mac, q);
		return fail(v, &at, "mac", "%s is not a MAC address", q);
	}
	if ((r = check_count(v, &at, "addresses", nif->n_addresses,
	    LIMIT_ADDRESSES)) < 0)
		return r;
	for (j = 0; j < nif->n_addresses; j++) {
		const char *a = nif->addresses[j];

		aat.j = j;
		if (a == NULL || *a == '\0')
			return fail(v, &aat, NULL, "missing");
		if (addr_ip_parse_prefixed(a, &ip, &prefix) < 0) {
			quote(a, q);
			return fail(v, &aat, NULL,
			    "%s is not an IP address with optional /prefix",
			    q);
		}
	}
	return 0;
}

static int
check_host(struct vctx *v, const Kics__Epp__V1__HostInfo *h)
{
	const struct {
		const char *name;
		const char *value;
	} fields[] = {
		{ "hostname", h->hostname },
		{ "domain", h->domain },
		{ "os_name", h->os_name },
		{ "os_version", h->os_version },
		{ "vendor", h->vendor },
		{ "model", h->model },
		{ "serial_number", h->serial_number },
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((r = check_text(v, &vp_host, fields[i].name,
		    fields[i].value, TEXT_SHORT, false)) < 0)
			return r;
	if ((r = check_count(v, &vp_host, "interfaces", h->n_interfaces,
	    LIMIT_INTERFACES)) < 0)
		return r;
	for (i = 0; i < h->n_interfaces; i++)
		if ((r = check_interface(v, i, h->interfaces[i])) < 0)
			return r;
	return 0;
}

static int
check_application(struct vctx *v, size_t i,
    const Kics__Epp__V1__EppApplication *a)
{
	struct vpath at = { "applications", true, i, NULL, 0 };
	int r;

	if (a == NULL)
		return fail(v, &at, NULL, "missing");
	if ((r = check_text(v, &at, "product", a->product, TEXT_SHORT,
	    true)) < 0 ||
	    (r = check_text(v, &at, "version", a->version, TEXT_SHORT,
	    false)) < 0)
		return r;
	switch (a->state) {
	case KICS__EPP__V1__EPP_APPLICATION__STATE__STATE_UNSPECIFIED:
	case KICS__EPP__V1__EPP_APPLICATION__STATE__RUNNING:
	case KICS__EPP__V1__EPP_APPLICATION__STATE__STOPPED:
	case KICS__EPP__V1__EPP_APPLICATION__STATE__FAILED:
		return 0;
	default:
		return fail(v, &at, "state",
		    "%d is not RUNNING, STOPPED or FAILED", (int)a->state);
	}
}

static int
check_event(struct vctx *v, size_t i, const Kics__Epp__V1__EppEvent *e)
{
	struct vpath at = { "events", true, i, NULL, 0 };
	struct vpath aat = { "events", true, i, "attributes", 0 };
	const struct {
		const char *name;
		const char *value;
		enum text_kind kind;
	} fields[] = {
		{ "category", e ? e->category : NULL, TEXT_SHORT },
		{ "product", e ? e->product : NULL, TEXT_SHORT },
		{ "title", e ? e->title : NULL, TEXT_LONG },
		{ "description", e ? e->description : NULL, TEXT_LONG },
		{ "object_path", e ? e->object_path : NULL, TEXT_LONG },
		{ "threat_name", e ? e->threat_name : NULL, TEXT_SHORT },
		{ "user_name", e ? e->user_name : NULL, TEXT_SHORT },
	};
	size_t j;
	int r;

	if (e == NULL)
		return fail(v, &at, NULL, "missing");
	if ((r = check_text(v, &at, "event_id", e->event_id, TEXT_SHORT,
	    true)) < 0)
		return r;
	switch (e->severity) {
	case KICS__EPP__V1__EPP_EVENT__SEVERITY__SEVERITY_UNSPECIFIED:
	case KICS__EPP__V1__EPP_EVENT__SEVERITY__INFO:
	case KICS__EPP__V1__EPP_EVENT__SEVERITY__WARNING:
	case KICS__EPP__V1__EPP_EVENT__SEVERITY__CRITICAL:
		break;
	default:
		return fail(v, &at, "severity",
		    "%d is not INFO, WARNING or CRITICAL", (int)e->severity);
	}
	for (j = 0; j < sizeof(fields) / sizeof(fields[0]); j++)
		if ((r = check_text(v, &at, fields[j].name, fields[j].value,
		    fields[j].kind, false)) < 0)
			return r;
	if ((r = check_count(v, &at, "attributes", e->n_attributes,
	    LIMIT_EVENT_ATTRIBUTES)) < 0)
		return r;
	for (j = 0; j < e->n_attributes; j++) {
		const Kics__Epp__V1__EppEvent__AttributesEntry *a =
		    e->attributes[j];

		aat.j = j;
		if (a == NULL)
			return fail(v, &aat, NULL, "missing");
		if ((r = check_text(v, &aat, "key", a->key, TEXT_SHORT,
		    true)) < 0 ||
		    (r = check_text(v, &aat, "value", a->value, TEXT_LONG,
		    false)) < 0)
			return r;
	}
	return 0;
}

/* An event_id and where it was, for finding repeats. */
struct id_pos {
	const char	*id;
	size_t		 index;
};

static int
id_pos_cmp(const void *a, const void *b)
{
	const struct id_pos *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Finds the first event (by index) whose event_id an earlier event already
 * used. Sorting keeps this O(n log n) at LIMIT_EVENTS; the array lives on
 * the stack so that validation cannot fail for lack of memory.
 */
static int
check_event_ids_unique(struct vctx *v, const Kics__Epp__V1__AgentReport *r)
{
	struct id_pos ids[LIMIT_EVENTS];
	size_t i, n = r->n_events, dup = SIZE_MAX, first = 0;
	struct vpath at = { "events", true, 0, NULL, 0 };
	char q[VALIDATE_QUOTE_BUF];

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		ids[i].id = r->events[i]->event_id;
		ids[i].index = i;
	}
	qsort(ids, n, sizeof(ids[0]), id_pos_cmp);
	for (i = 1; i < n; i++) {
		/*
		 * Within a run of equal ids the order is by index, so the
		 * smallest repeat of the run is met first and i - 1 is then
		 * the run's first use.
		 */
		if (strcmp(ids[i - 1].id, ids[i].id) == 0 &&
		    ids[i].index < dup) {
			dup = ids[i].index;
			first = ids[i - 1].index;
		}
	}
	if (dup == SIZE_MAX)
		return 0;
	at.i = dup;
	quote(r->events[dup]->event_id, q);
	return fail(v, &at, "event_id", "%s repeats events[%zu].event_id",
	    q, first);
}

static int
check_port(struct vctx *v, const struct vpath *at, const char *field,
    uint32_t port, bool need_nonzero, const char *proto)
{
	if (port > VALIDATE_PORT_MAX)
		return fail(v, at, field, "%lu is not a port (0..%d)",
		    (unsigned long)port, VALIDATE_PORT_MAX);
	if (port == 0 && need_nonzero)
		return fail(v, at, field,
		    "0 is not a %s service port", proto);
	return 0;
}

static int
check_connection(struct vctx *v, size_t i,
    const Kics__Epp__V1__Connection *c)
{
	struct vpath at = { "connections", true, i, NULL, 0 };
	char q[VALIDATE_QUOTE_BUF];
	const char *proto;
	struct addr_mac mac;
	struct addr_ip ip;
	bool outbound, ports;
	int r;

	if (c == NULL)
		return fail(v, &at, NULL, "missing");
	switch (c->protocol) {
	case KICS__EPP__V1__CONNECTION__PROTOCOL__TCP:
		proto = "TCP";
		break;
	case KICS__EPP__V1__CONNECTION__PROTOCOL__UDP:
		proto = "UDP";
		break;
	case KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP:
		proto = "ICMP";
		break;
	default:
		return fail(v, &at, "protocol", "%d is not TCP, UDP or ICMP",
		    (int)c->protocol);
	}
	switch (c->direction) {
	case KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND:
	case KICS__EPP__V1__CONNECTION__DIRECTION__INBOUND:
		break;
	default:
		return fail(v, &at, "direction",
		    "%d is not OUTBOUND or INBOUND", (int)c->direction);
	}
	if (c->remote_address == NULL || *c->remote_address == '\0')
		return fail(v, &at, "remote_address", "missing");
	if (addr_ip_parse(c->remote_address, &ip) < 0) {
		quote(c->remote_address, q);
		return fail(v, &at, "remote_address",
		    "%s is not an IP address", q);
	}
	if (c->local_address != NULL && *c->local_address != '\0' &&
	    addr_ip_parse(c->local_address, &ip) < 0) {
		quote(c->local_address, q);
		return fail(v, &at, "local_address",
		    "%s is not an IP address", q);
	}
	/* The initiator's port is ephemeral and may be unknown (0). */
	outbound = c->direction ==
	    KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND;
	ports = c->protocol != KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP;
	if ((r = check_port(v, &at, "local_port", c->local_port,
	    ports && !outbound, proto)) < 0 ||
	    (r = check_port(v, &at, "remote_port", c->remote_port,
	    ports && outbound, proto)) < 0)
		return r;
	if (c->remote_mac != NULL && *c->remote_mac != '\0' &&
	    addr_mac_parse(c->remote_mac, &mac) < 0) {
		quote(c->remote_mac, q);
		return fail(v, &at, "remote_mac", "%s is not a MAC address",
		    q);
	}
	if (c->first_seen_ms != 0 && c->last_seen_ms != 0 &&
	    c->last_seen_ms < c->first_seen_ms)
		return fail(v, &at, "last_seen_ms",
		    "%lld is before first_seen_ms %lld",
		    (long long)c->last_seen_ms, (long long)c->first_seen_ms);
	return check_text(v, &at, "process_name", c->process_name,
	    TEXT_SHORT, false);
}

int
report_validate(const Kics__Epp__V1__AgentReport *r, char *reason,
    size_t reason_len)
{
	struct vctx v = { reason, reason_len };
	size_t i;
	int e;

	if (r == NULL)
		return fail(&v, &vp_report, NULL, "missing");
	if ((e = check_agent_id(&v, r->agent_id)) < 0)
		return e;
	if (r->sequence == 0)
		return fail(&v, &vp_top, "sequence", "missing (must be > 0)");
	/* the database keeps it signed: above this it used to wrap to a
	   negative number that made every later report a resend (issue 11) */
	if (r->sequence > (uint64_t)INT64_MAX)
		return fail(&v, &vp_top, "sequence", "%llu is above %lld",
		    (unsigned long long)r->sequence, (long long)INT64_MAX);
	if ((e = check_token(&v, r->agent_token)) < 0)
		return e;
	if ((e = check_text(&v, &vp_top, "agent_version", r->agent_version,
	    TEXT_SHORT, false)) < 0)
		return e;
	if (r->host != NULL && (e = check_host(&v, r->host)) < 0)
		return e;

	if ((e = check_count(&v, &vp_top, "applications", r->n_applications,
	    LIMIT_APPLICATIONS)) < 0)
		return e;
	for (i = 0; i < r->n_applications; i++)
		if ((e = check_application(&v, i, r->applications[i])) < 0)
			return e;

	if ((e = check_count(&v, &vp_top, "events", r->n_events,
	    LIMIT_EVENTS)) < 0)
		return e;
	for (i = 0; i < r->n_events; i++)
		if ((e = check_event(&v, i, r->events[i])) < 0)
			return e;
	if ((e = check_event_ids_unique(&v, r)) < 0)
		return e;

	if ((e = check_count(&v, &vp_top, "connections", r->n_connections,
	    LIMIT_CONNECTIONS)) < 0)
		return e;
	for (i = 0; i < r->n_connections; i++)
		if ((e = check_connection(&v, i, r->connections[i])) < 0)
			return e;
	return 0;
}
