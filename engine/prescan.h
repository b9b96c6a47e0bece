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
 *
 * The scan also works on a body that arrives in pieces (struct
 * prescan_stream), so that a receiver refuses a report after the first
 * bytes that break a limit instead of after receiving all of it. Both
 * forms run the same code and give the same verdict and reason.
 */
#ifndef KICS_PRESCAN_H
#define KICS_PRESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "varint.h"

#define PRESCAN_REASON_LEN	160	/* bytes of a reason, NUL included */
#define PRESCAN_MAX_UNKNOWN	256	/* unknown fields in one report */
#define PRESCAN_MAX_DEPTH	4	/* nested messages, the report included */
#define PRESCAN_MAX_FIELD	15	/* highest field number we know + 1 */
#define PRESCAN_PATH_LEN	64

struct prescan_msg;
struct prescan_field;

/* One message being scanned: where it ends and what it holds so far. */
struct prescan_frame {
	const struct prescan_msg *msg;
	uint64_t	start;			/* offset of its first field */
	uint64_t	end;			/* offset just past it */
	size_t		counts[PRESCAN_MAX_FIELD]; /* per field number */
	/*
	 * Its place for a reason ("events[3]"), formatted only when the
	 * scan fails: the field's name (NULL at the top) and, for a
	 * repeated field, its index.
	 */
	const char	*name;
	size_t		index;
	bool		repeated;
};

/*
 * A scan in progress. Caller-owned storage (no allocation, about 1 KiB):
 * prescan_stream_init(), then prescan_stream_feed() with consecutive pieces
 * of the body, then prescan_stream_end(). Not thread-safe on one object;
 * any number of objects may run at once.
 */
struct prescan_stream {
	struct prescan_frame frames[PRESCAN_MAX_DEPTH];
	size_t		depth;		/* frames in use, >= 1 */
	uint64_t	total;		/* declared length of the body */
	uint64_t	pos;		/* bytes fed so far */
	uint64_t	skip_to;	/* PS_SKIP: offset where it ends */
	int		step;		/* enum prescan_step (prescan.c) */
	struct varint	var;		/* the varint being read */
	unsigned	vmax;		/* its limit in bytes */
	const struct prescan_field *f;	/* the field being read, or NULL */
	uint32_t	num;		/* its number */
	size_t		unknown;	/* unknown fields so far */
	bool		failed;
	char		reason[PRESCAN_REASON_LEN];
};

/* Starts a scan of a body of total bytes. */
void prescan_stream_init(struct prescan_stream *s, uint64_t total);

/*
 * Scans the next len bytes of the body. Returns 0 while the bytes so far
 * can be the start of an acceptable report; -EINVAL once they cannot (also
 * on every later call), with the reason in s->reason ("events: more than
 * 1000 entries", "connections[3]: truncated varint"). Bytes past the
 * declared total are refused.
 */
int prescan_stream_feed(struct prescan_stream *s, const uint8_t *data,
    size_t len);

/*
 * Ends the scan. Returns 0 when every declared byte was fed and the whole
 * body passed; -EINVAL with s->reason otherwise.
 */
int prescan_stream_end(struct prescan_stream *s);

/*
 * Scans the serialized AgentReport data[0..len) at once. Returns 0 when
 * decoding it is bounded by the limits; -EINVAL with the reason written
 * to reason (reason_len bytes, always NUL-terminated) otherwise.
 * Thread-safe; allocates nothing.
 */
int report_prescan(const uint8_t *data, size_t len, char *reason,
    size_t reason_len);

#endif
