/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed inputs of fuzz-report and fuzz-control that are not
 * text files: AgentReports packed with protobuf-c (tests/report-build.c)
 * and framed control Requests. Run as
 *   fuzz-seeds tests/fuzz/corpus
 * to regenerate tests/fuzz/corpus/report/ and tests/fuzz/corpus/control/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "report-build.h"
#include "testutil.h"

#define TCP KICS__EPP__V1__CONNECTION__PROTOCOL__TCP
#define UDP KICS__EPP__V1__CONNECTION__PROTOCOL__UDP
#define ICMP KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP
#define OUT KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND
#define IN KICS__EPP__V1__CONNECTION__DIRECTION__INBOUND
#define ACTION(x)	KICS__CONTROL__V1__ACTION__ACTION_##x
#define SEEDS_PATH_LEN	4096

static const char *seeds_dir;

/* protobuf-c's string fields are char *: the texts of the control seeds */
static char seed_empty[] = "";
static char seed_server_name[] = "plant-a";
static char seed_ipv4[] = "192.0.2.10";
static char seed_ipv6[] = "2001:db8::10";
static char seed_password[] = "correct horse battery";
static char seed_package_id[] = "01234567-89ab-cdef-0123-456789abcdef";
static char seed_reason[] = "disk full";
static char seed_user[] = "root";
static char seed_role[] = "operator";
static char seed_status[] = "authorized";
static char seed_device_name[] = "PLC-1";

static void
seeds_write(const char *sub, const char *name, const uint8_t *data,
    size_t len)
{
	char path[SEEDS_PATH_LEN];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s/%s", seeds_dir, sub, name);
	CHECK((f = fopen(path, "wb")) != NULL);
	CHECK(fwrite(data, 1, len, f) == len);
	CHECK(fclose(f) == 0);
}

static void
seeds_report(const char *name, rb_report *r)
{
	size_t len = kics__epp__v1__agent_report__get_packed_size(r);
	uint8_t *buf = malloc(len + 1);

	CHECK(buf != NULL);
	CHECK(kics__epp__v1__agent_report__pack(r, buf) == len);
	seeds_write("report", name, buf, len);
	free(buf);
	rb_free(r);
}

static void
seeds_reports(void)
{
	rb_report *r;
	Kics__Epp__V1__EppEvent *ev;
	Kics__Epp__V1__Connection *k;

	seeds_report("minimal.pb", rb_new("agent-min", 1));

	r = rb_new("agent-host", 7);
	rb_host(r, "ENG-WS-014", "Windows 10 Enterprise", "10.0.19044",
	    "AA-BB-CC-00-00-01", "10.10.0.5/24");
	rb_iface(r, "eth1", "aa:bb:cc:00:00:02", "fe80::1/64");
	rb_app(r, "Kaspersky Endpoint Security", "12.3.0.493");
	seeds_report("host.pb", r);

	r = rb_new("agent-events", 3);
	ev = rb_event(r, "ev-1", "network_attack", "Attack blocked\r\n");
	rb_event_attr(ev, "rule_id", "4711");
	rb_event_attr(ev, "port", "502");
	ev->severity = KICS__EPP__V1__EPP_EVENT__SEVERITY__CRITICAL;
	(void)rb_event(r, "ev-2", "", "no category: the generic type");
	(void)rb_event(r, "ev-3", "untrusted_device", "USB stick");
	seeds_report("events.pb", r);

	r = rb_new("agent-conns", 2);
	rb_host(r, "PLC-GW", "Linux", "6.1", "aa:bb:cc:00:00:10",
	    "192.168.1.10");
	(void)rb_conn(r, TCP, OUT, "192.168.1.20", "aa:bb:cc:00:00:20", 502,
	    1000, 2000);
	k = rb_conn(r, UDP, IN, "192.168.1.30", NULL, 0, 10, 20);
	k->local_port = 161;
	(void)rb_conn(r, ICMP, OUT, "2001:db8::5", NULL, 0, 1, 1);
	seeds_report("connections.pb", r);

	/* refused by validation: sequence 0, a bad MAC */
	r = rb_new("agent-bad", 0);
	rb_host(r, "X", "Linux", "6.1", "zz:11", "10.0.0.1");
	seeds_report("invalid.pb", r);
}

static void
seeds_control(const char *name, const Kics__Control__V1__Request *m)
{
	size_t len = kics__control__v1__request__get_packed_size(m);
	uint8_t *buf = malloc(len + 4);

	CHECK(buf != NULL);
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	CHECK(kics__control__v1__request__pack(m, buf + 4) == len);
	seeds_write("control", name, buf, len + 4);
	free(buf);
}

static void
seeds_controls(void)
{
	Kics__Control__V1__Request m = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__ServerArgs s = KICS__CONTROL__V1__SERVER_ARGS__INIT;
	Kics__Control__V1__PackageArgs p =
	    KICS__CONTROL__V1__PACKAGE_ARGS__INIT;
	Kics__Control__V1__UserArgs u = KICS__CONTROL__V1__USER_ARGS__INIT;
	Kics__Control__V1__DeviceArgs d = KICS__CONTROL__V1__DEVICE_ARGS__INIT;

	m.action = ACTION(STATUS);
	seeds_control("status.bin", &m);

	m.action = ACTION(SERVER_ADD);
	m.server = &s;
	s.name = seed_server_name;
	s.address = seed_ipv4;
	s.port = 8443;
	s.verify_client_cert = KICS__CONTROL__V1__TOGGLE__TOGGLE_ON;
	seeds_control("server-add.bin", &m);
	m.action = ACTION(SERVER_EDIT);
	s.id = 2;
	s.name = seed_empty;
	s.address = seed_ipv6;
	s.port = 0;
	seeds_control("server-edit.bin", &m);
	m.action = ACTION(SERVER_REMOVE);
	s.address = seed_empty;
	s.force = 1;
	seeds_control("server-remove.bin", &m);
	m.server = NULL;

	m.action = ACTION(PACKAGE_CREATE);
	m.package = &p;
	p.server_id = 1;
	p.password.data = (uint8_t *)seed_password;
	p.password.len = strlen(seed_password);
	seeds_control("package-create.bin", &m);
	m.action = ACTION(PACKAGE_DISCARD);
	p.password.len = 0;
	p.package_id = seed_package_id;
	p.reason = seed_reason;
	seeds_control("package-discard.bin", &m);
	m.package = NULL;

	m.action = ACTION(USER_ADD);
	m.user = &u;
	u.name = seed_user;
	u.role = seed_role;
	seeds_control("user-add.bin", &m);
	m.user = NULL;

	m.action = ACTION(DEVICE_SET);
	m.device = &d;
	d.id = 5;
	d.status = seed_status;
	d.name = seed_device_name;
	seeds_control("device-set.bin", &m);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		(void)fprintf(stderr, "usage: fuzz-seeds CORPUS-DIR\n");
		return 2;
	}
	seeds_dir = argv[1];
	seeds_reports();
	seeds_controls();
	return 0;
}
