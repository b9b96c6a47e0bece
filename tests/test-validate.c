/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine/validate.c: one valid report built in C, then one test
 * per rule that breaks it in one place and checks the code and the reason.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kics_limits.h"
#include "testutil.h"
#include "validate-fx.h"

static void
test_valid_report(void)
{
	struct fixture f;

	fixture_init(&f);
	expect(&f, NULL);
}

static void
test_minimal_report(void)
{
	Kics__Epp__V1__AgentReport r;
	char reason[VALIDATE_REASON_LEN] = "untouched";

	/* a heartbeat: no host, no lists */
	kics__epp__v1__agent_report__init(&r);
	r.agent_id = S("a");
	r.sequence = 1;
	CHECK_EQ(report_validate(&r, reason, sizeof(reason)), 0);
	CHECK(strcmp(reason, "untouched") == 0);
	CHECK_EQ(report_validate(NULL, reason, sizeof(reason)), -EINVAL);
	CHECK(strcmp(reason, "report: missing") == 0);
}

static void
test_decoded_report(void)
{
	Kics__Epp__V1__AgentReport *u;
	struct fixture f;
	uint8_t *buf;
	size_t len;

	/* The same report after a trip over the wire. */
	fixture_init(&f);
	len = kics__epp__v1__agent_report__get_packed_size(&f.r);
	CHECK((buf = malloc(len)) != NULL);
	CHECK_EQ(kics__epp__v1__agent_report__pack(&f.r, buf), len);
	u = kics__epp__v1__agent_report__unpack(NULL, len, buf);
	CHECK(u != NULL);
	CHECK_EQ(report_validate(u, f.reason, sizeof(f.reason)), 0);
	kics__epp__v1__agent_report__free_unpacked(u, NULL);

	/* invalid UTF-8 survives decoding; validation catches it */
	f.host.hostname = S("pc\xc3");
	len = kics__epp__v1__agent_report__get_packed_size(&f.r);
	free(buf);
	CHECK((buf = malloc(len)) != NULL);
	CHECK_EQ(kics__epp__v1__agent_report__pack(&f.r, buf), len);
	u = kics__epp__v1__agent_report__unpack(NULL, len, buf);
	CHECK(u != NULL);
	CHECK_EQ(report_validate(u, f.reason, sizeof(f.reason)), -EINVAL);
	CHECK(strcmp(f.reason,
	    "host.hostname: 'pc\\xc3' is not valid UTF-8") == 0);
	kics__epp__v1__agent_report__free_unpacked(u, NULL);
	free(buf);
}

static void
test_agent_id_missing(void)
{
	struct fixture f;

	fixture_init(&f);
	f.r.agent_id = S("");
	expect(&f, "agent_id: missing");
	f.r.agent_id = NULL;
	expect(&f, "agent_id: missing");
}

static void
test_agent_id_too_long(void)
{
	struct fixture f;
	char *id = repeat('a', LIMIT_AGENT_ID_LEN + 1);

	fixture_init(&f);
	f.r.agent_id = id;
	expect(&f, "agent_id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is "
	    "too long (129 bytes, limit 128)");
	id[LIMIT_AGENT_ID_LEN] = '\0';
	expect(&f, NULL);
	free(id);
}

static void
test_agent_id_printable(void)
{
	struct fixture f;

	fixture_init(&f);
	f.r.agent_id = S("agent 1");
	expect(&f, "agent_id: 'agent 1' is not printable ASCII without "
	    "spaces");
	f.r.agent_id = S("agent\x7f");
	expect(&f, "agent_id: 'agent\\x7f' is not printable ASCII without "
	    "spaces");
	f.r.agent_id = S("агент");
	expect(&f, "agent_id: 'агент' is not printable ASCII without "
	    "spaces");
	f.r.agent_id = S("host-01.plant_a:{7}");
	expect(&f, NULL);
}

static void
test_sequence_zero(void)
{
	struct fixture f;

	fixture_init(&f);
	f.r.sequence = 0;
	expect(&f, "sequence: missing (must be > 0)");
	f.r.sequence = (uint64_t)INT64_MAX;
	expect(&f, NULL);
}

/*
 * Issue 11: a sequence above INT64_MAX was stored as a negative number,
 * after which every report of the agent was acked and discarded.
 */
static void
test_sequence_above_int64_issue11(void)
{
	struct fixture f;

	fixture_init(&f);
	f.r.sequence = UINT64_MAX;
	expect(&f, "sequence: 18446744073709551615 is above "
	    "9223372036854775807");
	f.r.sequence = (uint64_t)INT64_MAX + 1;
	expect(&f, "sequence: 9223372036854775808 is above "
	    "9223372036854775807");
}

static void
test_agent_token(void)
{
	struct fixture f;
	char big[LIMIT_AGENT_TOKEN_LEN + 2];

	fixture_init(&f);
	f.r.agent_token = (char *)"0123456789abcdef0123456789abcdef";
	expect(&f, NULL);
	f.r.agent_token = (char *)"with space";
	expect(&f, "agent_token: not printable ASCII without spaces");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	f.r.agent_token = big;
	expect(&f, "agent_token: too long (65 bytes, limit 64)");
}

static void
test_utf8(void)
{
	struct fixture f;

	fixture_init(&f);
	f.host.hostname = S("Компьютер-日本-😀");
	expect(&f, NULL);
	f.host.hostname = S("ab\xff");
	expect(&f, "host.hostname: 'ab\\xff' is not valid UTF-8");
	f.host.hostname = S("\xc0\xaf");	/* overlong '/' */
	expect(&f, "host.hostname: '\\xc0\\xaf' is not valid UTF-8");
	f.host.hostname = S("\xe0\x80\xaf");	/* overlong, 3 bytes */
	expect(&f, "host.hostname: '\\xe0\\x80\\xaf' is not valid UTF-8");
	f.host.hostname = S("\xed\xa0\x80");	/* surrogate U+D800 */
	expect(&f, "host.hostname: '\\xed\\xa0\\x80' is not valid UTF-8");
	f.host.hostname = S("\xf4\x90\x80\x80");	/* U+110000 */
	expect(&f, "host.hostname: '\\xf4\\x90\\x80\\x80' is not valid "
	    "UTF-8");
	f.host.hostname = S("x\xe6\x97");	/* cut sequence */
	expect(&f, "host.hostname: 'x\\xe6\\x97' is not valid UTF-8");
	fixture_init(&f);
	f.ev[2].description = S("ok\x80");
	expect(&f, "events[2].description: 'ok\\x80' is not valid UTF-8");
}

static void
test_control_characters(void)
{
	struct fixture f;

	fixture_init(&f);
	f.host.model = S("a\tb");
	expect(&f, "host.model: 'a\\x09b' contains a control character");
	f.host.model = S("a\nb");
	expect(&f, "host.model: 'a\\x0ab' contains a control character");
	f.host.model = S("a\x7f");
	expect(&f, "host.model: 'a\\x7f' contains a control character");
	f.host.model = S("a\xc2\x85");	/* C1 NEL */
	expect(&f, "host.model: 'a\\xc2\\x85' contains a control character");
	fixture_init(&f);
	/* long texts may hold tab, LF and CR, but nothing else */
	f.ev[1].description = S("line 1\r\n\tline 2\n");
	f.ev[1].title = S("a\tb");
	f.ev[1].object_path = S("/tmp/a\nb");
	expect(&f, NULL);
	f.ev[1].description = S("bell\a");
	expect(&f, "events[1].description: 'bell\\x07' contains a control "
	    "character");
	fixture_init(&f);
	f.attr.value = S("\x1b[31m");
	expect(&f, "events[0].attributes[0].value: '\\x1b[31m' contains a "
	    "control character");
}

/*
 * Every byte at every place of texts of 1 to 19 bytes (the word loop of
 * printable_ascii() and its tail): printable ASCII passes, every other
 * byte is a control character or broken UTF-8 (a lone byte of 0x80 or
 * more is never valid), so that the check is the same byte by byte.
 */
static void
test_every_byte_everywhere(void)
{
	char text[20], want[160];
	struct fixture f;

	for (size_t len = 1; len < sizeof(text); len++)
		for (size_t at = 0; at < len; at++)
			for (unsigned b = 1; b < 256; b++) {
				memset(text, 'a', len);
				text[len] = '\0';
				text[at] = (char)b;
				fixture_init(&f);
				f.host.model = text;
				if (b >= 0x20 && b < 0x7f) {
					expect(&f, NULL);
					continue;
				}
				memset(f.reason, 0, sizeof(f.reason));
				CHECK(report_validate(&f.r, f.reason,
				    sizeof(f.reason)) < 0);
				(void)snprintf(want, sizeof(want), "host.model: "
				    "'%.*s\\x%02x", (int)at, text, b);
				if (strncmp(f.reason, want, strlen(want)) != 0) {
					(void)fprintf(stderr, "%s\n", f.reason);
					CHECK(0);
				}
			}
}

static void
test_text_lengths(void)
{
	struct fixture f;
	char *s = repeat('x', LIMIT_SHORT_TEXT_LEN + 1);
	char *l = repeat('y', LIMIT_LONG_TEXT_LEN + 1);

	fixture_init(&f);
	f.host.serial_number = s;
	expect(&f, "host.serial_number: "
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
	    "is too long (257 bytes, limit 256)");
	s[LIMIT_SHORT_TEXT_LEN] = '\0';
	expect(&f, NULL);
	/* short fields stay short inside events and connections */
	f.ev[3].threat_name = l;
	expect(&f, "events[3].threat_name: "
	    "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...' "
	    "is too long (8193 bytes, limit 256)");
	f.ev[3].threat_name = S("");
	f.conn[1].process_name = l;
	expect(&f, "connections[1].process_name: 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
	    "yyyyyyyyyyy...' is too long (8193 bytes, limit 256)");
	f.conn[1].process_name = S("");
	f.ev[3].object_path = l;
	expect(&f, "events[3].object_path: "
	    "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...' "
	    "is too long (8193 bytes, limit 8192)");
	l[LIMIT_LONG_TEXT_LEN] = '\0';
	f.ev[3].title = l;
	f.ev[3].description = l;
	f.attr.value = l;
	expect(&f, NULL);
	free(s);
	free(l);
}

static void
test_list_limits(void)
{
	struct fixture f;
	size_t big = LIMIT_CONNECTIONS + 1, i;
	void **many = calloc(big, sizeof(*many));

	CHECK(many != NULL);
	fixture_init(&f);
	for (i = 0; i < big; i++)
		many[i] = &f.nif[0];
	f.host.interfaces = (Kics__Epp__V1__NetworkInterface **)many;
	f.host.n_interfaces = LIMIT_INTERFACES;
	expect(&f, NULL);
	f.host.n_interfaces = LIMIT_INTERFACES + 1;
	expect(&f, "host.interfaces: 65 entries, limit 64");

	fixture_init(&f);
	for (i = 0; i < big; i++)
		many[i] = S("10.0.0.1");
	f.nif[1].addresses = (char **)many;
	f.nif[1].n_addresses = LIMIT_ADDRESSES;
	expect(&f, NULL);
	f.nif[1].n_addresses = LIMIT_ADDRESSES + 1;
	expect(&f, "host.interfaces[1].addresses: 65 entries, limit 64");

	fixture_init(&f);
	for (i = 0; i < big; i++)
		many[i] = &f.app;
	f.r.applications = (Kics__Epp__V1__EppApplication **)many;
	f.r.n_applications = LIMIT_APPLICATIONS;
	expect(&f, NULL);
	f.r.n_applications = LIMIT_APPLICATIONS + 1;
	expect(&f, "applications: 33 entries, limit 32");

	fixture_init(&f);
	for (i = 0; i < big; i++)
		many[i] = &f.attr;
	f.ev[2].attributes =
	    (Kics__Epp__V1__EppEvent__AttributesEntry **)many;
	f.ev[2].n_attributes = LIMIT_EVENT_ATTRIBUTES;
	expect(&f, NULL);
	f.ev[2].n_attributes = LIMIT_EVENT_ATTRIBUTES + 1;
	expect(&f, "events[2].attributes: 65 entries, limit 64");

	fixture_init(&f);
	for (i = 0; i < big; i++)
		many[i] = &f.conn[i % 2];
	f.r.connections = (Kics__Epp__V1__Connection **)many;
	f.r.n_connections = LIMIT_CONNECTIONS;
	expect(&f, NULL);
	f.r.n_connections = LIMIT_CONNECTIONS + 1;
	expect(&f, "connections: 5001 entries, limit 5000");
	free(many);
}

static void
test_event_limit(void)
{
	size_t n = LIMIT_EVENTS + 1, i;
	Kics__Epp__V1__EppEvent *ev = calloc(n, sizeof(*ev));
	Kics__Epp__V1__EppEvent **evp = calloc(n, sizeof(*evp));
	char (*ids)[16] = calloc(n, sizeof(*ids));
	struct fixture f;

	CHECK(ev != NULL && evp != NULL && ids != NULL);
	for (i = 0; i < n; i++) {
		kics__epp__v1__epp_event__init(&ev[i]);
		/* ids in an order that sorting has to rearrange */
		(void)snprintf(ids[i], sizeof(ids[i]), "ev-%zu",
		    (i * 7919) % n);
		ev[i].event_id = ids[i];
		evp[i] = &ev[i];
	}
	fixture_init(&f);
	f.r.events = evp;
	f.r.n_events = LIMIT_EVENTS;
	expect(&f, NULL);
	f.r.n_events = LIMIT_EVENTS + 1;
	expect(&f, "events: 1001 entries, limit 1000");
	/* a repeat far apart in a full list */
	f.r.n_events = LIMIT_EVENTS;
	ev[998].event_id = ev[3].event_id;
	(void)snprintf(f.reason, sizeof(f.reason), "events[998].event_id: "
	    "'%s' repeats events[3].event_id", ids[3]);
	{
		char want[VALIDATE_REASON_LEN];

		memcpy(want, f.reason, sizeof(want));
		expect(&f, want);
	}
	free(ids);
	free(evp);
	free(ev);
}

static void
test_null_entries(void)
{
	struct fixture f;

	fixture_init(&f);
	f.nifp[1] = NULL;
	expect(&f, "host.interfaces[1]: missing");
	fixture_init(&f);
	f.addrs[1] = NULL;
	expect(&f, "host.interfaces[0].addresses[1]: missing");
	fixture_init(&f);
	f.appp[0] = NULL;
	expect(&f, "applications[0]: missing");
	fixture_init(&f);
	f.evp[2] = NULL;
	expect(&f, "events[2]: missing");
	fixture_init(&f);
	f.attrp[0] = NULL;
	expect(&f, "events[0].attributes[0]: missing");
	fixture_init(&f);
	f.connp[1] = NULL;
	expect(&f, "connections[1]: missing");
}

static void
test_interface_mac(void)
{
	struct fixture f;

	fixture_init(&f);
	f.nif[1].mac = S("zz:11");
	expect(&f, "host.interfaces[1].mac: 'zz:11' is not a MAC address");
	f.nif[1].mac = S("aa:bb:cc:dd:ee:ff:00");
	expect(&f, "host.interfaces[1].mac: 'aa:bb:cc:dd:ee:ff:00' is not a "
	    "MAC address");
	/* syntax only: a non-identifying MAC is still a MAC */
	f.nif[1].mac = S("00:00:00:00:00:00");
	expect(&f, NULL);
	f.nif[1].mac = S("AABBCCDDEEFF");
	expect(&f, NULL);
}

static void
test_interface_addresses(void)
{
	struct fixture f;

	fixture_init(&f);
	f.addrs[1] = S("10.0.0.1/33");
	expect(&f, "host.interfaces[0].addresses[1]: '10.0.0.1/33' is not an "
	    "IP address with optional /prefix");
	f.addrs[1] = S("2001:db8::1/129");
	expect(&f, "host.interfaces[0].addresses[1]: '2001:db8::1/129' is not "
	    "an IP address with optional /prefix");
	f.addrs[1] = S("eth0");
	expect(&f, "host.interfaces[0].addresses[1]: 'eth0' is not an IP "
	    "address with optional /prefix");
	f.addrs[1] = S("");
	expect(&f, "host.interfaces[0].addresses[1]: missing");
	f.addrs[1] = S("::ffff:192.168.1.10");
	expect(&f, NULL);
	f.addrs[1] = S("2001:db8::1/64");
	expect(&f, NULL);
}

static void
test_application(void)
{
	struct fixture f;

	fixture_init(&f);
	f.app.product = S("");
	expect(&f, "applications[0].product: missing");
	fixture_init(&f);
	f.app.state = (Kics__Epp__V1__EppApplication__State)7;
	expect(&f, "applications[0].state: 7 is not RUNNING, STOPPED or "
	    "FAILED");
	f.app.state = KICS__EPP__V1__EPP_APPLICATION__STATE__STATE_UNSPECIFIED;
	expect(&f, NULL);
	f.app.state = KICS__EPP__V1__EPP_APPLICATION__STATE__FAILED;
	f.app.version = S("");
	expect(&f, NULL);
}

static void
test_event_id(void)
{
	struct fixture f;
	char *id = repeat('i', LIMIT_SHORT_TEXT_LEN + 1);

	fixture_init(&f);
	f.ev[3].event_id = S("");
	expect(&f, "events[3].event_id: missing");
	f.ev[3].event_id = id;
	expect(&f, "events[3].event_id: "
	    "'iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii...' "
	    "is too long (257 bytes, limit 256)");
	free(id);
}

static void
test_event_severity(void)
{
	struct fixture f;

	fixture_init(&f);
	f.ev[1].severity = (Kics__Epp__V1__EppEvent__Severity)4;
	expect(&f, "events[1].severity: 4 is not INFO, WARNING or CRITICAL");
	f.ev[1].severity = (Kics__Epp__V1__EppEvent__Severity)-1;
	expect(&f, "events[1].severity: -1 is not INFO, WARNING or CRITICAL");
	f.ev[1].severity = KICS__EPP__V1__EPP_EVENT__SEVERITY__CRITICAL;
	expect(&f, NULL);
}

static void
test_event_category_optional(void)
{
	struct fixture f;

	fixture_init(&f);
	f.ev[0].category = S("");
	f.ev[3].category = NULL;
	expect(&f, NULL);
	f.ev[3].category = S("network\tattack");
	expect(&f, "events[3].category: 'network\\x09attack' contains a "
	    "control character");
}

static void
test_event_attribute_key(void)
{
	struct fixture f;

	fixture_init(&f);
	f.attr.key = S("");
	expect(&f, "events[0].attributes[0].key: missing");
	f.attr.key = S("k");
	f.attr.value = S("");
	expect(&f, NULL);
}

static void
test_event_id_duplicate(void)
{
	struct fixture f;

	fixture_init(&f);
	f.ev[3].event_id = S("e-1");
	expect(&f, "events[3].event_id: 'e-1' repeats events[1].event_id");
	/* the earliest repeat is reported, naming the first use */
	fixture_init(&f);
	f.ev[1].event_id = S("x");
	f.ev[3].event_id = S("x");
	f.ev[2].event_id = S("e-0");
	expect(&f, "events[2].event_id: 'e-0' repeats events[0].event_id");
	fixture_init(&f);
	f.ev[1].event_id = S("x");
	f.ev[2].event_id = S("x");
	f.ev[3].event_id = S("x");
	expect(&f, "events[2].event_id: 'x' repeats events[1].event_id");
	/* ids differ by case: distinct */
	fixture_init(&f);
	f.ev[3].event_id = S("E-1");
	expect(&f, NULL);
}

int
main(void)
{
	RUN(test_valid_report);
	RUN(test_minimal_report);
	RUN(test_decoded_report);
	RUN(test_agent_id_missing);
	RUN(test_agent_id_too_long);
	RUN(test_agent_id_printable);
	RUN(test_sequence_zero);
	RUN(test_sequence_above_int64_issue11);
	RUN(test_agent_token);
	RUN(test_utf8);
	RUN(test_control_characters);
	RUN(test_every_byte_everywhere);
	RUN(test_text_lengths);
	RUN(test_list_limits);
	RUN(test_event_limit);
	RUN(test_null_entries);
	RUN(test_interface_mac);
	RUN(test_interface_addresses);
	RUN(test_application);
	RUN(test_event_id);
	RUN(test_event_severity);
	RUN(test_event_category_optional);
	RUN(test_event_attribute_key);
	RUN(test_event_id_duplicate);
	return 0;
}
