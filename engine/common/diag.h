/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diagnostics collected while reading a file: every error as
 * "file:line:column: message", all of them, in the order found. engine/
 * never prints them; the program that loaded the file does.
 */
#ifndef KICS_DIAG_H
#define KICS_DIAG_H

#include <stddef.h>

#include "log.h"	/* KICS_PRINTF */

struct diag;

/* Returns an empty list the caller frees with diag_free(), or NULL (OOM). */
struct diag *diag_new(void);
/* Frees d and its messages. NULL-safe. */
void diag_free(struct diag *d);
/*
 * Appends "file:line:column: message". line and column count from 1; a
 * zero line omits line and column, a zero column omits the column.
 * Returns 0 or -ENOMEM (then the list is unchanged).
 */
int diag_add(struct diag *d, const char *file, size_t line, size_t column,
    const char *fmt, ...) KICS_PRINTF(5, 6);
/* Number of messages in d. */
size_t diag_count(const struct diag *d);
/* Message i (0-based); borrowed until diag_free(). */
const char *diag_get(const struct diag *d, size_t i);

#endif
