/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the writer's preparation of a report: decoding into
 * an arena of its own and validation, once, before the report's batch
 * (writer-private.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "decode_arena.h"
#include "validate.h"
#include "writer-private.h"

/*
 * Decodes job's bytes into an arena of its own (decode_arena.h): a few
 * mallocs for the whole report instead of one per string, array and
 * submessage, and one free per block when it is handed back. A report
 * that does not decode (or an arena that cannot be had) leaves
 * job->report NULL and no arena.
 */
static void
writer_decode(struct writer_job *job)
{
	if ((job->arena = decode_arena_new(job->bytes)) != NULL)
		job->report = kics__epp__v1__agent_report__unpack(
		    decode_arena_allocator(job->arena), job->bytes,
		    job->body);
	if (job->report == NULL) {
		decode_arena_free(job->arena);
		job->arena = NULL;
	}
	free(job->body);
	job->body = NULL;
}

/*
 * Decodes and validates job, once, outside any transaction. protobuf-c's
 * cost is bounded by the pre-scan the submitter ran. Returns true when
 * the report may go to the engine; otherwise job is answered as invalid.
 */
bool
writer_prepare(struct writer_job *job)
{
	job->status = REPORT_STATUS_INVALID;
	job->acked_sequence = 0;
	job->token[0] = '\0';
	job->reason[0] = '\0';
	if (job->report == NULL && job->body != NULL)
		writer_decode(job);
	if (job->report == NULL) {
		(void)snprintf(job->reason, sizeof(job->reason),
		    "not an AgentReport");
		return false;
	}
	return report_validate(job->report, job->reason,
	    sizeof(job->reason)) == 0;
}
