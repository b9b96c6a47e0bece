/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the message formats of SIEM forwarding: RFC 5424 with
 * the structured data element kics@32473, and CEF, each with its escaping.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "forward.h"

int
forward_pri(int severity)
{
	switch (severity) {
	case 3:
		return FORWARD_FACILITY * 8 + 2;	/* critical */
	case 2:
		return FORWARD_FACILITY * 8 + 4;	/* warning */
	default:
		return FORWARD_FACILITY * 8 + 6;	/* informational */
	}
}

int
forward_cef_severity(int severity)
{
	return severity >= 3 ? 9 : severity == 2 ? 6 : 3;
}

/* How many bytes of s to take, at most max, not splitting a UTF-8 char. */
static size_t
forward_cut(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Appends n bytes of s. */
static int
forward_put(struct strbuf *b, const char *s, size_t n)
{
	if (n == 0)
		return b->error;
	return strbuf_printf(b, "%.*s", (int)n, s);
}

/*
 * Appends at most max bytes of s, with each byte of specials preceded by a
 * backslash, '\n' and '\r' replaced by nl and cr (NULL: kept).
 */
static int
forward_escape(struct strbuf *b, const char *s, size_t max,
    const char *specials, const char *nl, const char *cr)
{
	size_t len = forward_cut(s, max), run;

	while (len > 0) {
		run = strcspn(s, specials);
		if (nl != NULL)
			run = run < strcspn(s, "\r\n") ? run : strcspn(s, "\r\n");
		if (run > len)
			run = len;
		(void)forward_put(b, s, run);
		s += run;
		len -= run;
		if (len == 0)
			break;
		if (*s == '\n' && nl != NULL)
			(void)strbuf_append(b, nl);
		else if (*s == '\r' && cr != NULL)
			(void)strbuf_append(b, cr);
		else
			(void)strbuf_printf(b, "\\%c", *s);
		s++;
		len--;
	}
	return b->error;
}

int
forward_sd_escape(struct strbuf *b, const char *s, size_t max)
{
	/* RFC 5424 6.3.3: '"', '\' and ']' MUST be escaped. */
	return forward_escape(b, s, max, "\"\\]", NULL, NULL);
}

int
forward_cef_header_escape(struct strbuf *b, const char *s, size_t max)
{
	/* CEF: '|' and '\' escaped in the header; no line breaks there. */
	return forward_escape(b, s, max, "|\\", " ", " ");
}

int
forward_cef_ext_escape(struct strbuf *b, const char *s, size_t max)
{
	/* CEF: '\' and '=' escaped in values, line breaks as \n and \r. */
	return forward_escape(b, s, max, "\\=", "\\n", "\\r");
}

/* "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID " */
static int
forward_header(struct strbuf *b, const struct forward_origin *o,
    const struct engine_fwd_event *ev)
{
	time_t t = (time_t)(ev->occurred_at_ms / 1000);
	struct tm tm;
	char ts[32];

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	(void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)strbuf_printf(b, "<%d>1 %s.%03dZ %s " FORWARD_APP_NAME " %ld ",
	    forward_pri(ev->severity), ts, (int)(ev->occurred_at_ms % 1000),
	    o->hostname != NULL && o->hostname[0] != '\0' ? o->hostname : "-",
	    o->pid);
	if (ev->code == 0)
		return strbuf_append(b, "test ");
	return strbuf_printf(b, "%lld ", (long long)ev->code);
}

/* One SD-PARAM: ' name="value"'. */
static void
forward_param(struct strbuf *b, const char *name, const char *value)
{
	(void)strbuf_printf(b, " %s=\"", name);
	(void)forward_sd_escape(b, value, FORWARD_TEXT_MAX);
	(void)strbuf_append(b, "\"");
}

static int
forward_rfc5424(struct strbuf *b, const struct engine_fwd_event *ev)
{
	char num[32];

	(void)strbuf_append(b, "[" FORWARD_SD_ID);
	(void)snprintf(num, sizeof(num), "%lld", (long long)ev->id);
	forward_param(b, "event_id", num);
	(void)snprintf(num, sizeof(num), "%lld", (long long)ev->code);
	forward_param(b, "code", num);
	forward_param(b, "severity", connector_severity_name(ev->severity));
	forward_param(b, "technology", ev->technology);
	if (ev->device_id > 0)
		(void)snprintf(num, sizeof(num), "%lld",
		    (long long)ev->device_id);
	else
		num[0] = '\0';
	forward_param(b, "device_id", num);
	forward_param(b, "ip", ev->ip);
	forward_param(b, "mac", ev->mac);
	forward_param(b, "hostname", ev->hostname);
	forward_param(b, "category", ev->category);
	forward_param(b, "tags", ev->tags);
	(void)strbuf_append(b, "] ");
	/* MSG: the title, then the description */
	(void)forward_put(b, ev->title, forward_cut(ev->title,
	    FORWARD_TITLE_MAX));
	if (ev->description[0] != '\0') {
		(void)strbuf_append(b, ": ");
		(void)forward_put(b, ev->description,
		    forward_cut(ev->description, FORWARD_TEXT_MAX));
	}
	return b->error;
}

/* One extension pair " key=value", left out when value is empty. */
static void
forward_ext(struct strbuf *b, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	(void)strbuf_printf(b, " %s=", key);
	(void)forward_cef_ext_escape(b, value, FORWARD_TEXT_MAX);
}

static int
forward_cef(struct strbuf *b, const struct forward_origin *o,
    const struct engine_fwd_event *ev)
{
	char id[32], rt[32], dev[32];

	(void)strbuf_append(b, "- CEF:0|kics-epp|kics-epp|");
	(void)forward_cef_header_escape(b, o->version, 64);
	(void)strbuf_printf(b, "|%lld|", (long long)ev->code);
	(void)forward_cef_header_escape(b, ev->title, FORWARD_TITLE_MAX);
	(void)strbuf_printf(b, "|%d|", forward_cef_severity(ev->severity));
	(void)snprintf(id, sizeof(id), "%lld", (long long)ev->id);
	(void)snprintf(rt, sizeof(rt), "%lld", (long long)ev->occurred_at_ms);
	dev[0] = '\0';
	if (ev->device_id > 0)
		(void)snprintf(dev, sizeof(dev), "%lld",
		    (long long)ev->device_id);
	/* the first pair without its leading space */
	(void)strbuf_printf(b, "externalId=%s", id);
	forward_ext(b, "rt", rt);
	forward_ext(b, "cat", ev->category);
	forward_ext(b, "src", ev->ip);
	forward_ext(b, "smac", ev->mac);
	forward_ext(b, "shost", ev->hostname);
	forward_ext(b, "cs1Label", "technology");
	forward_ext(b, "cs1", ev->technology);
	if (ev->tags[0] != '\0') {
		forward_ext(b, "cs2Label", "tags");
		forward_ext(b, "cs2", ev->tags);
	}
	if (dev[0] != '\0') {
		forward_ext(b, "cn1Label", "device_id");
		forward_ext(b, "cn1", dev);
	}
	forward_ext(b, "msg", ev->description);
	return b->error;
}

int
forward_format(struct strbuf *b, enum connector_format f,
    const struct forward_origin *o, const struct engine_fwd_event *ev)
{
	(void)forward_header(b, o, ev);
	if (f == CONNECTOR_CEF)
		return forward_cef(b, o, ev);
	return forward_rfc5424(b, ev);
}
