/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the corpus check of the configuration readers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "testutil.h"

char *
corpus_read_all(const char *path)
{
	char *s;
	long len;
	FILE *f;

	CHECK((f = fopen(path, "r")) != NULL);
	CHECK(fseek(f, 0, SEEK_END) == 0);
	CHECK((len = ftell(f)) >= 0);
	rewind(f);
	CHECK((s = malloc((size_t)len + 1)) != NULL);
	CHECK(fread(s, 1, (size_t)len, f) == (size_t)len);
	s[len] = '\0';
	CHECK(fclose(f) == 0);
	return s;
}

/* Compares the messages of d with the lines of the .expected file. */
static void
corpus_compare(const char *path, const struct diag *d)
{
	char *expected_path, *expected, *line, *save = NULL;
	size_t i = 0;
	int ok = 1;

	CHECK((expected_path = malloc(strlen(path) + 16)) != NULL);
	(void)strcpy(expected_path, path);
	CHECK(strrchr(expected_path, '.') != NULL);
	(void)strcpy(strrchr(expected_path, '.'), ".expected");
	expected = corpus_read_all(expected_path);
	for (line = strtok_r(expected, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), i++) {
		if (i >= diag_count(d) || strcmp(line, diag_get(d, i)) != 0) {
			(void)fprintf(stderr, "expected: %s\n     got: %s\n",
			    line, i < diag_count(d) ? diag_get(d, i) :
			    "(nothing)");
			ok = 0;
		}
	}
	if (i != diag_count(d)) {
		(void)fprintf(stderr, "expected %zu messages, got %zu\n", i,
		    diag_count(d));
		ok = 0;
	}
	CHECK(ok);
	free(expected);
	free(expected_path);
}

int
corpus_run(const char *path, const struct corpus_ops *ops)
{
	const char *base = strrchr(path, '/');
	struct diag *d;
	void *obj = NULL;
	int r;

	base = base != NULL ? base + 1 : path;
	CHECK((d = diag_new()) != NULL);
	r = ops->load(path, d, &obj);
	for (size_t j = 0; j < diag_count(d); j++)
		(void)fprintf(stderr, "%s\n", diag_get(d, j));
	if (strncmp(base, "ok_", 3) == 0) {
		CHECK_EQ(r, 0);
		CHECK_EQ(diag_count(d), 0);
		if (ops->check_ok != NULL)
			ops->check_ok(obj);
		ops->free(obj);
		diag_free(d);
		return 0;
	}
	CHECK(strncmp(base, "bad_", 4) == 0);
	CHECK(r < 0 && r != -ENOMEM);
	CHECK(obj == NULL);
	CHECK(diag_count(d) > 0);
	corpus_compare(path, d);
	diag_free(d);
	return 0;
}
