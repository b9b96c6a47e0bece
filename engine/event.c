/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the registration of events: EPP events typed by the
 * event-type list (code, title, default severity), the engine's own system
 * events, and new devices with their "device added" event and limit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine-private.h"
#include "kics_limits.h"
#include "rules.h"
#include "strbuf.h"

int
event_system(struct engine *e, const char *category, int64_t device_id,
    int64_t agent_ref, const char *hostname, const char *description,
    int64_t now_ms)
{
	const struct event_type *t = event_types_find(e->types, category);
	struct store_event ev = {
		.agent_ref = agent_ref,
		.device_id = device_id,
		.occurred_at_ms = now_ms,
		.registered_at_ms = now_ms,
		.code = t->code,
		.title = t->title,
		.severity = (int)t->severity,
		.technology = "system",
		.category = category,
		.description = description,
		.hostname = hostname,
	};
	int r = store_event_insert(e->store, &ev);

	if (r > 0 && t->severity >= SEVERITY_WARNING)
		r = store_device_mark_severity(e->store, device_id,
		    t->severity == SEVERITY_WARNING ? now_ms : 0,
		    t->severity == SEVERITY_CRITICAL ? now_ms : 0);
	return r < 0 ? r : 0;
}

int
event_device_label(struct engine *e, int64_t id, char *buf, size_t len,
    char *host, size_t hostlen)
{
	struct store_device d;
	const char *name;
	int r;

	if ((r = store_device_get(e->store, id, &d)) == -ENOENT) {
		(void)snprintf(buf, len, "device %lld", (long long)id);
		if (host != NULL)
			host[0] = '\0';
		return 0;
	}
	if (r < 0)
		return r;
	/* as map_nodes names it */
	name = d.attr[STORE_ATTR_NAME] != NULL ? d.attr[STORE_ATTR_NAME] :
	    d.attr[STORE_ATTR_HOSTNAME] != NULL ? d.attr[STORE_ATTR_HOSTNAME] :
	    d.ip != NULL ? d.ip : d.mac;
	if (name != NULL)
		(void)snprintf(buf, len, "device %lld '%.256s'", (long long)id,
		    name);
	else
		(void)snprintf(buf, len, "device %lld", (long long)id);
	if (host != NULL)
		(void)snprintf(host, hostlen, "%s",
		    d.attr[STORE_ATTR_HOSTNAME] != NULL ?
		    d.attr[STORE_ATTR_HOSTNAME] : "");
	store_device_clear(&d);
	return 0;
}

int
event_device_added(struct engine *e, enum store_source source,
    const char *what, bool enforce_limit, int64_t now_ms,
    int64_t *ret_device_id)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int64_t id;
	int r;

	if (e->device_count < 0 &&
	    (r = store_device_count(e->store, &e->device_count)) < 0)
		return r;
	if (enforce_limit && e->device_count >= (int64_t)e->cfg.max_devices) {
		if (now_ms - e->device_limit_event_ms < ENGINE_NOTICE_MS)
			return -ENOSPC;
		(void)snprintf(text, sizeof(text), "the device table holds "
		    "%lld devices that are not archived (max_devices %u): new "
		    "devices such as %s are not added",
		    (long long)e->device_count,
		    e->cfg.max_devices, what);
		if ((r = event_system(e, EVENT_DEVICE_LIMIT, 0, 0, NULL, text,
		    now_ms)) < 0)
			return r;
		e->device_limit_event_ms = now_ms;
		return -ENOSPC;
	}
	if ((r = store_device_insert(e->store, source, now_ms, &id)) < 0)
		return r;
	e->device_count++;
	(void)snprintf(text, sizeof(text), "new device %lld detected from %s "
	    "data: %s", (long long)id, store_source_names[source], what);
	if ((r = event_system(e, EVENT_DEVICE_ADDED, id, 0, NULL, text,
	    now_ms)) < 0)
		return r;
	*ret_device_id = id;
	return 0;
}

/* The agent's attributes map as a JSON object, or NULL when empty. */
static int
event_attributes(const Kics__Epp__V1__EppEvent *ev, struct strbuf *b)
{
	if (ev->n_attributes == 0)
		return 0;
	(void)strbuf_append(b, "{");
	for (size_t i = 0; i < ev->n_attributes; i++) {
		if (i > 0)
			(void)strbuf_append(b, ",");
		(void)strbuf_json_string(b, ev->attributes[i]->key);
		(void)strbuf_append(b, ":");
		(void)strbuf_json_string(b, ev->attributes[i]->value != NULL ?
		    ev->attributes[i]->value : "");
	}
	return strbuf_append(b, "}");
}

static bool
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* The device's IPs a rule's device condition looks at. */
#define EVENT_RULE_IPS	16

/*
 * Runs the rules over one event (DESIGN.md "Event types and rules"):
 * fills ret with the severity, title and tags to store, or drop.
 */
static int
event_rules(struct report_ctx *c, const Kics__Epp__V1__EppEvent *ev,
    const struct store_event *se, struct rule_result *ret)
{
	const char *keys[LIMIT_EVENT_ATTRIBUTES], *values[LIMIT_EVENT_ATTRIBUTES];
	const char *ips[EVENT_RULE_IPS];
	const Kics__Epp__V1__HostInfo *h = c->r->host;
	struct rule_event re = {
		.category = ev->category,
		.code = se->code,
		.product = ev->product,
		.severity = (enum severity)se->severity,
		.title = ev->title,
		.description = ev->description,
		.object_path = ev->object_path,
		.threat_name = ev->threat_name,
		.user_name = ev->user_name,
		.attr_keys = keys,
		.attr_values = values,
		.hostname = c->device.attr[STORE_ATTR_HOSTNAME],
		.ip = c->device.ip,
		.mac = c->device.mac,
		.device_category = c->device.attr[STORE_ATTR_CATEGORY] != NULL ?
		    c->device.attr[STORE_ATTR_CATEGORY] : c->device.category,
		.device_ips = ips,
	};

	for (size_t i = 0; i < ev->n_attributes &&
	    re.n_attrs < LIMIT_EVENT_ATTRIBUTES; i++) {
		keys[re.n_attrs] = ev->attributes[i]->key;
		values[re.n_attrs++] = ev->attributes[i]->value != NULL ?
		    ev->attributes[i]->value : "";
	}
	/* re.ip is looked at too; these are the report's own addresses */
	for (size_t i = 0; h != NULL && i < h->n_interfaces; i++)
		for (size_t j = 0; j < h->interfaces[i]->n_addresses &&
		    re.n_device_ips < EVENT_RULE_IPS; j++)
			ips[re.n_device_ips++] = h->interfaces[i]->addresses[j];
	return rules_apply(c->e->rules, &re, ret);
}

/* Stores one EPP event; a repeated (agent, event_id) changes nothing. */
static int
event_apply_one(struct report_ctx *c, const Kics__Epp__V1__EppEvent *ev,
    struct strbuf *attrs, struct strbuf *desc, int64_t ret_latest[4])
{
	struct rule_result rr = { .severity = SEVERITY_INFO };
	const struct event_type *t = event_types_find(c->e->types,
	    ev->category);
	struct store_event se = {
		.event_id = ev->event_id,
		.agent_ref = c->agent_ref,
		.device_id = c->device_id,
		.occurred_at_ms = ev->occurred_at_ms > 0 ? ev->occurred_at_ms :
		    c->now_ms,
		.registered_at_ms = c->now_ms,
		.code = t->code,
		.title = t->title,
		.severity = ev->severity >= 1 && ev->severity <= 3 ?
		    (int)ev->severity : (int)t->severity,
		.technology = "epp",
		.category = ev->category,
		.product = ev->product,
		.agent_title = ev->title,
		.object_path = ev->object_path,
		.threat_name = ev->threat_name,
		.user_name = ev->user_name,
		.hostname = c->device.attr[STORE_ATTR_HOSTNAME],
	};
	int r;

	/* the agent's own title is kept and searchable with the text */
	if (!empty(ev->title) && !empty(ev->description)) {
		(void)strbuf_append(desc, ev->title);
		(void)strbuf_append(desc, ": ");
		if ((r = strbuf_append(desc, ev->description)) < 0)
			return r;
		se.description = strbuf_str(desc);
	} else
		se.description = !empty(ev->description) ? ev->description :
		    ev->title;
	if (c->e->rules != NULL) {
		if ((r = event_rules(c, ev, &se, &rr)) < 0)
			goto out;
		if (rr.drop)
			goto out;	/* counted by the rule */
		se.severity = (int)rr.severity;
		if (rr.title != NULL)
			se.title = rr.title;
		se.tags = rr.tags_json;
	}
	if ((r = event_attributes(ev, attrs)) < 0)
		goto out;
	if (attrs->len > 0)
		se.attributes = strbuf_str(attrs);
	r = store_event_insert(c->e->store, &se);
	if (r > 0) {
		/* the latest of each severity, for security_state */
		if (se.severity >= 2 && se.severity <= 3 &&
		    se.occurred_at_ms > ret_latest[se.severity])
			ret_latest[se.severity] = se.occurred_at_ms;
		r = 0;
	}
out:
	rule_result_fini(&rr);
	return r;
}

int
event_apply_epp(struct report_ctx *c)
{
	int64_t latest[4] = { 0 };	/* by severity */
	struct strbuf attrs, desc;
	int r = 0;

	strbuf_init(&attrs);
	strbuf_init(&desc);
	for (size_t i = 0; i < c->r->n_events && r == 0; i++) {
		strbuf_reset(&attrs);
		strbuf_reset(&desc);
		r = event_apply_one(c, c->r->events[i], &attrs, &desc,
		    latest);
	}
	/* one update per report rather than one per event */
	if (r == 0)
		r = store_device_mark_severity(c->e->store, c->device_id,
		    latest[SEVERITY_WARNING], latest[SEVERITY_CRITICAL]);
	strbuf_fini(&attrs);
	strbuf_fini(&desc);
	return r;
}
