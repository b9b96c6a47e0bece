/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of engine/diag.c: message formats, order, growth and NULL-safety. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "testutil.h"

static void
test_empty(void)
{
	struct diag *d;

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(diag_count(d), 0);
	CHECK(diag_get(d, 0) == NULL);
	diag_free(d);
	diag_free(NULL);
}

static void
test_formats(void)
{
	struct diag *d;

	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(diag_add(d, "a.yaml", 3, 7, "unknown key '%s'", "x"), 0);
	CHECK_EQ(diag_add(d, "a.yaml", 4, 0, "no column %d", 42), 0);
	CHECK_EQ(diag_add(d, "a.yaml", 0, 9, "no line"), 0);
	CHECK_EQ(diag_add(d, NULL, 0, 0, "bare"), 0);
	CHECK_EQ(diag_add(d, "", 2, 1, "empty file name"), 0);
	CHECK_EQ(diag_count(d), 5);
	CHECK(strcmp(diag_get(d, 0), "a.yaml:3:7: unknown key 'x'") == 0);
	CHECK(strcmp(diag_get(d, 1), "a.yaml:4: no column 42") == 0);
	CHECK(strcmp(diag_get(d, 2), "a.yaml: no line") == 0);
	CHECK(strcmp(diag_get(d, 3), "bare") == 0);
	CHECK(strcmp(diag_get(d, 4), ":2:1: empty file name") == 0);
	CHECK(diag_get(d, 5) == NULL);
	diag_free(d);
}

static void
test_many_in_order(void)
{
	char want[64];
	struct diag *d;

	CHECK((d = diag_new()) != NULL);
	for (size_t i = 0; i < 1000; i++)
		CHECK_EQ(diag_add(d, "f", i + 1, 1, "message %zu", i), 0);
	CHECK_EQ(diag_count(d), 1000);
	for (size_t i = 0; i < 1000; i++) {
		(void)snprintf(want, sizeof(want), "f:%zu:1: message %zu",
		    i + 1, i);
		CHECK(strcmp(diag_get(d, i), want) == 0);
	}
	diag_free(d);
}

static void
test_long_message(void)
{
	static char big[100000];
	struct diag *d;
	const char *m;

	memset(big, 'x', sizeof(big) - 1);
	CHECK((d = diag_new()) != NULL);
	CHECK_EQ(diag_add(d, "long.yaml", 1, 2, "%s!", big), 0);
	m = diag_get(d, 0);
	CHECK(strncmp(m, "long.yaml:1:2: xxx", 18) == 0);
	CHECK_EQ(strlen(m), strlen("long.yaml:1:2: ") + sizeof(big));
	CHECK(m[strlen(m) - 1] == '!');
	diag_free(d);
}

int
main(void)
{
	RUN(test_empty);
	RUN(test_formats);
	RUN(test_many_in_order);
	RUN(test_long_message);
	return 0;
}
