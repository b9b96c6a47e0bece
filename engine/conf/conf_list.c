/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the lists of the daemon configuration: one generic
 * list parser and, as its table rows, integration_servers (unique names
 * and endpoints) and users (unique names, roles).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "conf-private.h"
#include "kics_limits.h"

/* Where a server's name or address was first seen. */
struct conf_server_seen {
	const char	*name;		/* borrowed from the doc, or NULL */
	size_t		 name_line;
	unsigned char	 addr[16];	/* IPv4 mapped into IPv6 */
	uint16_t	 port;		/* 0: address or port invalid */
	size_t		 addr_line;
};

static void
conf_servers_free(void *p, size_t n)
{
	struct conf_server *v = p;

	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].name);
		free(v[i].address);
	}
	free(v);
}

static void
conf_users_free(void *p, size_t n)
{
	struct conf_user *v = p;

	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i].name);
	free(v);
}

bool
conf_name_valid(const char *s)
{
	if (*s == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			return false;
	return true;
}

enum { S_NAME, S_ADDRESS, S_PORT, S_VERIFY, S_ENABLED, S_TRANSPORT,
    S_UDP_PORT, S_UDP_ENCRYPTION, S_MAX };
static const char *const conf_server_names[S_MAX] = {
	"name", "address", "port", "verify_client_cert", "enabled",
	"transport", "udp_port", "udp_encryption",
};
static const struct yaml_doc_keys conf_server_keys = {
	.names = conf_server_names,
	.n_names = S_MAX,
	.n_required = S_PORT + 1,
};
static const struct yaml_doc_range conf_port_range = {
	1, 65535, YAML_DOC_RANGE_BETWEEN, NULL
};

/* One integration_servers item while it is checked. */
struct conf_server_item {
	const struct yaml_doc_node *v[S_MAX];
	const char	*name;		/* NULL until valid */
	const char	*address;	/* NULL until valid */
	uint64_t	 port;		/* 0 until valid */
	bool		 verify_client_cert;
	bool		 enabled;
	enum server_transport transport;
	uint64_t	 udp_port;	/* 0: port */
	bool		 udp_encryption;
	struct conf_server_seen *seen;	/* the items before this one */
	size_t		 n_seen;
	struct conf_server_seen *me;	/* this one's record */
};

/* Checks a server name, unique among the items before. */
static void
conf_server_name(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    struct conf_server_item *it)
{
	const char *s;

	s = yaml_doc_check_text(c, n, "name", LIMIT_CONF_NAME_LEN);
	if (s == NULL)
		return;
	if (!conf_name_valid(s)) {
		yaml_doc_check_error(c, n, "server name '%s' may only "
		    "hold letters, digits, '.', '_' and '-', and may not "
		    "start with '-'", s);
		return;
	}
	for (size_t i = 0; i < it->n_seen; i++) {
		if (it->seen[i].name != NULL &&
		    strcmp(it->seen[i].name, s) == 0) {
			yaml_doc_check_error(c, n, "duplicate "
			    "integration server name '%s' (first on line %zu)",
			    s, it->seen[i].name_line);
			break;
		}
	}
	it->me->name = s;
	it->me->name_line = n->line;
	it->name = s;
}

/* Checks an address; records it in IPv6 space for the duplicate check. */
static void
conf_server_address(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    struct conf_server_item *it)
{
	unsigned char a4[4];
	const char *s;

	s = yaml_doc_check_text(c, n, "address",
	    LIMIT_ADDRESS_TEXT_LEN);
	if (s == NULL)
		return;
	if (inet_pton(AF_INET, s, a4) == 1) {
		/* ::ffff:a.b.c.d, so both spellings compare equal. */
		it->me->addr[10] = 0xff;
		it->me->addr[11] = 0xff;
		memcpy(it->me->addr + 12, a4, 4);
	} else if (inet_pton(AF_INET6, s, it->me->addr) != 1) {
		yaml_doc_check_error(c, n, "address '%s' is not an "
		    "IPv4 or IPv6 address", s);
		return;
	}
	it->address = s;
}

/* Checks transport: https | udp | both. */
static void
conf_server_transport(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    struct conf_server_item *it)
{
	const char *s = yaml_doc_check_text(c, n, "transport", 16);

	if (s != NULL && server_transport_parse(s, &it->transport) < 0)
		yaml_doc_check_error(c, n, "transport '%s' is not https, udp "
		    "or both", s);
}

/* Checks that no earlier server has the same address and port. */
static void
conf_server_endpoint(struct yaml_doc_check *c, struct conf_server_item *it)
{
	if (it->address == NULL || it->port == 0)
		return;
	for (size_t i = 0; i < it->n_seen; i++) {
		if (it->seen[i].port == it->port &&
		    memcmp(it->seen[i].addr, it->me->addr, 16) == 0) {
			yaml_doc_check_error(c, it->v[S_ADDRESS],
			    "duplicate address %s port %u (first on line %zu)",
			    it->address, (unsigned)it->port,
			    it->seen[i].addr_line);
			break;
		}
	}
	it->me->port = (uint16_t)it->port;
	it->me->addr_line = it->v[S_ADDRESS]->line;
}

/* conf_servers_list.parse: one integration_servers item. */
static bool
conf_server_parse(struct yaml_doc_check *c, const struct yaml_doc_node *item,
    void *elem, void *seen, size_t n_seen)
{
	struct conf_server *s = elem;
	struct conf_server_item it;
	size_t errors = c->n_errors;

	memset(&it, 0, sizeof(it));
	it.enabled = true;
	it.udp_encryption = true;
	it.seen = seen;
	it.n_seen = n_seen;
	it.me = &it.seen[n_seen];
	yaml_doc_check_keys(c, item, &conf_server_keys, it.v);
	for (size_t i = 0; i < item->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *n = item->items[i + 1];

		switch (yaml_doc_check_key(c, item, i,
		    &conf_server_keys, it.v)) {
		case S_NAME:
			conf_server_name(c, n, &it);
			break;
		case S_ADDRESS:
			conf_server_address(c, n, &it);
			break;
		case S_PORT:
			(void)yaml_doc_check_uint(c, n, "port",
			    &conf_port_range, &it.port);
			break;
		case S_VERIFY:
			(void)yaml_doc_check_bool(c, n,
			    "verify_client_cert", &it.verify_client_cert);
			break;
		case S_ENABLED:
			(void)yaml_doc_check_bool(c, n, "enabled",
			    &it.enabled);
			break;
		case S_TRANSPORT:
			conf_server_transport(c, n, &it);
			break;
		case S_UDP_PORT:
			(void)yaml_doc_check_uint(c, n, "udp_port",
			    &conf_port_range, &it.udp_port);
			break;
		case S_UDP_ENCRYPTION:
			(void)yaml_doc_check_bool(c, n, "udp_encryption",
			    &it.udp_encryption);
			break;
		default:
			break;
		}
	}
	conf_server_endpoint(c, &it);
	if (c->n_errors != errors || c->r < 0)
		return false;
	s->port = (uint16_t)it.port;
	s->verify_client_cert = it.verify_client_cert;
	s->enabled = it.enabled;
	s->transport = it.transport;
	s->udp_port = (uint16_t)(it.udp_port != 0 ? it.udp_port : it.port);
	s->udp_encryption = it.udp_encryption;
	if ((s->name = strdup(it.name)) == NULL ||
	    (s->address = strdup(it.address)) == NULL) {
		free(s->name);
		s->name = NULL;
		yaml_doc_check_nomem(c);
		return false;
	}
	return true;
}

static void
conf_servers_install(struct conf *conf, void *v, size_t n)
{
	conf_servers_free(conf->servers, conf->n_servers);
	conf->servers = v;
	conf->n_servers = n;
}

/* The one server of the default: the local integration endpoint. */
static int
conf_servers_default(struct conf *conf)
{
	struct conf_server *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	conf_servers_install(conf, s, 1);
	s->port = 8081;
	s->verify_client_cert = false;
	s->enabled = true;
	s->transport = SERVER_TRANSPORT_HTTPS;
	s->udp_port = 8081;
	s->udp_encryption = true;
	if ((s->name = strdup("local")) == NULL ||
	    (s->address = strdup("127.0.0.1")) == NULL)
		return -ENOMEM;
	return 0;
}

const struct conf_list conf_servers_list = {
	.what = "an integration server",
	.size = sizeof(struct conf_server),
	.seen_size = sizeof(struct conf_server_seen),
	.parse = conf_server_parse,
	.free = conf_servers_free,
	.install = conf_servers_install,
	.set_default = conf_servers_default,
};

enum { U_NAME, U_ROLE, U_MAX };
static const char *const conf_user_names[U_MAX] = { "name", "role" };
static const struct yaml_doc_keys conf_user_keys = {
	.names = conf_user_names,
	.n_names = U_MAX,
	.n_required = U_MAX,
};

/*
 * Checks a user name, unique among the items before: seen holds the name
 * nodes of the earlier items (NULL where an item had none).
 */
static const char *
conf_user_name(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    const struct yaml_doc_node **seen, size_t n_seen)
{
	const char *s;

	s = yaml_doc_check_text(c, n, "name", LIMIT_CONF_USER_LEN);
	if (s == NULL)
		return NULL;
	if (!conf_name_valid(s)) {
		yaml_doc_check_error(c, n, "user name '%s' may only "
		    "hold letters, digits, '.', '_' and '-', and may not "
		    "start with '-'", s);
		return NULL;
	}
	for (size_t i = 0; i < n_seen; i++) {
		if (seen[i] != NULL && strcmp(seen[i]->value, s) == 0) {
			yaml_doc_check_error(c, n, "duplicate user "
			    "'%s' (first on line %zu)", s, seen[i]->line);
			break;
		}
	}
	seen[n_seen] = n;
	return s;
}

/* conf_users_list.parse: one users item. */
static bool
conf_user_parse(struct yaml_doc_check *c, const struct yaml_doc_node *item,
    void *elem, void *seen, size_t n_seen)
{
	const struct yaml_doc_node *v[U_MAX] = { NULL };
	struct conf_user *u = elem;
	const char *name = NULL, *s;
	enum role role = ROLE_NONE;
	size_t errors = c->n_errors;

	yaml_doc_check_keys(c, item, &conf_user_keys, v);
	for (size_t i = 0; i < item->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *n = item->items[i + 1];

		switch (yaml_doc_check_key(c, item, i, &conf_user_keys,
		    v)) {
		case U_NAME:
			name = conf_user_name(c, n, seen, n_seen);
			break;
		case U_ROLE:
			/* role.c owns the names; this only words the error. */
			s = yaml_doc_check_text(c, n, "role",
			    LIMIT_SHORT_TEXT_LEN);
			if (s != NULL && role_parse(s, &role) < 0)
				yaml_doc_check_error(c, n, "unknown "
				    "role '%.64s' (expected administrator or "
				    "operator)", s);
			break;
		default:
			break;
		}
	}
	if (name != NULL && strcmp(name, "root") == 0 && role != ROLE_NONE &&
	    role != ROLE_ADMINISTRATOR)
		yaml_doc_check_error(c, v[U_ROLE], "root is always "
		    "administrator");
	if (c->n_errors != errors || c->r < 0)
		return false;
	u->role = role;
	if ((u->name = strdup(name)) == NULL) {
		yaml_doc_check_nomem(c);
		return false;
	}
	return true;
}

static void
conf_users_install(struct conf *conf, void *v, size_t n)
{
	conf_users_free(conf->users, conf->n_users);
	conf->users = v;
	conf->n_users = n;
}

/* The one user of the default: kics-admin, administrator. */
static int
conf_users_default(struct conf *conf)
{
	struct conf_user *u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -ENOMEM;
	conf_users_install(conf, u, 1);
	u->role = ROLE_ADMINISTRATOR;
	if ((u->name = strdup("kics-admin")) == NULL)
		return -ENOMEM;
	return 0;
}

const struct conf_list conf_users_list = {
	.what = "a user",
	.size = sizeof(struct conf_user),
	.seen_size = sizeof(const struct yaml_doc_node *),
	.parse = conf_user_parse,
	.free = conf_users_free,
	.install = conf_users_install,
	.set_default = conf_users_default,
};

void
conf_list_parse(struct yaml_doc_check *c, struct conf *conf,
    const char *name, size_t max, const struct conf_list *l,
    const struct yaml_doc_node *n)
{
	char *v = NULL, *seen = NULL;
	size_t count, got = 0;
	bool ok = true;

	if (!yaml_doc_check_list(c, n, name, &count))
		return;
	if (count > max) {
		yaml_doc_check_error(c, n->items[max], "more than %zu entries "
		    "in %s", max, name);
		count = max;
	}
	v = calloc(count + 1, l->size);
	seen = calloc(count + 1, l->seen_size);
	if (v == NULL || seen == NULL) {
		yaml_doc_check_nomem(c);
		goto out;
	}
	for (size_t i = 0; i < count && c->r == 0; i++) {
		const struct yaml_doc_node *item = n->items[i];

		if (yaml_doc_check_mapping(c, item, l->what) &&
		    l->parse(c, item, v + got * l->size, seen, i))
			got++;
		else
			ok = false;
	}
	if (!ok)
		goto out;
	l->install(conf, v, got);
	v = NULL;
	got = 0;
out:
	l->free(v, got);
	free(seen);
}
