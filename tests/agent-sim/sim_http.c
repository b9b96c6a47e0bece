/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the HTTP/1.1 of kics-agent-sim's client: the head of a
 * report POST (byte for byte what libevent's evhttp sent before), and the
 * parser of the server's reply.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

int
sim_http_head(char *buf, size_t size, const char *path,
    const char *host_header, size_t body_len)
{
	int n;

	n = snprintf(buf, size, "POST %s HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Type: application/x-protobuf\r\n"
	    "User-Agent: kics-agent-sim\r\nContent-Length: %zu\r\n\r\n",
	    path, host_header, body_len);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

/* The end of the line that starts at p (its LF), or NULL when none yet. */
static const char *
line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* Length of the line p..lf without its CR. */
static size_t
line_len(const char *p, const char *lf)
{
	size_t n = (size_t)(lf - p);

	return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

/*
 * "HTTP/1.x NNN reason": the status, or -EPROTO. Interim 1xx replies are
 * errors: the simulator never asks for one (no Expect header).
 */
static int
parse_status(const char *p, size_t n, bool *ret_http10)
{
	int status;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return -EPROTO;
	if (p[9] < '2' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9' || (n > 12 && p[12] != ' '))
		return -EPROTO;
	status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	*ret_http10 = p[7] == '0';
	return status;
}

/* True when the header line p (n bytes) is named name; *ret_value after. */
static bool
header_is(const char *p, size_t n, const char *name, const char **ret_value,
    size_t *ret_vlen)
{
	size_t k = strlen(name);

	if (n <= k || p[k] != ':' || strncasecmp(p, name, k) != 0)
		return false;
	p += k + 1;
	n -= k + 1;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	*ret_value = p;
	*ret_vlen = n;
	return true;
}

/* Content-Length value: digits only, at most SIM_HTTP_MAX_BODY. */
static int
parse_length(const char *v, size_t n, size_t *ret_len)
{
	size_t len = 0;

	if (n == 0)
		return -EPROTO;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EPROTO;
		len = len * 10 + (size_t)(v[i] - '0');
		if (len > SIM_HTTP_MAX_BODY)
			return -EMSGSIZE;
	}
	*ret_len = len;
	return 0;
}

/* True when a Connection value lists the token "close". */
static bool
lists_close(const char *v, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++)
		if (strncasecmp(v + i, "close", 5) == 0 &&
		    (i == 0 || v[i - 1] == ',' || v[i - 1] == ' ') &&
		    (i + 5 == n || v[i + 5] == ',' || v[i + 5] == ' '))
			return true;
	return false;
}

/* Reads the header lines from p; 0, 1 (incomplete) or a negative errno. */
static int
parse_headers(const char *p, const char *end, struct sim_http_reply *r,
    bool *ret_has_length)
{
	const char *lf, *v;
	size_t n, vn;
	int e;

	*ret_has_length = false;
	for (;;) {
		if ((lf = line_end(p, end)) == NULL)
			return 1;
		if ((n = line_len(p, lf)) == 0)
			break;
		if (header_is(p, n, "Content-Length", &v, &vn)) {
			if (*ret_has_length)
				return -EPROTO;
			if ((e = parse_length(v, vn, &r->body_len)) < 0)
				return e;
			*ret_has_length = true;
		} else if (header_is(p, n, "Connection", &v, &vn)) {
			if (lists_close(v, vn))
				r->close = true;
		} else if (header_is(p, n, "Transfer-Encoding", &v, &vn)) {
			return -ENOTSUP;
		}
		p = lf + 1;
	}
	r->head_len = (size_t)(lf + 1 - (const char *)r->head);
	return 0;
}

int
sim_http_parse(const uint8_t *buf, size_t len, bool eof,
    struct sim_http_reply *ret_reply)
{
	struct sim_http_reply r;
	const char *p = (const char *)buf, *end = p + len, *lf;
	bool http10, has_length;
	int e;

	memset(&r, 0, sizeof(r));
	r.head = buf;
	if ((lf = line_end(p, end)) == NULL)
		return len > SIM_HTTP_MAX_HEAD ? -EMSGSIZE : eof ? -EPROTO : 1;
	if ((r.status = parse_status(p, line_len(p, lf), &http10)) < 0)
		return r.status;
	if ((e = parse_headers(lf + 1, end, &r, &has_length)) < 0)
		return e;
	if (e == 1)
		return len > SIM_HTTP_MAX_HEAD ? -EMSGSIZE : eof ? -EPROTO : 1;
	if (r.status == 204 || r.status == 304) {
		r.body_len = 0;
	} else if (!has_length) {
		/* the body runs to the end of the connection */
		if (len - r.head_len > SIM_HTTP_MAX_BODY)
			return -EMSGSIZE;
		if (!eof)
			return 1;
		r.body_len = len - r.head_len;
		r.close = true;
	}
	if (len - r.head_len < r.body_len)
		return eof ? -EPROTO : 1;
	if (http10)
		r.close = true;
	r.body = buf + r.head_len;
	r.extra = len - r.head_len - r.body_len;
	*ret_reply = r;
	return 0;
}
