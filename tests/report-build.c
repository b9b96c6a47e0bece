/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the AgentReport builders of tests and benchmarks. */
#include <stdlib.h>
#include <string.h>

#include "report-build.h"
#include "testutil.h"

static void *
rb_alloc(size_t n)
{
	void *p = calloc(1, n);

	CHECK(p != NULL);
	return p;
}

static char *
rb_strdup(const char *s)
{
	char *p = strdup(s != NULL ? s : "");

	CHECK(p != NULL);
	return p;
}

/* Appends item to a protobuf-c repeated field (array + count). */
static void
rb_push(void ***array, size_t *n, void *item)
{
	void **p = realloc(*array, (*n + 1) * sizeof(*p));

	CHECK(p != NULL);
	p[(*n)++] = item;
	*array = p;
}

rb_report *
rb_new(const char *agent_id, uint64_t sequence)
{
	rb_report *r = rb_alloc(sizeof(*r));

	kics__epp__v1__agent_report__init(r);
	r->agent_id = rb_strdup(agent_id);
	r->sequence = sequence;
	r->sent_at_ms = testutil_now_ms();
	r->agent_version = rb_strdup("7.1.0.42");
	return r;
}

void
rb_free(rb_report *r)
{
	if (r != NULL)
		kics__epp__v1__agent_report__free_unpacked(r, NULL);
}

void
rb_iface(rb_report *r, const char *name, const char *mac, const char *ip)
{
	Kics__Epp__V1__NetworkInterface *ni = rb_alloc(sizeof(*ni));

	kics__epp__v1__network_interface__init(ni);
	ni->name = rb_strdup(name);
	ni->mac = rb_strdup(mac);
	if (ip != NULL)
		rb_push((void ***)&ni->addresses, &ni->n_addresses,
		    rb_strdup(ip));
	rb_push((void ***)&r->host->interfaces, &r->host->n_interfaces, ni);
}

Kics__Epp__V1__HostInfo *
rb_host(rb_report *r, const char *hostname, const char *os_name,
    const char *os_version, const char *mac, const char *ip)
{
	Kics__Epp__V1__HostInfo *h = rb_alloc(sizeof(*h));

	kics__epp__v1__host_info__init(h);
	h->hostname = rb_strdup(hostname);
	h->domain = rb_strdup("plant.local");
	h->os_name = rb_strdup(os_name);
	h->os_version = rb_strdup(os_version);
	h->vendor = rb_strdup("Dell Inc.");
	h->model = rb_strdup("OptiPlex 7090");
	h->serial_number = rb_strdup("5CD1234XYZ");
	r->host = h;
	if (mac != NULL || ip != NULL)
		rb_iface(r, "eth0", mac, ip);
	return h;
}

void
rb_app(rb_report *r, const char *product, const char *version)
{
	Kics__Epp__V1__EppApplication *a = rb_alloc(sizeof(*a));

	kics__epp__v1__epp_application__init(a);
	a->product = rb_strdup(product);
	a->version = rb_strdup(version);
	a->state = KICS__EPP__V1__EPP_APPLICATION__STATE__RUNNING;
	a->realtime_protection = 1;
	a->bases_date_ms = testutil_now_ms() - 3600000;
	rb_push((void ***)&r->applications, &r->n_applications, a);
}

Kics__Epp__V1__EppEvent *
rb_event(rb_report *r, const char *event_id, const char *category,
    const char *description)
{
	Kics__Epp__V1__EppEvent *ev = rb_alloc(sizeof(*ev));

	kics__epp__v1__epp_event__init(ev);
	ev->event_id = rb_strdup(event_id);
	ev->occurred_at_ms = testutil_now_ms();
	ev->category = rb_strdup(category);
	ev->product = rb_strdup("Kaspersky Endpoint Security");
	ev->title = rb_strdup("");
	ev->description = rb_strdup(description);
	ev->object_path = rb_strdup("C:\\Windows\\Temp\\payload.exe");
	ev->threat_name = rb_strdup("HEUR:Trojan.Win32.Generic");
	ev->user_name = rb_strdup("PLANT\\operator");
	rb_push((void ***)&r->events, &r->n_events, ev);
	return ev;
}

void
rb_event_attr(Kics__Epp__V1__EppEvent *ev, const char *key,
    const char *value)
{
	Kics__Epp__V1__EppEvent__AttributesEntry *a = rb_alloc(sizeof(*a));

	kics__epp__v1__epp_event__attributes_entry__init(a);
	a->key = rb_strdup(key);
	a->value = rb_strdup(value);
	rb_push((void ***)&ev->attributes, &ev->n_attributes, a);
}

Kics__Epp__V1__Connection *
rb_conn(rb_report *r, int protocol, int direction, const char *remote_ip,
    const char *remote_mac, uint32_t remote_port, uint64_t sent,
    uint64_t received)
{
	Kics__Epp__V1__Connection *k = rb_alloc(sizeof(*k));
	long long now = testutil_now_ms();

	kics__epp__v1__connection__init(k);
	k->protocol = (Kics__Epp__V1__Connection__Protocol)protocol;
	k->direction = (Kics__Epp__V1__Connection__Direction)direction;
	k->local_address = rb_strdup("");
	k->local_port = 49152;
	k->remote_address = rb_strdup(remote_ip);
	k->remote_port = remote_port;
	k->remote_mac = rb_strdup(remote_mac);
	k->packets_sent = sent;
	k->packets_received = received;
	k->bytes_sent = sent * 100;
	k->bytes_received = received * 100;
	k->first_seen_ms = now - 60000;
	k->last_seen_ms = now - 1000;
	k->process_name = rb_strdup("svchost.exe");
	rb_push((void ***)&r->connections, &r->n_connections, k);
	return k;
}
