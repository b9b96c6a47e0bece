/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of ingest/control.c: the framing of the control socket, refused
 * and malformed requests, unknown actions, role checks and the audit
 * record, through a real socket, libevent loop, writer and database.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "event_types.h"
#include "ingest.h"
#include "kics_limits.h"
#include "testutil.h"

#define TEST_REPLY_MAX	(64 * 1024)	/* bytes read from one reply */
#define TEST_TEXT_LEN	1024

#define ST(x)		KICS__CONTROL__V1__STATUS__STATUS_##x
#define ACTION(x)	KICS__CONTROL__V1__ACTION__ACTION_##x

/* A daemon without main(): loop, writer, engine, PKI, control socket. */
struct fixture {
	char		*dir;
	char		db[TEST_TEXT_LEN];
	struct event_base *base;
	struct writer	*writer;
	struct http	*http;
	struct pki	*pki;
	struct conf	conf;
	struct control	*ctl;
};

static int
fixture_reload(void *arg, char *msg, size_t len)
{
	(void)arg;
	(void)snprintf(msg, len, "no rules in this test");
	return -ENOENT;
}

static void
fixture_init(struct fixture *f, const struct engine_user *users,
    size_t n_users)
{
	struct http_config hcfg = { .max_body_bytes = 1 << 20,
	    .max_connections = 16, .idle_timeout_s = 30,
	    .report_interval_s = 60 };
	struct control_params cp = { 0 };
	struct engine_config cfg;
	struct event_types *types = NULL;
	struct engine *e = NULL;
	struct diag *diag;
	char path[TEST_TEXT_LEN];

	memset(f, 0, sizeof(*f));
	f->dir = testutil_mkdtemp();
	(void)snprintf(f->db, sizeof(f->db), "%s/kics-epp.db", f->dir);
	(void)snprintf(path, sizeof(path), "%s/pki", f->dir);
	CHECK(pki_open(path, ingest_now_ms(), &f->pki) >= 0);
	CHECK((diag = diag_new()) != NULL);
	CHECK_EQ(event_types_load_default(diag, &types), 0);
	diag_free(diag);
	engine_config_init(&cfg);
	CHECK_EQ(engine_open(f->db, &cfg, types, &e), 0);
	CHECK((f->base = event_base_new()) != NULL);
	CHECK_EQ(writer_new(f->base, e, types, NULL, &f->writer), 0);
	f->http = http_new(f->base, f->writer, &hcfg);
	f->conf.max_agents = 10;
	cp.base = f->base;
	cp.data_dir = f->dir;
	cp.conf = &f->conf;
	cp.writer = f->writer;
	cp.http = f->http;
	cp.pki = f->pki;
	cp.reload = fixture_reload;
	f->ctl = control_new(&cp, users, n_users);
}

static void
fixture_fini(struct fixture *f)
{
	writer_free(f->writer);
	http_free(f->http);
	control_free(f->ctl);
	event_base_free(f->base);
	pki_free(f->pki);
	testutil_rmtree(f->dir);
	free(f->dir);
}

/* Connects to the control socket as uid (0: as we are). */
static int
client_connect(struct fixture *f, uid_t uid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", f->dir,
	    CONTROL_SOCKET_NAME);
	CHECK((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	/* SO_PEERCRED reports the credentials in effect at connect() */
	if (uid != 0)
		CHECK_EQ(seteuid(uid), 0);
	CHECK_EQ(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (uid != 0)
		CHECK_EQ(seteuid(0), 0);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/*
 * Runs the loop until the daemon closes fd; returns the bytes it wrote
 * before (into buf, at most TEST_REPLY_MAX) and closes fd.
 */
static size_t
client_drain(struct fixture *f, int fd, uint8_t *buf)
{
	size_t got = 0;
	ssize_t n;

	for (int i = 0; i < 10000; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		(void)event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 1) <= 0)
			continue;
		n = read(fd, buf + got, TEST_REPLY_MAX - got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			(void)close(fd);
			return got;
		}
		got += (size_t)n;
		CHECK(got < TEST_REPLY_MAX);
	}
	CHECK(!"the daemon never closed the connection");
	return 0;
}

/* Sends bytes as they are, optionally ends the writing half. */
static size_t
client_raw(struct fixture *f, uid_t uid, const void *data, size_t len,
    bool end, uint8_t *reply)
{
	int fd = client_connect(f, uid);

	CHECK_EQ(write(fd, data, len), (ssize_t)len);
	if (end)
		CHECK_EQ(shutdown(fd, SHUT_WR), 0);
	return client_drain(f, fd, reply);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Decodes one framed reply of exactly len bytes. */
static Kics__Control__V1__Reply *
reply_decode(const uint8_t *buf, size_t len)
{
	Kics__Control__V1__Reply *rep;
	size_t body;

	CHECK(len >= 4);
	body = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 |
	    (size_t)buf[2] << 8 | buf[3];
	CHECK_EQ(body, len - 4);
	CHECK((rep = kics__control__v1__reply__unpack(NULL, body,
	    buf + 4)) != NULL);
	return rep;
}

/* Sends request m framed as kics-query does; returns the reply. */
static Kics__Control__V1__Reply *
client_call(struct fixture *f, uid_t uid, const Kics__Control__V1__Request *m)
{
	size_t len = kics__control__v1__request__get_packed_size(m);
	uint8_t *frame = calloc(1, len + 4), *reply = calloc(1,
	    TEST_REPLY_MAX);
	Kics__Control__V1__Reply *rep;
	size_t n;

	CHECK(frame != NULL && reply != NULL);
	put_be32(frame, (uint32_t)len);
	(void)kics__control__v1__request__pack(m, frame + 4);
	n = client_raw(f, uid, frame, len + 4, false, reply);
	rep = reply_decode(reply, n);
	free(frame);
	free(reply);
	return rep;
}

/* The first column of the first row of sql, as text, into buf. */
static void
db_text(struct fixture *f, const char *sql, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	CHECK_EQ(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		(void)snprintf(buf, len, "%s", sqlite3_column_text(st, 0));
	(void)sqlite3_finalize(st);
	(void)sqlite3_close(db);
}

static long long
db_int(struct fixture *f, const char *sql)
{
	char buf[64];

	db_text(f, sql, buf, sizeof(buf));
	return strtoll(buf, NULL, 10);
}

/* The last audit record as "user|role|action|target|result|detail". */
static void
db_last_audit(struct fixture *f, char *buf, size_t len)
{
	db_text(f, "SELECT os_user || '|' || role || '|' || action || '|' || "
	    "coalesce(target, '') || '|' || result || '|' || "
	    "coalesce(detail, '') FROM audit_log ORDER BY id DESC LIMIT 1",
	    buf, len);
}

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
	char audit[TEST_TEXT_LEN];

	fixture_init(&f, NULL, 0);
	m.action = ACTION(STATUS);
	rep = client_call(&f, 0, &m);
	CHECK_EQ(rep->status, ST(OK));
	CHECK(strstr(rep->json, "\"listeners\":[]") != NULL);
	CHECK(strstr(rep->json, "\"max_agents\":10") != NULL);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	db_last_audit(&f, audit, sizeof(audit));
	CHECK(strcmp(audit, "root|administrator|status||ok|0 listener(s)") ==
	    0);
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
	CHECK(strcmp(rep->message, "a device id is required") == 0);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	db_last_audit(&f, audit, sizeof(audit));
	CHECK(strcmp(audit, "root|administrator|device set||failed|"
	    "a device id is required") == 0);
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
