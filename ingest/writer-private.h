/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writer thread's pieces that live beside writer.c: the decoding and
 * validation of a report before its batch (writer_prepare.c).
 */
#ifndef KICS_WRITER_PRIVATE_H
#define KICS_WRITER_PRIVATE_H

#include <stdbool.h>

#include "ingest.h"

/*
 * Decodes and validates job, once, outside any transaction. protobuf-c's
 * cost is bounded by the pre-scan the submitter ran. Returns true when
 * the report may go to the engine; otherwise job is answered as invalid.
 */
bool writer_prepare(struct writer_job *job);

#endif
