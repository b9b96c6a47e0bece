/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the fixture of the admin handler tests (admin-fx.h). */
#include "admin-fx.h"
#include "testutil.h"

static int
fixture_reload(void *arg, char *msg, size_t len)
{
	(void)arg;
	(void)snprintf(msg, len, "no rules in this test");
	return -ENOENT;
}

void
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

void
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
int
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
size_t
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
size_t
client_raw(struct fixture *f, uid_t uid, const void *data, size_t len,
    bool end, uint8_t *reply)
{
	int fd = client_connect(f, uid);

	CHECK_EQ(write(fd, data, len), (ssize_t)len);
	if (end)
		CHECK_EQ(shutdown(fd, SHUT_WR), 0);
	return client_drain(f, fd, reply);
}

void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Decodes one framed reply of exactly len bytes. */
Kics__Control__V1__Reply *
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
Kics__Control__V1__Reply *
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
void
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

long long
db_int(struct fixture *f, const char *sql)
{
	char buf[64];

	db_text(f, sql, buf, sizeof(buf));
	return strtoll(buf, NULL, 10);
}

/* The last audit record as "user|role|action|target|result|detail". */
void
db_last_audit(struct fixture *f, char *buf, size_t len)
{
	db_text(f, "SELECT os_user || '|' || role || '|' || action || '|' || "
	    "coalesce(target, '') || '|' || result || '|' || "
	    "coalesce(detail, '') FROM audit_log ORDER BY id DESC LIMIT 1",
	    buf, len);
}

/* A port of 127.0.0.1 nobody listens on now. */
uint16_t
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
int
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

int
server_add(struct fixture *f, const char *name, const char *address,
    uint16_t port, char *msg, size_t len)
{
	Kics__Control__V1__ServerArgs sa = KICS__CONTROL__V1__SERVER_ARGS__INIT;

	sa.name = (char *)name;
	sa.address = (char *)address;
	sa.port = port;
	return server_call(f, ACTION(SERVER_ADD), &sa, msg, len);
}

int
server_id_call(struct fixture *f, Kics__Control__V1__Action action,
    int64_t id, char *msg, size_t len)
{
	Kics__Control__V1__ServerArgs sa = KICS__CONTROL__V1__SERVER_ARGS__INIT;

	sa.id = id;
	return server_call(f, action, &sa, msg, len);
}

/* A duplicate name or place is refused and nothing is stored. */
