/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the fixture of the validation tests (validate-fx.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "validate-fx.h"

void
fixture_init(struct fixture *f)
{
	static const char *const ids[NEV] = { "e-0", "e-1", "e-2", "e-3" };
	size_t i;

	memset(f, 0, sizeof(*f));
	kics__epp__v1__agent_report__init(&f->r);
	f->r.agent_id = S("6f1c2e1a-5d5b-4c1e-9a55-0c7b1d2e3f40");
	f->r.sequence = 7;
	f->r.sent_at_ms = 1700000000000;
	f->r.agent_version = S("2.4.1");

	kics__epp__v1__host_info__init(&f->host);
	f->host.hostname = S("plc-eng-01");
	f->host.domain = S("plant.local");
	f->host.os_name = S("Microsoft Windows 10 Pro");
	f->host.os_version = S("10.0.19045");
	f->host.vendor = S("Dell Inc.");
	f->host.model = S("OptiPlex 7090");
	f->host.serial_number = S("5CG1234XYZ");
	f->addrs[0] = S("192.168.1.10/24");
	f->addrs[1] = S("fe80::1c2d:3e4f:5a6b:7c8d%12/64");
	for (i = 0; i < NIF; i++) {
		kics__epp__v1__network_interface__init(&f->nif[i]);
		f->nifp[i] = &f->nif[i];
	}
	f->nif[0].name = S("Ethernet0");
	f->nif[0].mac = S("00-1B-63-84-45-E6");
	f->nif[0].n_addresses = NADDR;
	f->nif[0].addresses = f->addrs;
	f->nif[1].name = S("Loopback");
	f->nif[1].mac = S("");	/* no MAC: allowed */
	f->host.n_interfaces = NIF;
	f->host.interfaces = f->nifp;
	f->r.host = &f->host;

	kics__epp__v1__epp_application__init(&f->app);
	f->app.product = S("Kaspersky Endpoint Security");
	f->app.version = S("12.3.0.493");
	f->app.state = KICS__EPP__V1__EPP_APPLICATION__STATE__RUNNING;
	f->app.realtime_protection = 1;
	f->appp[0] = &f->app;
	f->r.n_applications = 1;
	f->r.applications = f->appp;

	kics__epp__v1__epp_event__attributes_entry__init(&f->attr);
	f->attr.key = S("rule");
	f->attr.value = S("Block SMB\r\n\tfrom outside");
	f->attrp[0] = &f->attr;
	for (i = 0; i < NEV; i++) {
		kics__epp__v1__epp_event__init(&f->ev[i]);
		f->ev[i].event_id = S(ids[i]);
		f->ev[i].occurred_at_ms = 1700000000000 + (int64_t)i;
		f->ev[i].severity = KICS__EPP__V1__EPP_EVENT__SEVERITY__WARNING;
		f->ev[i].category = S("network_attack");
		f->evp[i] = &f->ev[i];
	}
	f->ev[0].title = S("Network attack blocked");
	f->ev[0].description = S("Attack \"Modbus scan\"\nfrom 10.0.0.5");
	f->ev[0].object_path = S("C:\\Windows\\System32\\drivers\\x.sys");
	f->ev[0].threat_name = S("Scan.Generic.Modbus");
	f->ev[0].user_name = S("PLANT\\operator");
	f->ev[0].n_attributes = 1;
	f->ev[0].attributes = f->attrp;
	f->ev[1].category = S("");	/* generic type */
	f->ev[2].severity =
	    KICS__EPP__V1__EPP_EVENT__SEVERITY__SEVERITY_UNSPECIFIED;
	f->r.n_events = NEV;
	f->r.events = f->evp;

	for (i = 0; i < NCONN; i++) {
		kics__epp__v1__connection__init(&f->conn[i]);
		f->connp[i] = &f->conn[i];
	}
	f->conn[0].protocol = KICS__EPP__V1__CONNECTION__PROTOCOL__TCP;
	f->conn[0].direction = KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND;
	f->conn[0].local_address = S("192.168.1.10");
	f->conn[0].local_port = 49832;
	f->conn[0].remote_address = S("192.168.1.20");
	f->conn[0].remote_port = 502;
	f->conn[0].remote_mac = S("aabb.ccdd.eeff");
	f->conn[0].first_seen_ms = 1700000000000;
	f->conn[0].last_seen_ms = 1700000060000;
	f->conn[0].process_name = S("scada.exe");
	f->conn[1].protocol = KICS__EPP__V1__CONNECTION__PROTOCOL__UDP;
	f->conn[1].direction = KICS__EPP__V1__CONNECTION__DIRECTION__INBOUND;
	f->conn[1].local_port = 161;
	f->conn[1].remote_address = S("2001:db8::20");
	f->r.n_connections = NCONN;
	f->r.connections = f->connp;
}

/* Validates f->r and checks the code and, on failure, the exact reason. */
void
expect(struct fixture *f, const char *want)
{
	int r;

	memset(f->reason, 0, sizeof(f->reason));
	strcpy(f->reason, "untouched");
	r = report_validate(&f->r, f->reason, sizeof(f->reason));
	if (want == NULL) {
		if (r != 0) {
			(void)fprintf(stderr, "unexpected failure: %s\n",
			    f->reason);
			CHECK(0);
		}
		CHECK(strcmp(f->reason, "untouched") == 0);
		return;
	}
	CHECK_EQ(r, -EINVAL);
	if (strcmp(f->reason, want) != 0) {
		(void)fprintf(stderr, "reason:  %s\nwanted:  %s\n", f->reason,
		    want);
		CHECK(0);
	}
}

/* A heap string of n copies of c; caller frees. */
char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	CHECK(s != NULL);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

