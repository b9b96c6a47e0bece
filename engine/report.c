/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the application of one agent report: the agent's
 * token (agent.c), idempotency by sequence, the agent limit, device
 * identity and ownership (reinstalled versus cloned agents), then host,
 * applications, events and connections.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "engine-private.h"
#include "report_head.h"

/* Whether a new agent on device_id (0 = new device) is a new computer. */
static int
report_check_limit(struct report_ctx *c, struct engine_report *er,
    bool *ret_refused)
{
	struct store *s = c->e->store;
	/* agents silent that long no longer hold a place (issue 11) */
	int64_t since = c->now_ms -
	    (int64_t)c->e->cfg.archive_after_days * 86400 * 1000;
	int64_t computers;
	bool has = false;
	int r;

	if (c->device_id != 0 &&
	    (r = store_device_has_agent(s, c->device_id, &has)) < 0)
		return r;
	if (has) {
		/* a reinstalled agent: same computer, not a new one */
		*ret_refused = false;
		return 0;
	}
	if ((r = store_agent_computers(s, since, &computers)) < 0)
		return r;
	if (computers < (int64_t)c->e->cfg.max_agents) {
		*ret_refused = false;
		return 0;
	}
	(void)snprintf(er->reason, sizeof(er->reason), "agent limit reached: "
	    "%lld computers already send EPP data (max_agents %u)",
	    (long long)computers, c->e->cfg.max_agents);
	*ret_refused = true;
	return 0;
}

/*
 * Decides whether this agent's host information may change the device:
 * yes when the device has no owner, is owned by this agent, or its owner
 * has been silent past the timeout (a reinstall). When another agent is
 * active on the device (a cloned machine), a "duplicate agent identity"
 * event is registered at most once an hour instead.
 */
static int
report_take_ownership(struct report_ctx *c, const struct store_agent *agent)
{
	struct store *s = c->e->store;
	int64_t other, since = c->now_ms - c->e->cfg.agent_timeout_ms;
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int r;

	if (c->device.owner_agent == c->agent_ref) {
		c->owner = true;
		return 0;
	}
	r = store_agent_active_other(s, c->device_id, c->agent_ref, since,
	    &other);
	if (r == -ENOENT) {
		c->owner = true;
		return store_device_set_owner(s, c->device_id, c->agent_ref);
	}
	if (r < 0)
		return r;
	c->owner = false;
	if (agent != NULL && agent->duplicate_event_ms != 0 &&
	    c->now_ms - agent->duplicate_event_ms < ENGINE_NOTICE_MS)
		return 0;
	(void)snprintf(text, sizeof(text), "agent '%s' reports for the same "
	    "device as another active agent: its host information is not "
	    "applied (cloned machine?)", c->r->agent_id);
	if ((r = event_system(c->e, EVENT_DUPLICATE_AGENT, c->device_id,
	    c->agent_ref, c->device.attr[STORE_ATTR_HOSTNAME], text,
	    c->now_ms)) < 0)
		return r;
	return store_agent_set_duplicate(s, c->agent_ref, c->now_ms);
}

/* Creates or updates the agent row's connection state. */
static int
report_agent(struct report_ctx *c, const struct store_agent *agent)
{
	struct store *s = c->e->store;
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int r;

	if (agent == NULL) {
		if ((r = agent_token_new(c->token)) < 0 ||
		    (r = store_agent_insert(s, c->r->agent_id, c->device_id,
		    c->server_id, c->r->agent_version, c->token, c->now_ms,
		    &c->agent_ref)) < 0)
			return r;
		(void)snprintf(text, sizeof(text),
		    "agent '%s' connected for the first time",
		    c->r->agent_id);
	} else {
		c->agent_ref = agent->id;
		if (agent->connected)
			return 0;
		(void)snprintf(text, sizeof(text), "agent '%s' reported again "
		    "after %lld s of silence", c->r->agent_id,
		    (long long)((c->now_ms - agent->last_contact_ms) / 1000));
	}
	return event_system(c->e, EVENT_AGENT_CONNECTED, c->device_id,
	    c->agent_ref, NULL, text, c->now_ms);
}

/*
 * Host info and applications, when this agent owns the device and they
 * changed since its last report (digests of the agent's row); their new
 * digests go to *ret_host and *ret_apps (0 when the report has none).
 */
static int
report_host_and_apps(struct report_ctx *c, const struct store_agent *ap,
    int64_t *ret_host, int64_t *ret_apps)
{
	const Kics__Epp__V1__AgentReport *rep = c->r;
	bool same;
	int r = 0;

	if (c->owner && rep->host != NULL) {
		*ret_host = digest_messages(
		    (const ProtobufCMessage *const *)&rep->host, 1);
		same = ap != NULL && ap->device_id == c->device_id &&
		    ap->host_digest == *ret_host;
		/* the same host info within a minute: nothing to refresh,
		   last-seen times keep STORE_TOUCH_MS granularity anyway */
		if (!same || c->now_ms - ap->last_contact_ms >= STORE_TOUCH_MS)
			r = host_apply(c, same);
		if (r < 0)
			return r;
	}
	if (c->owner && rep->n_applications > 0) {
		*ret_apps = digest_messages(
		    (const ProtobufCMessage *const *)rep->applications,
		    rep->n_applications);
		if ((ap == NULL || ap->device_id != c->device_id ||
		    ap->apps_digest != *ret_apps) &&
		    (r = host_apply_applications(c)) < 0)
			return r;
	}
	return 0;
}

#define REPORT_UDP_LOST_EVERY_MS	(3600 * 1000)	/* once an hour */

/*
 * Over UDP a report that was lost cannot be sent again: a gap in the
 * agent's sequence is data lost. It is counted, and "EPP data lost over
 * UDP" names how many reports went missing, at most once an hour per
 * agent (the count carries over to the next event).
 */
static int
report_udp_gap(struct report_ctx *c, const struct store_agent *ap)
{
	const Kics__Epp__V1__AgentReport *rep = c->r;
	char text[ENGINE_SYSTEM_TEXT_LEN];
	uint64_t missing, report = 0;
	int r;

	if (!c->one_way || ap == NULL || rep->sequence <= ap->sequence + 1)
		return 0;
	missing = rep->sequence - ap->sequence - 1;
	if ((r = store_agent_udp_lost(c->e->store, c->agent_ref, missing,
	    c->now_ms, REPORT_UDP_LOST_EVERY_MS, &report)) < 0 ||
	    report == 0)
		return r;
	(void)snprintf(text, sizeof(text), "agent '%s' over UDP: %llu "
	    "report(s) missing (the last gap: sequence %llu to %llu)",
	    rep->agent_id, (unsigned long long)report,
	    (unsigned long long)ap->sequence + 1,
	    (unsigned long long)rep->sequence - 1);
	return event_system(c->e, EVENT_UDP_DATA_LOST, c->device_id,
	    c->agent_ref, c->device.attr[STORE_ATTR_HOSTNAME], text,
	    c->now_ms);
}

/*
 * Widens the device's last_seen_ms (store_device_touch()) unless the row
 * read at the start of this report is recent enough: it only grows, so
 * the UPDATE would change nothing (issue 17: one statement per report).
 */
static int
report_touch(struct report_ctx *c)
{
	if (c->device.last_seen_ms >= c->now_ms - STORE_TOUCH_MS)
		return 0;
	return store_device_touch(c->e->store, c->device_id, c->now_ms);
}

static int
report_run(struct report_ctx *c, struct engine_report *er)
{
	const Kics__Epp__V1__AgentReport *rep = c->r;
	struct store *s = c->e->store;
	struct store_agent agent, *ap = NULL;
	int64_t host_digest = 0, apps_digest = 0;
	char text[ENGINE_SYSTEM_TEXT_LEN];
	bool refused;
	int r;

	r = store_agent_find(s, rep->agent_id, &agent);
	if (r == 0)
		ap = &agent;
	else if (r != -ENOENT)
		return r;
	/* before anything else: a forged report must change nothing */
	if (ap != NULL && !agent_identify(c, ap, er))
		return 0;
	if (ap != NULL && rep->sequence <= ap->sequence) {
		/* a resend: same ack, nothing changes */
		er->status = REPORT_STATUS_ALREADY;
		er->acked_sequence = rep->sequence;
		agent_token_ack(c, ap, er);
		er->token_bound = agent_token_bound(c, ap);
		return 0;
	}
	if (rep->host != NULL) {
		r = host_find_device(s, rep->host, &c->device_id);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if (c->device_id == 0 && ap != NULL)
		c->device_id = ap->device_id;
	if (ap == NULL) {
		if (agent_rate_refused(c->e, er, c->now_ms))
			return 0;
		if ((r = report_check_limit(c, er, &refused)) < 0)
			return r;
		if (refused) {
			er->status = REPORT_STATUS_AGENT_LIMIT;
			return 0;
		}
	}
	if (c->device_id == 0) {
		(void)snprintf(text, sizeof(text), "the host of agent '%s'",
		    rep->agent_id);
		if ((r = event_device_added(c->e, STORE_SOURCE_EPP, text,
		    false, c->now_ms, &c->device_id)) < 0)
			return r;
		c->device_new = true;
	}
	if ((r = store_device_get(s, c->device_id, &c->device)) < 0)
		return r;
	if (c->device.status == STORE_STATUS_ARCHIVED) {
		/* nobody has authorized its return (issue 12) */
		(void)snprintf(text, sizeof(text), "reported as the host of "
		    "agent '%s'", rep->agent_id);
		if ((r = archive_reactivate(c->e, c->device_id,
		    ap != NULL ? ap->id : 0, text, c->now_ms)) < 0)
			return r;
		c->device.status = STORE_STATUS_UNAUTHORIZED;
	}
	if ((r = report_agent(c, ap)) < 0 ||
	    (r = report_take_ownership(c, ap)) < 0)
		return r;
	if ((r = report_host_and_apps(c, ap, &host_digest, &apps_digest)) < 0)
		return r;
	if ((r = event_apply_epp(c)) < 0 ||
	    (r = peer_apply_connections(c)) < 0)
		return r;
	if ((r = store_agent_report(s, c->agent_ref, c->device_id,
	    c->server_id, rep->agent_version, rep->sequence, rep->sent_at_ms,
	    host_digest, apps_digest, c->now_ms)) < 0 ||
	    (r = report_touch(c)) < 0 ||
	    (r = report_udp_gap(c, ap)) < 0 ||
	    (r = agent_token_commit(c, ap, er)) < 0)
		return r;
	if (ap == NULL)
		agent_rate_note(c->e, er, c->now_ms);
	/* a token stored before this report is kept (agent_token_commit()) */
	er->token_bound = ap != NULL && agent_token_bound(c, ap);
	er->status = REPORT_STATUS_COMMITTED;
	er->acked_sequence = rep->sequence;
	return 0;
}

int
engine_resend_begin(struct engine *e)
{
	return store_read_begin(e->store);
}

void
engine_resend_end(struct engine *e)
{
	store_read_end(e->store);
}

int
engine_answer_resend(struct engine *e, const struct report_head *h,
    struct engine_report *er)
{
	Kics__Epp__V1__AgentReport head = KICS__EPP__V1__AGENT_REPORT__INIT;
	struct report_ctx c = { .e = e, .r = &head, .one_way = er->one_way };
	struct store_agent agent;
	int r;

	er->token_bound = false;
	if (er->one_way || store_writing(e->store))
		return 0;
	/* what report_validate() checked of these, report_head_read() did */
	head.agent_id = (char *)h->agent_id;
	head.sequence = h->sequence;
	head.agent_token = (char *)h->agent_token;
	if ((r = store_agent_find(e->store, h->agent_id, &agent)) < 0)
		return r == -ENOENT ? 0 : r;
	/* the same checks, in the same order, as report_run()'s */
	if (!agent_identify(&c, &agent, er) || h->sequence > agent.sequence) {
		er->status = REPORT_STATUS_FAILED;
		er->reason[0] = '\0';
		return 0;
	}
	er->report = NULL;
	er->status = REPORT_STATUS_ALREADY;
	er->acked_sequence = h->sequence;
	er->reason[0] = '\0';
	agent_token_ack(&c, &agent, er);
	er->token_bound = agent_token_bound(&c, &agent);
	return 1;
}

int
report_apply(struct engine *e, struct engine_report *er, int64_t now_ms)
{
	struct report_ctx c = {
		.e = e,
		.r = er->report,
		.now_ms = now_ms,
		.server_id = er->server_id,
		.one_way = er->one_way,
	};
	int r;

	er->token_bound = false;
	r = report_run(&c, er);
	store_device_clear(&c.device);
	return r;
}
