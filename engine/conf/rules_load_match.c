/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the reader of the match conditions of a rule: each
 * condition checked with its errors reported in file order, and compiled
 * into the struct rule_match that rules_match.c applies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kics_limits.h"
#include "rules-private.h"
#include "yaml_doc.h"

/* The items of a list condition, or the one scalar. */
struct rules_items {
	struct yaml_doc_node *const *v;
	size_t			  n;
};

enum { M_CATEGORY, M_CODE, M_PRODUCT, M_SEVERITY, M_DEVICE,
    M_DEVICE_CATEGORY, M_TEXT, M_ATTRIBUTE, M_MAX };
static const char *const rules_match_names[M_MAX] = {
	"category", "code", "product", "severity", "device",
	"device_category", "text", "attribute",
};
static const struct yaml_doc_keys rules_match_keys = {
	.names = rules_match_names,
	.n_names = M_MAX,
	.what = "match key",
	.expected = true,
};

void
rules_strv_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
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

/*
 * The items of a condition that takes one string or a list of them. An
 * empty or oversized list and a mapping are reported and give no items.
 */
static struct rules_items
rules_items(struct yaml_doc_check *c, const char *key,
    struct yaml_doc_node *const *slot)
{
	const struct yaml_doc_node *n = *slot;
	struct rules_items it = { NULL, 0 };

	if (n->kind == YAML_DOC_SCALAR) {
		it.v = slot;
		it.n = 1;
	} else if (n->kind == YAML_DOC_MAPPING) {
		yaml_doc_check_error(c, n, "%s must be a string or a list, "
		    "not a mapping", key);
	} else if (n->n_items == 0) {
		yaml_doc_check_error(c, n, "%s must not be an empty list", key);
	} else if (n->n_items > LIMIT_RULE_ITEMS) {
		yaml_doc_check_error(c, n, "%s has more than %d items", key,
		    LIMIT_RULE_ITEMS);
	} else {
		it.v = n->items;
		it.n = n->n_items;
	}
	return it;
}

/* Reads a condition of exact words. */
static void
rules_parse_words(struct yaml_doc_check *c, const char *key,
    struct yaml_doc_node *const *slot, char ***ret_v, size_t *ret_n)
{
	struct rules_items it = rules_items(c, key, slot);
	const char *s;
	char **v;
	size_t n = 0;

	if (it.n == 0)
		return;
	if ((v = calloc(it.n, sizeof(*v))) == NULL) {
		yaml_doc_check_nomem(c);
		return;
	}
	for (size_t i = 0; i < it.n; i++) {
		if ((s = yaml_doc_check_text(c, it.v[i], key,
		    LIMIT_RULE_PATTERN_LEN)) == NULL)
			continue;
		if ((v[n] = strdup(s)) == NULL)
			yaml_doc_check_nomem(c);
		else
			n++;
	}
	*ret_v = v;
	*ret_n = n;
}

/* Reads a condition of globs, validated and compiled. */
static void
rules_parse_globs(struct yaml_doc_check *c, const char *key,
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
		yaml_doc_check_nomem(c);
		return;
	}
	for (size_t i = 0; i < it.n; i++) {
		if ((s = yaml_doc_check_text(c, it.v[i], key,
		    LIMIT_RULE_PATTERN_LEN)) == NULL)
			continue;
		if ((why = rules_glob_problem(s)) != NULL)
			yaml_doc_check_error(c, it.v[i], "bad glob '%s' in "
			    "%s: %s", s, key, why);
		else if (rules_glob_init(&v[n], s) < 0)
			yaml_doc_check_nomem(c);
		else
			n++;
	}
	*ret_v = v;
	*ret_n = n;
}

/* Any code an event type may have: the range only keeps it an int64_t. */
static const struct yaml_doc_range rules_code_range = {
	0, INT64_MAX, YAML_DOC_RANGE_TYPE, NULL
};

/*
 * Issue 12 moved kics-epp's own event types out of the monitoring
 * product's range: a rule keyed on an old code would never match again,
 * so it is refused with the code to use. Returns that code, or 0 when
 * code is not an old one.
 */
static int64_t
rules_renumbered(uint64_t code)
{
	if (code < 4000005506ULL || code > 4000005599ULL)
		return 0;
	switch (code) {
	case 4000005552ULL:	/* device_added */
		return 4000005003LL;
	case 4000005553ULL:	/* device_attributes_changed */
		return 4000005004LL;
	case 4000005554ULL:	/* ip_moved */
		return 4000005007LL;
	default:
		return (int64_t)code + 900000000LL;
	}
}

static void
rules_parse_codes(struct yaml_doc_check *c, struct yaml_doc_node *const *slot,
    struct rule_match *m)
{
	struct rules_items it = rules_items(c, "code", slot);
	uint64_t code;

	if (it.n == 0)
		return;
	if ((m->codes = calloc(it.n, sizeof(*m->codes))) == NULL) {
		yaml_doc_check_nomem(c);
		return;
	}
	for (size_t i = 0; i < it.n; i++) {
		if (yaml_doc_check_uint(c, it.v[i], "code", &rules_code_range,
		    &code) < 0)
			continue;
		if (rules_renumbered(code) != 0)
			yaml_doc_check_error(c, it.v[i], "code %llu is no "
			    "longer used: kics-epp's own event types left the "
			    "monitoring product's range; use %lld",
			    (unsigned long long)code,
			    (long long)rules_renumbered(code));
		else
			m->codes[m->n_codes++] = (int64_t)code;
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
rules_parse_severities(struct yaml_doc_check *c,
    struct yaml_doc_node *const *slot, struct rule_match *m)
{
	struct rules_items it = rules_items(c, "severity", slot);
	const char *s;
	unsigned mask;
	int r;

	for (size_t i = 0; i < it.n; i++) {
		if ((s = yaml_doc_check_text(c, it.v[i], "severity",
		    LIMIT_RULE_PATTERN_LEN)) == NULL)
			continue;
		if ((r = rules_severity_mask(s, &mask)) == -ERANGE)
			yaml_doc_check_error(c, it.v[i], "severity '%s' "
			    "matches no severity", s);
		else if (r < 0)
			yaml_doc_check_error(c, it.v[i], "unknown severity "
			    "'%.64s' (expected info, warning or critical, "
			    "optionally after =, >=, <=, > or <)", s);
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
rules_parse_device_item(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    struct rule_match *m)
{
	struct addr_ip ip;
	const char *s, *why, *p;
	int prefix;
	bool numeric = true;

	if ((s = yaml_doc_check_text(c, n, "device",
	    LIMIT_RULE_PATTERN_LEN)) == NULL)
		return;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			numeric = false;
	if (strchr(s, '/') != NULL) {
		if (addr_cidr_parse(s, &m->cidrs[m->n_cidrs]) == 0)
			rules_add_net(m);
		else if (addr_ip_parse_prefixed(s, &ip, &prefix) == 0)
			yaml_doc_check_error(c, n, "bad CIDR '%s' in device: "
			    "the address has bits set after the prefix", s);
		else
			yaml_doc_check_error(c, n, "bad CIDR '%s' in device",
			    s);
	} else if (addr_cidr_parse(s, &m->cidrs[m->n_cidrs]) == 0) {
		rules_add_net(m);
	} else if (addr_mac_parse(s, &m->macs[m->n_macs]) == 0) {
		m->n_macs++;
	} else if (numeric || (strchr(s, ':') != NULL &&
	    strchr(s, '[') == NULL)) {
		yaml_doc_check_error(c, n, "bad IP or MAC address '%s' in "
		    "device", s);
	} else if (rules_mac_like(s)) {
		yaml_doc_check_error(c, n, "bad MAC address '%s' in device", s);
	} else if (!rules_host_chars(s)) {
		yaml_doc_check_error(c, n, "bad device '%s' (expected an IP "
		    "address, a CIDR network, a MAC address or a host-name "
		    "glob)", s);
	} else if ((why = rules_glob_problem(s)) != NULL) {
		yaml_doc_check_error(c, n, "bad glob '%s' in device: %s", s,
		    why);
	} else if (rules_glob_init(&m->hosts[m->n_hosts], s) < 0) {
		yaml_doc_check_nomem(c);
	} else {
		m->n_hosts++;
	}
}

static void
rules_parse_device(struct yaml_doc_check *c, struct yaml_doc_node *const *slot,
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
		yaml_doc_check_nomem(c);
		return;
	}
	m->device = true;
	for (size_t i = 0; i < it.n && c->r == 0; i++)
		rules_parse_device_item(c, it.v[i], m);
}

/* attribute: {key: glob or [globs], …}; every key must hold. */
static void
rules_parse_attributes(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    struct rule_match *m)
{
	char what[LIMIT_RULE_PATTERN_LEN + 16];
	const char *key;

	if (n->kind != YAML_DOC_MAPPING) {
		yaml_doc_check_error(c, n, "attribute must be a mapping of "
		    "attribute names to values, not %s",
		    yaml_doc_kind_name(n->kind));
		return;
	}
	if (n->n_items == 0) {
		yaml_doc_check_error(c, n, "attribute must not be an empty "
		    "mapping");
		return;
	}
	if (n->n_items / 2 > LIMIT_RULE_ATTRIBUTES) {
		yaml_doc_check_error(c, n, "attribute has more than %d keys",
		    LIMIT_RULE_ATTRIBUTES);
		return;
	}
	if ((m->attrs = calloc(n->n_items / 2, sizeof(*m->attrs))) == NULL) {
		yaml_doc_check_nomem(c);
		return;
	}
	for (size_t i = 0; i < n->n_items && c->r == 0; i += 2) {
		struct rule_attr *a = &m->attrs[m->n_attrs];
		bool dup = false;

		if ((key = yaml_doc_check_text(c, n->items[i],
		    "attribute name", LIMIT_RULE_PATTERN_LEN)) == NULL)
			continue;
		for (size_t j = 0; j < i; j += 2)
			if (strcmp(n->items[j]->value, key) == 0)
				dup = true;
		if (dup) {
			yaml_doc_check_error(c, n->items[i], "duplicate "
			    "attribute '%s'", key);
			continue;
		}
		(void)snprintf(what, sizeof(what), "attribute '%s'", key);
		rules_parse_globs(c, what, &n->items[i + 1], &a->values,
		    &a->n_values);
		if ((a->key = strdup(key)) == NULL)
			yaml_doc_check_nomem(c);
		if (a->key == NULL || a->n_values == 0) {
			free(a->key);
			rules_globs_free(a->values, a->n_values);
			memset(a, 0, sizeof(*a));
			continue;
		}
		m->n_attrs++;
	}
}

void
rules_match_parse(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    struct rule_match *m)
{
	const struct yaml_doc_node *v[M_MAX] = { NULL };

	if (yaml_doc_is_null(n))
		return;		/* no condition: every event */
	if (!yaml_doc_check_mapping(c, n, "match"))
		return;
	yaml_doc_check_keys(c, n, &rules_match_keys, v);
	/* In file order, so messages come out sorted. */
	for (size_t i = 0; i < n->n_items && c->r == 0; i += 2) {
		struct yaml_doc_node *const *slot = &n->items[i + 1];

		switch (yaml_doc_check_key(c, n, i, &rules_match_keys, v)) {
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
