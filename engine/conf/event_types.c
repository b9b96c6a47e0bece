/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the event-type list: the reader of event-types.yaml
 * (validation with every error reported, missing system entries taken from
 * the built-in file) and the lookup by category done for every event.
 * A loaded list is never changed, so any thread may look up in it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "event_types.h"
#include "kics_limits.h"
#include "yaml_doc.h"

#define EVENT_CODE_MIN		4000005500LL	/* 40000055xx: ours */
#define EVENT_CODE_MAX		4000005599LL
#define EVENT_TYPES_FILE	"event-types.yaml"
#define EVENT_TYPES_BUILTIN	"<built-in>/" EVENT_TYPES_FILE

/* Categories the engine and the daemon register, plus the generic one. */
static const char *const event_types_required[] = {
	EVENT_AGENT_CONNECTED,
	EVENT_AGENT_DISCONNECTED,
	EVENT_DEVICE_ADDED,
	EVENT_DEVICE_CHANGED,
	EVENT_IP_MOVED,
	EVENT_DUPLICATE_AGENT,
	EVENT_AGENT_LIMIT,
	EVENT_DEVICE_LIMIT,
	EVENT_DEVICE_ARCHIVED,
	EVENT_SERVER_ADDED,
	EVENT_SERVER_CHANGED,
	EVENT_SERVER_REMOVED,
	EVENT_CERT_EXPIRING,
	EVENT_CONFIG_REJECTED,
	EVENT_CATEGORY_GENERIC,
};
#define N_REQUIRED	(sizeof(event_types_required) / \
			    sizeof(event_types_required[0]))

static const char *const severity_names[SEVERITY_MAX] = {
	[SEVERITY_INFO] = "info",
	[SEVERITY_WARNING] = "warning",
	[SEVERITY_CRITICAL] = "critical",
};

static const char *const technology_names[TECHNOLOGY_MAX] = {
	[TECHNOLOGY_EPP] = "epp",
	[TECHNOLOGY_SYSTEM] = "system",
};

struct event_type_entry {
	struct event_type	 pub;		/* what event_types_find()
						   returns */
	char			*category;	/* owned; pub.category */
	char			*title;		/* owned; pub.title */
	const struct yaml_doc_node *code_node;	/* while loading only */
};

struct event_types {
	struct event_type_entry	*entries;	/* sorted by category */
	size_t			 n;		/* entries in use */
	size_t			 cap;		/* entries allocated */
	const struct event_type	*generic;	/* the "*" entry */
};

/*
 * Where a code or a category was first seen, for duplicate messages. The
 * lists are scanned linearly: at most LIMIT_EVENT_TYPES items are read.
 */
struct event_types_seen {
	int64_t			 code;
	const char		*category;	/* borrowed from the doc */
	size_t			 line;
};

struct event_types_ctx {
	const struct yaml_doc	*doc;
	struct diag		*diag;
	struct event_types	*types;		/* being filled */
	struct event_types_seen	*codes;		/* every valid code */
	size_t			 n_codes;
	struct event_types_seen	*cats;		/* every valid category */
	size_t			 n_cats;
	size_t			 n_errors;
	int			 r;		/* first -ENOMEM, else 0 */
};

const char *
severity_name(enum severity s)
{
	if (s < SEVERITY_INFO || s >= SEVERITY_MAX)
		return "?";
	return severity_names[s];
}

int
severity_parse(const char *s, enum severity *ret_severity)
{
	for (int i = SEVERITY_INFO; i < SEVERITY_MAX; i++) {
		if (strcmp(s, severity_names[i]) == 0) {
			*ret_severity = (enum severity)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int
event_technology_parse(const char *s, enum technology *ret_technology)
{
	for (int i = 0; i < TECHNOLOGY_MAX; i++) {
		if (strcmp(s, technology_names[i]) == 0) {
			*ret_technology = (enum technology)i;
			return 0;
		}
	}
	return -EINVAL;
}

void
event_types_free(struct event_types *types)
{
	if (types == NULL)
		return;
	for (size_t i = 0; i < types->n; i++) {
		free(types->entries[i].category);
		free(types->entries[i].title);
	}
	free(types->entries);
	free(types);
}

static int
event_types_cmp(const void *a, const void *b)
{
	const struct event_type_entry *ea = a, *eb = b;

	return strcmp(ea->category, eb->category);
}

static int
event_types_key_cmp(const void *key, const void *elem)
{
	const struct event_type_entry *e = elem;

	return strcmp(key, e->category);
}

static const struct event_type_entry *
event_types_lookup(const struct event_types *types, const char *category)
{
	/* Before sorting (while loading) only a linear search works. */
	for (size_t i = 0; i < types->n; i++)
		if (strcmp(types->entries[i].category, category) == 0)
			return &types->entries[i];
	return NULL;
}

const struct event_type *
event_types_find(const struct event_types *types, const char *category)
{
	const struct event_type_entry *e = NULL;

	if (category != NULL && types->n > 0)
		e = bsearch(category, types->entries, types->n,
		    sizeof(types->entries[0]), event_types_key_cmp);
	return e != NULL ? &e->pub : types->generic;
}

static void KICS_PRINTF(3, 4)
event_types_error(struct event_types_ctx *c, const struct yaml_doc_node *n,
    const char *fmt, ...)
{
	va_list ap;

	c->n_errors++;
	va_start(ap, fmt);
	if (yaml_doc_verror(c->doc, n, c->diag, fmt, ap) < 0 && c->r == 0)
		c->r = -ENOMEM;
	va_end(ap);
}

/* Appends to a seen list, allocated by the caller for every item. */
static void
event_types_seen_add(struct event_types_seen *v, size_t *n,
    struct event_types_seen s)
{
	v[(*n)++] = s;
}

/*
 * Reads a scalar string field into *ret (borrowed from the doc); reports
 * and returns false when it is not a usable string.
 */
static bool
event_types_text(struct event_types_ctx *c, const char *key,
    const struct yaml_doc_node *n, const char **ret)
{
	int err = 0;
	const char *s = yaml_doc_text(c->doc, n, key, LIMIT_SHORT_TEXT_LEN,
	    c->diag, &err);

	if (s == NULL) {
		c->n_errors++;
		if (err == -ENOMEM && c->r == 0)
			c->r = err;
		return false;
	}
	*ret = s;
	return true;
}

static bool
event_types_is_system(const char *category)
{
	/* The last required entry is the generic one, not a system one. */
	for (size_t i = 0; i + 1 < N_REQUIRED; i++)
		if (strcmp(category, event_types_required[i]) == 0)
			return true;
	return false;
}

/* Returns whether mapping m has the key name. */
static bool
event_types_has_key(const struct yaml_doc_node *m, const char *name)
{
	for (size_t i = 0; i < m->n_items; i += 2)
		if (strcmp(m->items[i]->value, name) == 0)
			return true;
	return false;
}

enum { K_CODE, K_CATEGORY, K_TITLE, K_SEVERITY, K_TECHNOLOGY, K_MAX };

/* One list item while it is checked. */
struct event_types_item {
	const struct yaml_doc_node *v[K_MAX];	/* value of each key */
	int64_t		 code;
	const char	*category;		/* NULL until valid */
	const char	*title;			/* NULL until valid */
	enum severity	 severity;
	enum technology	 technology;
};

static void
event_types_parse_code(struct event_types_ctx *c,
    const struct yaml_doc_node *n, struct event_types_item *it)
{
	uint64_t code;
	int r;

	r = yaml_doc_get_uint(n, EVENT_CODE_MIN, EVENT_CODE_MAX, &code);
	if (r == -ERANGE)
		event_types_error(c, n, "code %.64s is outside %lld..%lld",
		    n->value, EVENT_CODE_MIN, EVENT_CODE_MAX);
	else if (r < 0 && n->kind != YAML_DOC_SCALAR)
		event_types_error(c, n, "code must be an integer, not %s",
		    yaml_doc_kind_name(n->kind));
	else if (r < 0 && !n->plain)
		event_types_error(c, n,
		    "code must be an integer, not a quoted string");
	else if (r < 0)
		event_types_error(c, n, "code must be an integer, not '%.64s'",
		    n->value);
	if (r < 0)
		return;
	it->code = (int64_t)code;
	for (size_t i = 0; i < c->n_codes; i++) {
		if (c->codes[i].code == it->code) {
			event_types_error(c, n, "duplicate code %lld (first "
			    "on line %zu)", (long long)code, c->codes[i].line);
			break;
		}
	}
	event_types_seen_add(c->codes, &c->n_codes,
	    (struct event_types_seen){ it->code, NULL, n->line });
}

static void
event_types_parse_category(struct event_types_ctx *c,
    const struct yaml_doc_node *n, struct event_types_item *it)
{
	const char *category;

	if (!event_types_text(c, "category", n, &category))
		return;
	for (size_t i = 0; i < c->n_cats; i++) {
		if (strcmp(c->cats[i].category, category) == 0) {
			event_types_error(c, n, "duplicate category '%.64s' "
			    "(first on line %zu)", category, c->cats[i].line);
			break;
		}
	}
	event_types_seen_add(c->cats, &c->n_cats,
	    (struct event_types_seen){ 0, category, n->line });
	it->category = category;
}

/* Checks the value n of key k (one of K_*) of an item. */
static void
event_types_parse_value(struct event_types_ctx *c, int k,
    const struct yaml_doc_node *n, struct event_types_item *it)
{
	const char *s;

	switch (k) {
	case K_CODE:
		event_types_parse_code(c, n, it);
		break;
	case K_CATEGORY:
		event_types_parse_category(c, n, it);
		break;
	case K_TITLE:
		(void)event_types_text(c, "title", n, &it->title);
		break;
	case K_SEVERITY:
		if (event_types_text(c, "severity", n, &s) &&
		    severity_parse(s, &it->severity) < 0)
			event_types_error(c, n, "unknown severity '%.64s' "
			    "(expected info, warning or critical)", s);
		break;
	case K_TECHNOLOGY:
		if (event_types_text(c, "technology", n, &s) &&
		    event_technology_parse(s, &it->technology) < 0)
			event_types_error(c, n, "unknown technology '%.64s' "
			    "(expected epp or system)", s);
		break;
	default:
		break;
	}
}

/*
 * Validates one list item, reporting in file order, and appends it to
 * c->types if it is valid.
 */
static void
event_types_parse_entry(struct event_types_ctx *c,
    const struct yaml_doc_node *item)
{
	static const char *const keys[K_MAX] = {
		"code", "category", "title", "severity", "technology",
	};
	struct event_types_item it;
	struct event_type_entry *e;
	size_t errors = c->n_errors;

	memset(&it, 0, sizeof(it));
	it.severity = SEVERITY_INFO;
	it.technology = TECHNOLOGY_EPP;
	if (item->kind != YAML_DOC_MAPPING) {
		event_types_error(c, item,
		    "an event type must be a mapping, not %s",
		    yaml_doc_kind_name(item->kind));
		return;
	}
	/* Missing keys first: the item starts before any of its values. */
	for (int j = K_CODE; j <= K_TITLE; j++)
		if (!event_types_has_key(item, keys[j]))
			event_types_error(c, item,
			    "missing required key '%s'", keys[j]);
	for (size_t i = 0; i < item->n_items; i += 2) {
		const struct yaml_doc_node *k = item->items[i];
		int j;

		for (j = 0; j < K_MAX; j++)
			if (strcmp(k->value, keys[j]) == 0)
				break;
		if (j == K_MAX) {
			event_types_error(c, k, "unknown key '%.64s'",
			    k->value);
		} else if (it.v[j] != NULL) {
			event_types_error(c, k,
			    "duplicate key '%s' (first on line %zu)", keys[j],
			    it.v[j]->line);
		} else {
			it.v[j] = item->items[i + 1];
			event_types_parse_value(c, j, it.v[j], &it);
		}
	}
	if (it.category != NULL && it.v[K_TECHNOLOGY] != NULL &&
	    it.technology == TECHNOLOGY_SYSTEM &&
	    strcmp(it.category, EVENT_CATEGORY_GENERIC) == 0)
		event_types_error(c, it.v[K_TECHNOLOGY],
		    "the generic entry '*' must have technology epp");
	if (it.category != NULL && it.technology == TECHNOLOGY_EPP &&
	    event_types_is_system(it.category))
		event_types_error(c, it.v[K_TECHNOLOGY] != NULL ?
		    it.v[K_TECHNOLOGY] : it.v[K_CATEGORY],
		    "'%s' is a system category: technology must be system",
		    it.category);

	if (c->n_errors != errors || c->r < 0)
		return;
	/* The caller sized entries for every item plus the fill. */
	e = &c->types->entries[c->types->n];
	memset(e, 0, sizeof(*e));
	if ((e->category = strdup(it.category)) == NULL ||
	    (e->title = strdup(it.title)) == NULL) {
		free(e->category);
		c->r = -ENOMEM;
		return;
	}
	e->pub.code = it.code;
	e->pub.severity = it.severity;
	e->pub.technology = it.technology;
	e->code_node = it.v[K_CODE];
	c->types->n++;
}

/* Copies src (from the built-in list) into the next slot of types. */
static int
event_types_copy(struct event_types *types, const struct event_type_entry *src)
{
	struct event_type_entry *e = &types->entries[types->n];

	memset(e, 0, sizeof(*e));
	if ((e->category = strdup(src->category)) == NULL ||
	    (e->title = strdup(src->title)) == NULL) {
		free(e->category);
		return -ENOMEM;
	}
	e->pub = src->pub;
	types->n++;
	return 0;
}

/*
 * Adds the required categories the file did not list, from defaults. A
 * code of the file that a missing built-in entry already uses is an error,
 * since it would make two types share a code.
 */
static void
event_types_fill(struct event_types_ctx *c, const struct event_types *defaults)
{
	size_t n_file = c->types->n;

	for (size_t i = 0; i < N_REQUIRED && c->r == 0; i++) {
		const char *cat = event_types_required[i];
		const struct event_type_entry *d;

		if (event_types_lookup(c->types, cat) != NULL)
			continue;
		if (defaults == NULL ||
		    (d = event_types_lookup(defaults, cat)) == NULL) {
			event_types_error(c, NULL,
			    "no event type for the required category '%s'",
			    cat);
			continue;
		}
		for (size_t j = 0; j < n_file; j++) {
			const struct event_type_entry *e =
			    &c->types->entries[j];

			if (e->pub.code == d->pub.code)
				event_types_error(c, e->code_node,
				    "code %lld is the built-in code of '%s', "
				    "which this file does not list",
				    (long long)d->pub.code, cat);
		}
		if (event_types_copy(c->types, d) < 0)
			c->r = -ENOMEM;
	}
}

/* Checks the keys of the top mapping and the list, in file order. */
static void
event_types_parse_root(struct event_types_ctx *c,
    const struct yaml_doc_node *root)
{
	const struct yaml_doc_node *list = NULL;
	size_t n;

	for (size_t i = 0; i < root->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *k = root->items[i];

		if (strcmp(k->value, "event_types") != 0) {
			event_types_error(c, k, "unknown key '%.64s'",
			    k->value);
			continue;
		}
		if (list != NULL) {
			event_types_error(c, k, "duplicate key 'event_types' "
			    "(first on line %zu)", list->line);
			continue;
		}
		list = root->items[i + 1];
		if (yaml_doc_is_null(list))
			continue;
		if (list->kind != YAML_DOC_SEQUENCE) {
			event_types_error(c, list, "event_types must be a "
			    "list, not %s", yaml_doc_kind_name(list->kind));
			continue;
		}
		n = list->n_items;
		if (n > LIMIT_EVENT_TYPES)
			n = LIMIT_EVENT_TYPES;
		for (size_t j = 0; j < n && c->r == 0; j++)
			event_types_parse_entry(c, list->items[j]);
		/* After the entries, where the file goes over the limit. */
		if (list->n_items > LIMIT_EVENT_TYPES)
			event_types_error(c, list->items[LIMIT_EVENT_TYPES],
			    "more than %d event types", LIMIT_EVENT_TYPES);
	}
	if (list == NULL)
		event_types_error(c, root, "missing required key "
		    "'event_types'");
}

/* Validates the whole document; see event_types_load(). */
static int
event_types_from_doc(const struct yaml_doc *doc, struct diag *diag,
    const struct event_types *defaults, struct event_types **ret_types)
{
	struct event_types_ctx c;
	const struct yaml_doc_node *root = doc->root, *list = NULL;
	size_t n_items;
	int r;

	memset(&c, 0, sizeof(c));
	c.doc = doc;
	c.diag = diag;
	if ((c.types = calloc(1, sizeof(*c.types))) == NULL) {
		r = -ENOMEM;
		goto out;
	}

	if (yaml_doc_is_null(root)) {
		event_types_error(&c, NULL, "missing required key "
		    "'event_types'");
	} else if (root->kind != YAML_DOC_MAPPING) {
		event_types_error(&c, root, "expected a mapping with the key "
		    "'event_types', not %s", yaml_doc_kind_name(root->kind));
	}
	/* Only the list decides how much to allocate: find it first. */
	for (size_t i = 0; root != NULL && root->kind == YAML_DOC_MAPPING &&
	    i < root->n_items; i += 2) {
		if (strcmp(root->items[i]->value, "event_types") == 0) {
			list = root->items[i + 1];
			break;
		}
	}
	if (list != NULL && list->kind != YAML_DOC_SEQUENCE)
		list = NULL;
	n_items = list != NULL ? list->n_items : 0;
	if (n_items > LIMIT_EVENT_TYPES)
		n_items = LIMIT_EVENT_TYPES;
	c.types->cap = n_items + N_REQUIRED;
	c.types->entries = calloc(c.types->cap, sizeof(*c.types->entries));
	c.codes = calloc(n_items + 1, sizeof(*c.codes));
	c.cats = calloc(n_items + 1, sizeof(*c.cats));
	if (c.types->entries == NULL || c.codes == NULL || c.cats == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (root != NULL && root->kind == YAML_DOC_MAPPING)
		event_types_parse_root(&c, root);
	if (c.n_errors == 0 && c.r == 0)
		event_types_fill(&c, defaults);
	if ((r = c.r) < 0)
		goto out;
	if (c.n_errors > 0) {
		r = -EINVAL;
		goto out;
	}

	qsort(c.types->entries, c.types->n, sizeof(c.types->entries[0]),
	    event_types_cmp);
	for (size_t i = 0; i < c.types->n; i++) {
		struct event_type_entry *e = &c.types->entries[i];

		/* Fixed only now: qsort moved the entries. */
		e->pub.category = e->category;
		e->pub.title = e->title;
		e->code_node = NULL;
	}
	c.types->generic = &event_types_lookup(c.types,
	    EVENT_CATEGORY_GENERIC)->pub;
	*ret_types = c.types;
	c.types = NULL;
	r = 0;
out:
	event_types_free(c.types);
	free(c.codes);
	free(c.cats);
	return r;
}

/* Parses the built-in file; it must list every required category. */
static int
event_types_builtin(struct diag *diag, struct event_types **ret_types)
{
	const struct embedded_file *f;
	struct yaml_doc *doc = NULL;
	int r;

	f = embedded_find(embedded_conf, EVENT_TYPES_FILE);
	if (f == NULL) {
		r = diag_add(diag, EVENT_TYPES_BUILTIN, 0, 0,
		    "not built into this program");
		r = r < 0 ? r : -ENOENT;
		goto out;
	}
	r = yaml_doc_load_string(EVENT_TYPES_BUILTIN, f->text, strlen(f->text),
	    diag, &doc);
	if (r < 0)
		goto out;
	r = event_types_from_doc(doc, diag, NULL, ret_types);
out:
	yaml_doc_free(doc);
	return r;
}

int
event_types_load_default(struct diag *diag, struct event_types **ret_types)
{
	return event_types_builtin(diag, ret_types);
}

int
event_types_load(const char *path, struct diag *diag,
    struct event_types **ret_types)
{
	struct event_types *defaults = NULL;
	struct yaml_doc *doc = NULL;
	int r;

	if ((r = yaml_doc_load_file(path, diag, &doc)) < 0)
		goto out;
	if ((r = event_types_builtin(diag, &defaults)) < 0)
		goto out;
	r = event_types_from_doc(doc, diag, defaults, ret_types);
out:
	event_types_free(defaults);
	yaml_doc_free(doc);
	return r;
}
