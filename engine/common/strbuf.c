/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the growable string used to build texts and JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void
strbuf_init(struct strbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void
strbuf_fini(struct strbuf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	strbuf_init(b);
}

void
strbuf_reset(struct strbuf *b)
{
	b->len = 0;
	b->error = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
strbuf_reserve(struct strbuf *b, size_t extra)
{
	size_t want;
	char *p;

	if (b->error)
		return b->error;
	if (extra > (size_t)-1 / 2 - b->len) {
		b->error = -ENOMEM;
		return b->error;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	if (want < 64)
		want = 64;
	if (want < b->cap * 2)
		want = b->cap * 2;
	if ((p = realloc(b->data, want)) == NULL) {
		b->error = -ENOMEM;
		return b->error;
	}
	b->data = p;
	b->cap = want;
	return 0;
}

int
strbuf_append(struct strbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (strbuf_reserve(b, n) < 0)
		return b->error;
	memcpy(b->data + b->len, s, n + 1);
	b->len += n;
	return 0;
}

int
strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->error)
		return b->error;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->error = -EINVAL;
		return b->error;
	}
	if (strbuf_reserve(b, (size_t)n) < 0)
		return b->error;
	va_start(ap, fmt);
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* Appends the n bytes at s, which hold no NUL. */
static int
strbuf_append_n(struct strbuf *b, const char *s, size_t n)
{
	if (strbuf_reserve(b, n) < 0)
		return b->error;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* The escape of byte c inside a JSON string, or NULL when c stays. */
static const char *
strbuf_json_escape(unsigned char c, char esc[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	default:
		if (c >= 0x20)
			return NULL;
		(void)snprintf(esc, 8, "\\u%04x", c);
		return esc;
	}
}

int
strbuf_json_string(struct strbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	const char *e;
	char esc[8];

	(void)strbuf_append(b, "\"");
	/* the bytes that stay go in by runs (issue 17: byte by byte, the
	   attributes of events were a tenth of the writer's instructions) */
	for (; *p != '\0'; p++) {
		if ((e = strbuf_json_escape(*p, esc)) == NULL)
			continue;
		(void)strbuf_append_n(b, (const char *)run, (size_t)(p - run));
		(void)strbuf_append(b, e);
		run = p + 1;
	}
	(void)strbuf_append_n(b, (const char *)run, (size_t)(p - run));
	return strbuf_append(b, "\"");
}

const char *
strbuf_str(const struct strbuf *b)
{
	return b->data != NULL ? b->data : "";
}
