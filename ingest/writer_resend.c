/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the writer's early answer to resends. A report whose
 * sequence the database already holds changes nothing (its ack is the
 * same as the first time): its head (agent_id, sequence, agent_token,
 * report_head.h) and one read tell it (engine_answer_resend()), so it is
 * handed back to the loop at once, neither decoded nor held for a batch
 * to be gathered and committed. The loop answers it while the writer goes
 * on with the next reports (issue 17: on few connections, the loop and
 * the writer took turns, each idle while the other worked). The copies
 * the loop already knows on disk never come here (resend_cache.h); its
 * cache hangs off the writer, which teaches it as it hands answers back.
 *
 * THREAD SAFETY NOTES: writer thread (the engine is the writer's), but
 * writer_resends(), which is the loop's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report_head.h"
#include "resend_cache.h"
#include "writer-private.h"

void
writer_engine_report(const struct writer_job *job, struct engine_report *er)
{
	memset(er, 0, sizeof(*er));
	er->report = job->report;
	er->validated = job->valid;
	er->server_id = job->server_id;
	er->one_way = job->one_way;
	(void)memcpy(er->source, job->source, sizeof(er->source));
}

void
writer_seq_stored(struct writer *w, const char *agent_id, uint64_t sequence)
{
	uint64_t key = ingest_agent_key(agent_id);
	struct writer_seq_hint *x = &w->hints[key % WRITER_SEQ_HINTS];

	if (x->key != key)
		*x = (struct writer_seq_hint){ key, sequence };
	else if (sequence > x->sequence)
		x->sequence = sequence;
}

/* Whether h is certainly above what is stored: no look-up needed. */
static bool
writer_seq_new(const struct writer *w, const struct report_head *h)
{
	uint64_t key = ingest_agent_key(h->agent_id);
	const struct writer_seq_hint *x = &w->hints[key % WRITER_SEQ_HINTS];

	return x->key == key && h->sequence > x->sequence;
}

/* Whether job may be a resend, and its head then in *h. */
static bool
writer_resend_head(const struct writer *w, const struct writer_job *job,
    struct report_head *h)
{
	return job->report == NULL && job->body != NULL && !job->one_way &&
	    report_head_read(job->body, job->bytes, h) == 0 &&
	    !writer_seq_new(w, h);
}

bool
writer_maybe_resend(const struct writer *w, const struct writer_job *job)
{
	struct report_head h;

	return writer_resend_head(w, job, &h);
}

bool
writer_answer_resend(struct writer *w, struct writer_job *job, bool *reading)
{
	struct engine_report er;
	struct report_head h;
	int r;

	if (!writer_resend_head(w, job, &h))
		return false;
	/* without it, each look-up takes the read lock on its own */
	if (!*reading && engine_resend_begin(w->engine) == 0)
		*reading = true;
	writer_engine_report(job, &er);
	if ((r = engine_answer_resend(w->engine, &h, &er)) <= 0) {
		/* the batch gives the answer, an error included */
		if (r < 0)
			log_warnx("writer: cannot look up agent '%s' for a "
			    "resend: %s, left to the batch", h.agent_id,
			    engine_errmsg(w->engine));
		return false;
	}
	writer_outcome(job, &er, 0);
	(void)snprintf(job->agent_id, sizeof(job->agent_id), "%s",
	    h.agent_id);
	free(job->body);
	job->body = NULL;
	job->next = NULL;
	writer_hand_back(w, job, 1);
	return true;
}

struct resend_cache *
writer_resends(struct writer *w)
{
	return w->resends;
}
