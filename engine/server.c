/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the engine's side of integration servers: seeding
 * them from the configuration at first start, listing them, and recording
 * their certificates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine-private.h"

int
engine_servers_seed(struct engine *e, const struct engine_server_spec *specs,
    size_t n, int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int64_t count = 0, id;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_server_count(e->store, &count)) < 0)
		goto out;
	/* only at first start: later the table is the administrator's */
	for (size_t i = 0; count == 0 && i < n; i++) {
		if ((r = store_server_insert(e->store, &specs[i], now_ms,
		    &id)) < 0)
			goto out;
		(void)snprintf(text, sizeof(text), "integration server %lld "
		    "'%s' added from the configuration: %s port %u%s%s",
		    (long long)id, specs[i].name, specs[i].address,
		    specs[i].port, specs[i].enabled ? "" : ", disabled",
		    specs[i].verify_client_cert ?
		    ", client certificates verified" : "");
		if ((r = event_system(e, EVENT_SERVER_ADDED, 0, 0, NULL, text,
		    now_ms)) < 0)
			goto out;
	}
out:
	if ((r = store_end(e->store, r)) < 0)
		return r;
	return count == 0 ? (int)n : 0;
}

int
engine_servers_list(struct engine *e, struct engine_server **ret_servers,
    size_t *ret_n)
{
	return store_server_list(e->store, ret_servers, ret_n);
}

int
engine_server_set_cert(struct engine *e, int64_t id, const char *serial,
    const char *sha256, int64_t not_after_ms, int64_t now_ms)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	r = store_server_set_cert(e->store, id, serial, sha256, not_after_ms,
	    now_ms);
	return store_end(e->store, r);
}
