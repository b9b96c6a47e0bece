/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the YAML loader shared by the conf/ readers: it runs
 * libyaml's event parser and builds a node tree with line/column marks,
 * enforcing the size, depth and node limits of engine/kics_limits.h.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "kics_limits.h"
#include "yaml_doc.h"

struct yaml_doc_builder {
	struct yaml_doc		*doc;
	struct diag		*diag;
	const char		*text;		/* the input, for reader errors */
	size_t			 len;
	/* The collections being filled, innermost last. */
	struct yaml_doc_node	*open[LIMIT_YAML_DEPTH];
	size_t			 cap[LIMIT_YAML_DEPTH];	/* items allocated */
	size_t			 depth;		/* entries in open */
	size_t			 n_nodes;	/* nodes made so far */
	size_t			 n_docs;	/* documents started */
};

static void
yaml_doc_node_free(struct yaml_doc_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n_items; i++)
		yaml_doc_node_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

void
yaml_doc_free(struct yaml_doc *doc)
{
	if (doc == NULL)
		return;
	yaml_doc_node_free(doc->root);
	free(doc->name);
	free(doc);
}

int
yaml_doc_verror(const struct yaml_doc *doc, const struct yaml_doc_node *node,
    struct diag *diag, const char *fmt, va_list ap)
{
	va_list aq;
	char *msg;
	int len, r;

	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0)
		return -ENOMEM;
	if ((msg = malloc((size_t)len + 1)) == NULL)
		return -ENOMEM;
	(void)vsnprintf(msg, (size_t)len + 1, fmt, ap);
	r = diag_add(diag, doc->name, node != NULL ? node->line : 0,
	    node != NULL ? node->column : 0, "%s", msg);
	free(msg);
	return r;
}

int
yaml_doc_error(const struct yaml_doc *doc, const struct yaml_doc_node *node,
    struct diag *diag, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = yaml_doc_verror(doc, node, diag, fmt, ap);
	va_end(ap);
	return r;
}

const char *
yaml_doc_kind_name(enum yaml_doc_kind kind)
{
	switch (kind) {
	case YAML_DOC_SCALAR:
		return "a scalar";
	case YAML_DOC_SEQUENCE:
		return "a list";
	case YAML_DOC_MAPPING:
		return "a mapping";
	default:
		return "?";
	}
}

bool
yaml_doc_is_null(const struct yaml_doc_node *node)
{
	if (node == NULL)
		return true;
	if (node->kind != YAML_DOC_SCALAR || !node->plain)
		return false;
	return strcmp(node->value, "") == 0 || strcmp(node->value, "~") == 0 ||
	    strcmp(node->value, "null") == 0 ||
	    strcmp(node->value, "Null") == 0 ||
	    strcmp(node->value, "NULL") == 0;
}

int
yaml_doc_get_uint(const struct yaml_doc_node *node, uint64_t min,
    uint64_t max, uint64_t *ret_value)
{
	uint64_t v = 0;

	if (node == NULL || node->kind != YAML_DOC_SCALAR || !node->plain ||
	    node->len == 0)
		return -EINVAL;
	/* A leading zero reads as octal in YAML 1.1: refuse the ambiguity. */
	if (node->value[0] == '0' && node->len > 1)
		return -EINVAL;
	for (size_t i = 0; i < node->len; i++) {
		unsigned d;

		if (node->value[i] < '0' || node->value[i] > '9')
			return -EINVAL;
		d = (unsigned)(node->value[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret_value = v;
	return 0;
}

int
yaml_doc_get_bool(const struct yaml_doc_node *node, bool *ret_value)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };

	if (node == NULL || node->kind != YAML_DOC_SCALAR || !node->plain)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(node->value, yes[i]) == 0) {
			*ret_value = true;
			return 0;
		}
		if (strcmp(node->value, no[i]) == 0) {
			*ret_value = false;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
yaml_doc_get_string(const struct yaml_doc_node *node)
{
	if (node == NULL || node->kind != YAML_DOC_SCALAR ||
	    strlen(node->value) != node->len)
		return NULL;
	return node->value;
}

/*
 * Adds an error at a libyaml mark (0-based line and column). Only for the
 * loader's own short messages, which hold no text from the file.
 */
static int KICS_PRINTF(3, 4)
yaml_doc_builder_error(struct yaml_doc_builder *b, yaml_mark_t mark,
    const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return diag_add(b->diag, b->doc->name, mark.line + 1, mark.column + 1,
	    "%s", msg);
}

/* Turns libyaml's error state into a message in diag and an errno. */
static int
yaml_doc_parser_error(struct yaml_doc_builder *b, const yaml_parser_t *p)
{
	yaml_mark_t mark = p->problem_mark;
	const char *problem = p->problem != NULL ? p->problem : "syntax error";
	int r;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return -ENOMEM;
	case YAML_READER_ERROR:
		/* Reader errors carry a byte offset, not a mark. */
		mark.line = 0;
		mark.column = 0;
		for (size_t i = 0; i < p->problem_offset && i < b->len; i++) {
			if (b->text[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else
				mark.column++;
		}
		if (p->problem_value != -1)
			r = diag_add(b->diag, b->doc->name, mark.line + 1,
			    mark.column + 1, "%s: #%02X", problem,
			    (unsigned)p->problem_value);
		else
			r = diag_add(b->diag, b->doc->name, mark.line + 1,
			    mark.column + 1, "%s", problem);
		break;
	default:
		if (p->context != NULL)
			r = diag_add(b->diag, b->doc->name, mark.line + 1,
			    mark.column + 1, "%s, %s", p->context, problem);
		else
			r = diag_add(b->diag, b->doc->name, mark.line + 1,
			    mark.column + 1, "%s", problem);
		break;
	}
	return r < 0 ? r : -EINVAL;
}

/*
 * Makes a node for ev and hangs it under the innermost open collection (or
 * makes it the root), so that it is owned by the tree from then on.
 */
static int
yaml_doc_builder_add(struct yaml_doc_builder *b, const yaml_event_t *ev,
    enum yaml_doc_kind kind, struct yaml_doc_node **ret_node)
{
	struct yaml_doc_node *n, *parent;
	int r;

	if (++b->n_nodes > LIMIT_YAML_NODES) {
		r = yaml_doc_builder_error(b, ev->start_mark,
		    "more than %ld nodes", (long)LIMIT_YAML_NODES);
		return r < 0 ? r : -EINVAL;
	}
	if (b->depth > 0) {
		parent = b->open[b->depth - 1];
		if (parent->kind == YAML_DOC_MAPPING &&
		    parent->n_items % 2 == 0 && kind != YAML_DOC_SCALAR) {
			r = yaml_doc_builder_error(b, ev->start_mark,
			    "mapping keys must be scalars");
			return r < 0 ? r : -EINVAL;
		}
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -ENOMEM;
	n->kind = kind;
	n->line = ev->start_mark.line + 1;
	n->column = ev->start_mark.column + 1;
	if (kind == YAML_DOC_SCALAR) {
		const char *tag = (const char *)ev->data.scalar.tag;

		n->len = ev->data.scalar.length;
		if ((n->value = malloc(n->len + 1)) == NULL) {
			free(n);
			return -ENOMEM;
		}
		memcpy(n->value, ev->data.scalar.value, n->len);
		n->value[n->len] = '\0';
		/* "!!str 8081" is a string like "'8081'". */
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (tag == NULL || strcmp(tag, YAML_STR_TAG) != 0);
	}

	if (b->depth == 0) {
		b->doc->root = n;
	} else {
		size_t i = b->depth - 1;

		parent = b->open[i];
		if (parent->n_items == b->cap[i]) {
			size_t cap = b->cap[i] == 0 ? 4 : b->cap[i] * 2;
			struct yaml_doc_node **items;

			items = realloc(parent->items, cap * sizeof(*items));
			if (items == NULL) {
				yaml_doc_node_free(n);
				return -ENOMEM;
			}
			parent->items = items;
			b->cap[i] = cap;
		}
		parent->items[parent->n_items++] = n;
	}
	*ret_node = n;
	return 0;
}

/* Handles one parser event; sets *done at the end of the stream. */
static int
yaml_doc_builder_event(struct yaml_doc_builder *b, const yaml_event_t *ev,
    bool *done)
{
	struct yaml_doc_node *n;
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->n_docs++ > 0) {
			r = yaml_doc_builder_error(b, ev->start_mark,
			    "only one document is allowed");
			return r < 0 ? r : -EINVAL;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		/* Aliases would turn the tree into a graph (and allow
		 * "billion laughs" expansion); no conf/ file needs them. */
		r = yaml_doc_builder_error(b, ev->start_mark,
		    "aliases are not supported");
		return r < 0 ? r : -EINVAL;
	case YAML_SCALAR_EVENT:
		return yaml_doc_builder_add(b, ev, YAML_DOC_SCALAR, &n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth == LIMIT_YAML_DEPTH) {
			r = yaml_doc_builder_error(b, ev->start_mark,
			    "nesting deeper than %ld levels",
			    (long)LIMIT_YAML_DEPTH);
			return r < 0 ? r : -EINVAL;
		}
		r = yaml_doc_builder_add(b, ev,
		    ev->type == YAML_SEQUENCE_START_EVENT ? YAML_DOC_SEQUENCE :
		    YAML_DOC_MAPPING, &n);
		if (r < 0)
			return r;
		b->open[b->depth] = n;
		b->cap[b->depth] = 0;
		b->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		assert(b->depth > 0);
		b->depth--;
		return 0;
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	default:
		return 0;
	}
}

int
yaml_doc_load_string(const char *name, const char *text, size_t len,
    struct diag *diag, struct yaml_doc **ret_doc)
{
	struct yaml_doc_builder b;
	struct yaml_doc *doc = NULL;
	yaml_parser_t parser;
	bool parser_ok = false, done = false;
	int r;

	if (len > LIMIT_YAML_FILE_BYTES) {
		r = diag_add(diag, name, 0, 0, "file is larger than %d bytes",
		    LIMIT_YAML_FILE_BYTES);
		return r < 0 ? r : -EINVAL;
	}
	if ((doc = calloc(1, sizeof(*doc))) == NULL ||
	    (doc->name = strdup(name)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	memset(&b, 0, sizeof(b));
	b.doc = doc;
	b.diag = diag;
	b.text = text;
	b.len = len;

	if (!yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	while (!done) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			r = yaml_doc_parser_error(&b, &parser);
			goto out;
		}
		r = yaml_doc_builder_event(&b, &ev, &done);
		yaml_event_delete(&ev);
		if (r < 0)
			goto out;
	}
	*ret_doc = doc;
	doc = NULL;
	r = 0;
out:
	if (parser_ok)
		yaml_parser_delete(&parser);
	yaml_doc_free(doc);
	return r;
}

/* Adds "cannot read" for path and maps errno to the documented codes. */
static int
yaml_doc_read_error(const char *path, struct diag *diag, int err)
{
	if (diag_add(diag, path, 0, 0, "cannot read: %s", strerror(err)) < 0)
		return -ENOMEM;
	if (err == ENOENT || err == EACCES || err == ENOMEM)
		return -err;
	return -EIO;
}

int
yaml_doc_load_file(const char *path, struct diag *diag,
    struct yaml_doc **ret_doc)
{
	char *buf = NULL;
	size_t len = 0;
	int fd = -1, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = yaml_doc_read_error(path, diag, errno);
		goto out;
	}
	/* One byte more than the limit tells a too-large file apart. */
	if ((buf = malloc(LIMIT_YAML_FILE_BYTES + 1)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	while (len < LIMIT_YAML_FILE_BYTES + 1) {
		ssize_t n;

		n = read(fd, buf + len, LIMIT_YAML_FILE_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = yaml_doc_read_error(path, diag, errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r = yaml_doc_load_string(path, buf, len, diag, ret_doc);
out:
	if (fd >= 0)
		(void)close(fd);
	free(buf);
	return r;
}
