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

#define EVENT_TYPES_FILE	"event-types.yaml"
#define EVENT_TYPES_BUILTIN	"<built-in>/" EVENT_TYPES_FILE

/* Categories the engine and the daemon register, plus the generic one. */
static const char *const event_types_required[] = {
	EVENT_AGENT_CONNECTED,
	EVENT_AGENT_DISCONNECTED,
	EVENT_DEVICE_ADDED,
	EVENT_DEVICE_CHANGED,
	EVENT_IP_MOVED,
	EVENT_IP_CONFLICT,
	EVENT_ARCHIVED_ACTIVITY,
	EVENT_DUPLICATE_AGENT,
	EVENT_AGENT_LIMIT,
	EVENT_DEVICE_LIMIT,
	EVENT_DEVICE_ARCHIVED,
	EVENT_SERVER_ADDED,
	EVENT_SERVER_CHANGED,
	EVENT_SERVER_REMOVED,
	EVENT_CERT_EXPIRING,
	EVENT_CONFIG_REJECTED,
	EVENT_SERVER_ERROR,
	EVENT_IP_CONFLICT,
	EVENT_NO_TRAFFIC,
	EVENT_UDP_DATA_LOST,
	EVENT_CONNECTOR_FAILED,
	EVENT_CONNECTOR_RECOVERED,
	EVENT_CONNECTOR_TRIMMED,
	EVENT_CONNECTOR_CHANGED,
	EVENT_CATEGORY_GENERIC,
};
#define N_REQUIRED	(sizeof(event_types_required) / \
			    sizeof(event_types_required[0]))

/*
 * The codes the monitoring product documents, each bound to the category
 * that means the same here (DESIGN: event types and asset-management
 * events). no_traffic is registered by the traffic capture (issue 13).
 */
static const struct {
	int64_t		 code;
	const char	*category;
} event_types_product[] = {
	{ 4000005500LL, "network_attack" },
	{ 4000005501LL, "untrusted_device" },
	{ 4000005502LL, "unauthorized_application" },
	{ 4000005503LL, "prohibited_file_operation" },
	{ 4000005504LL, "file_modified" },
	{ 4000005505LL, "firewall_blocked" },
	{ 4000005003LL, EVENT_DEVICE_ADDED },
	{ 4000005004LL, EVENT_DEVICE_CHANGED },
	{ 4000005005LL, EVENT_IP_CONFLICT },
	{ 4000005006LL, EVENT_ARCHIVED_ACTIVITY },
	{ 4000005007LL, EVENT_IP_MOVED },
	{ 4000002700LL, "no_traffic" },
};
#define N_PRODUCT	(sizeof(event_types_product) / \
			    sizeof(event_types_product[0]))

/* Name tables, in the order messages list the choices. */
static const struct yaml_doc_name severity_names[] = {
	{ "info", SEVERITY_INFO },
	{ "warning", SEVERITY_WARNING },
	{ "critical", SEVERITY_CRITICAL },
};
#define N_SEVERITIES	(sizeof(severity_names) / sizeof(severity_names[0]))

static const struct yaml_doc_name technology_names[] = {
	{ "epp", TECHNOLOGY_EPP },
	{ "system", TECHNOLOGY_SYSTEM },
};
#define N_TECHNOLOGIES	(sizeof(technology_names) / \
			    sizeof(technology_names[0]))

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
	struct yaml_doc_check	 check;		/* errors, first -ENOMEM */
	struct event_types	*types;		/* being filled */
	struct event_types_seen	*codes;		/* every valid code */
	size_t			 n_codes;
	struct event_types_seen	*cats;		/* every valid category */
	size_t			 n_cats;
};

const char *
severity_name(enum severity s)
{
	const char *name = yaml_doc_name_of(severity_names, N_SEVERITIES,
	    (int)s);

	return name != NULL ? name : "?";
}

int
severity_parse(const char *s, enum severity *ret_severity)
{
	int v;

	if (yaml_doc_name_find(severity_names, N_SEVERITIES, s, &v) < 0)
		return -EINVAL;
	*ret_severity = (enum severity)v;
	return 0;
}

int
severity_check(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    size_t max, enum severity *ret_severity)
{
	int v;

	if (yaml_doc_check_name(c, n, "severity", max, severity_names,
	    N_SEVERITIES, &v) < 0)
		return -EINVAL;
	*ret_severity = (enum severity)v;
	return 0;
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

/* Appends to a seen list, allocated by the caller for every item. */
static void
event_types_seen_add(struct event_types_seen *v, size_t *n,
    struct event_types_seen s)
{
	v[(*n)++] = s;
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

static const char *const event_types_item_names[K_MAX] = {
	"code", "category", "title", "severity", "technology",
};
static const struct yaml_doc_keys event_types_item_keys = {
	.names = event_types_item_names,
	.n_names = K_MAX,
	.n_required = K_TITLE + 1,
};

static const char *const event_types_root_names[] = { "event_types" };
/* No required key: a missing list is reported after the unknown keys. */
static const struct yaml_doc_keys event_types_root_keys = {
	.names = event_types_root_names,
	.n_names = 1,
};

static const struct yaml_doc_range event_types_code_range = {
	EVENT_CODE_PRODUCT_MIN, EVENT_CODE_OWN_MAX, YAML_DOC_RANGE_OUTSIDE,
	NULL
};

const char *
event_types_documented(int64_t code)
{
	for (size_t i = 0; i < N_PRODUCT; i++)
		if (event_types_product[i].code == code)
			return event_types_product[i].category;
	return NULL;
}

/*
 * Whether the code of a valid item may be used for its category: an own
 * code, or a documented code given to the category it is documented for.
 * Reported at the code, once the category is known.
 */
static void
event_types_check_range(struct event_types_ctx *c,
    const struct event_types_item *it)
{
	const struct yaml_doc_node *n = it->v[K_CODE];
	const char *doc;

	if (it->code >= EVENT_CODE_OWN_MIN && it->code <= EVENT_CODE_OWN_MAX)
		return;
	if (it->code > EVENT_CODE_PRODUCT_MAX) {
		yaml_doc_check_error(&c->check, n, "code %lld is outside "
		    "%lld..%lld, the range of codes of kics-epp's own and "
		    "yours", (long long)it->code, EVENT_CODE_OWN_MIN,
		    EVENT_CODE_OWN_MAX);
		return;
	}
	if ((doc = event_types_documented(it->code)) == NULL)
		yaml_doc_check_error(&c->check, n, "code %lld is in the "
		    "monitoring product's range %lld..%lld but is not one of "
		    "its documented codes: use a code of %lld..%lld",
		    (long long)it->code, EVENT_CODE_PRODUCT_MIN,
		    EVENT_CODE_PRODUCT_MAX, EVENT_CODE_OWN_MIN,
		    EVENT_CODE_OWN_MAX);
	else if (strcmp(doc, it->category) != 0)
		yaml_doc_check_error(&c->check, n, "code %lld is the monitoring "
		    "product's code of '%s', not of '%s': use a code of "
		    "%lld..%lld", (long long)it->code, doc, it->category,
		    EVENT_CODE_OWN_MIN, EVENT_CODE_OWN_MAX);
}

static void
event_types_parse_code(struct event_types_ctx *c,
    const struct yaml_doc_node *n, struct event_types_item *it)
{
	uint64_t code;

	if (yaml_doc_check_uint(&c->check, n, "code", &event_types_code_range,
	    &code) < 0)
		return;
	it->code = (int64_t)code;
	for (size_t i = 0; i < c->n_codes; i++) {
		if (c->codes[i].code == it->code) {
			yaml_doc_check_error(&c->check, n, "duplicate code "
			    "%lld (first on line %zu)", (long long)code,
			    c->codes[i].line);
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

	category = yaml_doc_check_text(&c->check, n, "category",
	    LIMIT_SHORT_TEXT_LEN);
	if (category == NULL)
		return;
	for (size_t i = 0; i < c->n_cats; i++) {
		if (strcmp(c->cats[i].category, category) == 0) {
			yaml_doc_check_error(&c->check, n, "duplicate category "
			    "'%.64s' (first on line %zu)", category,
			    c->cats[i].line);
			break;
		}
	}
	event_types_seen_add(c->cats, &c->n_cats,
	    (struct event_types_seen){ 0, category, n->line });
	it->category = category;
}

/* Checks the value n of key k (one of K_*) of an item. */
static void
event_types_parse_value(struct event_types_ctx *c, size_t k,
    const struct yaml_doc_node *n, struct event_types_item *it)
{
	int v;

	switch (k) {
	case K_CODE:
		event_types_parse_code(c, n, it);
		break;
	case K_CATEGORY:
		event_types_parse_category(c, n, it);
		break;
	case K_TITLE:
		it->title = yaml_doc_check_text(&c->check, n, "title",
		    LIMIT_SHORT_TEXT_LEN);
		break;
	case K_SEVERITY:
		(void)severity_check(&c->check, n, LIMIT_SHORT_TEXT_LEN,
		    &it->severity);
		break;
	case K_TECHNOLOGY:
		if (yaml_doc_check_name(&c->check, n, "technology",
		    LIMIT_SHORT_TEXT_LEN, technology_names, N_TECHNOLOGIES,
		    &v) == 0)
			it->technology = (enum technology)v;
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
	struct event_types_item it;
	struct event_type_entry *e;
	size_t errors = c->check.n_errors;

	memset(&it, 0, sizeof(it));
	it.severity = SEVERITY_INFO;
	it.technology = TECHNOLOGY_EPP;
	if (!yaml_doc_check_mapping(&c->check, item, "an event type"))
		return;
	/* Missing keys first: the item starts before any of its values. */
	yaml_doc_check_keys(&c->check, item, &event_types_item_keys, it.v);
	for (size_t i = 0; i < item->n_items; i += 2) {
		size_t j = yaml_doc_check_key(&c->check, item, i,
		    &event_types_item_keys, it.v);

		event_types_parse_value(c, j, item->items[i + 1], &it);
	}
	if (it.code != 0 && it.category != NULL)
		event_types_check_range(c, &it);
	if (it.category != NULL && it.v[K_TECHNOLOGY] != NULL &&
	    it.technology == TECHNOLOGY_SYSTEM &&
	    strcmp(it.category, EVENT_CATEGORY_GENERIC) == 0)
		yaml_doc_check_error(&c->check, it.v[K_TECHNOLOGY],
		    "the generic entry '*' must have technology epp");
	if (it.category != NULL && it.technology == TECHNOLOGY_EPP &&
	    event_types_is_system(it.category))
		yaml_doc_check_error(&c->check, it.v[K_TECHNOLOGY] != NULL ?
		    it.v[K_TECHNOLOGY] : it.v[K_CATEGORY],
		    "'%s' is a system category: technology must be system",
		    it.category);

	if (c->check.n_errors != errors || c->check.r < 0)
		return;
	/* The caller sized entries for every item plus the fill. */
	e = &c->types->entries[c->types->n];
	memset(e, 0, sizeof(*e));
	if ((e->category = strdup(it.category)) == NULL ||
	    (e->title = strdup(it.title)) == NULL) {
		free(e->category);
		c->check.r = -ENOMEM;
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

	for (size_t i = 0; i < N_REQUIRED && c->check.r == 0; i++) {
		const char *cat = event_types_required[i];
		const struct event_type_entry *d;

		if (event_types_lookup(c->types, cat) != NULL)
			continue;
		if (defaults == NULL ||
		    (d = event_types_lookup(defaults, cat)) == NULL) {
			yaml_doc_check_error(&c->check, NULL,
			    "no event type for the required category '%s'",
			    cat);
			continue;
		}
		for (size_t j = 0; j < n_file; j++) {
			const struct event_type_entry *e =
			    &c->types->entries[j];

			if (e->pub.code == d->pub.code)
				yaml_doc_check_error(&c->check, e->code_node,
				    "code %lld is the built-in code of '%s', "
				    "which this file does not list",
				    (long long)d->pub.code, cat);
		}
		if (event_types_copy(c->types, d) < 0)
			c->check.r = -ENOMEM;
	}
}

/* Checks the keys of the top mapping and the list, in file order. */
static void
event_types_parse_root(struct event_types_ctx *c,
    const struct yaml_doc_node *root)
{
	const struct yaml_doc_node *v[1] = { NULL }, *list;
	size_t n;

	yaml_doc_check_keys(&c->check, root, &event_types_root_keys, v);
	for (size_t i = 0; i < root->n_items && c->check.r == 0; i += 2) {
		if (yaml_doc_check_key(&c->check, root, i,
		    &event_types_root_keys, v) != 0)
			continue;
		list = root->items[i + 1];
		if (!yaml_doc_check_list(&c->check, list, "event_types", &n))
			continue;
		if (n > LIMIT_EVENT_TYPES)
			n = LIMIT_EVENT_TYPES;
		for (size_t j = 0; j < n && c->check.r == 0; j++)
			event_types_parse_entry(c, list->items[j]);
		/* After the entries, where the file goes over the limit. */
		if (list->n_items > LIMIT_EVENT_TYPES)
			yaml_doc_check_error(&c->check,
			    list->items[LIMIT_EVENT_TYPES],
			    "more than %d event types", LIMIT_EVENT_TYPES);
	}
	if (v[0] == NULL)
		yaml_doc_check_error(&c->check, root, "missing required key "
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
	yaml_doc_check_init(&c.check, doc, diag);
	if ((c.types = calloc(1, sizeof(*c.types))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	/* Only the list decides how much to allocate: find it first. */
	list = yaml_doc_check_root(&c.check, "event_types");
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
	if (c.check.n_errors == 0 && c.check.r == 0)
		event_types_fill(&c, defaults);
	if ((r = yaml_doc_check_result(&c.check)) < 0)
		goto out;

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
