/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one intake of reports (issue 14): every transport (HTTPS, the UDP
 * receiver, later traffic capture) hands a report's wire bytes here, and
 * gets back what became of it as a report_status, never an HTTP code.
 *
 * THREAD SAFETY NOTES: loop thread only, like writer_submit().
 */
#ifndef KICS_INTAKE_H
#define KICS_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"

/*
 * Pre-scans the serialized AgentReport data (len bytes, borrowed) and,
 * when the scan passes, queues a copy of it on w in job for the writer to
 * decode, validate and apply. The caller embeds job in its own state and
 * has set job->server_id, job->source, job->one_way and job->done; this
 * sets job->body and job->bytes.
 *
 * Returns 0 when queued: job->done(job) is then called exactly once on the
 * loop with job->status (and job->acked_sequence, token or reason) and
 * job->agent_id set; the writer has freed the bytes and what it decoded
 * of them by then, and done() calls intake_job_fini() for the rest.
 * Otherwise nothing is queued and the job stays the caller's, with
 * job->body NULL:
 *   -EBADMSG   the pre-scan refused the bytes; why is in reason (len
 *              bytes, always NUL-terminated); the caller answers as for
 *              REPORT_STATUS_INVALID
 *   -EAGAIN    the writer's queue is full (back-pressure)
 *   -ESHUTDOWN the writer is stopping
 */
int intake_submit(struct writer *w, struct writer_job *job,
    const uint8_t *data, size_t len, char *reason, size_t reason_len);

/*
 * Queues the pre-scanned report bytes body (len of them, from malloc) on
 * w in job, as intake_submit() does with a copy: returns 0 and job owns
 * body from then on, or -EAGAIN or -ESHUTDOWN and body stays the
 * caller's. For a transport that already holds the bytes in memory of
 * its own (the HTTPS requests), so that they are not copied again.
 */
int intake_submit_body(struct writer *w, struct writer_job *job,
    uint8_t *body, size_t len);

/*
 * Answers the pre-scanned report data (len bytes, borrowed) on the loop,
 * without the writer, when it is a copy of a sequence already acked on
 * disk to its agent and bears the token that answer carried
 * (resend_cache.h). Returns true with job->status REPORT_STATUS_ALREADY,
 * job->acked_sequence, job->agent_id and an empty job->token set:
 * nothing is queued and the caller answers as done() would. Returns
 * false when the writer must answer it (intake_submit_body()): job then
 * notes what the cache learns from that answer. Never for one_way jobs.
 */
bool intake_resend(struct writer *w, struct writer_job *job,
    const uint8_t *data, size_t len);

/*
 * Forgets what the loop knows of agent_id's resends, for an agent whose
 * token an administrator unbound or that was removed (loop thread).
 */
void intake_forget(struct writer *w, const char *agent_id);

/*
 * Frees what may be left in a finished job (bytes or a decoded report
 * the writer did not free), for done() callbacks. Not the job itself.
 */
void intake_job_fini(struct writer_job *job);

#endif
