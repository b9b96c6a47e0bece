/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target of the rules reader: rules_load_string() on the input;
 * a set that loads is then applied to two fixed events (rules_apply() and
 * rules_explain()), listed as JSON and freed, so that what the loader
 * accepts is also what the matcher and "rules list" can handle.
 */
#include <stdlib.h>

#include "diag.h"
#include "fuzz-util.h"
#include "kics_limits.h"
#include "rules.h"

static const char *const fuzz_attr_keys[] = { "rule_id", "port" };
static const char *const fuzz_attr_values[] = { "4711", "502" };
static const char *const fuzz_device_ips[] = { "10.1.2.3", "fe80::1" };

/* An event with every field set, one with only what an event must have. */
static const struct rule_event fuzz_events[] = {
	{
		.category = "network_attack",
		.code = 1001,
		.product = "Kaspersky Endpoint Security",
		.severity = SEVERITY_WARNING,
		.title = "Network attack blocked",
		.description = "Attack from 10.9.8.7 on port 502\r\nblocked",
		.object_path = "C:\\Windows\\System32\\svchost.exe",
		.threat_name = "DoS.Generic.SYNFlood",
		.user_name = "PLANT\\operator",
		.attr_keys = fuzz_attr_keys,
		.attr_values = fuzz_attr_values,
		.n_attrs = 2,
		.hostname = "ENG-WS-014",
		.ip = "10.1.2.3",
		.mac = "aa:bb:cc:00:00:01",
		.device_category = "workstation",
		.device_ips = fuzz_device_ips,
		.n_device_ips = 2,
	},
	{
		.category = "",
		.code = 0,
		.product = "",
		.severity = SEVERITY_INFO,
		.title = "",
		.description = "",
		.object_path = "",
		.threat_name = "",
		.user_name = "",
		.hostname = "",
		.ip = "",
		.mac = "",
		.device_category = "",
	},
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
fuzz_rules_use(struct rules *rules)
{
	struct rule_result res;
	char *json = NULL;

	for (size_t i = 0; i < sizeof(fuzz_events) / sizeof(fuzz_events[0]);
	    i++) {
		if (rules_apply(rules, &fuzz_events[i], &res) < 0)
			abort();
		rule_result_fini(&res);
		if (rules_explain(rules, &fuzz_events[i], &res, &json) < 0)
			abort();
		rule_result_fini(&res);
		free(json);
	}
	if (rules_list_json(rules, &json) < 0)
		abort();
	free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *rules = NULL;
	struct diag *d;

	if (size > LIMIT_YAML_FILE_BYTES)
		return -1;
	if ((d = diag_new()) == NULL)
		abort();
	if (rules_load_string("rules.yaml", (const char *)data, size, d,
	    &rules) == 0) {
		fuzz_rules_use(rules);
		rules_free(rules);
	}
	diag_free(d);
	return 0;
}
