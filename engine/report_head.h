/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The head of an AgentReport read from its wire bytes: agent_id, sequence
 * and agent_token, the fields that tell a resend, without decoding the
 * rest. The writer answers a resend from its head (engine.h,
 * engine_answer_resend()): its body is already stored, so nothing else of
 * it is used.
 */
#ifndef KICS_REPORT_HEAD_H
#define KICS_REPORT_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "kics_limits.h"

struct report_head {
	char		agent_id[LIMIT_AGENT_ID_LEN + 1];
	char		agent_token[LIMIT_AGENT_TOKEN_LEN + 1];	/* "": none */
	uint64_t	sequence;
};

/*
 * Reads the head of the AgentReport in the len bytes at p: the last
 * occurrence of each field, as protobuf-c decodes it, the other fields
 * passed over by their length. Returns 0 when the three fields are as
 * report_validate() accepts them (agent_id present and printable ASCII
 * without spaces, sequence from 1 to INT64_MAX, agent_token printable
 * ASCII without spaces or absent), or -EINVAL otherwise and on any wire
 * data it does not expect: the caller then decodes and validates the
 * whole report, which gives the reason.
 */
int report_head_read(const uint8_t *p, size_t len, struct report_head *h);

#endif
