/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the event rules (engine/conf/rules*.c), part two: every
 * condition and action, order, stop and drop with counters, the title
 * templates, and the matching rate. Loading is in test-rules.c.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "kics_limits.h"
#include "rules.h"
#include "rules-fx.h"
#include "testutil.h"

/* True when the single rule in text matches ev (it must add tag "m"). */
static bool
matches(const char *text, const struct rule_event *ev)
{
	struct rules *r = load(text);
	struct rule_result res = apply(r, ev);
	bool hit = res.n_matched == 1;

	CHECK(hit == (res.tags_json != NULL));
	if (hit)
		CHECK(strcmp(res.tags_json, "[\"m\"]") == 0);
	rule_result_fini(&res);
	rules_free(r);
	return hit;
}

/* Builds a one-rule file with "match: {cond}" and tags [m]. */
static bool
match_cond(const char *cond, const struct rule_event *ev)
{
	char text[1024];

	(void)snprintf(text, sizeof(text), "rules:\n  - name: r\n"
	    "    match: {%s}\n    tags: [m]\n", cond);
	return matches(text, ev);
}

static void
test_category_code_product(void)
{
	struct rule_event ev = event();

	CHECK(match_cond("category: network_attack", &ev));
	CHECK(!match_cond("category: network", &ev));
	CHECK(!match_cond("category: Network_Attack", &ev));
	CHECK(match_cond("category: [a, b, network_attack]", &ev));
	CHECK(!match_cond("category: [a, b]", &ev));
	CHECK(match_cond("code: 4000005500", &ev));
	CHECK(match_cond("code: [1, 4000005500]", &ev));
	CHECK(!match_cond("code: 4000005501", &ev));
	CHECK(match_cond("product: 'kaspersky*'", &ev));
	CHECK(match_cond("product: '*FOR WINDOWS'", &ev));
	CHECK(!match_cond("product: 'kaspersky'", &ev));
	CHECK(match_cond("product: [x, '*endpoint*']", &ev));
	CHECK(match_cond("device_category: workstation", &ev));
	CHECK(match_cond("device_category: [server, workstation]", &ev));
	CHECK(!match_cond("device_category: server", &ev));
	ev.category = NULL;
	ev.product = NULL;
	ev.device_category = NULL;
	CHECK(!match_cond("category: network_attack", &ev));
	CHECK(!match_cond("product: 'k*'", &ev));
	CHECK(!match_cond("device_category: server", &ev));
	/* A NULL text is empty, which '*' matches. */
	CHECK(match_cond("product: '*'", &ev));
}

static void
test_severity(void)
{
	static const struct {
		const char	*cond;
		bool		 want[3];	/* info, warning, critical */
	} cases[] = {
		{ "info", { true, false, false } },
		{ "=warning", { false, true, false } },
		{ "'>=warning'", { false, true, true } },
		{ "'<=warning'", { true, true, false } },
		{ "'>info'", { false, true, true } },
		{ "'<critical'", { true, true, false } },
		{ "'>= critical'", { false, false, true } },
		{ "[info, critical]", { true, false, true } },
	};
	struct rule_event ev = event();
	char cond[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(cond, sizeof(cond), "severity: %s",
		    cases[i].cond);
		for (int s = 0; s < 3; s++) {
			ev.severity = (enum severity)(SEVERITY_INFO + s);
			CHECK(match_cond(cond, &ev) == cases[i].want[s]);
		}
	}
	/* Not a valid severity: no severity condition holds. */
	ev.severity = (enum severity)0;
	CHECK(!match_cond("severity: '<=critical'", &ev));
}

static void
test_device(void)
{
	struct rule_event ev = event();
	static const char *const many[] = { "a", "b", "c", "d", "e", "f",
	    "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
	    "172.16.5.5" };

	/* ev.ip with a prefix, then the device's other addresses. */
	CHECK(match_cond("device: 192.168.10.20", &ev));
	CHECK(match_cond("device: 192.168.10.0/24", &ev));
	CHECK(!match_cond("device: 192.168.11.0/24", &ev));
	CHECK(match_cond("device: 10.0.0.0/8", &ev));
	CHECK(match_cond("device: 'fd00::/8'", &ev));
	CHECK(match_cond("device: 'fd00::5'", &ev));
	CHECK(!match_cond("device: 'fe80::/10'", &ev));
	CHECK(match_cond("device: '::ffff:10.1.2.3'", &ev));
	CHECK(match_cond("device: '::/0'", &ev));
	/* MACs in any spelling. */
	CHECK(match_cond("device: '00:1a:2b:3c:4d:5e'", &ev));
	CHECK(match_cond("device: 001A.2B3C.4D5E", &ev));
	CHECK(match_cond("device: 001a2b3c4d5e", &ev));
	CHECK(!match_cond("device: '00:1a:2b:3c:4d:5f'", &ev));
	/* Host-name globs, without regard to case. */
	CHECK(match_cond("device: 'hmi-*'", &ev));
	CHECK(match_cond("device: 'HMI-0[0-9]'", &ev));
	CHECK(match_cond("device: hmi-01", &ev));
	CHECK(!match_cond("device: 'scada-*'", &ev));
	/* Any item. */
	CHECK(match_cond("device: [scada-1, 10.1.2.0/24]", &ev));
	CHECK(match_cond("device: [scada-1, '00:1a:2b:3c:4d:5e']", &ev));
	CHECK(!match_cond("device: [scada-1, 10.1.3.0/24, "
	    "'00:1a:2b:3c:4d:5f']", &ev));

	/* A device without name, MAC or addresses matches none of them. */
	ev.hostname = NULL;
	ev.mac = "garbage";
	ev.ip = NULL;
	ev.n_device_ips = 0;
	CHECK(!match_cond("device: '*'", &ev));
	CHECK(!match_cond("device: '00:1a:2b:3c:4d:5e'", &ev));
	CHECK(!match_cond("device: '::/0'", &ev));
	/* More addresses than the per-run cache holds. */
	ev.device_ips = many;
	ev.n_device_ips = sizeof(many) / sizeof(many[0]);
	CHECK(match_cond("device: 172.16.0.0/12", &ev));
	CHECK(!match_cond("device: 172.17.0.0/16", &ev));
}

static void
test_text(void)
{
	struct rule_event ev = event();
	char *long_text;

	CHECK(match_cond("text: '*modbus*'", &ev));		/* threat */
	CHECK(match_cond("text: 'NETWORK ATTACK DETECTED'", &ev)); /* title */
	CHECK(match_cond("text: '*was blocked.'", &ev)); /* description */
	CHECK(match_cond("text: 'tcp://*:502'", &ev));		/* path */
	CHECK(!match_cond("text: 'modbus'", &ev));		/* whole text */
	CHECK(match_cond("text: [nothing, '*:50[0-9]']", &ev));
	CHECK(!match_cond("text: '*:50[!2]'", &ev));
	CHECK(match_cond("text: 'intrusion.generic.modbus.?nauthorizedwrite'",
	    &ev));
	/* The user name is not one of the texts. */
	CHECK(!match_cond("text: system", &ev));
	/* A backslash is an ordinary character: Windows paths. */
	ev.object_path = "C:\\Windows\\System32\\evil.exe";
	CHECK(match_cond("text: 'c:\\windows\\*'", &ev));
	CHECK(match_cond("text: '*\\evil.exe'", &ev));
	/* Texts longer than the stack buffer are still matched. */
	CHECK((long_text = malloc(50001)) != NULL);
	memset(long_text, 'A', 50000);
	memcpy(long_text + 49990, "MODBUS", 6);
	long_text[50000] = '\0';
	ev = event();
	ev.title = NULL;
	ev.threat_name = NULL;
	ev.object_path = NULL;
	ev.description = long_text;
	CHECK(match_cond("text: '*aamodbusaaaa'", &ev));
	CHECK(!match_cond("text: '*nomatch*'", &ev));
	free(long_text);
	/* No text at all: not even '*'. */
	ev.description = NULL;
	CHECK(!match_cond("text: '*'", &ev));
}

/*
 * Text globs agree with fnmatch() on lowercased text for thousands of
 * small patterns and texts over a few letters, so that matches are common:
 * every shape (exact, prefix, suffix, substring, and '?' for fnmatch()),
 * with texts short enough for the byte-pair filter to rule out some globs
 * and let others through. A small PRNG keeps them the same each run.
 */
static void
test_text_globs_agree(void)
{
	static const char alphabet[] = "abAB-1";
	struct rule_event ev = event();
	uint32_t x = 88172645u;
	char pat[16], lower[16], text[16], lower_text[16], yaml[128];
	size_t hits = 0, misses = 0;

	ev.description = NULL;
	ev.object_path = NULL;
	ev.threat_name = NULL;
	for (int i = 0; i < 400; i++) {
		struct rules *r;
		size_t n = 0, lit;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		lit = 1 + x % 4;
		if (x / 4 % 5 == 1 || x / 4 % 5 == 3)
			pat[n++] = '*';
		for (size_t k = 0; k < lit; k++)
			pat[n++] = x / 32 % 9 == k ? '?' :
			    alphabet[(x >> (8 + 3 * k)) % 6];
		if (x / 4 % 5 >= 2)
			pat[n++] = '*';
		pat[n] = '\0';
		(void)snprintf(yaml, sizeof(yaml), "rules:\n  - name: r\n"
		    "    match: {text: '%s'}\n    tags: [m]\n", pat);
		r = load(yaml);
		for (size_t k = 0; k <= n; k++)
			lower[k] = (char)(pat[k] >= 'A' && pat[k] <= 'Z' ?
			    pat[k] - 'A' + 'a' : pat[k]);
		for (int j = 0; j < 25; j++) {
			struct rule_result res;
			size_t len;
			bool want;

			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			len = 1 + x % 10;
			for (size_t k = 0; k < len; k++) {
				text[k] = alphabet[(x >> (4 + 2 * k)) % 6];
				lower_text[k] = (char)(text[k] >= 'A' &&
				    text[k] <= 'Z' ? text[k] - 'A' + 'a' :
				    text[k]);
			}
			text[len] = lower_text[len] = '\0';
			ev.title = text;
			want = fnmatch(lower, lower_text, FNM_NOESCAPE) == 0;
			res = apply(r, &ev);
			if ((res.n_matched == 1) != want) {
				(void)fprintf(stderr, "glob '%s', text '%s': "
				    "%zu matched, fnmatch() says %d\n", pat,
				    text, res.n_matched, want);
				CHECK(0);
			}
			if (want)
				hits++;
			else
				misses++;
			rule_result_fini(&res);
		}
		rules_free(r);
	}
	CHECK(hits > 500 && misses > 500);
}

static void
test_attribute(void)
{
	struct rule_event ev = event();

	CHECK(match_cond("attribute: {protocol: TCP}", &ev));
	CHECK(match_cond("attribute: {protocol: tcp}", &ev));
	CHECK(match_cond("attribute: {device_type: '*storage'}", &ev));
	CHECK(match_cond("attribute: {protocol: [UDP, TCP]}", &ev));
	CHECK(!match_cond("attribute: {protocol: UDP}", &ev));
	/* Every key must hold. */
	CHECK(match_cond("attribute: {protocol: TCP, remote_address: "
	    "'198.51.100.*'}", &ev));
	CHECK(!match_cond("attribute: {protocol: TCP, remote_address: "
	    "'10.*'}", &ev));
	/* A missing attribute does not match, not even '*'. */
	CHECK(!match_cond("attribute: {usb_class: '*'}", &ev));
	/* Names are exact. */
	CHECK(!match_cond("attribute: {Protocol: TCP}", &ev));
	ev.n_attrs = 0;
	CHECK(!match_cond("attribute: {protocol: TCP}", &ev));
}

/* All conditions must hold; no match matches everything. */
static void
test_all_conditions(void)
{
	struct rule_event ev = event();

	CHECK(match_cond("category: network_attack, code: 4000005500, "
	    "product: 'kaspersky*', severity: warning, device: 'hmi-*', "
	    "device_category: workstation, text: '*modbus*', "
	    "attribute: {protocol: TCP}", &ev));
	CHECK(!match_cond("category: network_attack, code: 4000005500, "
	    "product: 'kaspersky*', severity: warning, device: 'hmi-*', "
	    "device_category: workstation, text: '*modbus*', "
	    "attribute: {protocol: UDP}", &ev));
	CHECK(!match_cond("category: network_attack, device: 'plc-*'",
	    &ev));
	CHECK(match_cond("", &ev));
	CHECK(matches("rules:\n- {name: r, tags: [m]}\n", &ev));
	CHECK(matches("rules:\n- {name: r, match: ~, tags: [m]}\n", &ev));
}

/* Every template field, braces, and missing values. */
static void
test_title_template(void)
{
	static const struct {
		const char	*tmpl;
		const char	*want;
	} cases[] = {
		{ "{hostname}", "HMI-01" },
		{ "{ip}", "192.168.10.20" },
		{ "{mac}", "00:1a:2b:3c:4d:5e" },
		{ "{category}", "network_attack" },
		{ "{product}", "Kaspersky Endpoint Security for Windows" },
		{ "{threat_name}",
		    "Intrusion.Generic.Modbus.UnauthorizedWrite" },
		{ "{object_path}", "tcp://198.51.100.7:502" },
		{ "{user_name}", "SYSTEM" },
		{ "{code}", "4000005500" },
		{ "{{{code}}} {{x}} a}}b", "{4000005500} {x} a}b" },
		{ "plain", "plain" },
		{ "{hostname}{ip}", "HMI-01192.168.10.20" },
	};
	static const char *const fields[] = { "hostname", "ip", "mac",
	    "category", "product", "threat_name", "object_path", "user_name" };
	static const char *const ips[] = { "::FFFF:10.9.8.7" };
	struct rule_event ev = event(), empty;
	struct rule_result res;
	struct rules *r;
	char text[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(text, sizeof(text), "rules:\n- name: t\n"
		    "  set: {title: '%s'}\n", cases[i].tmpl);
		r = load(text);
		res = apply(r, &ev);
		CHECK(res.title != NULL);
		CHECK(strcmp(res.title, cases[i].want) == 0);
		CHECK(res.tags_json == NULL);
		rule_result_fini(&res);
		rules_free(r);
	}

	/* Fields the event does not have render as "unknown". */
	memset(&empty, 0, sizeof(empty));
	empty.ip = "";
	empty.mac = "";
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		(void)snprintf(text, sizeof(text), "rules:\n- name: t\n"
		    "  set: {title: 'x {%s} y'}\n", fields[i]);
		r = load(text);
		res = apply(r, &empty);
		CHECK(strcmp(res.title, "x unknown y") == 0);
		rule_result_fini(&res);
		rules_free(r);
	}

	/* No ev.ip: the device's first address, canonical. */
	ev.ip = NULL;
	ev.device_ips = ips;
	ev.mac = "not a mac";
	r = load("rules:\n- name: t\n  set: {title: '{ip} {mac}'}\n");
	res = apply(r, &ev);
	CHECK(strcmp(res.title, "10.9.8.7 not a mac") == 0);
	rule_result_fini(&res);
	rules_free(r);
}

/* Rules in file order: later ones see and override earlier severity. */
static void
test_order_and_stop(void)
{
	struct rules *r = load(
	    "rules:\n"
	    "  - name: up\n"
	    "    match: {severity: warning}\n"
	    "    set: {severity: critical, title: first}\n"
	    "    tags: [a, b]\n"
	    "  - name: sees-critical\n"
	    "    match: {severity: critical}\n"
	    "    set: {title: 'second {hostname}'}\n"
	    "    tags: [c, a]\n"
	    "  - name: stopper\n"
	    "    match: {category: network_attack}\n"
	    "    tags: [b, d]\n"
	    "    stop: true\n"
	    "  - name: never-after-stop\n"
	    "    set: {severity: info}\n"
	    "    tags: [e]\n");
	struct rule_event ev = event();
	struct rule_result res;

	res = apply(r, &ev);
	CHECK_EQ(res.n_matched, 3);
	CHECK_EQ(res.severity, SEVERITY_CRITICAL);
	CHECK(strcmp(res.title, "second HMI-01") == 0);
	CHECK(strcmp(res.tags_json, "[\"a\",\"b\",\"c\",\"d\"]") == 0);
	CHECK(!res.drop);
	rule_result_fini(&res);

	/* Not an attack: no stop, so the last rule applies. */
	ev.category = "threat_detected";
	res = apply(r, &ev);
	CHECK_EQ(res.n_matched, 3);
	CHECK_EQ(res.severity, SEVERITY_INFO);
	CHECK(strcmp(res.tags_json, "[\"a\",\"b\",\"c\",\"e\"]") == 0);
	rule_result_fini(&res);

	CHECK_EQ(rules_matches(r, 0), 2);
	CHECK_EQ(rules_matches(r, 1), 2);
	CHECK_EQ(rules_matches(r, 2), 1);
	CHECK_EQ(rules_matches(r, 3), 1);
	for (size_t i = 0; i < 4; i++)
		CHECK_EQ(rules_drops(r, i), 0);
	rules_free(r);
}

static void
test_drop_counters(void)
{
	struct rules *r = load(
	    "rules:\n"
	    "  - name: tag\n"
	    "    tags: [seen]\n"
	    "  - name: drop-scans\n"
	    "    match: {category: scan_completed}\n"
	    "    drop: true\n"
	    "  - name: after\n"
	    "    set: {severity: critical}\n"
	    "  - name: keep-false\n"
	    "    match: {category: x}\n"
	    "    tags: [t]\n"
	    "    drop: false\n");
	struct rule_event ev = event();
	struct rule_result res;

	ev.category = "scan_completed";
	for (int i = 0; i < 5; i++) {
		res = apply(r, &ev);
		CHECK(res.drop);
		CHECK_EQ(res.n_matched, 2);
		CHECK(res.title == NULL && res.tags_json == NULL);
		rule_result_fini(&res);
	}
	ev.category = "x";
	res = apply(r, &ev);
	CHECK(!res.drop);
	CHECK_EQ(res.n_matched, 3);
	CHECK_EQ(res.severity, SEVERITY_CRITICAL);
	CHECK(strcmp(res.tags_json, "[\"seen\",\"t\"]") == 0);
	rule_result_fini(&res);
	CHECK_EQ(rules_matches(r, 0), 6);
	CHECK_EQ(rules_drops(r, 0), 0);
	CHECK_EQ(rules_matches(r, 1), 5);
	CHECK_EQ(rules_drops(r, 1), 5);
	CHECK_EQ(rules_matches(r, 2), 1);
	CHECK_EQ(rules_matches(r, 3), 1);
	CHECK_EQ(rules_drops(r, 3), 0);
	rules_free(r);
}

/* No rules: the event goes through unchanged, with nothing allocated. */
static void
test_no_rules(void)
{
	struct rule_event ev = event();
	struct rule_result res;
	struct rules *r = load("rules: []\n");

	CHECK_EQ(rules_count(r), 0);
	res = apply(r, &ev);
	CHECK_EQ(res.severity, SEVERITY_WARNING);
	CHECK(res.title == NULL && res.tags_json == NULL && !res.drop);
	CHECK_EQ(res.n_matched, 0);
	rules_free(r);
	res = apply(NULL, &ev);
	CHECK_EQ(res.severity, SEVERITY_WARNING);
	CHECK_EQ(res.n_matched, 0);
	CHECK_EQ(rules_count(NULL), 0);
	rules_free(load("rules:\n"));
	rules_free(NULL);
	rule_result_fini(NULL);
}

/* Condition i of the throughput test: five kinds in turn. */
static void
rule_kind(char *buf, size_t len, size_t i)
{
	switch (i % 5) {
	case 0:
		(void)snprintf(buf, len, "{category: [c%zu, other], "
		    "severity: '>=warning'}", i);
		break;
	case 1:
		(void)snprintf(buf, len, "{device: [10.%zu.0.0/16, "
		    "'fd%02zx::/16'], severity: [warning, critical]}", i, i);
		break;
	case 2:
		(void)snprintf(buf, len, "{text: '*needle%zu*'}", i);
		break;
	case 3:
		(void)snprintf(buf, len, "{device: 'plc-%zu-*', attribute: "
		    "{usb: mass}}", i);
		break;
	default:
		(void)snprintf(buf, len, "{product: 'vendor%zu*', code: 1}",
		    i);
		break;
	}
}

/*
 * Not a timed test: 100 rules of the kinds a plant would write, none of
 * which (or a few of which) match, over 100,000 events. Prints the rate.
 */
static void
test_throughput(void)
{
	struct rule_event ev = event();
	struct rule_result res;
	struct {
		char	*p;
		size_t	 len;
	} t = { NULL, 0 };
	struct rules *r;
	char cond[128];
	long long t0, t1;
	size_t n_events = 100000, hits = 0;

	CHECK((t.p = malloc(100 * 256 + 16)) != NULL);
	t.len = (size_t)sprintf(t.p, "rules:\n");
	for (size_t i = 0; i < 100; i++) {
		rule_kind(cond, sizeof(cond), i);
		t.len += (size_t)sprintf(t.p + t.len, "- {name: r%zu, match: "
		    "%s, set: {severity: critical, title: 'R {hostname}'}, "
		    "tags: [t%zu]}\n", i, cond, i % 7);
	}
	r = load(t.p);
	CHECK_EQ(rules_count(r), 100);
	ev.n_device_ips = 0;
	t0 = testutil_now_ms();
	for (size_t i = 0; i < n_events; i++) {
		CHECK_EQ(rules_apply(r, &ev, &res), 0);
		hits += res.n_matched;
		rule_result_fini(&res);
	}
	t1 = testutil_now_ms();
	CHECK_EQ(hits, 0);
	(void)fprintf(stderr, "   100 rules x %zu events, no match: %lld ms "
	    "(%.0f events/s)\n", n_events, t1 - t0, (double)n_events * 1000 /
	    (double)(t1 - t0 > 0 ? t1 - t0 : 1));

	/* Now every event matches one rule of each kind. */
	ev.category = "c0";
	ev.ip = "10.1.0.9";
	ev.description = "a needle2 in it";
	t0 = testutil_now_ms();
	for (size_t i = 0; i < n_events; i++) {
		CHECK_EQ(rules_apply(r, &ev, &res), 0);
		hits += res.n_matched;
		rule_result_fini(&res);
	}
	t1 = testutil_now_ms();
	CHECK_EQ(hits, 3 * n_events);
	CHECK_EQ(rules_matches(r, 0), n_events);
	(void)fprintf(stderr, "   100 rules x %zu events, 3 matches: %lld ms "
	    "(%.0f events/s)\n", n_events, t1 - t0, (double)n_events * 1000 /
	    (double)(t1 - t0 > 0 ? t1 - t0 : 1));
	rules_free(r);
	free(t.p);
}

int
main(void)
{
	RUN(test_category_code_product);
	RUN(test_severity);
	RUN(test_device);
	RUN(test_text);
	RUN(test_text_globs_agree);
	RUN(test_attribute);
	RUN(test_all_conditions);
	RUN(test_title_template);
	RUN(test_order_and_stop);
	RUN(test_drop_counters);
	RUN(test_no_rules);
	RUN(test_throughput);
	return 0;
}
