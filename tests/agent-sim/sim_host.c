/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the generator of simulated hosts: a plant with office
 * workstations, engineering stations, HMIs, SCADA and DMZ servers, each a
 * pure function of (seed, index) with unique ids, MACs and addresses.
 */
#include <errno.h>
#include <string.h>

#include "sim.h"

#define DAY_MS	(24LL * 3600 * 1000)

struct sim_os {
	const char		*name;
	const char		*version;
	enum sim_os_family	 family;
};

struct sim_hw {
	const char	*vendor;
	const char	*model;
	const char	*serial_prefix;
	unsigned int	 serial_len;	/* characters after the prefix */
	uint32_t	 oui;		/* vendor's MAC prefix, unicast */
};

static const struct sim_os os_office[] = {
	{ "Windows 10 Pro", "10.0.19045", SIM_OS_WINDOWS },
	{ "Windows 11 Pro", "10.0.22631", SIM_OS_WINDOWS },
	{ "Windows 11 Enterprise", "10.0.22621", SIM_OS_WINDOWS },
	{ "Windows 10 Enterprise", "10.0.19044", SIM_OS_WINDOWS },
};
static const struct sim_os os_eng[] = {
	{ "Windows 10 Enterprise LTSC 2021", "10.0.19044", SIM_OS_WINDOWS },
	{ "Windows 10 Pro", "10.0.19045", SIM_OS_WINDOWS },
	{ "Windows 11 Pro", "10.0.22631", SIM_OS_WINDOWS },
};
static const struct sim_os os_hmi[] = {
	{ "Windows 10 IoT Enterprise LTSC 2019", "10.0.17763",
	    SIM_OS_WINDOWS },
	{ "Windows 10 IoT Enterprise LTSC 2021", "10.0.19044",
	    SIM_OS_WINDOWS },
	{ "Astra Linux Special Edition", "1.7.5", SIM_OS_LINUX },
	{ "Ubuntu", "22.04.4 LTS", SIM_OS_LINUX },
};
static const struct sim_os os_winsrv[] = {
	{ "Windows Server 2016 Standard", "10.0.14393", SIM_OS_WINDOWS },
	{ "Windows Server 2019 Standard", "10.0.17763", SIM_OS_WINDOWS },
	{ "Windows Server 2022 Standard", "10.0.20348", SIM_OS_WINDOWS },
};
static const struct sim_os os_mixsrv[] = {
	{ "Windows Server 2019 Standard", "10.0.17763", SIM_OS_WINDOWS },
	{ "Windows Server 2022 Datacenter", "10.0.20348", SIM_OS_WINDOWS },
	{ "Ubuntu", "22.04.4 LTS", SIM_OS_LINUX },
	{ "Red Hat Enterprise Linux", "8.9", SIM_OS_LINUX },
	{ "Red Hat Enterprise Linux", "9.3", SIM_OS_LINUX },
	{ "Astra Linux Special Edition", "1.7.5", SIM_OS_LINUX },
};

/* OUIs are real vendor prefixes, so all of them are unicast and global. */
static const struct sim_hw hw_desktop[] = {
	{ "Dell Inc.", "OptiPlex 7090", "", 7, 0xd481d7 },
	{ "Dell Inc.", "OptiPlex 7010", "", 7, 0xd481d7 },
	{ "HP", "EliteDesk 800 G6 SFF", "CZC", 7, 0x3cd92b },
	{ "HP", "ProDesk 400 G7", "CZC", 7, 0x3cd92b },
	{ "LENOVO", "ThinkCentre M70q", "MJ0", 5, 0x3cfdfe },
};
static const struct sim_hw hw_eng[] = {
	{ "Dell Inc.", "Precision 3660", "", 7, 0xd481d7 },
	{ "Siemens AG", "SIMATIC IPC847E", "SVPK", 7, 0x001b1b },
	{ "Siemens AG", "SIMATIC Field PG M6", "SVPF", 7, 0x001b1b },
	{ "HP", "Z2 G9 Tower", "CZC", 7, 0x3cd92b },
};
static const struct sim_hw hw_hmi[] = {
	{ "Advantech", "UNO-2484G", "AKB", 7, 0x00d0c9 },
	{ "Advantech", "TPC-1551WP", "AKC", 7, 0x00d0c9 },
	{ "Siemens AG", "SIMATIC IPC477E", "SVPH", 7, 0x001b1b },
	{ "Beckhoff Automation", "CP6706-0001", "BK", 8, 0x000105 },
};
static const struct sim_hw hw_server[] = {
	{ "Dell Inc.", "PowerEdge R650", "", 7, 0xd481d7 },
	{ "Dell Inc.", "PowerEdge R740", "", 7, 0xd481d7 },
	{ "HPE", "ProLiant DL380 Gen10", "CZJ", 7, 0x3cd92b },
	{ "Siemens AG", "SIMATIC IPC847E", "SVPK", 7, 0x001b1b },
};
static const struct sim_hw hw_virtual[] = {
	{ "VMware, Inc.", "VMware7,1", "VMware-56 4d ", 8, 0x005056 },
	{ "Dell Inc.", "PowerEdge R650", "", 7, 0xd481d7 },
	{ "HPE", "ProLiant DL360 Gen10", "CZJ", 7, 0x3cd92b },
};

struct sim_role_spec {
	unsigned int		 weight;	/* of 100 */
	const char *const	*prefixes;
	size_t			 n_prefixes;
	int			 digits;	/* hostname number width */
	const struct sim_os	*os;
	size_t			 n_os;
	const struct sim_hw	*hw;
	size_t			 n_hw;
	const char		*domain;
	enum sim_net		 nets[3];	/* always, optional, optional */
	double			 p_second;	/* chance of nets[1] */
	double			 p_third;	/* chance of nets[2] */
};

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const pfx_office[] = { "WS", "ACC-WS", "OPS-PC",
	"HR-WS" };
static const char *const pfx_eng[] = { "ENG-WS", "ENG-PG" };
static const char *const pfx_hmi[] = { "HMI", "OP-PANEL" };
static const char *const pfx_scada[] = { "SCADA-SRV" };
static const char *const pfx_hist[] = { "HIST-SRV" };
static const char *const pfx_dmz[] = { "DMZ-SRV", "DMZ-JUMP", "WSUS" };
static const char *const pfx_app[] = { "APP-SRV", "FS", "KSC-SRV" };

static const struct sim_role_spec roles[SIM_ROLE_MAX] = {
	[SIM_ROLE_OFFICE_WS] = { 35, pfx_office, N(pfx_office), 3,
	    os_office, N(os_office), hw_desktop, N(hw_desktop),
	    "corp.plant.local",
	    { SIM_NET_OFFICE, SIM_NET_MAX, SIM_NET_MAX }, 0, 0 },
	[SIM_ROLE_ENG_WS] = { 15, pfx_eng, N(pfx_eng), 3,
	    os_eng, N(os_eng), hw_eng, N(hw_eng), "corp.plant.local",
	    { SIM_NET_OFFICE, SIM_NET_CONTROL, SIM_NET_MAX }, 1, 0 },
	[SIM_ROLE_HMI] = { 20, pfx_hmi, N(pfx_hmi), 2,
	    os_hmi, N(os_hmi), hw_hmi, N(hw_hmi), "ot.plant.local",
	    { SIM_NET_CONTROL, SIM_NET_MAX, SIM_NET_MAX }, 0, 0 },
	[SIM_ROLE_SCADA_SRV] = { 8, pfx_scada, N(pfx_scada), 2,
	    os_winsrv, N(os_winsrv), hw_server, N(hw_server),
	    "ot.plant.local",
	    { SIM_NET_CONTROL, SIM_NET_OFFICE, SIM_NET_DMZ }, 1, 0.3 },
	[SIM_ROLE_HISTORIAN] = { 4, pfx_hist, N(pfx_hist), 2,
	    os_mixsrv, N(os_mixsrv), hw_server, N(hw_server),
	    "ot.plant.local",
	    { SIM_NET_CONTROL, SIM_NET_OFFICE, SIM_NET_MAX }, 1, 0 },
	[SIM_ROLE_DMZ_SRV] = { 8, pfx_dmz, N(pfx_dmz), 2,
	    os_mixsrv, N(os_mixsrv), hw_virtual, N(hw_virtual),
	    "dmz.plant.local",
	    { SIM_NET_DMZ, SIM_NET_OFFICE, SIM_NET_MAX }, 0.5, 0 },
	[SIM_ROLE_APP_SRV] = { 10, pfx_app, N(pfx_app), 2,
	    os_mixsrv, N(os_mixsrv), hw_virtual, N(hw_virtual),
	    "corp.plant.local",
	    { SIM_NET_OFFICE, SIM_NET_DMZ, SIM_NET_MAX }, 0.3, 0 },
};

struct sim_product {
	const char	*product;
	const char	*versions[3];
};

static const struct sim_product prod_kes_win = {
	"Kaspersky Endpoint Security for Windows",
	{ "12.3.0.493", "12.4.0.467", "11.11.0.452" } };
static const struct sim_product prod_kics_nodes = {
	"Kaspersky Industrial CyberSecurity for Nodes",
	{ "3.1.0.92", "3.2.0.117", "3.1.1.134" } };
static const struct sim_product prod_kesl = {
	"Kaspersky Endpoint Security for Linux",
	{ "12.0.0.6672", "11.4.0.1096", "12.1.0.1297" } };
static const struct sim_product prod_defender = {
	"Microsoft Defender Antivirus",
	{ "4.18.24030.9", "4.18.23110.3", "4.18.24020.7" } };
static const struct sim_product prod_nagent = {
	"Kaspersky Security Center Network Agent",
	{ "14.2.0.26967", "15.0.0.12912", "14.0.0.10902" } };

static const char *const users_office[] = { "ivanov.a", "petrova.m",
	"sidorov.k", "kuznetsova.e", "smirnov.d", "volkova.o" };
static const char *const users_eng[] = { "engineer", "orlov.v",
	"lebedev.s", "kozlov.i" };
static const char *const users_ot[] = { "operator", "operator2",
	"shift.lead" };
static const char *const users_srv[] = { "svc_scada", "svc_backup",
	"admin.petrov" };

static enum sim_role
pick_role(struct sim_rng *rng)
{
	uint32_t r = sim_rng_below(rng, 100);

	for (int i = 0; i < SIM_ROLE_MAX; i++) {
		if (r < roles[i].weight)
			return (enum sim_role)i;
		r -= roles[i].weight;
	}
	return SIM_ROLE_OFFICE_WS;
}

void
sim_uuid_format(uint64_t hi, uint64_t lo, char *buf)
{
	/* Version 4 and RFC 4122 variant bits sit outside the unique bits. */
	hi = (hi & ~0xf000ULL) | 0x4000ULL;
	lo = (lo & ~(3ULL << 62)) | (2ULL << 62);
	/* 8-4-4-4-12 lowercase hex digits */
	buf = sim_fmt_hex(buf, hi >> 32, 8);
	*buf++ = '-';
	buf = sim_fmt_hex(buf, hi >> 16, 4);
	*buf++ = '-';
	buf = sim_fmt_hex(buf, hi, 4);
	*buf++ = '-';
	buf = sim_fmt_hex(buf, lo >> 48, 4);
	*buf++ = '-';
	buf = sim_fmt_hex(buf, lo, 12);
	*buf = '\0';
}

void
sim_host_address(enum sim_net net, uint32_t index, char *buf)
{
	/* 200 hosts per /24: .2-.201; .202-.254 are left for PLCs etc. */
	unsigned int third = index / 200, fourth = index % 200 + 2;

	switch (net) {
	case SIM_NET_OFFICE:
		sim_fmt_ipv4(buf, 10, 10, third, fourth);
		break;
	case SIM_NET_CONTROL:
		sim_fmt_ipv4(buf, 192, 168, 10 + third, fourth);
		break;
	case SIM_NET_DMZ:
		sim_fmt_ipv4(buf, 172, 16, 5 + third, fourth);
		break;
	default:
		sim_fmt_ipv4(buf, 127, 0, 0, 1);
		break;
	}
}

/* fe80::/64 with the EUI-64 interface id of the MAC. */
static void
format_link_local(uint32_t oui, uint32_t nic, char *buf)
{
	(void)snprintf(buf, SIM_IP_LEN, "fe80::%x:%xff:fe%02x:%x",
	    ((oui >> 8) & 0xffff) ^ 0x0200, oui & 0xff, (nic >> 16) & 0xff,
	    nic & 0xffff);
}

static void
add_iface(struct sim_host *h, const struct sim_hw *hw, enum sim_net net,
    struct sim_rng *rng)
{
	static const char *const win_names[] = { "Ethernet", "Ethernet 2",
		"Ethernet 3" };
	static const char *const lin_names[] = { "eno1", "eno2", "eno3",
		"ens192", "ens224", "ens256" };
	struct sim_iface *ifc = &h->ifaces[h->n_ifaces];
	size_t slot = h->n_ifaces;
	uint32_t nic;

	ifc->net = net;
	if (h->os_family == SIM_OS_WINDOWS)
		(void)snprintf(ifc->name, sizeof(ifc->name), "%s",
		    win_names[slot]);
	else
		(void)snprintf(ifc->name, sizeof(ifc->name), "%s",
		    lin_names[slot + (hw->oui == 0x005056 ? 3 : 0)]);
	/* index * 4 + slot is below 2^24 and the permutation keeps it unique */
	nic = (uint32_t)sim_permute((uint64_t)h->index * 4 + slot, 24,
	    sim_mix64(h->seed ^ hw->oui));
	sim_fmt_mac(ifc->mac, hw->oui, nic);
	sim_host_address(net, h->index, ifc->ipv4);
	if (sim_rng_chance(rng, 0.5))
		format_link_local(hw->oui, nic, ifc->ipv6);
	h->n_ifaces++;
}

static void
add_loopback(struct sim_host *h)
{
	struct sim_iface *ifc = &h->ifaces[h->n_ifaces++];

	ifc->net = SIM_NET_LOOPBACK;
	(void)snprintf(ifc->ipv4, sizeof(ifc->ipv4), "127.0.0.1");
	(void)snprintf(ifc->ipv6, sizeof(ifc->ipv6), "::1");
	if (h->os_family == SIM_OS_WINDOWS) {
		/* Windows reports no MAC for its loopback pseudo-interface. */
		(void)snprintf(ifc->name, sizeof(ifc->name),
		    "Loopback Pseudo-Interface 1");
	} else {
		(void)snprintf(ifc->name, sizeof(ifc->name), "lo");
		(void)snprintf(ifc->mac, sizeof(ifc->mac),
		    "00:00:00:00:00:00");
	}
}

static void
add_app(struct sim_host *h, const struct sim_product *p, struct sim_rng *rng)
{
	struct sim_app *a = &h->apps[h->n_apps++];
	uint32_t r = sim_rng_below(rng, 100);

	a->product = p->product;
	a->version = SIM_PICK(rng, p->versions);
	if (r < 90)
		a->state = KICS__EPP__V1__EPP_APPLICATION__STATE__RUNNING;
	else if (r < 96)
		a->state = KICS__EPP__V1__EPP_APPLICATION__STATE__STOPPED;
	else
		a->state = KICS__EPP__V1__EPP_APPLICATION__STATE__FAILED;
	a->realtime = a->state ==
	    KICS__EPP__V1__EPP_APPLICATION__STATE__RUNNING &&
	    sim_rng_chance(rng, 0.93);
	/* Mostly fresh bases, a tail of outdated ones. */
	if (sim_rng_chance(rng, 0.85))
		a->bases_age_ms = (int64_t)sim_rng_range(rng, 600000,
		    2 * DAY_MS);
	else
		a->bases_age_ms = (int64_t)sim_rng_range(rng, 3 * DAY_MS,
		    45 * DAY_MS);
}

static void
add_apps(struct sim_host *h, struct sim_rng *rng)
{
	bool ot = h->role != SIM_ROLE_OFFICE_WS &&
	    h->role != SIM_ROLE_APP_SRV && h->role != SIM_ROLE_DMZ_SRV;

	if (h->os_family == SIM_OS_LINUX)
		add_app(h, &prod_kesl, rng);
	else if (ot)
		add_app(h, &prod_kics_nodes, rng);
	else if (sim_rng_chance(rng, 0.15))
		add_app(h, &prod_defender, rng);
	else
		add_app(h, &prod_kes_win, rng);
	if (sim_rng_chance(rng, 0.6))
		add_app(h, &prod_nagent, rng);
}

static void
add_users(struct sim_host *h, struct sim_rng *rng)
{
	const char *const *pool;
	size_t n;

	switch (h->role) {
	case SIM_ROLE_OFFICE_WS:
		pool = users_office;
		n = N(users_office);
		break;
	case SIM_ROLE_ENG_WS:
		pool = users_eng;
		n = N(users_eng);
		break;
	case SIM_ROLE_HMI:
		pool = users_ot;
		n = N(users_ot);
		break;
	default:
		pool = users_srv;
		n = N(users_srv);
		break;
	}
	h->users[h->n_users++] = pool[sim_rng_below(rng, (uint32_t)n)];
	h->users[h->n_users++] = pool[sim_rng_below(rng, (uint32_t)n)];
	h->users[h->n_users++] = h->os_family == SIM_OS_WINDOWS ?
	    "SYSTEM" : "root";
}

int
sim_host_generate(uint64_t seed, uint32_t index, struct sim_host *ret_host)
{
	static const char alnum[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	const struct sim_role_spec *spec;
	const struct sim_os *os;
	const struct sim_hw *hw;
	struct sim_rng rng;
	struct sim_host h;
	size_t len;

	if (index >= SIM_MAX_AGENT_INDEX)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.index = index;
	h.seed = seed;
	sim_rng_init(&rng, seed, 0x686f7374 /* "host" */, index);

	/* The top 32 bits are a bijection of the index: ids never collide. */
	sim_uuid_format((sim_permute(index, 32, sim_mix64(seed)) << 32) |
	    (sim_rng_next(&rng) & 0xffffffffULL), sim_rng_next(&rng),
	    h.agent_id);

	h.role = pick_role(&rng);
	spec = &roles[h.role];
	os = &spec->os[sim_rng_below(&rng, (uint32_t)spec->n_os)];
	hw = &spec->hw[sim_rng_below(&rng, (uint32_t)spec->n_hw)];
	h.os_family = os->family;
	h.os_name = os->name;
	h.os_version = os->version;
	h.vendor = hw->vendor;
	h.model = hw->model;
	h.domain = spec->domain;
	(void)snprintf(h.hostname, sizeof(h.hostname), "%s-%0*u",
	    spec->prefixes[sim_rng_below(&rng, (uint32_t)spec->n_prefixes)],
	    spec->digits, index + 1);
	if (h.os_family == SIM_OS_LINUX)
		for (char *p = h.hostname; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');

	(void)snprintf(h.serial, sizeof(h.serial), "%s", hw->serial_prefix);
	len = strlen(h.serial);
	for (unsigned int i = 0; i < hw->serial_len; i++)
		h.serial[len + i] = alnum[sim_rng_below(&rng,
		    sizeof(alnum) - 1)];
	h.serial[len + hw->serial_len] = '\0';

	add_iface(&h, hw, spec->nets[0], &rng);
	if (spec->nets[1] != SIM_NET_MAX &&
	    sim_rng_chance(&rng, spec->p_second))
		add_iface(&h, hw, spec->nets[1], &rng);
	if (spec->nets[2] != SIM_NET_MAX &&
	    sim_rng_chance(&rng, spec->p_third))
		add_iface(&h, hw, spec->nets[2], &rng);
	if (sim_rng_chance(&rng, 0.3))
		add_loopback(&h);

	add_apps(&h, &rng);
	add_users(&h, &rng);
	*ret_host = h;
	return 0;
}

const struct sim_iface *
sim_host_iface(const struct sim_host *host, enum sim_net net)
{
	for (size_t i = 0; i < host->n_ifaces; i++)
		if (host->ifaces[i].net == net)
			return &host->ifaces[i];
	return NULL;
}
