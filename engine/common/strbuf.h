/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable NUL-terminated string for building descriptions and JSON in
 * the engine, which must return -ENOMEM rather than abort.
 */
#ifndef KICS_STRBUF_H
#define KICS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "log.h"	/* KICS_PRINTF */

struct strbuf {
	char	*data;		/* NUL-terminated, NULL until first append */
	size_t	len;		/* bytes before the NUL */
	size_t	cap;		/* bytes allocated */
	int	error;		/* first error (-ENOMEM), sticky */
};

/* Initialises caller-owned b to empty. */
void strbuf_init(struct strbuf *b);
/* Frees the contents; b can be reused after strbuf_init(). NULL-safe. */
void strbuf_fini(struct strbuf *b);
/* Empties b, keeping its memory and clearing its error. */
void strbuf_reset(struct strbuf *b);
/*
 * Appends; on failure b->error is set and later appends do nothing, so
 * callers check once at the end. Each returns b->error.
 */
int strbuf_append(struct strbuf *b, const char *s);
int strbuf_printf(struct strbuf *b, const char *fmt, ...) KICS_PRINTF(2, 3);
/* Appends s as a JSON string literal, with quotes and escapes. */
int strbuf_json_string(struct strbuf *b, const char *s);
/* The text ("" when empty); borrowed until the next call on b. */
const char *strbuf_str(const struct strbuf *b);

#endif
