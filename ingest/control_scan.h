/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pre-scan of a control-socket message: one pass over its wire bytes,
 * driven by the message's protobuf-c descriptor, before protobuf-c decodes
 * it. It refuses malformed wire data (bad varints, lengths past the end,
 * groups, wire types that do not match the field), counts (a field that is
 * not repeated more than CONTROL_SCAN_MAX_SINGULAR times, more than
 * CONTROL_SCAN_MAX_REPEATED entries, more than CONTROL_SCAN_MAX_UNKNOWN
 * unknown fields, nesting deeper than CONTROL_SCAN_MAX_DEPTH), and 32-bit
 * varints of 2^31 and above, which protobuf-c 1.4.1 shifts into the sign
 * bit of an int (undefined behaviour). Unlike the report's pre-scan
 * (engine/prescan.h) it needs no table of its own: new fields of
 * schema/control.proto are covered as they are added.
 *
 * THREAD SAFETY: none needed; it allocates nothing and keeps no state.
 */
#ifndef KICS_CONTROL_SCAN_H
#define KICS_CONTROL_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define CONTROL_SCAN_MAX_SINGULAR	8
#define CONTROL_SCAN_MAX_REPEATED	4096
#define CONTROL_SCAN_MAX_UNKNOWN	64
#define CONTROL_SCAN_MAX_DEPTH		8
#define CONTROL_SCAN_REASON_LEN		128

/*
 * Scans data[0..len) as a message of descriptor d. Returns 0 when
 * protobuf-c may decode it; -EINVAL with the reason ("server.port: bad
 * varint") written to reason (reason_len bytes, NUL-terminated) otherwise.
 */
int control_scan(const ProtobufCMessageDescriptor *d, const uint8_t *data,
    size_t len, char *reason, size_t reason_len);

#endif
