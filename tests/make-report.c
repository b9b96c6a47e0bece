/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper for test-daemon.sh: writes one packed AgentReport (or, with
 * --decode-ack / --decode-error, prints a ReportAck or ErrorReply read from
 * stdin as "key=value" lines that a shell script can compare).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epp_agent.pb-c.h"

#define MAKE_REPORT_MAX_EVENTS	100	/* --events */
#define MAKE_REPORT_MAX_INPUT	(1024 * 1024)	/* --decode-* input */

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: make-report --agent ID --seq N [--mac MAC] [--ip IP]\n"
	    "           [--hostname H] [--events N] [--event-prefix P]\n"
	    "           [--token T] [--tcp-to IP:PORT]\n"
	    "       make-report --decode-ack | --decode-error < body\n");
	exit(2);
}

static uint8_t *
read_all(FILE *f, size_t *ret_len)
{
	uint8_t *buf = malloc(MAKE_REPORT_MAX_INPUT);
	size_t len;

	if (buf == NULL)
		exit(1);
	len = fread(buf, 1, MAKE_REPORT_MAX_INPUT, f);
	*ret_len = len;
	return buf;
}

static int
decode(bool ack)
{
	size_t len;
	uint8_t *buf = read_all(stdin, &len);
	int r = 1;

	if (ack) {
		Kics__Epp__V1__ReportAck *a;

		a = kics__epp__v1__report_ack__unpack(NULL, len, buf);
		if (a != NULL) {
			(void)printf("acked_sequence=%" PRIu64 "\n"
			    "next_report_interval_s=%" PRIu32 "\n"
			    "server_time_ms=%" PRId64 "\n"
			    "agent_token=%s\n", a->acked_sequence,
			    a->next_report_interval_s, a->server_time_ms,
			    a->agent_token);
			kics__epp__v1__report_ack__free_unpacked(a, NULL);
			r = 0;
		}
	} else {
		Kics__Epp__V1__ErrorReply *e;

		e = kics__epp__v1__error_reply__unpack(NULL, len, buf);
		if (e != NULL) {
			(void)printf("code=%s\nmessage=%s\n", e->code,
			    e->message);
			kics__epp__v1__error_reply__free_unpacked(e, NULL);
			r = 0;
		}
	}
	free(buf);
	if (r != 0)
		(void)fprintf(stderr, "make-report: undecodable reply\n");
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "seq", required_argument, NULL, 's' },
		{ "mac", required_argument, NULL, 'm' },
		{ "ip", required_argument, NULL, 'i' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "events", required_argument, NULL, 'e' },
		{ "event-prefix", required_argument, NULL, 'p' },
		{ "token", required_argument, NULL, 't' },
		{ "tcp-to", required_argument, NULL, 'c' },
		{ "decode-ack", no_argument, NULL, 'A' },
		{ "decode-error", no_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	Kics__Epp__V1__AgentReport rep = KICS__EPP__V1__AGENT_REPORT__INIT;
	Kics__Epp__V1__HostInfo host = KICS__EPP__V1__HOST_INFO__INIT;
	Kics__Epp__V1__NetworkInterface nic =
	    KICS__EPP__V1__NETWORK_INTERFACE__INIT;
	Kics__Epp__V1__EppEvent ev[MAKE_REPORT_MAX_EVENTS];
	Kics__Epp__V1__EppEvent *evp[MAKE_REPORT_MAX_EVENTS];
	Kics__Epp__V1__NetworkInterface *nicp = &nic;
	char ids[MAKE_REPORT_MAX_EVENTS][64];
	const char *mac = NULL, *ip = NULL, *hostname = "host";
	const char *prefix = "ev";
	char *addrs[1];
	Kics__Epp__V1__Connection conn = KICS__EPP__V1__CONNECTION__INIT;
	Kics__Epp__V1__Connection *connp = &conn;
	char remote[64] = "";
	char *colon;
	unsigned long events = 0;
	uint8_t *buf;
	size_t len;
	int c;

	rep.agent_id = (char *)"";
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			rep.agent_id = optarg;
			break;
		case 's':
			rep.sequence = strtoull(optarg, NULL, 10);
			break;
		case 'm':
			mac = optarg;
			break;
		case 'i':
			ip = optarg;
			break;
		case 'H':
			hostname = optarg;
			break;
		case 'e':
			events = strtoul(optarg, NULL, 10);
			if (events > MAKE_REPORT_MAX_EVENTS)
				usage();
			break;
		case 'p':
			prefix = optarg;
			break;
		case 't':
			rep.agent_token = optarg;
			break;
		case 'c':
			/* one outbound TCP connection, 5 packets each way */
			(void)snprintf(remote, sizeof(remote), "%s", optarg);
			if ((colon = strrchr(remote, ':')) == NULL)
				usage();
			*colon = '\0';
			conn.protocol =
			    KICS__EPP__V1__CONNECTION__PROTOCOL__TCP;
			conn.direction =
			    KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND;
			conn.remote_address = remote;
			conn.remote_port = (uint32_t)strtoul(colon + 1, NULL,
			    10);
			conn.local_port = 50999;
			conn.packets_sent = conn.packets_received = 5;
			conn.bytes_sent = conn.bytes_received = 300;
			conn.first_seen_ms = 1700000000000;
			conn.last_seen_ms = 1700000001000;
			rep.connections = &connp;
			rep.n_connections = 1;
			break;
		case 'A':
			return decode(true);
		case 'E':
			return decode(false);
		default:
			usage();
		}
	}
	rep.sent_at_ms = 1700000000000;
	rep.agent_version = (char *)"make-report 1";
	if (mac != NULL || ip != NULL) {
		nic.name = (char *)"eth0";
		nic.mac = (char *)(mac != NULL ? mac : "");
		if (ip != NULL) {
			addrs[0] = (char *)ip;
			nic.addresses = addrs;
			nic.n_addresses = 1;
		}
		host.hostname = (char *)hostname;
		host.os_name = (char *)"Windows 10 Pro";
		host.os_version = (char *)"22H2";
		host.interfaces = &nicp;
		host.n_interfaces = 1;
		rep.host = &host;
	}
	for (unsigned long i = 0; i < events; i++) {
		kics__epp__v1__epp_event__init(&ev[i]);
		(void)snprintf(ids[i], sizeof(ids[i]), "%s-%lu", prefix, i);
		ev[i].event_id = ids[i];
		ev[i].occurred_at_ms = 1700000000000 + (int64_t)i;
		ev[i].severity = KICS__EPP__V1__EPP_EVENT__SEVERITY__WARNING;
		ev[i].category = (char *)"network_attack";
		ev[i].product = (char *)"make-report EPP";
		ev[i].title = (char *)"Port scan";
		ev[i].description = ids[i];
		evp[i] = &ev[i];
	}
	rep.events = evp;
	rep.n_events = events;

	len = kics__epp__v1__agent_report__get_packed_size(&rep);
	if ((buf = malloc(len + 1)) == NULL)
		return 1;
	(void)kics__epp__v1__agent_report__pack(&rep, buf);
	if (fwrite(buf, 1, len, stdout) != len)
		return 1;
	free(buf);
	return 0;
}
