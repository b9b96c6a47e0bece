/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the administrative action handlers (ingest/admin_*.c) on a real
 * engine and SQLite file: what each answers and what the database holds
 * afterwards. Requests go through the real control socket (as in
 * test-control.c, whose fixture this repeats).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

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
#define TEST_PACKAGE_ID_LEN	37	/* UUID text and NUL */

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

/* A port of 127.0.0.1 nobody listens on now. */
static uint16_t
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	(void)close(fd);
	return ntohs(sin.sin_port);
}

/* Runs one server action as root; returns its status, message in msg. */
static int
server_call(struct fixture *f, Kics__Control__V1__Action action,
    const Kics__Control__V1__ServerArgs *sa, char *msg, size_t len)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__Reply *rep;
	int status;

	m.action = action;
	m.server = (Kics__Control__V1__ServerArgs *)sa;
	rep = client_call(f, 0, &m);
	status = (int)rep->status;
	(void)snprintf(msg, len, "%s", rep->message);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	return status;
}

static int
server_add(struct fixture *f, const char *name, const char *address,
    uint16_t port, char *msg, size_t len)
{
	Kics__Control__V1__ServerArgs sa = KICS__CONTROL__V1__SERVER_ARGS__INIT;

	sa.name = (char *)name;
	sa.address = (char *)address;
	sa.port = port;
	return server_call(f, ACTION(SERVER_ADD), &sa, msg, len);
}

static int
server_id_call(struct fixture *f, Kics__Control__V1__Action action,
    int64_t id, char *msg, size_t len)
{
	Kics__Control__V1__ServerArgs sa = KICS__CONTROL__V1__SERVER_ARGS__INIT;

	sa.id = id;
	return server_call(f, action, &sa, msg, len);
}

/* A duplicate name or place is refused and nothing is stored. */
static void
test_server_add_duplicate(void)
{
	struct fixture f;
	char msg[TEST_TEXT_LEN], want[TEST_TEXT_LEN];
	uint16_t p1 = free_port(), p2;

	fixture_init(&f, NULL, 0);
	CHECK_EQ(server_add(&f, "alpha", "127.0.0.1", p1, msg, sizeof(msg)),
	    ST(OK));
	(void)snprintf(want, sizeof(want), "integration server 1 'alpha' "
	    "added, listening on 127.0.0.1 port %u", p1);
	CHECK(strcmp(msg, want) == 0);
	CHECK(http_listener_running(f.http, 1));
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates WHERE "
	    "server_id = 1 AND kind = 'server' AND revoked_ms IS NULL"), 1);
	db_text(&f, "SELECT name || ' ' || address || ' ' || enabled FROM "
	    "integration_servers", msg, sizeof(msg));
	CHECK(strcmp(msg, "alpha 127.0.0.1 1") == 0);

	p2 = free_port();
	CHECK_EQ(server_add(&f, "alpha", "127.0.0.1", p2, msg, sizeof(msg)),
	    ST(FAILED));
	CHECK(strcmp(msg, "the name 'alpha' is already integration server "
	    "1") == 0);
	CHECK_EQ(server_add(&f, "other", "127.0.0.1", p1, msg, sizeof(msg)),
	    ST(FAILED));
	(void)snprintf(want, sizeof(want), "127.0.0.1 port %u is already "
	    "integration server 1 'alpha'", p1);
	CHECK(strcmp(msg, want) == 0);
	CHECK_EQ(server_add(&f, "", "not-an-ip", p2, msg, sizeof(msg)),
	    ST(INVALID));
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM integration_servers"), 1);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates"), 1);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM audit_log WHERE "
	    "action = 'server add' AND result = 'failed'"), 3);
	db_text(&f, "SELECT target FROM audit_log WHERE result = 'ok'", msg,
	    sizeof(msg));
	CHECK(strcmp(msg, "server 1") == 0);
	fixture_fini(&f);
}

/* edit moves the listener; a new address revokes the old certificate. */
static void
test_server_edit(void)
{
	Kics__Control__V1__ServerArgs sa = KICS__CONTROL__V1__SERVER_ARGS__INIT;
	struct fixture f;
	char msg[TEST_TEXT_LEN], want[TEST_TEXT_LEN];
	uint16_t p1 = free_port(), p2 = free_port();

	fixture_init(&f, NULL, 0);
	CHECK_EQ(server_add(&f, "alpha", "127.0.0.1", p1, msg, sizeof(msg)),
	    ST(OK));
	sa.id = 1;
	sa.name = (char *)"beta";
	sa.port = p2;
	sa.verify_client_cert = KICS__CONTROL__V1__TOGGLE__TOGGLE_ON;
	CHECK_EQ(server_call(&f, ACTION(SERVER_EDIT), &sa, msg, sizeof(msg)),
	    ST(OK));
	CHECK(strcmp(msg, "integration server 1: edit") == 0);
	(void)snprintf(want, sizeof(want), "beta 127.0.0.1 %u 1", p2);
	db_text(&f, "SELECT name || ' ' || address || ' ' || port || ' ' || "
	    "verify_client_cert FROM integration_servers", msg, sizeof(msg));
	CHECK(strcmp(msg, want) == 0);
	/* same address: the certificate stays valid */
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates WHERE "
	    "revoked_ms IS NOT NULL"), 0);

	sa.name = (char *)"";
	sa.port = 0;
	sa.address = (char *)"127.0.0.2";
	CHECK_EQ(server_call(&f, ACTION(SERVER_EDIT), &sa, msg, sizeof(msg)),
	    ST(OK));
	CHECK(http_listener_running(f.http, 1));
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates WHERE "
	    "revoked_ms IS NOT NULL"), 1);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates WHERE "
	    "revoked_ms IS NULL"), 1);
	db_text(&f, "SELECT address FROM integration_servers", msg,
	    sizeof(msg));
	CHECK(strcmp(msg, "127.0.0.2") == 0);
	CHECK_EQ(server_id_call(&f, ACTION(SERVER_EDIT), 7, msg, sizeof(msg)),
	    ST(FAILED));
	CHECK(strcmp(msg, "no integration server 7") == 0);
	fixture_fini(&f);
}

static void
test_server_enable_disable(void)
{
	struct fixture f;
	char msg[TEST_TEXT_LEN];

	fixture_init(&f, NULL, 0);
	CHECK_EQ(server_add(&f, "alpha", "127.0.0.1", free_port(), msg,
	    sizeof(msg)), ST(OK));
	CHECK_EQ(server_id_call(&f, ACTION(SERVER_DISABLE), 1, msg,
	    sizeof(msg)), ST(OK));
	CHECK(strcmp(msg, "integration server 1: disable") == 0);
	CHECK(!http_listener_running(f.http, 1));
	CHECK_EQ(db_int(&f, "SELECT enabled FROM integration_servers"), 0);
	CHECK_EQ(server_id_call(&f, ACTION(SERVER_DISABLE), 1, msg,
	    sizeof(msg)), ST(OK));
	CHECK(strcmp(msg, "integration server 1: disable (no change)") == 0);
	CHECK_EQ(server_id_call(&f, ACTION(SERVER_ENABLE), 1, msg,
	    sizeof(msg)), ST(OK));
	CHECK(strcmp(msg, "integration server 1: enable") == 0);
	CHECK(http_listener_running(f.http, 1));
	CHECK_EQ(db_int(&f, "SELECT enabled FROM integration_servers"), 1);
	CHECK_EQ(server_id_call(&f, ACTION(SERVER_ENABLE), 0, msg,
	    sizeof(msg)), ST(INVALID));
	CHECK(strcmp(msg, "a server id is required") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM events WHERE description "
	    "LIKE 'integration server 1 ''alpha'' %abled'"), 2);
	fixture_fini(&f);
}

/* remove deletes the row and revokes every certificate of the server. */
static void
test_server_remove(void)
{
	struct fixture f;
	char msg[TEST_TEXT_LEN], path[TEST_TEXT_LEN];

	fixture_init(&f, NULL, 0);
	CHECK_EQ(server_add(&f, "alpha", "127.0.0.1", free_port(), msg,
	    sizeof(msg)), ST(OK));
	(void)snprintf(path, sizeof(path), "%s/pki/server-1.pem", f.dir);
	CHECK_EQ(access(path, F_OK), 0);
	CHECK_EQ(server_id_call(&f, ACTION(SERVER_REMOVE), 1, msg,
	    sizeof(msg)), ST(OK));
	CHECK(strcmp(msg, "integration server 1 removed") == 0);
	CHECK(!http_listener_running(f.http, 1));
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM integration_servers"), 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates WHERE "
	    "kind = 'server' AND revoked_ms IS NOT NULL"), 1);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates WHERE "
	    "revoked_ms IS NULL AND kind <> 'ca'"), 0);
	CHECK(access(path, F_OK) < 0);
	CHECK_EQ(server_id_call(&f, ACTION(SERVER_REMOVE), 1, msg,
	    sizeof(msg)), ST(FAILED));
	CHECK(strcmp(msg, "no integration server 1") == 0);
	fixture_fini(&f);
}

/*
 * Runs one package action (issue 10) for server 1 as root; returns its
 * status, its message in msg and, for a create, the package id in id.
 */
static int
package_call(struct fixture *f, Kics__Control__V1__Action action,
    const char *password, const char *package_id, const char *reason,
    char *msg, size_t len, char id[TEST_PACKAGE_ID_LEN])
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__PackageArgs pa =
	    KICS__CONTROL__V1__PACKAGE_ARGS__INIT;
	Kics__Control__V1__Reply *rep;
	const char *p;
	int status;

	pa.server_id = 1;
	if (password != NULL) {
		pa.password.data = (uint8_t *)password;
		pa.password.len = strlen(password);
	}
	pa.package_id = (char *)(package_id != NULL ? package_id : "");
	pa.reason = (char *)(reason != NULL ? reason : "");
	m.action = action;
	m.package = &pa;
	rep = client_call(f, 0, &m);
	status = (int)rep->status;
	(void)snprintf(msg, len, "%s", rep->message);
	if (id != NULL) {
		CHECK((p = strstr(rep->json, "\"package_id\":\"")) != NULL);
		(void)snprintf(id, TEST_PACKAGE_ID_LEN, "%s", p + 14);
		CHECK(rep->data.len > 0);
	}
	kics__control__v1__reply__free_unpacked(rep, NULL);
	return status;
}

/* "valid pending" counts of the client certificates of server 1. */
static void
db_client_certs(struct fixture *f, char *buf, size_t len)
{
	db_text(f, "SELECT (count(*) - count(revoked_ms)) || ' ' || "
	    "coalesce(sum(pending AND revoked_ms IS NULL), 0) FROM "
	    "certificates WHERE server_id = 1 AND kind = 'client'", buf, len);
}

/* Whether package id's certificate is "valid", "pending" or "revoked". */
static void
db_package_state(struct fixture *f, const char *id, char *buf, size_t len)
{
	char sql[TEST_TEXT_LEN];

	(void)snprintf(sql, sizeof(sql), "SELECT CASE WHEN revoked_ms IS NOT "
	    "NULL THEN 'revoked' WHEN pending = 1 THEN 'pending' ELSE "
	    "'valid' END FROM certificates WHERE package_id = '%s'", id);
	db_text(f, sql, buf, len);
}

#define PACKAGE_PW	"twelve chars"

/*
 * Issue 10: a package create revokes nothing the agents use; activate
 * revokes the older certificates, discard the pending one, and neither
 * changes anything for a package that is not pending.
 */
static void
test_package_steps(void)
{
	struct fixture f;
	char msg[TEST_TEXT_LEN], want[2 * TEST_TEXT_LEN], buf[TEST_TEXT_LEN];
	char p1[TEST_PACKAGE_ID_LEN], p2[TEST_PACKAGE_ID_LEN];
	char p3[TEST_PACKAGE_ID_LEN], p4[TEST_PACKAGE_ID_LEN];
	long long audits;

	fixture_init(&f, NULL, 0);
	CHECK_EQ(server_add(&f, "alpha", "127.0.0.1", free_port(), msg,
	    sizeof(msg)), ST(OK));
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_CREATE), "eleven char",
	    NULL, NULL, msg, sizeof(msg), NULL), ST(INVALID));
	CHECK(strcmp(msg, "the password must be at least 12 characters (at "
	    "most 1024 bytes, without NUL)") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates WHERE "
	    "kind = 'client'"), 0);

	/* made: pending, the server row unchanged */
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_CREATE), PACKAGE_PW, NULL,
	    NULL, msg, sizeof(msg), p1), ST(OK));
	CHECK(strstr(msg, "pending until it is written") != NULL);
	db_package_state(&f, p1, buf, sizeof(buf));
	CHECK(strcmp(buf, "pending") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM integration_servers "
	    "WHERE package_id IS NULL AND package_created_ms IS NULL"), 1);

	/* activated: the server's package, at the time it was made */
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_ACTIVATE), NULL, p1, NULL,
	    msg, sizeof(msg), NULL), ST(OK));
	(void)snprintf(want, sizeof(want), "package %s is now the package of "
	    "integration server 1; 0 earlier client certificate(s) revoked",
	    p1);
	CHECK(strcmp(msg, want) == 0);
	db_package_state(&f, p1, buf, sizeof(buf));
	CHECK(strcmp(buf, "valid") == 0);
	db_text(&f, "SELECT s.package_id FROM integration_servers s JOIN "
	    "certificates c ON c.package_id = s.package_id AND "
	    "c.created_ms = s.package_created_ms", buf, sizeof(buf));
	CHECK(strcmp(buf, p1) == 0);

	/* a second create leaves p1 valid; a third replaces p2 */
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_CREATE), PACKAGE_PW, NULL,
	    NULL, msg, sizeof(msg), p2), ST(OK));
	db_client_certs(&f, buf, sizeof(buf));
	CHECK(strcmp(buf, "2 1") == 0);
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_CREATE), PACKAGE_PW, NULL,
	    NULL, msg, sizeof(msg), p3), ST(OK));
	CHECK(strstr(msg, "; 1 unfinished earlier package(s) discarded") !=
	    NULL);
	db_package_state(&f, p2, buf, sizeof(buf));
	CHECK(strcmp(buf, "revoked") == 0);
	db_package_state(&f, p1, buf, sizeof(buf));
	CHECK(strcmp(buf, "valid") == 0);

	/* p2 was replaced: activating it fails and changes nothing */
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_ACTIVATE), NULL, p2, NULL,
	    msg, sizeof(msg), NULL), ST(FAILED));
	(void)snprintf(want, sizeof(want), "package %s not activated: "
	    "integration server 1 has no pending package %s (it is unknown, "
	    "already activated, discarded or replaced by a newer one)", p2,
	    p2);
	CHECK(strcmp(msg, want) == 0);
	db_client_certs(&f, buf, sizeof(buf));
	CHECK(strcmp(buf, "2 1") == 0);
	db_text(&f, "SELECT package_id FROM integration_servers", buf,
	    sizeof(buf));
	CHECK(strcmp(buf, p1) == 0);

	/* discard: p3 revoked, p1 still the server's; audited as failed */
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_DISCARD), NULL, p3,
	    "cannot write '/x/p.zip':\n No space left", msg, sizeof(msg),
	    NULL), ST(FAILED));
	(void)snprintf(want, sizeof(want), "package %s of integration server "
	    "1 not written: cannot write '/x/p.zip':? No space left; it is "
	    "discarded and the server's current package stays valid", p3);
	CHECK(strcmp(msg, want) == 0);
	db_package_state(&f, p3, buf, sizeof(buf));
	CHECK(strcmp(buf, "revoked") == 0);
	db_package_state(&f, p1, buf, sizeof(buf));
	CHECK(strcmp(buf, "valid") == 0);
	db_last_audit(&f, buf, sizeof(buf));
	(void)snprintf(want, sizeof(want), "root|administrator|package create|"
	    "server 1 package %s|failed|%s", p3, msg);
	CHECK(strcmp(buf, want) == 0);
	(void)snprintf(want, sizeof(want), "SELECT count(*) FROM events "
	    "WHERE description = 'communication data package %s of "
	    "integration server 1 discarded: cannot write ''/x/p.zip'':? No "
	    "space left'", p3);
	CHECK_EQ(db_int(&f, want), 1);

	/* a discarded package can be neither activated nor discarded */
	audits = db_int(&f, "SELECT count(*) FROM audit_log");
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_ACTIVATE), NULL, p3, NULL,
	    msg, sizeof(msg), NULL), ST(FAILED));
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_DISCARD), NULL, p3, "again",
	    msg, sizeof(msg), NULL), ST(FAILED));
	CHECK(strstr(msg, "; not discarded: integration server 1 has no "
	    "pending package") != NULL);
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_ACTIVATE), NULL,
	    "00000000-0000-4000-8000-000000000000", NULL, msg, sizeof(msg),
	    NULL), ST(FAILED));
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_ACTIVATE), NULL, "p1", NULL,
	    msg, sizeof(msg), NULL), ST(INVALID));
	CHECK(strcmp(msg, "a package id (the package_id of the package "
	    "made) is required") == 0);
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_DISCARD), NULL, p3, NULL,
	    msg, sizeof(msg), NULL), ST(INVALID));
	CHECK(strcmp(msg, "a reason is required") == 0);
	/* a long reason is cut between characters (2-byte 'é' here) */
	{
		char reason[400];

		memset(reason, 'a', sizeof(reason));
		for (size_t i = 1; i + 1 < sizeof(reason); i += 2)
			memcpy(reason + i, "\xc3\xa9", 2);
		reason[sizeof(reason) - 1] = '\0';
		CHECK_EQ(package_call(&f, ACTION(PACKAGE_DISCARD), NULL, NULL,
		    reason, msg, sizeof(msg), NULL), ST(FAILED));
		(void)snprintf(want, sizeof(want), "no package made for "
		    "integration server 1: %.317s; nothing changed", reason);
		CHECK(strcmp(msg, want) == 0);
	}
	/* no package made: only the audit record */
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_DISCARD), NULL, NULL,
	    "no such directory", msg, sizeof(msg), NULL), ST(FAILED));
	CHECK(strcmp(msg, "no package made for integration server 1: no "
	    "such directory; nothing changed") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM audit_log WHERE "
	    "action = 'package create' AND result = 'failed'"), 10);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM audit_log"), audits + 7);
	db_client_certs(&f, buf, sizeof(buf));
	CHECK(strcmp(buf, "1 0") == 0);
	db_text(&f, "SELECT package_id FROM integration_servers", buf,
	    sizeof(buf));
	CHECK(strcmp(buf, p1) == 0);

	/* a new package activated: p1 revoked (the CRL: test-admin.sh) */
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_CREATE), PACKAGE_PW, NULL,
	    NULL, msg, sizeof(msg), p4), ST(OK));
	CHECK_EQ(package_call(&f, ACTION(PACKAGE_ACTIVATE), NULL, p4, NULL,
	    msg, sizeof(msg), NULL), ST(OK));
	CHECK(strstr(msg, "; 1 earlier client certificate(s) revoked") !=
	    NULL);
	db_package_state(&f, p1, buf, sizeof(buf));
	CHECK(strcmp(buf, "revoked") == 0);
	db_client_certs(&f, buf, sizeof(buf));
	CHECK(strcmp(buf, "1 0") == 0);
	db_text(&f, "SELECT package_id FROM integration_servers", buf,
	    sizeof(buf));
	CHECK(strcmp(buf, p4) == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM certificates WHERE "
	    "kind = 'client' AND revoked_ms IS NOT NULL"), 3);
	fixture_fini(&f);
}

static int
user_call(struct fixture *f, Kics__Control__V1__Action action,
    const char *name, const char *role, char *msg, size_t len)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__UserArgs ua = KICS__CONTROL__V1__USER_ARGS__INIT;
	Kics__Control__V1__Reply *rep;
	int status;

	ua.name = (char *)name;
	ua.role = (char *)role;
	m.action = action;
	m.user = &ua;
	rep = client_call(f, 0, &m);
	status = (int)rep->status;
	(void)snprintf(msg, len, "%s", rep->message);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	return status;
}

static void
test_users(void)
{
	struct fixture f;
	char msg[TEST_TEXT_LEN];

	if (getpwnam("nobody") == NULL) {
		(void)fprintf(stderr, "no user nobody: skipped\n");
		return;
	}
	fixture_init(&f, NULL, 0);
	CHECK_EQ(user_call(&f, ACTION(USER_ADD), "nobody", "operator", msg,
	    sizeof(msg)), ST(OK));
	CHECK(strcmp(msg, "user 'nobody' is operator") == 0);
	db_text(&f, "SELECT role FROM users WHERE name = 'nobody'", msg,
	    sizeof(msg));
	CHECK(strcmp(msg, "operator") == 0);
	CHECK_EQ(user_call(&f, ACTION(USER_ADD), "nobody", "administrator",
	    msg, sizeof(msg)), ST(OK));
	db_text(&f, "SELECT role FROM users WHERE name = 'nobody'", msg,
	    sizeof(msg));
	CHECK(strcmp(msg, "administrator") == 0);
	CHECK_EQ(user_call(&f, ACTION(USER_ADD), "nobody", "root", msg,
	    sizeof(msg)), ST(INVALID));
	CHECK(strcmp(msg, "role 'root' is neither administrator nor "
	    "operator") == 0);
	CHECK_EQ(user_call(&f, ACTION(USER_ADD), "no-such-user-kics",
	    "operator", msg, sizeof(msg)), ST(FAILED));
	CHECK(strcmp(msg, "'no-such-user-kics' is not a user of this "
	    "system") == 0);
	db_last_audit(&f, msg, sizeof(msg));
	CHECK(strcmp(msg, "root|administrator|user add|no-such-user-kics|"
	    "failed|'no-such-user-kics' is not a user of this system") == 0);
	CHECK_EQ(user_call(&f, ACTION(USER_ADD), "", "operator", msg,
	    sizeof(msg)), ST(INVALID));
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM users"), 1);

	CHECK_EQ(user_call(&f, ACTION(USER_REMOVE), "nobody", "", msg,
	    sizeof(msg)), ST(OK));
	CHECK(strcmp(msg, "user 'nobody' removed") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM users"), 0);
	CHECK_EQ(user_call(&f, ACTION(USER_REMOVE), "nobody", "", msg,
	    sizeof(msg)), ST(FAILED));
	CHECK(strcmp(msg, "no user 'nobody'") == 0);
	fixture_fini(&f);
}

static bool report_back;

static void
report_done(struct writer_job *job)
{
	(void)job;
	report_back = true;
}

/* One agent report, so that there is a device (its id is returned). */
static int64_t
device_make(struct fixture *f)
{
	Kics__Epp__V1__AgentReport r = KICS__EPP__V1__AGENT_REPORT__INIT;
	struct writer_job job = { 0 };

	r.agent_id = (char *)"handlers-agent";
	r.sequence = 1;
	job.report = &r;
	job.bytes = 64;
	job.done = report_done;
	report_back = false;
	CHECK_EQ(writer_submit(f->writer, &job), 0);
	for (int i = 0; i < 10000 && !report_back; i++) {
		struct timeval tv = { 0, 1000 };

		(void)event_base_loopexit(f->base, &tv);
		(void)event_base_dispatch(f->base);
	}
	CHECK(report_back);
	CHECK_EQ(job.status, REPORT_STATUS_COMMITTED);
	return db_int(f, "SELECT max(id) FROM devices");
}

static int
device_call(struct fixture *f, const Kics__Control__V1__DeviceArgs *da,
    char *msg, size_t len)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__Reply *rep;
	int status;

	m.action = ACTION(DEVICE_SET);
	m.device = (Kics__Control__V1__DeviceArgs *)da;
	rep = client_call(f, 0, &m);
	status = (int)rep->status;
	(void)snprintf(msg, len, "%s", rep->message);
	kics__control__v1__reply__free_unpacked(rep, NULL);
	return status;
}

static void
test_device_set(void)
{
	Kics__Control__V1__DeviceArgs da = KICS__CONTROL__V1__DEVICE_ARGS__INIT;
	struct fixture f;
	char msg[TEST_TEXT_LEN], want[TEST_TEXT_LEN];
	int64_t id;

	fixture_init(&f, NULL, 0);
	CHECK((id = device_make(&f)) > 0);
	da.id = id;
	da.status = (char *)"authorized";
	da.name = (char *)"plc-1";
	da.vendor = (char *)"Siemens";
	CHECK_EQ(device_call(&f, &da, msg, sizeof(msg)), ST(OK));
	(void)snprintf(want, sizeof(want), "device %lld updated",
	    (long long)id);
	CHECK(strcmp(msg, want) == 0);
	db_text(&f, "SELECT status || ' ' || name || ' ' || vendor FROM "
	    "devices", msg, sizeof(msg));
	CHECK(strcmp(msg, "authorized plc-1 Siemens") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM events WHERE description "
	    "LIKE 'manual values set by an administrator:%plc-1%'"), 1);

	da.status = (char *)"bogus";
	CHECK_EQ(device_call(&f, &da, msg, sizeof(msg)), ST(INVALID));
	CHECK(strcmp(msg, "invalid status 'bogus'") == 0);
	da.status = (char *)"";
	da.id = id + 100;
	CHECK_EQ(device_call(&f, &da, msg, sizeof(msg)), ST(FAILED));
	(void)snprintf(want, sizeof(want), "no device %lld",
	    (long long)id + 100);
	CHECK(strcmp(msg, want) == 0);
	db_text(&f, "SELECT status FROM devices", msg, sizeof(msg));
	CHECK(strcmp(msg, "authorized") == 0);
	fixture_fini(&f);
}

int
main(void)
{
	log_init("test-admin-handlers", true, LOG_LEVEL_WARNING);
	CHECK_EQ(evthread_use_pthreads(), 0);
	RUN(test_server_add_duplicate);
	RUN(test_server_edit);
	RUN(test_server_enable_disable);
	RUN(test_server_remove);
	RUN(test_package_steps);
	RUN(test_users);
	RUN(test_device_set);
	libevent_global_shutdown();
	return 0;
}
