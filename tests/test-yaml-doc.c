/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the YAML checking kit (engine/conf/yaml_doc_check.c): each
 * helper's success, wrong types, ranges, unknown and duplicate keys, and
 * the exact "file:line:column: message" it reports.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "testutil.h"
#include "yaml_doc.h"

/* One document being checked, and where its messages go. */
struct fixture {
	struct diag		*diag;
	struct yaml_doc		*doc;
	struct yaml_doc_check	 check;
};

static void
fixture_init(struct fixture *f, const char *text)
{
	CHECK((f->diag = diag_new()) != NULL);
	CHECK_EQ(yaml_doc_load_string("t.yaml", text, strlen(text), f->diag,
	    &f->doc), 0);
	yaml_doc_check_init(&f->check, f->doc, f->diag);
}

static void
fixture_fini(struct fixture *f)
{
	yaml_doc_free(f->doc);
	diag_free(f->diag);
}

/* The value of key in the top mapping, which must have it. */
static const struct yaml_doc_node *
value(const struct fixture *f, const char *key)
{
	const struct yaml_doc_node *root = f->doc->root;

	for (size_t i = 0; i < root->n_items; i += 2)
		if (strcmp(root->items[i]->value, key) == 0)
			return root->items[i + 1];
	CHECK(!"no such key");
	return NULL;
}

/* Checks that message i is want and that it is the last one so far. */
static void
last_is(const struct fixture *f, size_t i, const char *want)
{
	const char *got = diag_get(f->diag, i);

	if (got == NULL || strcmp(got, want) != 0)
		(void)fprintf(stderr, "got:  %s\nwant: %s\n",
		    got != NULL ? got : "(none)", want);
	CHECK(got != NULL && strcmp(got, want) == 0);
	CHECK_EQ(diag_count(f->diag), i + 1);
	CHECK_EQ(f->check.n_errors, i + 1);
}

static const char scalars[] =
    "a: 12\n"
    "b: '12'\n"
    "c: [1]\n"
    "d: x12\n"
    "e: 70000\n"
    "f: true\n"
    "g: yes\n"
    "h: \"\"\n"
    "i: \"a\\0b\"\n"
    "j: abcdefghij\n"
    "k: {x: 1}\n";

static void
test_error_and_result(void)
{
	struct fixture f;

	fixture_init(&f, scalars);
	CHECK_EQ(yaml_doc_check_result(&f.check), 0);
	yaml_doc_check_error(&f.check, value(&f, "e"), "bad %s", "e");
	last_is(&f, 0, "t.yaml:5:4: bad e");
	yaml_doc_check_error(&f.check, NULL, "whole file");
	last_is(&f, 1, "t.yaml: whole file");
	CHECK_EQ(yaml_doc_check_result(&f.check), -EINVAL);
	yaml_doc_check_nomem(&f.check);
	CHECK_EQ(yaml_doc_check_result(&f.check), -ENOMEM);
	fixture_fini(&f);
}

static void
test_text(void)
{
	struct fixture f;
	const char *s;

	fixture_init(&f, scalars);
	CHECK((s = yaml_doc_check_text(&f.check, value(&f, "d"), "d", 3)) !=
	    NULL);
	CHECK(strcmp(s, "x12") == 0);
	CHECK_EQ(f.check.n_errors, 0);
	CHECK(yaml_doc_check_text(&f.check, value(&f, "k"), "k", 9) == NULL);
	last_is(&f, 0, "t.yaml:11:4: k must be a string, not a mapping");
	CHECK(yaml_doc_check_text(&f.check, value(&f, "i"), "i", 9) == NULL);
	last_is(&f, 1, "t.yaml:9:4: i contains a NUL byte");
	CHECK(yaml_doc_check_text(&f.check, value(&f, "h"), "h", 9) == NULL);
	last_is(&f, 2, "t.yaml:8:4: h must not be empty");
	CHECK(yaml_doc_check_text(&f.check, value(&f, "j"), "j", 5) == NULL);
	last_is(&f, 3, "t.yaml:10:4: j is longer than 5 bytes");
	CHECK_EQ(yaml_doc_check_result(&f.check), -EINVAL);
	fixture_fini(&f);
}

static void
test_uint_types(void)
{
	static const struct yaml_doc_range r = {
		1, 100, YAML_DOC_RANGE_BETWEEN, NULL
	};
	struct fixture f;
	uint64_t u = 7;

	fixture_init(&f, scalars);
	CHECK_EQ(yaml_doc_check_uint(&f.check, value(&f, "a"), "a", &r, &u),
	    0);
	CHECK_EQ(u, 12);
	u = 7;
	CHECK_EQ(yaml_doc_check_uint(&f.check, value(&f, "b"), "b", &r, &u),
	    -EINVAL);
	last_is(&f, 0, "t.yaml:2:4: b must be an integer, not a quoted "
	    "string");
	CHECK_EQ(yaml_doc_check_uint(&f.check, value(&f, "c"), "c", &r, &u),
	    -EINVAL);
	last_is(&f, 1, "t.yaml:3:4: c must be an integer, not a list");
	CHECK_EQ(yaml_doc_check_uint(&f.check, value(&f, "d"), "d", &r, &u),
	    -EINVAL);
	last_is(&f, 2, "t.yaml:4:4: d must be an integer, not 'x12'");
	CHECK_EQ(u, 7);		/* untouched on error */
	fixture_fini(&f);
}

static void
test_uint_range(void)
{
	static const struct yaml_doc_range between = {
		1, 65535, YAML_DOC_RANGE_BETWEEN, NULL
	};
	static const struct yaml_doc_range hinted = {
		1, 65535, YAML_DOC_RANGE_BETWEEN, "a TCP port"
	};
	static const struct yaml_doc_range outside = {
		1, 100, YAML_DOC_RANGE_OUTSIDE, NULL
	};
	static const struct yaml_doc_range type = {
		0, 100, YAML_DOC_RANGE_TYPE, NULL
	};
	struct fixture f;
	const struct yaml_doc_node *e;
	uint64_t u = 7;

	fixture_init(&f, scalars);
	e = value(&f, "e");
	CHECK_EQ(yaml_doc_check_uint(&f.check, e, "e", &between, &u), -EINVAL);
	last_is(&f, 0, "t.yaml:5:4: e must be between 1 and 65535");
	CHECK_EQ(yaml_doc_check_uint(&f.check, e, "e", &hinted, &u), -EINVAL);
	last_is(&f, 1, "t.yaml:5:4: e must be between 1 and 65535 (a TCP "
	    "port)");
	CHECK_EQ(yaml_doc_check_uint(&f.check, e, "e", &outside, &u), -EINVAL);
	last_is(&f, 2, "t.yaml:5:4: e 70000 is outside 1..100");
	CHECK_EQ(yaml_doc_check_uint(&f.check, e, "e", &type, &u), -EINVAL);
	last_is(&f, 3, "t.yaml:5:4: e must be an integer, not '70000'");
	CHECK_EQ(u, 7);
	fixture_fini(&f);
}

static void
test_bool(void)
{
	struct fixture f;
	bool b = false;

	fixture_init(&f, scalars);
	CHECK_EQ(yaml_doc_check_bool(&f.check, value(&f, "f"), "f", &b), 0);
	CHECK(b);
	CHECK_EQ(yaml_doc_check_bool(&f.check, value(&f, "g"), "g", &b),
	    -EINVAL);
	last_is(&f, 0, "t.yaml:7:4: g must be true or false, not 'yes'");
	CHECK_EQ(yaml_doc_check_bool(&f.check, value(&f, "c"), "c", &b),
	    -EINVAL);
	last_is(&f, 1, "t.yaml:3:4: c must be true or false, not a list");
	CHECK(b);
	fixture_fini(&f);
}

static void
test_names(void)
{
	static const struct yaml_doc_name levels[] = {
		{ "low", 1 }, { "mid", 2 }, { "high", 3 },
	};
	static const struct yaml_doc_name onoff[] = {
		{ "on", 1 }, { "off", 0 },
	};
	struct fixture f;
	int v = -1;

	CHECK_EQ(yaml_doc_name_find(levels, 3, "high", &v), 0);
	CHECK_EQ(v, 3);
	CHECK_EQ(yaml_doc_name_find(levels, 3, "HIGH", &v), -EINVAL);
	CHECK(strcmp(yaml_doc_name_of(levels, 3, 2), "mid") == 0);
	CHECK(yaml_doc_name_of(levels, 3, 4) == NULL);

	fixture_init(&f, "l: mid\nm: top\nn: [x]\no: maybe\n");
	CHECK_EQ(yaml_doc_check_name(&f.check, value(&f, "l"), "level", 8,
	    levels, 3, &v), 0);
	CHECK_EQ(v, 2);
	CHECK_EQ(yaml_doc_check_name(&f.check, value(&f, "m"), "level", 8,
	    levels, 3, &v), -EINVAL);
	last_is(&f, 0, "t.yaml:2:4: unknown level 'top' (expected low, mid "
	    "or high)");
	CHECK_EQ(yaml_doc_check_name(&f.check, value(&f, "n"), "level", 8,
	    levels, 3, &v), -EINVAL);
	last_is(&f, 1, "t.yaml:3:4: level must be a string, not a list");
	CHECK_EQ(yaml_doc_check_name(&f.check, value(&f, "o"), "switch", 8,
	    onoff, 2, &v), -EINVAL);
	last_is(&f, 2, "t.yaml:4:4: unknown switch 'maybe' (expected on or "
	    "off)");
	CHECK_EQ(v, 2);
	fixture_fini(&f);
}

static void
test_mapping_and_list(void)
{
	struct fixture f;
	size_t n = 99;

	fixture_init(&f, "m: {a: 1}\nl: [1, 2]\nz: ~\ns: x\n");
	CHECK(yaml_doc_check_mapping(&f.check, value(&f, "m"), "m"));
	CHECK(!yaml_doc_check_mapping(&f.check, value(&f, "l"), "an item"));
	last_is(&f, 0, "t.yaml:2:4: an item must be a mapping, not a list");
	CHECK(yaml_doc_check_list(&f.check, value(&f, "l"), "l", &n));
	CHECK_EQ(n, 2);
	CHECK(yaml_doc_check_list(&f.check, value(&f, "z"), "z", &n));
	CHECK_EQ(n, 0);
	n = 99;
	CHECK(!yaml_doc_check_list(&f.check, value(&f, "s"), "s", &n));
	last_is(&f, 1, "t.yaml:4:4: s must be a list, not a scalar");
	CHECK_EQ(n, 99);
	fixture_fini(&f);
}

/* A mapping with a missing, a repeated and an unknown key. */
static const char keyed[] =
    "name: x\n"
    "port: 1\n"
    "name: y\n"
    "colour: red\n"
    "list:\n"
    "  - 1\n"
    "list: 2\n";

enum { K_NAME, K_HOST, K_PORT, K_LIST, K_MAX };
static const char *const key_names[K_MAX] = { "name", "host", "port",
    "list" };

/* Walks keyed with keys; want[i] is the index expected for item 2 * i. */
static void
walk(struct fixture *f, const struct yaml_doc_keys *keys,
    const size_t *want)
{
	const struct yaml_doc_node *v[K_MAX] = { NULL };
	const struct yaml_doc_node *m = f->doc->root;

	yaml_doc_check_keys(&f->check, m, keys, v);
	CHECK(v[K_NAME] == m->items[1]);
	CHECK(v[K_HOST] == NULL);
	CHECK(v[K_LIST] == m->items[9]);
	for (size_t i = 0; i < m->n_items; i += 2)
		CHECK_EQ(yaml_doc_check_key(&f->check, m, i, keys, v),
		    want[i / 2]);
}

static void
test_keys_plain(void)
{
	static const struct yaml_doc_keys keys = {
		.names = key_names,
		.n_names = K_MAX,
		.n_required = K_HOST + 1,
	};
	static const size_t want[6] = { K_NAME, K_PORT, K_MAX, K_MAX, K_LIST,
	    K_MAX };
	struct fixture f;

	fixture_init(&f, keyed);
	walk(&f, &keys, want);
	CHECK_EQ(diag_count(f.diag), 4);
	CHECK(strcmp(diag_get(f.diag, 0), "t.yaml:1:1: missing required key "
	    "'host'") == 0);
	CHECK(strcmp(diag_get(f.diag, 1), "t.yaml:3:1: duplicate key 'name' "
	    "(first on line 1)") == 0);
	CHECK(strcmp(diag_get(f.diag, 2), "t.yaml:4:1: unknown key "
	    "'colour'") == 0);
	/* The first list's value starts on the line after its key. */
	CHECK(strcmp(diag_get(f.diag, 3), "t.yaml:7:1: duplicate key 'list' "
	    "(first on line 6)") == 0);
	fixture_fini(&f);
}

static void
test_keys_worded(void)
{
	static const struct yaml_doc_keys keys = {
		.names = key_names,
		.n_names = K_MAX,
		.what = "thing key",
		.prefix = "p.",
		.expected = true,
		.first_key_line = true,
	};
	static const size_t want[6] = { K_NAME, K_PORT, K_MAX, K_MAX, K_LIST,
	    K_MAX };
	struct fixture f;

	fixture_init(&f, keyed);
	walk(&f, &keys, want);
	CHECK_EQ(diag_count(f.diag), 3);
	CHECK(strcmp(diag_get(f.diag, 0), "t.yaml:3:1: duplicate key "
	    "'p.name' (first on line 1)") == 0);
	CHECK(strcmp(diag_get(f.diag, 1), "t.yaml:4:1: unknown thing key "
	    "'p.colour' (expected name, host, port or list)") == 0);
	CHECK(strcmp(diag_get(f.diag, 2), "t.yaml:7:1: duplicate key "
	    "'p.list' (first on line 5)") == 0);
	fixture_fini(&f);
}

static void
test_root(void)
{
	struct fixture f;
	const struct yaml_doc_node *list;

	fixture_init(&f, "");
	CHECK(yaml_doc_check_root(&f.check, "items") == NULL);
	last_is(&f, 0, "t.yaml: missing required key 'items'");
	fixture_fini(&f);

	fixture_init(&f, "- 1\n");
	CHECK(yaml_doc_check_root(&f.check, "items") == NULL);
	last_is(&f, 0, "t.yaml:1:1: expected a mapping with the key 'items', "
	    "not a list");
	fixture_fini(&f);

	fixture_init(&f, "other: 1\nitems: [1, 2]\nitems: [3]\n");
	CHECK((list = yaml_doc_check_root(&f.check, "items")) != NULL);
	CHECK_EQ(list->n_items, 2);
	CHECK_EQ(f.check.n_errors, 0);
	fixture_fini(&f);

	/* Not a list: nothing to size, and the walk reports it. */
	fixture_init(&f, "items: 3\n");
	CHECK(yaml_doc_check_root(&f.check, "items") == NULL);
	CHECK_EQ(f.check.n_errors, 0);
	fixture_fini(&f);
}

int
main(void)
{
	RUN(test_error_and_result);
	RUN(test_text);
	RUN(test_uint_types);
	RUN(test_uint_range);
	RUN(test_bool);
	RUN(test_names);
	RUN(test_mapping_and_list);
	RUN(test_keys_plain);
	RUN(test_keys_worded);
	RUN(test_root);
	return 0;
}
