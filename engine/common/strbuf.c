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

int
strbuf_json_string(struct strbuf *b, const char *s)
{
	(void)strbuf_append(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];

		switch (*p) {
		case '"':
			(void)strbuf_append(b, "\\\"");
			break;
		case '\\':
			(void)strbuf_append(b, "\\\\");
			break;
		case '\n':
			(void)strbuf_append(b, "\\n");
			break;
		case '\t':
			(void)strbuf_append(b, "\\t");
			break;
		case '\r':
			(void)strbuf_append(b, "\\r");
			break;
		default:
			if (*p < 0x20) {
				(void)snprintf(esc, sizeof(esc), "\\u%04x",
				    *p);
				(void)strbuf_append(b, esc);
			} else {
				esc[0] = (char)*p;
				esc[1] = '\0';
				(void)strbuf_append(b, esc);
			}
		}
	}
	return strbuf_append(b, "\"");
}

const char *
strbuf_str(const struct strbuf *b)
{
	return b->data != NULL ? b->data : "";
}
