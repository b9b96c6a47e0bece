/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's command table: one row per command with
 * what it asks of the daemon, what it queries and how it prints, its
 * positional arguments, options, usage line and help text.
 */
#include "cli.h"

/*
 * Columns of the tables: ids, names and addresses are never cut (OUT_KEEP);
 * the others give way on a narrow terminal, the highest rank first.
 */
static const struct out_col device_cols[] = {
	{ "device_id", "ID", OUT_KEEP }, { "name", "NAME", OUT_KEEP },
	{ "category", "CATEGORY", 4 }, { "status", "STATUS", 1 },
	{ "ip", "IP", OUT_KEEP }, { "mac", "MAC", OUT_KEEP },
	{ "os", "OS", 6 }, { "epp_icon", "EPP", 2 },
	{ "security_state", "SECURITY", 3 },
	{ "last_seen_ms", "LAST SEEN", 5 }, { "vendor", "VENDOR", 7 },
	{ "model", "MODEL", 8 }, { NULL, NULL, 0 } };

static const struct out_col find_cols[] = {
	{ "device_id", "ID", OUT_KEEP }, { "name", "NAME", OUT_KEEP },
	{ "ip", "IP", OUT_KEEP }, { "mac", "MAC", OUT_KEEP },
	{ "category", "CATEGORY", 5 }, { "status", "STATUS", 2 },
	{ "epp_icon", "EPP", 3 }, { "security_state", "SECURITY", 4 },
	{ "_match", "MATCH", 1 }, { "last_seen_ms", "LAST SEEN", 6 },
	{ NULL, NULL, 0 } };

static const struct out_col event_cols[] = {
	{ "event_id", "ID", OUT_KEEP }, { "occurred_at_ms", "OCCURRED", 3 },
	{ "severity", "SEVERITY", 1 }, { "device_id", "DEV", 8 },
	{ "_device_name", "DEVICE", OUT_KEEP },
	{ "_device_ip", "IP", OUT_KEEP },
	{ "code", "CODE", 6 }, { "title", "TITLE", 5 },
	{ "_snippet", "MATCH", 4 }, { "description", "DESCRIPTION", 9 },
	{ NULL, NULL, 0 } };

static const struct out_col rules_cols[] = {
	{ "name", "NAME", OUT_KEEP }, { "matches", "MATCHES", 1 },
	{ "drops", "DROPS", 2 }, { "match", "MATCH", 5 }, { "set", "SET", 6 },
	{ "tags", "TAGS", 4 }, { "drop", "DROP", 7 }, { "stop", "STOP", 8 },
	{ NULL, NULL, 0 } };

static const struct out_col agent_cols[] = {
	{ "agent_id", "AGENT", OUT_KEEP }, { "device_id", "DEVICE", OUT_KEEP },
	{ "server_id", "SERVER", 3 }, { "last_contact_ms", "LAST CONTACT", 2 },
	{ "connected", "CONNECTED", 1 }, { "token_bound", "TOKEN", 4 },
	{ NULL, NULL, 0 } };

#define HELP_TIME \
	"T is YYYY-MM-DD (local midnight), YYYY-MM-DDTHH:MM[:SS] (local " \
	"time; a space\nfor T works too) optionally followed by Z, +HH:MM " \
	"or -HH:MM, the word now,\nor an age: a number followed by s, m, " \
	"h, d or w (30m, 24h, 7d, 2w).\n"

static const struct out_col connector_cols[] = {
	{ "id", "ID", OUT_KEEP }, { "name", "NAME", OUT_KEEP },
	{ "transport", "TRANSPORT", 6 }, { "address", "ADDRESS", OUT_KEEP },
	{ "port", "PORT", OUT_KEEP }, { "format", "FORMAT", 8 },
	{ "min_severity", "MIN SEVERITY", 9 }, { "state", "STATE", OUT_KEEP },
	{ "last_event_id", "LAST EVENT", 5 }, { "backlog", "BACKLOG", 1 },
	{ "delivered", "DELIVERED", 4 }, { "trimmed", "TRIMMED", 3 },
	{ "errors", "ERRORS", 7 }, { "last_error", "LAST ERROR", 2 },
	{ NULL, NULL, 0 } };

#define CONNECTOR_OPTS \
	{ { "address", true }, { "port", true }, { "transport", true }, \
	{ "ca", true }, { "message-format", true }, { "min-severity", true }, \
	{ "technologies", true }, { "enable", false }, { "disable", false } }

#define HELP_CONNECTOR_OPTS \
	"  --address A      the receiver: IP address or host name\n" \
	"  --port P         its port\n" \
	"  --transport T    udp (RFC 5426), tcp (RFC 6587, octet counting; " \
	"the default)\n                   or tls (RFC 5425)\n" \
	"  --ca FILE        with tls: the CA certificate (PEM) that verifies " \
	"the\n                   receiver, whose certificate must name " \
	"--address; \"-\" removes it\n" \
	"  --message-format F\n                   rfc5424 (the default) or cef\n" \
	"  --min-severity S forward events of S or higher: info (the " \
	"default),\n                   warning, critical\n" \
	"  --technologies L epp, system or epp,system (the default)\n" \
	"  --enable, --disable\n"

#define HELP_DEVICE_ROWS \
	"With --format json: an array of objects with the map_nodes " \
	"columns\n(device_id, name, category, status, ip, mac, vendor, " \
	"model, os, epp_icon,\nsecurity_state, last_seen_ms); csv has " \
	"the same columns.\n"

/* The filters of map export and map render (map_cli.c). */
#define MAP_FILTER_USAGE \
	"[--subnet CIDR]\n       [--device X [--depth N]] [--since T] " \
	"[--epp-only]"
#define MAP_FILTER_HELP \
	"  --subnet CIDR    only devices with an IP address in the IPv4 or " \
	"IPv6\n                   network CIDR\n" \
	"  --device X       only device X (id, IP, MAC or exact host name) " \
	"and its\n                   neighbours\n" \
	"  --depth N        neighbours up to N device pairs away (default " \
	"1; 0: X alone)\n" \
	"  --since T        only devices and interactions seen at or after " \
	"T (as for\n                   events: 2026-05-01, 24h, 7d, ...)\n" \
	"  --epp-only       only devices with an EPP application\n" \
	"Filters combine; pairs are kept when both devices are.\n"
#define MAP_FILTER_OPTS \
	{ "subnet", true }, { "device", true }, { "depth", true }, \
	{ "since", true }, { "epp-only", false }

const struct cli_command cli_commands[] = {
	{ .name = "devices",
	  .list = &(const struct cli_list){ query_devices_emit,
	  lookup_devices_parse, device_cols, "devices" },
	  .usage = "devices [--epp none|connected|disconnected] [--status S] "
	  "[--category C]\n       [--security ok|warning|critical] "
	  "[--subnet CIDR] [--since T] [--limit N]",
	  .help = "Lists devices by id. Filters combine (all must hold).\n"
	  "  --epp STATE      only devices whose EPP icon is none, connected "
	  "or disconnected\n"
	  "  --status S       only authorized, unauthorized or archived "
	  "devices\n"
	  "  --category C     only devices of category C (any case; manual "
	  "or derived:\n                   server, workstation, "
	  "network_device, unknown, or one set by hand)\n"
	  "  --security S     only devices whose security state is ok, "
	  "warning or critical\n                   (the worst severity of "
	  "their events of the last 24 hours)\n"
	  "  --subnet CIDR    only devices with an IP address in the IPv4 or "
	  "IPv6 network\n                   CIDR (10.1.0.0/16, "
	  "2001:db8::/32; a bare address is one host)\n"
	  "  --since T        only devices seen at or after T\n"
	  "  --limit N        at most N devices (default: all)\n"
	  HELP_TIME HELP_DEVICE_ROWS "Exit 1 when no device matches.\n",
	  .opts = { { "epp", true }, { "status", true }, { "limit", true },
	  { "category", true }, { "security", true }, { "subnet", true },
	  { "since", true } } },
	{ .name = "device find", .min_pos = 1, .max_pos = 1,
	  .list = &(const struct cli_list){ query_device_find_emit,
	  lookup_find_parse, find_cols, "device matches" },
	  .usage = "device find QUERY [--limit N]",
	  .help = "Finds devices. QUERY is an IPv4 or IPv6 address in any "
	  "valid notation, a\nnetwork (CIDR: 10.1.0.0/16, 2001:db8::/32), "
	  "a MAC (aa:bb:cc:dd:ee:ff,\nAA-BB-CC-DD-EE-FF or aabb.ccdd.eeff), "
	  "a host name or its prefix, or free text.\nResults are ranked: "
	  "exact address match or an address in the network, exact\nhost "
	  "name or name (any case), host name or address prefix, then free "
	  "text\nfound in any attribute (not searched for an address). A "
	  "malformed address or\nnetwork is an error.\n"
	  "  --limit N        at most N devices (default: all)\n"
	  HELP_DEVICE_ROWS "The table adds a MATCH column. Exit 1 when "
	  "nothing matches.\n",
	  .opts = { { "limit", true } } },
	{ .name = "device show", .run = show_device, .min_pos = 1,
	  .max_pos = 1, .usage = "device show ID|IP|MAC|NAME",
	  .help = "Shows one device: its attributes with their source and "
	  "time, "
	  "all addresses,\nEPP applications and their state, the agent and "
	  "its connection state, peers\nwith protocol, port and source, and "
	  "the last 20 events (newest first).\nThe device is given by id, "
	  "IP or MAC address, or an exact host name held by one\ndevice "
	  "only.\n"
	  "With --format json: one object (the map_nodes columns plus "
	  "hostname, domain,\nserial_number, source, created_ms, and "
	  "attributes, addresses, applications,\nagent, peers, events); "
	  "csv: rows of section,row,field,value.\n"
	  "Exit 1 when no device matches.\n" },
	{ .name = "device set", .control = CLI_CONTROL_SEND,
	  .run = admin_device_set, .min_pos = 0,
	  .max_pos = CLI_MAX_POSITIONAL,
	  .usage = "device set ID|IP|MAC|NAME... | --subnet CIDR\n"
	  "       [--status authorized|unauthorized|archived] [--name N] "
	  "[--category C]\n       [--vendor V] [--model M] [--os-name O] "
	  "[--os-version V] [--ip IP]",
	  .help = "Sets manual values of devices (they win over EPP and "
	  "traffic data). The devices\nare given as device show takes them "
	  "(id, IP or MAC address, or a name or host\nname one device has), "
	  "up to 1000 of them, or as every device with an IP\naddress in "
	  "--subnet CIDR. All of them change in one transaction; the answer\n"
	  "says how many matched and how many changed (--format json: "
	  "{\"matched\": N,\n\"changed\": N}). Each device that changed "
	  "registers \"New information received\nabout a device\" "
	  "(4000005004) with its old and new values; --status archived\n"
	  "archives as the archive sweep does (\"Device archived\"). One "
	  "audit record names\nthe request and the counts.\n"
	  "  --subnet CIDR    every device with an IP address in CIDR "
	  "(instead of IDs)\n"
	  "  --status S       authorized, unauthorized or archived\n"
	  "  --name N, --category C, --vendor V, --model M, --os-name O, "
	  "--os-version V\n"
	  "                   manual values of these attributes\n"
	  "  --ip IP          an IP set by hand on one device: it stays with "
	  "that device\n                   when another shows it (an IP "
	  "conflict, 4000005005)\n"
	  "Administrator only; sent to the daemon over "
	  "DATA_DIR/control.sock\n(exit 3 when it cannot be reached, 4 when "
	  "your role is refused). Exit 1 when\na device or the network "
	  "matches nothing, or a name is held by several\ndevices: then "
	  "nothing changes.\n",
	  .opts = { { "status", true }, { "name", true }, { "category", true },
	  { "vendor", true }, { "model", true }, { "os-name", true },
	  { "os-version", true }, { "subnet", true }, { "ip", true } } },
	{ .name = "events", .run = lookup_events,
	  .list = &(const struct cli_list){ query_events_emit,
	  lookup_events_parse, event_cols, "events" },
	  .usage = "events [--device X] [--severity S] [--code C] [--since T] "
	  "[--until T]\n       [--search TEXT] [--limit N] [--reverse] "
	  "[--follow]",
	  .help = "Lists events, newest first by the time they occurred (ties: "
	  "the higher event id\nfirst), in every format and also with "
	  "--search. The table shows each event's\ndevice by name and IP.\n"
	  "  --device X       events of one device: id, IP, MAC or exact "
	  "host name\n"
	  "  --severity S     events of severity S or higher: info, warning, "
	  "critical\n"
	  "  --code C         events with this event-type code\n"
	  "  --since T        events that occurred at or after T\n"
	  "  --until T        events that occurred before T\n"
	  "  --search TEXT    full-text search over title, description, "
	  "object_path,\n                   threat_name, user_name and "
	  "hostname. Words with punctuation\n                   (10.1.2.3, "
	  "CVE-2017-11882, putty.exe) need no quotes; FTS5\n"
	  "                   syntax works too: \"phrases\", AND, OR, NOT, "
	  "prefix*, NEAR(a b),\n                   column:word. The table "
	  "shows the matching text, hits marked\n"
	  "  --limit N        the first N events of the order (default 50)\n"
	  "  --reverse        oldest first\n"
	  "  --follow         print the last N events (--limit, default 10) "
	  "and then each new\n                   event as the daemon stores "
	  "it, in the order stored, until\n                   interrupted "
	  "(Ctrl-C, exit 0). With --format json one object\n"
	  "                   per line (JSON Lines), csv one row per event.\n"
	  HELP_TIME
	  "With --format json: an array of objects with the event_log "
	  "columns\n(event_id, occurred_at_ms, registered_at_ms, device_id, "
	  "agent_id, code, title,\nseverity, technology, category, "
	  "description, tags); csv has the same columns.\n"
	  "Exit 1 when no event matches (not with --follow).\n",
	  .opts = { { "device", true }, { "severity", true }, { "code", true },
	  { "since", true }, { "until", true }, { "search", true },
	  { "limit", true }, { "reverse", false }, { "follow", false } } },
	{ .name = "map nodes",
	  .list = &(const struct cli_list){ query_devices_emit, NULL,
	  device_cols, "devices" },
	  .usage = "map nodes",
	  .help = "Prints every row of the map_nodes view.\n"
	  HELP_DEVICE_ROWS },
	{ .name = "map edges",
	  .list = &(const struct cli_list){ query_map_edges_emit, NULL,
	  NULL, "edges" },
	  .usage = "map edges",
	  .help = "Prints every row of the map_edges view (src_device_id, "
	  "dst_device_id, protocol,\nport, source, first_seen_ms, "
	  "last_seen_ms, packets, bytes, app_protocol: the application\n"
	  "protocol nDPI named in monitoring-point traffic, empty when "
	  "unknown or from\nEPP data).\n" },
	{ .name = "map export", .run = lookup_map_export, .dot = true,
	  .usage = "map export [--format json|dot] [--aggregate pairs] "
	  MAP_FILTER_USAGE,
	  .help = "Exports the map. json (the default): one object "
	  "{\"nodes\": [map_nodes\nrows], \"edges\": [map_edges rows]}. dot: "
	  "a Graphviz digraph drawn as map\nrender draws it (kics-query(1) "
	  "lists the colours).\n"
	  "  --aggregate pairs  one edge per device pair instead of one per "
	  "interaction:\n                   src_device_id < dst_device_id, "
	  "interactions, protocols\n                   [\"tcp/502\", ...], "
	  "source (traffic when any interaction\n                   is "
	  "traffic data, else epp), direction (forward, back,\n"
	  "                   both), first_seen_ms, last_seen_ms, packets, "
	  "bytes,\n                   app_protocols [\"Modbus\", ...]\n"
	  MAP_FILTER_HELP,
	  .opts = { { "aggregate", true }, MAP_FILTER_OPTS } },
	{ .name = "map render", .run = lookup_map_render,
	  .usage = "map render --out FILE.svg|FILE.png " MAP_FILTER_USAGE,
	  .help = "Draws the map as an SVG or PNG picture with Graphviz's "
	  "library: one node per\ndevice (name and IP; shape by category: "
	  "3-D box server, box workstation,\nhexagon with a double border "
	  "router, ellipse unknown), a green EPP badge when\nits agent is "
	  "connected, grey when disconnected, none without EPP; the border\n"
	  "is the security state of the last 24 h (green ok, yellow warning, "
	  "red\ncritical); unauthorized devices have a red background. One "
	  "edge per device\npair, labelled with its protocols and ports "
	  "(and the application protocols\nnDPI named), wider with more "
	  "bytes, solid for\ntraffic data and dashed for EPP "
	  "data; a legend at the bottom. Layout: dot up\nto 150 devices "
	  "and 300 device pairs, sfdp above. The picture is written beside\n"
	  "FILE and renamed into place: FILE is whole or unchanged.\n"
	  "  --out FILE       the picture; its name ends in .svg or .png\n"
	  MAP_FILTER_HELP
	  "Exit 1 when no device matches or FILE cannot be written.\n",
	  .opts = { { "out", true }, MAP_FILTER_OPTS } },
	{ .name = "status", .control = CLI_CONTROL_LIVE, .run = show_status,
	  .usage = "status",
	  .help = "Summarises the installation: the daemon's live status "
	  "(listeners, connections,\nqueue, database size; Operator or "
	  "Administrator) and, from the database,\nagents connected out "
	  "of the maximum, devices by status, events, interactions\nand "
	  "the integration servers. When the daemon cannot be reached a "
	  "note on\nstderr says so and only the database is shown. With "
	  "--format json: one object,\n{\"daemon\": the live status with its "
	  "\"listeners\" (or null), the database\ncounts..., \"servers\": "
	  "[...]}; csv: rows of section,row,field,value with the\nsections "
	  "daemon, listener, status and server. Not audited.\n" },
	{ .name = "server list", .control = CLI_CONTROL_ASK,
	  .list = &(const struct cli_list){ query_servers_emit, NULL,
	  NULL, "integration servers" },
	  .usage = "server list",
	  .help = "Lists integration servers: id, name, address, port, "
	  "transport, "
	  "enabled,\nverify_client_cert, agents_connected, last_data_ms, "
	  "cert_not_after_ms,\npackage_created_ms, state (listening, disabled, error: <reason>, or\n"
	  "stopped when the daemon cannot be reached), and for UDP mode udp_port,\n"
	  "udp_encryption and the receiver's counters since the daemon started:\n"
	  "udp_received (datagrams), udp_dropped_malformed, "
	  "udp_dropped_undecryptable,\nudp_dropped_incomplete, udp_dropped_kernel (socket buffer "
	  "overflow),\nudp_dropped_busy, udp_reports_applied, udp_reports_refused (invalid, or\n"
	  "beyond the agent limit). It asks the daemon (Operator or Administrator,\n"
	  "not audited). Exit 1 when there is none.\n" },
	{ .name = "server add", .control = CLI_CONTROL_SEND,
	  .run = admin_server_add,
	  .usage = "server add --address IP --port P [--verify-client] "
	  "[--name N]\n           [--transport https|udp|both] "
	  "[--udp-port P] [--no-udp-encryption]",
	  .help = "Adds an integration server (Administrator, through the "
	  "daemon; audited). --transport\nudp receives one-way reports (data "
	  "diodes) on --udp-port (default: --port);\nboth serves HTTPS and "
	  "UDP. UDP datagrams must be encrypted with the key of\nthe "
	  "server's package unless --no-udp-encryption.\n"
	  "  --address IP     the address to listen on (required)\n"
	  "  --port P         the TCP port, 1 to 65535 (required)\n"
	  "  --verify-client  require client certificates from agents\n"
	  "  --name N         a name for the server\n"
	  "  --transport T    https (default), udp or both\n"
	  "  --udp-port P     the UDP port (default: --port)\n"
	  "  --no-udp-encryption  accept plain UDP datagrams\n",
	  .opts = { { "address", true }, { "port", true },
	  { "verify-client", false }, { "name", true },
	  { "transport", true }, { "udp-port", true },
	  { "no-udp-encryption", false } } },
	{ .name = "server edit", .control = CLI_CONTROL_SEND,
	  .run = admin_server_edit, .min_pos = 1, .max_pos = 1,
	  .usage = "server edit ID [--address IP] [--port P] [--name N] "
	  "[--verify-client|--no-verify-client]\n           "
	  "[--transport https|udp|both] [--udp-port P] "
	  "[--udp-encryption|--no-udp-encryption]",
	  .help = "Changes an integration server (Administrator, through the "
	  "daemon; audited).\nOnly the options given change.\n"
	  "  --address IP     the address to listen on\n"
	  "  --port P         the TCP port, 1 to 65535\n"
	  "  --name N         a name for the server\n"
	  "  --verify-client, --no-verify-client\n"
	  "                   require client certificates, or stop "
	  "requiring them\n"
	  "  --transport T    https, udp (one way, for data diodes) or both\n"
	  "  --udp-port P     the UDP port\n"
	  "  --udp-encryption, --no-udp-encryption\n"
	  "                   require datagrams encrypted with the key of the "
	  "server's\n                   package, or accept plain ones\n",
	  .opts = { { "address", true }, { "port", true },
	  { "name", true }, { "verify-client", false },
	  { "no-verify-client", false }, { "transport", true },
	  { "udp-port", true }, { "udp-encryption", false },
	  { "no-udp-encryption", false } } },
	{ .name = "server enable", .control = CLI_CONTROL_SEND,
	  .run = admin_server_id, .min_pos = 1, .max_pos = 1,
	  .usage = "server enable ID",
	  .help = "Enables an integration server (Administrator, through the "
	  "daemon; audited).\nID is the id from server list.\n" },
	{ .name = "server disable", .control = CLI_CONTROL_SEND,
	  .run = admin_server_id, .min_pos = 1, .max_pos = 1,
	  .usage = "server disable ID [--force]",
	  .help = "Disables an integration server (Administrator, through the "
	  "daemon); its\nopen connections are closed. The last enabled "
	  "one is kept while agents are\nconnected unless --force. "
	  "Audited.\n"
	  "  --force          disable even the last enabled server while "
	  "agents are connected\n",
	  .opts = { { "force", false } } },
	{ .name = "server remove", .control = CLI_CONTROL_SEND,
	  .run = admin_server_id, .min_pos = 1, .max_pos = 1,
	  .usage = "server remove ID [--force]",
	  .help = "Removes an integration server and revokes its certificates "
	  "(Administrator,\nthrough the daemon; audited).\n"
	  "  --force          remove even the last enabled server while "
	  "agents are connected\n",
	  .opts = { { "force", false } } },
	{ .name = "package create", .control = CLI_CONTROL_SEND,
	  .run = admin_package_create,
	  .usage = "package create --server ID --out FILE --password-file FILE",
	  .help = "Creates the communication data package of a server "
	  "(Administrator, through\nthe daemon). The password, the first "
	  "line of the password file, must have\nat least 12 characters. "
	  "The package is written beside FILE, mode 0600, and\nrenamed "
	  "into place; only then does it replace the server's previous "
	  "package,\nwhose client certificate is revoked. If FILE cannot "
	  "be written, nothing\nchanges, the failure is audited and the "
	  "exit status is 1.\n"
	  "  --server ID      the integration server (required)\n"
	  "  --out FILE       where to write the package (required)\n"
	  "  --password-file FILE\n"
	  "                   a file whose first line is the PKCS#12 "
	  "password (required)\n",
	  .opts = { { "server", true }, { "out", true },
	  { "password-file", true } } },
	{ .name = "agent list", .control = CLI_CONTROL_ASK,
	  .list = &(const struct cli_list){ query_agents_emit, NULL,
	  agent_cols, "agents" },
	  .usage = "agent list",
	  .help = "Lists agents by agent id: agent_id, device_id, server_id, "
	  "last_contact_ms,\nconnected (yes/no) and token_bound (yes when "
	  "the daemon has bound an identity\ntoken to the agent; the token "
	  "itself is never shown). Exit 1 when there is none.\n" },
	{ .name = "agent reset", .control = CLI_CONTROL_SEND,
	  .run = admin_agent_id, .min_pos = 1, .max_pos = 1,
	  .usage = "agent reset AGENT_ID",
	  .help = "Unbinds the identity token of an agent (Administrator, "
	  "through the daemon;\naudited), so that an agent reinstalled with "
	  "the same id is accepted: its next\nreport binds a new token.\n" },
	{ .name = "agent remove", .control = CLI_CONTROL_SEND,
	  .run = admin_agent_id, .min_pos = 1, .max_pos = 1,
	  .usage = "agent remove AGENT_ID",
	  .help = "Removes an agent (Administrator, through the daemon; "
	  "audited): it no longer\ncounts towards agents.max_agents and a "
	  "later report with its id is a new\nagent. Its device and events "
	  "stay.\n" },
	{ .name = "user list", .control = CLI_CONTROL_ASK,
	  .list = &(const struct cli_list){ query_users_emit, NULL,
	  NULL, "users" },
	  .usage = "user list",
	  .help = "Lists users and their roles (name, role, created_ms). "
	  "Asks the daemon\nwhether you may (Operator or Administrator; a "
	  "refusal is audited, a lookup\nis not). Exit 1 when there is "
	  "none.\n" },
	{ .name = "user add", .control = CLI_CONTROL_SEND,
	  .run = admin_user_add, .min_pos = 1, .max_pos = 1,
	  .usage = "user add NAME --role administrator|operator",
	  .help = "Gives the OS user NAME a role (Administrator, through the "
	  "daemon; audited).\n"
	  "  --role R         administrator or operator (required)\n",
	  .opts = { { "role", true } } },
	{ .name = "user remove", .control = CLI_CONTROL_SEND,
	  .run = admin_user_remove, .min_pos = 1, .max_pos = 1,
	  .usage = "user remove NAME",
	  .help = "Takes the role of the OS user NAME away (Administrator, "
	  "through the daemon;\naudited).\n" },
	{ .name = "audit", .control = CLI_CONTROL_ASK,
	  .list = &(const struct cli_list){ query_audit_emit,
	  lookup_audit_parse, NULL, "audit records" },
	  .usage = "audit [--limit N]",
	  .help = "Lists the newest audit records, newest last: every "
	  "administrative action\nand every refusal, never a lookup.\n"
	  "  --limit N        at most N records (default 100)\n",
	  .opts = { { "limit", true } } },
	{ .name = "connector list", .control = CLI_CONTROL_ASK,
	  .list = &(const struct cli_list){ query_connectors_emit, NULL,
	  connector_cols, "connectors" },
	  .usage = "connector list",
	  .help = "Lists the SIEM connectors with their forwarding state "
	  "(saved by the daemon\nabout every second): state (connected, "
	  "error, starting, disabled, or\nstopped when the daemon does not "
	  "run), last_event_id (the cursor: every\nevent up to it was "
	  "delivered or filtered out), backlog (events after it\nthat pass "
	  "the filter), delivered, trimmed (deleted by retention before\n"
	  "delivery), errors, last_error. With --format json also address, "
	  "port,\ntransport, format, min_severity, technologies, enabled, "
	  "ca and\nlast_delivered_ms. Exit 1 when there is none.\n" },
	{ .name = "connector add", .control = CLI_CONTROL_SEND,
	  .run = admin_connector, .min_pos = 1, .max_pos = 1,
	  .usage = "connector add NAME --address A --port P [--transport "
	  "udp|tcp|tls]\n       [--ca FILE] [--message-format rfc5424|cef] "
	  "[--min-severity S] [--technologies L]\n       [--disable]",
	  .help = "Adds a SIEM connector (Administrator, through the daemon; "
	  "audited). It\nforwards the events registered from now on.\n"
	  HELP_CONNECTOR_OPTS, .opts = CONNECTOR_OPTS },
	{ .name = "connector edit", .control = CLI_CONTROL_SEND,
	  .run = admin_connector, .min_pos = 1, .max_pos = 1,
	  .usage = "connector edit NAME [--address A] [--port P] [--transport "
	  "T] [--ca FILE]\n       [--message-format F] [--min-severity S] "
	  "[--technologies L] [--enable|--disable]",
	  .help = "Changes a SIEM connector (Administrator, through the "
	  "daemon; audited); what\nis not given stays. Its cursor stays: "
	  "a new receiver gets the events from\nthere on.\n"
	  HELP_CONNECTOR_OPTS, .opts = CONNECTOR_OPTS },
	{ .name = "connector remove", .control = CLI_CONTROL_SEND,
	  .run = admin_connector, .min_pos = 1, .max_pos = 1,
	  .usage = "connector remove NAME",
	  .help = "Removes a SIEM connector and its cursor (Administrator, "
	  "through the daemon;\naudited).\n" },
	{ .name = "connector test", .control = CLI_CONTROL_SEND,
	  .run = admin_connector, .min_pos = 1, .max_pos = 1,
	  .usage = "connector test NAME",
	  .help = "Sends one test message (MSGID test) to the connector's "
	  "receiver\n(Administrator, through the daemon; audited) and says "
	  "whether it was\ndelivered: over tcp and tls, written and "
	  "acknowledged by the receiver; over\nudp, sent. Exit 1 when it "
	  "was not, with the reason.\n" },
	{ .name = "rules list",
	  .list = &(const struct cli_list){ query_rules_list_emit, NULL,
	  rules_cols, "rule set saved by the daemon" },
	  .usage = "rules list",
	  .help = "Lists the event rules the daemon runs, in order, with how "
	  "many "
	  "events each\nmatched and dropped since it was loaded (the daemon "
	  "saves them every few\nseconds). With --format json: the rules as "
	  "objects with name, line, match,\nset, tags, drop, stop, matches "
	  "and drops. Exit 1 when the daemon has saved\nno rule set.\n" },
	{ .name = "rules test", .run = lookup_rules_test,
	  .usage = "rules test --file FILE --event-json JSON",
	  .help = "Applies a rules file to one event and prints which rules "
	  "match "
	  "and the event\nas it would be stored (code, category, severity, "
	  "title, tags, stored);\nwrites nothing. JSON keys of the event: "
	  "category, code, product, severity,\ntitle, description, "
	  "object_path, threat_name, user_name, hostname, ip, mac,\n"
	  "device_category, attributes (object), device_ips (array). Every "
	  "error of the\nrules file is printed as file:line:column: "
	  "message; exit 1 then.\n"
	  "  --file FILE      the rules file (required)\n"
	  "  --event-json JSON\n"
	  "                   the event, one JSON object (required)\n",
	  .opts = { { "file", true }, { "event-json", true } } },
	{ .name = "rules reload", .control = CLI_CONTROL_SEND,
	  .run = admin_plain,
	  .usage = "rules reload",
	  .help = "Makes the daemon reload its rules (Administrator, "
	  "audited). A rules file\nwith errors is refused and the old "
	  "rules stay.\n" },
	{ .name = "help", .run = cli_help_run, .max_pos = 2,
	  .usage = "help [COMMAND]",
	  .help = "Prints the list of commands, or the help of COMMAND (one "
	  "or two words:\n'help devices', 'help device find', 'help "
	  "device').\n" },
	{ .name = "traffic import", .control = CLI_CONTROL_SEND,
	  .run = admin_traffic_import, .min_pos = 1, .max_pos = 1,
	  .usage = "traffic import FILE [--point NAME]",
	  .help = "Imports a pcap or pcapng file of monitoring-point traffic "
	  "(Administrator,\nthrough the daemon, which opens FILE itself: it "
	  "must be readable by the\ndaemon's user). Flows with packets both "
	  "ways become interactions of source\ntraffic (they win over EPP "
	  "data of the same interaction), their hosts become\ndevices; the "
	  "application protocol comes from nDPI and vendors from the IEEE\n"
	  "registries. The file keeps its own times. A damaged file changes "
	  "nothing.\nPrints packets read, flows, devices and interactions "
	  "added, and what was\nskipped and why (--format json: one object "
	  "with these counts).\n"
	  "  --point NAME     the monitoring point to name in events "
	  "(default: import)\n",
	  .opts = { { "point", true } } },
};

const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

