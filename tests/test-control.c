/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/control.c: the framing of the control socket, refused
 * and malformed requests, unknown actions, role checks and the audit
 * record, through a real socket, libevent loop, writer and database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin-fx.h"
#include "testutil.h"

/* A framed request of len bytes announcing announced bytes. */
static size_t
frame_with(uint8_t *buf, uint32_t announced, size_t len)
{
	put_be32(buf, announced);
	memset(buf + 4, 0x08, len);
	return len + 4;
}

static void
test_status_ok(void)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__Reply *rep;
	struct fixture f;

	fixture_init(&f, NULL, 0);
	m.action = ACTION(STATUS);
	rep = client_call(&f, 0, &m);
	CHECK_EQ(rep->status, ST(OK));
	CHECK(strstr(rep->json, "\"listeners\":[]") != NULL);
	CHECK(strstr(rep->json, "\"max_agents\":10") != NULL);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	/* an allowed lookup leaves no audit record (issue 12) */
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM audit_log"), 0);
	m.action = ACTION(SERVER_LIST);
	rep = client_call(&f, 0, &m);
	CHECK_EQ(rep->status, ST(OK));
	kics__control__v1__reply__free_unpacked(rep, NULL);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM audit_log"), 0);
	fixture_fini(&f);
}

/* Oversize, empty, truncated and overlong frames: closed, no reply. */
static void
test_framing_refused(void)
{
	uint8_t *buf = calloc(1, LIMIT_CONTROL_REQUEST_BYTES + 16);
	uint8_t *reply = calloc(1, TEST_REPLY_MAX);
	struct fixture f;
	size_t n;

	CHECK(buf != NULL && reply != NULL);
	fixture_init(&f, NULL, 0);
	n = frame_with(buf, LIMIT_CONTROL_REQUEST_BYTES + 1, 8);
	CHECK_EQ(client_raw(&f, 0, buf, n, false, reply), 0);
	n = frame_with(buf, 0, 0);
	CHECK_EQ(client_raw(&f, 0, buf, n, false, reply), 0);
	/* 100 bytes announced, 10 sent, then the client is gone */
	n = frame_with(buf, 100, 10);
	CHECK_EQ(client_raw(&f, 0, buf, n, true, reply), 0);
	/* a valid empty Request followed by a stray byte */
	n = frame_with(buf, 2, 3);
	CHECK_EQ(client_raw(&f, 0, buf, n, false, reply), 0);
	/* none of these got as far as the audit log */
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM audit_log"), 0);
	fixture_fini(&f);
	free(buf);
	free(reply);
}

/* The largest request allowed is read, even when it arrives in parts. */
static void
test_framing_split(void)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	uint8_t frame[64], *reply = calloc(1, TEST_REPLY_MAX);
	Kics__Control__V1__Reply *rep;
	struct fixture f;
	size_t len;
	int fd;

	CHECK(reply != NULL);
	fixture_init(&f, NULL, 0);
	m.action = ACTION(SERVER_LIST);
	len = kics__control__v1__request__get_packed_size(&m);
	put_be32(frame, (uint32_t)len);
	(void)kics__control__v1__request__pack(&m, frame + 4);
	fd = client_connect(&f, 0);
	CHECK_EQ(write(fd, frame, 2), 2);
	for (int i = 0; i < 20; i++)
		(void)event_base_loop(f.base, EVLOOP_NONBLOCK);
	CHECK_EQ(write(fd, frame + 2, len + 2), (ssize_t)len + 2);
	rep = reply_decode(reply, client_drain(&f, fd, reply));
	CHECK_EQ(rep->status, ST(OK));
	CHECK(strcmp(rep->message, "allowed") == 0);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	fixture_fini(&f);
	free(reply);
}

/* Undecodable protobuf: STATUS_INVALID, audited as "unknown". */
static void
test_malformed(void)
{
	/* field 1 announced as a 16-byte string with only 2 bytes */
	static const uint8_t bad[] = { 0, 0, 0, 4, 0x0a, 0x10, 'x', 'y' };
	uint8_t *reply = calloc(1, TEST_REPLY_MAX);
	Kics__Control__V1__Reply *rep;
	struct fixture f;
	char audit[TEST_TEXT_LEN];

	CHECK(reply != NULL);
	fixture_init(&f, NULL, 0);
	rep = reply_decode(reply, client_raw(&f, 0, bad, sizeof(bad), false,
	    reply));
	CHECK_EQ(rep->status, ST(INVALID));
	CHECK(strcmp(rep->message, "undecodable request") == 0);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	db_last_audit(&f, audit, sizeof(audit));
	CHECK(strcmp(audit, "root|administrator|unknown||failed|"
	    "undecodable request") == 0);
	fixture_fini(&f);
	free(reply);
}

/* An action the table does not know: STATUS_INVALID. */
static void
test_unknown_action(void)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__UserArgs ua = KICS__CONTROL__V1__USER_ARGS__INIT;
	Kics__Control__V1__Reply *rep;
	struct fixture f;
	char audit[TEST_TEXT_LEN];

	fixture_init(&f, NULL, 0);
	m.action = (Kics__Control__V1__Action)99;
	rep = client_call(&f, 0, &m);
	CHECK_EQ(rep->status, ST(INVALID));
	CHECK(strcmp(rep->message, "unknown action 99") == 0);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	/* an empty Request would be refused by the framing already */
	m.action = ACTION(UNSPECIFIED);
	m.user = &ua;
	ua.name = (char *)"someone";
	rep = client_call(&f, 0, &m);
	CHECK_EQ(rep->status, ST(INVALID));
	kics__control__v1__reply__free_unpacked(rep, NULL);
	db_last_audit(&f, audit, sizeof(audit));
	CHECK(strcmp(audit, "root|administrator|unknown||failed|"
	    "unknown action 0") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM audit_log"), 2);
	fixture_fini(&f);
}

/*
 * An operator may look but not change: STATUS_FORBIDDEN naming the role
 * wanted and the role held, audited as refused; nothing is changed.
 */
static void
test_roles(void)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__ServerArgs sa = KICS__CONTROL__V1__SERVER_ARGS__INIT;
	struct engine_user op = { (char *)"nobody", (char *)"operator", 0 };
	const struct passwd *pw = getpwnam("nobody");
	Kics__Control__V1__Reply *rep;
	struct fixture f;
	char audit[TEST_TEXT_LEN], sock[TEST_TEXT_LEN];

	if (pw == NULL || geteuid() != 0) {
		(void)fprintf(stderr, "no user nobody or not root: skipped\n");
		return;
	}
	fixture_init(&f, &op, 1);
	/* the client connects as nobody: the path must let it in */
	(void)snprintf(sock, sizeof(sock), "%s/%s", f.dir, CONTROL_SOCKET_NAME);
	CHECK_EQ(chmod(f.dir, 0755), 0);
	CHECK_EQ(chmod(sock, 0666), 0);
	m.action = ACTION(STATUS);
	rep = client_call(&f, pw->pw_uid, &m);
	CHECK_EQ(rep->status, ST(OK));
	kics__control__v1__reply__free_unpacked(rep, NULL);

	m.action = ACTION(SERVER_ADD);
	m.server = &sa;
	sa.address = (char *)"127.0.0.1";
	sa.port = 1;
	rep = client_call(&f, pw->pw_uid, &m);
	CHECK_EQ(rep->status, ST(FORBIDDEN));
	CHECK(strcmp(rep->message, "'server add' needs the administrator "
	    "role; user 'nobody' has operator") == 0);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	db_last_audit(&f, audit, sizeof(audit));
	CHECK(strcmp(audit, "nobody|operator|server add|127.0.0.1 port 1|"
	    "refused|'server add' needs the administrator role; user "
	    "'nobody' has operator") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM integration_servers"), 0);

	/* without the operator role even looking is refused */
	control_user_set(f.ctl, "nobody", ROLE_NONE);
	m.action = ACTION(STATUS);
	m.server = NULL;
	rep = client_call(&f, pw->pw_uid, &m);
	CHECK_EQ(rep->status, ST(FORBIDDEN));
	CHECK(strcmp(rep->message, "'status' needs the operator role; user "
	    "'nobody' has no role") == 0);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	/* a refused lookup is audited (issue 12) */
	db_last_audit(&f, audit, sizeof(audit));
	CHECK(strcmp(audit, "nobody|none|status||refused|'status' needs the "
	    "operator role; user 'nobody' has no role") == 0);
	fixture_fini(&f);
}

/* Arguments refused before any work: STATUS_INVALID, audited. */
static void
test_invalid_arguments(void)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__Reply *rep;
	struct fixture f;
	char audit[TEST_TEXT_LEN];

	fixture_init(&f, NULL, 0);
	m.action = ACTION(SERVER_ADD);
	rep = client_call(&f, 0, &m);
	CHECK_EQ(rep->status, ST(INVALID));
	CHECK(strcmp(rep->message, "no server arguments") == 0);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	m.action = ACTION(DEVICE_SET);
	rep = client_call(&f, 0, &m);
	CHECK_EQ(rep->status, ST(INVALID));
	CHECK(strcmp(rep->message, "the devices to set are missing") == 0);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	db_last_audit(&f, audit, sizeof(audit));
	CHECK(strcmp(audit, "root|administrator|device set||failed|"
	    "the devices to set are missing") == 0);
	/* rules reload reports the reloader's error */
	m.action = ACTION(RULES_RELOAD);
	rep = client_call(&f, 0, &m);
	CHECK_EQ(rep->status, ST(FAILED));
	CHECK(strstr(rep->message, "no rules in this test") != NULL);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	fixture_fini(&f);
}

int
main(void)
{
	log_init("test-control", true, LOG_LEVEL_WARNING);
	CHECK_EQ(evthread_use_pthreads(), 0);
	RUN(test_status_ok);
	RUN(test_framing_refused);
	RUN(test_framing_split);
	RUN(test_malformed);
	RUN(test_unknown_action);
	RUN(test_roles);
	RUN(test_invalid_arguments);
	libevent_global_shutdown();
	return 0;
}
