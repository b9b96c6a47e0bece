/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pre-scan of an AgentReport's wire bytes: one linear pass that checks
 * what decoding would cost before protobuf-c allocates anything. It counts
 * the repeated fields of every message against the limits of
 * kics_limits.h, caps unknown fields, and refuses malformed wire data
 * (truncated or overlong varints, lengths past the end, groups, wire types
 * that do not exist, 32-bit fields sent as 5-byte varints that protobuf-c
 * 1.4 would shift into a sign bit). What passes decodes in time and memory
 * proportional to the limits, not to the size of the body.
 */
#ifndef KICS_PRESCAN_H
#define KICS_PRESCAN_H

#include <stddef.h>
#include <stdint.h>

#define PRESCAN_REASON_LEN	160	/* bytes of a reason, NUL included */
#define PRESCAN_MAX_UNKNOWN	256	/* unknown fields in one report */

/*
 * Scans the serialized AgentReport data[0..len). Returns 0 when decoding it
 * is bounded by the limits; -EINVAL with a reason ("events: more than 1000
 * entries", "connections[3]: truncated varint") written to reason (len
 * bytes, always NUL-terminated) otherwise. Thread-safe; allocates nothing.
 */
int report_prescan(const uint8_t *data, size_t len, char *reason,
    size_t reason_len);

#endif
