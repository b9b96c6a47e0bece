/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the connectors: list of the daemon configuration (SIEM
 * forwarding over syslog): one row of the generic list parser.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf-private.h"
#include "kics_limits.h"

enum {
	K_NAME, K_ADDRESS, K_PORT, K_TYPE, K_TRANSPORT, K_CA, K_FORMAT,
	K_MIN_SEVERITY, K_TECHNOLOGIES, K_ENABLED, K_MAX
};
static const char *const conf_connector_names[K_MAX] = {
	"name", "address", "port", "type", "transport", "ca", "format",
	"min_severity", "technologies", "enabled",
};
static const struct yaml_doc_keys conf_connector_keys = {
	.names = conf_connector_names,
	.n_names = K_MAX,
	.n_required = K_PORT + 1,
	.expected = true,
};
static const struct yaml_doc_range conf_connector_port = {
	1, 65535, YAML_DOC_RANGE_BETWEEN, NULL
};
static const struct yaml_doc_name conf_transports[] = {
	{ "udp", CONNECTOR_UDP },
	{ "tcp", CONNECTOR_TCP },
	{ "tls", CONNECTOR_TLS },
};
static const struct yaml_doc_name conf_formats[] = {
	{ "rfc5424", CONNECTOR_RFC5424 },
	{ "cef", CONNECTOR_CEF },
};
static const struct yaml_doc_name conf_severities[] = {
	{ "info", 1 },
	{ "warning", 2 },
	{ "critical", 3 },
};
static const struct yaml_doc_name conf_types[] = {
	{ "syslog", 0 },
};
#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void
conf_connectors_free(void *p, size_t n)
{
	struct conf_connector *v = p;

	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].name);
		free(v[i].address);
		free(v[i].ca);
	}
	free(v);
}

/* A connector name: like a server name, unique among the items before. */
static const char *
conf_connector_name(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const struct yaml_doc_node **seen, size_t n_seen)
{
	const char *s = yaml_doc_check_text(c, n, "name", LIMIT_CONF_NAME_LEN);

	if (s == NULL)
		return NULL;
	if (!conf_name_valid(s)) {
		yaml_doc_check_error(c, n, "connector name '%s' may only hold "
		    "letters, digits, '.', '_' and '-', and may not start "
		    "with '-'", s);
		return NULL;
	}
	for (size_t i = 0; i < n_seen; i++)
		if (seen[i] != NULL && strcmp(seen[i]->value, s) == 0) {
			yaml_doc_check_error(c, n, "duplicate connector '%s' "
			    "(first on line %zu)", s, seen[i]->line);
			break;
		}
	seen[n_seen] = n;
	return s;
}

/* technologies: a list of epp and system, or one of them. */
static unsigned
conf_connector_techs(struct yaml_doc_check *c, const struct yaml_doc_node *n)
{
	unsigned bits = 0, bit;
	const char *s;

	if (n->kind == YAML_DOC_SCALAR) {
		if ((s = yaml_doc_check_text(c, n, "technologies",
		    LIMIT_SHORT_TEXT_LEN)) == NULL)
			return 0;
		if ((bit = connector_technology_bit(s)) == 0)
			yaml_doc_check_error(c, n, "unknown technology '%.32s' "
			    "(expected epp or system)", s);
		return bit;
	}
	if (n->kind != YAML_DOC_SEQUENCE || n->n_items == 0) {
		yaml_doc_check_error(c, n, "technologies must be a non-empty "
		    "list of epp and system");
		return 0;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		s = yaml_doc_check_text(c, n->items[i], "a technology",
		    LIMIT_SHORT_TEXT_LEN);
		if (s != NULL && (bit = connector_technology_bit(s)) == 0)
			yaml_doc_check_error(c, n->items[i], "unknown "
			    "technology '%.32s' (expected epp or system)", s);
		else if (s != NULL)
			bits |= bit;
	}
	return bits;
}

/* ca: an absolute path to a readable file. */
static const char *
conf_connector_ca(struct yaml_doc_check *c, const struct yaml_doc_node *n)
{
	const char *s = yaml_doc_check_text(c, n, "ca", LIMIT_CONF_PATH_LEN);

	if (s == NULL)
		return NULL;
	if (s[0] != '/') {
		yaml_doc_check_error(c, n, "ca '%s' must be an absolute path",
		    s);
		return NULL;
	}
	if (access(s, R_OK) < 0) {
		yaml_doc_check_error(c, n, "ca '%s': %s", s, strerror(errno));
		return NULL;
	}
	return s;
}

/* Reads the value n of key k into x; names and ca into *name, *ca. */
static void
conf_connector_value(struct yaml_doc_check *c, size_t k,
    const struct yaml_doc_node *n, struct conf_connector *x,
    const char **text)
{
	uint64_t port;
	int v;

	switch (k) {
	case K_ADDRESS:
		text[K_ADDRESS] = yaml_doc_check_text(c, n, "address",
		    LIMIT_SHORT_TEXT_LEN);
		break;
	case K_PORT:
		if (yaml_doc_check_uint(c, n, "port", &conf_connector_port,
		    &port) == 0)
			x->port = (uint16_t)port;
		break;
	case K_TYPE:
		(void)yaml_doc_check_name(c, n, "connector type",
		    LIMIT_SHORT_TEXT_LEN, conf_types, N(conf_types), &v);
		break;
	case K_TRANSPORT:
		if (yaml_doc_check_name(c, n, "transport", LIMIT_SHORT_TEXT_LEN,
		    conf_transports, N(conf_transports), &v) == 0)
			x->transport = (enum connector_transport)v;
		break;
	case K_CA:
		text[K_CA] = conf_connector_ca(c, n);
		break;
	case K_FORMAT:
		if (yaml_doc_check_name(c, n, "format", LIMIT_SHORT_TEXT_LEN,
		    conf_formats, N(conf_formats), &v) == 0)
			x->format = (enum connector_format)v;
		break;
	case K_MIN_SEVERITY:
		if (yaml_doc_check_name(c, n, "min_severity",
		    LIMIT_SHORT_TEXT_LEN, conf_severities, N(conf_severities),
		    &v) == 0)
			x->min_severity = v;
		break;
	case K_TECHNOLOGIES:
		x->technologies = conf_connector_techs(c, n);
		break;
	case K_ENABLED:
		(void)yaml_doc_check_bool(c, n, "enabled", &x->enabled);
		break;
	default:
		break;
	}
}

/* conf_connectors_list.parse: one connectors item. */
static bool
conf_connector_parse(struct yaml_doc_check *c, const struct yaml_doc_node *item,
    void *elem, void *seen, size_t n_seen)
{
	const struct yaml_doc_node *v[K_MAX] = { NULL };
	const char *text[K_MAX] = { NULL };
	struct conf_connector *x = elem;
	size_t errors = c->n_errors;

	x->transport = CONNECTOR_TCP;
	x->format = CONNECTOR_RFC5424;
	x->min_severity = 1;
	x->technologies = CONNECTOR_TECH_ALL;
	x->enabled = true;
	yaml_doc_check_keys(c, item, &conf_connector_keys, v);
	for (size_t i = 0; i < item->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *n = item->items[i + 1];
		size_t k = yaml_doc_check_key(c, item, i, &conf_connector_keys,
		    v);

		if (k == K_NAME)
			text[K_NAME] = conf_connector_name(c, n, seen, n_seen);
		else
			conf_connector_value(c, k, n, x, text);
	}
	if (x->transport == CONNECTOR_TLS && v[K_CA] == NULL &&
	    v[K_TRANSPORT] != NULL)
		yaml_doc_check_error(c, v[K_TRANSPORT], "transport tls needs "
		    "ca: the file of the CA that verifies the receiver");
	else if (x->transport != CONNECTOR_TLS && v[K_CA] != NULL)
		yaml_doc_check_error(c, v[K_CA], "ca is only for transport "
		    "tls");
	if (c->n_errors != errors || c->r < 0)
		return false;
	x->name = strdup(text[K_NAME]);
	x->address = strdup(text[K_ADDRESS]);
	x->ca = text[K_CA] != NULL ? strdup(text[K_CA]) : NULL;
	if (x->name == NULL || x->address == NULL ||
	    (text[K_CA] != NULL && x->ca == NULL)) {
		free(x->name);
		free(x->address);
		free(x->ca);
		memset(x, 0, sizeof(*x));
		yaml_doc_check_nomem(c);
		return false;
	}
	return true;
}

static void
conf_connectors_install(struct conf *conf, void *v, size_t n)
{
	conf_connectors_free(conf->connectors, conf->n_connectors);
	conf->connectors = v;
	conf->n_connectors = n;
}

/* None by default: events stay in the database. */
static int
conf_connectors_default(struct conf *conf)
{
	conf_connectors_install(conf, NULL, 0);
	return 0;
}

const struct conf_list conf_connectors_list = {
	.what = "a connector",
	.size = sizeof(struct conf_connector),
	.seen_size = sizeof(const struct yaml_doc_node *),
	.parse = conf_connector_parse,
	.free = conf_connectors_free,
	.install = conf_connectors_install,
	.set_default = conf_connectors_default,
};
