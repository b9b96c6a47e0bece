/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the reader of the daemon configuration: one table of
 * keys with their defaults and ranges, and the validation of the
 * integration_servers and users lists.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "embedded.h"
#include "kics_limits.h"
#include "yaml_doc.h"

#define CONF_FILE		"kics-epp.yaml"
#define CONF_BUILTIN		"<built-in>/" CONF_FILE
#define CONF_MIB		(1024 * 1024)

enum conf_type {
	CONF_T_DIR,		/* char *, absolute path */
	CONF_T_FILE,		/* char *, relative to the config file */
	CONF_T_LOG_LEVEL,	/* enum log_level */
	CONF_T_U32,		/* uint32_t */
	CONF_T_U64,		/* uint64_t */
	CONF_T_SERVERS,		/* struct conf_server *, n_servers after */
	CONF_T_USERS,		/* struct conf_user *, n_users after */
};

struct conf_key {
	const char	*name;		/* "section.key" or "key" */
	enum conf_type	 type;
	size_t		 offset;	/* in struct conf */
	uint64_t	 def_num;	/* default of numbers and enums */
	const char	*def_str;	/* default of strings */
	uint64_t	 min, max;	/* numbers; lists: max entries */
	bool		 reloadable;	/* false: a change needs a restart */
	const char	*hint;		/* appended to range errors */
};

#define OFF(f)	offsetof(struct conf, f)

/* The defaults are the values of conf/kics-epp.yaml (DESIGN.md). */
static const struct conf_key conf_keys[] = {
	{ "data_dir", CONF_T_DIR, OFF(data_dir), 0, "/var/lib/kics-epp",
	  0, 0, false, NULL },
	{ "log_level", CONF_T_LOG_LEVEL, OFF(log_level), LOG_LEVEL_INFO, NULL,
	  0, 0, true, NULL },
	{ "integration_servers", CONF_T_SERVERS, OFF(servers), 0, NULL,
	  0, LIMIT_CONF_SERVERS, true, NULL },
	{ "agents.max_agents", CONF_T_U32, OFF(max_agents), 1000, NULL,
	  1, LIMIT_MAX_AGENTS, true, "the limit is 1,000 computers" },
	{ "agents.report_interval_s", CONF_T_U32, OFF(report_interval_s), 60,
	  NULL, 1, 86400, true, NULL },
	{ "agents.timeout_s", CONF_T_U32, OFF(timeout_s), 180, NULL,
	  2, 7 * 86400, true, NULL },
	{ "limits.max_body_bytes", CONF_T_U64, OFF(max_body_bytes), 4194304,
	  NULL, 1024, 64 * CONF_MIB, true, "at most 64 MiB" },
	{ "limits.max_connections", CONF_T_U32, OFF(max_connections), 2000,
	  NULL, 1, LIMIT_HTTP_CONNECTIONS, false, NULL },
	{ "limits.idle_timeout_s", CONF_T_U32, OFF(idle_timeout_s), 300, NULL,
	  1, 86400, true, NULL },
	{ "limits.max_devices", CONF_T_U32, OFF(max_devices), 100000, NULL,
	  1, LIMIT_CONF_DEVICES, true, "the limit is 100,000 devices" },
	{ "limits.max_events", CONF_T_U64, OFF(max_events), 10000000, NULL,
	  1000, 1000000000, true, NULL },
	{ "limits.max_interactions", CONF_T_U64, OFF(max_interactions),
	  1000000, NULL, 1000, 1000000000, true, NULL },
	{ "limits.archive_after_days", CONF_T_U32, OFF(archive_after_days), 30,
	  NULL, 1, 3650, true, NULL },
	{ "users", CONF_T_USERS, OFF(users), 0, NULL,
	  0, LIMIT_CONF_USERS, true, NULL },
	{ "event_types", CONF_T_FILE, OFF(event_types_path), 0,
	  "event-types.yaml", 0, 0, true, NULL },
	{ "rules", CONF_T_FILE, OFF(rules_path), 0, "rules.yaml",
	  0, 0, true, NULL },
};
#define N_KEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

/* Default integration_servers and users (not expressible in the table). */
static const struct conf_server conf_default_server = {
	.name = (char *)"local",
	.address = (char *)"127.0.0.1",
	.port = 8081,
	.verify_client_cert = false,
	.enabled = true,
};
static const struct conf_user conf_default_user = {
	.name = (char *)"kics-admin",
	.role = ROLE_ADMINISTRATOR,
};

/* Where a server's name or address was first seen. */
struct conf_server_seen {
	const char	*name;		/* borrowed from the doc, or NULL */
	size_t		 name_line;
	unsigned char	 addr[16];	/* IPv4 mapped into IPv6 */
	uint16_t	 port;		/* 0: address or port invalid */
	size_t		 addr_line;
};

struct conf_ctx {
	const struct yaml_doc	*doc;
	struct diag		*diag;
	struct conf		*conf;		/* being filled */
	const struct yaml_doc_node *seen[N_KEYS]; /* value of each key */
	const struct yaml_doc_node *seen_key[N_KEYS]; /* and its key */
	const struct yaml_doc_node *seen_section[N_KEYS]; /* section keys,
					   by their first table index */
	size_t			 n_errors;
	int			 r;		/* first -ENOMEM, else 0 */
};

static void
conf_servers_free(struct conf_server *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].address);
	}
	free(v);
}

static void
conf_users_free(struct conf_user *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->data_dir);
	conf_servers_free(c->servers, c->n_servers);
	conf_users_free(c->users, c->n_users);
	free(c->event_types_path);
	free(c->rules_path);
	free(c);
}

static void KICS_PRINTF(3, 4)
conf_error(struct conf_ctx *c, const struct yaml_doc_node *n,
    const char *fmt, ...)
{
	va_list ap;

	c->n_errors++;
	va_start(ap, fmt);
	if (yaml_doc_verror(c->doc, n, c->diag, fmt, ap) < 0 && c->r == 0)
		c->r = -ENOMEM;
	va_end(ap);
}

static char **
conf_str_field(struct conf *conf, const struct conf_key *k)
{
	return (char **)(void *)((char *)conf + k->offset);
}

/* Sets every table key to its default. Returns 0 or -ENOMEM. */
static int
conf_set_defaults(struct conf *conf)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		char *p = (char *)conf + k->offset;

		switch (k->type) {
		case CONF_T_DIR:
		case CONF_T_FILE:
			if ((*conf_str_field(conf, k) = strdup(k->def_str)) ==
			    NULL)
				return -ENOMEM;
			break;
		case CONF_T_LOG_LEVEL:
			*(enum log_level *)(void *)p =
			    (enum log_level)k->def_num;
			break;
		case CONF_T_U32:
			*(uint32_t *)(void *)p = (uint32_t)k->def_num;
			break;
		case CONF_T_U64:
			*(uint64_t *)(void *)p = k->def_num;
			break;
		case CONF_T_SERVERS:
			if ((conf->servers = calloc(1,
			    sizeof(*conf->servers))) == NULL)
				return -ENOMEM;
			conf->n_servers = 1;
			conf->servers[0] = conf_default_server;
			conf->servers[0].name =
			    strdup(conf_default_server.name);
			conf->servers[0].address =
			    strdup(conf_default_server.address);
			if (conf->servers[0].name == NULL ||
			    conf->servers[0].address == NULL)
				return -ENOMEM;
			break;
		case CONF_T_USERS:
			if ((conf->users = calloc(1,
			    sizeof(*conf->users))) == NULL)
				return -ENOMEM;
			conf->n_users = 1;
			conf->users[0] = conf_default_user;
			if ((conf->users[0].name =
			    strdup(conf_default_user.name)) == NULL)
				return -ENOMEM;
			break;
		}
	}
	return 0;
}

/*
 * Returns the text of a non-empty scalar of at most max bytes, or reports
 * the problem (naming the key as what) and returns NULL.
 */
static const char *
conf_text(struct conf_ctx *c, const char *what,
    const struct yaml_doc_node *n, size_t max)
{
	int err = 0;
	const char *s = yaml_doc_text(c->doc, n, what, max, c->diag, &err);

	if (s == NULL) {
		c->n_errors++;
		if (err == -ENOMEM && c->r == 0)
			c->r = err;
	}
	return s;
}

/* Reads an unsigned integer in min..max; reports and returns -EINVAL. */
static int
conf_uint(struct conf_ctx *c, const char *what, const char *hint,
    const struct yaml_doc_node *n, uint64_t min, uint64_t max,
    uint64_t *ret_value)
{
	int r;

	r = yaml_doc_get_uint(n, min, max, ret_value);
	if (r == -ERANGE)
		conf_error(c, n, "%s must be between %llu and %llu%s%s%s",
		    what, (unsigned long long)min, (unsigned long long)max,
		    hint != NULL ? " (" : "", hint != NULL ? hint : "",
		    hint != NULL ? ")" : "");
	else if (r < 0 && n->kind != YAML_DOC_SCALAR)
		conf_error(c, n, "%s must be an integer, not %s", what,
		    yaml_doc_kind_name(n->kind));
	else if (r < 0 && !n->plain)
		conf_error(c, n, "%s must be an integer, not a quoted string",
		    what);
	else if (r < 0)
		conf_error(c, n, "%s must be an integer, not '%.64s'", what,
		    n->value);
	return r < 0 ? -EINVAL : 0;
}

static int
conf_bool(struct conf_ctx *c, const char *what,
    const struct yaml_doc_node *n, bool *ret_value)
{
	if (yaml_doc_get_bool(n, ret_value) == 0)
		return 0;
	if (n->kind != YAML_DOC_SCALAR)
		conf_error(c, n, "%s must be true or false, not %s", what,
		    yaml_doc_kind_name(n->kind));
	else
		conf_error(c, n, "%s must be true or false, not '%.64s'", what,
		    n->value);
	return -EINVAL;
}

/* Server and user names: letters, digits, '.', '_', '-'; no leading '-'. */
static bool
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

typedef void conf_field_fn(struct conf_ctx *c, size_t j,
    const struct yaml_doc_node *value, void *arg);

/*
 * Walks mapping m whose keys must be among names: reports the required
 * keys (the first n_required names) that are missing, then, in file order,
 * unknown and repeated keys, and hands every other value to fn with its
 * index in names. v[j] is set to the value of names[j].
 */
static void
conf_fields(struct conf_ctx *c, const struct yaml_doc_node *m,
    const char *const *names, size_t n_names, size_t n_required,
    const struct yaml_doc_node **v, conf_field_fn *fn, void *arg)
{
	for (size_t j = 0; j < n_required; j++) {
		size_t i;

		for (i = 0; i < m->n_items; i += 2)
			if (strcmp(m->items[i]->value, names[j]) == 0)
				break;
		if (i >= m->n_items)
			conf_error(c, m, "missing required key '%s'",
			    names[j]);
	}
	for (size_t i = 0; i < m->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *k = m->items[i];
		size_t j;

		for (j = 0; j < n_names; j++)
			if (strcmp(k->value, names[j]) == 0)
				break;
		if (j == n_names) {
			conf_error(c, k, "unknown key '%.64s'", k->value);
		} else if (v[j] != NULL) {
			conf_error(c, k, "duplicate key '%s' (first on line "
			    "%zu)", names[j], v[j]->line);
		} else {
			v[j] = m->items[i + 1];
			fn(c, j, v[j], arg);
		}
	}
}

enum { S_NAME, S_ADDRESS, S_PORT, S_VERIFY, S_ENABLED, S_MAX };

/* One integration_servers item while it is checked. */
struct conf_server_item {
	const struct yaml_doc_node *v[S_MAX];
	const char	*name;		/* NULL until valid */
	const char	*address;	/* NULL until valid */
	uint64_t	 port;		/* 0 until valid */
	bool		 verify_client_cert;
	bool		 enabled;
	struct conf_server_seen *seen;	/* the items before this one */
	size_t		 n_seen;
	struct conf_server_seen *me;	/* this one's record */
};

static void
conf_server_field(struct conf_ctx *c, size_t j,
    const struct yaml_doc_node *n, void *arg)
{
	struct conf_server_item *it = arg;
	struct conf_server_seen *me = it->me;
	const char *s;
	unsigned char a4[4];

	switch (j) {
	case S_NAME:
		if ((s = conf_text(c, "name", n, LIMIT_CONF_NAME_LEN)) == NULL)
			break;
		if (!conf_name_valid(s)) {
			conf_error(c, n, "server name '%s' may only hold "
			    "letters, digits, '.', '_' and '-', and may not "
			    "start with '-'", s);
			break;
		}
		for (size_t i = 0; i < it->n_seen; i++) {
			if (it->seen[i].name != NULL &&
			    strcmp(it->seen[i].name, s) == 0) {
				conf_error(c, n, "duplicate integration "
				    "server name '%s' (first on line %zu)", s,
				    it->seen[i].name_line);
				break;
			}
		}
		me->name = s;
		me->name_line = n->line;
		it->name = s;
		break;
	case S_ADDRESS:
		if ((s = conf_text(c, "address", n,
		    LIMIT_ADDRESS_TEXT_LEN)) == NULL)
			break;
		if (inet_pton(AF_INET, s, a4) == 1) {
			/* ::ffff:a.b.c.d, so both spellings compare equal. */
			me->addr[10] = 0xff;
			me->addr[11] = 0xff;
			memcpy(me->addr + 12, a4, 4);
		} else if (inet_pton(AF_INET6, s, me->addr) != 1) {
			conf_error(c, n, "address '%s' is not an IPv4 or "
			    "IPv6 address", s);
			break;
		}
		it->address = s;
		break;
	case S_PORT:
		(void)conf_uint(c, "port", NULL, n, 1, 65535, &it->port);
		break;
	case S_VERIFY:
		(void)conf_bool(c, "verify_client_cert", n,
		    &it->verify_client_cert);
		break;
	case S_ENABLED:
		(void)conf_bool(c, "enabled", n, &it->enabled);
		break;
	default:
		break;
	}
}

/* Parses one integration_servers item into *s; returns true if valid. */
static bool
conf_server_parse(struct conf_ctx *c, const struct yaml_doc_node *item,
    struct conf_server *s, struct conf_server_seen *seen, size_t n_seen)
{
	static const char *const names[S_MAX] = {
		"name", "address", "port", "verify_client_cert", "enabled",
	};
	struct conf_server_item it;
	size_t errors = c->n_errors;

	memset(&it, 0, sizeof(it));
	it.enabled = true;
	it.seen = seen;
	it.n_seen = n_seen;
	it.me = &seen[n_seen];
	memset(it.me, 0, sizeof(*it.me));
	if (item->kind != YAML_DOC_MAPPING) {
		conf_error(c, item, "an integration server must be a "
		    "mapping, not %s", yaml_doc_kind_name(item->kind));
		return false;
	}
	conf_fields(c, item, names, S_MAX, 3, it.v, conf_server_field, &it);
	if (it.address != NULL && it.port != 0) {
		for (size_t i = 0; i < n_seen; i++) {
			if (seen[i].port == it.port &&
			    memcmp(seen[i].addr, it.me->addr, 16) == 0) {
				conf_error(c, it.v[S_ADDRESS], "duplicate "
				    "address %s port %u (first on line %zu)",
				    it.address, (unsigned)it.port,
				    seen[i].addr_line);
				break;
			}
		}
		it.me->port = (uint16_t)it.port;
		it.me->addr_line = it.v[S_ADDRESS]->line;
	}
	if (c->n_errors != errors || c->r < 0)
		return false;
	s->port = (uint16_t)it.port;
	s->verify_client_cert = it.verify_client_cert;
	s->enabled = it.enabled;
	if ((s->name = strdup(it.name)) == NULL ||
	    (s->address = strdup(it.address)) == NULL) {
		free(s->name);
		s->name = NULL;
		c->r = -ENOMEM;
		return false;
	}
	return true;
}

enum { U_NAME, U_ROLE, U_MAX };

/* One users item while it is checked. */
struct conf_user_item {
	const struct yaml_doc_node *v[U_MAX];
	const char	*name;		/* NULL until valid */
	enum role	 role;		/* ROLE_NONE until valid */
	const struct yaml_doc_node **seen; /* name nodes of earlier items */
	size_t		 n_seen;
};

static void
conf_user_field(struct conf_ctx *c, size_t j,
    const struct yaml_doc_node *n, void *arg)
{
	struct conf_user_item *it = arg;
	const char *s;

	switch (j) {
	case U_NAME:
		if ((s = conf_text(c, "name", n, LIMIT_CONF_USER_LEN)) == NULL)
			break;
		if (!conf_name_valid(s)) {
			conf_error(c, n, "user name '%s' may only hold "
			    "letters, digits, '.', '_' and '-', and may not "
			    "start with '-'", s);
			break;
		}
		for (size_t i = 0; i < it->n_seen; i++) {
			if (it->seen[i] != NULL &&
			    strcmp(it->seen[i]->value, s) == 0) {
				conf_error(c, n, "duplicate user '%s' (first "
				    "on line %zu)", s, it->seen[i]->line);
				break;
			}
		}
		it->seen[it->n_seen] = n;
		it->name = s;
		break;
	case U_ROLE:
		if ((s = conf_text(c, "role", n, LIMIT_SHORT_TEXT_LEN)) == NULL)
			break;
		if (role_parse(s, &it->role) < 0)
			conf_error(c, n, "unknown role '%.64s' (expected "
			    "administrator or operator)", s);
		break;
	default:
		break;
	}
}

/* Parses one users item into *u; returns true if valid. */
static bool
conf_user_parse(struct conf_ctx *c, const struct yaml_doc_node *item,
    struct conf_user *u, const struct yaml_doc_node **seen, size_t n_seen)
{
	static const char *const names[U_MAX] = { "name", "role" };
	struct conf_user_item it;
	size_t errors = c->n_errors;

	memset(&it, 0, sizeof(it));
	it.seen = seen;
	it.n_seen = n_seen;
	seen[n_seen] = NULL;
	if (item->kind != YAML_DOC_MAPPING) {
		conf_error(c, item, "a user must be a mapping, not %s",
		    yaml_doc_kind_name(item->kind));
		return false;
	}
	conf_fields(c, item, names, U_MAX, 2, it.v, conf_user_field, &it);
	if (it.name != NULL && strcmp(it.name, "root") == 0 &&
	    it.role != ROLE_NONE && it.role != ROLE_ADMINISTRATOR)
		conf_error(c, it.v[U_ROLE], "root is always administrator");
	if (c->n_errors != errors || c->r < 0)
		return false;
	u->role = it.role;
	if ((u->name = strdup(it.name)) == NULL) {
		c->r = -ENOMEM;
		return false;
	}
	return true;
}

/* Returns the items of a list value (NULL and n = 0 for null), or reports
 * a value that is no list and returns false. */
static bool
conf_list(struct conf_ctx *c, const struct conf_key *k,
    const struct yaml_doc_node *n, size_t *ret_n)
{
	if (yaml_doc_is_null(n)) {
		*ret_n = 0;
		return true;
	}
	if (n->kind != YAML_DOC_SEQUENCE) {
		conf_error(c, n, "%s must be a list, not %s", k->name,
		    yaml_doc_kind_name(n->kind));
		return false;
	}
	*ret_n = n->n_items;
	if (*ret_n > k->max) {
		conf_error(c, n->items[k->max], "more than %llu entries in %s",
		    (unsigned long long)k->max, k->name);
		*ret_n = k->max;
	}
	return true;
}

static void
conf_parse_servers(struct conf_ctx *c, const struct conf_key *k,
    const struct yaml_doc_node *n)
{
	struct conf_server *v = NULL;
	struct conf_server_seen *seen = NULL;
	size_t count, got = 0;
	bool ok = true;

	if (!conf_list(c, k, n, &count))
		return;
	v = calloc(count + 1, sizeof(*v));
	seen = calloc(count + 1, sizeof(*seen));
	if (v == NULL || seen == NULL) {
		c->r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < count && c->r == 0; i++) {
		if (conf_server_parse(c, n->items[i], &v[got], seen, i))
			got++;
		else
			ok = false;
	}
	if (!ok)
		goto out;
	conf_servers_free(c->conf->servers, c->conf->n_servers);
	c->conf->servers = v;
	c->conf->n_servers = got;
	v = NULL;
	got = 0;
out:
	conf_servers_free(v, got);
	free(seen);
}

static void
conf_parse_users(struct conf_ctx *c, const struct conf_key *k,
    const struct yaml_doc_node *n)
{
	struct conf_user *v = NULL;
	const struct yaml_doc_node **seen = NULL;
	size_t count, got = 0;
	bool ok = true;

	if (!conf_list(c, k, n, &count))
		return;
	v = calloc(count + 1, sizeof(*v));
	seen = calloc(count + 1, sizeof(*seen));
	if (v == NULL || seen == NULL) {
		c->r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < count && c->r == 0; i++) {
		if (conf_user_parse(c, n->items[i], &v[got], seen, i))
			got++;
		else
			ok = false;
	}
	if (!ok)
		goto out;
	conf_users_free(c->conf->users, c->conf->n_users);
	c->conf->users = v;
	c->conf->n_users = got;
	v = NULL;
	got = 0;
out:
	conf_users_free(v, got);
	free(seen);
}

/* Joins the directory of the config file and a relative file name. */
static char *
conf_resolve(const char *conf_path, const char *name)
{
	const char *slash = strrchr(conf_path, '/');
	size_t dir_len, len;
	char *s;

	if (name[0] == '/' || slash == NULL)
		return strdup(name);
	dir_len = (size_t)(slash - conf_path) + 1;
	len = dir_len + strlen(name) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	memcpy(s, conf_path, dir_len);
	memcpy(s + dir_len, name, len - dir_len);
	return s;
}

/* Parses the value n of table key k into c->conf. */
static void
conf_parse_value(struct conf_ctx *c, const struct conf_key *k,
    const struct yaml_doc_node *n)
{
	char *p = (char *)c->conf + k->offset;
	const char *s;
	uint64_t u;
	char *dup;

	switch (k->type) {
	case CONF_T_DIR:
	case CONF_T_FILE:
		if ((s = conf_text(c, k->name, n, LIMIT_CONF_PATH_LEN)) ==
		    NULL)
			return;
		if (k->type == CONF_T_DIR && s[0] != '/') {
			conf_error(c, n, "%s must be an absolute path",
			    k->name);
			return;
		}
		if ((dup = strdup(s)) == NULL) {
			c->r = -ENOMEM;
			return;
		}
		free(*conf_str_field(c->conf, k));
		*conf_str_field(c->conf, k) = dup;
		break;
	case CONF_T_LOG_LEVEL:
		if ((s = conf_text(c, k->name, n, LIMIT_SHORT_TEXT_LEN)) ==
		    NULL)
			return;
		if (log_level_parse(s, (enum log_level *)(void *)p) < 0)
			conf_error(c, n, "%s must be error, warning, info or "
			    "debug, not '%.64s'", k->name, s);
		break;
	case CONF_T_U32:
		if (conf_uint(c, k->name, k->hint, n, k->min, k->max, &u) == 0)
			*(uint32_t *)(void *)p = (uint32_t)u;
		break;
	case CONF_T_U64:
		if (conf_uint(c, k->name, k->hint, n, k->min, k->max, &u) == 0)
			*(uint64_t *)(void *)p = u;
		break;
	case CONF_T_SERVERS:
		conf_parse_servers(c, k, n);
		break;
	case CONF_T_USERS:
		conf_parse_users(c, k, n);
		break;
	}
}

/* Finds the table key called prefix + "." + name (prefix may be NULL). */
static size_t
conf_key_find(const char *prefix, const char *name)
{
	size_t plen = prefix != NULL ? strlen(prefix) : 0;

	for (size_t i = 0; i < N_KEYS; i++) {
		const char *kn = conf_keys[i].name;

		if (prefix == NULL) {
			if (strcmp(kn, name) == 0)
				return i;
		} else if (strncmp(kn, prefix, plen) == 0 && kn[plen] == '.' &&
		    strcmp(kn + plen + 1, name) == 0)
			return i;
	}
	return N_KEYS;
}

/*
 * Returns the index of the first table key of section name ("agents",
 * "limits"), or N_KEYS when name is no section.
 */
static size_t
conf_section_find(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < N_KEYS; i++)
		if (strncmp(conf_keys[i].name, name, len) == 0 &&
		    conf_keys[i].name[len] == '.')
			return i;
	return N_KEYS;
}

/* Records key k (at node key, value val), reporting a repeated key. */
static void
conf_take(struct conf_ctx *c, size_t i, const struct yaml_doc_node *key,
    const struct yaml_doc_node *val)
{
	if (c->seen[i] != NULL) {
		conf_error(c, key, "duplicate key '%s' (first on line %zu)",
		    conf_keys[i].name, c->seen_key[i]->line);
		return;
	}
	c->seen[i] = val;
	c->seen_key[i] = key;
	conf_parse_value(c, &conf_keys[i], val);
}

static void
conf_parse_section(struct conf_ctx *c, size_t section,
    const struct yaml_doc_node *key, const struct yaml_doc_node *m)
{
	if (c->seen_section[section] != NULL) {
		conf_error(c, key, "duplicate key '%s' (first on line %zu)",
		    key->value, c->seen_section[section]->line);
		return;
	}
	c->seen_section[section] = key;
	if (yaml_doc_is_null(m))
		return;
	if (m->kind != YAML_DOC_MAPPING) {
		conf_error(c, m, "%s must be a mapping, not %s", key->value,
		    yaml_doc_kind_name(m->kind));
		return;
	}
	for (size_t i = 0; i < m->n_items && c->r == 0; i += 2) {
		const struct yaml_doc_node *k = m->items[i];
		size_t j = conf_key_find(key->value, k->value);

		if (j == N_KEYS)
			conf_error(c, k, "unknown key '%s.%.64s'", key->value,
			    k->value);
		else
			conf_take(c, j, k, m->items[i + 1]);
	}
}

/* Checks between keys, once each of them is valid on its own. */
static void
conf_cross_check(struct conf_ctx *c)
{
	const struct conf *conf = c->conf;
	const struct yaml_doc_node *at;

	if ((uint64_t)conf->timeout_s < 2 * (uint64_t)conf->report_interval_s) {
		at = c->seen[conf_key_find(NULL, "agents.timeout_s")];
		if (at == NULL)
			at = c->seen[conf_key_find(NULL,
			    "agents.report_interval_s")];
		conf_error(c, at, "agents.timeout_s (%u) must be at least "
		    "twice agents.report_interval_s (%u)",
		    (unsigned)conf->timeout_s,
		    (unsigned)conf->report_interval_s);
	}
}

static int
conf_from_doc(const struct yaml_doc *doc, const char *path,
    struct diag *diag, struct conf **ret_conf)
{
	struct conf_ctx c;
	const struct yaml_doc_node *root = doc->root;
	char *resolved;
	int r;

	memset(&c, 0, sizeof(c));
	c.doc = doc;
	c.diag = diag;
	if ((c.conf = calloc(1, sizeof(*c.conf))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = conf_set_defaults(c.conf)) < 0)
		goto out;
	if (path != NULL && (c.conf->path = strdup(path)) == NULL) {
		r = -ENOMEM;
		goto out;
	}

	if (!yaml_doc_is_null(root) && root->kind != YAML_DOC_MAPPING)
		conf_error(&c, root, "the configuration must be a mapping, "
		    "not %s", yaml_doc_kind_name(root->kind));
	else if (root != NULL && root->kind == YAML_DOC_MAPPING) {
		for (size_t i = 0; i < root->n_items && c.r == 0; i += 2) {
			const struct yaml_doc_node *k = root->items[i];
			const struct yaml_doc_node *v = root->items[i + 1];
			size_t j = conf_key_find(NULL, k->value);
			size_t sect = conf_section_find(k->value);

			if (j != N_KEYS && strchr(k->value, '.') == NULL)
				conf_take(&c, j, k, v);
			else if (sect != N_KEYS)
				conf_parse_section(&c, sect, k, v);
			else
				conf_error(&c, k, "unknown key '%.64s'",
				    k->value);
		}
	}
	if (c.n_errors == 0 && c.r == 0)
		conf_cross_check(&c);
	if ((r = c.r) < 0)
		goto out;
	if (c.n_errors > 0) {
		r = -EINVAL;
		goto out;
	}

	/* The built-in configuration means the built-in files too. */
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		char **field = conf_str_field(c.conf, k);

		if (k->type != CONF_T_FILE)
			continue;
		resolved = path != NULL ? conf_resolve(path, *field) : NULL;
		if (path != NULL && resolved == NULL) {
			r = -ENOMEM;
			goto out;
		}
		free(*field);
		*field = resolved;
	}
	*ret_conf = c.conf;
	c.conf = NULL;
	r = 0;
out:
	conf_free(c.conf);
	return r;
}

int
conf_load(const char *path, struct diag *diag, struct conf **ret_conf)
{
	const struct embedded_file *f;
	struct yaml_doc *doc = NULL;
	int r;

	if (path != NULL) {
		r = yaml_doc_load_file(path, diag, &doc);
	} else if ((f = embedded_find(embedded_conf, CONF_FILE)) == NULL) {
		r = diag_add(diag, CONF_BUILTIN, 0, 0,
		    "not built into this program");
		r = r < 0 ? r : -ENOENT;
	} else
		r = yaml_doc_load_string(CONF_BUILTIN, f->text,
		    strlen(f->text), diag, &doc);
	if (r < 0)
		goto out;
	r = conf_from_doc(doc, path, diag, ret_conf);
out:
	yaml_doc_free(doc);
	return r;
}

int
conf_check_reload(const struct conf *cur, const struct conf *next,
    struct diag *diag)
{
	const char *file = next->path != NULL ? next->path : CONF_BUILTIN;
	int r = 0;

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *a = (const char *)cur + k->offset;
		const char *b = (const char *)next + k->offset;
		bool same;

		if (k->reloadable)
			continue;
		switch (k->type) {
		case CONF_T_DIR:
		case CONF_T_FILE:
			same = strcmp(*(char *const *)(const void *)a,
			    *(char *const *)(const void *)b) == 0;
			break;
		case CONF_T_U32:
			same = *(const uint32_t *)(const void *)a ==
			    *(const uint32_t *)(const void *)b;
			break;
		case CONF_T_U64:
			same = *(const uint64_t *)(const void *)a ==
			    *(const uint64_t *)(const void *)b;
			break;
		default:
			/* Lists and enums are all reloadable. */
			same = true;
			break;
		}
		if (same)
			continue;
		if (diag_add(diag, file, 0, 0, "%s cannot change on reload: "
		    "restart kics-epp-proxy", k->name) < 0)
			return -ENOMEM;
		r = -EINVAL;
	}
	return r;
}
