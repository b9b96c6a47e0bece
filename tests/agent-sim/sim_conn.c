/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the generator of network connections a host saw:
 * office, control-network and DMZ traffic to other simulated hosts, PLCs,
 * infrastructure servers and the Internet, some of it one-way.
 */
#include <errno.h>
#include <string.h>

#include "sim.h"

#define P_TCP	KICS__EPP__V1__CONNECTION__PROTOCOL__TCP
#define P_UDP	KICS__EPP__V1__CONNECTION__PROTOCOL__UDP
#define P_ICMP	KICS__EPP__V1__CONNECTION__PROTOCOL__ICMP
#define D_OUT	KICS__EPP__V1__CONNECTION__DIRECTION__OUTBOUND
#define D_IN	KICS__EPP__V1__CONNECTION__DIRECTION__INBOUND

#define SIM_PEER_TRIES	8	/* draws to find a host on a given net */

/* MAC prefixes of peers that run no agent, disjoint from sim_host.c's. */
#define OUI_INFRA	0x0025b5u
#define OUI_SIEMENS_PLC	0x000e8cu
#define OUI_ROCKWELL	0x001d9cu
#define OUI_SCHNEIDER	0x0080f4u

enum peer_kind {
	PEER_SIM,	/* another simulated host on peer_net */
	PEER_PLC,	/* a controller in the host's control cell */
	PEER_DC,	/* domain controller, DNS, NTP */
	PEER_FILESRV,
	PEER_KSC,	/* EPP administration server */
	PEER_SYSLOG,
	PEER_PRINTER,
	PEER_INTERNET,	/* update servers and clients outside */
	PEER_ATTACKER,	/* scanners outside: one-way inbound */
};

struct conn_tpl {
	enum sim_net	 net;		/* local interface */
	int		 proto;
	int		 dir;
	unsigned int	 port;		/* responder port, 0 for ICMP */
	enum peer_kind	 peer;
	enum sim_net	 peer_net;	/* for PEER_SIM */
	double		 p_oneway;	/* chance nothing came back */
	const char	*win_proc;
	const char	*lin_proc;
	unsigned int	 weight;
};

static const struct conn_tpl tpls[] = {
	{ SIM_NET_OFFICE, P_TCP, D_OUT, 445, PEER_FILESRV, 0, 0,
	    "System", "mount.cifs", 10 },
	{ SIM_NET_OFFICE, P_UDP, D_OUT, 53, PEER_DC, 0, 0.02,
	    "svchost.exe", "systemd-resolved", 12 },
	{ SIM_NET_OFFICE, P_TCP, D_OUT, 88, PEER_DC, 0, 0,
	    "lsass.exe", "sssd_be", 5 },
	{ SIM_NET_OFFICE, P_TCP, D_OUT, 389, PEER_DC, 0, 0,
	    "lsass.exe", "sssd_be", 5 },
	{ SIM_NET_OFFICE, P_UDP, D_OUT, 123, PEER_DC, 0, 0,
	    "svchost.exe", "chronyd", 3 },
	{ SIM_NET_OFFICE, P_TCP, D_OUT, 443, PEER_INTERNET, 0, 0.05,
	    "avp.exe", "kesl", 8 },
	{ SIM_NET_OFFICE, P_TCP, D_OUT, 13000, PEER_KSC, 0, 0,
	    "klnagent.exe", "klnagent", 6 },
	{ SIM_NET_OFFICE, P_TCP, D_IN, 3389, PEER_SIM, SIM_NET_OFFICE, 0.1,
	    "svchost.exe", "xrdp", 4 },
	{ SIM_NET_OFFICE, P_TCP, D_OUT, 3389, PEER_SIM, SIM_NET_OFFICE, 0.1,
	    "mstsc.exe", "xfreerdp", 4 },
	{ SIM_NET_OFFICE, P_TCP, D_OUT, 445, PEER_SIM, SIM_NET_OFFICE, 0.2,
	    "explorer.exe", "smbclient", 4 },
	{ SIM_NET_OFFICE, P_ICMP, D_OUT, 0, PEER_SIM, SIM_NET_OFFICE, 0.3,
	    "PING.EXE", "ping", 3 },
	{ SIM_NET_OFFICE, P_TCP, D_OUT, 9100, PEER_PRINTER, 0, 0,
	    "spoolsv.exe", "cupsd", 2 },
	{ SIM_NET_OFFICE, P_UDP, D_OUT, 514, PEER_SYSLOG, 0, 1.0,
	    "nxlog.exe", "rsyslogd", 4 },
	{ SIM_NET_OFFICE, P_TCP, D_IN, 445, PEER_ATTACKER, 0, 1.0,
	    "System", "smbd", 2 },

	{ SIM_NET_CONTROL, P_TCP, D_OUT, 502, PEER_PLC, 0, 0.1,
	    "ModbusDrv.exe", "modbusd", 12 },
	{ SIM_NET_CONTROL, P_TCP, D_OUT, 102, PEER_PLC, 0, 0.1,
	    "s7oiehsx64.exe", "snap7-client", 12 },
	{ SIM_NET_CONTROL, P_TCP, D_OUT, 44818, PEER_PLC, 0, 0.1,
	    "RSLinx.exe", "cpppo", 6 },
	{ SIM_NET_CONTROL, P_UDP, D_OUT, 2222, PEER_PLC, 0, 1.0,
	    "RSLinx.exe", "cpppo", 3 },
	{ SIM_NET_CONTROL, P_UDP, D_OUT, 161, PEER_PLC, 0, 0.5,
	    "snmpmgr.exe", "snmpget", 2 },
	{ SIM_NET_CONTROL, P_ICMP, D_OUT, 0, PEER_PLC, 0, 0.2,
	    "PING.EXE", "ping", 2 },
	{ SIM_NET_CONTROL, P_TCP, D_OUT, 4840, PEER_SIM, SIM_NET_CONTROL,
	    0.05, "WCCOAui.exe", "opcua-client", 6 },
	{ SIM_NET_CONTROL, P_TCP, D_IN, 4840, PEER_SIM, SIM_NET_CONTROL,
	    0.05, "OPCUAServer.exe", "open62541", 5 },
	{ SIM_NET_CONTROL, P_TCP, D_IN, 102, PEER_SIM, SIM_NET_CONTROL,
	    1.0, "System", "kernel", 1 },

	{ SIM_NET_DMZ, P_TCP, D_IN, 443, PEER_INTERNET, 0, 0.05,
	    "w3wp.exe", "nginx", 8 },
	{ SIM_NET_DMZ, P_TCP, D_IN, 22, PEER_SIM, SIM_NET_OFFICE, 0,
	    "sshd.exe", "sshd", 4 },
	{ SIM_NET_DMZ, P_TCP, D_OUT, 443, PEER_INTERNET, 0, 0.05,
	    "svchost.exe", "apt-get", 4 },
	{ SIM_NET_DMZ, P_TCP, D_IN, 3389, PEER_ATTACKER, 0, 1.0,
	    "svchost.exe", "kernel", 3 },
	{ SIM_NET_DMZ, P_UDP, D_OUT, 53, PEER_DC, 0, 0,
	    "dns.exe", "unbound", 3 },
};

#define N_TPLS	(sizeof(tpls) / sizeof(tpls[0]))

static char *
lit(const char *s)
{
	return (char *)s;
}

/* The nets the host has an interface on, as a bit mask. */
static unsigned int
host_nets(const struct sim_host *h)
{
	unsigned int mask = 0;

	for (size_t i = 0; i < h->n_ifaces; i++)
		mask |= 1u << h->ifaces[i].net;
	return mask;
}

static const struct conn_tpl *
pick_tpl(struct sim_report_ctx *ctx)
{
	unsigned int nets = host_nets(ctx->host), total = 0, r;

	for (size_t i = 0; i < N_TPLS; i++)
		if (nets & (1u << tpls[i].net))
			total += tpls[i].weight;
	if (total == 0)
		return NULL;
	r = sim_rng_below(&ctx->rng, total);
	for (size_t i = 0; i < N_TPLS; i++) {
		if (!(nets & (1u << tpls[i].net)))
			continue;
		if (r < tpls[i].weight)
			return &tpls[i];
		r -= tpls[i].weight;
	}
	return NULL;
}

/*
 * Host idx of the population: from the run's table when it has one (a
 * host is a pure function of seed and index, so the table only saves
 * generating it again), else generated into scratch. NULL when idx is
 * out of range.
 */
static const struct sim_host *
peer_host(const struct sim_report_params *p, uint32_t idx,
    struct sim_host *scratch)
{
	if (p->peers != NULL)
		return &p->peers[idx - p->first_agent];
	return sim_host_generate(p->seed, idx, scratch) < 0 ? NULL : scratch;
}

/* Peer address (and MAC when on the local segment) for a template. */
static int
pick_peer(struct sim_report_ctx *ctx, const struct conn_tpl *t,
    const struct sim_iface *local, char *ip, char *mac)
{
	static const char *const internet[] = { "203.0.113.10",
		"203.0.113.11", "198.51.100.25", "198.51.100.80" };
	static const char *const attackers[] = { "203.0.113.66",
		"203.0.113.147", "198.51.100.23", "198.51.100.201" };
	const struct sim_report_params *p = ctx->params;
	uint32_t cell = ctx->host->index / 200, j, v, oui;
	uint64_t key = sim_mix64(p->seed ^ 0x706c63ULL);
	unsigned int host_part = 0;
	struct sim_host scratch;

	mac[0] = '\0';
	switch (t->peer) {
	case PEER_SIM:
		for (int i = 0; i < SIM_PEER_TRIES && p->n_agents > 1; i++) {
			const struct sim_host *other;
			const struct sim_iface *oi;
			uint32_t idx = p->first_agent +
			    sim_rng_below(&ctx->rng, p->n_agents);

			if (idx == ctx->host->index ||
			    (other = peer_host(p, idx, &scratch)) == NULL ||
			    (oi = sim_host_iface(other, t->peer_net)) == NULL)
				continue;
			(void)strcpy(ip, oi->ipv4);
			/* Office is one /16 segment; others are per /24. */
			if (t->peer_net == local->net &&
			    (local->net == SIM_NET_OFFICE ||
			    idx / 200 == cell))
				(void)strcpy(mac, oi->mac);
			return 0;
		}
		/* Nobody suitable: talk to the file server instead. */
		(void)strcpy(ip, "10.10.250.20");
		host_part = 0xfa14;
		break;
	case PEER_PLC:
		/*
		 * 21 controllers per cell, each of one vendor (j % 3) with
		 * one MAC for its IP, as in a plant: Modbus goes to the
		 * Schneider ones, S7 to the Siemens ones, EtherNet/IP to
		 * the Rockwell ones, SNMP and ping to any. (A vendor chosen
		 * by port gave one IP two or three MACs, and the daemon
		 * moved the IP at almost every report.)
		 */
		v = t->port == 502 ? 0 : t->port == 102 ? 1 :
		    t->port == 44818 || t->port == 2222 ? 2 :
		    sim_rng_below(&ctx->rng, 3);
		j = 3 * sim_rng_below(&ctx->rng, 7) + v;
		sim_fmt_ipv4(ip, 192, 168, 10 + cell, 210 + j);
		oui = v == 0 ? OUI_SCHNEIDER : v == 1 ? OUI_SIEMENS_PLC :
		    OUI_ROCKWELL;
		sim_fmt_mac(mac, oui, (uint32_t)sim_permute(cell * 64 + j, 24,
		    key));
		return 0;
	case PEER_DC:
		host_part = 0xfa0a + sim_rng_below(&ctx->rng, 2);
		break;
	case PEER_FILESRV:
		host_part = 0xfa14;
		break;
	case PEER_KSC:
		host_part = 0xfa28;
		break;
	case PEER_SYSLOG:
		host_part = 0xfa32;
		break;
	case PEER_PRINTER:
		host_part = 0xfb0a + sim_rng_below(&ctx->rng, 20);
		break;
	case PEER_INTERNET:
		(void)strcpy(ip, SIM_PICK(&ctx->rng, internet));
		return 0;
	case PEER_ATTACKER:
		(void)strcpy(ip, SIM_PICK(&ctx->rng, attackers));
		return 0;
	}
	sim_fmt_ipv4(ip, 10, 10, host_part >> 8, host_part & 0xff);
	/* Office servers share the office segment; routed from elsewhere. */
	if (local->net == SIM_NET_OFFICE)
		sim_fmt_mac(mac, OUI_INFRA, (uint32_t)sim_permute(host_part,
		    24, key));
	return 0;
}

static unsigned int
ephemeral_port(struct sim_report_ctx *ctx, bool windows)
{
	return windows ? (unsigned int)sim_rng_range(&ctx->rng, 49152, 65535) :
	    (unsigned int)sim_rng_range(&ctx->rng, 32768, 60999);
}

static void
fill_counters(struct sim_report_ctx *ctx, const struct conn_tpl *t,
    Kics__Epp__V1__Connection *c)
{
	struct sim_rng *rng = &ctx->rng;
	bool oneway = sim_rng_chance(rng, t->p_oneway);
	uint64_t init, resp, isize, rsize;

	if (t->proto == P_ICMP) {
		init = sim_rng_range(rng, 1, 60);
		resp = init;
		isize = rsize = 74;
	} else if (t->proto == P_UDP) {
		init = sim_rng_range(rng, 1, 400);
		resp = init;
		isize = sim_rng_range(rng, 60, 200);
		rsize = sim_rng_range(rng, 60, 500);
	} else {
		init = sim_rng_range(rng, 3, 20000);
		resp = init * sim_rng_range(rng, 60, 140) / 100 + 1;
		isize = sim_rng_range(rng, 60, 600);
		rsize = sim_rng_range(rng, 60, 1400);
	}
	if (oneway) {
		/* SYNs or datagrams that nobody answered. */
		init = init > 6 && t->proto == P_TCP ? 3 : init;
		resp = 0;
	}
	if (t->dir == D_OUT) {
		c->packets_sent = init;
		c->packets_received = resp;
		c->bytes_sent = init * isize;
		c->bytes_received = resp * rsize;
	} else {
		c->packets_sent = resp;
		c->packets_received = init;
		c->bytes_sent = resp * rsize;
		c->bytes_received = init * isize;
	}
}

static int
add_one(struct sim_report_ctx *ctx, Kics__Epp__V1__Connection *c)
{
	const struct conn_tpl *t = pick_tpl(ctx);
	const struct sim_iface *local;
	bool windows = ctx->host->os_family == SIM_OS_WINDOWS;
	char ip[SIM_IP_LEN], mac[SIM_MAC_LEN];
	int64_t span = ctx->params->period_ms > 0 ? ctx->params->period_ms :
	    60000;
	unsigned int eph;

	kics__epp__v1__connection__init(c);
	if (t == NULL)
		return 0;	/* a host without NICs: leave it empty */
	local = sim_host_iface(ctx->host, t->net);
	if (pick_peer(ctx, t, local, ip, mac) < 0)
		return -EINVAL;
	c->protocol = (Kics__Epp__V1__Connection__Protocol)t->proto;
	c->direction = (Kics__Epp__V1__Connection__Direction)t->dir;
	c->local_address = lit(local->ipv4);
	if ((c->remote_address = sim_arena_strdup(ctx->arena, ip)) == NULL)
		return -ENOMEM;
	if (mac[0] != '\0' &&
	    (c->remote_mac = sim_arena_strdup(ctx->arena, mac)) == NULL)
		return -ENOMEM;
	eph = ephemeral_port(ctx, windows);
	if (t->proto != P_ICMP) {
		c->local_port = t->dir == D_OUT ? eph : t->port;
		c->remote_port = t->dir == D_OUT ? t->port :
		    (unsigned int)sim_rng_range(&ctx->rng, 49152, 65535);
	}
	fill_counters(ctx, t, c);
	c->last_seen_ms = ctx->now_ms - (int64_t)sim_rng_range(&ctx->rng, 0,
	    (uint64_t)(span < 5000 ? span : 5000));
	c->first_seen_ms = c->last_seen_ms - (int64_t)sim_rng_range(
	    &ctx->rng, 0, (uint64_t)span);
	c->process_name = lit(windows ? t->win_proc : t->lin_proc);
	return 0;
}

int
sim_conn_add(struct sim_report_ctx *ctx, Kics__Epp__V1__AgentReport *report,
    size_t count)
{
	Kics__Epp__V1__Connection *block;
	int r;

	if (count == 0)
		return 0;
	report->connections = sim_arena_alloc(ctx->arena, count *
	    sizeof(*report->connections));
	block = sim_arena_alloc(ctx->arena, count * sizeof(*block));
	if (report->connections == NULL || block == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if ((r = add_one(ctx, &block[i])) < 0)
			return r;
		report->connections[report->n_connections++] = &block[i];
	}
	return 0;
}
