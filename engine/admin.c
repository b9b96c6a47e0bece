/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the engine's side of administration: integration
 * servers added, changed and removed, the certificates of communication
 * data packages, users and the audit log (manual device values are in
 * device_set.c). Each function is one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"
#include "strbuf.h"

int
engine_server_add(struct engine *e, const struct engine_server_spec *spec,
    int64_t now_ms, int64_t *ret_id)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int64_t id = 0;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_server_insert(e->store, spec, now_ms, &id)) < 0)
		return store_end(e->store, r);
	(void)snprintf(text, sizeof(text), "integration server %lld '%s' "
	    "added: %s port %u%s%s", (long long)id, spec->name,
	    spec->address, spec->port, spec->enabled ? "" : ", disabled",
	    spec->verify_client_cert ? ", client certificates verified" : "");
	r = event_system(e, EVENT_SERVER_ADDED, 0, 0, NULL, text, now_ms);
	if ((r = store_end(e->store, r)) < 0)
		return r;
	*ret_id = id;
	return 0;
}

int
engine_server_get(struct engine *e, int64_t id,
    struct engine_server *ret_server)
{
	struct engine_server *v = NULL;
	size_t n = 0;
	int r;

	if ((r = store_server_list(e->store, &v, &n)) < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (v[i].id != id)
			continue;
		*ret_server = v[i];
		/* the strings now belong to the caller */
		v[i].name = v[i].address = v[i].package_id = NULL;
		r = 0;
		break;
	}
	engine_servers_free(v, n);
	return r;
}

int
engine_server_update(struct engine *e, int64_t id,
    const struct engine_server_spec *spec, const char *description,
    int64_t now_ms)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_server_update(e->store, id, spec)) < 0)
		return store_end(e->store, r);
	r = event_system(e, EVENT_SERVER_CHANGED, 0, 0, NULL, description,
	    now_ms);
	return store_end(e->store, r);
}

int
engine_server_remove(struct engine *e, int64_t id, int64_t now_ms,
    char ***ret_serials, size_t *ret_n)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	struct engine_server srv = { 0 };
	char **serials = NULL;
	size_t n = 0;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = engine_server_get(e, id, &srv)) < 0 ||
	    (r = store_cert_revoke_server(e->store, id, NULL, NULL, now_ms,
	    &serials, &n)) < 0 ||
	    (r = store_server_delete(e->store, id)) < 0)
		goto out;
	(void)snprintf(text, sizeof(text), "integration server %lld '%s' "
	    "(%s port %u) removed, %zu certificate(s) revoked",
	    (long long)id, srv.name, srv.address, srv.port, n);
	r = event_system(e, EVENT_SERVER_REMOVED, 0, 0, NULL, text, now_ms);
out:
	engine_server_clear(&srv);
	if ((r = store_end(e->store, r)) < 0) {
		store_strings_free(serials, n);
		return r;
	}
	*ret_serials = serials;
	*ret_n = n;
	return 0;
}

int
engine_server_certs_revoke(struct engine *e, int64_t id,
    const char *keep_serial, int64_t now_ms, char ***ret_serials,
    size_t *ret_n)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	char **serials = NULL;
	size_t n = 0;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_cert_revoke_server(e->store, id, "server", keep_serial,
	    now_ms, &serials, &n)) < 0 || n == 0)
		goto out;
	(void)snprintf(text, sizeof(text), "integration server %lld: %zu "
	    "earlier server certificate(s) revoked", (long long)id, n);
	r = event_system(e, EVENT_SERVER_CHANGED, 0, 0, NULL, text, now_ms);
out:
	if ((r = store_end(e->store, r)) < 0) {
		store_strings_free(serials, n);
		return r;
	}
	*ret_serials = serials;
	*ret_n = n;
	return 0;
}

/*
 * A package is made in two steps so that a package whose file was never
 * written cannot cut off the agents that use the previous one (issue 10):
 * its client certificate is recorded pending, and the earlier client
 * certificates stay valid until the package is activated.
 */
int
engine_package_record(struct engine *e, int64_t server_id,
    const char *package_id, const char *serial, const char *sha256,
    int64_t not_after_ms, int64_t now_ms, char ***ret_revoked,
    size_t *ret_n)
{
	char **serials = NULL;
	size_t n = 0;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	/* a package never activated is abandoned: at most one pending */
	r = store_package_cert_revoke_pending(e->store, server_id, now_ms,
	    &serials, &n);
	if (r == 0)
		r = store_package_cert_insert(e->store, server_id, package_id,
		    serial, sha256, not_after_ms, now_ms);
	if ((r = store_end(e->store, r)) < 0) {
		store_strings_free(serials, n);
		return r;
	}
	*ret_revoked = serials;
	*ret_n = n;
	return 0;
}

int
engine_package_activate(struct engine *e, int64_t server_id,
    const char *package_id, int64_t now_ms, char ***ret_revoked,
    size_t *ret_n)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	char **serials = NULL, *serial = NULL;
	size_t n = 0;
	int64_t created_ms = 0;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_package_cert_activate(e->store, server_id, package_id,
	    &serial, &created_ms)) < 0 ||
	    (r = store_cert_revoke_server(e->store, server_id, "client",
	    serial, now_ms, &serials, &n)) < 0 ||
	    (r = store_server_set_package(e->store, server_id, package_id,
	    created_ms)) < 0)
		goto out;
	(void)snprintf(text, sizeof(text), "communication data package %s "
	    "created for integration server %lld; %zu earlier client "
	    "certificate(s) revoked", package_id, (long long)server_id, n);
	r = event_system(e, EVENT_SERVER_CHANGED, 0, 0, NULL, text, now_ms);
out:
	free(serial);
	if ((r = store_end(e->store, r)) < 0) {
		store_strings_free(serials, n);
		return r;
	}
	*ret_revoked = serials;
	*ret_n = n;
	return 0;
}

int
engine_package_discard(struct engine *e, int64_t server_id,
    const char *package_id, const char *reason, int64_t now_ms,
    char **ret_serial)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	char *serial = NULL;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_package_cert_discard(e->store, server_id, package_id,
	    now_ms, &serial)) < 0)
		goto out;
	(void)snprintf(text, sizeof(text), "communication data package %s "
	    "of integration server %lld discarded: %s", package_id,
	    (long long)server_id, reason);
	r = event_system(e, EVENT_SERVER_CHANGED, 0, 0, NULL, text, now_ms);
out:
	if ((r = store_end(e->store, r)) < 0) {
		free(serial);
		return r;
	}
	*ret_serial = serial;
	return 0;
}

int
engine_agents_connected(struct engine *e, int64_t server_id, int64_t now_ms,
    int64_t *ret_count)
{
	return store_agents_connected(e->store,
	    now_ms - e->cfg.agent_timeout_ms, server_id, ret_count);
}

int
engine_users_list(struct engine *e, struct engine_user **ret_users,
    size_t *ret_n)
{
	return store_user_list(e->store, ret_users, ret_n);
}

int
engine_user_put(struct engine *e, const char *name, const char *role,
    int64_t now_ms)
{
	struct engine_user *users = NULL;
	size_t n = 0;
	bool known = false;
	int r;

	if (strcmp(role, "administrator") != 0 &&
	    strcmp(role, "operator") != 0)
		return -EINVAL;
	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_user_list(e->store, &users, &n)) < 0)
		return store_end(e->store, r);
	for (size_t i = 0; i < n; i++)
		known |= strcmp(users[i].name, name) == 0;
	engine_users_free(users, n);
	if (!known && n >= ENGINE_MAX_USERS)
		return store_end(e->store, -ENOSPC);
	r = store_user_put(e->store, name, role, now_ms);
	return store_end(e->store, r);
}

int
engine_user_remove(struct engine *e, const char *name)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	r = store_user_delete(e->store, name);
	return store_end(e->store, r);
}

int
engine_audit_add(struct engine *e, const struct engine_audit *a)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	r = store_audit_insert(e->store, a);
	return store_end(e->store, r);
}
