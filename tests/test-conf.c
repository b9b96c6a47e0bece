/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine/conf.c. With one argument, checks one corpus file of
 * tests/data/conf (ok_* loads cleanly, bad_* gives exactly the messages of
 * the matching .expected file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "event_types.h"
#include "corpus.h"
#include "testutil.h"

/* Writes text to dir/name; returns the path (free()). */
static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	CHECK((path = malloc(strlen(dir) + strlen(name) + 2)) != NULL);
	(void)sprintf(path, "%s/%s", dir, name);
	CHECK((f = fopen(path, "w")) != NULL);
	CHECK(fputs(text, f) >= 0);
	CHECK(fclose(f) == 0);
	return path;
}

/* The values DESIGN.md shows for conf/kics-epp.yaml. */
static void
check_design_values(const struct conf *c)
{
	CHECK(strcmp(c->data_dir, "/var/lib/kics-epp") == 0);
	CHECK_EQ(c->log_level, LOG_LEVEL_INFO);
	CHECK_EQ(c->n_servers, 1);
	CHECK(strcmp(c->servers[0].name, "local") == 0);
	CHECK(strcmp(c->servers[0].address, "127.0.0.1") == 0);
	CHECK_EQ(c->servers[0].port, 8081);
	CHECK(!c->servers[0].verify_client_cert);
	CHECK(c->servers[0].enabled);
	CHECK_EQ(c->servers[0].transport, SERVER_TRANSPORT_HTTPS);
	CHECK_EQ(c->servers[0].udp_port, 8081);
	CHECK(c->servers[0].udp_encryption);
	CHECK_EQ(c->udp_rcvbuf_bytes, 8 * 1024 * 1024);
	CHECK_EQ(c->max_agents, 1000);
	CHECK_EQ(c->report_interval_s, 60);
	CHECK_EQ(c->timeout_s, 180);
	CHECK_EQ(c->max_body_bytes, 4194304);
	CHECK_EQ(c->max_connections, 2000);
	CHECK_EQ(c->idle_timeout_s, 300);
	CHECK_EQ(c->max_devices, 100000);
	CHECK_EQ(c->max_archived_devices, 100000);
	CHECK_EQ(c->max_events, 10000000);
	CHECK_EQ(c->max_interactions, 1000000);
	CHECK_EQ(c->archive_after_days, 30);
	CHECK_EQ(c->n_users, 1);
	CHECK(strcmp(c->users[0].name, "kics-admin") == 0);
	CHECK_EQ(c->users[0].role, ROLE_ADMINISTRATOR);
}

static void
test_roles(void)
{
	enum role r = ROLE_NONE;

	CHECK_EQ(role_parse("administrator", &r), 0);
	CHECK_EQ(r, ROLE_ADMINISTRATOR);
	CHECK_EQ(role_parse("operator", &r), 0);
	CHECK_EQ(r, ROLE_OPERATOR);
	CHECK_EQ(role_parse("none", &r), -EINVAL);
	CHECK_EQ(role_parse("Administrator", &r), -EINVAL);
	CHECK_EQ(r, ROLE_OPERATOR);
	for (int i = ROLE_OPERATOR; i < ROLE_MAX; i++) {
		CHECK_EQ(role_parse(role_name((enum role)i), &r), 0);
		CHECK_EQ(r, i);
	}
	CHECK(strcmp(role_name(ROLE_NONE), "none") == 0);
}

/* conf_load(NULL) parses the built-in file to the DESIGN.md values. */
static void
test_builtin(void)
{
	struct conf *c = NULL;
	struct diag *d;

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(conf_load(NULL, d, &c), 0);
	CHECK_EQ(diag_count(d), 0);
	check_design_values(c);
	CHECK(c->path == NULL);
	CHECK(c->event_types_path == NULL);
	CHECK(c->rules_path == NULL);
	conf_free(c);
	conf_free(NULL);
	diag_free(d);
}

/* The shipped file: same values; the files it names load too. */
static void
test_shipped(void)
{
	struct event_types *t = NULL;
	struct conf *c = NULL;
	struct diag *d;
	char *path = testutil_source_path("conf/kics-epp.yaml");
	char *et = testutil_source_path("conf/event-types.yaml");
	char *rules = testutil_source_path("conf/rules.yaml");

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(conf_load(path, d, &c), 0);
	CHECK_EQ(diag_count(d), 0);
	check_design_values(c);
	CHECK(strcmp(c->path, path) == 0);
	CHECK(strcmp(c->event_types_path, et) == 0);
	CHECK(strcmp(c->rules_path, rules) == 0);
	CHECK_EQ(event_types_load(c->event_types_path, d, &t), 0);
	CHECK_EQ(diag_count(d), 0);
	event_types_free(t);
	conf_free(c);
	diag_free(d);
	free(path);
	free(et);
	free(rules);
}

/*
 * A file without keys gets the table defaults: the same values, and the
 * built-in event types and rules rather than files next to it (issue 10:
 * a minimal configuration failed when they were missing there).
 */
static void
test_empty_file_defaults(void)
{
	struct conf *c = NULL;
	struct diag *d;
	char *dir = testutil_mkdtemp(), *path;

	path = write_file(dir, "empty.yaml", "# nothing\n");
	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(conf_load(path, d, &c), 0);
	CHECK_EQ(diag_count(d), 0);
	check_design_values(c);
	CHECK(c->event_types_path == NULL);
	CHECK(c->rules_path == NULL);
	CHECK(c->log == CONF_LOG_DEFAULT && c->log_file == NULL);
	conf_free(c);
	diag_free(d);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

/* log: file with log_file, resolved next to the configuration. */
static void
test_log_file(void)
{
	struct conf *c = NULL;
	struct diag *d;
	char *dir = testutil_mkdtemp(), *path, *want;

	path = write_file(dir, "log.yaml", "log: file\nlog_file: k.log\n"
	    "event_types: et.yaml\n");
	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(conf_load(path, d, &c), 0);
	CHECK_EQ(diag_count(d), 0);
	CHECK(c->log == CONF_LOG_FILE);
	CHECK((want = malloc(strlen(dir) + 32)) != NULL);
	(void)sprintf(want, "%s/k.log", dir);
	CHECK(strcmp(c->log_file, want) == 0);
	(void)sprintf(want, "%s/et.yaml", dir);
	CHECK(strcmp(c->event_types_path, want) == 0);
	CHECK(c->rules_path == NULL);
	conf_free(c);
	diag_free(d);
	testutil_rmtree(dir);
	free(want);
	free(path);
	free(dir);
}

static void
test_values(void)
{
	static const char text[] =
	    "data_dir: /srv/kics\n"
	    "log_level: debug\n"
	    "integration_servers:\n"
	    "  - {name: a, address: '::', port: 443, verify_client_cert: "
	    "true}\n"
	    "  - {name: b, address: 0.0.0.0, port: 443, enabled: false}\n"
	    "agents: {max_agents: 1, report_interval_s: 10, timeout_s: 20}\n"
	    "limits:\n"
	    "  max_body_bytes: 67108864\n"
	    "  max_events: 1000\n"
	    "users: []\n"
	    "event_types: /etc/x/types.yaml\n"
	    "rules: sub/rules.yaml\n";
	struct conf *c = NULL;
	struct diag *d;
	char *dir = testutil_mkdtemp(), *path, *want;

	path = write_file(dir, "values.yaml", text);
	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(conf_load(path, d, &c), 0);
	CHECK_EQ(diag_count(d), 0);
	CHECK(strcmp(c->data_dir, "/srv/kics") == 0);
	CHECK_EQ(c->log_level, LOG_LEVEL_DEBUG);
	CHECK_EQ(c->n_servers, 2);
	CHECK(strcmp(c->servers[0].address, "::") == 0);
	CHECK(c->servers[0].verify_client_cert);
	CHECK(c->servers[0].enabled);
	CHECK(!c->servers[1].verify_client_cert);
	CHECK(!c->servers[1].enabled);
	CHECK_EQ(c->servers[1].port, 443);
	CHECK_EQ(c->max_agents, 1);
	CHECK_EQ(c->timeout_s, 20);
	CHECK_EQ(c->max_body_bytes, 64 * 1024 * 1024);
	CHECK_EQ(c->max_events, 1000);
	CHECK_EQ(c->max_interactions, 1000000);
	CHECK_EQ(c->n_users, 0);
	CHECK(strcmp(c->event_types_path, "/etc/x/types.yaml") == 0);
	CHECK((want = malloc(strlen(dir) + 32)) != NULL);
	(void)sprintf(want, "%s/sub/rules.yaml", dir);
	CHECK(strcmp(c->rules_path, want) == 0);
	conf_free(c);
	diag_free(d);
	testutil_rmtree(dir);
	free(want);
	free(path);
	free(dir);
}

static void
test_missing_file(void)
{
	struct conf *c = NULL;
	struct diag *d;

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(conf_load("/nonexistent/kics-epp.yaml", d, &c), -ENOENT);
	CHECK(c == NULL);
	CHECK_EQ(diag_count(d), 1);
	CHECK(strncmp(diag_get(d, 0), "/nonexistent/kics-epp.yaml: cannot "
	    "read: ", 40) == 0);
	diag_free(d);
}

static void
test_reload(void)
{
	struct conf *a = NULL, *b = NULL, *e = NULL;
	struct diag *d;
	char *dir = testutil_mkdtemp(), *p1, *p2;

	p1 = write_file(dir, "a.yaml", "log_level: debug\nlimits: "
	    "{max_events: 5000}\nusers: []\n");
	p2 = write_file(dir, "b.yaml", "data_dir: /elsewhere\nlimits: "
	    "{max_connections: 10}\n");
	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(conf_load(NULL, d, &e), 0);
	CHECK_EQ(conf_load(p1, d, &a), 0);
	CHECK_EQ(conf_load(p2, d, &b), 0);
	CHECK_EQ(diag_count(d), 0);
	CHECK_EQ(conf_check_reload(e, a, d), 0);
	CHECK_EQ(diag_count(d), 0);
	CHECK_EQ(conf_check_reload(e, b, d), -EINVAL);
	CHECK_EQ(diag_count(d), 2);
	CHECK(strstr(diag_get(d, 0), "b.yaml: data_dir cannot change on "
	    "reload") != NULL);
	CHECK(strstr(diag_get(d, 1), "b.yaml: limits.max_connections cannot "
	    "change on reload") != NULL);
	conf_free(a);
	conf_free(b);
	conf_free(e);
	diag_free(d);
	testutil_rmtree(dir);
	free(p1);
	free(p2);
	free(dir);
}

/* Reads a whole file into a NUL-terminated string (free()). */
static int
conf_load_obj(const char *path, struct diag *d, void **ret)
{
	struct conf *c = NULL;
	int r = conf_load(path, d, &c);

	*ret = c;
	return r;
}

static void
conf_check_ok(void *obj)
{
	const struct conf *c = obj;

	CHECK(c->timeout_s >= 2 * c->report_interval_s);
}

static void
conf_free_obj(void *obj)
{
	conf_free(obj);
}

/* One corpus file (tests/corpus.c). */
static int
corpus(const char *path)
{
	static const struct corpus_ops ops = {
		conf_load_obj, conf_check_ok, conf_free_obj,
	};

	return corpus_run(path, &ops);
}

int
main(int argc, char **argv)
{
	if (argc == 2)
		return corpus(argv[1]);
	RUN(test_roles);
	RUN(test_builtin);
	RUN(test_shipped);
	RUN(test_empty_file_defaults);
	RUN(test_log_file);
	RUN(test_values);
	RUN(test_missing_file);
	RUN(test_reload);
	return 0;
}
