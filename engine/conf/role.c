/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the roles and the table of control actions. */
#include <errno.h>
#include <string.h>

#include "role.h"

static const char *const role_names[ROLE_MAX] = {
	[ROLE_NONE] = "none",
	[ROLE_OPERATOR] = "operator",
	[ROLE_ADMINISTRATOR] = "administrator",
};

#define ACTION(x)	KICS__CONTROL__V1__ACTION__ACTION_##x

/* Operators may look (their lookups are audited); the rest is changes. */
static const struct role_action role_actions[] = {
	{ ACTION(STATUS), "status", ROLE_OPERATOR },
	{ ACTION(SERVER_LIST), "server list", ROLE_OPERATOR },
	{ ACTION(USER_LIST), "user list", ROLE_OPERATOR },
	{ ACTION(AUDIT), "audit", ROLE_OPERATOR },
	{ ACTION(AGENT_LIST), "agent list", ROLE_OPERATOR },
	{ ACTION(CONNECTOR_LIST), "connector list", ROLE_OPERATOR },
	{ ACTION(SERVER_ADD), "server add", ROLE_ADMINISTRATOR },
	{ ACTION(SERVER_EDIT), "server edit", ROLE_ADMINISTRATOR },
	{ ACTION(SERVER_ENABLE), "server enable", ROLE_ADMINISTRATOR },
	{ ACTION(SERVER_DISABLE), "server disable", ROLE_ADMINISTRATOR },
	{ ACTION(SERVER_REMOVE), "server remove", ROLE_ADMINISTRATOR },
	/*
	 * One command, three actions (issue 10): the package is made
	 * pending, then activated once kics-query has written it, or
	 * discarded. They share the name, which is what the audit log
	 * shows; by name the first row, the create step, is found.
	 */
	{ ACTION(PACKAGE_CREATE), "package create", ROLE_ADMINISTRATOR },
	{ ACTION(PACKAGE_ACTIVATE), "package create", ROLE_ADMINISTRATOR },
	{ ACTION(PACKAGE_DISCARD), "package create", ROLE_ADMINISTRATOR },
	{ ACTION(USER_ADD), "user add", ROLE_ADMINISTRATOR },
	{ ACTION(USER_REMOVE), "user remove", ROLE_ADMINISTRATOR },
	{ ACTION(DEVICE_SET), "device set", ROLE_ADMINISTRATOR },
	{ ACTION(RULES_RELOAD), "rules reload", ROLE_ADMINISTRATOR },
	{ ACTION(AGENT_RESET), "agent reset", ROLE_ADMINISTRATOR },
	{ ACTION(AGENT_REMOVE), "agent remove", ROLE_ADMINISTRATOR },
	{ ACTION(TRAFFIC_IMPORT), "traffic import", ROLE_ADMINISTRATOR },
	{ ACTION(CONNECTOR_ADD), "connector add", ROLE_ADMINISTRATOR },
	{ ACTION(CONNECTOR_EDIT), "connector edit", ROLE_ADMINISTRATOR },
	{ ACTION(CONNECTOR_REMOVE), "connector remove", ROLE_ADMINISTRATOR },
	{ ACTION(CONNECTOR_TEST), "connector test", ROLE_ADMINISTRATOR },
};

#undef ACTION

const char *
role_name(enum role r)
{
	if (r < 0 || r >= ROLE_MAX)
		return "?";
	return role_names[r];
}

int
role_parse(const char *s, enum role *ret_role)
{
	for (int i = ROLE_OPERATOR; i < ROLE_MAX; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*ret_role = (enum role)i;
			return 0;
		}
	}
	return -EINVAL;
}

const struct role_action *
role_action_find(Kics__Control__V1__Action action)
{
	for (size_t i = 0; i < sizeof(role_actions) / sizeof(role_actions[0]);
	    i++)
		if (role_actions[i].action == action)
			return &role_actions[i];
	return NULL;
}

const struct role_action *
role_action_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(role_actions) / sizeof(role_actions[0]);
	    i++)
		if (strcmp(role_actions[i].name, name) == 0)
			return &role_actions[i];
	return NULL;
}
