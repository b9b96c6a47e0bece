/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the title templates of rules: "{field}" for a value
 * of the event, "{{" and "}}" for braces, compiled into literal pieces and
 * fields when the rules are read.
 */
#include <stdlib.h>
#include <string.h>

#include "kics_limits.h"
#include "rules-private.h"
#include "yaml_doc.h"

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
rules_template_free(struct rule_template *t)
{
	if (t == NULL)
		return;
	free(t->source);
	free(t->lit);
	free(t->segs);
	free(t);
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
struct rule_template *
rules_template_parse(struct yaml_doc_check *c, const struct yaml_doc_node *n)
{
	struct rule_template *t = NULL;
	const char *s, *end;
	size_t len, lit_len = 0, errors = c->n_errors;

	if ((s = yaml_doc_check_text(c, n, "title", LIMIT_RULE_TITLE_LEN)) ==
	    NULL)
		return NULL;
	len = strlen(s);
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->source = strdup(s)) == NULL ||
	    (t->lit = malloc(2 * len + 1)) == NULL ||
	    (t->segs = calloc(len, sizeof(*t->segs))) == NULL) {
		yaml_doc_check_nomem(c);
		rules_template_free(t);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		enum rule_field f;

		if ((s[i] == '{' || s[i] == '}') && s[i + 1] == s[i]) {
			rules_template_lit(t, s[i++], &lit_len);
		} else if (s[i] == '}') {
			yaml_doc_check_error(c, n, "'}' without '{' in title "
			    "template (write '}}' for a brace)");
		} else if (s[i] != '{') {
			rules_template_lit(t, s[i], &lit_len);
		} else if ((end = strchr(s + i, '}')) == NULL) {
			yaml_doc_check_error(c, n, "unclosed '{' in title "
			    "template (write '{{' for a brace)");
			break;
		} else {
			f = rules_field_lookup(s + i + 1,
			    (size_t)(end - s) - i - 1);
			if (f == RULE_FIELD_MAX)
				yaml_doc_check_error(c, n, "unknown field "
				    "'%.*s' in title template (expected "
				    "hostname, ip, mac, category, product, "
				    "threat_name, object_path, user_name or "
				    "code)", (int)(end - s - (ptrdiff_t)i + 1),
				    s + i);
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
