/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the destructors of the records of records.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

void
engine_connector_clear(struct engine_connector *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->address);
	free(c->ca);
	c->name = c->address = c->ca = NULL;
}

void
engine_connectors_free(struct engine_connector *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		engine_connector_clear(&v[i]);
	free(v);
}

int
engine_connector_copy(struct engine_connector *dst,
    const struct engine_connector *src)
{
	*dst = *src;
	dst->name = strdup(src->name);
	dst->address = strdup(src->address);
	dst->ca = src->ca != NULL ? strdup(src->ca) : NULL;
	if (dst->name == NULL || dst->address == NULL ||
	    (src->ca != NULL && dst->ca == NULL)) {
		engine_connector_clear(dst);
		return -ENOMEM;
	}
	return 0;
}
