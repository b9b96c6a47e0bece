/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A 64-bit digest of protobuf messages, so that a report repeating what
 * its agent already sent (host info, applications) is recognised without
 * reading the rows it would rewrite.
 */
#ifndef KICS_DIGEST_H
#define KICS_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/*
 * Returns the FNV-1a digest of the serialisations of msgs[0..n), never 0
 * (0 means "no digest" in the database). Allocates nothing.
 */
int64_t digest_messages(const ProtobufCMessage *const *msgs, size_t n);

#endif
