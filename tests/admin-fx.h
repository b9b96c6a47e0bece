/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fixture of the control socket and admin handler tests: a daemon without main() (loop,
 * writer, engine over a real SQLite file, PKI, control socket) and the
 * clients and database readers the tests use.
 */
#ifndef KICS_ADMIN_FX_H
#define KICS_ADMIN_FX_H

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


/* The fixture: made with the users given, torn down with its directory. */
void fixture_init(struct fixture *f, const struct engine_user *users,
    size_t n_users);
void fixture_fini(struct fixture *f);

/* Clients of the control socket, as uid. */
int client_connect(struct fixture *f, uid_t uid);
size_t client_drain(struct fixture *f, int fd, uint8_t *buf);
size_t client_raw(struct fixture *f, uid_t uid, const void *data, size_t len,
    bool end, uint8_t *reply);
void put_be32(uint8_t *p, uint32_t v);
Kics__Control__V1__Reply *reply_decode(const uint8_t *buf, size_t len);
Kics__Control__V1__Reply *client_call(struct fixture *f, uid_t uid, const Kics__Control__V1__Request *m);

/* The database, read back through its own connection. */
void db_text(struct fixture *f, const char *sql, char *buf, size_t len);
long long db_int(struct fixture *f, const char *sql);
void db_last_audit(struct fixture *f, char *buf, size_t len);
uint16_t free_port(void);

/* Integration servers through the control socket. */
int server_call(struct fixture *f, Kics__Control__V1__Action action,
    const Kics__Control__V1__ServerArgs *sa, char *msg, size_t len);
int server_add(struct fixture *f, const char *name, const char *address,
    uint16_t port, char *msg, size_t len);
int server_id_call(struct fixture *f, Kics__Control__V1__Action action,
    int64_t id, char *msg, size_t len);

#endif
