/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the reader of rules.yaml: the validation of every rule
 * with all errors reported in file order, and its compilation into the form
 * that rules_match.c applies to events.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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
	const struct yaml_doc	*doc;
	struct diag		*diag;
	struct rules		*rules;		/* being filled */
	struct rules_seen	*names;		/* every rule name seen */
	size_t			 n_names;
	size_t			 n_errors;
	int			 r;		/* first -ENOMEM, else 0 */
};

/* The items of a list condition, or the one scalar. */
struct rules_items {
	struct yaml_doc_node *const *v;
	size_t			  n;
};

enum { M_CATEGORY, M_CODE, M_PRODUCT, M_SEVERITY, M_DEVICE,
    M_DEVICE_CATEGORY, M_TEXT, M_ATTRIBUTE, M_MAX };
static const char *const rules_match_keys[M_MAX] = {
	"category", "code", "product", "severity", "device",
	"device_category", "text", "attribute",
};
#define RULES_MATCH_EXPECTED	"category, code, product, severity, " \
				"device, device_category, text or attribute"

enum { R_NAME, R_MATCH, R_SET, R_TAGS, R_DROP, R_STOP, R_MAX };
static const char *const rules_rule_keys[R_MAX] = {
	"name", "match", "set", "tags", "drop", "stop",
};
#define RULES_RULE_EXPECTED	"name, match, set, tags, drop or stop"

/* Template field names, indexed by enum rule_field. */
static const char *const rules_field_names[RULE_FIELD_MAX] = {
	[RULE_FIELD_HOSTNAME] = "hostname",
	[RULE_FIELD_IP] = "ip",
	[RULE_FIELD_MAC] = "mac",
	[RULE_FIELD_CATEGORY] = "category",
	[RULE_FIELD_PRODUCT] = "product",
	[RULE_FIELD_THREAT_NAME] = "threat_name",
	[RULE_FIELD_OBJECT_PATH] = "object_path",
	[RULE_FIELD_USER_NAME] = "user_name",
	[RULE_FIELD_CODE] = "code",
};

void
rules_ascii_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void
rules_strv_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
rules_globs_free(struct rule_glob *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].pattern);
		free(v[i].lit);
	}
	free(v);
}

static void
rules_template_free(struct rule_template *t)
{
	if (t == NULL)
		return;
	free(t->source);
	free(t->lit);
	free(t->segs);
	free(t);
}

static void
rules_match_fini(struct rule_match *m)
{
	rules_strv_free(m->categories, m->n_categories);
	free(m->codes);
	rules_globs_free(m->products, m->n_products);
	rules_strv_free(m->device_categories, m->n_device_categories);
	free(m->cidrs);
	free(m->nets);
	free(m->macs);
	rules_globs_free(m->hosts, m->n_hosts);
	rules_globs_free(m->texts, m->n_texts);
	for (size_t i = 0; m->attrs != NULL && i < m->n_attrs; i++) {
		free(m->attrs[i].key);
		rules_globs_free(m->attrs[i].values, m->attrs[i].n_values);
	}
	free(m->attrs);
	memset(m, 0, sizeof(*m));
}

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

static void KICS_PRINTF(3, 4)
rules_error(struct rules_ctx *c, const struct yaml_doc_node *n,
    const char *fmt, ...)
{
	va_list ap;

	c->n_errors++;
	va_start(ap, fmt);
	if (yaml_doc_verror(c->doc, n, c->diag, fmt, ap) < 0 && c->r == 0)
		c->r = -ENOMEM;
	va_end(ap);
}

static void
rules_nomem(struct rules_ctx *c)
{
	if (c->r == 0)
		c->r = -ENOMEM;
}

/* Returns a copy of s, or NULL after rules_nomem(). */
static char *
rules_dup(struct rules_ctx *c, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		rules_nomem(c);
	return d;
}

/*
 * Reads a scalar string into *ret (borrowed from the doc); reports and
 * returns false when it is not a usable string of at most max bytes.
 */
static bool
rules_string(struct rules_ctx *c, const char *key,
    const struct yaml_doc_node *n, size_t max, const char **ret)
{
	int err = 0;
	const char *s = yaml_doc_text(c->doc, n, key, max, c->diag, &err);

	if (s == NULL) {
		c->n_errors++;
		if (err == -ENOMEM && c->r == 0)
			c->r = err;
		return false;
	}
	*ret = s;
	return true;
}

/*
 * The items of a condition that takes one string or a list of them. An
 * empty or oversized list and a mapping are reported and give no items.
 */
static struct rules_items
rules_items(struct rules_ctx *c, const char *key,
    struct yaml_doc_node *const *slot)
{
	const struct yaml_doc_node *n = *slot;
	struct rules_items it = { NULL, 0 };

	if (n->kind == YAML_DOC_SCALAR) {
		it.v = slot;
		it.n = 1;
	} else if (n->kind == YAML_DOC_MAPPING) {
		rules_error(c, n, "%s must be a string or a list, not a "
		    "mapping", key);
	} else if (n->n_items == 0) {
		rules_error(c, n, "%s must not be an empty list", key);
	} else if (n->n_items > LIMIT_RULE_ITEMS) {
		rules_error(c, n, "%s has more than %d items", key,
		    LIMIT_RULE_ITEMS);
	} else {
		it.v = n->items;
		it.n = n->n_items;
	}
	return it;
}

static bool
rules_is_class(const char *s, size_t len)
{
	static const char *const classes[] = {
		"alnum", "alpha", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "xdigit",
	};

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i]) == len &&
		    strncmp(classes[i], s, len) == 0)
			return true;
	return false;
}

/*
 * Checks a glob as fnmatch() with FNM_NOESCAPE reads it. glibc takes an
 * unclosed '[' as a literal, which is nearly always a typo in a rule, so it
 * is refused here. Returns NULL when p is fine, else what is wrong.
 */
static const char *
rules_glob_problem(const char *p)
{
	for (size_t i = 0; p[i] != '\0'; i++) {
		size_t j;

		if (p[i] != '[')
			continue;
		j = i + 1;
		if (p[j] == '!' || p[j] == '^')
			j++;
		if (p[j] == ']')
			j++;		/* a leading ']' is a member */
		while (p[j] != ']') {
			char d;
			size_t k;

			if (p[j] == '\0')
				return "unbalanced '['";
			if (p[j] != '[' || (p[j + 1] != ':' &&
			    p[j + 1] != '.' && p[j + 1] != '=')) {
				j++;
				continue;
			}
			d = p[j + 1];
			for (k = j + 2; p[k] != '\0' &&
			    !(p[k] == d && p[k + 1] == ']'); k++)
				;
			if (p[k] == '\0')
				return "unbalanced '['";
			if (d == ':' && !rules_is_class(p + j + 2, k - j - 2))
				return "unknown character class";
			j = k + 2;
		}
		i = j;
	}
	return NULL;
}

/*
 * Compiles the valid glob p into *g: lowercase, and its shape for the fast
 * paths of rules_glob_match(). Returns 0 or -ENOMEM (g then empty).
 */
static int
rules_glob_init(struct rule_glob *g, const char *p)
{
	size_t len = strlen(p), stars = 0, first, last;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < len; i++)
		stars += p[i] == '*';
	first = len > 0 && p[0] == '*';
	last = len > 1 && p[len - 1] == '*';
	if (strpbrk(p, "?[") != NULL)
		g->kind = RULE_GLOB_FNMATCH;
	else if (stars == len)
		g->kind = RULE_GLOB_ANY;
	else if (stars == 0)
		g->kind = RULE_GLOB_EXACT;
	else if (stars == 1 && first)
		g->kind = RULE_GLOB_SUFFIX;
	else if (stars == 1 && last)
		g->kind = RULE_GLOB_PREFIX;
	else if (stars == 2 && first && last)
		g->kind = RULE_GLOB_SUBSTRING;
	else
		g->kind = RULE_GLOB_FNMATCH;
	if (g->kind == RULE_GLOB_FNMATCH || g->kind == RULE_GLOB_ANY)
		first = last = 0;
	if ((g->pattern = strdup(p)) == NULL ||
	    (g->lit = strndup(p + first, len - first - last)) == NULL) {
		free(g->pattern);
		memset(g, 0, sizeof(*g));
		return -ENOMEM;
	}
	rules_ascii_lower(g->pattern);
	rules_ascii_lower(g->lit);
	g->len = strlen(g->lit);
	return 0;
}

/* Reads a condition of exact words. */
static void
rules_parse_words(struct rules_ctx *c, const char *key,
    struct yaml_doc_node *const *slot, char ***ret_v, size_t *ret_n)
{
	struct rules_items it = rules_items(c, key, slot);
	const char *s;
	char **v;
	size_t n = 0;

	if (it.n == 0)
		return;
	if ((v = calloc(it.n, sizeof(*v))) == NULL) {
		rules_nomem(c);
		return;
	}
	for (size_t i = 0; i < it.n; i++)
		if (rules_string(c, key, it.v[i], LIMIT_RULE_PATTERN_LEN, &s) &&
		    (v[n] = rules_dup(c, s)) != NULL)
			n++;
	*ret_v = v;
	*ret_n = n;
}

/* Reads a condition of globs, validated and compiled. */
static void
rules_parse_globs(struct rules_ctx *c, const char *key,
    struct yaml_doc_node *const *slot, struct rule_glob **ret_v,
    size_t *ret_n)
{
	struct rules_items it = rules_items(c, key, slot);
	struct rule_glob *v;
	const char *s, *why;
	size_t n = 0;

	if (it.n == 0)
		return;
	if ((v = calloc(it.n, sizeof(*v))) == NULL) {
		rules_nomem(c);
		return;
	}
	for (size_t i = 0; i < it.n; i++) {
		if (!rules_string(c, key, it.v[i], LIMIT_RULE_PATTERN_LEN, &s))
			continue;
		if ((why = rules_glob_problem(s)) != NULL)
			rules_error(c, it.v[i], "bad glob '%s' in %s: %s", s,
			    key, why);
		else if (rules_glob_init(&v[n], s) < 0)
			rules_nomem(c);
		else
			n++;
	}
	*ret_v = v;
	*ret_n = n;
}

static void
rules_parse_codes(struct rules_ctx *c, struct yaml_doc_node *const *slot,
    struct rule_match *m)
{
	struct rules_items it = rules_items(c, "code", slot);
	uint64_t code;

	if (it.n == 0)
		return;
	if ((m->codes = calloc(it.n, sizeof(*m->codes))) == NULL) {
		rules_nomem(c);
		return;
	}
	for (size_t i = 0; i < it.n; i++) {
		const struct yaml_doc_node *n = it.v[i];
		int r = yaml_doc_get_uint(n, 0, INT64_MAX, &code);

		if (r == 0)
			m->codes[m->n_codes++] = (int64_t)code;
		else if (n->kind != YAML_DOC_SCALAR)
			rules_error(c, n, "code must be an integer, not %s",
			    yaml_doc_kind_name(n->kind));
		else if (!n->plain)
			rules_error(c, n, "code must be an integer, not a "
			    "quoted string");
		else
			rules_error(c, n, "code must be an integer, not "
			    "'%.64s'", n->value);
	}
}

/*
 * Parses "critical", "=warning", ">=warning", "<=warning", ">info" or
 * "<critical" into a bit set of the severities it admits.
 */
static int
rules_severity_mask(const char *s, unsigned *ret_mask)
{
	enum severity sev;
	unsigned mask = 0;
	int op = '=';
	bool eq = true;

	if (*s == '>' || *s == '<') {
		op = *s++;
		eq = *s == '=';
		if (eq)
			s++;
	} else if (*s == '=')
		s++;
	while (*s == ' ')
		s++;
	if (severity_parse(s, &sev) < 0)
		return -EINVAL;
	for (int i = SEVERITY_INFO; i < SEVERITY_MAX; i++)
		if ((eq && i == (int)sev) || (op == '>' && i > (int)sev) ||
		    (op == '<' && i < (int)sev))
			mask |= 1u << i;
	if (mask == 0)
		return -ERANGE;
	*ret_mask = mask;
	return 0;
}

static void
rules_parse_severities(struct rules_ctx *c, struct yaml_doc_node *const *slot,
    struct rule_match *m)
{
	struct rules_items it = rules_items(c, "severity", slot);
	const char *s;
	unsigned mask;
	int r;

	for (size_t i = 0; i < it.n; i++) {
		if (!rules_string(c, "severity", it.v[i],
		    LIMIT_RULE_PATTERN_LEN, &s))
			continue;
		if ((r = rules_severity_mask(s, &mask)) == -ERANGE)
			rules_error(c, it.v[i], "severity '%s' matches no "
			    "severity", s);
		else if (r < 0)
			rules_error(c, it.v[i], "unknown severity '%.64s' "
			    "(expected info, warning or critical, optionally "
			    "after =, >=, <=, > or <)", s);
		else
			m->severities |= mask;
	}
}

/* True when s looks like a MAC written with '-' (6 groups of 1-2). */
static bool
rules_mac_like(const char *s)
{
	size_t groups = 0, len = 0;

	for (;; s++) {
		if (*s == '-' || *s == '\0') {
			if (len < 1 || len > 2)
				return false;
			groups++;
			len = 0;
			if (*s == '\0')
				break;
		} else if ((*s >= '0' && *s <= '9') || (*s >= 'a' &&
		    *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			len++;
		else
			return false;
	}
	return groups == 6;
}

/* True when s has only characters of host names and globs. */
static bool
rules_host_chars(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || strchr("-._*?[]!^:", *s) !=
		    NULL))
			return false;
	return true;
}

/* Compiles the network just parsed into m->cidrs for matching. */
static void
rules_add_net(struct rule_match *m)
{
	const struct addr_cidr *c = &m->cidrs[m->n_cidrs];
	struct rule_net *n = &m->nets[m->n_cidrs++];

	rules_ip_bytes(&c->net, n->bytes);
	n->prefix = c->prefix + (c->net.family == ADDR_FAMILY_IPV4 ? 96 : 0);
}

/*
 * One device item, told apart by its syntax: a '/' makes a network, then
 * an IP address, a MAC address, and anything else a host-name glob.
 */
static void
rules_parse_device_item(struct rules_ctx *c, const struct yaml_doc_node *n,
    struct rule_match *m)
{
	struct addr_ip ip;
	const char *s, *why, *p;
	int prefix;
	bool numeric = true;

	if (!rules_string(c, "device", n, LIMIT_RULE_PATTERN_LEN, &s))
		return;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			numeric = false;
	if (strchr(s, '/') != NULL) {
		if (addr_cidr_parse(s, &m->cidrs[m->n_cidrs]) == 0)
			rules_add_net(m);
		else if (addr_ip_parse_prefixed(s, &ip, &prefix) == 0)
			rules_error(c, n, "bad CIDR '%s' in device: the "
			    "address has bits set after the prefix", s);
		else
			rules_error(c, n, "bad CIDR '%s' in device", s);
	} else if (addr_cidr_parse(s, &m->cidrs[m->n_cidrs]) == 0) {
		rules_add_net(m);
	} else if (addr_mac_parse(s, &m->macs[m->n_macs]) == 0) {
		m->n_macs++;
	} else if (numeric || (strchr(s, ':') != NULL &&
	    strchr(s, '[') == NULL)) {
		rules_error(c, n, "bad IP or MAC address '%s' in device", s);
	} else if (rules_mac_like(s)) {
		rules_error(c, n, "bad MAC address '%s' in device", s);
	} else if (!rules_host_chars(s)) {
		rules_error(c, n, "bad device '%s' (expected an IP address, "
		    "a CIDR network, a MAC address or a host-name glob)", s);
	} else if ((why = rules_glob_problem(s)) != NULL) {
		rules_error(c, n, "bad glob '%s' in device: %s", s, why);
	} else if (rules_glob_init(&m->hosts[m->n_hosts], s) < 0) {
		rules_nomem(c);
	} else {
		m->n_hosts++;
	}
}

static void
rules_parse_device(struct rules_ctx *c, struct yaml_doc_node *const *slot,
    struct rule_match *m)
{
	struct rules_items it = rules_items(c, "device", slot);

	if (it.n == 0)
		return;
	m->cidrs = calloc(it.n, sizeof(*m->cidrs));
	m->nets = calloc(it.n, sizeof(*m->nets));
	m->macs = calloc(it.n, sizeof(*m->macs));
	m->hosts = calloc(it.n, sizeof(*m->hosts));
	if (m->cidrs == NULL || m->nets == NULL || m->macs == NULL ||
	    m->hosts == NULL) {
		rules_nomem(c);
		return;
	}
	m->device = true;
	for (size_t i = 0; i < it.n && c->r == 0; i++)
		rules_parse_device_item(c, it.v[i], m);
}

/* attribute: {key: glob or [globs], …}; every key must hold. */
static void
rules_parse_attributes(struct rules_ctx *c, const struct yaml_doc_node *n,
    struct rule_match *m)
{
	char what[LIMIT_RULE_PATTERN_LEN + 16];
	const char *key;

	if (n->kind != YAML_DOC_MAPPING) {
		rules_error(c, n, "attribute must be a mapping of attribute "
		    "names to values, not %s", yaml_doc_kind_name(n->kind));
		return;
	}
	if (n->n_items == 0) {
		rules_error(c, n, "attribute must not be an empty mapping");
		return;
	}
	if (n->n_items / 2 > LIMIT_RULE_ATTRIBUTES) {
		rules_error(c, n, "attribute has more than %d keys",
		    LIMIT_RULE_ATTRIBUTES);
		return;
	}
	if ((m->attrs = calloc(n->n_items / 2, sizeof(*m->attrs))) == NULL) {
		rules_nomem(c);
		return;
	}
	for (size_t i = 0; i < n->n_items && c->r == 0; i += 2) {
		struct rule_attr *a = &m->attrs[m->n_attrs];
		bool dup = false;

		if (!rules_string(c, "attribute name", n->items[i],
		    LIMIT_RULE_PATTERN_LEN, &key))
			continue;
		for (size_t j = 0; j < i; j += 2)
			if (strcmp(n->items[j]->value, key) == 0)
				dup = true;
		if (dup) {
			rules_error(c, n->items[i], "duplicate attribute "
			    "'%s'", key);
			continue;
		}
		(void)snprintf(what, sizeof(what), "attribute '%s'", key);
		rules_parse_globs(c, what, &n->items[i + 1], &a->values,
		    &a->n_values);
		if ((a->key = rules_dup(c, key)) == NULL ||
		    a->n_values == 0) {
			free(a->key);
			rules_globs_free(a->values, a->n_values);
			memset(a, 0, sizeof(*a));
			continue;
		}
		m->n_attrs++;
	}
}

/*
 * Fills v[k] with the value of the first keys[k] in the mapping m, without
 * reporting anything: rules_key() reports, in file order.
 */
static void
rules_keys(const struct yaml_doc_node *m, const char *const *keys,
    size_t n_keys, const struct yaml_doc_node **v)
{
	for (size_t i = 0; i < m->n_items; i += 2)
		for (size_t j = 0; j < n_keys; j++)
			if (v[j] == NULL && strcmp(m->items[i]->value,
			    keys[j]) == 0)
				v[j] = m->items[i + 1];
}

/*
 * Returns which of keys the key of item i of the mapping m is, after
 * rules_keys() filled v; reports an unknown or repeated key and returns
 * n_keys for it.
 */
static size_t
rules_key(struct rules_ctx *c, const struct yaml_doc_node *m, size_t i,
    const char *const *keys, size_t n_keys,
    const struct yaml_doc_node *const *v, const char *what,
    const char *expected)
{
	const struct yaml_doc_node *k = m->items[i];
	size_t j;

	for (j = 0; j < n_keys; j++)
		if (strcmp(k->value, keys[j]) == 0)
			break;
	if (j == n_keys) {
		rules_error(c, k, "unknown %skey '%.64s' (expected %s)", what,
		    k->value, expected);
	} else if (v[j] != m->items[i + 1]) {
		rules_error(c, k, "duplicate key '%s' (first on line %zu)",
		    keys[j], v[j]->line);
		j = n_keys;
	}
	return j;
}

/* True when a value is there and not an empty list or mapping. */
static bool
rules_nonempty(const struct yaml_doc_node *n)
{
	return n != NULL && !yaml_doc_is_null(n) &&
	    (n->kind == YAML_DOC_SCALAR || n->n_items > 0);
}

static void
rules_parse_match(struct rules_ctx *c, const struct yaml_doc_node *n,
    struct rule_match *m)
{
	const struct yaml_doc_node *v[M_MAX] = { NULL };

	if (yaml_doc_is_null(n))
		return;		/* no condition: every event */
	if (n->kind != YAML_DOC_MAPPING) {
		rules_error(c, n, "match must be a mapping, not %s",
		    yaml_doc_kind_name(n->kind));
		return;
	}
	rules_keys(n, rules_match_keys, M_MAX, v);
	/* In file order, so messages come out sorted. */
	for (size_t i = 0; i < n->n_items && c->r == 0; i += 2) {
		struct yaml_doc_node *const *slot = &n->items[i + 1];

		switch (rules_key(c, n, i, rules_match_keys, M_MAX, v,
		    "match ", RULES_MATCH_EXPECTED)) {
		case M_CATEGORY:
			rules_parse_words(c, "category", slot,
			    &m->categories, &m->n_categories);
			break;
		case M_CODE:
			rules_parse_codes(c, slot, m);
			break;
		case M_PRODUCT:
			rules_parse_globs(c, "product", slot, &m->products,
			    &m->n_products);
			break;
		case M_SEVERITY:
			rules_parse_severities(c, slot, m);
			break;
		case M_DEVICE:
			rules_parse_device(c, slot, m);
			break;
		case M_DEVICE_CATEGORY:
			rules_parse_words(c, "device_category", slot,
			    &m->device_categories, &m->n_device_categories);
			break;
		case M_TEXT:
			rules_parse_globs(c, "text", slot, &m->texts,
			    &m->n_texts);
			break;
		case M_ATTRIBUTE:
			rules_parse_attributes(c, *slot, m);
			break;
		default:
			break;
		}
	}
}

static enum rule_field
rules_field_lookup(const char *s, size_t len)
{
	for (int i = RULE_FIELD_LITERAL + 1; i < RULE_FIELD_MAX; i++)
		if (strlen(rules_field_names[i]) == len &&
		    strncmp(rules_field_names[i], s, len) == 0)
			return (enum rule_field)i;
	return RULE_FIELD_MAX;
}

/* Appends a literal byte to the template being built. */
static void
rules_template_lit(struct rule_template *t, char ch, size_t *lit_len)
{
	struct rule_segment *last = t->n_segs > 0 ?
	    &t->segs[t->n_segs - 1] : NULL;

	if (last == NULL || last->field != RULE_FIELD_LITERAL) {
		/* Ends the previous literal, if any, for strbuf_append(). */
		if (*lit_len > 0)
			t->lit[(*lit_len)++] = '\0';
		last = &t->segs[t->n_segs++];
		last->field = RULE_FIELD_LITERAL;
		last->text = t->lit + *lit_len;
	}
	t->lit[(*lit_len)++] = ch;
	t->lit[*lit_len] = '\0';
}

/*
 * Compiles a title template: "{field}" is a value of the event, "{{" and
 * "}}" are braces. Unknown fields and unpaired braces are reported.
 */
static struct rule_template *
rules_parse_title(struct rules_ctx *c, const struct yaml_doc_node *n)
{
	struct rule_template *t = NULL;
	const char *s, *end;
	size_t len, lit_len = 0, errors = c->n_errors;

	if (!rules_string(c, "title", n, LIMIT_RULE_TITLE_LEN, &s))
		return NULL;
	len = strlen(s);
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->source = strdup(s)) == NULL ||
	    (t->lit = malloc(2 * len + 1)) == NULL ||
	    (t->segs = calloc(len, sizeof(*t->segs))) == NULL) {
		rules_nomem(c);
		rules_template_free(t);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		enum rule_field f;

		if ((s[i] == '{' || s[i] == '}') && s[i + 1] == s[i]) {
			rules_template_lit(t, s[i++], &lit_len);
		} else if (s[i] == '}') {
			rules_error(c, n, "'}' without '{' in title template "
			    "(write '}}' for a brace)");
		} else if (s[i] != '{') {
			rules_template_lit(t, s[i], &lit_len);
		} else if ((end = strchr(s + i, '}')) == NULL) {
			rules_error(c, n, "unclosed '{' in title template "
			    "(write '{{' for a brace)");
			break;
		} else {
			f = rules_field_lookup(s + i + 1,
			    (size_t)(end - s) - i - 1);
			if (f == RULE_FIELD_MAX)
				rules_error(c, n, "unknown field '%.*s' in "
				    "title template (expected hostname, ip, "
				    "mac, category, product, threat_name, "
				    "object_path, user_name or code)",
				    (int)(end - s - (ptrdiff_t)i + 1), s + i);
			else
				t->segs[t->n_segs++].field = f;
			i = (size_t)(end - s);
		}
	}
	if (c->n_errors != errors) {
		rules_template_free(t);
		return NULL;
	}
	return t;
}

static void
rules_parse_set(struct rules_ctx *c, const struct yaml_doc_node *n,
    struct rule *ru)
{
	static const char *const keys[] = { "severity", "title" };
	const struct yaml_doc_node *v[2] = { NULL, NULL };
	const char *s;

	if (yaml_doc_is_null(n))
		return;
	if (n->kind != YAML_DOC_MAPPING) {
		rules_error(c, n, "set must be a mapping, not %s",
		    yaml_doc_kind_name(n->kind));
		return;
	}
	rules_keys(n, keys, 2, v);
	for (size_t i = 0; i < n->n_items; i += 2) {
		const struct yaml_doc_node *x = n->items[i + 1];

		switch (rules_key(c, n, i, keys, 2, v, "set ",
		    "severity or title")) {
		case 0:
			if (rules_string(c, "severity", x,
			    LIMIT_RULE_PATTERN_LEN, &s) &&
			    severity_parse(s, &ru->set_severity) < 0)
				rules_error(c, x, "unknown severity '%.64s' "
				    "(expected info, warning or critical)",
				    s);
			break;
		case 1:
			ru->title = rules_parse_title(c, x);
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
		rules_error(c, n, "more than %d distinct tags in the file",
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
	int r;

	if (yaml_doc_is_null(n))
		return;
	if (n->kind != YAML_DOC_SEQUENCE) {
		rules_error(c, n, "tags must be a list, not %s",
		    yaml_doc_kind_name(n->kind));
		return;
	}
	if (n->n_items > LIMIT_RULE_TAGS) {
		rules_error(c, n, "tags has more than %d items",
		    LIMIT_RULE_TAGS);
		return;
	}
	if (n->n_items == 0)
		return;
	if ((ru->tags = calloc(n->n_items, sizeof(*ru->tags))) == NULL) {
		rules_nomem(c);
		return;
	}
	for (size_t i = 0; i < n->n_items && c->r == 0; i++) {
		const struct yaml_doc_node *x = n->items[i];
		bool dup = false;

		if (!rules_string(c, "tag", x, LIMIT_RULE_TAG_LEN, &s))
			continue;
		for (const char *p = s; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				dup = true;
		if (dup) {
			rules_error(c, x, "tag contains a control character");
			continue;
		}
		if ((r = rules_intern_tag(c, x, s, &id)) == -ENOMEM)
			rules_nomem(c);
		if (r < 0)
			continue;
		for (size_t j = 0; j < ru->n_tags; j++)
			if (ru->tags[j] == id)
				dup = true;
		if (!dup)
			ru->tags[ru->n_tags++] = id;
	}
}

static void
rules_parse_bool(struct rules_ctx *c, const char *key,
    const struct yaml_doc_node *n, bool *ret)
{
	if (yaml_doc_get_bool(n, ret) < 0)
		rules_error(c, n, "%s must be true or false", key);
}

static void
rules_parse_name(struct rules_ctx *c, const struct yaml_doc_node *n,
    struct rule *ru)
{
	const char *s;

	if (!rules_string(c, "name", n, LIMIT_RULE_NAME_LEN, &s))
		return;
	for (const char *p = s; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_' ||
		    *p == '.')) {
			rules_error(c, n, "rule name '%s' may contain only "
			    "letters, digits, '-', '_' and '.'", s);
			return;
		}
	}
	for (size_t i = 0; i < c->n_names; i++) {
		if (strcmp(c->names[i].name, s) == 0) {
			rules_error(c, n, "duplicate rule name '%s' (first on "
			    "line %zu)", s, c->names[i].line);
			return;
		}
	}
	c->names[c->n_names].name = s;
	c->names[c->n_names++].line = n->line;
	ru->name = rules_dup(c, s);
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
	size_t errors = c->n_errors;

	memset(ru, 0, sizeof(*ru));
	if (item->kind != YAML_DOC_MAPPING) {
		rules_error(c, item, "a rule must be a mapping, not %s",
		    yaml_doc_kind_name(item->kind));
		return;
	}
	ru->line = item->line;
	/* Rule-wide problems first: the item starts before its values. */
	rules_keys(item, rules_rule_keys, R_MAX, v);
	if (v[R_NAME] == NULL)
		rules_error(c, item, "missing required key 'name'");
	if (!rules_has_action(v))
		rules_error(c, item, "rule has no action (set, tags, "
		    "drop: true or stop: true)");
	for (size_t i = 0; i < item->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *x = item->items[i + 1];

		switch (rules_key(c, item, i, rules_rule_keys, R_MAX, v, "",
		    RULES_RULE_EXPECTED)) {
		case R_NAME:
			rules_parse_name(c, x, ru);
			break;
		case R_MATCH:
			rules_parse_match(c, x, &ru->match);
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
	if (c->n_errors != errors || c->r < 0) {
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
	const struct yaml_doc_node *list = NULL;
	size_t n;

	for (size_t i = 0; i < root->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *k = root->items[i];

		if (strcmp(k->value, "rules") != 0) {
			rules_error(c, k, "unknown key '%.64s' (expected "
			    "rules)", k->value);
			continue;
		}
		if (list != NULL) {
			rules_error(c, k, "duplicate key 'rules' (first on "
			    "line %zu)", list->line);
			continue;
		}
		list = root->items[i + 1];
		if (yaml_doc_is_null(list))
			continue;
		if (list->kind != YAML_DOC_SEQUENCE) {
			rules_error(c, list, "rules must be a list, not %s",
			    yaml_doc_kind_name(list->kind));
			continue;
		}
		n = list->n_items;
		if (n > LIMIT_RULES)
			n = LIMIT_RULES;
		for (size_t j = 0; j < n && c->r == 0; j++)
			rules_parse_rule(c, list->items[j]);
		if (list->n_items > LIMIT_RULES)
			rules_error(c, list->items[LIMIT_RULES],
			    "more than %d rules", LIMIT_RULES);
	}
	if (list == NULL)
		rules_error(c, root, "missing required key 'rules'");
}

/* Validates and compiles the whole document; see rules_load(). */
static int
rules_from_doc(const struct yaml_doc *doc, struct diag *diag,
    struct rules **ret_rules)
{
	const struct yaml_doc_node *root = doc->root, *list = NULL;
	struct rules_ctx c;
	size_t n = 0;
	int r;

	memset(&c, 0, sizeof(c));
	c.doc = doc;
	c.diag = diag;
	if ((c.rules = calloc(1, sizeof(*c.rules))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (yaml_doc_is_null(root))
		rules_error(&c, NULL, "missing required key 'rules'");
	else if (root->kind != YAML_DOC_MAPPING)
		rules_error(&c, root, "expected a mapping with the key "
		    "'rules', not %s", yaml_doc_kind_name(root->kind));
	/* Only the list decides how much to allocate: find it first. */
	for (size_t i = 0; root != NULL && root->kind == YAML_DOC_MAPPING &&
	    i < root->n_items; i += 2) {
		if (strcmp(root->items[i]->value, "rules") == 0) {
			list = root->items[i + 1];
			break;
		}
	}
	if (list != NULL && list->kind == YAML_DOC_SEQUENCE)
		n = list->n_items < LIMIT_RULES ? list->n_items : LIMIT_RULES;
	c.rules->rules = calloc(n + 1, sizeof(*c.rules->rules));
	c.names = calloc(n + 1, sizeof(*c.names));
	if (c.rules->rules == NULL || c.names == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (root != NULL && root->kind == YAML_DOC_MAPPING)
		rules_parse_root(&c, root);
	if ((r = c.r) < 0)
		goto out;
	if (c.n_errors > 0) {
		r = -EINVAL;
		goto out;
	}
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
