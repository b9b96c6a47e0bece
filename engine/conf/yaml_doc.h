/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A YAML file loaded into a small node tree that keeps line and column of
 * every node, and the kit with which the loaders of conf/ files check it,
 * reporting every problem as "file:line:column: message".
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

/*
 * The checking kit (yaml_doc_check.c). A loader keeps one struct
 * yaml_doc_check while it validates a document: each helper adds its
 * message to diag, counts it and returns, so that one run reports every
 * error in file order. Running out of memory is remembered in r; the
 * loader then stops and returns it. Messages name values as WHAT, the key
 * or thing being read ("port", "an event type").
 */
struct yaml_doc_check {
	const struct yaml_doc	*doc;
	struct diag		*diag;		/* where messages go */
	size_t			 n_errors;	/* messages reported */
	int			 r;		/* first -ENOMEM, else 0 */
};

/* Starts checking doc, reporting to diag; both stay the caller's. */
void yaml_doc_check_init(struct yaml_doc_check *c, const struct yaml_doc *doc,
    struct diag *diag);

/*
 * Reports one error at node n ("file:line:column: message"; no line when
 * n is NULL) and counts it. A message that cannot be stored sets c->r to
 * -ENOMEM.
 */
void yaml_doc_check_error(struct yaml_doc_check *c,
    const struct yaml_doc_node *n, const char *fmt, ...) KICS_PRINTF(3, 4);

/* Records that an allocation failed (c->r = -ENOMEM). */
void yaml_doc_check_nomem(struct yaml_doc_check *c);

/* The verdict: c->r if negative, -EINVAL when errors were reported, or 0. */
int yaml_doc_check_result(const struct yaml_doc_check *c);

/*
 * Returns the text of n when it is a non-empty scalar of at most max bytes
 * without a NUL byte, borrowed until yaml_doc_free(). Otherwise reports
 * "WHAT must be a string, not …", "WHAT contains a NUL byte", "WHAT must
 * not be empty" or "WHAT is longer than MAX bytes" and returns NULL.
 */
const char *yaml_doc_check_text(struct yaml_doc_check *c,
    const struct yaml_doc_node *n, const char *what, size_t max);

/* How yaml_doc_check_uint() words a number outside its range. */
enum yaml_doc_range_form {
	YAML_DOC_RANGE_BETWEEN,	/* "WHAT must be between MIN and MAX" */
	YAML_DOC_RANGE_OUTSIDE,	/* "WHAT VALUE is outside MIN..MAX" */
	YAML_DOC_RANGE_TYPE,	/* as any other non-integer: the range is
				   only the width of the stored type */
	YAML_DOC_RANGE_FORM_MAX
};

struct yaml_doc_range {
	uint64_t			 min;
	uint64_t			 max;
	enum yaml_doc_range_form	 form;
	const char			*hint;	/* BETWEEN: added as " (hint)";
						   NULL for none */
};

/*
 * Reads a plain decimal integer in range->min..max into *ret_value and
 * returns 0. Otherwise reports "WHAT must be an integer, not …" (a kind,
 * "a quoted string" or the text) or the range message of range->form, and
 * returns -EINVAL; *ret_value is then untouched.
 */
int yaml_doc_check_uint(struct yaml_doc_check *c,
    const struct yaml_doc_node *n, const char *what,
    const struct yaml_doc_range *range, uint64_t *ret_value);

/*
 * Reads true or false (see yaml_doc_get_bool()) and returns 0; otherwise
 * reports "WHAT must be true or false, not …" and returns -EINVAL.
 */
int yaml_doc_check_bool(struct yaml_doc_check *c,
    const struct yaml_doc_node *n, const char *what, bool *ret_value);

/* One row of a name table: a word of the file and the value it stands for. */
struct yaml_doc_name {
	const char	*name;
	int		 value;
};

/*
 * Looks s up in names (n_names rows). Returns 0 and the row's value, or
 * -EINVAL when s is no name of the table.
 */
int yaml_doc_name_find(const struct yaml_doc_name *names, size_t n_names,
    const char *s, int *ret_value);

/*
 * The name of value in names, or NULL when the table has none; static.
 */
const char *yaml_doc_name_of(const struct yaml_doc_name *names,
    size_t n_names, int value);

/*
 * Reads a text of at most max bytes (see yaml_doc_check_text()) that must
 * be one of names, and returns 0 with its value. Otherwise reports the
 * text problem or "unknown WHAT 'x' (expected A, B or C)", the names in
 * table order, and returns -EINVAL.
 */
int yaml_doc_check_name(struct yaml_doc_check *c,
    const struct yaml_doc_node *n, const char *what, size_t max,
    const struct yaml_doc_name *names, size_t n_names, int *ret_value);

/*
 * True when n is a mapping; otherwise reports "WHAT must be a mapping, not
 * …" and returns false.
 */
bool yaml_doc_check_mapping(struct yaml_doc_check *c,
    const struct yaml_doc_node *n, const char *what);

/*
 * True when n is a list (*ret_n items) or null (*ret_n = 0); otherwise
 * reports "WHAT must be a list, not …" and returns false.
 */
bool yaml_doc_check_list(struct yaml_doc_check *c,
    const struct yaml_doc_node *n, const char *what, size_t *ret_n);

/*
 * For a file that is one mapping holding a list under key: reports an
 * empty document ("missing required key 'KEY'") or another kind ("expected
 * a mapping with the key 'KEY', not …"). Returns the first value of key
 * when it is a list, so that the caller can size its arrays before the
 * walk; NULL otherwise.
 */
const struct yaml_doc_node *yaml_doc_check_root(struct yaml_doc_check *c,
    const char *key);

/*
 * The keys a mapping may have, as a table. Messages: "missing required key
 * 'name'", "unknown WHAT 'PREFIXx'", "duplicate key 'PREFIXname' (first on
 * line N)".
 */
struct yaml_doc_keys {
	const char *const	*names;		/* the keys, by index */
	size_t			 n_names;
	size_t			 n_required;	/* names[0..n_required) must
						   be there */
	const char		*what;		/* NULL: "key" */
	const char		*prefix;	/* NULL: none; "limits." */
	bool			 expected;	/* add " (expected a, b or c)"
						   to unknown keys */
	bool			 first_key_line; /* a duplicate names the
						   line of the first key, not
						   of its value */
};

/*
 * Starts the walk of mapping m: fills v (keys->n_names entries, which the
 * caller zeroed) with the value of the first occurrence of each key, so
 * that checks between keys can run before any value is read, and reports
 * the required keys that are missing, at m.
 */
void yaml_doc_check_keys(struct yaml_doc_check *c,
    const struct yaml_doc_node *m, const struct yaml_doc_keys *keys,
    const struct yaml_doc_node **v);

/*
 * The step of the walk for the key m->items[i] (i even), in file order:
 * returns its index in keys->names, or keys->n_names after reporting an
 * unknown key or a repeated one (which the caller then skips).
 */
size_t yaml_doc_check_key(struct yaml_doc_check *c,
    const struct yaml_doc_node *m, size_t i, const struct yaml_doc_keys *keys,
    const struct yaml_doc_node *const *v);

#endif
