/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the handlers of agent reset and agent remove (issue
 * 11): an administrator unbinds an agent's token, for an agent reinstalled
 * with the same id, or forgets the agent so that it no longer counts
 * towards max_agents. The engine does both on the writer thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "intake.h"
#include "kics_limits.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED

/* The state of one agent reset or remove. */
struct agent_change {
	struct admin_task t;
	char		agent_id[LIMIT_AGENT_ID_LEN + 1];
};

/* The same rule as AgentReport.agent_id: printable ASCII, no spaces. */
static int
agent_change_prepare(struct admin_task *t)
{
	struct agent_change *x = (struct agent_change *)t;
	const Kics__Control__V1__AgentArgs *a = t->req->msg->agent;
	size_t len = a != NULL ? strlen(a->agent_id) : 0;

	if (len == 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "an agent id is required");
		return -EINVAL;
	}
	if (len > LIMIT_AGENT_ID_LEN) {
		(void)snprintf(t->message, sizeof(t->message),
		    "an agent id has at most %d bytes", LIMIT_AGENT_ID_LEN);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (a->agent_id[i] <= ' ' || a->agent_id[i] > '~') {
			(void)snprintf(t->message, sizeof(t->message),
			    "an agent id is printable ASCII without spaces");
			return -EINVAL;
		}
	}
	(void)memcpy(x->agent_id, a->agent_id, len + 1);
	return 0;
}

static int
agent_reset_run(struct admin_task *t, struct engine *e)
{
	struct agent_change *x = (struct agent_change *)t;
	int r;

	if ((r = engine_agent_reset(e, x->agent_id)) == -EIO)
		(void)snprintf(t->message, sizeof(t->message), "%s",
		    engine_errmsg(e));
	return r;
}

static int
agent_remove_run(struct admin_task *t, struct engine *e)
{
	struct agent_change *x = (struct agent_change *)t;
	int r;

	if ((r = engine_agent_remove(e, x->agent_id)) == -EIO)
		(void)snprintf(t->message, sizeof(t->message), "%s",
		    engine_errmsg(e));
	return r;
}

static void
agent_change_done(struct admin_task *t)
{
	struct agent_change *x = (struct agent_change *)t;
	bool reset = t->h == &admin_agent_reset;

	/* copies of its reports go to the writer again, which knows */
	intake_forget(control_params(t->req->ctl)->writer, x->agent_id);
	if (t->r == -ENOENT)
		control_finish(t->req, ST_FAILED, "no agent '%s'",
		    x->agent_id);
	else if (t->r < 0)
		control_finish(t->req, ST_FAILED, "%s%s%s", strerror(-t->r),
		    t->message[0] != '\0' ? ": " : "", t->message);
	else if (reset)
		control_finish(t->req, ST_OK, "agent '%s' reset: its next "
		    "report binds a new token", x->agent_id);
	else
		control_finish(t->req, ST_OK, "agent '%s' removed; its device "
		    "stays", x->agent_id);
}

const struct admin_handler admin_agent_reset = {
	.size = sizeof(struct agent_change),
	.prepare = agent_change_prepare,
	.run = agent_reset_run,
	.done = agent_change_done,
	.fini = NULL,
};

const struct admin_handler admin_agent_remove = {
	.size = sizeof(struct agent_change),
	.prepare = agent_change_prepare,
	.run = agent_remove_run,
	.done = agent_change_done,
	.fini = NULL,
};
