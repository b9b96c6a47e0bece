/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the report head read from wire bytes (engine/report_head.c,
 * issue 17): the agent_id, sequence and agent_token that protobuf-c would
 * decode, read without decoding the rest; refused (so that the whole
 * report is decoded and validated) whenever they are not as
 * report_validate() accepts them or the wire data is not as expected.
 * A differential run compares it with protobuf-c and report_validate() on
 * mutated reports.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kics_limits.h"
#include "report-build.h"
#include "report_head.h"
#include "testutil.h"
#include "validate.h"
#include "wire-build.h"

static void
w_str(struct wire *w, uint32_t field, const char *s)
{
	w_bytes(w, field, s, strlen(s));
}

static void
w_uint(struct wire *w, uint32_t field, uint64_t v)
{
	w_key(w, field, 0);
	w_varint(w, v);
}

/* A packed report of agent with seq and token ("" none), with content. */
static uint8_t *
packed(const char *agent, uint64_t seq, const char *token, size_t *ret_len)
{
	rb_report *r = rb_new(agent, seq);
	uint8_t *buf;

	if (token[0] != '\0')
		r->agent_token = strdup(token);
	(void)rb_host(r, "ws-1", "Windows", "10", "aa:bb:cc:00:00:01",
	    "10.0.0.1");
	(void)rb_event(r, "ev-1", "scan_completed", "scan completed");
	(void)rb_conn(r, KICS__EPP__V1__CONNECTION__PROTOCOL__TCP,
	    KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND, "10.0.0.2", NULL,
	    502, 100, 200);
	*ret_len = kics__epp__v1__agent_report__get_packed_size(r);
	CHECK((buf = malloc(*ret_len)) != NULL);
	(void)kics__epp__v1__agent_report__pack(r, buf);
	rb_free(r);
	return buf;
}

static void
test_fields_of_a_whole_report(void)
{
	struct report_head h;
	uint8_t *buf;
	size_t len;

	buf = packed("agent-7", 42, "0123456789abcdef0123456789abcdef", &len);
	CHECK_EQ(report_head_read(buf, len, &h), 0);
	CHECK(strcmp(h.agent_id, "agent-7") == 0);
	CHECK_EQ(h.sequence, 42);
	CHECK(strcmp(h.agent_token, "0123456789abcdef0123456789abcdef") == 0);
	free(buf);
	buf = packed("agent-8", 1, "", &len);
	CHECK_EQ(report_head_read(buf, len, &h), 0);
	CHECK(strcmp(h.agent_token, "") == 0);
	free(buf);
}

/* Later occurrences win, as when protobuf-c merges them. */
static void
test_last_occurrence_wins(void)
{
	struct wire w = { 0 };
	struct report_head h;

	/* an earlier value that would be refused does not count */
	w_str(&w, 1, "first one");
	w_uint(&w, 2, 5);
	w_bytes(&w, 9, "\x01\x02", 2);
	w_str(&w, 1, "second");
	w_uint(&w, 2, 6);
	w_str(&w, 9, "");
	CHECK_EQ(report_head_read(w.p, w.len, &h), 0);
	CHECK(strcmp(h.agent_id, "second") == 0);
	CHECK_EQ(h.sequence, 6);
	CHECK(strcmp(h.agent_token, "") == 0);
	free(w.p);
}

/* A string ends at its first NUL, as protobuf-c hands it to C. */
static void
test_string_ends_at_nul(void)
{
	struct wire w = { 0 };
	struct report_head h;

	w_bytes(&w, 1, "a\0 b", 4);
	w_uint(&w, 2, 1);
	w_bytes(&w, 9, "t\0\x01", 3);
	CHECK_EQ(report_head_read(w.p, w.len, &h), 0);
	CHECK(strcmp(h.agent_id, "a") == 0);
	CHECK(strcmp(h.agent_token, "t") == 0);
	free(w.p);
}

/* Fields it does not know are passed over by their wire type. */
static void
test_other_fields_passed_over(void)
{
	static const uint8_t fixed[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct wire w = { 0 };
	struct report_head h;

	w_key(&w, 3, 0);		/* sent_at_ms */
	w_varint(&w, UINT64_MAX);
	w_key(&w, 12, 1);		/* unknown fixed64 */
	for (size_t i = 0; i < 8; i++)
		w_byte(&w, fixed[i]);
	w_key(&w, 13, 5);		/* unknown fixed32 */
	for (size_t i = 0; i < 4; i++)
		w_byte(&w, fixed[i]);
	w_bytes(&w, 7, "\x0a\x01x", 3);	/* an event, not looked into */
	w_str(&w, 1, "a");
	w_uint(&w, 2, 1);
	CHECK_EQ(report_head_read(w.p, w.len, &h), 0);
	CHECK(strcmp(h.agent_id, "a") == 0);
	free(w.p);
}

/* One report from make(); returns report_head_read()'s verdict. */
static int
verdict(void (*make)(struct wire *w))
{
	struct wire w = { 0 };
	struct report_head h;
	int r;

	make(&w);
	r = report_head_read(w.p, w.len, &h);
	free(w.p);
	return r;
}

static void
m_no_agent(struct wire *w)
{
	w_uint(w, 2, 1);
}

static void
m_empty_agent(struct wire *w)
{
	w_str(w, 1, "");
	w_uint(w, 2, 1);
}

static void
m_seq_zero(struct wire *w)
{
	w_str(w, 1, "a");
	w_uint(w, 2, 0);
}

static void
m_seq_too_big(struct wire *w)
{
	w_str(w, 1, "a");
	w_uint(w, 2, (uint64_t)INT64_MAX + 1);
}

static void
m_agent_space(struct wire *w)
{
	w_str(w, 1, "a b");
	w_uint(w, 2, 1);
}

static void
m_agent_long(struct wire *w)
{
	char id[LIMIT_AGENT_ID_LEN + 2];

	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	w_str(w, 1, id);
	w_uint(w, 2, 1);
}

static void
m_token_bad(struct wire *w)
{
	w_str(w, 1, "a");
	w_uint(w, 2, 1);
	w_bytes(w, 9, "t\x01", 2);
}

static void
m_token_long(struct wire *w)
{
	char t[LIMIT_AGENT_TOKEN_LEN + 2];

	memset(t, 't', sizeof(t) - 1);
	t[sizeof(t) - 1] = '\0';
	w_str(w, 1, "a");
	w_uint(w, 2, 1);
	w_str(w, 9, t);
}

static void
m_seq_as_bytes(struct wire *w)
{
	w_str(w, 1, "a");
	w_bytes(w, 2, "\x01", 1);
}

static void
m_agent_as_varint(struct wire *w)
{
	w_uint(w, 1, 7);
	w_uint(w, 2, 1);
}

static void
m_length_past_end(struct wire *w)
{
	w_str(w, 1, "a");
	w_uint(w, 2, 1);
	w_key(w, 7, 2);
	w_varint(w, 100);
	w_byte(w, 0);
}

static void
m_truncated_varint(struct wire *w)
{
	w_str(w, 1, "a");
	w_varint(w, 2 << 3);
	w_byte(w, 0x81);
}

static void
m_group(struct wire *w)
{
	w_str(w, 1, "a");
	w_uint(w, 2, 1);
	w_key(w, 10, 3);
}

static void
m_field_zero(struct wire *w)
{
	w_str(w, 1, "a");
	w_uint(w, 2, 1);
	w_varint(w, 0);
	w_byte(w, 0);
}

static void
test_refusals(void)
{
	void (*const makers[])(struct wire *) = {
		m_no_agent, m_empty_agent, m_seq_zero, m_seq_too_big,
		m_agent_space, m_agent_long, m_token_bad,
		m_token_long, m_seq_as_bytes, m_agent_as_varint,
		m_length_past_end, m_truncated_varint, m_group, m_field_zero,
	};

	for (size_t i = 0; i < sizeof(makers) / sizeof(makers[0]); i++) {
		CHECK_EQ(verdict(makers[i]), -EINVAL);
	}
}

/*
 * Mutated copies of a report: whenever protobuf-c decodes one and the
 * head reads, both give the same three fields; whenever the decoded
 * report passes report_validate(), the head reads (a valid resend is
 * never sent to a decode for nothing).
 */
static void
test_differential(void)
{
	size_t len, n_same = 0, n_valid = 0;
	uint8_t *orig = packed("agent-x", 77, "abcdefabcdefabcdefabcdefabcdefab",
	    &len);
	uint8_t *buf = malloc(len);
	unsigned seed = 17;

	CHECK(buf != NULL);
	for (int round = 0; round < 20000; round++) {
		Kics__Epp__V1__AgentReport *r;
		struct report_head h;
		char reason[256];
		size_t n = len;
		int hr;

		(void)memcpy(buf, orig, len);
		for (int k = 1 + rand_r(&seed) % 3; k > 0; k--)
			buf[(size_t)rand_r(&seed) % len] ^=
			    (uint8_t)(1u << (rand_r(&seed) % 8));
		if (rand_r(&seed) % 4 == 0)
			n = (size_t)rand_r(&seed) % len;
		hr = report_head_read(buf, n, &h);
		r = kics__epp__v1__agent_report__unpack(NULL, n, buf);
		if (r == NULL)
			continue;
		if (hr == 0) {
			CHECK(strcmp(h.agent_id, r->agent_id) == 0);
			CHECK_EQ(h.sequence, r->sequence);
			CHECK(strcmp(h.agent_token, r->agent_token != NULL ?
			    r->agent_token : "") == 0);
			n_same++;
		}
		if (report_validate(r, reason, sizeof(reason)) == 0) {
			CHECK_EQ(hr, 0);
			n_valid++;
		}
		kics__epp__v1__agent_report__free_unpacked(r, NULL);
	}
	/* the run compared something of both kinds */
	CHECK(n_same > 1000);
	CHECK(n_valid > 100);
	free(buf);
	free(orig);
}

int
main(void)
{
	RUN(test_fields_of_a_whole_report);
	RUN(test_last_occurrence_wins);
	RUN(test_string_ends_at_nul);
	RUN(test_other_fields_passed_over);
	RUN(test_refusals);
	RUN(test_differential);
	return 0;
}
