/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine/common/strbuf.c: appends, growth, formatting, JSON
 * escaping, reset and the sticky error that lets callers check once.
 */
#include <errno.h>
#include <string.h>

#include "strbuf.h"
#include "testutil.h"

static void
test_empty(void)
{
	struct strbuf b;

	strbuf_init(&b);
	CHECK(b.data == NULL);
	CHECK(strcmp(strbuf_str(&b), "") == 0);
	CHECK_EQ(b.len, 0);
	strbuf_fini(&b);
	strbuf_fini(NULL);
}

static void
test_append_and_grow(void)
{
	struct strbuf b;
	char expect[5001];

	strbuf_init(&b);
	CHECK_EQ(strbuf_append(&b, "ab"), 0);
	CHECK_EQ(strbuf_append(&b, ""), 0);
	CHECK_EQ(strbuf_append(&b, "c"), 0);
	CHECK(strcmp(strbuf_str(&b), "abc") == 0);
	CHECK_EQ(b.len, 3);
	CHECK(b.cap >= 64);
	/* past several doublings, every byte where it belongs */
	strbuf_reset(&b);
	for (int i = 0; i < 5000; i++) {
		char one[2] = { (char)('a' + i % 26), '\0' };

		expect[i] = one[0];
		CHECK_EQ(strbuf_append(&b, one), 0);
	}
	expect[5000] = '\0';
	CHECK_EQ(b.len, 5000);
	CHECK(b.cap > 5000);
	CHECK(strcmp(strbuf_str(&b), expect) == 0);
	strbuf_fini(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void
test_printf(void)
{
	struct strbuf b;
	char big[300];

	strbuf_init(&b);
	CHECK_EQ(strbuf_printf(&b, "%s=%d", "n", 42), 0);
	CHECK_EQ(strbuf_printf(&b, ", %05.1f", 2.5), 0);
	CHECK(strcmp(strbuf_str(&b), "n=42, 002.5") == 0);
	/* a single printf larger than the first allocation */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_reset(&b);
	CHECK_EQ(strbuf_printf(&b, "[%s]", big), 0);
	CHECK_EQ(b.len, sizeof(big) + 1);
	CHECK(b.data[0] == '[' && b.data[b.len - 1] == ']');
	CHECK(b.data[b.len] == '\0');
	strbuf_fini(&b);
}

static void
test_json_string(void)
{
	struct strbuf b;

	strbuf_init(&b);
	CHECK_EQ(strbuf_json_string(&b, ""), 0);
	CHECK(strcmp(strbuf_str(&b), "\"\"") == 0);
	strbuf_reset(&b);
	CHECK_EQ(strbuf_json_string(&b, "a\"b\\c\nd\te\rf\001g\037"), 0);
	CHECK(strcmp(strbuf_str(&b),
	    "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u001f\"") == 0);
	/* UTF-8 passes through as it is: JSON allows it unescaped */
	strbuf_reset(&b);
	CHECK_EQ(strbuf_json_string(&b, "Zähler €"), 0);
	CHECK(strcmp(strbuf_str(&b), "\"Zähler €\"") == 0);
	strbuf_fini(&b);
}

static void
test_reset_keeps_memory(void)
{
	struct strbuf b;
	char *before;
	size_t cap;

	strbuf_init(&b);
	CHECK_EQ(strbuf_append(&b, "some text to allocate"), 0);
	before = b.data;
	cap = b.cap;
	strbuf_reset(&b);
	CHECK(b.data == before && b.cap == cap);
	CHECK_EQ(b.len, 0);
	CHECK(strcmp(strbuf_str(&b), "") == 0);
	CHECK_EQ(strbuf_append(&b, "x"), 0);
	CHECK(strcmp(strbuf_str(&b), "x") == 0);
	strbuf_fini(&b);
}

/*
 * Once an append failed, later ones do nothing and return the same error,
 * so that a caller building a long text checks once at the end; reset
 * clears it.
 */
static void
test_sticky_error(void)
{
	struct strbuf b;

	strbuf_init(&b);
	CHECK_EQ(strbuf_append(&b, "kept"), 0);
	b.error = -ENOMEM;
	CHECK_EQ(strbuf_append(&b, " lost"), -ENOMEM);
	CHECK_EQ(strbuf_printf(&b, " %d", 1), -ENOMEM);
	CHECK_EQ(strbuf_json_string(&b, "lost"), -ENOMEM);
	CHECK(strcmp(strbuf_str(&b), "kept") == 0);
	strbuf_reset(&b);
	CHECK_EQ(b.error, 0);
	CHECK_EQ(strbuf_append(&b, "again"), 0);
	CHECK(strcmp(strbuf_str(&b), "again") == 0);
	strbuf_fini(&b);
}

int
main(void)
{
	RUN(test_empty);
	RUN(test_append_and_grow);
	RUN(test_printf);
	RUN(test_json_string);
	RUN(test_reset_keeps_memory);
	RUN(test_sticky_error);
	return 0;
}
