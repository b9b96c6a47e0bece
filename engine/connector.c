/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the engine's side of SIEM connectors: seeding them
 * from the configuration at first start, the administrator's changes, and
 * saving the forwarder's cursors and states with the system events that go
 * with them (connector failed, recovered, events trimmed before delivery).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

/* One line describing c, for system events and the audit. */
static void
connector_describe(char *buf, size_t len, const struct engine_connector *c)
{
	(void)snprintf(buf, len, "%s %s port %u, %s, min_severity %s, "
	    "technologies %s%s%s%s", connector_transport_name(c->transport),
	    c->address, c->port, connector_format_name(c->format),
	    connector_severity_name(c->min_severity),
	    connector_technologies_name(c->technologies),
	    c->ca != NULL ? ", ca " : "", c->ca != NULL ? c->ca : "",
	    c->enabled ? "" : ", disabled");
}

/* Stores c and registers "connector changed" saying how it came. */
static int
connector_insert(struct engine *e, const struct engine_connector *c,
    const char *how, int64_t now_ms, int64_t *ret_id)
{
	char text[ENGINE_SYSTEM_TEXT_LEN], what[1024];
	int r;

	if ((r = store_connector_insert(e->store, c, now_ms, ret_id)) < 0)
		return r;
	connector_describe(what, sizeof(what), c);
	(void)snprintf(text, sizeof(text), "connector %lld '%s' added%s: %s",
	    (long long)*ret_id, c->name, how, what);
	return event_system(e, EVENT_CONNECTOR_CHANGED, 0, 0, NULL, text,
	    now_ms);
}

int
engine_connectors_seed(struct engine *e, const struct engine_connector *v,
    size_t n, int64_t now_ms)
{
	int64_t count = 0, id;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_connector_count(e->store, &count)) < 0)
		goto out;
	/* only when empty: afterwards the table is the administrator's */
	for (size_t i = 0; count == 0 && i < n && r == 0; i++)
		r = connector_insert(e, &v[i], " from the configuration",
		    now_ms, &id);
out:
	if ((r = store_end(e->store, r)) < 0)
		return r;
	return count == 0 ? (int)n : 0;
}

int
engine_connectors_list(struct engine *e, const char *name,
    struct engine_connector **ret_v, size_t *ret_n)
{
	return store_connector_list(e->store, name, ret_v, ret_n);
}

int
engine_connector_add(struct engine *e, const struct engine_connector *c,
    int64_t now_ms, int64_t *ret_id)
{
	int64_t id = 0;
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	r = connector_insert(e, c, "", now_ms, &id);
	if ((r = store_end(e->store, r)) < 0)
		return r;
	*ret_id = id;
	return 0;
}

int
engine_connector_update(struct engine *e, const struct engine_connector *c,
    int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN], what[1024];
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_connector_update(e->store, c)) < 0)
		return store_end(e->store, r);
	connector_describe(what, sizeof(what), c);
	(void)snprintf(text, sizeof(text), "connector %lld '%s' changed: %s",
	    (long long)c->id, c->name, what);
	r = event_system(e, EVENT_CONNECTOR_CHANGED, 0, 0, NULL, text, now_ms);
	return store_end(e->store, r);
}

int
engine_connector_remove(struct engine *e, const struct engine_connector *c,
    int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = store_connector_delete(e->store, c->id)) < 0)
		return store_end(e->store, r);
	(void)snprintf(text, sizeof(text), "connector %lld '%s' removed",
	    (long long)c->id, c->name);
	r = event_system(e, EVENT_CONNECTOR_CHANGED, 0, 0, NULL, text, now_ms);
	return store_end(e->store, r);
}

/* The system events that one connector's progress asks for. */
static int
connector_progress_events(struct engine *e,
    const struct engine_connector_progress *p, const char *name,
    int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int r = 0;

	if (p->failed) {
		(void)snprintf(text, sizeof(text), "connector '%s' cannot "
		    "deliver: %s; retrying with back-off from event %lld",
		    name, p->last_error, (long long)p->cursor + 1);
		r = event_system(e, EVENT_CONNECTOR_FAILED, 0, 0, NULL, text,
		    now_ms);
	}
	if (r == 0 && p->recovered) {
		(void)snprintf(text, sizeof(text), "connector '%s' delivers "
		    "again", name);
		r = event_system(e, EVENT_CONNECTOR_RECOVERED, 0, 0, NULL,
		    text, now_ms);
	}
	if (r == 0 && p->trimmed > 0) {
		(void)snprintf(text, sizeof(text), "connector '%s': %lld "
		    "event(s) were deleted by retention before they could be "
		    "delivered", name, (long long)p->trimmed);
		r = event_system(e, EVENT_CONNECTOR_TRIMMED, 0, 0, NULL, text,
		    now_ms);
	}
	return r;
}

int
engine_connector_progress(struct engine *e,
    const struct engine_connector_progress *v, const char *const *names,
    size_t n, int64_t now_ms)
{
	int r;

	if ((r = store_begin(e->store)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		if ((r = store_connector_progress(e->store, &v[i], now_ms)) < 0)
			break;
		r = connector_progress_events(e, &v[i], names[i], now_ms);
	}
	return store_end(e->store, r);
}
