/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A YAML file loaded into a small node tree that keeps line and column of
 * every node, so the loaders of conf/ files can report "file:line:column".
 */
#ifndef KICS_YAML_DOC_H
#define KICS_YAML_DOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum yaml_doc_kind {
	YAML_DOC_SCALAR,
	YAML_DOC_SEQUENCE,
	YAML_DOC_MAPPING,
	YAML_DOC_KIND_MAX
};

struct yaml_doc_node {
	enum yaml_doc_kind	  kind;
	size_t			  line;		/* from 1 */
	size_t			  column;	/* from 1 */
	char			 *value;	/* scalar: NUL-terminated text */
	size_t			  len;		/* scalar: bytes in value */
	bool			  plain;	/* scalar: written without quotes */
	struct yaml_doc_node	**items;	/* sequence: items; mapping:
						   key, value, key, value… */
	size_t			  n_items;	/* entries in items */
};

struct yaml_doc {
	char			*name;		/* file name used in messages */
	struct yaml_doc_node	*root;		/* NULL for an empty file */
};

/*
 * Reads the YAML file at path (at most LIMIT_YAML_FILE_BYTES, nesting at
 * most LIMIT_YAML_DEPTH, at most LIMIT_YAML_NODES nodes, one document, no
 * aliases). Messages name the file as path.
 * Returns 0 and a document the caller frees with yaml_doc_free(); -EINVAL
 * after adding a syntax or limit error to diag; -ENOENT, -EACCES or -EIO
 * when the file cannot be read (also added to diag); -ENOMEM. *ret_doc is
 * written only on success.
 */
int yaml_doc_load_file(const char *path, struct diag *diag,
    struct yaml_doc **ret_doc);

/*
 * Like yaml_doc_load_file() for len bytes of text in memory; messages name
 * the file as name.
 */
int yaml_doc_load_string(const char *name, const char *text, size_t len,
    struct diag *diag, struct yaml_doc **ret_doc);

/* Frees doc and all its nodes. NULL-safe. */
void yaml_doc_free(struct yaml_doc *doc);

/*
 * Adds "doc-name:line:column: message" for node to diag (no line when node
 * is NULL). Returns 0 or -ENOMEM.
 */
int yaml_doc_error(const struct yaml_doc *doc,
    const struct yaml_doc_node *node, struct diag *diag, const char *fmt, ...)
    KICS_PRINTF(4, 5);

/* Like yaml_doc_error() with a va_list. */
int yaml_doc_verror(const struct yaml_doc *doc,
    const struct yaml_doc_node *node, struct diag *diag, const char *fmt,
    va_list ap) KICS_PRINTF(4, 0);

/*
 * Returns the text of node when it is a non-empty scalar of at most max
 * bytes without a NUL byte (borrowed from doc). Otherwise adds
 * "WHAT must be a string, not …", "… contains a NUL byte", "… must not be
 * empty" or "… is longer than MAX bytes" to diag and returns NULL, with
 * *ret_err set to -ENOMEM when the message could not be stored (else
 * -EINVAL). The loaders of conf/, event types and rules share it.
 */
const char *yaml_doc_text(const struct yaml_doc *doc,
    const struct yaml_doc_node *node, const char *what, size_t max,
    struct diag *diag, int *ret_err);

/* Returns "a scalar", "a list" or "a mapping", for messages. */
const char *yaml_doc_kind_name(enum yaml_doc_kind kind);

/* True when node is a plain empty, "~" or "null" scalar (or NULL). */
bool yaml_doc_is_null(const struct yaml_doc_node *node);

/*
 * Parses a plain scalar of decimal digits into *ret_value. Returns 0,
 * -EINVAL when node is not such a scalar, -ERANGE when the number is
 * outside min..max.
 */
int yaml_doc_get_uint(const struct yaml_doc_node *node, uint64_t min,
    uint64_t max, uint64_t *ret_value);

/*
 * Parses a plain scalar true or false (also True/TRUE, False/FALSE).
 * Returns 0 or -EINVAL.
 */
int yaml_doc_get_bool(const struct yaml_doc_node *node, bool *ret_value);

/*
 * Returns the text of a scalar without NUL bytes, borrowed until
 * yaml_doc_free(); NULL for other nodes or text with a NUL byte.
 */
const char *yaml_doc_get_string(const struct yaml_doc_node *node);

#endif
