/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the destructors of the records of records.h. */
#include <stdlib.h>

#include "records.h"
#include "store.h"

void
engine_servers_free(struct engine_server *servers, size_t n)
{
	if (servers == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(servers[i].name);
		free(servers[i].address);
		free(servers[i].package_id);
	}
	free(servers);
}

void
engine_server_clear(struct engine_server *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->address);
	free(s->package_id);
	s->name = s->address = s->package_id = NULL;
}

void
engine_strings_free(char **v, size_t n)
{
	store_strings_free(v, n);
}

void
engine_users_free(struct engine_user *users, size_t n)
{
	if (users == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(users[i].name);
		free(users[i].role);
	}
	free(users);
}
