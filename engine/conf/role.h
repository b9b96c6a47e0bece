/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Roles, and the one table of the control protocol's actions: the name
 * kics-query gives each (which is also its command and its audit name) and
 * the least role that may run it. kics-query and the daemon both read it,
 * so the two cannot drift apart.
 */
#ifndef KICS_ROLE_H
#define KICS_ROLE_H

#include <stddef.h>

#include "control.pb-c.h"

enum role {
	ROLE_NONE,
	ROLE_OPERATOR,		/* may only look */
	ROLE_ADMINISTRATOR,	/* may change anything */
	ROLE_MAX
};

/* "none", "operator", "administrator"; "?" out of range. Static. */
const char *role_name(enum role r);
/* Parses "operator" or "administrator"; returns 0 or -EINVAL. */
int role_parse(const char *s, enum role *ret_role);

struct role_action {
	Kics__Control__V1__Action action;
	const char	*name;		/* "server add": command and audit name */
	enum role	role;		/* the least role that may run it */
};

/* The row of action, or NULL for an action not in the table. Static. */
const struct role_action *role_action_find(Kics__Control__V1__Action action);
/* The row called name, or NULL. Static. */
const struct role_action *role_action_by_name(const char *name);

#endif
