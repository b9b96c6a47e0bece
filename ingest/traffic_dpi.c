/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the use of nDPI (Debian's libndpi): one detection
 * module per capture or import thread, one detection state per flow until
 * its protocol is known, and the protocols' names and default ports as
 * nDPI has them.
 *
 * nDPI 4.2, the Debian 12 version, has no BACnet dissector. It is declared
 * to nDPI as a custom protocol on its registered port 47808 through
 * nDPI's own protocols-file mechanism, so that the name still comes from
 * nDPI and the port rule lives beside the others.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ndpi/ndpi_api.h>

#include "capture.h"

#define DPI_PROTOS	"tcp:47808,udp:47808@BACnet\n"

struct traffic_dpi {
	struct ndpi_detection_module_struct *mod;
	ndpi_proto_defaults_t *defaults;
	u_int		n_protocols;
};

/* Loads DPI_PROTOS into mod through an in-memory file. */
static void
traffic_dpi_custom(struct ndpi_detection_module_struct *mod)
{
	char path[64];
	int fd;

	if ((fd = memfd_create("kics-ndpi-protos", MFD_CLOEXEC)) < 0)
		return;
	if (write(fd, DPI_PROTOS, strlen(DPI_PROTOS)) ==
	    (ssize_t)strlen(DPI_PROTOS)) {
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		(void)ndpi_load_protocols_file(mod, path);
	}
	(void)close(fd);
}

struct traffic_dpi *
traffic_dpi_new(void)
{
	struct traffic_dpi *d = calloc(1, sizeof(*d));
	NDPI_PROTOCOL_BITMASK all;

	if (d == NULL)
		return NULL;
	if ((d->mod = ndpi_init_detection_module(ndpi_no_prefs)) == NULL) {
		free(d);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	traffic_dpi_custom(d->mod);
	ndpi_finalize_initialization(d->mod);
	d->defaults = ndpi_get_proto_defaults(d->mod);
	d->n_protocols = ndpi_get_num_supported_protocols(d->mod);
	return d;
}

void
traffic_dpi_free(struct traffic_dpi *d)
{
	if (d == NULL)
		return;
	ndpi_exit_detection_module(d->mod);
	free(d);
}

struct ndpi_flow_struct *
traffic_dpi_flow_new(void)
{
	return calloc(1, SIZEOF_FLOW_STRUCT);
}

void
traffic_dpi_flow_free(struct ndpi_flow_struct *f)
{
	if (f == NULL)
		return;
	ndpi_free_flow_data(f);
	free(f);
}

/* The protocol of p: the master (TLS of TLS.Google), else the app. */
static uint16_t
traffic_dpi_id(ndpi_protocol p)
{
	return p.master_protocol != NDPI_PROTOCOL_UNKNOWN ?
	    p.master_protocol : p.app_protocol;
}

uint16_t
traffic_dpi_packet(struct traffic_dpi *d, struct ndpi_flow_struct *f,
    const struct pkt *p)
{
	ndpi_protocol r;

	r = ndpi_detection_process_packet(d->mod, f, p->l3, p->l3_len,
	    (u_int64_t)p->ts_ms);
	return traffic_dpi_id(r);
}

uint16_t
traffic_dpi_giveup(struct traffic_dpi *d, struct ndpi_flow_struct *f)
{
	u_int8_t guessed = 0;

	return traffic_dpi_id(ndpi_detection_giveup(d->mod, f, 1, &guessed));
}

const char *
traffic_dpi_name(struct traffic_dpi *d, uint16_t id)
{
	const char *name;

	if (id == NDPI_PROTOCOL_UNKNOWN)
		return "";
	name = ndpi_get_proto_name(d->mod, id);
	return name != NULL && strcmp(name, "Unknown") != 0 ? name : "";
}

bool
traffic_dpi_default_port(struct traffic_dpi *d, uint16_t id,
    enum traffic_proto proto, uint16_t port)
{
	const u_int16_t *ports;

	if (id == NDPI_PROTOCOL_UNKNOWN || id >= d->n_protocols ||
	    d->defaults == NULL || port == 0)
		return false;
	ports = proto == TRAFFIC_PROTO_TCP ? d->defaults[id].tcp_default_ports :
	    d->defaults[id].udp_default_ports;
	for (int i = 0; i < MAX_DEFAULT_PORTS; i++)
		if (ports[i] == port)
			return true;
	return false;
}
