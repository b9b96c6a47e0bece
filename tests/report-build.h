/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Builders of AgentReport messages for tests and benchmarks. Everything is
 * allocated with malloc, so rb_free() (protobuf-c's free_unpacked with the
 * default allocator) releases a whole report. Out of memory aborts.
 */
#ifndef KICS_REPORT_BUILD_H
#define KICS_REPORT_BUILD_H

#include <stdint.h>

#include "epp_agent.pb-c.h"

typedef Kics__Epp__V1__AgentReport rb_report;

rb_report *rb_new(const char *agent_id, uint64_t sequence);
void rb_free(rb_report *r);
/* Sets host info with one interface (mac and ip may be NULL). */
Kics__Epp__V1__HostInfo *rb_host(rb_report *r, const char *hostname,
    const char *os_name, const char *os_version, const char *mac,
    const char *ip);
/* Adds an interface to the host. */
void rb_iface(rb_report *r, const char *name, const char *mac,
    const char *ip);
void rb_app(rb_report *r, const char *product, const char *version);
Kics__Epp__V1__EppEvent *rb_event(rb_report *r, const char *event_id,
    const char *category, const char *description);
/* Adds an event attribute. */
void rb_event_attr(Kics__Epp__V1__EppEvent *ev, const char *key,
    const char *value);
Kics__Epp__V1__Connection *rb_conn(rb_report *r, int protocol,
    int direction, const char *remote_ip, const char *remote_mac,
    uint32_t remote_port, uint64_t sent, uint64_t received);

#endif
