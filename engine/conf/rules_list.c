/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the description of a loaded rule set as JSON, with
 * its counters, for "kics-query rules list".
 */
#include <errno.h>
#include <stdlib.h>

#include "rules-private.h"
#include "strbuf.h"

/* The separator before the next JSON member or item. */
static const char *
rules_json_comma(const struct strbuf *b)
{
	if (b->data == NULL || b->len == 0 || b->data[b->len - 1] == '{' ||
	    b->data[b->len - 1] == '[')
		return "";
	return ",";
}

/* Appends "key":[strings] when n > 0. */
static void
rules_json_strv(struct strbuf *b, const char *key, char *const *v, size_t n)
{
	if (n == 0)
		return;
	(void)strbuf_append(b, rules_json_comma(b));
	(void)strbuf_json_string(b, key);
	(void)strbuf_append(b, ":[");
	for (size_t i = 0; i < n; i++) {
		(void)strbuf_append(b, rules_json_comma(b));
		(void)strbuf_json_string(b, v[i]);
	}
	(void)strbuf_append(b, "]");
}

/* Appends "key":[patterns] when n > 0. */
static void
rules_json_globs(struct strbuf *b, const char *key,
    const struct rule_glob *v, size_t n)
{
	if (n == 0)
		return;
	(void)strbuf_append(b, rules_json_comma(b));
	(void)strbuf_json_string(b, key);
	(void)strbuf_append(b, ":[");
	for (size_t i = 0; i < n; i++) {
		(void)strbuf_append(b, rules_json_comma(b));
		(void)strbuf_json_string(b, v[i].pattern);
	}
	(void)strbuf_append(b, "]");
}

static void
rules_json_device(struct strbuf *b, const struct rule_match *m)
{
	char text[ADDR_TEXT_MAX];

	(void)strbuf_printf(b, "%s\"device\":[", rules_json_comma(b));
	for (size_t i = 0; i < m->n_cidrs; i++)
		if (addr_cidr_format(&m->cidrs[i], text, sizeof(text)) == 0)
			(void)strbuf_printf(b, "%s\"%s\"", rules_json_comma(b),
			    text);
	for (size_t i = 0; i < m->n_macs; i++)
		if (addr_mac_format(&m->macs[i], text, sizeof(text)) == 0)
			(void)strbuf_printf(b, "%s\"%s\"", rules_json_comma(b),
			    text);
	for (size_t i = 0; i < m->n_hosts; i++) {
		(void)strbuf_append(b, rules_json_comma(b));
		(void)strbuf_json_string(b, m->hosts[i].pattern);
	}
	(void)strbuf_append(b, "]");
}

static void
rules_json_match(struct strbuf *b, const struct rule_match *m)
{
	(void)strbuf_append(b, ",\"match\":{");
	rules_json_strv(b, "category", m->categories, m->n_categories);
	if (m->n_codes > 0) {
		(void)strbuf_printf(b, "%s\"code\":[", rules_json_comma(b));
		for (size_t i = 0; i < m->n_codes; i++)
			(void)strbuf_printf(b, "%s%lld", rules_json_comma(b),
			    (long long)m->codes[i]);
		(void)strbuf_append(b, "]");
	}
	rules_json_globs(b, "product", m->products, m->n_products);
	if (m->severities != 0) {
		(void)strbuf_printf(b, "%s\"severity\":[",
		    rules_json_comma(b));
		for (int i = SEVERITY_INFO; i < SEVERITY_MAX; i++)
			if (m->severities & (1u << i))
				(void)strbuf_printf(b, "%s\"%s\"",
				    rules_json_comma(b),
				    severity_name((enum severity)i));
		(void)strbuf_append(b, "]");
	}
	if (m->device)
		rules_json_device(b, m);
	rules_json_strv(b, "device_category", m->device_categories,
	    m->n_device_categories);
	rules_json_globs(b, "text", m->texts, m->n_texts);
	if (m->n_attrs > 0) {
		(void)strbuf_printf(b, "%s\"attribute\":{",
		    rules_json_comma(b));
		for (size_t i = 0; i < m->n_attrs; i++)
			rules_json_globs(b, m->attrs[i].key,
			    m->attrs[i].values, m->attrs[i].n_values);
		(void)strbuf_append(b, "}");
	}
	(void)strbuf_append(b, "}");
}

static void
rules_json_rule(struct strbuf *b, const struct rules *rules, size_t i)
{
	const struct rule *ru = &rules->rules[i];

	(void)strbuf_printf(b, "%s{\"name\":", rules_json_comma(b));
	(void)strbuf_json_string(b, ru->name);
	(void)strbuf_printf(b, ",\"line\":%zu", ru->line);
	rules_json_match(b, &ru->match);
	(void)strbuf_append(b, ",\"set\":{");
	if (ru->set_severity != 0)
		(void)strbuf_printf(b, "\"severity\":\"%s\"",
		    severity_name(ru->set_severity));
	if (ru->title != NULL) {
		(void)strbuf_printf(b, "%s\"title\":", rules_json_comma(b));
		(void)strbuf_json_string(b, ru->title->source);
	}
	(void)strbuf_append(b, "},\"tags\":[");
	for (size_t j = 0; j < ru->n_tags; j++)
		(void)strbuf_printf(b, "%s%s", rules_json_comma(b),
		    rules->tags[ru->tags[j]]);
	(void)strbuf_printf(b, "],\"drop\":%s,\"stop\":%s,\"matches\":%llu,"
	    "\"drops\":%llu}", ru->drop ? "true" : "false",
	    ru->stop ? "true" : "false",
	    (unsigned long long)rules_matches(rules, i),
	    (unsigned long long)rules_drops(rules, i));
}

int
rules_list_json(const struct rules *rules, char **ret_json)
{
	struct strbuf b;

	strbuf_init(&b);
	(void)strbuf_append(&b, "[");
	for (size_t i = 0; i < rules_count(rules); i++)
		rules_json_rule(&b, rules, i);
	if (strbuf_append(&b, "]") < 0) {
		strbuf_fini(&b);
		return -ENOMEM;
	}
	*ret_json = b.data;
	return 0;
}
