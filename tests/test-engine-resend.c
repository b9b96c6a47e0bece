/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the early answer to resends (engine_answer_resend(), issue 17)
 * on a real SQLite file: through an agent's token life cycle, every
 * report's early answer is the batch's answer to the same report when the
 * batch says "already stored", and is left to the batch otherwise; it
 * commits nothing, and never answers over UDP; several answers share one
 * read transaction, after which batches write as before. Both say alike
 * whether the report bore the agent's own token (token_bound, which lets
 * the daemon's loop answer later copies alone): never for a new agent,
 * a report without a token or one whose token an administrator unbound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "report_head.h"
#include "store_wal.h"
#include "testutil.h"

#define T0	1700000000000LL		/* a fixed now, in ms */

static void
set_token(rb_report *r, const char *token)
{
	if (r->agent_token != protobuf_c_empty_string)
		free(r->agent_token);
	r->agent_token = strdup(token);
	CHECK(r->agent_token != NULL);
}

/* The early answer to r from its wire bytes: engine_answer_resend(). */
static int
early(struct fx *f, rb_report *r, bool one_way, struct engine_report *er)
{
	size_t len = kics__epp__v1__agent_report__get_packed_size(r);
	uint8_t *buf = malloc(len);
	struct report_head h;
	int ret;

	CHECK(buf != NULL);
	(void)kics__epp__v1__agent_report__pack(r, buf);
	CHECK_EQ(report_head_read(buf, len, &h), 0);
	free(buf);
	memset(er, 0, sizeof(*er));
	er->one_way = one_way;
	ret = engine_answer_resend(f->e, &h, er);
	CHECK(ret == 0 || ret == 1);
	return ret;
}

static void
batch(struct fx *f, rb_report *r, struct engine_report *er)
{
	memset(er, 0, sizeof(*er));
	er->report = r;
	CHECK_EQ(engine_apply_batch(f->e, er, 1, T0), 0);
}

static bool last_bound;	/* token_bound of the last answer()'s batch */

static uint64_t
commits(struct fx *f)
{
	struct store_wal_stats ws;

	engine_wal_stats(f->e, &ws);
	return ws.commits;
}

/*
 * Answers r early, then through a batch; checks that they agree and
 * returns the batch's status.
 */
static enum report_status
answer(struct fx *f, rb_report *r)
{
	struct engine_report e, b;
	uint64_t before = commits(f);
	int got = early(f, r, false, &e);

	CHECK_EQ(commits(f), before);	/* the early answer commits nothing */
	batch(f, r, &b);
	if (got == 1) {
		CHECK_EQ(e.status, REPORT_STATUS_ALREADY);
		CHECK_EQ(b.status, REPORT_STATUS_ALREADY);
		CHECK_EQ(e.acked_sequence, b.acked_sequence);
		CHECK(strcmp(e.token, b.token) == 0);
		CHECK_EQ(e.token_bound, b.token_bound);
	} else
		CHECK(b.status != REPORT_STATUS_ALREADY);
	last_bound = b.token_bound;
	return b.status;
}

static void
test_token_life_cycle(void)
{
	struct fx f;
	struct engine_report er;
	char token[ENGINE_TOKEN_LEN + 1];
	rb_report *r1 = host_report("r-1", 1, "aa:bb:cc:31:00:01", "10.31.0.1");
	rb_report *r2 = rb_new("r-1", 2), *r3 = rb_new("r-1", 3);
	rb_report *stranger = rb_new("r-2", 1), *r4;

	fx_open(&f);
	/* an unknown agent: the batch binds it */
	CHECK_EQ(answer(&f, r1), REPORT_STATUS_COMMITTED);
	CHECK(!last_bound);
	/* its resend before the token came back: the token again */
	CHECK_EQ(answer(&f, r1), REPORT_STATUS_ALREADY);
	CHECK(!last_bound);
	CHECK(early(&f, r1, false, &er) == 1 && er.token[0] != '\0');
	(void)memcpy(token, er.token, sizeof(token));
	/* a new sequence with the token: the batch's */
	set_token(r2, token);
	CHECK_EQ(answer(&f, r2), REPORT_STATUS_COMMITTED);
	CHECK(last_bound);
	/* resend of 2 with the token: no token in the answer */
	CHECK_EQ(answer(&f, r2), REPORT_STATUS_ALREADY);
	CHECK(last_bound);
	CHECK(early(&f, r2, false, &er) == 1 && er.token[0] == '\0' &&
	    er.token_bound);
	/* resend of 1 without the token, now used: refused by the batch */
	CHECK_EQ(answer(&f, r1), REPORT_STATUS_IDENTITY);
	/* a wrong token on a stored sequence: refused by the batch */
	set_token(r2, "0123456789abcdef0123456789abcdef");
	CHECK_EQ(answer(&f, r2), REPORT_STATUS_IDENTITY);
	/* the next sequence is never answered early */
	set_token(r3, token);
	CHECK_EQ(answer(&f, r3), REPORT_STATUS_COMMITTED);
	CHECK_EQ(answer(&f, r3), REPORT_STATUS_ALREADY);
	/* over UDP nothing is answered early */
	CHECK_EQ(early(&f, r3, true, &er), 0);
	CHECK(!er.token_bound);
	/* another unknown agent: the batch's */
	CHECK_EQ(answer(&f, stranger), REPORT_STATUS_COMMITTED);
	CHECK(!last_bound);
	/* several early answers in one read transaction, then a batch */
	CHECK_EQ(engine_resend_begin(f.e), 0);
	CHECK_EQ(early(&f, r3, false, &er), 1);
	CHECK_EQ(early(&f, stranger, false, &er), 1);
	CHECK_EQ(early(&f, r2, false, &er), 0);
	engine_resend_end(f.e);
	engine_resend_end(f.e);		/* without one: nothing */
	CHECK_EQ(answer(&f, r3), REPORT_STATUS_ALREADY);
	r4 = rb_new("r-1", 4);
	set_token(r4, token);
	CHECK_EQ(answer(&f, r4), REPORT_STATUS_COMMITTED);
	CHECK(last_bound);
	/* its token unbound by an administrator: the same answer, unbound */
	CHECK_EQ(engine_agent_reset(f.e, "r-1"), 0);
	CHECK_EQ(answer(&f, r4), REPORT_STATUS_ALREADY);
	CHECK(!last_bound);
	CHECK(early(&f, r4, false, &er) == 1 && !er.token_bound);
	rb_free(r1);
	rb_free(r2);
	rb_free(r3);
	rb_free(stranger);
	rb_free(r4);
	fx_close(&f);
}

int
main(void)
{
	RUN(test_token_life_cycle);
	return 0;
}
