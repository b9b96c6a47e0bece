/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's command table: one row per command with
 * what it asks of the daemon, what it queries and how it prints, its
 * positional arguments, options, usage line and help text.
 */
#include "cli.h"

/* map_nodes: devices, device find and map nodes. */
static const char *const device_cols[] = {
	"device_id", "ID", "name", "NAME", "category", "CATEGORY",
	"status", "STATUS", "ip", "IP", "mac", "MAC", "os", "OS",
	"epp_icon", "EPP", "security_state", "SECURITY",
	"last_seen_ms", "LAST SEEN", "vendor", "VENDOR", "model", "MODEL",
	NULL };

static const char *const find_cols[] = {
	"device_id", "ID", "name", "NAME", "ip", "IP", "mac", "MAC",
	"category", "CATEGORY", "status", "STATUS", "epp_icon", "EPP",
	"security_state", "SECURITY", "_match", "MATCH",
	"last_seen_ms", "LAST SEEN", NULL };

static const char *const event_cols[] = {
	"event_id", "ID", "occurred_at_ms", "OCCURRED",
	"severity", "SEVERITY", "device_id", "DEVICE", "code", "CODE",
	"title", "TITLE", "_snippet", "MATCH",
	"description", "DESCRIPTION", NULL };

static const char *const rules_cols[] = {
	"name", "NAME", "matches", "MATCHES", "drops", "DROPS",
	"match", "MATCH", "set", "SET", "tags", "TAGS", "drop", "DROP",
	"stop", "STOP", NULL };

static const char *const agent_cols[] = {
	"agent_id", "AGENT", "device_id", "DEVICE", "server_id", "SERVER",
	"last_contact_ms", "LAST CONTACT", "connected", "CONNECTED",
	"token_bound", "TOKEN", NULL };

#define HELP_DEVICE_ROWS \
	"With --format json: an array of objects with the map_nodes " \
	"columns\n(device_id, name, category, status, ip, mac, vendor, " \
	"model, os, epp_icon,\nsecurity_state, last_seen_ms); csv has " \
	"the same columns.\n"

const struct cli_command cli_commands[] = {
	{ .name = "devices",
	  .list = &(const struct cli_list){ query_devices_emit,
	  lookup_devices_parse, device_cols, "devices" },
	  .usage = "devices [--epp none|connected|disconnected] [--status S] "
	  "[--limit N]",
	  .help = "Lists devices by id.\n"
	  "  --epp STATE      only devices whose EPP icon is none, connected "
	  "or disconnected\n"
	  "  --status S       only authorized, unauthorized or archived "
	  "devices\n"
	  "  --limit N        at most N devices (default: all)\n"
	  HELP_DEVICE_ROWS "Exit 1 when no device matches.\n",
	  .opts = { { "epp", true }, { "status", true }, { "limit", true } } },
	{ .name = "device find", .min_pos = 1, .max_pos = 1,
	  .list = &(const struct cli_list){ query_device_find_emit,
	  lookup_find_parse, find_cols, "device matches" },
	  .usage = "device find QUERY [--limit N]",
	  .help = "Finds devices. QUERY is an IPv4 or IPv6 address in any "
	  "valid notation, a MAC\n(aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or "
	  "aabb.ccdd.eeff), a host name or its\nprefix, or free text. "
	  "Results are ranked: exact address match, exact host\nname or "
	  "name (any case), host name or address prefix, then free text "
	  "found in\nany attribute (not searched for an address). A "
	  "malformed address is an error.\n"
	  "  --limit N        at most N devices (default: all)\n"
	  HELP_DEVICE_ROWS "The table adds a MATCH column. Exit 1 when "
	  "nothing matches.\n",
	  .opts = { { "limit", true } } },
	{ .name = "device show", .run = show_device, .min_pos = 1,
	  .max_pos = 1, .usage = "device show ID|IP|MAC",
	  .help = "Shows one device: its attributes with their source and "
	  "time, "
	  "all addresses,\nEPP applications and their state, the agent and "
	  "its connection state, peers\nwith protocol, port and source, and "
	  "the last 20 events. The device is given by\nid, IP or MAC "
	  "address, or an exact host name held by one device only.\n"
	  "With --format json: one object (the map_nodes columns plus "
	  "hostname, domain,\nserial_number, source, created_ms, and "
	  "attributes, addresses, applications,\nagent, peers, events); "
	  "csv: rows of section,row,field,value.\n"
	  "Exit 1 when no device matches.\n" },
	{ .name = "device set", .control = CLI_CONTROL_SEND,
	  .run = admin_device_set, .min_pos = 1, .max_pos = 1,
	  .usage = "device set ID [--status authorized|unauthorized|archived] "
	  "[--name N]\n       [--category C] [--vendor V] [--model M] "
	  "[--os-name O] [--os-version V]",
	  .help = "Sets manual values of a device (they win over EPP and "
	  "traffic data).\nAdministrator only; sent to the daemon over "
	  "DATA_DIR/control.sock\n(exit 3 when it cannot be reached, 4 when "
	  "your role is refused).\n",
	  .opts = { { "status", true }, { "name", true }, { "category", true },
	  { "vendor", true }, { "model", true }, { "os-name", true },
	  { "os-version", true } } },
	{ .name = "events",
	  .list = &(const struct cli_list){ query_events_emit,
	  lookup_events_parse, event_cols, "events" },
	  .usage = "events [--device X] [--severity S] [--code C] [--since T] "
	  "[--until T]\n       [--search FTS] [--limit N]",
	  .help = "Lists the newest events (newest last).\n"
	  "  --device X       events of one device: id, IP, MAC or exact "
	  "host name\n"
	  "  --severity S     events of severity S or higher: info, warning, "
	  "critical\n"
	  "  --code C         events with this event-type code\n"
	  "  --since T        events that occurred at or after T\n"
	  "  --until T        events that occurred before T\n"
	  "  --search FTS     full-text search (SQLite FTS5 query syntax: "
	  "words, \"phrases\",\n                   prefix*, AND, OR, NOT, "
	  "column:word) over title, description,\n                   "
	  "object_path, threat_name, user_name and hostname; newest "
	  "first,\n                   the table shows the matching text "
	  "with hits highlighted\n"
	  "  --limit N        at most N events (default 50)\n"
	  "T is YYYY-MM-DD (local midnight), YYYY-MM-DDTHH:MM[:SS] (local "
	  "time; a space\nfor T works too) optionally followed by Z, +HH:MM "
	  "or -HH:MM, the word now,\nor an age: a number followed by s, m, "
	  "h, d or w (30m, 24h, 7d, 2w).\n"
	  "With --format json: an array of objects with the event_log "
	  "columns\n(event_id, occurred_at_ms, registered_at_ms, device_id, "
	  "agent_id, code, title,\nseverity, technology, category, "
	  "description, tags); csv has the same columns.\n"
	  "Exit 1 when no event matches.\n",
	  .opts = { { "device", true }, { "severity", true }, { "code", true },
	  { "since", true }, { "until", true }, { "search", true },
	  { "limit", true } } },
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
	  "last_seen_ms, packets, bytes).\n" },
	{ .name = "map export", .run = lookup_map_export, .dot = true,
	  .usage = "map export [--format json|dot]",
	  .help = "Exports the whole map. json (the default): one object "
	  "{\"nodes\": [map_nodes\nrows], \"edges\": [map_edges rows]}. dot: "
	  "a Graphviz digraph for dot -Tsvg:\nEPP nodes are green 3-D boxes "
	  "when their agent is connected, gray dashed when\ndisconnected, "
	  "plain boxes have no EPP; a red (critical) or orange (warning)\n"
	  "border shows the security state; edges are labelled "
	  "protocol/port, solid black\nfor traffic data and dashed blue for "
	  "EPP data.\n" },
	{ .name = "status", .control = CLI_CONTROL_LIVE, .run = show_status,
	  .usage = "status",
	  .help = "Summarises the installation: the daemon's live status "
	  "(listeners, connections,\nqueue, database size; Operator or "
	  "Administrator) and, from the database,\nagents connected out "
	  "of the maximum, devices by status, events, interactions\nand "
	  "the integration servers. When the daemon cannot be reached a "
	  "note on\nstderr says so and only the database is shown.\n" },
	{ .name = "server list", .control = CLI_CONTROL_ASK,
	  .list = &(const struct cli_list){ query_servers_emit, NULL,
	  NULL, "integration servers" },
	  .usage = "server list",
	  .help = "Lists integration servers: id, name, address, port, "
	  "transport, "
	  "enabled,\nverify_client_cert, agents_connected, last_data_ms, "
	  "cert_not_after_ms,\npackage_created_ms, state, and for UDP mode "
	  "udp_port, udp_encryption and the\nreceiver's counters since the "
	  "daemon started: udp_received (datagrams),\n"
	  "udp_dropped_malformed, udp_dropped_undecryptable, "
	  "udp_dropped_incomplete,\nudp_dropped_kernel (socket buffer "
	  "overflow), udp_dropped_busy, udp_reports_applied,\n"
	  "udp_reports_refused (invalid, or beyond the agent limit).\n" },
	{ .name = "server add", .control = CLI_CONTROL_SEND,
	  .run = admin_server_add,
	  .usage = "server add --address IP --port P [--verify-client] "
	  "[--name N]\n           [--transport https|udp|both] "
	  "[--udp-port P] [--no-udp-encryption]",
	  .help = "Adds an integration server (Administrator, through the "
	  "daemon). --transport\nudp receives one-way reports (data "
	  "diodes) on --udp-port (default: --port);\nboth serves HTTPS and "
	  "UDP. UDP datagrams must be encrypted with the key of\nthe "
	  "server's package unless --no-udp-encryption.\n",
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
	  "daemon).\n",
	  .opts = { { "address", true }, { "port", true },
	  { "name", true }, { "verify-client", false },
	  { "no-verify-client", false }, { "transport", true },
	  { "udp-port", true }, { "udp-encryption", false },
	  { "no-udp-encryption", false } } },
	{ .name = "server enable", .control = CLI_CONTROL_SEND,
	  .run = admin_server_id, .min_pos = 1, .max_pos = 1,
	  .usage = "server enable ID",
	  .help = "Enables an integration server (Administrator, through the "
	  "daemon).\n" },
	{ .name = "server disable", .control = CLI_CONTROL_SEND,
	  .run = admin_server_id, .min_pos = 1, .max_pos = 1,
	  .usage = "server disable ID [--force]",
	  .help = "Disables an integration server (Administrator, through the "
	  "daemon); its\nopen connections are closed. The last enabled "
	  "one is kept while agents are\nconnected unless --force.\n",
	  .opts = { { "force", false } } },
	{ .name = "server remove", .control = CLI_CONTROL_SEND,
	  .run = admin_server_id, .min_pos = 1, .max_pos = 1,
	  .usage = "server remove ID [--force]",
	  .help = "Removes an integration server and revokes its certificates "
	  "(Administrator,\nthrough the daemon); --force as for "
	  "disable.\n",
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
	  "exit status is 1.\n",
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
	  .help = "Lists users and their roles (name, role, created_ms).\n" },
	{ .name = "user add", .control = CLI_CONTROL_SEND,
	  .run = admin_user_add, .min_pos = 1, .max_pos = 1,
	  .usage = "user add NAME --role administrator|operator",
	  .help = "Adds a user (Administrator, through the daemon).\n",
	  .opts = { { "role", true } } },
	{ .name = "user remove", .control = CLI_CONTROL_SEND,
	  .run = admin_user_remove, .min_pos = 1, .max_pos = 1,
	  .usage = "user remove NAME",
	  .help = "Removes a user (Administrator, through the daemon).\n" },
	{ .name = "audit", .control = CLI_CONTROL_ASK,
	  .list = &(const struct cli_list){ query_audit_emit,
	  lookup_audit_parse, NULL, "audit records" },
	  .usage = "audit [--limit N]",
	  .help = "Lists the newest audit records, newest last.\n"
	  "  --limit N        at most N records (default 100)\n",
	  .opts = { { "limit", true } } },
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
	  "message; exit 1 then.\n",
	  .opts = { { "file", true }, { "event-json", true } } },
	{ .name = "rules reload", .control = CLI_CONTROL_SEND,
	  .run = admin_plain,
	  .usage = "rules reload",
	  .help = "Makes the daemon reload its rules (Administrator).\n" },
};

const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

