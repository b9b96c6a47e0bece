/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the administration of users and roles (user add,
 * user remove) and of manual device values (device set) through the
 * control socket. Both are written by the engine on the writer thread.
 */
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "kics_limits.h"
#include "log.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED
#define ST_INVALID	KICS__CONTROL__V1__STATUS__STATUS_INVALID
#define USERS_PWBUF_LEN	16384	/* getpwnam_r buffer */

static void
user_run(struct writer_task *t, struct engine *e)
{
	struct control_req *req = (struct control_req *)t;
	const Kics__Control__V1__UserArgs *a = req->msg->user;

	if (req->msg->action == KICS__CONTROL__V1__ACTION__ACTION_USER_ADD)
		req->r = engine_user_put(e, a->name, a->role, ingest_now_ms());
	else
		req->r = engine_user_remove(e, a->name);
	if (req->r == -EIO)
		(void)snprintf(req->message, sizeof(req->message), "%s",
		    engine_errmsg(e));
}

static void
user_done(struct writer_task *t)
{
	struct control_req *req = (struct control_req *)t;
	const Kics__Control__V1__UserArgs *a = req->msg->user;
	bool add = req->msg->action ==
	    KICS__CONTROL__V1__ACTION__ACTION_USER_ADD;
	enum role role = ROLE_NONE;

	if (req->r == -ENOSPC)
		control_finish(req, ST_FAILED, "at most %d users",
		    ENGINE_MAX_USERS);
	else if (req->r == -ENOENT)
		control_finish(req, ST_FAILED, "no user '%s'", a->name);
	else if (req->r < 0)
		control_finish(req, ST_FAILED, "%s%s%s", strerror(-req->r),
		    req->message[0] != '\0' ? ": " : "", req->message);
	else {
		if (add)
			(void)role_parse(a->role, &role);
		control_user_set(req->ctl, a->name, role);
		control_finish(req, ST_OK, add ? "user '%s' is %s" :
		    "user '%s' removed%s", a->name, add ? a->role : "");
	}
}

void
admin_user(struct control_req *req)
{
	const Kics__Control__V1__UserArgs *a = req->msg->user;
	struct passwd pw, *res = NULL;
	enum role role;
	char *buf;

	if (a == NULL || a->name[0] == '\0' ||
	    strlen(a->name) > LIMIT_CONF_USER_LEN) {
		control_finish(req, ST_INVALID, "a user name of 1 to %d bytes "
		    "is required", LIMIT_CONF_USER_LEN);
		return;
	}
	if (req->msg->action == KICS__CONTROL__V1__ACTION__ACTION_USER_ADD) {
		if (role_parse(a->role, &role) < 0) {
			control_finish(req, ST_INVALID, "role '%.32s' is "
			    "neither administrator nor operator", a->role);
			return;
		}
		buf = xcalloc(1, USERS_PWBUF_LEN);
		(void)getpwnam_r(a->name, &pw, buf, USERS_PWBUF_LEN, &res);
		free(buf);
		if (res == NULL) {
			control_finish(req, ST_FAILED, "'%s' is not a user of "
			    "this system", a->name);
			return;
		}
	}
	control_submit(req, user_run, user_done);
}

static void
device_run(struct writer_task *t, struct engine *e)
{
	struct control_req *req = (struct control_req *)t;
	const Kics__Control__V1__DeviceArgs *a = req->msg->device;
	struct engine_device_edit d = {
		.id = a->id,
		.status = a->status,
		.name = a->name,
		.category = a->category,
		.vendor = a->vendor,
		.model = a->model,
		.os_name = a->os_name,
		.os_version = a->os_version,
	};

	req->r = engine_device_set(e, &d, ingest_now_ms());
	if (req->r == -EIO)
		(void)snprintf(req->message, sizeof(req->message), "%s",
		    engine_errmsg(e));
}

static void
device_done(struct writer_task *t)
{
	struct control_req *req = (struct control_req *)t;

	if (req->r == -ENOENT)
		control_finish(req, ST_FAILED, "no device %lld",
		    (long long)req->msg->device->id);
	else if (req->r == -EINVAL)
		control_finish(req, ST_INVALID, "invalid status '%.32s'",
		    req->msg->device->status);
	else if (req->r < 0)
		control_finish(req, ST_FAILED, "%s%s%s", strerror(-req->r),
		    req->message[0] != '\0' ? ": " : "", req->message);
	else
		control_finish(req, ST_OK, "device %lld updated",
		    (long long)req->msg->device->id);
}

void
admin_device(struct control_req *req)
{
	const Kics__Control__V1__DeviceArgs *a = req->msg->device;
	const char *v[7];

	if (a == NULL || a->id <= 0) {
		control_finish(req, ST_INVALID, "a device id is required");
		return;
	}
	v[0] = a->status;
	v[1] = a->name;
	v[2] = a->category;
	v[3] = a->vendor;
	v[4] = a->model;
	v[5] = a->os_name;
	v[6] = a->os_version;
	for (size_t i = 0; i < 7; i++) {
		if (strlen(v[i]) > LIMIT_SHORT_TEXT_LEN) {
			control_finish(req, ST_INVALID, "a value is longer "
			    "than %d bytes", LIMIT_SHORT_TEXT_LEN);
			return;
		}
	}
	control_submit(req, device_run, device_done);
}
