/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the reader of the daemon configuration: one table of
 * keys with their defaults and ranges, read section by section; the lists
 * are read by conf_list.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf-private.h"
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
	CONF_T_LOG,		/* enum conf_log */
	CONF_T_USER,		/* char *, an OS user name; NULL by default */
	CONF_T_U32,		/* uint32_t */
	CONF_T_U64,		/* uint64_t */
	CONF_T_LIST,		/* a list, read as its struct conf_list says */
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
	const struct conf_list *list;	/* CONF_T_LIST: how to read it */
};

#define OFF(f)	offsetof(struct conf, f)

/* The defaults are the values of conf/kics-epp.yaml (DESIGN.md). */
static const struct conf_key conf_keys[] = {
	{ "data_dir", CONF_T_DIR, OFF(data_dir), 0, "/var/lib/kics-epp",
	  0, 0, false, NULL, NULL },
	{ "user", CONF_T_USER, OFF(user), 0, NULL,
	  0, 0, false, NULL, NULL },
	{ "log_level", CONF_T_LOG_LEVEL, OFF(log_level), LOG_LEVEL_INFO, NULL,
	  0, 0, true, NULL, NULL },
	{ "log", CONF_T_LOG, OFF(log), CONF_LOG_DEFAULT, NULL,
	  0, 0, true, NULL, NULL },
	{ "log_file", CONF_T_FILE, OFF(log_file), 0, NULL,
	  0, 0, true, NULL, NULL },
	{ "integration_servers", CONF_T_LIST, OFF(servers), 0, NULL,
	  0, LIMIT_CONF_SERVERS, true, NULL, &conf_servers_list },
	{ "connectors", CONF_T_LIST, OFF(connectors), 0, NULL,
	  0, LIMIT_CONF_CONNECTORS, true, NULL, &conf_connectors_list },
	{ "agents.max_agents", CONF_T_U32, OFF(max_agents), 1000, NULL,
	  1, LIMIT_MAX_AGENTS, true, "the limit is 1,000 computers", NULL },
	{ "agents.report_interval_s", CONF_T_U32, OFF(report_interval_s), 60,
	  NULL, 1, 86400, true, NULL, NULL },
	{ "agents.timeout_s", CONF_T_U32, OFF(timeout_s), 180, NULL,
	  2, 7 * 86400, true, NULL, NULL },
	{ "agents.max_new_per_address_per_minute", CONF_T_U32,
	  OFF(max_new_per_address), 60, NULL, 0, LIMIT_NEW_AGENTS_PER_MINUTE,
	  false, NULL, NULL },
	{ "limits.max_body_bytes", CONF_T_U64, OFF(max_body_bytes), 4194304,
	  NULL, 1024, 64 * CONF_MIB, true, "at most 64 MiB", NULL },
	{ "limits.max_body_memory_bytes", CONF_T_U64, OFF(max_body_memory_bytes),
	  64 * CONF_MIB, NULL, 1024, 4096ULL * CONF_MIB, false, "at most 4 GiB",
	  NULL },
	{ "limits.udp_rcvbuf_bytes", CONF_T_U64, OFF(udp_rcvbuf_bytes),
	  8 * CONF_MIB, NULL, 65536, 1024ULL * CONF_MIB, false,
	  "between 64 KiB and 1 GiB", NULL },
	{ "limits.max_connections", CONF_T_U32, OFF(max_connections), 2000,
	  NULL, 1, LIMIT_HTTP_CONNECTIONS, false, NULL, NULL },
	{ "limits.idle_timeout_s", CONF_T_U32, OFF(idle_timeout_s), 300, NULL,
	  1, 86400, true, NULL, NULL },
	{ "limits.handshake_timeout_s", CONF_T_U32, OFF(handshake_timeout_s),
	  10, NULL, 1, 300, false, NULL, NULL },
	{ "limits.max_connections_per_address", CONF_T_U32,
	  OFF(max_connections_per_address), 1000, NULL, 1,
	  LIMIT_HTTP_CONNECTIONS, false, NULL, NULL },
	{ "limits.max_devices", CONF_T_U32, OFF(max_devices), 100000, NULL,
	  1, LIMIT_CONF_DEVICES, true, "the limit is 100,000 devices", NULL },
	{ "limits.max_archived_devices", CONF_T_U32,
	  OFF(max_archived_devices), 100000, NULL, 1, LIMIT_CONF_DEVICES, true,
	  "the archive holds at most 100,000 devices", NULL },
	{ "limits.max_events", CONF_T_U64, OFF(max_events), 10000000, NULL,
	  1000, 1000000000, true, NULL, NULL },
	{ "limits.max_interactions", CONF_T_U64, OFF(max_interactions),
	  1000000, NULL, 1000, 1000000000, true, NULL, NULL },
	{ "limits.archive_after_days", CONF_T_U32, OFF(archive_after_days), 30,
	  NULL, 1, 3650, true, NULL, NULL },
	{ "users", CONF_T_LIST, OFF(users), 0, NULL,
	  0, LIMIT_CONF_USERS, true, NULL, &conf_users_list },
	{ "monitoring_points", CONF_T_LIST, OFF(points), 0, NULL,
	  0, LIMIT_CONF_POINTS, false, NULL, &conf_points_list },
	{ "traffic.flush_interval_s", CONF_T_U32, OFF(flush_interval_s), 10,
	  NULL, 1, 3600, false, NULL, NULL },
	{ "traffic.no_traffic_after_s", CONF_T_U32, OFF(no_traffic_after_s),
	  300, NULL, 10, 7 * 86400, false, NULL, NULL },
	{ "traffic.max_flows", CONF_T_U32, OFF(max_flows), 65536, NULL,
	  1024, LIMIT_TRAFFIC_FLOWS, false, NULL, NULL },
	{ "traffic.ieee_data_dir", CONF_T_DIR, OFF(ieee_data_dir), 0,
	  "/usr/share/ieee-data", 0, 0, false, NULL, NULL },
	{ "event_types", CONF_T_FILE, OFF(event_types_path), 0,
	  "event-types.yaml", 0, 0, true, NULL, NULL },
	{ "rules", CONF_T_FILE, OFF(rules_path), 0, "rules.yaml",
	  0, 0, true, NULL, NULL },
};
#define N_KEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

struct conf_ctx {
	struct yaml_doc_check	 check;		/* errors, first -ENOMEM */
	struct conf		*conf;		/* being filled */
	const struct yaml_doc_node *seen[N_KEYS]; /* value of each key */
	const struct yaml_doc_node *seen_key[N_KEYS]; /* and its key */
	const struct yaml_doc_node *seen_section[N_KEYS]; /* section keys,
					   by their first table index */
};

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->data_dir);
	free(c->user);
	conf_servers_list.free(c->servers, c->n_servers);
	conf_users_list.free(c->users, c->n_users);
	conf_points_list.free(c->points, c->n_points);
	free(c->ieee_data_dir);
	conf_connectors_list.free(c->connectors, c->n_connectors);
	free(c->event_types_path);
	free(c->rules_path);
	free(c->log_file);
	free(c);
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
			if (k->def_str != NULL && (*conf_str_field(conf, k) =
			    strdup(k->def_str)) == NULL)
				return -ENOMEM;
			break;
		case CONF_T_LOG:
			*(enum conf_log *)(void *)p = (enum conf_log)k->def_num;
			break;
		case CONF_T_USER:
			/* unset: the daemon tells its default from a choice */
			*conf_str_field(conf, k) = NULL;
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
		case CONF_T_LIST:
			if (k->list->set_default(conf) < 0)
				return -ENOMEM;
			break;
		}
	}
	return 0;
}

static const char *const conf_log_names[CONF_LOG_MAX] = {
	[CONF_LOG_DEFAULT] = "default",
	[CONF_LOG_STDERR] = "stderr",
	[CONF_LOG_SYSLOG] = "syslog",
	[CONF_LOG_FILE] = "file",
};

int
conf_log_parse(const char *s, enum conf_log *ret_log)
{
	for (int i = CONF_LOG_STDERR; i < CONF_LOG_MAX; i++) {
		if (strcmp(s, conf_log_names[i]) == 0) {
			*ret_log = (enum conf_log)i;
			return 0;
		}
	}
	return -EINVAL;
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

/* Replaces the string of key k with a copy of s. */
static void
conf_str_set(struct conf_ctx *c, const struct conf_key *k, const char *s)
{
	char *dup;

	if ((dup = strdup(s)) == NULL) {
		yaml_doc_check_nomem(&c->check);
		return;
	}
	free(*conf_str_field(c->conf, k));
	*conf_str_field(c->conf, k) = dup;
}

/* Parses the value n of table key k into c->conf. */
static void
conf_parse_value(struct conf_ctx *c, const struct conf_key *k,
    const struct yaml_doc_node *n)
{
	char *p = (char *)c->conf + k->offset;
	struct yaml_doc_range range = { k->min, k->max,
	    YAML_DOC_RANGE_BETWEEN, k->hint };
	const char *s;
	uint64_t u;

	switch (k->type) {
	case CONF_T_DIR:
	case CONF_T_FILE:
		if ((s = yaml_doc_check_text(&c->check, n, k->name,
		    LIMIT_CONF_PATH_LEN)) == NULL)
			return;
		if (k->type == CONF_T_DIR && s[0] != '/') {
			yaml_doc_check_error(&c->check, n, "%s must be an "
			    "absolute path", k->name);
			return;
		}
		conf_str_set(c, k, s);
		break;
	case CONF_T_USER:
		if ((s = yaml_doc_check_text(&c->check, n, k->name,
		    LIMIT_CONF_USER_LEN)) == NULL)
			return;
		if (!conf_name_valid(s)) {
			yaml_doc_check_error(&c->check, n, "%s '%.64s' may "
			    "only hold letters, digits, '.', '_' and '-', and "
			    "may not start with '-'", k->name, s);
			return;
		}
		conf_str_set(c, k, s);
		break;
	case CONF_T_LOG_LEVEL:
		/* log.c owns the names; this only words the error. */
		if ((s = yaml_doc_check_text(&c->check, n, k->name,
		    LIMIT_SHORT_TEXT_LEN)) == NULL)
			return;
		if (log_level_parse(s, (enum log_level *)(void *)p) < 0)
			yaml_doc_check_error(&c->check, n, "%s must be error, "
			    "warning, info or debug, not '%.64s'", k->name, s);
		break;
	case CONF_T_LOG:
		if ((s = yaml_doc_check_text(&c->check, n, k->name,
		    LIMIT_SHORT_TEXT_LEN)) == NULL)
			return;
		if (conf_log_parse(s, (enum conf_log *)(void *)p) < 0)
			yaml_doc_check_error(&c->check, n, "%s must be stderr, "
			    "syslog or file, not '%.64s'", k->name, s);
		break;
	case CONF_T_U32:
		if (yaml_doc_check_uint(&c->check, n, k->name, &range, &u) ==
		    0)
			*(uint32_t *)(void *)p = (uint32_t)u;
		break;
	case CONF_T_U64:
		if (yaml_doc_check_uint(&c->check, n, k->name, &range, &u) ==
		    0)
			*(uint64_t *)(void *)p = u;
		break;
	case CONF_T_LIST:
		conf_list_parse(&c->check, c->conf, k->name, (size_t)k->max,
		    k->list, n);
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
		yaml_doc_check_error(&c->check, key, "duplicate key '%s' "
		    "(first on line %zu)", conf_keys[i].name,
		    c->seen_key[i]->line);
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
		yaml_doc_check_error(&c->check, key, "duplicate key '%s' "
		    "(first on line %zu)", key->value,
		    c->seen_section[section]->line);
		return;
	}
	c->seen_section[section] = key;
	if (yaml_doc_is_null(m) ||
	    !yaml_doc_check_mapping(&c->check, m, key->value))
		return;
	for (size_t i = 0; i < m->n_items && c->check.r == 0; i += 2) {
		const struct yaml_doc_node *k = m->items[i];
		size_t j = conf_key_find(key->value, k->value);

		if (j == N_KEYS)
			yaml_doc_check_error(&c->check, k, "unknown key "
			    "'%s.%.64s'", key->value, k->value);
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
		yaml_doc_check_error(&c->check, at, "agents.timeout_s (%u) "
		    "must be at least twice agents.report_interval_s (%u)",
		    (unsigned)conf->timeout_s,
		    (unsigned)conf->report_interval_s);
	}
	if (conf->log == CONF_LOG_FILE && conf->log_file == NULL)
		yaml_doc_check_error(&c->check,
		    c->seen[conf_key_find(NULL, "log")],
		    "log: file needs log_file, the file to write");
	if (conf->log != CONF_LOG_FILE && conf->log_file != NULL)
		yaml_doc_check_error(&c->check,
		    c->seen[conf_key_find(NULL, "log_file")],
		    "log_file is only read with log: file");
	if (conf->max_body_memory_bytes < conf->max_body_bytes) {
		at = c->seen[conf_key_find(NULL,
		    "limits.max_body_memory_bytes")];
		if (at == NULL)
			at = c->seen[conf_key_find(NULL,
			    "limits.max_body_bytes")];
		yaml_doc_check_error(&c->check, at,
		    "limits.max_body_memory_bytes (%llu) must be at least "
		    "limits.max_body_bytes (%llu)",
		    (unsigned long long)conf->max_body_memory_bytes,
		    (unsigned long long)conf->max_body_bytes);
	}
}

/* The top mapping: table keys and sections. */
static void
conf_parse_root(struct conf_ctx *c, const struct yaml_doc_node *root)
{
	for (size_t i = 0; i < root->n_items && c->check.r == 0; i += 2) {
		const struct yaml_doc_node *k = root->items[i];
		const struct yaml_doc_node *v = root->items[i + 1];
		size_t j = conf_key_find(NULL, k->value);
		size_t sect = conf_section_find(k->value);

		if (j != N_KEYS && strchr(k->value, '.') == NULL)
			conf_take(c, j, k, v);
		else if (sect != N_KEYS)
			conf_parse_section(c, sect, k, v);
		else
			yaml_doc_check_error(&c->check, k, "unknown key "
			    "'%.64s'", k->value);
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
	yaml_doc_check_init(&c.check, doc, diag);
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

	if (!yaml_doc_is_null(root) &&
	    yaml_doc_check_mapping(&c.check, root, "the configuration"))
		conf_parse_root(&c, root);
	if (c.check.n_errors == 0 && c.check.r == 0)
		conf_cross_check(&c);
	if ((r = yaml_doc_check_result(&c.check)) < 0)
		goto out;

	/* The built-in configuration means the built-in files too. */
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		char **field = conf_str_field(c.conf, k);

		if (k->type != CONF_T_FILE)
			continue;
		/* a file the configuration does not name: the built-in one */
		resolved = path != NULL && c.seen[i] != NULL ?
		    conf_resolve(path, *field) : NULL;
		if (path != NULL && c.seen[i] != NULL && resolved == NULL) {
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
		case CONF_T_USER:
			a = *(char *const *)(const void *)a;
			b = *(char *const *)(const void *)b;
			same = a == NULL || b == NULL ? a == b :
			    strcmp(a, b) == 0;
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
