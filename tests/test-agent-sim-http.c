/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of kics-agent-sim's HTTP/1.1 (issue 17: its own client in place of
 * evhttp): the request head, byte for byte what evhttp sent, and the reply
 * parser on whole, partial, closing, oversized and malformed replies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-sim/sim.h"
#include "testutil.h"

static int
parse(const char *text, bool eof, struct sim_http_reply *r)
{
	memset(r, 0, sizeof(*r));
	return sim_http_parse((const uint8_t *)text, strlen(text), eof, r);
}

static void
test_head(void)
{
	static const char want[] = "POST /api/v1/report HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8081\r\n"
	    "Content-Type: application/x-protobuf\r\n"
	    "User-Agent: kics-agent-sim\r\n"
	    "Content-Length: 4711\r\n\r\n";
	char buf[256];

	CHECK_EQ(sim_http_head(buf, sizeof(buf), "/api/v1/report",
	    "127.0.0.1:8081", 4711), strlen(want));
	CHECK(strcmp(buf, want) == 0);
	CHECK_EQ(sim_http_head(buf, strlen(want), "/api/v1/report",
	    "127.0.0.1:8081", 4711), -ENOSPC);
}

static void
test_reply_whole(void)
{
	const char *text = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/x-protobuf\r\n"
	    "content-length:  5 \r\n\r\nhello";
	struct sim_http_reply r;

	CHECK_EQ(parse(text, false, &r), 0);
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.body_len, 5);
	CHECK(memcmp(r.body, "hello", 5) == 0);
	CHECK_EQ(r.head_len, strlen(text) - 5);
	CHECK(!r.close);
	CHECK_EQ(r.extra, 0);
	/* bare LF line ends, as evhttp accepts them too */
	CHECK_EQ(parse("HTTP/1.1 503 Busy\nContent-Length: 2\n\nab", false,
	    &r), 0);
	CHECK_EQ(r.status, 503);
	CHECK_EQ(r.body_len, 2);
	/* no body for 204 whatever the headers say */
	CHECK_EQ(parse("HTTP/1.1 204 No Content\r\n\r\n", false, &r), 0);
	CHECK_EQ(r.body_len, 0);
}

/* Every prefix of a reply is incomplete; the whole is not. */
static void
test_reply_partial(void)
{
	const char *text = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
	struct sim_http_reply r;
	size_t n = strlen(text);

	for (size_t i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		CHECK_EQ(sim_http_parse((const uint8_t *)text, i, false, &r),
		    1);
		/* the connection ended there: truncated */
		CHECK_EQ(sim_http_parse((const uint8_t *)text, i, true, &r),
		    -EPROTO);
	}
	CHECK_EQ(sim_http_parse((const uint8_t *)text, n, false, &r), 0);
}

static void
test_reply_close(void)
{
	struct sim_http_reply r;

	CHECK_EQ(parse("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n"
	    "Content-Length: 0\r\n\r\n", false, &r), 0);
	CHECK(r.close);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n"
	    "Content-Length: 0\r\n\r\n", false, &r), 0);
	CHECK(r.close);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nConnection: closed\r\n"
	    "Content-Length: 0\r\n\r\n", false, &r), 0);
	CHECK(!r.close);
	/* HTTP/1.0 closes; a body without a length runs to the end */
	CHECK_EQ(parse("HTTP/1.0 200 OK\r\n\r\nuntil the end", false, &r), 1);
	CHECK_EQ(parse("HTTP/1.0 200 OK\r\n\r\nuntil the end", true, &r), 0);
	CHECK(r.close);
	CHECK_EQ(r.body_len, 13);
	/* bytes after the body: the connection cannot be trusted */
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxyz",
	    false, &r), 0);
	CHECK_EQ(r.body_len, 1);
	CHECK_EQ(r.extra, 2);
}

static void
test_reply_bad(void)
{
	char big[SIM_HTTP_MAX_HEAD + 64];
	struct sim_http_reply r;
	uint8_t *body;

	CHECK_EQ(parse("HTTP/2 200 OK\r\n\r\n", false, &r), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 20 OK\r\n\r\n", false, &r), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 2000 OK\r\n\r\n", false, &r), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 100 Continue\r\n\r\n", false, &r), -EPROTO);
	CHECK_EQ(parse("SSH-2.0-OpenSSH\r\n", false, &r), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", false,
	    &r), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", false,
	    &r), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n\r\nx", false, &r), -EPROTO);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
	    false, &r), -EMSGSIZE);
	CHECK_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1\r\nx\r\n0\r\n\r\n", false, &r), -ENOTSUP);
	/* a head that never ends */
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	CHECK_EQ(sim_http_parse((const uint8_t *)big, sizeof(big), false, &r),
	    -EMSGSIZE);
	/* a body without a length, beyond the limit before the end */
	body = malloc(19 + SIM_HTTP_MAX_BODY + 1);
	CHECK(body != NULL);
	memset(body, 'b', 19 + SIM_HTTP_MAX_BODY + 1);
	memcpy(body, "HTTP/1.0 200 OK\r\n\r\n", 19);
	CHECK_EQ(sim_http_parse(body, 19 + SIM_HTTP_MAX_BODY, true, &r), 0);
	CHECK_EQ(r.body_len, SIM_HTTP_MAX_BODY);
	CHECK_EQ(sim_http_parse(body, 19 + SIM_HTTP_MAX_BODY + 1, false, &r),
	    -EMSGSIZE);
	free(body);
}

int
main(void)
{
	RUN(test_head);
	RUN(test_reply_whole);
	RUN(test_reply_partial);
	RUN(test_reply_close);
	RUN(test_reply_bad);
	return 0;
}
