/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/writer.c: group commit through a real engine on a real
 * database file, outcomes handed back on the loop, the queue limits,
 * shutdown and event-type reloads.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "engine.h"
#include "event_types.h"
#include "ingest.h"
#include "kics_limits.h"
#include "testutil.h"

#define TEST_JOBS_MAX	8

static size_t done_count;
static struct writer_job *done_jobs[TEST_JOBS_MAX];

static void
test_done(struct writer_job *job)
{
	CHECK(done_count < TEST_JOBS_MAX);
	done_jobs[done_count++] = job;
}

struct fixture {
	char			*dir;
	struct event_base	*base;
	struct writer		*writer;
};

/* Opens the database in f->dir and a writer on it. */
static void
fixture_open(struct fixture *f)
{
	struct engine_config cfg;
	struct event_types *types = NULL;
	struct engine *e = NULL;
	struct diag *diag;
	char path[4096];

	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", f->dir);
	CHECK((diag = diag_new()) != NULL);
	CHECK_EQ(event_types_load_default(diag, &types), 0);
	diag_free(diag);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(path, &cfg, types, &e), 0);
	CHECK((f->base = event_base_new()) != NULL);
	CHECK_EQ(writer_new(f->base, e, types, NULL, &f->writer), 0);
	done_count = 0;
}

static void
fixture_init(struct fixture *f)
{
	f->dir = testutil_mkdtemp();
	fixture_open(f);
}

static void
fixture_fini(struct fixture *f)
{
	writer_free(f->writer);
	event_base_free(f->base);
	testutil_rmtree(f->dir);
	free(f->dir);
}

/* Runs the loop until n jobs came back (or about ten seconds passed). */
static void
wait_done(struct fixture *f, size_t n)
{
	for (int i = 0; i < 10000 && done_count < n; i++) {
		struct timeval tv = { 0, 1000 };

		(void)event_base_loopexit(f->base, &tv);
		(void)event_base_dispatch(f->base);
	}
	CHECK_EQ(done_count, n);
}

static void
job_init(struct writer_job *job, Kics__Epp__V1__AgentReport *r,
    size_t bytes)
{
	memset(job, 0, sizeof(*job));
	job->report = r;
	job->bytes = bytes;
	job->done = test_done;
}

static void
test_commit_resend_invalid(void)
{
	Kics__Epp__V1__AgentReport r1 = KICS__EPP__V1__AGENT_REPORT__INIT;
	Kics__Epp__V1__AgentReport bad = KICS__EPP__V1__AGENT_REPORT__INIT;
	struct writer_job j1, j2, j3;
	struct fixture f;

	fixture_init(&f);
	r1.agent_id = (char *)"writer-a";
	r1.sequence = 7;
	bad.agent_id = (char *)"";	/* required field missing */
	bad.sequence = 1;
	job_init(&j1, &r1, 100);
	job_init(&j2, &r1, 100);
	job_init(&j3, &bad, 10);
	CHECK_EQ(writer_submit(f.writer, &j1), 0);
	wait_done(&f, 1);
	CHECK(done_jobs[0] == &j1);
	CHECK_EQ(j1.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(j1.acked_sequence, 7);

	CHECK_EQ(writer_submit(f.writer, &j2), 0);
	CHECK_EQ(writer_submit(f.writer, &j3), 0);
	wait_done(&f, 3);
	CHECK_EQ(j2.status, REPORT_STATUS_ALREADY);
	CHECK_EQ(j2.acked_sequence, 7);
	CHECK_EQ(j3.status, REPORT_STATUS_INVALID);
	CHECK(j3.reason[0] != '\0');
	CHECK(writer_idle(f.writer));
	fixture_fini(&f);
}

static void
test_queue_bytes_limit(void)
{
	Kics__Epp__V1__AgentReport r = KICS__EPP__V1__AGENT_REPORT__INIT;
	struct writer_job big1, big2, small;
	struct fixture f;
	size_t half = LIMIT_INGEST_QUEUE_BYTES / 2;

	fixture_init(&f);
	r.agent_id = (char *)"writer-b";
	r.sequence = 1;
	/* One job alone is accepted whatever its size. */
	job_init(&big1, &r, LIMIT_INGEST_QUEUE_BYTES + 1);
	CHECK_EQ(writer_submit(f.writer, &big1), 0);
	wait_done(&f, 1);
	CHECK_EQ(big1.status, REPORT_STATUS_COMMITTED);

	/*
	 * Jobs count until handed back; the loop is not run in between, so
	 * the first two are still counted when the third comes.
	 */
	job_init(&big1, &r, half);
	job_init(&big2, &r, half);
	job_init(&small, &r, 1);
	CHECK_EQ(writer_submit(f.writer, &big1), 0);
	CHECK_EQ(writer_submit(f.writer, &big2), 0);
	CHECK_EQ(writer_submit(f.writer, &small), -EAGAIN);
	CHECK(!writer_idle(f.writer));
	wait_done(&f, 3);
	CHECK_EQ(big1.status, REPORT_STATUS_ALREADY);
	CHECK(writer_idle(f.writer));
	CHECK_EQ(writer_submit(f.writer, &small), 0);
	wait_done(&f, 4);
	fixture_fini(&f);
}

static void
test_stop_drains(void)
{
	Kics__Epp__V1__AgentReport r = KICS__EPP__V1__AGENT_REPORT__INIT;
	struct writer_job j1, j2;
	struct event_types *types = NULL;
	struct diag *diag;
	struct fixture f;

	fixture_init(&f);
	/* A reload hands ownership over; the writer frees the old types. */
	CHECK((diag = diag_new()) != NULL);
	CHECK_EQ(event_types_load_default(diag, &types), 0);
	diag_free(diag);
	writer_set_event_types(f.writer, types);

	r.agent_id = (char *)"writer-c";
	r.sequence = 3;
	job_init(&j1, &r, 10);
	job_init(&j2, &r, 10);
	CHECK_EQ(writer_submit(f.writer, &j1), 0);
	writer_stop(f.writer);
	CHECK_EQ(writer_submit(f.writer, &j2), -ESHUTDOWN);
	wait_done(&f, 1);
	CHECK_EQ(j1.status, REPORT_STATUS_COMMITTED);
	CHECK(writer_idle(f.writer));
	fixture_fini(&f);
}

/*
 * Wire bytes are decoded on the writer, and what it decoded is freed there
 * before done(): the loop gets the outcome and the agent's name only
 * (issue 17).
 */
static void
test_bytes_decoded_and_freed(void)
{
	Kics__Epp__V1__AgentReport r = KICS__EPP__V1__AGENT_REPORT__INIT;
	struct writer_job j1, j2;
	struct fixture f;
	size_t len;

	fixture_init(&f);
	r.agent_id = (char *)"writer-d";
	r.sequence = 5;
	len = kics__epp__v1__agent_report__get_packed_size(&r);
	job_init(&j1, NULL, len);
	CHECK((j1.body = malloc(len)) != NULL);
	(void)kics__epp__v1__agent_report__pack(&r, j1.body);
	job_init(&j2, NULL, 3);
	CHECK((j2.body = malloc(3)) != NULL);
	(void)memcpy(j2.body, "\x0a\x09x", 3);	/* a truncated string */
	CHECK_EQ(writer_submit(f.writer, &j1), 0);
	CHECK_EQ(writer_submit(f.writer, &j2), 0);
	wait_done(&f, 2);
	CHECK_EQ(j1.status, REPORT_STATUS_COMMITTED);
	CHECK_EQ(j1.acked_sequence, 5);
	CHECK(strcmp(j1.agent_id, "writer-d") == 0);
	CHECK(j1.report == NULL && j1.body == NULL && j1.arena == NULL);
	CHECK_EQ(j2.status, REPORT_STATUS_INVALID);
	/* answered as before the decode arena (issue 17) */
	CHECK(strcmp(j2.reason, "not an AgentReport") == 0);
	CHECK(strcmp(j2.agent_id, "") == 0);
	CHECK(j2.report == NULL && j2.body == NULL && j2.arena == NULL);
	/* a report the submitter decoded stays the submitter's */
	job_init(&j1, &r, 10);
	CHECK_EQ(writer_submit(f.writer, &j1), 0);
	wait_done(&f, 3);
	CHECK_EQ(j1.status, REPORT_STATUS_ALREADY);
	CHECK(j1.report == &r);
	CHECK(strcmp(j1.agent_id, "writer-d") == 0);
	fixture_fini(&f);
}

/* Submits agent's report seq as wire bytes and waits for its answer. */
static enum report_status
submit_bytes(struct fixture *f, struct writer_job *job, const char *agent,
    uint64_t seq)
{
	Kics__Epp__V1__AgentReport r = KICS__EPP__V1__AGENT_REPORT__INIT;
	size_t len;

	r.agent_id = (char *)agent;
	r.sequence = seq;
	len = kics__epp__v1__agent_report__get_packed_size(&r);
	job_init(job, NULL, len);
	CHECK((job->body = malloc(len)) != NULL);
	(void)kics__epp__v1__agent_report__pack(&r, job->body);
	CHECK_EQ(writer_submit(f->writer, job), 0);
	wait_done(f, done_count + 1);
	CHECK(job->body == NULL && job->report == NULL);
	CHECK(strcmp(job->agent_id, agent) == 0);
	return job->status;
}

static uint64_t
resends_early(struct fixture *f)
{
	struct writer_stats st;

	writer_stats(f->writer, &st);
	return st.resends_early;
}

/*
 * Resends are answered from their head outside a batch: after the batch
 * stored a sequence, from the writer's hint of it; after a restart, from
 * the database alone. A new sequence still goes to the batch.
 */
static void
test_resends_answered_early(void)
{
	struct writer_job j[6];
	struct fixture f;

	fixture_init(&f);
	CHECK_EQ(submit_bytes(&f, &j[0], "writer-h", 5),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(resends_early(&f), 0);
	CHECK_EQ(submit_bytes(&f, &j[1], "writer-h", 5),
	    REPORT_STATUS_ALREADY);
	CHECK_EQ(j[1].acked_sequence, 5);
	CHECK_EQ(resends_early(&f), 1);
	CHECK_EQ(submit_bytes(&f, &j[2], "writer-h", 3),
	    REPORT_STATUS_ALREADY);
	CHECK_EQ(j[2].acked_sequence, 3);
	CHECK_EQ(resends_early(&f), 2);
	CHECK_EQ(submit_bytes(&f, &j[3], "writer-h", 6),
	    REPORT_STATUS_COMMITTED);
	CHECK_EQ(resends_early(&f), 2);
	CHECK_EQ(submit_bytes(&f, &j[4], "writer-h", 6),
	    REPORT_STATUS_ALREADY);
	CHECK_EQ(resends_early(&f), 3);
	/* a new writer has no hints: the database answers */
	writer_free(f.writer);
	event_base_free(f.base);
	fixture_open(&f);
	CHECK_EQ(submit_bytes(&f, &j[5], "writer-h", 6),
	    REPORT_STATUS_ALREADY);
	CHECK_EQ(resends_early(&f), 1);
	fixture_fini(&f);
}

#define TEST_MANY	300	/* reports of test_wakeups_many_reports() */

static size_t many_done;

static void
many_done_cb(struct writer_job *job)
{
	(void)job;
	many_done++;
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	bool *fired = arg;

	(void)fd;
	(void)what;
	*fired = true;
}

/*
 * Issue 17: the writer wakes the loop through an eventfd of its own.
 * Reports submitted in bursts over many turns of the loop are all
 * answered, and every turn that waits is ended by the writer, never by
 * the guard timer: a lost wakeup would leave the last turn waiting.
 */
static void
test_wakeups_many_reports(void)
{
	static struct writer_job jobs[TEST_MANY];
	Kics__Epp__V1__AgentReport r = KICS__EPP__V1__AGENT_REPORT__INIT;
	struct timeval tv = { 10, 0 };
	struct event *guard;
	struct fixture f;
	bool fired = false;
	size_t sent = 0, i, burst;

	fixture_init(&f);
	r.agent_id = (char *)"writer-e";
	r.sequence = 3;
	many_done = 0;
	CHECK((guard = evtimer_new(f.base, guard_cb, &fired)) != NULL);
	while (many_done < TEST_MANY && !fired) {
		for (burst = 1 + sent % 7, i = 0; i < burst && sent < TEST_MANY;
		    i++, sent++) {
			job_init(&jobs[sent], &r, 10);
			jobs[sent].done = many_done_cb;
			CHECK_EQ(writer_submit(f.writer, &jobs[sent]), 0);
		}
		CHECK_EQ(evtimer_add(guard, &tv), 0);
		(void)event_base_loop(f.base, EVLOOP_ONCE);
	}
	CHECK(!fired);
	CHECK_EQ(many_done, TEST_MANY);
	CHECK_EQ(jobs[0].status, REPORT_STATUS_COMMITTED);
	for (i = 1; i < TEST_MANY; i++) {
		CHECK_EQ(jobs[i].status, REPORT_STATUS_ALREADY);
		CHECK_EQ(jobs[i].acked_sequence, 3);
	}
	CHECK(writer_idle(f.writer));
	event_free(guard);
	fixture_fini(&f);
}

/* The highest event id a reader of the database file sees now. */
static int64_t
events_max(const struct fixture *f)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t id;

	(void)snprintf(path, sizeof(path), "%s/kics-epp.db", f->dir);
	CHECK_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(id), 0) FROM "
	    "events", -1, &st, NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_step(st), SQLITE_ROW);
	id = sqlite3_column_int64(st, 0);
	(void)sqlite3_finalize(st);
	(void)sqlite3_close(db);
	return id;
}

/*
 * A batch whose fsync fails (the WAL's descriptor broken underneath, a
 * disk that lost writes) is answered as not stored, once that fsync
 * returned, and so is every batch after it: no ack goes out for a report
 * that may not be on disk. The events committed in it are never
 * published as on disk, so that the SIEM forwarder does not send them
 * (writer_events_durable()), while those of a batch whose fsync is done
 * are.
 */
static void
test_fsync_fails(void)
{
	Kics__Epp__V1__AgentReport r[3];
	struct writer_job j[3];
	struct fixture f;
	char wal[4200];
	int64_t on_disk;

	fixture_init(&f);
	(void)snprintf(wal, sizeof(wal), "%s/kics-epp.db-wal", f.dir);
	for (int i = 0; i < 3; i++) {
		kics__epp__v1__agent_report__init(&r[i]);
		r[i].agent_id = (char *)"writer-fsync";
		r[i].sequence = (uint64_t)i + 1;
		job_init(&j[i], &r[i], 100);
	}
	/* a new agent: its device's "added" event */
	r[1].agent_id = (char *)"writer-fsync-2";
	CHECK_EQ(writer_submit(f.writer, &j[0]), 0);
	wait_done(&f, 1);
	CHECK_EQ(j[0].status, REPORT_STATUS_COMMITTED);
	on_disk = events_max(&f);
	CHECK(on_disk > 0);
	CHECK_EQ(writer_events_durable(f.writer), on_disk);
	CHECK(testutil_break_fsync(wal) >= 0);
	CHECK_EQ(writer_submit(f.writer, &j[1]), 0);
	wait_done(&f, 2);
	CHECK_EQ(j[1].status, REPORT_STATUS_FAILED);
	CHECK(strstr(j[1].reason, "synced") != NULL);
	/* committed, readable, not on disk: not published */
	CHECK(events_max(&f) > on_disk);
	CHECK_EQ(writer_events_durable(f.writer), on_disk);
	CHECK_EQ(writer_submit(f.writer, &j[2]), 0);
	wait_done(&f, 3);
	CHECK_EQ(j[2].status, REPORT_STATUS_FAILED);
	CHECK(writer_idle(f.writer));
	fixture_fini(&f);
}

#define TEST_CAP_JOBS	(2 * LIMIT_WRITER_BATCH_REPORTS + 17)

/*
 * Issue 17: reports submitted in one turn of the loop, more than a batch
 * holds, are committed in batches of at most LIMIT_WRITER_BATCH_REPORTS,
 * oldest first, and every one is answered once, after the fsync of its
 * batch.
 */
static void
test_batch_cap(void)
{
	static struct writer_job jobs[TEST_CAP_JOBS];
	static Kics__Epp__V1__AgentReport r[TEST_CAP_JOBS];
	static char names[TEST_CAP_JOBS][16];
	struct writer_stats st;
	struct fixture f;
	size_t i;

	fixture_init(&f);
	many_done = 0;
	for (i = 0; i < TEST_CAP_JOBS; i++) {
		kics__epp__v1__agent_report__init(&r[i]);
		(void)snprintf(names[i], sizeof(names[i]), "cap-%zu", i);
		r[i].agent_id = names[i];
		r[i].sequence = 1;
		job_init(&jobs[i], &r[i], 10);
		jobs[i].done = many_done_cb;
		CHECK_EQ(writer_submit(f.writer, &jobs[i]), 0);
	}
	for (i = 0; i < 10000 && many_done < TEST_CAP_JOBS; i++) {
		struct timeval tv = { 0, 1000 };

		(void)event_base_loopexit(f.base, &tv);
		(void)event_base_dispatch(f.base);
	}
	CHECK_EQ(many_done, TEST_CAP_JOBS);
	for (i = 0; i < TEST_CAP_JOBS; i++) {
		CHECK_EQ(jobs[i].status, REPORT_STATUS_COMMITTED);
		CHECK_EQ(jobs[i].acked_sequence, 1);
	}
	writer_stats(f.writer, &st);
	CHECK_EQ(st.reports, TEST_CAP_JOBS);
	CHECK(st.batch_max <= LIMIT_WRITER_BATCH_REPORTS);
	CHECK(st.batches >= 3);
	/* the batches' COMMITs left their fsyncs to the fsync thread and
	   did not wait (writer_durable.c): nothing was prepared while one
	   waited, but the first of a new WAL file, which waits */
	CHECK(st.sync.deferred_commits >= 2);
	CHECK(st.sync.deferred_syncs >= 1);
	CHECK(st.sync.deferred_syncs <= st.sync.deferred_commits);
	CHECK(st.prepared_ahead <= TEST_CAP_JOBS - 1);
	CHECK(writer_idle(f.writer));
	fixture_fini(&f);
}

int
main(void)
{
	CHECK_EQ(evthread_use_pthreads(), 0);
	RUN(test_commit_resend_invalid);
	RUN(test_queue_bytes_limit);
	RUN(test_stop_drains);
	RUN(test_bytes_decoded_and_freed);
	RUN(test_resends_answered_early);
	RUN(test_wakeups_many_reports);
	RUN(test_batch_cap);
	RUN(test_fsync_fails);
	return 0;
}
