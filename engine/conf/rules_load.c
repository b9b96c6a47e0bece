/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the reader of rules.yaml: the validation of every rule
 * with all errors reported in file order, and its compilation into the form
 * that rules_match.c applies to events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "kics_limits.h"
#include "rules-private.h"
#include "strbuf.h"
#include "yaml_doc.h"

#define RULES_FILE	"rules.yaml"
#define RULES_BUILTIN	"<built-in>/" RULES_FILE

struct rules_seen {
	const char	*name;		/* borrowed from the doc */
	size_t		 line;
};

struct rules_ctx {
	struct yaml_doc_check	 check;		/* errors, first -ENOMEM */
	struct rules		*rules;		/* being filled */
	struct rules_seen	*names;		/* every rule name seen */
	size_t			 n_names;
};

enum { R_NAME, R_MATCH, R_SET, R_TAGS, R_DROP, R_STOP, R_MAX };
static const char *const rules_rule_names[R_MAX] = {
	"name", "match", "set", "tags", "drop", "stop",
};
static const struct yaml_doc_keys rules_rule_keys = {
	.names = rules_rule_names,
	.n_names = R_MAX,
	.n_required = R_NAME + 1,
	.expected = true,
};

enum { S_SEVERITY, S_TITLE, S_MAX };
static const char *const rules_set_names[S_MAX] = { "severity", "title" };
static const struct yaml_doc_keys rules_set_keys = {
	.names = rules_set_names,
	.n_names = S_MAX,
	.what = "set key",
	.expected = true,
};

static const char *const rules_root_names[] = { "rules" };
/* No required key: a missing list is reported after the unknown keys. */
static const struct yaml_doc_keys rules_root_keys = {
	.names = rules_root_names,
	.n_names = 1,
	.expected = true,
};

static void
rules_rule_fini(struct rule *ru)
{
	free(ru->name);
	rules_match_fini(&ru->match);
	rules_template_free(ru->title);
	free(ru->tags);
	memset(ru, 0, sizeof(*ru));
}

void
rules_free(struct rules *rules)
{
	if (rules == NULL)
		return;
	for (size_t i = 0; rules->rules != NULL && i < rules->n; i++)
		rules_rule_fini(&rules->rules[i]);
	free(rules->rules);
	rules_strv_free(rules->tags, rules->n_tags);
	free(rules->source);
	free(rules);
}

/* True when a value is there and not an empty list or mapping. */
static bool
rules_nonempty(const struct yaml_doc_node *n)
{
	return n != NULL && !yaml_doc_is_null(n) &&
	    (n->kind == YAML_DOC_SCALAR || n->n_items > 0);
}

static void
rules_parse_set(struct rules_ctx *c, const struct yaml_doc_node *n,
    struct rule *ru)
{
	const struct yaml_doc_node *v[S_MAX] = { NULL };

	if (yaml_doc_is_null(n) || !yaml_doc_check_mapping(&c->check, n, "set"))
		return;
	yaml_doc_check_keys(&c->check, n, &rules_set_keys, v);
	for (size_t i = 0; i < n->n_items; i += 2) {
		const struct yaml_doc_node *x = n->items[i + 1];

		switch (yaml_doc_check_key(&c->check, n, i, &rules_set_keys,
		    v)) {
		case S_SEVERITY:
			(void)severity_check(&c->check, x,
			    LIMIT_RULE_PATTERN_LEN, &ru->set_severity);
			break;
		case S_TITLE:
			ru->title = rules_template_parse(&c->check, x);
			break;
		default:
			break;
		}
	}
}

/* Returns the index of tag (as a JSON string) in rules->tags, adding it. */
static int
rules_intern_tag(struct rules_ctx *c, const struct yaml_doc_node *n,
    const char *tag, uint16_t *ret_index)
{
	struct rules *rules = c->rules;
	struct strbuf b;
	char **v;

	strbuf_init(&b);
	if (strbuf_json_string(&b, tag) < 0) {
		strbuf_fini(&b);
		return -ENOMEM;
	}
	for (size_t i = 0; i < rules->n_tags; i++) {
		if (strcmp(rules->tags[i], strbuf_str(&b)) == 0) {
			strbuf_fini(&b);
			*ret_index = (uint16_t)i;
			return 0;
		}
	}
	if (rules->n_tags == LIMIT_RULES_TAGS) {
		strbuf_fini(&b);
		yaml_doc_check_error(&c->check, n, "more than %d distinct "
		    "tags in the file",
		    LIMIT_RULES_TAGS);
		return -E2BIG;
	}
	v = realloc(rules->tags, (rules->n_tags + 1) * sizeof(*v));
	if (v == NULL) {
		strbuf_fini(&b);
		return -ENOMEM;
	}
	rules->tags = v;
	v[rules->n_tags] = b.data;	/* the buffer changes hands */
	*ret_index = (uint16_t)rules->n_tags++;
	return 0;
}

static void
rules_parse_tags(struct rules_ctx *c, const struct yaml_doc_node *n,
    struct rule *ru)
{
	const char *s;
	uint16_t id;
	size_t count;
	int r;

	if (!yaml_doc_check_list(&c->check, n, "tags", &count))
		return;
	if (count > LIMIT_RULE_TAGS) {
		yaml_doc_check_error(&c->check, n, "tags has more than %d "
		    "items", LIMIT_RULE_TAGS);
		return;
	}
	if (count == 0)
		return;
	if ((ru->tags = calloc(count, sizeof(*ru->tags))) == NULL) {
		yaml_doc_check_nomem(&c->check);
		return;
	}
	for (size_t i = 0; i < count && c->check.r == 0; i++) {
		const struct yaml_doc_node *x = n->items[i];
		bool dup = false;

		if ((s = yaml_doc_check_text(&c->check, x, "tag",
		    LIMIT_RULE_TAG_LEN)) == NULL)
			continue;
		for (const char *p = s; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				dup = true;
		if (dup) {
			yaml_doc_check_error(&c->check, x, "tag contains a "
			    "control character");
			continue;
		}
		if ((r = rules_intern_tag(c, x, s, &id)) == -ENOMEM)
			yaml_doc_check_nomem(&c->check);
		if (r < 0)
			continue;
		for (size_t j = 0; j < ru->n_tags; j++)
			if (ru->tags[j] == id)
				dup = true;
		if (!dup)
			ru->tags[ru->n_tags++] = id;
	}
}

/*
 * Not yaml_doc_check_bool(): rules.yaml has always said only "must be true
 * or false", and users' scripts may match the message.
 */
static void
rules_parse_bool(struct rules_ctx *c, const char *key,
    const struct yaml_doc_node *n, bool *ret)
{
	if (yaml_doc_get_bool(n, ret) < 0)
		yaml_doc_check_error(&c->check, n, "%s must be true or false",
		    key);
}

static void
rules_parse_name(struct rules_ctx *c, const struct yaml_doc_node *n,
    struct rule *ru)
{
	const char *s;

	if ((s = yaml_doc_check_text(&c->check, n, "name",
	    LIMIT_RULE_NAME_LEN)) == NULL)
		return;
	for (const char *p = s; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_' ||
		    *p == '.')) {
			yaml_doc_check_error(&c->check, n, "rule name '%s' may "
			    "contain only letters, digits, '-', '_' and '.'",
			    s);
			return;
		}
	}
	for (size_t i = 0; i < c->n_names; i++) {
		if (strcmp(c->names[i].name, s) == 0) {
			yaml_doc_check_error(&c->check, n, "duplicate rule "
			    "name '%s' (first on line %zu)", s,
			    c->names[i].line);
			return;
		}
	}
	c->names[c->n_names].name = s;
	c->names[c->n_names++].line = n->line;
	if ((ru->name = strdup(s)) == NULL)
		yaml_doc_check_nomem(&c->check);
}

/* Whether the rule has an action, judged before its values are read. */
static bool
rules_has_action(const struct yaml_doc_node *const *v)
{
	bool b;

	return rules_nonempty(v[R_SET]) || rules_nonempty(v[R_TAGS]) ||
	    (v[R_DROP] != NULL && (yaml_doc_get_bool(v[R_DROP], &b) < 0 ||
	    b)) ||
	    (v[R_STOP] != NULL && (yaml_doc_get_bool(v[R_STOP], &b) < 0 ||
	    b));
}

/*
 * Validates one list item, reporting in file order, and appends it to
 * c->rules if it is valid.
 */
static void
rules_parse_rule(struct rules_ctx *c, const struct yaml_doc_node *item)
{
	const struct yaml_doc_node *v[R_MAX] = { NULL };
	struct rule *ru = &c->rules->rules[c->rules->n];
	size_t errors = c->check.n_errors;

	memset(ru, 0, sizeof(*ru));
	if (!yaml_doc_check_mapping(&c->check, item, "a rule"))
		return;
	ru->line = item->line;
	/* Rule-wide problems first: the item starts before its values. */
	yaml_doc_check_keys(&c->check, item, &rules_rule_keys, v);
	if (!rules_has_action(v))
		yaml_doc_check_error(&c->check, item, "rule has no action "
		    "(set, tags, drop: true or stop: true)");
	for (size_t i = 0; i < item->n_items && c->check.r == 0; i += 2) {
		const struct yaml_doc_node *x = item->items[i + 1];

		switch (yaml_doc_check_key(&c->check, item, i, &rules_rule_keys,
		    v)) {
		case R_NAME:
			rules_parse_name(c, x, ru);
			break;
		case R_MATCH:
			rules_match_parse(&c->check, x, &ru->match);
			break;
		case R_SET:
			rules_parse_set(c, x, ru);
			break;
		case R_TAGS:
			rules_parse_tags(c, x, ru);
			break;
		case R_DROP:
			rules_parse_bool(c, "drop", x, &ru->drop);
			break;
		case R_STOP:
			rules_parse_bool(c, "stop", x, &ru->stop);
			break;
		default:
			break;
		}
	}
	if (c->check.n_errors != errors || c->check.r < 0) {
		rules_rule_fini(ru);
		return;
	}
	atomic_init(&ru->matches, 0);
	atomic_init(&ru->drops, 0);
	c->rules->n++;
}

static void
rules_parse_root(struct rules_ctx *c, const struct yaml_doc_node *root)
{
	const struct yaml_doc_node *v[1] = { NULL }, *list;
	size_t n;

	yaml_doc_check_keys(&c->check, root, &rules_root_keys, v);
	for (size_t i = 0; i < root->n_items && c->check.r == 0; i += 2) {
		if (yaml_doc_check_key(&c->check, root, i, &rules_root_keys,
		    v) != 0)
			continue;
		list = root->items[i + 1];
		if (!yaml_doc_check_list(&c->check, list, "rules", &n))
			continue;
		if (n > LIMIT_RULES)
			n = LIMIT_RULES;
		for (size_t j = 0; j < n && c->check.r == 0; j++)
			rules_parse_rule(c, list->items[j]);
		if (list->n_items > LIMIT_RULES)
			yaml_doc_check_error(&c->check,
			    list->items[LIMIT_RULES], "more than %d rules",
			    LIMIT_RULES);
	}
	if (v[0] == NULL)
		yaml_doc_check_error(&c->check, root, "missing required key "
		    "'rules'");
}

/* Validates and compiles the whole document; see rules_load(). */
static int
rules_from_doc(const struct yaml_doc *doc, struct diag *diag,
    struct rules **ret_rules)
{
	const struct yaml_doc_node *list;
	struct rules_ctx c;
	size_t n = 0;
	int r;

	memset(&c, 0, sizeof(c));
	yaml_doc_check_init(&c.check, doc, diag);
	if ((c.rules = calloc(1, sizeof(*c.rules))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	/* Only the list decides how much to allocate: find it first. */
	if ((list = yaml_doc_check_root(&c.check, "rules")) != NULL)
		n = list->n_items < LIMIT_RULES ? list->n_items : LIMIT_RULES;
	c.rules->rules = calloc(n + 1, sizeof(*c.rules->rules));
	c.names = calloc(n + 1, sizeof(*c.names));
	if (c.rules->rules == NULL || c.names == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (doc->root != NULL && doc->root->kind == YAML_DOC_MAPPING)
		rules_parse_root(&c, doc->root);
	if ((r = yaml_doc_check_result(&c.check)) < 0)
		goto out;
	*ret_rules = c.rules;
	c.rules = NULL;
out:
	rules_free(c.rules);
	free(c.names);
	return r;
}

/*
 * Records where a freshly built set came from. On failure the set is
 * freed and *ret_rules is left as it was before the load (untouched by
 * the caller's contract: written only on success).
 */
static int
rules_set_source(struct rules *rules, const char *source,
    struct rules **ret_rules)
{
	if ((rules->source = strdup(source)) == NULL) {
		rules_free(rules);
		*ret_rules = NULL;
		return -ENOMEM;
	}
	return 0;
}

int
rules_load_string(const char *name, const char *text, size_t len,
    struct diag *diag, struct rules **ret_rules)
{
	struct yaml_doc *doc = NULL;
	int r;

	if ((r = yaml_doc_load_string(name, text, len, diag, &doc)) < 0)
		return r;
	r = rules_from_doc(doc, diag, ret_rules);
	yaml_doc_free(doc);
	if (r == 0)
		r = rules_set_source(*ret_rules, name, ret_rules);
	return r;
}

int
rules_load(const char *path, struct diag *diag, struct rules **ret_rules)
{
	const struct embedded_file *f;
	struct yaml_doc *doc = NULL;
	int r;

	if (path == NULL) {
		f = embedded_find(embedded_conf, RULES_FILE);
		if (f == NULL) {
			r = diag_add(diag, RULES_BUILTIN, 0, 0,
			    "not built into this program");
			return r < 0 ? r : -ENOENT;
		}
		return rules_load_string(RULES_BUILTIN, f->text,
		    strlen(f->text), diag, ret_rules);
	}
	if ((r = yaml_doc_load_file(path, diag, &doc)) < 0)
		return r;
	r = rules_from_doc(doc, diag, ret_rules);
	yaml_doc_free(doc);
	if (r == 0)
		r = rules_set_source(*ret_rules, path, ret_rules);
	return r;
}

const char *
rules_source(const struct rules *rules)
{
	return rules != NULL && rules->source != NULL ? rules->source : "";
}
