/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the use of nDPI (Debian's libndpi): one detection
 * module per capture or import thread, kept in a small pool between
 * imports (making one costs about 0.1 s and 7 MB), one detection state
 * per flow until its protocol is known, and the protocols' names and
 * default ports as nDPI has them.
 *
 * nDPI 4.2 keeps the packet being dissected (struct ndpi_packet_struct)
 * and its LRU caches in the detection module, unlocked: a module must
 * never serve two threads at once, hence a pool rather than one module.
 * What a module's caches learnt in one import stays for the next, as it
 * does for a capture's packets over time.
 *
 * nDPI 4.2, the Debian 12 version, has no BACnet dissector. It is declared
 * to nDPI as a custom protocol on its registered port 47808 through
 * nDPI's own protocols-file mechanism, so that the name still comes from
 * nDPI and the port rule lives beside the others.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ndpi/ndpi_api.h>

#include "capture.h"

#define DPI_PROTOS	"tcp:47808,udp:47808@BACnet\n"
#define DPI_POOL_MAX	4	/* idle modules kept */

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

/* Idle modules, under dpi_pool_mtx. */
static pthread_mutex_t dpi_pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct traffic_dpi *dpi_pool[DPI_POOL_MAX];
static size_t dpi_pool_n;

static struct traffic_dpi *
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

static void
traffic_dpi_free(struct traffic_dpi *d)
{
	if (d == NULL)
		return;
	ndpi_exit_detection_module(d->mod);
	free(d);
}

struct traffic_dpi *
traffic_dpi_get(void)
{
	struct traffic_dpi *d = NULL;

	(void)pthread_mutex_lock(&dpi_pool_mtx);
	if (dpi_pool_n > 0)
		d = dpi_pool[--dpi_pool_n];
	(void)pthread_mutex_unlock(&dpi_pool_mtx);
	return d != NULL ? d : traffic_dpi_new();
}

void
traffic_dpi_put(struct traffic_dpi *d)
{
	if (d == NULL)
		return;
	(void)pthread_mutex_lock(&dpi_pool_mtx);
	if (dpi_pool_n < DPI_POOL_MAX) {
		dpi_pool[dpi_pool_n++] = d;
		d = NULL;
	}
	(void)pthread_mutex_unlock(&dpi_pool_mtx);
	traffic_dpi_free(d);
}

void
traffic_dpi_pool_clear(void)
{
	(void)pthread_mutex_lock(&dpi_pool_mtx);
	while (dpi_pool_n > 0)
		traffic_dpi_free(dpi_pool[--dpi_pool_n]);
	(void)pthread_mutex_unlock(&dpi_pool_mtx);
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

/* An IPv4 address of 4 bytes in host byte order; 0 for NULL. */
static u_int32_t
traffic_dpi_host(const uint8_t *ip4)
{
	return ip4 == NULL ? 0 : (u_int32_t)ip4[0] << 24 |
	    (u_int32_t)ip4[1] << 16 | (u_int32_t)ip4[2] << 8 | ip4[3];
}

uint16_t
traffic_dpi_guess(struct traffic_dpi *d, enum traffic_proto proto,
    const uint8_t *src_ip4, uint16_t sport, const uint8_t *dst_ip4,
    uint16_t dport)
{
	u_int8_t l4;

	switch (proto) {
	case TRAFFIC_PROTO_TCP:
		l4 = 6;
		break;
	case TRAFFIC_PROTO_UDP:
		l4 = 17;
		break;
	default:
		return NDPI_PROTOCOL_UNKNOWN;
	}
	return traffic_dpi_id(ndpi_guess_undetected_protocol(d->mod, NULL, l4,
	    traffic_dpi_host(src_ip4), sport, traffic_dpi_host(dst_ip4),
	    dport));
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
