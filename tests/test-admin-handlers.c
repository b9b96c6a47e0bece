/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the administrative action handlers (ingest/admin_*.c) on a real
 * engine and SQLite file: what each answers and what the database holds
 * afterwards. Requests go through the real control socket; the fixture
 * is admin-fx.c. Packages: test-admin-package.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin-fx.h"
#include "testutil.h"

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

/* One report of agent, so that there is a device (its id is returned). */
static int64_t
device_make(struct fixture *f, const char *agent)
{
	Kics__Epp__V1__AgentReport r = KICS__EPP__V1__AGENT_REPORT__INIT;
	struct writer_job job = { 0 };

	r.agent_id = (char *)agent;
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

/* device set's refusals (issue 12): each changes nothing. */
static void
device_set_refused(struct fixture *f, int64_t id, int64_t id2)
{
	Kics__Control__V1__DeviceArgs da = KICS__CONTROL__V1__DEVICE_ARGS__INIT;
	char msg[TEST_TEXT_LEN];
	char *keys[2] = { (char *)"PLC-1", (char *)"plc-1" };

	da.keys = keys;
	/* a name two devices have is refused, and nothing changes */
	da.n_keys = 0;
	da.id = id2;
	da.name = (char *)"plc-1";
	da.model = (char *)"";
	CHECK_EQ(device_call(f, &da, msg, sizeof(msg)), ST(OK));
	da.id = 0;
	da.n_keys = 1;
	da.name = (char *)"";
	da.status = (char *)"archived";
	CHECK_EQ(device_call(f, &da, msg, sizeof(msg)), ST(FAILED));
	CHECK(strcmp(msg, "2 devices are named 'PLC-1': give an id, IP or "
	    "MAC; nothing changed") == 0);

	da.status = (char *)"bogus";
	da.id = id;
	da.n_keys = 0;
	CHECK_EQ(device_call(f, &da, msg, sizeof(msg)), ST(INVALID));
	CHECK(strcmp(msg, "invalid status 'bogus' (use authorized, "
	    "unauthorized or archived)") == 0);
	da.status = (char *)"archived";
	da.id = 0;
	keys[0] = (char *)"no-such-device";
	da.n_keys = 2;
	CHECK_EQ(device_call(f, &da, msg, sizeof(msg)), ST(FAILED));
	CHECK(strcmp(msg, "no device matches 'no-such-device'; nothing "
	    "changed") == 0);
	da.n_keys = 0;
	da.subnet = (char *)"10.99.0.0/16";
	CHECK_EQ(device_call(f, &da, msg, sizeof(msg)), ST(FAILED));
	CHECK(strcmp(msg, "no device has an IP in 10.99.0.0/16; nothing "
	    "changed") == 0);
	da.subnet = (char *)"10.99.0.1/16";
	CHECK_EQ(device_call(f, &da, msg, sizeof(msg)), ST(INVALID));
	da.subnet = (char *)"";
	CHECK_EQ(device_call(f, &da, msg, sizeof(msg)), ST(INVALID));
	CHECK(strcmp(msg, "give devices (id, IP, MAC or name) or a network, "
	    "not neither") == 0);
	CHECK_EQ(db_int(f, "SELECT count(*) FROM devices WHERE status = "
	    "'archived'"), 0);
}

static void
test_device_set(void)
{
	Kics__Control__V1__DeviceArgs da = KICS__CONTROL__V1__DEVICE_ARGS__INIT;
	struct fixture f;
	char msg[TEST_TEXT_LEN], want[TEST_TEXT_LEN], id_text[32];
	char *keys[3];
	int64_t id, id2;

	fixture_init(&f, NULL, 0);
	CHECK((id = device_make(&f, "handlers-agent")) > 0);
	CHECK((id2 = device_make(&f, "handlers-agent-2")) > id);
	da.id = id;
	da.status = (char *)"authorized";
	da.name = (char *)"plc-1";
	da.vendor = (char *)"Siemens";
	CHECK_EQ(device_call(&f, &da, msg, sizeof(msg)), ST(OK));
	(void)snprintf(want, sizeof(want), "device %lld updated",
	    (long long)id);
	CHECK(strcmp(msg, want) == 0);
	db_text(&f, "SELECT status || ' ' || name || ' ' || vendor FROM "
	    "devices WHERE id = (SELECT min(id) FROM devices)", msg,
	    sizeof(msg));
	CHECK(strcmp(msg, "authorized plc-1 Siemens") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM events WHERE description "
	    "LIKE 'set by an administrator: status ''authorized'' (was "
	    "''unauthorized'') name ''plc-1'' (was '''')%'"), 1);

	/* issue 12: by name, several at once, one audit record */
	da.id = 0;
	da.name = (char *)"";
	da.vendor = (char *)"";
	keys[0] = (char *)"PLC-1";
	(void)snprintf(id_text, sizeof(id_text), "%lld", (long long)id2);
	keys[1] = id_text;
	keys[2] = (char *)"plc-1";
	da.keys = keys;
	da.n_keys = 3;
	da.model = (char *)"S7-1500";
	CHECK_EQ(device_call(&f, &da, msg, sizeof(msg)), ST(OK));
	CHECK(strcmp(msg, "2 of 2 matching devices changed") == 0);
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM devices WHERE model = "
	    "'S7-1500' AND status = 'authorized'"), 2);
	db_last_audit(&f, msg, sizeof(msg));
	(void)snprintf(want, sizeof(want), "root|administrator|device set|"
	    "3 devices: PLC-1, %lld, plc-1|ok|2 of 2 matching devices "
	    "changed", (long long)id2);
	CHECK(strcmp(msg, want) == 0);
	/* the same again changes nothing, and says so */
	CHECK_EQ(device_call(&f, &da, msg, sizeof(msg)), ST(OK));
	CHECK(strcmp(msg, "0 of 2 matching devices changed") == 0);

	device_set_refused(&f, id, id2);

	/* archived through set: the archive's path, with its event */
	da.n_keys = 0;
	da.id = id2;
	da.status = (char *)"archived";
	da.model = (char *)"";
	CHECK_EQ(device_call(&f, &da, msg, sizeof(msg)), ST(OK));
	CHECK_EQ(db_int(&f, "SELECT count(*) FROM event_log WHERE category = "
	    "'device_archived' AND description LIKE '%archived by an "
	    "administrator'"), 1);
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
	RUN(test_users);
	RUN(test_device_set);
	libevent_global_shutdown();
	return 0;
}
