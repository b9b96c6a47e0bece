/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the handlers of user add and user remove: the roles
 * of the control socket's users, written by the engine on the writer
 * thread and cached by control.c for the next requests.
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
#define USERS_PWBUF_LEN	16384	/* getpwnam_r buffer */

/* The state of user add and of user remove. */
struct user_add {
	struct admin_task t;
	char		name[LIMIT_CONF_USER_LEN + 1];
	enum role	role;
};

struct user_remove {
	struct admin_task t;
	char		name[LIMIT_CONF_USER_LEN + 1];
};

/* Checks and copies the user name both actions take. */
static int
user_name(struct admin_task *t, char name[LIMIT_CONF_USER_LEN + 1])
{
	const Kics__Control__V1__UserArgs *a = t->req->msg->user;

	if (a == NULL || a->name[0] == '\0' ||
	    strlen(a->name) > LIMIT_CONF_USER_LEN) {
		(void)snprintf(t->message, sizeof(t->message), "a user name of "
		    "1 to %d bytes is required", LIMIT_CONF_USER_LEN);
		return -EINVAL;
	}
	(void)snprintf(name, LIMIT_CONF_USER_LEN + 1, "%s", a->name);
	return 0;
}

/* The answer to an engine error of either action. */
static void
user_failed(struct admin_task *t, const char *name)
{
	if (t->r == -ENOSPC)
		control_finish(t->req, ST_FAILED, "at most %d users",
		    ENGINE_MAX_USERS);
	else if (t->r == -ENOENT)
		control_finish(t->req, ST_FAILED, "no user '%s'", name);
	else
		control_finish(t->req, ST_FAILED, "%s%s%s", strerror(-t->r),
		    t->message[0] != '\0' ? ": " : "", t->message);
}

/* user add ----------------------------------------------------------------- */

static int
user_add_prepare(struct admin_task *t)
{
	struct user_add *x = (struct user_add *)t;
	const char *role;
	struct passwd pw, *res = NULL;
	char *buf;
	int r;

	if ((r = user_name(t, x->name)) < 0)
		return r;
	role = t->req->msg->user->role;
	if (role_parse(role, &x->role) < 0) {
		(void)snprintf(t->message, sizeof(t->message), "role '%.32s' "
		    "is neither administrator nor operator", role);
		return -EINVAL;
	}
	buf = xcalloc(1, USERS_PWBUF_LEN);
	(void)getpwnam_r(x->name, &pw, buf, USERS_PWBUF_LEN, &res);
	free(buf);
	if (res == NULL) {
		(void)snprintf(t->message, sizeof(t->message), "'%s' is not a "
		    "user of this system", x->name);
		return -ENOENT;
	}
	return 0;
}

static int
user_add_run(struct admin_task *t, struct engine *e)
{
	struct user_add *x = (struct user_add *)t;
	int r;

	r = engine_user_put(e, x->name, role_name(x->role), ingest_now_ms());
	if (r == -EIO)
		(void)snprintf(t->message, sizeof(t->message), "%s",
		    engine_errmsg(e));
	return r;
}

static void
user_add_done(struct admin_task *t)
{
	struct user_add *x = (struct user_add *)t;

	if (t->r < 0) {
		user_failed(t, x->name);
		return;
	}
	control_user_set(t->req->ctl, x->name, x->role);
	control_finish(t->req, ST_OK, "user '%s' is %s", x->name,
	    role_name(x->role));
}

const struct admin_handler admin_user_add = {
	.size = sizeof(struct user_add),
	.prepare = user_add_prepare,
	.run = user_add_run,
	.done = user_add_done,
	.fini = NULL,
};

/* user remove -------------------------------------------------------------- */

static int
user_remove_prepare(struct admin_task *t)
{
	return user_name(t, ((struct user_remove *)t)->name);
}

static int
user_remove_run(struct admin_task *t, struct engine *e)
{
	struct user_remove *x = (struct user_remove *)t;
	int r;

	if ((r = engine_user_remove(e, x->name)) == -EIO)
		(void)snprintf(t->message, sizeof(t->message), "%s",
		    engine_errmsg(e));
	return r;
}

static void
user_remove_done(struct admin_task *t)
{
	struct user_remove *x = (struct user_remove *)t;

	if (t->r < 0) {
		user_failed(t, x->name);
		return;
	}
	control_user_set(t->req->ctl, x->name, ROLE_NONE);
	control_finish(t->req, ST_OK, "user '%s' removed", x->name);
}

const struct admin_handler admin_user_remove = {
	.size = sizeof(struct user_remove),
	.prepare = user_remove_prepare,
	.run = user_remove_run,
	.done = user_remove_done,
	.fini = NULL,
};
