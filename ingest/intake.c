/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the one intake of agent reports (intake.h): the
 * pre-scan that bounds what decoding will cost, the hand-over of the
 * bytes to the single writer, which decodes, validates and applies them,
 * and the copies of reports on disk that the loop answers alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "epp_agent.pb-c.h"
#include "intake.h"
#include "prescan.h"
#include "report_head.h"
#include "resend_cache.h"

int
intake_submit(struct writer *w, struct writer_job *job, const uint8_t *data,
    size_t len, char *reason, size_t reason_len)
{
	uint8_t *body;
	int r;

	job->body = NULL;
	job->bytes = 0;
	/* what decoding would cost is counted before it is spent */
	if (report_prescan(len > 0 ? data : (const uint8_t *)"", len, reason,
	    reason_len) < 0)
		return -EBADMSG;
	body = xmalloc(len);
	if (len > 0)
		(void)memcpy(body, data, len);
	if ((r = intake_submit_body(w, job, body, len)) < 0)
		free(body);
	return r;
}

int
intake_submit_body(struct writer *w, struct writer_job *job, uint8_t *body,
    size_t len)
{
	int r;

	/*
	 * Decoding and validation run on the writer (one decode per
	 * report, and none of it on the loop that serves every agent).
	 */
	job->report = NULL;
	job->body = body;
	job->bytes = len;
	if ((r = writer_submit(w, job)) < 0) {
		job->body = NULL;
		job->bytes = 0;
		return r;
	}
	return 0;
}

bool
intake_resend(struct writer *w, struct writer_job *job, const uint8_t *data,
    size_t len)
{
	struct resend_cache *c = writer_resends(w);
	struct report_head h;

	job->resend_epoch = 0;
	if (job->one_way || data == NULL || len == 0 ||
	    report_head_read(data, len, &h) < 0)
		return false;
	if (!resend_cache_known(c, &h)) {
		resend_cache_note(c, &h, job);
		return false;
	}
	job->status = REPORT_STATUS_ALREADY;
	job->acked_sequence = h.sequence;
	job->token[0] = '\0';
	(void)memcpy(job->agent_id, h.agent_id, sizeof(job->agent_id));
	return true;
}

void
intake_forget(struct writer *w, const char *agent_id)
{
	resend_cache_forget(writer_resends(w), agent_id);
}

void
intake_job_fini(struct writer_job *job)
{
	kics__epp__v1__agent_report__free_unpacked(job->report, NULL);
	job->report = NULL;
	free(job->body);
	job->body = NULL;
}
