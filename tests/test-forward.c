/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of SIEM forwarding (issue 16) below the network: the RFC 5424 and
 * CEF messages with their escaping and severity mapping (forward_format.c),
 * and, on a real SQLite file, connectors and cursors as the writer keeps
 * them and as the forwarder's read-only connection sees them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "forward.h"
#include "store_forward.h"
#include "testutil.h"

static const struct forward_origin origin = { "host-1", 77, "1.2.3" };

/* Checks that fn(s) appends exactly want. */
static void
check_escape(int (*fn)(struct strbuf *, const char *, size_t),
    const char *s, size_t max, const char *want)
{
	struct strbuf b;

	strbuf_init(&b);
	CHECK_EQ(fn(&b, s, max), 0);
	if (strcmp(strbuf_str(&b), want) != 0) {
		(void)fprintf(stderr, "'%s' -> '%s', want '%s'\n", s,
		    strbuf_str(&b), want);
		CHECK(0);
	}
	strbuf_fini(&b);
}

static void
test_sd_escape(void)
{
	/* RFC 5424 6.3.3: only '"', '\' and ']' are escaped */
	check_escape(forward_sd_escape, "a\"b\\c]d", 100, "a\\\"b\\\\c\\]d");
	check_escape(forward_sd_escape, "[x=y] \n|", 100, "[x=y\\] \n|");
	check_escape(forward_sd_escape, "", 100, "");
	check_escape(forward_sd_escape, "]]", 100, "\\]\\]");
	/* a cut never splits a UTF-8 character: "é" is 2 bytes */
	check_escape(forward_sd_escape, "ab\xc3\xa9", 3, "ab");
	check_escape(forward_sd_escape, "ab\xc3\xa9", 4, "ab\xc3\xa9");
}

static void
test_cef_escape(void)
{
	/* header: '|' and '\' escaped, '=' not, line breaks become spaces */
	check_escape(forward_cef_header_escape, "a|b\\c=d\ne\rf", 100,
	    "a\\|b\\\\c=d e f");
	/* extension: '\' and '=' escaped, '|' not, line breaks as \n \r */
	check_escape(forward_cef_ext_escape, "a|b\\c=d\ne\rf", 100,
	    "a|b\\\\c\\=d\\ne\\rf");
	check_escape(forward_cef_ext_escape, "==", 100, "\\=\\=");
}

static void
test_severity(void)
{
	/* local0 (16): critical 2, warning 4, informational 6 */
	CHECK_EQ(forward_pri(3), 130);
	CHECK_EQ(forward_pri(2), 132);
	CHECK_EQ(forward_pri(1), 134);
	CHECK_EQ(forward_cef_severity(3), 9);
	CHECK_EQ(forward_cef_severity(2), 6);
	CHECK_EQ(forward_cef_severity(1), 3);
}

/* An event with every special character in the places that matter. */
static const struct engine_fwd_event tricky = {
	.id = 42,
	.occurred_at_ms = 1700000000123LL,
	.code = 4000005500LL,
	.severity = 3,
	.title = "Attack | on \"plc\" = bad",
	.description = "line1\nline2 \\ ] end",
	.technology = "epp",
	.category = "network_attack",
	.device_id = 5,
	.ip = "10.0.0.1",
	.mac = "aa:bb:cc:dd:ee:ff",
	.hostname = "plc\"1]",
	.tags = "plc,ot",
};

static void
check_message(enum connector_format f, const struct engine_fwd_event *ev,
    const char *want)
{
	struct strbuf b;

	strbuf_init(&b);
	CHECK_EQ(forward_format(&b, f, &origin, ev), 0);
	if (strcmp(strbuf_str(&b), want) != 0) {
		(void)fprintf(stderr, "got  %s\nwant %s\n", strbuf_str(&b),
		    want);
		CHECK(0);
	}
	strbuf_fini(&b);
}

static void
test_rfc5424(void)
{
	struct engine_fwd_event ev = tricky;

	check_message(CONNECTOR_RFC5424, &ev, "<130>1 "
	    "2023-11-14T22:13:20.123Z host-1 kics-epp 77 4000005500 "
	    "[kics@32473 event_id=\"42\" code=\"4000005500\" "
	    "severity=\"critical\" technology=\"epp\" device_id=\"5\" "
	    "ip=\"10.0.0.1\" mac=\"aa:bb:cc:dd:ee:ff\" "
	    "hostname=\"plc\\\"1\\]\" category=\"network_attack\" "
	    "tags=\"plc,ot\"] Attack | on \"plc\" = bad: line1\nline2 \\ ] "
	    "end");
	/* no device, no description, info: PRI 134, empty params */
	ev.device_id = 0;
	ev.ip = ev.mac = ev.hostname = ev.tags = "";
	ev.description = "";
	ev.severity = 1;
	ev.technology = "system";
	check_message(CONNECTOR_RFC5424, &ev, "<134>1 "
	    "2023-11-14T22:13:20.123Z host-1 kics-epp 77 4000005500 "
	    "[kics@32473 event_id=\"42\" code=\"4000005500\" "
	    "severity=\"info\" technology=\"system\" device_id=\"\" ip=\"\" "
	    "mac=\"\" hostname=\"\" category=\"network_attack\" tags=\"\"] "
	    "Attack | on \"plc\" = bad");
}

static void
test_cef(void)
{
	struct engine_fwd_event ev = tricky;

	check_message(CONNECTOR_CEF, &ev, "<130>1 2023-11-14T22:13:20.123Z "
	    "host-1 kics-epp 77 4000005500 - CEF:0|kics-epp|kics-epp|1.2.3|"
	    "4000005500|Attack \\| on \"plc\" = bad|9|externalId=42 "
	    "rt=1700000000123 cat=network_attack src=10.0.0.1 "
	    "smac=aa:bb:cc:dd:ee:ff shost=plc\"1] cs1Label=technology "
	    "cs1=epp cs2Label=tags cs2=plc,ot cn1Label=device_id cn1=5 "
	    "msg=line1\\nline2 \\\\ ] end");
	ev.severity = 2;
	ev.title = "a\\b\nc";
	ev.description = "";
	ev.tags = "";
	ev.device_id = 0;
	check_message(CONNECTOR_CEF, &ev, "<132>1 2023-11-14T22:13:20.123Z "
	    "host-1 kics-epp 77 4000005500 - CEF:0|kics-epp|kics-epp|1.2.3|"
	    "4000005500|a\\\\b c|6|externalId=42 rt=1700000000123 "
	    "cat=network_attack src=10.0.0.1 smac=aa:bb:cc:dd:ee:ff "
	    "shost=plc\"1] cs1Label=technology cs1=epp");
}

static void
test_test_message(void)
{
	struct engine_fwd_event ev = tricky;

	ev.code = 0;
	ev.id = 0;
	ev.severity = 1;
	ev.description = "";
	check_message(CONNECTOR_RFC5424, &ev, "<134>1 "
	    "2023-11-14T22:13:20.123Z host-1 kics-epp 77 test "
	    "[kics@32473 event_id=\"0\" code=\"0\" severity=\"info\" "
	    "technology=\"epp\" device_id=\"5\" ip=\"10.0.0.1\" "
	    "mac=\"aa:bb:cc:dd:ee:ff\" hostname=\"plc\\\"1\\]\" "
	    "category=\"network_attack\" tags=\"plc,ot\"] Attack | on "
	    "\"plc\" = bad");
}

/* store_reader_events(): the ids it was handed, in order. */
struct walk {
	int64_t		ids[64];
	size_t		n;
};

static int
walk_event(void *arg, const struct engine_fwd_event *ev)
{
	struct walk *w = arg;

	CHECK(w->n < 64);
	w->ids[w->n++] = ev->id;
	return 0;
}

static void
test_store(void)
{
	struct engine_connector c = { 0 }, *v = NULL;
	struct engine_connector_progress p = { 0 };
	const char *names[] = { "siem" };
	struct store_reader *rd;
	struct walk w = { { 0 }, 0 };
	int64_t *cur = NULL, id, lo, hi;
	size_t n = 0;
	char err[256], name[] = "siem", address[] = "127.0.0.1";
	char ca[] = "/etc/ssl/ca.pem";
	struct fx f;

	fx_open(&f);
	/* an event before the connector: it forwards from its creation on */
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events"), 0);
	c.name = name;
	c.address = address;
	c.port = 6514;
	c.transport = CONNECTOR_TLS;
	c.ca = ca;
	c.format = CONNECTOR_CEF;
	c.min_severity = 2;
	c.technologies = CONNECTOR_TECH_EPP;
	c.enabled = true;
	CHECK_EQ(engine_connector_add(f.e, &c, 1000, &id), 0);
	CHECK_EQ(engine_connector_add(f.e, &c, 1000, &id), -EEXIST);
	/* the seed adds nothing once the table has rows */
	CHECK_EQ(engine_connectors_seed(f.e, &c, 1, 1000), 0);
	check_text(&f, "SELECT transport || format || min_severity || "
	    "technologies || ca FROM connectors", "tlscef2epp/etc/ssl/ca.pem");
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM event_log WHERE category = "
	    "'connector_changed'"), 1);

	CHECK_EQ(store_reader_open(f.path, err, sizeof(err), &rd), 0);
	CHECK_EQ(store_reader_connectors(rd, &v, &cur, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(cur[0], 0);
	CHECK(strcmp(v[0].name, "siem") == 0 && v[0].port == 6514 &&
	    v[0].transport == CONNECTOR_TLS && v[0].format == CONNECTOR_CEF &&
	    v[0].technologies == CONNECTOR_TECH_EPP);
	engine_connectors_free(v, n);
	free(cur);
	/* the one event there is: connector changed */
	CHECK_EQ(store_reader_events(rd, 0, INT64_MAX, 10, walk_event, &w),
	    1);
	CHECK_EQ(store_reader_bounds(rd, &lo, &hi), 0);
	CHECK(lo == 1 && hi == 1 && w.ids[0] == 1);

	/* progress: the cursor only moves forward; failure registers */
	p.id = id;
	p.cursor = 1;
	p.delivered = 3;
	p.errors = 2;
	p.failed = true;
	(void)snprintf(p.state, sizeof(p.state), "error");
	(void)snprintf(p.last_error, sizeof(p.last_error), "refused");
	CHECK_EQ(engine_connector_progress(f.e, &p, names, 1, 2000), 0);
	p.cursor = 0;
	p.failed = false;
	p.recovered = true;
	p.trimmed = 7;
	(void)snprintf(p.state, sizeof(p.state), "connected");
	p.last_error[0] = '\0';
	CHECK_EQ(engine_connector_progress(f.e, &p, names, 1, 3000), 0);
	check_text(&f, "SELECT event_id || ' ' || delivered || ' ' || trimmed "
	    "|| ' ' || errors || ' ' || state || ' ' || COALESCE(last_error, "
	    "'-') FROM connector_cursors", "1 6 7 4 connected -");
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM events WHERE code BETWEEN "
	    "4900005566 AND 4900005568"), 3);
	/* the reader sees the saved cursor and the new events after it */
	CHECK_EQ(store_reader_connectors(rd, &v, &cur, &n), 0);
	CHECK_EQ(cur[0], 1);
	engine_connectors_free(v, n);
	free(cur);
	w.n = 0;
	CHECK_EQ(store_reader_events(rd, 1, INT64_MAX, 2, walk_event, &w), 2);
	CHECK(w.ids[0] == 2 && w.ids[1] == 3);
	/* none above the bound the daemon gives (the last id on disk) */
	w.n = 0;
	CHECK_EQ(store_reader_events(rd, 1, 2, 10, walk_event, &w), 1);
	CHECK(w.n == 1 && w.ids[0] == 2);
	CHECK_EQ(store_reader_events(rd, 2, 2, 10, walk_event, &w), 0);

	c.id = id;
	CHECK_EQ(engine_connector_remove(f.e, &c, 4000), 0);
	CHECK_EQ(engine_connector_remove(f.e, &c, 4000), -ENOENT);
	CHECK_EQ(q_int(&f, "SELECT COUNT(*) FROM connector_cursors"), 0);
	store_reader_free(rd);
	fx_close(&f);
}

int
main(void)
{
	test_sd_escape();
	test_cef_escape();
	test_severity();
	test_rfc5424();
	test_cef();
	test_test_message();
	test_store();
	(void)printf("test-forward: ok\n");
	return 0;
}
