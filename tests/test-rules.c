/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the event rules (engine/conf/rules*.c), part one: loading and
 * validation, the shipped and documented examples, "rules test" and "rules
 * list", counters across reloads, and the corpus tests/data/rules. The
 * conditions and actions are in test-rules-match.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "kics_limits.h"
#include "rules.h"
#include "corpus.h"
#include "rules-fx.h"
#include "testutil.h"

/*
 * Loads YAML text that must be refused with exactly the n messages of
 * want, in order.
 */
static void
load_bad(const char *text, const char *const *want, size_t n)
{
	struct rules *r = NULL;
	struct diag *d;

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(rules_load_string("t.yaml", text, strlen(text), d, &r),
	    -EINVAL);
	CHECK(r == NULL);
	for (size_t i = 0; i < diag_count(d); i++)
		(void)fprintf(stderr, "got: %s\n", diag_get(d, i));
	CHECK_EQ(diag_count(d), n);
	for (size_t i = 0; i < n; i++)
		CHECK(strcmp(diag_get(d, i), want[i]) == 0);
	diag_free(d);
}


static void
test_shipped_file(void)
{
	struct rules *f = NULL, *b = NULL;
	struct diag *d;
	char *path = testutil_source_path("conf/rules.yaml");

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(rules_load(path, d, &f), 0);
	CHECK_EQ(rules_load(NULL, d, &b), 0);
	CHECK_EQ(diag_count(d), 0);
	CHECK(rules_count(f) >= 6);
	CHECK_EQ(rules_count(f), rules_count(b));
	for (size_t i = 0; i < rules_count(f); i++) {
		CHECK(strcmp(rules_name(f, i), rules_name(b, i)) == 0);
		CHECK_EQ(rules_matches(f, i), 0);
		CHECK_EQ(rules_drops(f, i), 0);
	}
	rules_free(f);
	rules_free(b);
	diag_free(d);
	free(path);
}

/* The shipped examples do what their comments say. */
static void
test_shipped_examples(void)
{
	static const char *const clean_keys[] = { "threats_found" };
	static const char *const clean_values[] = { "0" };
	static const char *const dirty_values[] = { "3" };
	struct rules *r = NULL;
	struct rule_event ev = event();
	struct rule_result res;
	struct diag *d;

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(rules_load(NULL, d, &r), 0);

	/* A Modbus attack on the control network becomes a PLC attack. */
	ev.ip = "192.0.2.77";
	res = apply(r, &ev);
	CHECK_EQ(res.severity, SEVERITY_CRITICAL);
	CHECK(strcmp(res.title, "PLC attack on HMI-01: Intrusion.Generic."
	    "Modbus.UnauthorizedWrite") == 0);
	CHECK(strcmp(res.tags_json, "[\"site-north\",\"plc\"]") == 0);
	rule_result_fini(&res);

	/* Another attack on an HMI found by its name. */
	ev = event();
	ev.threat_name = "Bruteforce.Generic.RDP.a";
	ev.description = "RDP brute force";
	ev.object_path = "tcp://198.51.100.7:3389";
	res = apply(r, &ev);
	CHECK_EQ(res.severity, SEVERITY_CRITICAL);
	CHECK(strcmp(res.title, "Network attack on controller HMI-01 "
	    "(192.168.10.20): Bruteforce.Generic.RDP.a") == 0);
	CHECK(strcmp(res.tags_json, "[\"controller\"]") == 0);
	rule_result_fini(&res);

	/* EICAR stays information even on an HMI. */
	ev = event();
	ev.category = "threat_detected";
	ev.severity = SEVERITY_CRITICAL;
	ev.threat_name = "EICAR-Test-File";
	res = apply(r, &ev);
	CHECK_EQ(res.severity, SEVERITY_INFO);
	CHECK(res.title == NULL);
	CHECK(strcmp(res.tags_json, "[\"test\"]") == 0);
	rule_result_fini(&res);

	/* Clean scans are dropped, scans with findings are kept. */
	ev = event();
	ev.category = "scan_completed";
	ev.hostname = "office-7";
	ev.attr_keys = clean_keys;
	ev.attr_values = clean_values;
	ev.n_attrs = 1;
	res = apply(r, &ev);
	CHECK(res.drop);
	rule_result_fini(&res);
	ev.attr_values = dirty_values;
	res = apply(r, &ev);
	CHECK(!res.drop);
	CHECK_EQ(res.n_matched, 0);
	rule_result_fini(&res);

	rules_free(r);
	diag_free(d);
}

static void
test_design_examples(void)
{
	struct rules *r = load(
	    "rules:\n"
	    "  - name: escalate-plc-attacks\n"
	    "    match:\n"
	    "      category: [network_attack, firewall_blocked]\n"
	    "      device: 10.0.0.0/8          # IP, CIDR, MAC or hostname\n"
	    "      text: \"*modbus*\"            # glob over title...\n"
	    "      severity: \">=warning\"\n"
	    "    set:\n"
	    "      severity: critical\n"
	    "      title: \"PLC attack on {hostname}: {threat_name}\"\n"
	    "    tags: [plc]\n"
	    "    stop: true\n"
	    "  - name: drop-scan-noise\n"
	    "    match: { category: scan_completed }\n"
	    "    drop: true\n");
	struct rule_event ev = event();
	struct rule_result res;

	CHECK_EQ(rules_count(r), 2);
	CHECK(strcmp(rules_name(r, 0), "escalate-plc-attacks") == 0);
	CHECK(strcmp(rules_name(r, 1), "drop-scan-noise") == 0);
	res = apply(r, &ev);
	CHECK_EQ(res.severity, SEVERITY_CRITICAL);
	CHECK(strcmp(res.title, "PLC attack on HMI-01: "
	    "Intrusion.Generic.Modbus.UnauthorizedWrite") == 0);
	CHECK(strcmp(res.tags_json, "[\"plc\"]") == 0);
	CHECK(!res.drop);
	CHECK_EQ(res.n_matched, 1);
	rule_result_fini(&res);

	/* Below warning: the severity condition fails. */
	ev.severity = SEVERITY_INFO;
	res = apply(r, &ev);
	CHECK_EQ(res.n_matched, 0);
	CHECK_EQ(res.severity, SEVERITY_INFO);
	CHECK(res.title == NULL && res.tags_json == NULL);
	rule_result_fini(&res);

	ev = event();
	ev.category = "scan_completed";
	res = apply(r, &ev);
	CHECK(res.drop);
	CHECK(res.title == NULL && res.tags_json == NULL);
	rule_result_fini(&res);
	CHECK_EQ(rules_matches(r, 0), 1);
	CHECK_EQ(rules_drops(r, 0), 0);
	CHECK_EQ(rules_matches(r, 1), 1);
	CHECK_EQ(rules_drops(r, 1), 1);
	rules_free(r);
}

static void
test_explain(void)
{
	struct rules *r = load(
	    "rules:\n"
	    "  - {name: a, match: {category: network_attack}, tags: [x]}\n"
	    "  - {name: b, match: {category: nope}, tags: [y]}\n"
	    "  - {name: c.2, set: {title: '{threat_name}'}, stop: true}\n"
	    "  - {name: d, drop: true}\n");
	struct rule_event ev = event();
	struct rule_result res;
	char *names = NULL;

	CHECK_EQ(rules_explain(r, &ev, &res, &names), 0);
	CHECK(strcmp(names, "[\"a\",\"c.2\"]") == 0);
	CHECK_EQ(res.n_matched, 2);
	CHECK(strcmp(res.title, ev.threat_name) == 0);
	CHECK(strcmp(res.tags_json, "[\"x\"]") == 0);
	rule_result_fini(&res);
	free(names);
	/* Explaining does not count. */
	for (size_t i = 0; i < rules_count(r); i++)
		CHECK_EQ(rules_matches(r, i), 0);
	CHECK_EQ(rules_explain(NULL, &ev, &res, &names), 0);
	CHECK(strcmp(names, "[]") == 0);
	free(names);
	rules_free(r);
}

static void
test_list_json(void)
{
	struct rules *r = load(
	    "rules:\n"
	    "  - name: all\n"
	    "    match:\n"
	    "      category: [a, \"q\\\"\"]\n"
	    "      code: [1, 2]\n"
	    "      product: 'KES*'\n"
	    "      severity: '>=warning'\n"
	    "      device: ['fd00:0::/16', 10.0.0.0/8, 00-1A-2B-3C-4D-5E, "
	    "'HMI-*']\n"
	    "      device_category: server\n"
	    "      text: '*X*'\n"
	    "      attribute: {usb: [A, b]}\n"
	    "    set: {severity: critical, title: 'T {code}'}\n"
	    "    tags: [p, q]\n"
	    "    stop: true\n"
	    "  - name: d\n"
	    "    drop: true\n");
	struct rule_event ev = event();
	struct rule_result res;
	char *json = NULL;

	res = apply(r, &ev);
	rule_result_fini(&res);
	CHECK_EQ(rules_list_json(r, &json), 0);
	CHECK(strcmp(json, "[{\"name\":\"all\",\"line\":2,\"match\":{"
	    "\"category\":[\"a\",\"q\\\"\"],\"code\":[1,2],"
	    "\"product\":[\"kes*\"],\"severity\":[\"warning\",\"critical\"],"
	    "\"device\":[\"fd00::/16\",\"10.0.0.0/8\",\"00:1a:2b:3c:4d:5e\","
	    "\"hmi-*\"],\"device_category\":[\"server\"],\"text\":[\"*x*\"],"
	    "\"attribute\":{\"usb\":[\"a\",\"b\"]}},"
	    "\"set\":{\"severity\":\"critical\",\"title\":\"T {code}\"},"
	    "\"tags\":[\"p\",\"q\"],\"drop\":false,\"stop\":true,"
	    "\"matches\":0,\"drops\":0},"
	    "{\"name\":\"d\",\"line\":15,\"match\":{},\"set\":{},\"tags\":[],"
	    "\"drop\":true,\"stop\":false,\"matches\":1,\"drops\":1}]") == 0);
	free(json);
	CHECK_EQ(rules_list_json(NULL, &json), 0);
	CHECK(strcmp(json, "[]") == 0);
	free(json);
	rules_free(r);
}

static void
test_counters_carry(void)
{
	struct rules *a = load("rules:\n- {name: x, tags: [t]}\n"
	    "- {name: y, drop: true}\n");
	struct rules *b = load("rules:\n- {name: y, drop: true}\n"
	    "- {name: z, tags: [t]}\n");
	struct rule_event ev = event();
	struct rule_result res;

	res = apply(a, &ev);
	rule_result_fini(&res);
	res = apply(a, &ev);
	rule_result_fini(&res);
	rules_counters_carry(b, a);
	CHECK(strcmp(rules_name(b, 0), "y") == 0);
	CHECK_EQ(rules_matches(b, 0), 2);
	CHECK_EQ(rules_drops(b, 0), 2);
	CHECK_EQ(rules_matches(b, 1), 0);
	rules_counters_carry(b, NULL);
	CHECK_EQ(rules_matches(b, 0), 2);
	rules_free(a);
	rules_free(b);
}

/* Errors are all reported, in file order, with line and column. */
static void
test_errors_inline(void)
{
	static const char *const want_template[] = {
		"t.yaml:3:16: unknown field '{host}' in title template "
		"(expected hostname, ip, mac, category, product, "
		"threat_name, object_path, user_name or code)",
		"t.yaml:3:16: unknown field '{}' in title template "
		"(expected hostname, ip, mac, category, product, "
		"threat_name, object_path, user_name or code)",
		"t.yaml:4:26: unclosed '{' in title template (write '{{' "
		"for a brace)",
		"t.yaml:5:26: '}' without '{' in title template (write '}}' "
		"for a brace)",
	};
	static const char *const want_empty[] = {
		"t.yaml: missing required key 'rules'",
	};
	static const char *const want_root[] = {
		"t.yaml:1:1: expected a mapping with the key 'rules', "
		"not a list",
	};

	load_bad("rules:\n"
	    "- name: a\n"
	    "  set: {title: 'x {host} {} {ip}'}\n"
	    "- {name: b, set: {title: 'x {ip'}}\n"
	    "- {name: c, set: {title: 'x } y'}}\n", want_template, 4);
	load_bad("", want_empty, 1);
	load_bad("- a\n", want_root, 1);
}

static void
test_limits(void)
{
	struct rules *r = NULL;
	struct diag *d;
	char *text, want[128];
	size_t len = 0;

	CHECK((d = diag_new()) != NULL);
	CHECK((text = malloc(64 + (LIMIT_RULES + 1) * 48)) != NULL);
	len += (size_t)sprintf(text, "rules:\n");
	for (size_t i = 0; i < LIMIT_RULES + 1; i++)
		len += (size_t)sprintf(text + len, "- {name: r%zu, tags: "
		    "[t%zu]}\n", i, i);
	CHECK_EQ(rules_load_string("many", text, len, d, &r), -EINVAL);
	CHECK(r == NULL);
	/* Distinct tags run out first, then the number of rules. */
	CHECK_EQ(diag_count(d), LIMIT_RULES - LIMIT_RULES_TAGS + 1);
	CHECK(strcmp(diag_get(d, 0), "many:258:23: more than 256 distinct "
	    "tags in the file") == 0);
	(void)snprintf(want, sizeof(want), "many:%d:3: more than %d rules",
	    LIMIT_RULES + 2, LIMIT_RULES);
	CHECK(strcmp(diag_get(d, diag_count(d) - 1), want) == 0);
	free(text);
	diag_free(d);
}

static void
test_unreadable(void)
{
	struct rules *r = NULL;
	struct diag *d;
	char *dir = testutil_mkdtemp(), path[4200], want[4300];

	CHECK((d = diag_new()) != NULL);
	(void)snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	CHECK_EQ(rules_load(path, d, &r), -ENOENT);
	CHECK(r == NULL);
	(void)snprintf(want, sizeof(want), "%s: cannot read: %s", path,
	    strerror(ENOENT));
	CHECK_EQ(diag_count(d), 1);
	CHECK(strcmp(diag_get(d, 0), want) == 0);
	testutil_rmtree(dir);
	free(dir);
	diag_free(d);
}

/* Reads a whole file into a NUL-terminated string (free()). */
static int
rules_load_obj(const char *path, struct diag *d, void **ret)
{
	struct rules *r = NULL;
	int rc = rules_load(path, d, &r);

	*ret = r;
	return rc;
}

static void
rules_check_ok(void *obj)
{
	CHECK(obj != NULL);
}

static void
rules_free_obj(void *obj)
{
	rules_free(obj);
}

/* One corpus file (tests/corpus.c). */
static int
corpus(const char *path)
{
	static const struct corpus_ops ops = {
		rules_load_obj, rules_check_ok, rules_free_obj,
	};

	return corpus_run(path, &ops);
}

int
main(int argc, char **argv)
{
	if (argc == 2)
		return corpus(argv[1]);
	RUN(test_shipped_file);
	RUN(test_shipped_examples);
	RUN(test_design_examples);
	RUN(test_explain);
	RUN(test_list_json);
	RUN(test_counters_carry);
	RUN(test_errors_inline);
	RUN(test_limits);
	RUN(test_unreadable);
	return 0;
}
