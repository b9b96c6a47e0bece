/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the checking kit the loaders of conf/ files share:
 * error counting, texts, integers, booleans, name tables, and the walk of
 * a mapping against a table of keys, all with the same messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "strbuf.h"
#include "yaml_doc.h"

void
yaml_doc_check_init(struct yaml_doc_check *c, const struct yaml_doc *doc,
    struct diag *diag)
{
	memset(c, 0, sizeof(*c));
	c->doc = doc;
	c->diag = diag;
}

void
yaml_doc_check_nomem(struct yaml_doc_check *c)
{
	if (c->r == 0)
		c->r = -ENOMEM;
}

void
yaml_doc_check_error(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const char *fmt, ...)
{
	va_list ap;

	c->n_errors++;
	va_start(ap, fmt);
	if (yaml_doc_verror(c->doc, n, c->diag, fmt, ap) < 0)
		yaml_doc_check_nomem(c);
	va_end(ap);
}

int
yaml_doc_check_result(const struct yaml_doc_check *c)
{
	if (c->r < 0)
		return c->r;
	return c->n_errors > 0 ? -EINVAL : 0;
}

const char *
yaml_doc_check_text(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const char *what, size_t max)
{
	const char *s;

	if (n->kind != YAML_DOC_SCALAR)
		yaml_doc_check_error(c, n, "%s must be a string, not %s", what,
		    yaml_doc_kind_name(n->kind));
	else if ((s = yaml_doc_get_string(n)) == NULL)
		yaml_doc_check_error(c, n, "%s contains a NUL byte", what);
	else if (yaml_doc_is_null(n) || *s == '\0')
		yaml_doc_check_error(c, n, "%s must not be empty", what);
	else if (n->len > max)
		yaml_doc_check_error(c, n, "%s is longer than %zu bytes", what,
		    max);
	else
		return s;
	return NULL;
}

int
yaml_doc_check_uint(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const char *what, const struct yaml_doc_range *range, uint64_t *ret_value)
{
	const char *hint = range->hint;
	int r;

	r = yaml_doc_get_uint(n, range->min, range->max, ret_value);
	if (r == 0)
		return 0;
	if (r == -ERANGE && range->form == YAML_DOC_RANGE_BETWEEN)
		yaml_doc_check_error(c, n, "%s must be between %llu and %llu"
		    "%s%s%s", what, (unsigned long long)range->min,
		    (unsigned long long)range->max, hint != NULL ? " (" : "",
		    hint != NULL ? hint : "", hint != NULL ? ")" : "");
	else if (r == -ERANGE && range->form == YAML_DOC_RANGE_OUTSIDE)
		yaml_doc_check_error(c, n, "%s %.64s is outside %llu..%llu",
		    what, n->value, (unsigned long long)range->min,
		    (unsigned long long)range->max);
	else if (n->kind != YAML_DOC_SCALAR)
		yaml_doc_check_error(c, n, "%s must be an integer, not %s",
		    what, yaml_doc_kind_name(n->kind));
	else if (!n->plain)
		yaml_doc_check_error(c, n, "%s must be an integer, not a "
		    "quoted string", what);
	else
		yaml_doc_check_error(c, n, "%s must be an integer, not "
		    "'%.64s'", what, n->value);
	return -EINVAL;
}

int
yaml_doc_check_bool(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const char *what, bool *ret_value)
{
	if (yaml_doc_get_bool(n, ret_value) == 0)
		return 0;
	if (n->kind != YAML_DOC_SCALAR)
		yaml_doc_check_error(c, n, "%s must be true or false, not %s",
		    what, yaml_doc_kind_name(n->kind));
	else
		yaml_doc_check_error(c, n, "%s must be true or false, not "
		    "'%.64s'", what, n->value);
	return -EINVAL;
}

int
yaml_doc_name_find(const struct yaml_doc_name *names, size_t n_names,
    const char *s, int *ret_value)
{
	for (size_t i = 0; i < n_names; i++) {
		if (strcmp(names[i].name, s) == 0) {
			*ret_value = names[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
yaml_doc_name_of(const struct yaml_doc_name *names, size_t n_names,
    int value)
{
	for (size_t i = 0; i < n_names; i++)
		if (names[i].value == value)
			return names[i].name;
	return NULL;
}

/* Appends item i of n to an "a, b or c" list. */
static void
yaml_doc_list_add(struct strbuf *b, size_t i, size_t n, const char *s)
{
	(void)strbuf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " :
	    ", ", s);
}

int
yaml_doc_check_name(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const char *what, size_t max, const struct yaml_doc_name *names,
    size_t n_names, int *ret_value)
{
	struct strbuf b;
	const char *s;

	if ((s = yaml_doc_check_text(c, n, what, max)) == NULL)
		return -EINVAL;
	if (yaml_doc_name_find(names, n_names, s, ret_value) == 0)
		return 0;
	/* The choices come from the table, so the message cannot go stale. */
	strbuf_init(&b);
	for (size_t i = 0; i < n_names; i++)
		yaml_doc_list_add(&b, i, n_names, names[i].name);
	if (b.error < 0)
		yaml_doc_check_nomem(c);
	else
		yaml_doc_check_error(c, n, "unknown %s '%.64s' (expected %s)",
		    what, s, strbuf_str(&b));
	strbuf_fini(&b);
	return -EINVAL;
}

bool
yaml_doc_check_mapping(struct yaml_doc_check *c,
    const struct yaml_doc_node *n, const char *what)
{
	if (n->kind == YAML_DOC_MAPPING)
		return true;
	yaml_doc_check_error(c, n, "%s must be a mapping, not %s", what,
	    yaml_doc_kind_name(n->kind));
	return false;
}

bool
yaml_doc_check_list(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const char *what, size_t *ret_n)
{
	if (yaml_doc_is_null(n)) {
		*ret_n = 0;
		return true;
	}
	if (n->kind != YAML_DOC_SEQUENCE) {
		yaml_doc_check_error(c, n, "%s must be a list, not %s", what,
		    yaml_doc_kind_name(n->kind));
		return false;
	}
	*ret_n = n->n_items;
	return true;
}

const struct yaml_doc_node *
yaml_doc_check_root(struct yaml_doc_check *c, const char *key)
{
	const struct yaml_doc_node *root = c->doc->root;

	if (yaml_doc_is_null(root)) {
		yaml_doc_check_error(c, NULL, "missing required key '%s'", key);
		return NULL;
	}
	if (root->kind != YAML_DOC_MAPPING) {
		yaml_doc_check_error(c, root, "expected a mapping with the key "
		    "'%s', not %s", key, yaml_doc_kind_name(root->kind));
		return NULL;
	}
	for (size_t i = 0; i < root->n_items; i += 2) {
		if (strcmp(root->items[i]->value, key) != 0)
			continue;
		if (root->items[i + 1]->kind != YAML_DOC_SEQUENCE)
			return NULL;
		return root->items[i + 1];
	}
	return NULL;
}

/* The index of name in keys, or keys->n_names. */
static size_t
yaml_doc_keys_index(const struct yaml_doc_keys *keys, const char *name)
{
	size_t j;

	for (j = 0; j < keys->n_names; j++)
		if (strcmp(name, keys->names[j]) == 0)
			break;
	return j;
}

void
yaml_doc_check_keys(struct yaml_doc_check *c, const struct yaml_doc_node *m,
    const struct yaml_doc_keys *keys, const struct yaml_doc_node **v)
{
	for (size_t i = 0; i < m->n_items; i += 2) {
		size_t j = yaml_doc_keys_index(keys, m->items[i]->value);

		if (j < keys->n_names && v[j] == NULL)
			v[j] = m->items[i + 1];
	}
	for (size_t j = 0; j < keys->n_required; j++)
		if (v[j] == NULL)
			yaml_doc_check_error(c, m, "missing required key '%s'",
			    keys->names[j]);
}

/* Reports an unknown key k, with the choices when the table asks. */
static void
yaml_doc_check_unknown(struct yaml_doc_check *c,
    const struct yaml_doc_node *k, const struct yaml_doc_keys *keys)
{
	const char *what = keys->what != NULL ? keys->what : "key";
	const char *prefix = keys->prefix != NULL ? keys->prefix : "";
	struct strbuf b;

	strbuf_init(&b);
	if (keys->expected) {
		(void)strbuf_append(&b, " (expected ");
		for (size_t j = 0; j < keys->n_names; j++)
			yaml_doc_list_add(&b, j, keys->n_names,
			    keys->names[j]);
		(void)strbuf_append(&b, ")");
	}
	if (b.error < 0)
		yaml_doc_check_nomem(c);
	else
		yaml_doc_check_error(c, k, "unknown %s '%s%.64s'%s", what,
		    prefix, k->value, strbuf_str(&b));
	strbuf_fini(&b);
}

size_t
yaml_doc_check_key(struct yaml_doc_check *c, const struct yaml_doc_node *m,
    size_t i, const struct yaml_doc_keys *keys,
    const struct yaml_doc_node *const *v)
{
	const struct yaml_doc_node *k = m->items[i], *first;
	size_t j = yaml_doc_keys_index(keys, k->value);

	if (j == keys->n_names) {
		yaml_doc_check_unknown(c, k, keys);
		return j;
	}
	if (v[j] == m->items[i + 1])
		return j;
	first = v[j];
	/* The first key sits just before its value in items. */
	for (size_t x = 1; keys->first_key_line && x < m->n_items; x += 2)
		if (m->items[x] == v[j])
			first = m->items[x - 1];
	yaml_doc_check_error(c, k, "duplicate key '%s%s' (first on line %zu)",
	    keys->prefix != NULL ? keys->prefix : "", keys->names[j],
	    first->line);
	return keys->n_names;
}
