/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine/event_types.c and engine/yaml_doc.c. With one argument,
 * checks one corpus file of tests/data/event-types (ok_* loads cleanly,
 * bad_* gives exactly the messages of the matching .expected file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_types.h"
#include "kics_limits.h"
#include "corpus.h"
#include "testutil.h"
#include "yaml_doc.h"

static const char *const system_categories[] = {
	EVENT_AGENT_CONNECTED, EVENT_AGENT_DISCONNECTED, EVENT_DEVICE_ADDED,
	EVENT_DEVICE_CHANGED, EVENT_IP_MOVED, EVENT_DUPLICATE_AGENT,
	EVENT_AGENT_LIMIT, EVENT_DEVICE_LIMIT, EVENT_DEVICE_ARCHIVED,
	EVENT_SERVER_ADDED, EVENT_SERVER_CHANGED, EVENT_SERVER_REMOVED,
	EVENT_CERT_EXPIRING, EVENT_CONFIG_REJECTED, EVENT_IP_CONFLICT,
	EVENT_ARCHIVED_ACTIVITY, EVENT_SERVER_ERROR,
};
#define N_SYSTEM (sizeof(system_categories) / sizeof(system_categories[0]))

/* Writes text to dir/name; returns the path (free()). */
static char *
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char *path;
	FILE *f;

	CHECK((path = malloc(strlen(dir) + strlen(name) + 2)) != NULL);
	(void)sprintf(path, "%s/%s", dir, name);
	CHECK((f = fopen(path, "w")) != NULL);
	CHECK(fwrite(text, 1, len, f) == len);
	CHECK(fclose(f) == 0);
	return path;
}

/* True when some message of d contains needle. */
static int
diag_has(const struct diag *d, const char *needle)
{
	for (size_t i = 0; i < diag_count(d); i++)
		if (strstr(diag_get(d, i), needle) != NULL)
			return 1;
	return 0;
}

static void
test_severity_names(void)
{
	enum severity s;

	for (int i = SEVERITY_INFO; i < SEVERITY_MAX; i++) {
		CHECK_EQ(severity_parse(severity_name((enum severity)i), &s),
		    0);
		CHECK_EQ(s, i);
	}
	CHECK(strcmp(severity_name(SEVERITY_WARNING), "warning") == 0);
	s = SEVERITY_INFO;
	CHECK_EQ(severity_parse("Warning", &s), -EINVAL);
	CHECK_EQ(severity_parse("", &s), -EINVAL);
	CHECK_EQ(s, SEVERITY_INFO);
}

/* The six codes and titles of DESIGN.md. */
static void
check_design_types(const struct event_types *t)
{
	static const struct {
		const char *category, *title;
		long long code;
	} want[] = {
		{ "network_attack",
		  "Activity specific for network attacks", 4000005500 },
		{ "untrusted_device",
		  "Connection of an untrusted external device", 4000005501 },
		{ "unauthorized_application",
		  "Attempt to run an unauthorized or untrusted application",
		  4000005502 },
		{ "prohibited_file_operation",
		  "Prohibited file operation in the specified monitoring "
		  "scope", 4000005503 },
		{ "file_modified",
		  "Files in the specified monitoring scope are modified",
		  4000005504 },
		{ "firewall_blocked",
		  "Network connection not allowed by firewall rules",
		  4000005505 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct event_type *e;

		e = event_types_find(t, want[i].category);
		CHECK(strcmp(e->category, want[i].category) == 0);
		CHECK(strcmp(e->title, want[i].title) == 0);
		CHECK_EQ(e->code, want[i].code);
		CHECK_EQ(e->technology, TECHNOLOGY_EPP);
	}
}

/* Every system category and the generic entry are there. */
static void
check_complete(const struct event_types *t, int builtin_generic)
{
	const struct event_type *g, *e;

	g = event_types_find(t, EVENT_CATEGORY_GENERIC);
	CHECK(strcmp(g->category, "*") == 0);
	if (builtin_generic) {
		CHECK(strcmp(g->title, "EPP event") == 0);
		CHECK_EQ(g->severity, SEVERITY_INFO);
	}
	CHECK_EQ(g->technology, TECHNOLOGY_EPP);
	CHECK(event_types_find(t, "no_such_category") == g);
	CHECK(event_types_find(t, "") == g);
	CHECK(event_types_find(t, NULL) == g);
	for (size_t i = 0; i < N_SYSTEM; i++) {
		e = event_types_find(t, system_categories[i]);
		CHECK(e != g);
		CHECK(strcmp(e->category, system_categories[i]) == 0);
		CHECK_EQ(e->technology, TECHNOLOGY_SYSTEM);
		/* issue 12: an own code, or the product's for this type */
		CHECK((e->code >= EVENT_CODE_OWN_MIN &&
		    e->code <= EVENT_CODE_OWN_MAX) ||
		    (event_types_documented(e->code) != NULL &&
		    strcmp(event_types_documented(e->code), e->category) ==
		    0));
	}
}

/* Issue 12: the asset-management codes the product documents. */
static void
check_asset_types(const struct event_types *t)
{
	static const struct {
		const char *category;
		long long code;
		enum severity severity;
	} want[] = {
		{ EVENT_DEVICE_ADDED, 4000005003, SEVERITY_INFO },
		{ EVENT_DEVICE_CHANGED, 4000005004, SEVERITY_INFO },
		{ EVENT_IP_CONFLICT, 4000005005, SEVERITY_WARNING },
		{ EVENT_ARCHIVED_ACTIVITY, 4000005006, SEVERITY_WARNING },
		{ EVENT_IP_MOVED, 4000005007, SEVERITY_INFO },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct event_type *e = event_types_find(t,
		    want[i].category);

		CHECK(strcmp(e->category, want[i].category) == 0);
		CHECK_EQ(e->code, want[i].code);
		CHECK_EQ(e->severity, want[i].severity);
		CHECK_EQ(e->technology, TECHNOLOGY_SYSTEM);
	}
	/* every other type of the built-in list is one of our own */
	CHECK_EQ(event_types_find(t, EVENT_CATEGORY_GENERIC)->code,
	    4900005549);
	CHECK_EQ(event_types_find(t, EVENT_AGENT_CONNECTED)->code, 4900005550);
	CHECK_EQ(event_types_find(t, EVENT_SERVER_ERROR)->code, 4900005564);
	CHECK(event_types_documented(4000002700) != NULL &&
	    strcmp(event_types_documented(4000002700), "no_traffic") == 0);
	CHECK(event_types_documented(4000005552) == NULL);
}

static void
test_default(void)
{
	struct event_types *t = NULL;
	struct diag *d;
	const char *epp[] = { "threat_detected", "protection_disabled",
	    "bases_outdated", "scan_completed", "application_state" };

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(event_types_load_default(d, &t), 0);
	CHECK_EQ(diag_count(d), 0);
	check_design_types(t);
	check_asset_types(t);
	check_complete(t, 1);
	for (size_t i = 0; i < sizeof(epp) / sizeof(epp[0]); i++) {
		const struct event_type *e = event_types_find(t, epp[i]);

		CHECK(strcmp(e->category, epp[i]) == 0);
		CHECK(e->code >= 4900005506 && e->code <= 4900005548);
	}
	CHECK_EQ(event_types_find(t, EVENT_AGENT_LIMIT)->severity,
	    SEVERITY_WARNING);
	CHECK_EQ(event_types_find(t, EVENT_DUPLICATE_AGENT)->severity,
	    SEVERITY_WARNING);
	CHECK_EQ(event_types_find(t, EVENT_DEVICE_LIMIT)->severity,
	    SEVERITY_WARNING);
	CHECK_EQ(event_types_find(t, EVENT_CERT_EXPIRING)->severity,
	    SEVERITY_WARNING);
	CHECK_EQ(event_types_find(t, EVENT_AGENT_CONNECTED)->severity,
	    SEVERITY_INFO);
	CHECK_EQ(event_types_find(t, EVENT_DEVICE_ADDED)->severity,
	    SEVERITY_INFO);
	event_types_free(t);
	event_types_free(NULL);
	diag_free(d);
}

/* The shipped file loads and says the same as the built-in copy. */
static void
test_shipped_file(void)
{
	struct event_types *t = NULL, *b = NULL;
	struct diag *d;
	char *path = testutil_source_path("conf/event-types.yaml");
	const char *cats[] = { "network_attack", "threat_detected",
	    "object_quarantined", "update_failed", "license_expiring",
	    EVENT_IP_MOVED, EVENT_CONFIG_REJECTED, "*" };

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(event_types_load(path, d, &t), 0);
	CHECK_EQ(diag_count(d), 0);
	CHECK_EQ(event_types_load_default(d, &b), 0);
	check_design_types(t);
	check_complete(t, 1);
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
		const struct event_type *x = event_types_find(t, cats[i]);
		const struct event_type *y = event_types_find(b, cats[i]);

		CHECK(strcmp(x->category, cats[i]) == 0);
		CHECK(strcmp(x->category, y->category) == 0);
		CHECK(strcmp(x->title, y->title) == 0);
		CHECK_EQ(x->code, y->code);
		CHECK_EQ(x->severity, y->severity);
	}
	event_types_free(t);
	event_types_free(b);
	diag_free(d);
	free(path);
}

/* A file with only its own EPP types gets the system and generic ones. */
static void
test_fill_from_default(void)
{
	static const char text[] =
	    "event_types:\n"
	    "  - code: 4900005520\n"
	    "    category: my_type\n"
	    "    title: Mine\n"
	    "    severity: critical\n";
	struct event_types *t = NULL;
	const struct event_type *e;
	struct diag *d;
	char *dir = testutil_mkdtemp(), *path;

	path = write_file(dir, "et.yaml", text, sizeof(text) - 1);
	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(event_types_load(path, d, &t), 0);
	CHECK_EQ(diag_count(d), 0);
	e = event_types_find(t, "my_type");
	CHECK_EQ(e->code, 4900005520);
	CHECK(strcmp(e->title, "Mine") == 0);
	CHECK_EQ(e->severity, SEVERITY_CRITICAL);
	CHECK_EQ(e->technology, TECHNOLOGY_EPP);
	check_complete(t, 1);
	/* Built-in EPP types are not filled in: only system and generic. */
	CHECK(event_types_find(t, "network_attack") ==
	    event_types_find(t, "*"));
	event_types_free(t);
	diag_free(d);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

/* A file's own entries win over the built-in ones. */
static void
test_overrides(void)
{
	struct event_types *t = NULL;
	const struct event_type *e;
	struct diag *d;
	char *path;

	path = testutil_source_path("tests/data/event-types/ok_overrides.yaml");
	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(event_types_load(path, d, &t), 0);
	e = event_types_find(t, "unknown_category");
	CHECK(strcmp(e->title, "Something from an EPP application") == 0);
	CHECK_EQ(e->severity, SEVERITY_WARNING);
	e = event_types_find(t, EVENT_AGENT_CONNECTED);
	CHECK(strcmp(e->title, "Agent is back") == 0);
	CHECK_EQ(e->severity, SEVERITY_WARNING);
	CHECK_EQ(e->technology, TECHNOLOGY_SYSTEM);
	e = event_types_find(t, "network_attack");
	CHECK(strcmp(e->title, "Attack") == 0);
	CHECK_EQ(e->severity, SEVERITY_CRITICAL);
	/* Not overridden: from the built-in list. */
	e = event_types_find(t, EVENT_AGENT_DISCONNECTED);
	CHECK(strcmp(e->title, "Agent disconnected") == 0);
	event_types_free(t);
	diag_free(d);
	free(path);
}

static void
test_unreadable(void)
{
	struct event_types *t = NULL;
	struct diag *d;
	char *dir = testutil_mkdtemp(), *path, want[4200];

	CHECK((d = diag_new()) != NULL);
	(void)snprintf(want, sizeof(want), "%s/missing.yaml", dir);
	CHECK_EQ(event_types_load(want, d, &t), -ENOENT);
	CHECK(t == NULL);
	CHECK_EQ(diag_count(d), 1);
	(void)snprintf(want, sizeof(want),
	    "%s/missing.yaml: cannot read: %s", dir, strerror(ENOENT));
	CHECK(strcmp(diag_get(d, 0), want) == 0);

	/* A directory cannot be read as a file. */
	CHECK_EQ(event_types_load(dir, d, &t), -EIO);
	CHECK_EQ(diag_count(d), 2);

	path = write_file(dir, "secret.yaml", "event_types: []\n", 16);
	CHECK(chmod(path, 0) == 0);
	if (geteuid() != 0) {
		CHECK_EQ(event_types_load(path, d, &t), -EACCES);
		CHECK_EQ(diag_count(d), 3);
		CHECK(diag_has(d, "cannot read"));
	}
	CHECK(t == NULL);
	testutil_rmtree(dir);
	free(path);
	free(dir);
	diag_free(d);
}

static void
test_too_many(void)
{
	struct event_types *t = NULL;
	struct diag *d;
	char *dir = testutil_mkdtemp(), *path, *text, want[128];
	size_t len = 0, n = LIMIT_EVENT_TYPES + 1;

	/* Distinct categories; codes repeat, so duplicates are reported
	 * too, but the limit message must be there, once. */
	CHECK((text = malloc(64 + n * 96)) != NULL);
	len += (size_t)sprintf(text + len, "event_types:\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "- {code: %zu, "
		    "category: c%zu, title: T}\n", 4900005500 + i % 50, i);
	path = write_file(dir, "many.yaml", text, len);
	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(event_types_load(path, d, &t), -EINVAL);
	CHECK(t == NULL);
	(void)snprintf(want, sizeof(want), "many.yaml:%zu:3: more than %d "
	    "event types", n + 1, LIMIT_EVENT_TYPES);
	CHECK(diag_has(d, want));
	/* Only the first LIMIT_EVENT_TYPES entries are checked: 1000 - 50
	 * duplicate codes, plus the limit. */
	CHECK_EQ(diag_count(d), LIMIT_EVENT_TYPES - 50 + 1);
	event_types_free(t);
	diag_free(d);
	testutil_rmtree(dir);
	free(text);
	free(path);
	free(dir);
}

static void
test_yaml_limits(void)
{
	struct yaml_doc *doc = NULL;
	struct diag *d;
	char *text;
	size_t n;

	CHECK((d = diag_new()) != NULL);

	/* LIMIT_YAML_DEPTH levels are fine, one more is not. */
	n = LIMIT_YAML_DEPTH;
	CHECK((text = malloc(2 * n + 2)) != NULL);
	memset(text, '[', n);
	memset(text + n, ']', n);
	CHECK_EQ(yaml_doc_load_string("deep", text, 2 * n, d, &doc), 0);
	CHECK_EQ(diag_count(d), 0);
	yaml_doc_free(doc);
	doc = NULL;
	memset(text, '[', n + 1);
	memset(text + n + 1, ']', n + 1);
	CHECK_EQ(yaml_doc_load_string("deep", text, 2 * n + 2, d, &doc),
	    -EINVAL);
	CHECK(doc == NULL);
	CHECK_EQ(diag_count(d), 1);
	CHECK(strcmp(diag_get(d, 0), "deep:1:33: nesting deeper than 32 "
	    "levels") == 0);
	free(text);

	/* Size: LIMIT_YAML_FILE_BYTES + 1 is refused before parsing. */
	CHECK((text = malloc(LIMIT_YAML_FILE_BYTES + 1)) != NULL);
	memset(text, ' ', LIMIT_YAML_FILE_BYTES + 1);
	CHECK_EQ(yaml_doc_load_string("big", text, LIMIT_YAML_FILE_BYTES + 1,
	    d, &doc), -EINVAL);
	CHECK(doc == NULL);
	CHECK_EQ(diag_count(d), 2);
	CHECK(strcmp(diag_get(d, 1), "big: file is larger than 4194304 "
	    "bytes") == 0);
	/* Exactly the limit of blanks is an empty document. */
	CHECK_EQ(yaml_doc_load_string("big", text, LIMIT_YAML_FILE_BYTES, d,
	    &doc), 0);
	CHECK(doc->root == NULL);
	yaml_doc_free(doc);
	doc = NULL;
	free(text);

	/* Node count: a flow list of LIMIT_YAML_NODES scalars is one too
	 * many (the list itself is a node). */
	n = LIMIT_YAML_NODES;
	CHECK((text = malloc(2 * n + 2)) != NULL);
	text[0] = '[';
	for (size_t i = 0; i < n; i++) {
		text[1 + 2 * i] = '1';
		text[2 + 2 * i] = ',';
	}
	text[2 * n] = ']';
	CHECK_EQ(yaml_doc_load_string("nodes", text, 2 * n + 1, d, &doc),
	    -EINVAL);
	CHECK(doc == NULL);
	CHECK_EQ(diag_count(d), 3);
	CHECK(strstr(diag_get(d, 2), "more than 262144 nodes") != NULL);
	free(text);
	diag_free(d);
}

static void
test_yaml_values(void)
{
	static const char text[] =
	    "a: 123\n"
	    "b: '123'\n"
	    "c: 0123\n"
	    "d: 18446744073709551616\n"
	    "e: true\n"
	    "f: 'true'\n"
	    "g: ~\n"
	    "h: \"x\\0y\"\n"
	    "i: !!str 5\n";
	struct yaml_doc *doc = NULL;
	const struct yaml_doc_node *r;
	struct diag *d;
	uint64_t u = 7;
	bool b = false;

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(yaml_doc_load_string("v", text, sizeof(text) - 1, d, &doc),
	    0);
	r = doc->root;
	CHECK_EQ(r->kind, YAML_DOC_MAPPING);
	CHECK_EQ(r->n_items, 18);
	CHECK_EQ(r->items[1]->line, 1);
	CHECK_EQ(r->items[1]->column, 4);
	CHECK_EQ(yaml_doc_get_uint(r->items[1], 0, 1000, &u), 0);
	CHECK_EQ(u, 123);
	CHECK_EQ(yaml_doc_get_uint(r->items[1], 0, 100, &u), -ERANGE);
	CHECK_EQ(yaml_doc_get_uint(r->items[3], 0, 1000, &u), -EINVAL);
	CHECK_EQ(yaml_doc_get_uint(r->items[5], 0, 1000, &u), -EINVAL);
	CHECK_EQ(yaml_doc_get_uint(r->items[7], 0, UINT64_MAX, &u), -ERANGE);
	CHECK_EQ(yaml_doc_get_uint(r, 0, 1000, &u), -EINVAL);
	CHECK_EQ(u, 123);
	CHECK_EQ(yaml_doc_get_bool(r->items[9], &b), 0);
	CHECK(b);
	CHECK_EQ(yaml_doc_get_bool(r->items[11], &b), -EINVAL);
	CHECK(yaml_doc_is_null(r->items[13]));
	CHECK(!yaml_doc_is_null(r->items[11]));
	CHECK(yaml_doc_get_string(r->items[15]) == NULL);
	CHECK(strcmp(yaml_doc_get_string(r->items[17]), "5") == 0);
	CHECK_EQ(yaml_doc_get_uint(r->items[17], 0, 10, &u), -EINVAL);
	CHECK(strcmp(yaml_doc_kind_name(r->kind), "a mapping") == 0);
	yaml_doc_free(doc);
	yaml_doc_free(NULL);
	diag_free(d);
}

/* Reads a whole file into a NUL-terminated string (free()). */
static int
types_load_obj(const char *path, struct diag *d, void **ret)
{
	struct event_types *t = NULL;
	int r = event_types_load(path, d, &t);

	*ret = t;
	return r;
}

static void
types_check_ok(void *obj)
{
	check_complete(obj, 0);
}

static void
types_free_obj(void *obj)
{
	event_types_free(obj);
}

/* One corpus file (tests/corpus.c). */
static int
corpus(const char *path)
{
	static const struct corpus_ops ops = {
		types_load_obj, types_check_ok, types_free_obj,
	};

	return corpus_run(path, &ops);
}

int
main(int argc, char **argv)
{
	if (argc == 2)
		return corpus(argv[1]);
	RUN(test_severity_names);
	RUN(test_default);
	RUN(test_shipped_file);
	RUN(test_fill_from_default);
	RUN(test_overrides);
	RUN(test_unreadable);
	RUN(test_too_many);
	RUN(test_yaml_limits);
	RUN(test_yaml_values);
	return 0;
}
