/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target of the control socket's requests. The input is what a
 * client writes: a 4-byte big-endian length and a Request. It is framed
 * as control_read_cb() (ingest/control.c) frames it, pre-scanned
 * (ingest/control_scan.c) and decoded with protobuf-c, its action looked up in role.c's table, and, for the
 * actions that change something, checked by the handler's prepare() (the
 * exported struct admin_handler of admin_*.c) as an administrator's
 * request would be.
 *
 * Left out, because it is static in control.c or needs the running
 * daemon: control_dispatch() and control_target() themselves, the role
 * check (the role comes from SO_PEERCRED, not from the bytes), the
 * actions answered at once (status, server list, rules reload) and the
 * run() and done() steps of the handlers (writer thread, engine, PKI).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "control_scan.h"
#include "fuzz-util.h"
#include "ingest.h"
#include "kics_limits.h"
#include "role.h"

#define ACTION(x)	KICS__CONTROL__V1__ACTION__ACTION_##x
/* The rows of control_actions[] (control.c) that have a handler. */
static const struct {
	Kics__Control__V1__Action action;
	const struct admin_handler *h;
} fuzz_handlers[] = {
	{ ACTION(SERVER_ADD),		&admin_server_add },
	{ ACTION(SERVER_EDIT),		&admin_server_edit },
	{ ACTION(SERVER_ENABLE),	&admin_server_enable },
	{ ACTION(SERVER_DISABLE),	&admin_server_disable },
	{ ACTION(SERVER_REMOVE),	&admin_server_remove },
	{ ACTION(PACKAGE_CREATE),	&admin_package_create },
	{ ACTION(PACKAGE_ACTIVATE),	&admin_package_activate },
	{ ACTION(PACKAGE_DISCARD),	&admin_package_discard },
	{ ACTION(USER_ADD),		&admin_user_add },
	{ ACTION(USER_REMOVE),		&admin_user_remove },
	{ ACTION(DEVICE_SET),		&admin_device_set },
};
#undef ACTION

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* What control_admin_start() does up to handing the task to the writer. */
static void
fuzz_prepare(struct control_req *req, const struct admin_handler *h)
{
	struct admin_task *t;
	int r;

	if ((t = calloc(1, h->size)) == NULL)
		abort();
	t->h = h;
	t->req = req;
	r = h->prepare(t);
	/* ingest.h: a refusal always says why, in a terminated message */
	if (memchr(t->message, '\0', sizeof(t->message)) == NULL ||
	    memchr(req->target, '\0', sizeof(req->target)) == NULL ||
	    (r < 0 && t->message[0] == '\0') || r > 0) {
		(void)fprintf(stderr, "fuzz-control: prepare returned %d with "
		    "message '%.*s'\n", r, (int)sizeof(t->message) - 1,
		    t->message);
		abort();
	}
	if (h->fini != NULL)
		h->fini(t);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_req req;
	const struct role_action *ra;
	char reason[CONTROL_SCAN_REASON_LEN];
	size_t len;

	/* control_read_cb(): waits for the header, refuses a bad length */
	if (size < 4)
		return 0;
	len = (size_t)data[0] << 24 | (size_t)data[1] << 16 |
	    (size_t)data[2] << 8 | data[3];
	if (len == 0 || len > LIMIT_CONTROL_REQUEST_BYTES)
		return 0;
	/* shorter: it waits for more; longer: it closes the connection */
	if (size != 4 + len)
		return 0;
	memset(&req, 0, sizeof(req));
	(void)snprintf(req.user, sizeof(req.user), "root");
	req.role = ROLE_ADMINISTRATOR;
	/* as control_read_cb(): protobuf-c sees what the pre-scan passed */
	if (control_scan(&kics__control__v1__request__descriptor, data + 4, len,
	    reason, sizeof(reason)) < 0)
		return 0;
	req.msg = kics__control__v1__request__unpack(NULL, len, data + 4);
	if (req.msg == NULL)
		return 0;
	if ((ra = role_action_find(req.msg->action)) != NULL) {
		req.action = ra->name;
		for (size_t i = 0; i < sizeof(fuzz_handlers) /
		    sizeof(fuzz_handlers[0]); i++)
			if (fuzz_handlers[i].action == req.msg->action)
				fuzz_prepare(&req, fuzz_handlers[i].h);
	}
	kics__control__v1__request__free_unpacked(req.msg, NULL);
	return 0;
}
