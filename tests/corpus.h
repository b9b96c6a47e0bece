/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The corpus check shared by the configuration readers' tests: ok_* files
 * load without a message, bad_* files fail with exactly the messages of the
 * .expected file next to them (STYLE.md §7).
 */
#ifndef KICS_CORPUS_H
#define KICS_CORPUS_H

#include "diag.h"

struct corpus_ops {
	/* Loads path; returns 0 and an object in *ret, or a negative errno. */
	int	(*load)(const char *path, struct diag *d, void **ret);
	/* Extra checks of an ok_ file's object; may be NULL. */
	void	(*check_ok)(void *obj);
	/* Frees the object. */
	void	(*free)(void *obj);
};

/*
 * Runs one corpus file (a path relative to the source root, so that the
 * messages are stable) and returns 0; aborts on any difference.
 */
int corpus_run(const char *path, const struct corpus_ops *ops);

/* Returns the whole file; the caller frees it. Aborts when unreadable. */
char *corpus_read_all(const char *path);

#endif
