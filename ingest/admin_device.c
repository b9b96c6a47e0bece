/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the handler of device set: manual values (status,
 * name, category, vendor, model, OS) an administrator gives a device,
 * written by the engine on the writer thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "kics_limits.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED
#define ST_INVALID	KICS__CONTROL__V1__STATUS__STATUS_INVALID

/* The state of one device set. */
struct device_set {
	struct admin_task t;
	int64_t		id;
};

static int
device_set_prepare(struct admin_task *t)
{
	struct device_set *x = (struct device_set *)t;
	const Kics__Control__V1__DeviceArgs *a = t->req->msg->device;
	const char *v[7];

	if (a == NULL || a->id <= 0) {
		(void)snprintf(t->message, sizeof(t->message),
		    "a device id is required");
		return -EINVAL;
	}
	v[0] = a->status;
	v[1] = a->name;
	v[2] = a->category;
	v[3] = a->vendor;
	v[4] = a->model;
	v[5] = a->os_name;
	v[6] = a->os_version;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (strlen(v[i]) > LIMIT_SHORT_TEXT_LEN) {
			(void)snprintf(t->message, sizeof(t->message),
			    "a value is longer than %d bytes",
			    LIMIT_SHORT_TEXT_LEN);
			return -EINVAL;
		}
	}
	x->id = a->id;
	return 0;
}

static int
device_set_run(struct admin_task *t, struct engine *e)
{
	const Kics__Control__V1__DeviceArgs *a = t->req->msg->device;
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
	int r;

	if ((r = engine_device_set(e, &d, ingest_now_ms())) == -EIO)
		(void)snprintf(t->message, sizeof(t->message), "%s",
		    engine_errmsg(e));
	return r;
}

static void
device_set_done(struct admin_task *t)
{
	struct device_set *x = (struct device_set *)t;

	if (t->r == -ENOENT)
		control_finish(t->req, ST_FAILED, "no device %lld",
		    (long long)x->id);
	else if (t->r == -EINVAL)
		control_finish(t->req, ST_INVALID, "invalid status '%.32s'",
		    t->req->msg->device->status);
	else if (t->r < 0)
		control_finish(t->req, ST_FAILED, "%s%s%s", strerror(-t->r),
		    t->message[0] != '\0' ? ": " : "", t->message);
	else
		control_finish(t->req, ST_OK, "device %lld updated",
		    (long long)x->id);
}

const struct admin_handler admin_device_set = {
	.size = sizeof(struct device_set),
	.prepare = device_set_prepare,
	.run = device_set_run,
	.done = device_set_done,
	.fini = NULL,
};
