/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the package handlers (ingest/admin_package.c) on a real engine
 * and SQLite file: create, activate and discard, and what the database
 * and the CRL hold after each (issue 10: nothing changes until the new
 * package's file is written).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin-fx.h"
#include "testutil.h"

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
 * What is refused once p3 was discarded, each answered and audited as a
 * failure without changing anything: activating or discarding p3 again,
 * an unknown or malformed id, a discard without a reason, a reason cut to
 * its limit, and a discard with no package made.
 */
static void
package_refusals(struct fixture *f, const char *p3)
{
	char msg[TEST_TEXT_LEN], want[2 * TEST_TEXT_LEN];
	long long audits;

	audits = db_int(f, "SELECT count(*) FROM audit_log");
	CHECK_EQ(package_call(f, ACTION(PACKAGE_ACTIVATE), NULL, p3, NULL,
	    msg, sizeof(msg), NULL), ST(FAILED));
	CHECK_EQ(package_call(f, ACTION(PACKAGE_DISCARD), NULL, p3, "again",
	    msg, sizeof(msg), NULL), ST(FAILED));
	CHECK(strstr(msg, "; not discarded: integration server 1 has no "
	    "pending package") != NULL);
	CHECK_EQ(package_call(f, ACTION(PACKAGE_ACTIVATE), NULL,
	    "00000000-0000-4000-8000-000000000000", NULL, msg, sizeof(msg),
	    NULL), ST(FAILED));
	CHECK_EQ(package_call(f, ACTION(PACKAGE_ACTIVATE), NULL, "p1", NULL,
	    msg, sizeof(msg), NULL), ST(INVALID));
	CHECK(strcmp(msg, "a package id (the package_id of the package "
	    "made) is required") == 0);
	CHECK_EQ(package_call(f, ACTION(PACKAGE_DISCARD), NULL, p3, NULL,
	    msg, sizeof(msg), NULL), ST(INVALID));
	CHECK(strcmp(msg, "a reason is required") == 0);
	/* a long reason is cut between characters (2-byte 'é' here) */
	{
		char reason[400];

		memset(reason, 'a', sizeof(reason));
		for (size_t i = 1; i + 1 < sizeof(reason); i += 2)
			memcpy(reason + i, "\xc3\xa9", 2);
		reason[sizeof(reason) - 1] = '\0';
		CHECK_EQ(package_call(f, ACTION(PACKAGE_DISCARD), NULL, NULL,
		    reason, msg, sizeof(msg), NULL), ST(FAILED));
		(void)snprintf(want, sizeof(want), "no package made for "
		    "integration server 1: %.317s; nothing changed", reason);
		CHECK(strcmp(msg, want) == 0);
	}
	/* no package made: only the audit record */
	CHECK_EQ(package_call(f, ACTION(PACKAGE_DISCARD), NULL, NULL,
	    "no such directory", msg, sizeof(msg), NULL), ST(FAILED));
	CHECK(strcmp(msg, "no package made for integration server 1: no "
	    "such directory; nothing changed") == 0);
	CHECK_EQ(db_int(f, "SELECT count(*) FROM audit_log WHERE "
	    "action = 'package create' AND result = 'failed'"), 10);
	CHECK_EQ(db_int(f, "SELECT count(*) FROM audit_log"), audits + 7);
}

/* A new package activated: p1 revoked (the CRL: test-admin.sh). */
static void
package_replace(struct fixture *f, const char *p1)
{
	char msg[TEST_TEXT_LEN], buf[TEST_TEXT_LEN], p4[TEST_PACKAGE_ID_LEN];

	CHECK_EQ(package_call(f, ACTION(PACKAGE_CREATE), PACKAGE_PW, NULL,
	    NULL, msg, sizeof(msg), p4), ST(OK));
	CHECK_EQ(package_call(f, ACTION(PACKAGE_ACTIVATE), NULL, p4, NULL,
	    msg, sizeof(msg), NULL), ST(OK));
	CHECK(strstr(msg, "; 1 earlier client certificate(s) revoked") !=
	    NULL);
	db_package_state(f, p1, buf, sizeof(buf));
	CHECK(strcmp(buf, "revoked") == 0);
	db_client_certs(f, buf, sizeof(buf));
	CHECK(strcmp(buf, "1 0") == 0);
	db_text(f, "SELECT package_id FROM integration_servers", buf,
	    sizeof(buf));
	CHECK(strcmp(buf, p4) == 0);
	CHECK_EQ(db_int(f, "SELECT count(*) FROM certificates WHERE "
	    "kind = 'client' AND revoked_ms IS NOT NULL"), 3);
}

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
	char p3[TEST_PACKAGE_ID_LEN];

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

	package_refusals(&f, p3);
	db_client_certs(&f, buf, sizeof(buf));
	CHECK(strcmp(buf, "1 0") == 0);
	db_text(&f, "SELECT package_id FROM integration_servers", buf,
	    sizeof(buf));
	CHECK(strcmp(buf, p1) == 0);

	package_replace(&f, p1);
	fixture_fini(&f);
}

int
main(void)
{
	log_init("test-admin-package", true, LOG_LEVEL_WARNING);
	CHECK_EQ(evthread_use_pthreads(), 0);
	RUN(test_package_steps);
	libevent_global_shutdown();
	return 0;
}
