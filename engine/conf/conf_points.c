/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the list monitoring_points of the daemon
 * configuration (issue 13): live capture points, each a unique name, a
 * network interface and an optional BPF filter (checked by libpcap when
 * the capture starts, which reports the point by name).
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "conf-private.h"
#include "kics_limits.h"

#define CONF_FILTER_LEN	4096	/* bytes of a BPF expression */

static void
conf_points_free(void *p, size_t n)
{
	struct conf_point *v = p;

	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].name);
		free(v[i].interface);
		free(v[i].filter);
	}
	free(v);
}

enum { P_NAME, P_INTERFACE, P_FILTER, P_MAX };
static const char *const conf_point_names[P_MAX] = {
	"name", "interface", "filter",
};
static const struct yaml_doc_keys conf_point_keys = {
	.names = conf_point_names,
	.n_names = P_MAX,
	.n_required = P_INTERFACE + 1,
};

/* A point name: like a server name, unique among the items before. */
static const char *
conf_point_name(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const struct yaml_doc_node **seen, size_t n_seen)
{
	const char *s = yaml_doc_check_text(c, n, "name", LIMIT_CONF_NAME_LEN);

	if (s == NULL)
		return NULL;
	if (!conf_name_valid(s)) {
		yaml_doc_check_error(c, n, "monitoring point name '%s' may "
		    "only hold letters, digits, '.', '_' and '-', and may not "
		    "start with '-'", s);
		return NULL;
	}
	for (size_t i = 0; i < n_seen; i++) {
		if (seen[i] != NULL && strcmp(seen[i]->value, s) == 0) {
			yaml_doc_check_error(c, n, "duplicate monitoring "
			    "point '%s' (first on line %zu)", s, seen[i]->line);
			return NULL;
		}
	}
	seen[n_seen] = n;
	return s;
}

static const char *
conf_point_interface(struct yaml_doc_check *c, const struct yaml_doc_node *n)
{
	const char *s = yaml_doc_check_text(c, n, "interface", IF_NAMESIZE - 1);

	if (s != NULL && (strchr(s, '/') != NULL || strchr(s, ' ') != NULL)) {
		yaml_doc_check_error(c, n, "interface '%s' is not an "
		    "interface name", s);
		return NULL;
	}
	return s;
}

/* conf_points_list.parse: one monitoring_points item. */
static bool
conf_point_parse(struct yaml_doc_check *c, const struct yaml_doc_node *item,
    void *elem, void *seen, size_t n_seen)
{
	const struct yaml_doc_node *v[P_MAX] = { NULL };
	struct conf_point *pt = elem;
	const char *name = NULL, *iface = NULL, *filter = "";
	size_t errors = c->n_errors;

	yaml_doc_check_keys(c, item, &conf_point_keys, v);
	for (size_t i = 0; i < item->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *n = item->items[i + 1];

		switch (yaml_doc_check_key(c, item, i, &conf_point_keys, v)) {
		case P_NAME:
			name = conf_point_name(c, n, seen, n_seen);
			break;
		case P_INTERFACE:
			iface = conf_point_interface(c, n);
			break;
		case P_FILTER:
			/* an empty filter is allowed: capture everything */
			if (yaml_doc_is_null(n) || (n->kind == YAML_DOC_SCALAR &&
			    n->len == 0))
				filter = "";
			else
				filter = yaml_doc_check_text(c, n, "filter",
				    CONF_FILTER_LEN);
			break;
		default:
			break;
		}
	}
	if (c->n_errors != errors || c->r < 0 || name == NULL ||
	    iface == NULL || filter == NULL)
		return false;
	if ((pt->name = strdup(name)) == NULL ||
	    (pt->interface = strdup(iface)) == NULL ||
	    (pt->filter = strdup(filter)) == NULL) {
		free(pt->name);
		free(pt->interface);
		pt->name = pt->interface = NULL;
		yaml_doc_check_nomem(c);
		return false;
	}
	return true;
}

static void
conf_points_install(struct conf *conf, void *v, size_t n)
{
	conf_points_free(conf->points, conf->n_points);
	conf->points = v;
	conf->n_points = n;
}

/* None by default: capture needs an interface chosen by a person. */
static int
conf_points_default(struct conf *conf)
{
	conf_points_install(conf, NULL, 0);
	return 0;
}

const struct conf_list conf_points_list = {
	.what = "a monitoring point",
	.size = sizeof(struct conf_point),
	.seen_size = sizeof(const struct yaml_doc_node *),
	.parse = conf_point_parse,
	.free = conf_points_free,
	.install = conf_points_install,
	.set_default = conf_points_default,
};
