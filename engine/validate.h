/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of a decoded AgentReport before the engine stores anything
 * from it: required fields, sizes, text encoding, enums and addresses.
 */
#ifndef KICS_VALIDATE_H
#define KICS_VALIDATE_H

#include <stddef.h>

#include "epp_agent.pb-c.h"

/* Bytes of a reason buffer that never truncates a reason. */
#define VALIDATE_REASON_LEN	256
/* Bytes of an offending value quoted in a reason; longer ones get "...". */
#define VALIDATE_QUOTE_LEN	40

/*
 * Checks that report r may be stored. The rules, in the order checked (the
 * first failure is reported):
 *
 * - agent_id present, at most LIMIT_AGENT_ID_LEN bytes of printable ASCII
 *   without spaces; sequence > 0.
 * - Every string is valid UTF-8 (no overlong forms, surrogates or code
 *   points past U+10FFFF) without control characters (C0, DEL, C1). Long
 *   texts (events: title, description, object_path; attribute values) may
 *   hold tab, newline and carriage return (Windows agents send CRLF) and
 *   are at most LIMIT_LONG_TEXT_LEN bytes; all other strings are at most
 *   LIMIT_SHORT_TEXT_LEN. An embedded NUL cannot be seen here: protobuf-c
 *   ends the C string there.
 * - Lists: at most LIMIT_INTERFACES, LIMIT_ADDRESSES (per interface),
 *   LIMIT_APPLICATIONS, LIMIT_EVENTS, LIMIT_CONNECTIONS and
 *   LIMIT_EVENT_ATTRIBUTES (per event) entries; no NULL entries.
 * - host (optional): interface mac, when not empty, a MAC in a spelling
 *   addr_mac_parse() accepts; every interface address an IP address with
 *   an optional "/prefix" in range (addr_ip_parse_prefixed()).
 * - applications: product present; state one of the enum (UNSPECIFIED
 *   means "not known" and is allowed).
 * - events: event_id present, unique within the report; severity one of
 *   the enum (UNSPECIFIED takes the type's default); category may be empty
 *   (the event then gets the generic "EPP event" type, like any category
 *   the event-type list does not name); attribute keys present.
 * - connections: protocol TCP, UDP or ICMP and direction OUTBOUND or
 *   INBOUND (UNSPECIFIED is invalid for both); remote_address an IP
 *   address, local_address one when not empty (no prefix on either);
 *   ports at most 65535; for TCP and UDP the service port (remote_port of
 *   an OUTBOUND, local_port of an INBOUND connection) is not 0, while the
 *   client's ephemeral port may be 0 (not known, e.g. aggregated); ICMP
 *   ports are not checked beyond the range; remote_mac a MAC when not
 *   empty; last_seen_ms >= first_seen_ms when both are non-zero.
 *
 * Returns 0 when the report may be stored (reason untouched), or -EINVAL
 * and a one-line reason in reason (when reason_len > 0; cut to fit at a
 * UTF-8 boundary, always NUL-terminated, always valid UTF-8 without control
 * characters) naming the field path and the offending value quoted and
 * shortened to VALIDATE_QUOTE_LEN bytes, e.g.
 *   host.interfaces[1].mac: 'zz:11' is not a MAC address
 *   events[3].event_id: missing
 * A NULL r is -EINVAL too. Nothing is allocated.
 */
int report_validate(const Kics__Epp__V1__AgentReport *r, char *reason,
    size_t reason_len);

#endif
