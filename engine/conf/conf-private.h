/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the reader of the daemon configuration (conf.c) and its list
 * reader (conf_list.c): how a list of the configuration is read.
 */
#ifndef KICS_CONF_PRIVATE_H
#define KICS_CONF_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "yaml_doc.h"

/*
 * One kind of list (integration_servers, users), read by the one generic
 * list parser conf_list_parse(); the rows of conf.c's key table point
 * here.
 */
struct conf_list {
	const char	*what;		/* an item, in messages */
	size_t		 size;		/* of one element */
	size_t		 seen_size;	/* of what one item records for the
					   duplicate checks of later items */
	/*
	 * Checks the mapping item, whose earlier items filled seen[0..i),
	 * fills seen[i] and, when the item is valid, *elem (then owned by
	 * the list). Returns true when it is valid.
	 */
	bool		(*parse)(struct yaml_doc_check *c,
			    const struct yaml_doc_node *item, void *elem,
			    void *seen, size_t i);
	/* Frees n elements of v, and v. NULL-safe. */
	void		(*free)(void *v, size_t n);
	/* Frees the conf's list and puts v (n elements) in its place. */
	void		(*install)(struct conf *conf, void *v, size_t n);
	/* Sets the default list; returns 0 or -ENOMEM (conf_free() safe). */
	int		(*set_default)(struct conf *conf);
};

/* integration_servers and users. */
extern const struct conf_list conf_servers_list;
extern const struct conf_list conf_users_list;
extern const struct conf_list conf_points_list;	/* monitoring_points */
/* connectors (conf_connector.c). */
extern const struct conf_list conf_connectors_list;

/*
 * Reads the value n of the key called name: a list of at most max items
 * (or null, for none) of the kind l describes, with every problem reported
 * to c. Replaces the list of conf only when every item is valid; on errors
 * conf is left as it was.
 */
void conf_list_parse(struct yaml_doc_check *c, struct conf *conf,
    const char *name, size_t max, const struct conf_list *l,
    const struct yaml_doc_node *n);


#endif
