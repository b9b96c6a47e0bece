/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains what the rule tests share (rules-fx.h). */
#include <string.h>

#include "rules-fx.h"
#include "testutil.h"

/* Loads YAML text that must be valid. */
struct rules *
load(const char *text)
{
	struct rules *r = NULL;
	struct diag *d;
	int rc;

	CHECK((d = diag_new()) != NULL);
	rc = rules_load_string("t.yaml", text, strlen(text), d, &r);
	for (size_t i = 0; i < diag_count(d); i++)
		(void)fprintf(stderr, "%s\n", diag_get(d, i));
	CHECK_EQ(rc, 0);
	CHECK_EQ(diag_count(d), 0);
	CHECK(r != NULL);
	diag_free(d);
	return r;
}

/* A typical event from an HMI: every field set. */
struct rule_event
event(void)
{
	static const char *const keys[] = { "remote_address", "protocol",
	    "device_type" };
	static const char *const values[] = { "198.51.100.7", "TCP",
	    "Mass storage" };
	static const char *const ips[] = { "10.1.2.3", "fd00::5/64" };
	struct rule_event ev = {
		.category = "network_attack",
		.code = 4000005500,
		.product = "Kaspersky Endpoint Security for Windows",
		.severity = SEVERITY_WARNING,
		.title = "Network attack detected",
		.description = "Network attack Intrusion.Generic.Modbus."
		    "UnauthorizedWrite from 198.51.100.7 was blocked.",
		.object_path = "tcp://198.51.100.7:502",
		.threat_name = "Intrusion.Generic.Modbus.UnauthorizedWrite",
		.user_name = "SYSTEM",
		.attr_keys = keys,
		.attr_values = values,
		.n_attrs = 3,
		.hostname = "HMI-01",
		.ip = "192.168.10.20/24",
		.mac = "00-1A-2B-3C-4D-5E",
		.device_category = "workstation",
		.device_ips = ips,
		.n_device_ips = 2,
	};

	return ev;
}

/* Applies rules to ev; returns the result (rule_result_fini() it). */
struct rule_result
apply(struct rules *r, const struct rule_event *ev)
{
	struct rule_result res;

	memset(&res, 0xa5, sizeof(res));
	CHECK_EQ(rules_apply(r, ev, &res), 0);
	return res;
}
