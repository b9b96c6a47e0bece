/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named limits for every size that comes from the network or from a
 * configuration file (STYLE.md §4). A report over any of them is rejected
 * whole.
 */
#ifndef KICS_KICS_LIMITS_H
#define KICS_KICS_LIMITS_H

#define LIMIT_AGENT_ID_LEN	128	/* bytes of AgentReport.agent_id */
#define LIMIT_AGENT_TOKEN_LEN	64	/* bytes of AgentReport.agent_token */
#define LIMIT_SHORT_TEXT_LEN	256	/* hostname, os, vendor, product… */
#define LIMIT_LONG_TEXT_LEN	8192	/* event description, object_path */
#define LIMIT_ADDRESS_TEXT_LEN	64	/* IP or MAC in text */
#define LIMIT_INTERFACES	64	/* HostInfo.interfaces */
#define LIMIT_ADDRESSES		64	/* NetworkInterface.addresses */
#define LIMIT_APPLICATIONS	32	/* AgentReport.applications */
#define LIMIT_EVENTS		1000	/* AgentReport.events */
#define LIMIT_CONNECTIONS	5000	/* AgentReport.connections */
#define LIMIT_EVENT_ATTRIBUTES	64	/* EppEvent.attributes entries */

#define LIMIT_MAX_AGENTS	1000	/* agents.max_agents never above this */
/* agents.max_new_per_address_per_minute never above this */
#define LIMIT_NEW_AGENTS_PER_MINUTE	100000
#define LIMIT_YAML_FILE_BYTES	(4 * 1024 * 1024)	/* any YAML file */
#define LIMIT_YAML_DEPTH	32	/* nesting in a YAML file */
#define LIMIT_EVENT_TYPES	1000	/* entries in event-types.yaml */

/* yaml_doc, conf, event_types: the files under conf/ */
#define LIMIT_YAML_NODES	262144	/* scalars + collections in a file */
#define LIMIT_CONF_SERVERS	64	/* integration_servers entries */
#define LIMIT_CONF_POINTS	16	/* monitoring_points entries */
#define LIMIT_TRAFFIC_FLOWS	4194304	/* traffic.max_flows */
#define LIMIT_CONF_CONNECTORS	16	/* connectors entries */
#define LIMIT_CONF_USERS	256	/* users entries */
#define LIMIT_CONF_NAME_LEN	64	/* integration server name */
#define LIMIT_CONF_USER_LEN	32	/* OS user name */
#define LIMIT_CONF_PATH_LEN	4096	/* data_dir, event_types, rules */
#define LIMIT_CONF_DEVICES	100000	/* limits.max_devices never above */

/* ingest: the daemon's HTTP layer and its queue to the writer */
#define LIMIT_INGEST_QUEUE_REPORTS	4096	/* reports not yet answered */
#define LIMIT_INGEST_QUEUE_BYTES	(16 * 1024 * 1024)	/* their bodies */
/*
 * Reports in one batch (one transaction) of the writer at most. Its pages
 * must fit in the writer's SQLite page cache (16 MiB, about 4,000 pages;
 * a report dirties up to about 15, fewer when a batch shares them): past
 * it SQLite spills dirty pages into the WAL in the middle of the
 * transaction, reads them back and writes them again at COMMIT (issue
 * 17: closed-loop batches of 1,000 reports). The rest of the queue is the
 * next batch.
 */
#define LIMIT_WRITER_BATCH_REPORTS	256
#define LIMIT_HTTP_HEADERS_BYTES	8192	/* request line + headers */
#define LIMIT_HTTP_CONNECTIONS		65536	/* limits.max_connections */
/* bodies being received at once, all connections together (http_gate.h) */
#define LIMIT_HTTP_BODY_MEMORY_DEFAULT	(64 * 1024 * 1024)

/* rules: conf/rules.yaml (engine/rules*.c) */
#define LIMIT_RULES			1000	/* rules in the file */
#define LIMIT_RULE_NAME_LEN		64	/* bytes of a rule name */
#define LIMIT_RULE_ITEMS		256	/* items of one condition list */
#define LIMIT_RULE_ATTRIBUTES		16	/* keys of one attribute match */
#define LIMIT_RULE_PATTERN_LEN		256	/* glob, category, tag... */
#define LIMIT_RULE_TAGS			32	/* tags of one rule */
#define LIMIT_RULES_TAGS		256	/* distinct tags in the file */
#define LIMIT_RULE_TAG_LEN		64	/* bytes of a tag */
#define LIMIT_RULE_TITLE_LEN		256	/* bytes of a title template */

/* control socket: ingest/control.c and query/control.c (issue 5) */
#define LIMIT_CONTROL_REQUEST_BYTES	(64 * 1024)	/* one Request */
#define LIMIT_CONTROL_REPLY_BYTES	(4 * 1024 * 1024)	/* one Reply */
#define LIMIT_CONTROL_CLIENTS		16	/* connections at once */
#define LIMIT_CONTROL_TIMEOUT_S		30	/* to send a request */
#define LIMIT_CONTROL_TEXT_LEN		256	/* names, addresses, values */
#define LIMIT_DEVICE_SET_KEYS		1000	/* devices named by one
						   device set */

#endif
