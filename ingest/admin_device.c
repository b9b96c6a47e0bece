/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the handler of device set: manual values (status,
 * name, category, vendor, model, OS, IP) an administrator gives the
 * devices named by id, IP, MAC or name, or every device with an IP in a
 * network, written by the engine on the writer thread in one transaction.
 * The audit record (control.c) is one per request: what was asked
 * (target) and how many devices matched and changed (its detail); each
 * device's change is an event naming the old and the new values.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "kics_limits.h"

#define ST_OK		KICS__CONTROL__V1__STATUS__STATUS_OK
#define ST_FAILED	KICS__CONTROL__V1__STATUS__STATUS_FAILED
#define ST_INVALID	KICS__CONTROL__V1__STATUS__STATUS_INVALID

#define DEVICE_ID_TEXT_LEN	24	/* a decimal int64 and its NUL */

/* The state of one device set. */
struct device_set {
	struct admin_task t;
	const char	**keys;		/* the request's, plus id_text */
	size_t		n_keys;
	char		id_text[DEVICE_ID_TEXT_LEN];	/* DeviceArgs.id */
	struct engine_device_result res;
};

/* Whether every value fits and the selection is one of the two forms. */
static int
device_set_check(struct admin_task *t, const Kics__Control__V1__DeviceArgs *a)
{
	const char *v[] = { a->status, a->name, a->category, a->vendor,
	    a->model, a->os_name, a->os_version, a->subnet, a->ip };
	size_t n_keys = a->n_keys + (a->id > 0 ? 1 : 0);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strlen(v[i]) > LIMIT_SHORT_TEXT_LEN)
			goto long_value;
	for (size_t i = 0; i < a->n_keys; i++)
		if (strlen(a->keys[i]) > LIMIT_SHORT_TEXT_LEN)
			goto long_value;
	if ((n_keys == 0) == (a->subnet[0] == '\0')) {
		(void)snprintf(t->message, sizeof(t->message), "give devices "
		    "(id, IP, MAC or name) or a network, not %s",
		    n_keys == 0 ? "neither" : "both");
		return -EINVAL;
	}
	if (n_keys > ENGINE_DEVICE_KEYS) {
		(void)snprintf(t->message, sizeof(t->message), "at most %d "
		    "devices at once (or a network)", ENGINE_DEVICE_KEYS);
		return -EINVAL;
	}
	return 0;
long_value:
	(void)snprintf(t->message, sizeof(t->message), "a value is longer "
	    "than %d bytes", LIMIT_SHORT_TEXT_LEN);
	return -EINVAL;
}

static int
device_set_prepare(struct admin_task *t)
{
	struct device_set *x = (struct device_set *)t;
	const Kics__Control__V1__DeviceArgs *a = t->req->msg->device;
	int r;

	if (a == NULL) {
		(void)snprintf(t->message, sizeof(t->message),
		    "the devices to set are missing");
		return -EINVAL;
	}
	if ((r = device_set_check(t, a)) < 0)
		return r;
	x->keys = xcalloc(a->n_keys + 1, sizeof(*x->keys));
	for (size_t i = 0; i < a->n_keys; i++)
		x->keys[x->n_keys++] = a->keys[i];
	if (a->id > 0) {
		(void)snprintf(x->id_text, sizeof(x->id_text), "%lld",
		    (long long)a->id);
		x->keys[x->n_keys++] = x->id_text;
	}
	return 0;
}

static int
device_set_run(struct admin_task *t, struct engine *e)
{
	struct device_set *x = (struct device_set *)t;
	const Kics__Control__V1__DeviceArgs *a = t->req->msg->device;
	struct engine_device_select sel = {
		.keys = x->keys,
		.n_keys = x->n_keys,
		.subnet = a->subnet[0] != '\0' ? a->subnet : NULL,
	};
	struct engine_device_edit d = {
		.status = a->status,
		.name = a->name,
		.category = a->category,
		.vendor = a->vendor,
		.model = a->model,
		.os_name = a->os_name,
		.os_version = a->os_version,
		.ip = a->ip,
	};
	int r;

	if ((r = engine_device_set(e, &sel, &d, ingest_now_ms(),
	    &x->res)) == -EIO)
		(void)snprintf(t->message, sizeof(t->message), "%s",
		    engine_errmsg(e));
	return r;
}

/* The answer to a refused selection or value. */
static void
device_set_refused(struct device_set *x)
{
	const Kics__Control__V1__DeviceArgs *a = x->t.req->msg->device;
	const char *bad = x->res.bad != NULL ? x->res.bad : "";

	if (x->t.r == -ENOENT && x->res.bad == NULL)
		control_finish(x->t.req, ST_FAILED, "no device has an IP in "
		    "%.64s; nothing changed", a->subnet);
	else if (x->t.r == -ENOENT)
		control_finish(x->t.req, ST_FAILED, "no device matches "
		    "'%.128s'; nothing changed", bad);
	else if (x->t.r == -EEXIST)
		control_finish(x->t.req, ST_FAILED, "%lld devices are named "
		    "'%.128s': give an id, IP or MAC; nothing changed",
		    (long long)x->res.named, bad);
	else if (bad == a->status)
		control_finish(x->t.req, ST_INVALID, "invalid status '%.32s' "
		    "(use authorized, unauthorized or archived)", bad);
	else if (bad == a->ip)
		control_finish(x->t.req, ST_INVALID, "invalid IP '%.64s' (an "
		    "IPv4 or IPv6 address that can identify a device, for "
		    "one device only)", bad);
	else if (bad == a->subnet)
		control_finish(x->t.req, ST_INVALID, "invalid network "
		    "'%.64s' (e.g. 10.1.0.0/16)", bad);
	else
		control_finish(x->t.req, ST_INVALID, "invalid device set "
		    "request");
}

static void
device_set_done(struct admin_task *t)
{
	struct device_set *x = (struct device_set *)t;
	struct control_req *req = t->req;

	if (t->r == -ENOENT || t->r == -EEXIST || t->r == -EINVAL ||
	    t->r == -E2BIG) {
		device_set_refused(x);
		return;
	}
	if (t->r < 0) {
		control_finish(req, ST_FAILED, "%s%s%s; nothing changed",
		    strerror(-t->r), t->message[0] != '\0' ? ": " : "",
		    t->message);
		return;
	}
	req->json = xcalloc(1, 64);
	(void)snprintf(req->json, 64, "{\"matched\":%lld,\"changed\":%lld}",
	    (long long)x->res.matched, (long long)x->res.changed);
	if (x->res.matched == 1)
		control_finish(req, ST_OK, "device %lld %s",
		    (long long)x->res.first_id, x->res.changed > 0 ?
		    "updated" : "unchanged (it had these values)");
	else
		control_finish(req, ST_OK, "%lld of %lld matching devices "
		    "changed", (long long)x->res.changed,
		    (long long)x->res.matched);
}

static void
device_set_fini(struct admin_task *t)
{
	struct device_set *x = (struct device_set *)t;

	free(x->keys);
}

const struct admin_handler admin_device_set = {
	.size = sizeof(struct device_set),
	.prepare = device_set_prepare,
	.run = device_set_run,
	.done = device_set_done,
	.fini = device_set_fini,
};
