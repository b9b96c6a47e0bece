/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of agent identity (issue 11) on a real SQLite file: the token bound
 * by the first report and returned until used, forged reports that change
 * nothing, reset and removal of agents, silent agents and max_agents, the
 * rate of new agents per address, and the sequence that cannot poison.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "testutil.h"

#define T0	1700000000000LL		/* a fixed now, in ms */
#define DAY_MS	(86400LL * 1000)

/* Applies r alone from source at now_ms; the outcome goes to *ret. */
static void
apply(struct fx *f, rb_report *r, const char *source, long long now_ms,
    struct engine_report *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->report = r;
	(void)snprintf(ret->source, sizeof(ret->source), "%s", source);
	CHECK_EQ(engine_apply_batch(f->e, ret, 1, now_ms), 0);
}

/* Sets the token r carries (NULL: none). */
static void
set_token(rb_report *r, const char *token)
{
	if (r->agent_token != protobuf_c_empty_string)
		free(r->agent_token);
	r->agent_token = token != NULL ? strdup(token) :
	    (char *)protobuf_c_empty_string;
	CHECK(r->agent_token != NULL);
}

static bool
is_token(const char *t)
{
	if (strlen(t) != ENGINE_TOKEN_LEN)
		return false;
	return strspn(t, "0123456789abcdef") == ENGINE_TOKEN_LEN;
}

/* Registers agent with a host on mac and uses its token; returns it. */
static void
bind_agent(struct fx *f, const char *agent, const char *mac,
    char token[ENGINE_TOKEN_LEN + 1])
{
	struct engine_report er;
	rb_report *r = host_report(agent, 1, mac, "10.0.0.1");

	apply(f, r, "", T0, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK(is_token(er.token));
	(void)memcpy(token, er.token, ENGINE_TOKEN_LEN + 1);
	rb_free(r);
	r = rb_new(agent, 2);
	set_token(r, token);
	apply(f, r, "", T0 + 1000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(er.token[0], '\0');
	rb_free(r);
}

static void
test_token_bound_and_returned_until_used(void)
{
	struct fx f;
	struct engine_report er;
	char token[ENGINE_TOKEN_LEN + 1], *stored;
	rb_report *r;

	fx_open(&f);
	r = host_report("a-1", 1, "aa:bb:cc:00:01:01", "10.0.0.1");
	apply(&f, r, "", T0, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK(is_token(er.token));
	(void)memcpy(token, er.token, sizeof(token));
	stored = q_text(&f, "SELECT token FROM agents WHERE agent_id = 'a-1'");
	CHECK(stored != NULL && strcmp(stored, token) == 0);
	free(stored);
	CHECK_EQ(q_int(&f, "SELECT token_used FROM agents"), 0);
	/* a resend gets the token too: its first ack may have been lost */
	apply(&f, r, "", T0 + 10, &er);
	CHECK_EQ(er.status, REPORT_STATUS_ALREADY);
	CHECK_EQ(strcmp(er.token, token), 0);
	rb_free(r);
	/* a next report without it: still issued, still returned */
	r = rb_new("a-1", 2);
	apply(&f, r, "", T0 + 1000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(strcmp(er.token, token), 0);
	rb_free(r);
	/* sent back once: used, never sent again */
	r = rb_new("a-1", 3);
	set_token(r, token);
	apply(&f, r, "", T0 + 2000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(er.token[0], '\0');
	CHECK_EQ(q_int(&f, "SELECT token_used FROM agents"), 1);
	apply(&f, r, "", T0 + 2500, &er);
	CHECK_EQ(er.status, REPORT_STATUS_ALREADY);
	CHECK_EQ(er.token[0], '\0');
	rb_free(r);
	r = rb_new("a-1", 4);
	set_token(r, token);
	apply(&f, r, "", T0 + 3000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(er.token[0], '\0');
	CHECK_EQ(q_int(&f, "SELECT sequence FROM agents"), 4);
	rb_free(r);
	/* two agents never share a token */
	r = rb_new("a-2", 1);
	apply(&f, r, "", T0 + 4000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK(is_token(er.token) && strcmp(er.token, token) != 0);
	rb_free(r);
	fx_close(&f);
}

static void
test_forged_reports_change_nothing(void)
{
	struct fx f;
	struct engine_report er;
	char token[ENGINE_TOKEN_LEN + 1], wrong[ENGINE_TOKEN_LEN + 1];
	long long rows, device;
	rb_report *r;

	fx_open(&f);
	bind_agent(&f, "b-1", "aa:bb:cc:00:02:01", token);
	rows = all_rows(&f);
	device = q_int(&f, "SELECT device_id FROM agents");
	/* the attack of issue 11, with another host and an event */
	r = host_report("b-1", (uint64_t)INT64_MAX, "aa:bb:cc:00:02:99",
	    "10.9.9.9");
	(void)rb_event(r, "forged-1", "threat_detected", "forged");
	apply(&f, r, "", T0 + 5000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_IDENTITY);
	CHECK(strstr(er.reason, "agent_token missing") != NULL);
	CHECK_EQ(er.token[0], '\0');
	(void)memcpy(wrong, token, sizeof(wrong));
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	set_token(r, wrong);
	apply(&f, r, "", T0 + 6000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_IDENTITY);
	CHECK(strstr(er.reason, "agent_token does not match") != NULL);
	CHECK(strstr(er.reason, token) == NULL);
	set_token(r, "short");
	apply(&f, r, "", T0 + 6500, &er);
	CHECK_EQ(er.status, REPORT_STATUS_IDENTITY);
	rb_free(r);
	/* a forged resend learns nothing either */
	r = rb_new("b-1", 1);
	apply(&f, r, "", T0 + 7000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_IDENTITY);
	CHECK_EQ(er.token[0], '\0');
	rb_free(r);
	CHECK_EQ(all_rows(&f), rows);
	CHECK_EQ(q_int(&f, "SELECT sequence FROM agents"), 2);
	CHECK_EQ(q_int(&f, "SELECT device_id FROM agents"), device);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM addresses "
	    "WHERE value = '10.9.9.9'"), 0);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events "
	    "WHERE event_id = 'forged-1'"), 0);
	/* the real agent goes on as before */
	r = rb_new("b-1", 3);
	set_token(r, token);
	apply(&f, r, "", T0 + 8000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT sequence FROM agents"), 3);
	rb_free(r);
	fx_close(&f);
}

static void
test_wrong_token_refused_while_issued(void)
{
	struct fx f;
	struct engine_report er;
	rb_report *r = rb_new("c-1", 1);

	fx_open(&f);
	apply(&f, r, "", T0, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	rb_free(r);
	r = rb_new("c-1", 2);
	set_token(r, "0123456789abcdef0123456789abcdef");
	apply(&f, r, "", T0 + 1000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_IDENTITY);
	CHECK_EQ(q_int(&f, "SELECT sequence FROM agents"), 1);
	rb_free(r);
	fx_close(&f);
}

static void
test_reset_allows_new_binding(void)
{
	struct fx f;
	struct engine_report er;
	char token[ENGINE_TOKEN_LEN + 1], fresh[ENGINE_TOKEN_LEN + 1];
	rb_report *r;

	fx_open(&f);
	bind_agent(&f, "d-1", "aa:bb:cc:00:04:01", token);
	CHECK_EQ(engine_agent_reset(f.e, "d-2"), -ENOENT);
	CHECK_EQ(engine_agent_reset(f.e, "d-1"), 0);
	CHECK_EQ(q_int(&f, "SELECT token IS NULL AND token_used = 0 "
	    "FROM agents"), 1);
	/* the reinstalled agent has no token and a new sequence */
	r = host_report("d-1", 3, "aa:bb:cc:00:04:01", "10.0.0.1");
	apply(&f, r, "", T0 + 5000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK(is_token(er.token) && strcmp(er.token, token) != 0);
	(void)memcpy(fresh, er.token, sizeof(fresh));
	rb_free(r);
	/* the old token is worth nothing now */
	r = rb_new("d-1", 4);
	set_token(r, token);
	apply(&f, r, "", T0 + 6000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_IDENTITY);
	set_token(r, fresh);
	apply(&f, r, "", T0 + 7000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT token_used FROM agents"), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM agents"), 1);
	rb_free(r);
	fx_close(&f);
}

static void
test_remove_frees_a_place(void)
{
	struct fx f;
	struct engine_config cfg;
	struct engine_report er;
	rb_report *a = host_report("e-1", 1, "aa:bb:cc:00:05:01", "10.0.0.1");
	rb_report *b = host_report("e-2", 1, "aa:bb:cc:00:05:02", "10.0.0.2");

	engine_config_init(&cfg);
	cfg.max_agents = 1;
	fx_open_cfg(&f, &cfg);
	apply(&f, a, "", T0, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	apply(&f, b, "", T0 + 1000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_AGENT_LIMIT);
	CHECK_EQ(engine_agent_remove(f.e, "e-9"), -ENOENT);
	CHECK_EQ(engine_agent_remove(f.e, "e-1"), 0);
	CHECK_EQ(engine_agent_remove(f.e, "e-1"), -ENOENT);
	/* its device stays, without an owner */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM devices WHERE owner_agent "
	    "IS NULL AND id = (SELECT device_id FROM addresses WHERE "
	    "value = 'aa:bb:cc:00:05:01')"), 1);
	apply(&f, b, "", T0 + 2000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	/* the removed agent is a new one now, and the place is taken */
	a->sequence = 2;
	apply(&f, a, "", T0 + 3000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_AGENT_LIMIT);
	rb_free(a);
	rb_free(b);
	fx_close(&f);
}

static void
test_silent_agents_do_not_count(void)
{
	struct fx f;
	struct engine_config cfg;
	struct engine_report er;
	rb_report *a = host_report("g-1", 1, "aa:bb:cc:00:06:01", "10.0.0.1");
	rb_report *b = host_report("g-2", 1, "aa:bb:cc:00:06:02", "10.0.0.2");

	engine_config_init(&cfg);
	cfg.max_agents = 1;
	cfg.archive_after_days = 2;
	fx_open_cfg(&f, &cfg);
	apply(&f, a, "", T0, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	apply(&f, b, "", T0 + DAY_MS, &er);
	CHECK_EQ(er.status, REPORT_STATUS_AGENT_LIMIT);
	apply(&f, b, "", T0 + 2 * DAY_MS + 1, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	rb_free(a);
	rb_free(b);
	fx_close(&f);
}

/* Issue 11: sequence 2^64-1 made every later report a silent resend. */
static void
test_sequence_cannot_poison_issue11(void)
{
	struct fx f;
	struct engine_report er;
	char token[ENGINE_TOKEN_LEN + 1];
	long long rows;
	rb_report *r;

	fx_open(&f);
	bind_agent(&f, "h-1", "aa:bb:cc:00:07:01", token);
	rows = all_rows(&f);
	/* even with the right token */
	r = rb_new("h-1", UINT64_MAX);
	set_token(r, token);
	apply(&f, r, "", T0 + 5000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_INVALID);
	CHECK(strstr(er.reason, "sequence") != NULL);
	CHECK_EQ(all_rows(&f), rows);
	CHECK_EQ(q_int(&f, "SELECT sequence FROM agents"), 2);
	r->sequence = 3;
	apply(&f, r, "", T0 + 6000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(q_int(&f, "SELECT sequence FROM agents"), 3);
	rb_free(r);
	fx_close(&f);
}

static void
test_new_agents_per_address(void)
{
	struct fx f;
	struct engine_config cfg;
	struct engine_report er, batch[4];
	rb_report *r[4];
	char id[32];

	engine_config_init(&cfg);
	cfg.max_new_per_address = 3;
	fx_open_cfg(&f, &cfg);
	/* one batch: the count holds within it too */
	memset(batch, 0, sizeof(batch));
	for (int i = 0; i < 4; i++) {
		(void)snprintf(id, sizeof(id), "n-%d", i);
		r[i] = rb_new(id, 1);
		batch[i].report = r[i];
		(void)snprintf(batch[i].source, sizeof(batch[i].source),
		    "192.0.2.1");
	}
	CHECK_EQ(engine_apply_batch(f.e, batch, 4, T0), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(batch[i].status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(batch[3].status, REPORT_STATUS_AGENT_RATE);
	CHECK(strstr(batch[3].reason, "too many new agents from 192.0.2.1: "
	    "3 in the last minute "
	    "(agents.max_new_per_address_per_minute 3)") != NULL);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM agents"), 3);
	/* known agents of that address go on */
	r[0]->sequence = 2;
	apply(&f, r[0], "192.0.2.1", T0 + 1000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	/* another address is counted apart, an unknown one not at all */
	apply(&f, r[3], "192.0.2.2", T0 + 2000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	for (int i = 0; i < 4; i++)
		rb_free(r[i]);
	r[0] = rb_new("n-10", 1);
	apply(&f, r[0], "192.0.2.1", T0 + 59999, &er);
	CHECK_EQ(er.status, REPORT_STATUS_AGENT_RATE);
	apply(&f, r[0], "", T0 + 59999, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	rb_free(r[0]);
	/* a minute later the address may add agents again */
	r[0] = rb_new("n-11", 1);
	apply(&f, r[0], "192.0.2.1", T0 + 60000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	rb_free(r[0]);
	fx_close(&f);
}

/* Applies r as a one-way (UDP) report from source at now_ms. */
static void
apply_udp(struct fx *f, rb_report *r, long long now_ms,
    struct engine_report *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->report = r;
	ret->one_way = true;
	(void)snprintf(ret->source, sizeof(ret->source), "10.9.9.9");
	CHECK_EQ(engine_apply_batch(f->e, ret, 1, now_ms), 0);
}

static long long
lost_events(struct fx *f)
{
	return q_int(f, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4900005565");
}

/*
 * Issue 14: over UDP no token can come back, so a one-way report is not
 * refused for lacking one (the package key vouches for it), and a gap in
 * the sequence registers "EPP data lost over UDP" at most once an hour,
 * naming how many reports went missing meanwhile.
 */
static void
test_udp_reports_and_lost_data_issue14(void)
{
	struct fx f;
	struct engine_report er;
	char token[ENGINE_TOKEN_LEN + 1];
	rb_report *r;

	fx_open(&f);
	bind_agent(&f, "u-1", "aa:bb:cc:00:0e:01", token);
	/* without its token: refused over HTTPS, applied over UDP */
	r = rb_new("u-1", 3);
	apply(&f, r, "", T0 + 2000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_IDENTITY);
	apply_udp(&f, r, T0 + 2000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(lost_events(&f), 0);
	rb_free(r);
	/* 4 and 5 lost: one event naming 2 */
	r = rb_new("u-1", 6);
	apply_udp(&f, r, T0 + 3000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	rb_free(r);
	CHECK_EQ(lost_events(&f), 1);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4900005565 AND description LIKE '%2 report(s) missing%' AND "
	    "agent_id = 'u-1'"), 1);
	/* 7..9 lost within the hour: counted, no second event */
	r = rb_new("u-1", 10);
	apply_udp(&f, r, T0 + 60000, &er);
	rb_free(r);
	CHECK_EQ(lost_events(&f), 1);
	/* a resend changes nothing; 11 lost after the hour: 3 + 1 named */
	r = rb_new("u-1", 10);
	apply_udp(&f, r, T0 + 61000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_ALREADY);
	rb_free(r);
	r = rb_new("u-1", 12);
	apply_udp(&f, r, T0 + 3000 + 3600 * 1000, &er);
	rb_free(r);
	CHECK_EQ(lost_events(&f), 2);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE code = "
	    "4900005565 AND description LIKE '%4 report(s) missing%'"), 1);
	/* gaps over HTTPS are not data lost: the agent resends those */
	r = rb_new("u-1", 20);
	set_token(r, token);
	apply(&f, r, "", T0 + 2 * 3600 * 1000, &er);
	CHECK_EQ(er.status, REPORT_STATUS_COMMITTED);
	rb_free(r);
	CHECK_EQ(lost_events(&f), 2);
	fx_close(&f);
}

int
main(void)
{
	RUN(test_token_bound_and_returned_until_used);
	RUN(test_forged_reports_change_nothing);
	RUN(test_wrong_token_refused_while_issued);
	RUN(test_reset_allows_new_binding);
	RUN(test_remove_frees_a_place);
	RUN(test_silent_agents_do_not_count);
	RUN(test_sequence_cannot_poison_issue11);
	RUN(test_new_agents_per_address);
	RUN(test_udp_reports_and_lost_data_issue14);
	return 0;
}
