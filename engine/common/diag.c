/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the diagnostics list: formatted "file:line:column:
 * message" strings collected while a file is read, kept in order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

struct diag {
	char		**msgs;		/* owned strings, in the order added */
	size_t		 n;		/* messages in msgs */
	size_t		 cap;		/* slots allocated in msgs */
};

struct diag *
diag_new(void)
{
	return calloc(1, sizeof(struct diag));
}

void
diag_free(struct diag *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	free(d);
}

/* Returns a malloc'ed string formatted from fmt, or NULL (OOM/format). */
static char * KICS_PRINTF(1, 0)
diag_vformat(const char *fmt, va_list ap)
{
	va_list aq;
	char *s;
	int len;

	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0)
		return NULL;
	if ((s = malloc((size_t)len + 1)) == NULL)
		return NULL;
	(void)vsnprintf(s, (size_t)len + 1, fmt, ap);
	return s;
}

int
diag_add(struct diag *d, const char *file, size_t line, size_t column,
    const char *fmt, ...)
{
	char *msg = NULL, *full = NULL;
	char where[64];
	size_t len;
	va_list ap;
	int r = -ENOMEM;

	if (d->n == d->cap) {
		size_t cap = d->cap == 0 ? 16 : d->cap * 2;
		char **p;

		if (cap > SIZE_MAX / sizeof(*p))
			goto out;
		if ((p = realloc(d->msgs, cap * sizeof(*p))) == NULL)
			goto out;
		d->msgs = p;
		d->cap = cap;
	}

	va_start(ap, fmt);
	msg = diag_vformat(fmt, ap);
	va_end(ap);
	if (msg == NULL)
		goto out;

	if (line == 0)
		where[0] = '\0';
	else if (column == 0)
		(void)snprintf(where, sizeof(where), "%zu:", line);
	else
		(void)snprintf(where, sizeof(where), "%zu:%zu:", line, column);
	if (file == NULL)
		file = "";
	/* "file:" + "line:col:" + " " + msg */
	len = strlen(file) + 1 + strlen(where) + 1 + strlen(msg) + 1;
	if ((full = malloc(len)) == NULL)
		goto out;
	if (*file == '\0' && *where == '\0')
		(void)snprintf(full, len, "%s", msg);
	else
		(void)snprintf(full, len, "%s:%s %s", file, where, msg);
	d->msgs[d->n++] = full;
	full = NULL;
	r = 0;
out:
	free(full);
	free(msg);
	return r;
}

size_t
diag_count(const struct diag *d)
{
	return d->n;
}

const char *
diag_get(const struct diag *d, size_t i)
{
	if (i >= d->n)
		return NULL;
	return d->msgs[i];
}
