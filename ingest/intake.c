/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the one intake of agent reports (intake.h): the
 * pre-scan that bounds what decoding will cost, and the hand-over of the
 * bytes to the single writer, which decodes, validates and applies them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "epp_agent.pb-c.h"
#include "intake.h"
#include "prescan.h"

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

void
intake_job_fini(struct writer_job *job)
{
	kics__epp__v1__agent_report__free_unpacked(job->report, NULL);
	job->report = NULL;
	free(job->body);
	job->body = NULL;
}
