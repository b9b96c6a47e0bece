/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The forwarder's read-only connection to the database (issue 16): the
 * connectors, their saved cursors and the events after a cursor. It never
 * writes: the cursors are saved by the writer (store_connector.c), so that
 * the database has one writer and forwarding never slows ingest.
 *
 * THREAD SAFETY: a struct store_reader belongs to one thread (the
 * forwarder's); it is another SQLite connection than the writer's.
 */
#ifndef KICS_STORE_FORWARD_H
#define KICS_STORE_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

struct store_reader;

/*
 * Opens the database at path read-only (it must exist and be migrated).
 * Returns 0 and a reader freed with store_reader_free(); -ENOENT, -EIO,
 * -ENOMEM. On failure a one-line reason goes to errbuf (errlen bytes).
 */
int store_reader_open(const char *path, char *errbuf, size_t errlen,
    struct store_reader **ret_reader);

/* Closes and frees rd. NULL-safe. */
void store_reader_free(struct store_reader *rd);

/* The last database message; borrowed until the next call on rd. */
const char *store_reader_errmsg(const struct store_reader *rd);

/*
 * The connectors by id and their saved cursors (ret_cursors[i] belongs to
 * (*ret_v)[i]; 0 when the row has none). Returns 0, an array freed with
 * engine_connectors_free() and one freed with free(); or a negative errno.
 */
int store_reader_connectors(struct store_reader *rd,
    struct engine_connector **ret_v, int64_t **ret_cursors, size_t *ret_n);

/* Called for each event of store_reader_events(); stop with non-zero. */
typedef int store_reader_event_fn(void *arg, const struct engine_fwd_event *ev);

/*
 * Calls fn for at most max events with an id above after_id and at most
 * up_to (INT64_MAX: any; the daemon passes the highest id on disk, so
 * that no event is sent that a crash could take back), in id order, all
 * from one snapshot. The event's strings are borrowed until fn returns.
 * Returns the number of events handed to fn, or a negative errno; fn's
 * non-zero return stops the walk (that event counts).
 */
int store_reader_events(struct store_reader *rd, int64_t after_id,
    int64_t up_to, size_t max, store_reader_event_fn *fn, void *arg);

/*
 * The lowest and the highest event id stored (0 and 0 when there is none).
 * Returns 0 or a negative errno.
 */
int store_reader_bounds(struct store_reader *rd, int64_t *ret_min,
    int64_t *ret_max);

#endif
