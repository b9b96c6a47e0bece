/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the generator of EPP events: every category of
 * conf/event-types.yaml with the titles, paths, threat names, users and
 * attributes a real EPP application would send.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "sim.h"

#define SIM_EVENT_MAX_ATTRS	8	/* attributes one generator adds */

#define SEV_UNSPEC	KICS__EPP__V1__EPP_EVENT__SEVERITY__SEVERITY_UNSPECIFIED
#define SEV_INFO	KICS__EPP__V1__EPP_EVENT__SEVERITY__INFO
#define SEV_WARNING	KICS__EPP__V1__EPP_EVENT__SEVERITY__WARNING
#define SEV_CRITICAL	KICS__EPP__V1__EPP_EVENT__SEVERITY__CRITICAL

/* One event being filled in, with room for its attributes. */
struct ev_fill {
	struct sim_report_ctx			*ctx;
	Kics__Epp__V1__EppEvent			*ev;
	bool					 windows;
	const char				*user;
	int					 failed;	/* -ENOMEM */
};

/* Generated strings are never modified; protobuf-c wants char *. */
static char *
lit(const char *s)
{
	return (char *)s;
}

/* p, or "" after noting that the arena ran out of memory. */
static char *
checked(struct ev_fill *f, char *p)
{
	if (p == NULL) {
		f->failed = -ENOMEM;
		return lit("");
	}
	return p;
}

static char *
fmt_str(struct ev_fill *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
fmt_str(struct ev_fill *f, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = sim_arena_vprintf(f->ctx->arena, fmt, ap);
	va_end(ap);
	return checked(f, p);
}

static void
attr(struct ev_fill *f, const char *key, char *value)
{
	Kics__Epp__V1__EppEvent__AttributesEntry *e;

	if (f->ev->n_attributes >= SIM_EVENT_MAX_ATTRS)
		return;
	if ((e = sim_arena_alloc(f->ctx->arena, sizeof(*e))) == NULL) {
		f->failed = -ENOMEM;
		return;
	}
	kics__epp__v1__epp_event__attributes_entry__init(e);
	e->key = lit(key);
	e->value = value;
	f->ev->attributes[f->ev->n_attributes++] = e;
}

static struct sim_rng *
R(struct ev_fill *f)
{
	return &f->ctx->rng;
}

static void
set_sev(struct ev_fill *f, int sev)
{
	/* Some agents leave it to the server's default for the category. */
	f->ev->severity = sim_rng_chance(R(f), 0.1) ? SEV_UNSPEC :
	    (Kics__Epp__V1__EppEvent__Severity)sev;
}

/* An address that attacks or probes this host. */
static char *
remote_peer(struct ev_fill *f)
{
	static const char *const outside[] = { "203.0.113.66",
		"203.0.113.147", "198.51.100.23", "198.51.100.201" };
	const struct sim_report_params *p = f->ctx->params;
	char ip[SIM_IP_LEN];

	if (sim_rng_chance(R(f), 0.6) && p->n_agents > 0) {
		uint32_t other = p->first_agent + sim_rng_below(R(f),
		    p->n_agents);

		sim_host_address(f->ctx->host->ifaces[0].net, other, ip);
		return checked(f, sim_arena_strdup(f->ctx->arena, ip));
	}
	return lit(SIM_PICK(R(f), outside));
}

static char *
hex_digest(struct ev_fill *f)
{
	char *p = sim_arena_alloc(f->ctx->arena, 4 * 16 + 1), *q = p;

	if (p == NULL)
		return checked(f, p);
	/* 256 random bits as 64 hex digits, in the order they are drawn */
	for (int i = 0; i < 4; i++)
		q = sim_fmt_hex(q, sim_rng_next(R(f)), 16);
	*q = '\0';
	return p;
}

static char *
user_file(struct ev_fill *f, const char *dir, const char *name)
{
	if (f->windows)
		return fmt_str(f, "C:\\Users\\%s\\%s\\%s", f->user, dir, name);
	return fmt_str(f, "/home/%s/%s/%s", f->user, dir, name);
}

static void
gen_network_attack(struct ev_fill *f)
{
	static const struct {
		const char	*threat;
		const char	*proto;
		unsigned int	 port;
	} attacks[] = {
		{ "Scan.Generic.PortScan.TCP", "TCP", 0 },
		{ "Intrusion.Win.MS17-010.o", "TCP", 445 },
		{ "Intrusion.Win.CVE-2019-0708.c", "TCP", 3389 },
		{ "DoS.Generic.SYNFlood", "TCP", 102 },
		{ "Intrusion.Generic.Modbus.UnauthorizedWrite", "TCP", 502 },
		{ "Bruteforce.Generic.RDP.a", "TCP", 3389 },
		{ "Intrusion.Generic.S7comm.StopCPU", "TCP", 102 },
	};
	unsigned int i = sim_rng_below(R(f), sizeof(attacks) /
	    sizeof(attacks[0]));
	char *peer = remote_peer(f);
	unsigned int port = attacks[i].port ? attacks[i].port :
	    (unsigned int)sim_rng_range(R(f), 1, 1024);

	set_sev(f, i == 4 || i == 6 ? SEV_CRITICAL : SEV_WARNING);
	f->ev->title = lit("Network attack detected");
	f->ev->threat_name = lit(attacks[i].threat);
	f->ev->description = fmt_str(f, "Network attack %s from %s to local "
	    "port %u/%s was blocked. Traffic from the attacking computer is "
	    "blocked for 60 minutes.", attacks[i].threat, peer, port,
	    attacks[i].proto);
	f->ev->object_path = fmt_str(f, "%s://%s:%u", attacks[i].proto[0] ==
	    'T' ? "tcp" : "udp", peer, port);
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "remote_address", peer);
	attr(f, "local_port", fmt_str(f, "%u", port));
	attr(f, "protocol", lit(attacks[i].proto));
	attr(f, "action", lit("blocked"));
}

static void
gen_untrusted_device(struct ev_fill *f)
{
	static const struct {
		const char	*vendor, *product, *vid, *pid, *type;
	} devs[] = {
		{ "SanDisk", "Cruzer_Blade", "0781", "5567", "Mass storage" },
		{ "Kingston", "DataTraveler_3.0", "0951", "1666",
		    "Mass storage" },
		{ "Huawei", "E3372", "12d1", "1506", "Modem" },
		{ "Apple", "iPhone", "05ac", "12a8", "Portable device" },
		{ "Generic", "Flash_Disk", "058f", "6387", "Mass storage" },
	};
	unsigned int i = sim_rng_below(R(f), sizeof(devs) / sizeof(devs[0]));
	char *serial = fmt_str(f, "%012llX", (unsigned long long)
	    (sim_rng_next(R(f)) & 0xffffffffffffULL));

	set_sev(f, SEV_WARNING);
	f->ev->title = lit("Untrusted external device connected");
	f->ev->description = fmt_str(f, "Access to the device '%s %s' (%s) "
	    "was blocked by the Device Control rule 'Block removable "
	    "media'.", devs[i].vendor, devs[i].product, devs[i].type);
	if (f->windows)
		f->ev->object_path = fmt_str(f, "USBSTOR\\Disk&Ven_%s&Prod_%s"
		    "&Rev_1.00\\%s&0", devs[i].vendor, devs[i].product, serial);
	else
		f->ev->object_path = fmt_str(f, "/dev/bus/usb/%03u/%03u",
		    (unsigned int)sim_rng_range(R(f), 1, 4),
		    (unsigned int)sim_rng_range(R(f), 2, 40));
	f->ev->user_name = lit(f->user);
	attr(f, "device_type", lit(devs[i].type));
	attr(f, "vendor_id", lit(devs[i].vid));
	attr(f, "product_id", lit(devs[i].pid));
	attr(f, "serial", serial);
	attr(f, "bus", lit("USB"));
	attr(f, "action", lit("blocked"));
}

static void
gen_unauthorized_application(struct ev_fill *f)
{
	static const char *const win_apps[] = { "putty.exe",
		"TeamViewer_Setup.exe", "AnyDesk.exe", "nmap-7.94-setup.exe",
		"WinSCP-6.1.2-Portable.exe", "mimikatz.exe" };
	static const char *const lin_apps[] = { "nmap", "nc", "socat",
		"chisel", "plcscan.py" };
	const char *app = f->windows ? SIM_PICK(R(f), win_apps) :
	    SIM_PICK(R(f), lin_apps);

	set_sev(f, SEV_WARNING);
	f->ev->title = lit("Application launch denied");
	f->ev->object_path = user_file(f, f->windows ? "Downloads" : "bin",
	    app);
	f->ev->description = fmt_str(f, "Application Launch Control denied "
	    "the start of '%s': the application is not in the allow list "
	    "(rule 'Golden image').", app);
	f->ev->user_name = lit(f->user);
	attr(f, "sha256", hex_digest(f));
	attr(f, "rule", lit("Golden image"));
	attr(f, "mode", lit(sim_rng_chance(R(f), 0.8) ? "enforce" : "test"));
	attr(f, "parent_process", lit(f->windows ? "explorer.exe" : "bash"));
}

static void
gen_prohibited_file_operation(struct ev_fill *f)
{
	static const char *const win_paths[] = {
		"C:\\Program Files (x86)\\Siemens\\Automation\\WinCC\\bin\\"
		    "CCRtsLoader.exe",
		"D:\\Projects\\Line3\\PLC_Line3_backup.ap17",
		"C:\\ProgramData\\Schneider Electric\\EcoStruxure\\"
		    "config.xml",
		"D:\\SCADA\\Recipes\\recipe_042.csv",
	};
	static const char *const lin_paths[] = { "/opt/scada/etc/tags.xml",
		"/etc/opt/historian/historian.conf", "/usr/local/bin/plcd" };
	static const char *const ops[] = { "write", "delete", "rename" };
	const char *op = SIM_PICK(R(f), ops);

	set_sev(f, SEV_WARNING);
	f->ev->title = lit("Prohibited file operation");
	f->ev->object_path = lit(f->windows ? SIM_PICK(R(f), win_paths) :
	    SIM_PICK(R(f), lin_paths));
	f->ev->description = fmt_str(f, "Operation '%s' on a file in the "
	    "monitoring scope 'SCADA project files' was blocked.", op);
	f->ev->user_name = lit(f->user);
	attr(f, "operation", lit(op));
	attr(f, "process", lit(f->windows ? "explorer.exe" : "/usr/bin/vim"));
	attr(f, "scope", lit("SCADA project files"));
}

static void
gen_file_modified(struct ev_fill *f)
{
	static const char *const win_paths[] = {
		"C:\\Windows\\System32\\drivers\\etc\\hosts",
		"C:\\Windows\\System32\\config\\SAM",
		"C:\\Program Files\\Siemens\\Automation\\Portal V17\\"
		    "Bin\\Siemens.Automation.Portal.exe",
	};
	static const char *const lin_paths[] = { "/etc/passwd",
		"/etc/ssh/sshd_config", "/etc/hosts", "/etc/sudoers" };

	set_sev(f, SEV_WARNING);
	f->ev->title = lit("Monitored file modified");
	f->ev->object_path = lit(f->windows ? SIM_PICK(R(f), win_paths) :
	    SIM_PICK(R(f), lin_paths));
	f->ev->description = lit("The file differs from the baseline taken "
	    "by File Integrity Monitor.");
	f->ev->user_name = lit(f->user);
	attr(f, "old_sha256", hex_digest(f));
	attr(f, "new_sha256", hex_digest(f));
	attr(f, "baseline", lit("baseline-2024-03"));
	attr(f, "size_change", fmt_str(f, "%+d",
	    (int)sim_rng_range(R(f), 0, 400) - 200));
}

static void
gen_firewall_blocked(struct ev_fill *f)
{
	static const unsigned int ports[] = { 445, 3389, 22, 502, 102,
		44818, 135, 5900, 1433 };
	static const char *const rules[] = { "Block inbound SMB",
		"Deny all inbound", "Block RDP from office",
		"Deny outbound to Internet" };
	unsigned int port = SIM_PICK(R(f), ports);
	char *peer = remote_peer(f);
	bool inbound = sim_rng_chance(R(f), 0.7);
	const char *rule = SIM_PICK(R(f), rules);

	set_sev(f, SEV_WARNING);
	f->ev->title = lit("Connection blocked by firewall rule");
	f->ev->description = fmt_str(f, "%s TCP connection %s %s port %u "
	    "was blocked by rule '%s'.", inbound ? "Inbound" : "Outbound",
	    inbound ? "from" : "to", peer, port, rule);
	f->ev->object_path = fmt_str(f, "tcp://%s:%u", peer, port);
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "direction", lit(inbound ? "inbound" : "outbound"));
	attr(f, "remote_address", peer);
	attr(f, "remote_port", fmt_str(f, "%u", inbound ?
	    (unsigned int)sim_rng_range(R(f), 49152, 65535) : port));
	attr(f, "local_port", fmt_str(f, "%u", inbound ? port :
	    (unsigned int)sim_rng_range(R(f), 49152, 65535)));
	attr(f, "rule", lit(rule));
}

static const char *const threats[] = {
	"HEUR:Trojan.Win32.Generic", "Trojan-Ransom.Win32.Wanna.m",
	"EICAR-Test-File", "HEUR:Worm.Win32.Generic",
	"not-a-virus:RemoteAdmin.Win32.RAdmin.gen",
	"Exploit.MSOffice.CVE-2017-11882.gen", "Backdoor.Linux.Mirai.b",
	"HEUR:Trojan.Script.Generic",
};
static const char *const infected[] = { "invoice_0423.doc",
	"setup_update.exe", "eicar.com", "report.pdf.exe", "svchost32.exe",
	"macro.xlsm" };

static void
gen_threat_detected(struct ev_fill *f)
{
	static const char *const actions[] = { "deleted", "disinfected",
		"quarantined", "access blocked" };
	const char *threat = SIM_PICK(R(f), threats);
	const char *action = SIM_PICK(R(f), actions);

	set_sev(f, strstr(threat, "EICAR") || strstr(threat, "not-a-virus") ?
	    SEV_WARNING : SEV_CRITICAL);
	f->ev->title = lit("Malicious object detected");
	f->ev->threat_name = lit(threat);
	f->ev->object_path = user_file(f, sim_rng_chance(R(f), 0.5) ?
	    "Downloads" : "Desktop", SIM_PICK(R(f), infected));
	f->ev->description = fmt_str(f, "File Threat Protection detected "
	    "'%s' in '%s'; object %s.", threat, f->ev->object_path, action);
	f->ev->user_name = lit(f->user);
	attr(f, "action", lit(action));
	attr(f, "sha256", hex_digest(f));
	attr(f, "component", lit("File Threat Protection"));
	attr(f, "detection", lit(strncmp(threat, "HEUR", 4) == 0 ?
	    "heuristic" : "signature"));
}

static void
gen_protection_disabled(struct ev_fill *f)
{
	static const char *const comps[] = { "File Threat Protection",
		"Network Threat Protection", "Application Launch Control",
		"Device Control", "Firewall Management" };
	const char *comp = SIM_PICK(R(f), comps);

	set_sev(f, SEV_CRITICAL);
	f->ev->title = lit("Protection component disabled");
	f->ev->description = fmt_str(f, "%s was disabled by user '%s'.", comp,
	    f->user);
	f->ev->user_name = lit(f->user);
	attr(f, "component", lit(comp));
	attr(f, "reason", lit(sim_rng_chance(R(f), 0.5) ? "user" : "policy"));
}

static void
gen_bases_outdated(struct ev_fill *f)
{
	unsigned int days = (unsigned int)sim_rng_range(R(f), 3, 40);

	set_sev(f, days > 14 ? SEV_CRITICAL : SEV_WARNING);
	f->ev->title = lit("Anti-virus bases are outdated");
	f->ev->description = fmt_str(f, "Anti-virus bases were last updated "
	    "%u days ago.", days);
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "days_old", fmt_str(f, "%u", days));
	attr(f, "bases_date_ms", fmt_str(f, "%lld", (long long)
	    (f->ctx->now_ms - (int64_t)days * 86400000)));
}

static void
gen_scan_completed(struct ev_fill *f)
{
	static const char *const kinds[] = { "Full scan",
		"Critical areas scan", "Custom scan", "Removable drives scan" };
	unsigned int found = sim_rng_chance(R(f), 0.9) ? 0 :
	    (unsigned int)sim_rng_range(R(f), 1, 5);
	unsigned int scanned = (unsigned int)sim_rng_range(R(f), 12000,
	    900000);
	const char *kind = SIM_PICK(R(f), kinds);

	set_sev(f, found ? SEV_WARNING : SEV_INFO);
	f->ev->title = lit("Scan completed");
	f->ev->description = fmt_str(f, "%s completed: %u objects scanned, "
	    "%u threats found.", kind, scanned, found);
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "scan_type", lit(kind));
	attr(f, "objects_scanned", fmt_str(f, "%u", scanned));
	attr(f, "threats_found", fmt_str(f, "%u", found));
	attr(f, "duration_s", fmt_str(f, "%u",
	    (unsigned int)sim_rng_range(R(f), 30, 7200)));
}

static void
gen_application_state(struct ev_fill *f)
{
	static const char *const states[][2] = { { "stopped", "running" },
		{ "running", "stopped" }, { "running", "failed" },
		{ "starting", "running" } };
	unsigned int i = sim_rng_below(R(f), 4);

	set_sev(f, i == 2 ? SEV_CRITICAL : i == 1 ? SEV_WARNING : SEV_INFO);
	f->ev->title = lit("Application state changed");
	f->ev->description = fmt_str(f, "Application state changed from '%s' "
	    "to '%s'.", states[i][0], states[i][1]);
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "old_state", lit(states[i][0]));
	attr(f, "new_state", lit(states[i][1]));
	attr(f, "service", lit(f->windows ? "AVP" : "kesl"));
}

static void
gen_object_quarantined(struct ev_fill *f)
{
	const char *threat = SIM_PICK(R(f), threats);

	set_sev(f, SEV_WARNING);
	f->ev->title = lit("Object moved to quarantine");
	f->ev->threat_name = lit(threat);
	f->ev->object_path = user_file(f, "AppData", SIM_PICK(R(f), infected));
	f->ev->description = fmt_str(f, "The object was moved to quarantine "
	    "(%s).", threat);
	f->ev->user_name = lit(f->user);
	attr(f, "quarantine_id", fmt_str(f, "%u",
	    (unsigned int)sim_rng_range(R(f), 1, 99999)));
	attr(f, "sha256", hex_digest(f));
}

static void
gen_update_failed(struct ev_fill *f)
{
	static const char *const reasons[][2] = {
		{ "0x80072efd", "Update source unavailable" },
		{ "0xa67d0005", "Signature of the update files is invalid" },
		{ "0x80070070", "Not enough disk space" },
		{ "0xa67d0016", "Proxy server authentication required" },
	};
	unsigned int i = sim_rng_below(R(f), 4);

	set_sev(f, SEV_WARNING);
	f->ev->title = lit("Database update failed");
	f->ev->description = fmt_str(f, "%s: "
	    "https://ksc-srv-01.corp.plant.local:13000 (error %s).",
	    reasons[i][1], reasons[i][0]);
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "error_code", lit(reasons[i][0]));
	attr(f, "source", lit("Kaspersky Security Center"));
}

static void
gen_license_expiring(struct ev_fill *f)
{
	unsigned int days = (unsigned int)sim_rng_range(R(f), 1, 30);

	set_sev(f, days <= 7 ? SEV_WARNING : SEV_INFO);
	f->ev->title = lit("License expires soon");
	f->ev->description = fmt_str(f, "The license expires in %u days.",
	    days);
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "days_left", fmt_str(f, "%u", days));
	attr(f, "license_key", fmt_str(f, "%04X-%06X-%08X",
	    (unsigned int)sim_rng_below(R(f), 0x10000),
	    (unsigned int)sim_rng_below(R(f), 0x1000000),
	    (unsigned int)(sim_rng_next(R(f)) & 0xffffffffU)));
}

static void
gen_license_expired(struct ev_fill *f)
{
	unsigned int days = (unsigned int)sim_rng_range(R(f), 1, 60);

	set_sev(f, SEV_CRITICAL);
	f->ev->title = lit("License expired");
	f->ev->description = fmt_str(f, "The license expired %u days ago; "
	    "databases are no longer updated.", days);
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "days_expired", fmt_str(f, "%u", days));
}

static void
gen_threat_not_cured(struct ev_fill *f)
{
	static const char *const why[] = { "the object is locked",
		"the object is in a read-only archive",
		"disinfection is not possible" };
	const char *threat = SIM_PICK(R(f), threats);
	const char *reason = SIM_PICK(R(f), why);

	set_sev(f, SEV_CRITICAL);
	f->ev->title = lit("Object not disinfected");
	f->ev->threat_name = lit(threat);
	f->ev->object_path = user_file(f, "Documents", SIM_PICK(R(f),
	    infected));
	f->ev->description = fmt_str(f, "'%s' was detected but not "
	    "disinfected: %s.", threat, reason);
	f->ev->user_name = lit(f->user);
	attr(f, "reason", lit(reason));
	attr(f, "sha256", hex_digest(f));
}

static void
gen_web_threat_blocked(struct ev_fill *f)
{
	static const char *const urls[] = {
		"http://update-flash.example.net/install.exe",
		"http://198.51.100.23/payload.ps1",
		"https://login-office365.example.org/auth",
		"http://cdn.example.com/js/miner.js" };
	static const char *const procs[] = { "chrome.exe", "msedge.exe",
		"firefox.exe", "powershell.exe" };
	const char *url = SIM_PICK(R(f), urls);

	set_sev(f, SEV_WARNING);
	f->ev->title = lit("Web threat blocked");
	f->ev->threat_name = lit(SIM_PICK(R(f), threats));
	f->ev->object_path = lit(url);
	f->ev->description = fmt_str(f, "Web Threat Protection blocked "
	    "access to %s.", url);
	f->ev->user_name = lit(f->user);
	attr(f, "url", lit(url));
	attr(f, "process", lit(f->windows ? SIM_PICK(R(f), procs) :
	    "firefox"));
}

static void
gen_update_completed(struct ev_fill *f)
{
	unsigned int records = (unsigned int)sim_rng_range(R(f), 1000,
	    250000);

	set_sev(f, SEV_INFO);
	f->ev->title = lit("Database update completed");
	f->ev->description = fmt_str(f, "Databases updated: %u records, "
	    "%u KB downloaded.", records,
	    (unsigned int)sim_rng_range(R(f), 100, 90000));
	f->ev->user_name = lit(f->windows ? "SYSTEM" : "root");
	attr(f, "records", fmt_str(f, "%u", records));
	attr(f, "source", lit("Kaspersky Security Center"));
}

struct ev_kind {
	const char	*category;
	unsigned int	 weight;
	void		(*gen)(struct ev_fill *);
};

static const struct ev_kind kinds[] = {
	{ "network_attack", 8, gen_network_attack },
	{ "untrusted_device", 6, gen_untrusted_device },
	{ "unauthorized_application", 7, gen_unauthorized_application },
	{ "prohibited_file_operation", 5, gen_prohibited_file_operation },
	{ "file_modified", 5, gen_file_modified },
	{ "firewall_blocked", 10, gen_firewall_blocked },
	{ "threat_detected", 6, gen_threat_detected },
	{ "protection_disabled", 3, gen_protection_disabled },
	{ "bases_outdated", 4, gen_bases_outdated },
	{ "scan_completed", 18, gen_scan_completed },
	{ "application_state", 12, gen_application_state },
	{ "object_quarantined", 5, gen_object_quarantined },
	{ "update_failed", 6, gen_update_failed },
	{ "license_expiring", 5, gen_license_expiring },
	{ "license_expired", 2, gen_license_expired },
	{ "threat_not_cured", 2, gen_threat_not_cured },
	{ "web_threat_blocked", 6, gen_web_threat_blocked },
	{ "update_completed", 10, gen_update_completed },
};

#define N_KINDS	(sizeof(kinds) / sizeof(kinds[0]))

const char *const sim_event_categories[] = {
	"network_attack", "untrusted_device", "unauthorized_application",
	"prohibited_file_operation", "file_modified", "firewall_blocked",
	"threat_detected", "protection_disabled", "bases_outdated",
	"scan_completed", "application_state", "object_quarantined",
	"update_failed", "license_expiring", "license_expired",
	"threat_not_cured", "web_threat_blocked", "update_completed",
};
const size_t sim_event_n_categories = sizeof(sim_event_categories) /
    sizeof(sim_event_categories[0]);

static const struct ev_kind *
pick_kind(struct sim_rng *rng)
{
	unsigned int total = 0, r;

	for (size_t i = 0; i < N_KINDS; i++)
		total += kinds[i].weight;
	r = sim_rng_below(rng, total);
	for (size_t i = 0; i < N_KINDS; i++) {
		if (r < kinds[i].weight)
			return &kinds[i];
		r -= kinds[i].weight;
	}
	return &kinds[0];
}

int
sim_event_add(struct sim_report_ctx *ctx, Kics__Epp__V1__AgentReport *report,
    size_t count)
{
	const struct sim_host *h = ctx->host;
	uint64_t key = sim_mix64(ctx->params->seed ^ 0x6576656e74ULL);
	int64_t span = ctx->params->period_ms > 0 ? ctx->params->period_ms :
	    60000;

	if (count == 0)
		return 0;
	report->events = sim_arena_alloc(ctx->arena, count *
	    sizeof(*report->events));
	if (report->events == NULL)
		return -ENOMEM;
	for (size_t j = 0; j < count; j++) {
		Kics__Epp__V1__EppEvent *ev;
		const struct ev_kind *k = pick_kind(&ctx->rng);
		struct ev_fill f = { ctx, NULL, h->os_family == SIM_OS_WINDOWS,
			h->users[sim_rng_below(&ctx->rng,
			    (uint32_t)h->n_users)], 0 };
		char *id;

		if ((ev = sim_arena_alloc(ctx->arena, sizeof(*ev))) == NULL)
			return -ENOMEM;
		kics__epp__v1__epp_event__init(ev);
		ev->attributes = sim_arena_alloc(ctx->arena,
		    SIM_EVENT_MAX_ATTRS * sizeof(*ev->attributes));
		if ((id = sim_arena_alloc(ctx->arena, SIM_UUID_LEN)) == NULL ||
		    ev->attributes == NULL)
			return -ENOMEM;
		/*
		 * Unique: the top 32 bits are a bijection of the agent index,
		 * bits 16-31 the position and the low half a bijection of the
		 * sequence (62 bits, clear of the variant bits).
		 */
		sim_uuid_format((sim_permute(h->index, 32, key) << 32) |
		    ((uint64_t)(j & 0xffff) << 16) |
		    (sim_rng_next(&ctx->rng) & 0xffff),
		    sim_permute(ctx->sequence, 62, key), id);
		ev->event_id = id;
		ev->category = lit(k->category);
		ev->occurred_at_ms = ctx->now_ms - (int64_t)sim_rng_range(
		    &ctx->rng, 0, (uint64_t)span);
		ev->product = lit(h->n_apps > 0 ? h->apps[sim_rng_below(
		    &ctx->rng, (uint32_t)h->n_apps)].product : "");
		if (h->n_apps > 1 && strstr(ev->product, "Network Agent"))
			ev->product = lit(h->apps[0].product);
		f.ev = ev;
		k->gen(&f);
		if (f.failed < 0)
			return f.failed;
		report->events[report->n_events++] = ev;
	}
	return 0;
}
