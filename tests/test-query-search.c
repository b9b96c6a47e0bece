/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the --search text (issue 12): what a person types becomes an
 * FTS5 query with words holding punctuation quoted and FTS5 syntax kept,
 * each result run by SQLite's own FTS5 parser on an in-memory table so
 * that every rewrite is valid FTS5.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "testutil.h"

static const struct {
	const char	*in;
	const char	*out;
} cases[] = {
	{ "10.1.2.3", "\"10.1.2.3\"" },
	{ "CVE-2017-11882", "\"CVE-2017-11882\"" },
	{ "putty.exe kozlov.i", "\"putty.exe\" \"kozlov.i\"" },
	{ "modbus", "modbus" },
	{ "modbus AND plc", "modbus AND plc" },
	{ "modbus OR 10.0.0.1", "modbus OR \"10.0.0.1\"" },
	{ "NOT", "NOT" },
	{ "\"a phrase\" OR putty.exe", "\"a phrase\" OR \"putty.exe\"" },
	{ "\"say \"\"hi\"\"\"", "\"say \"\"hi\"\"\"" },
	{ "title:putty.exe", "title:\"putty.exe\"" },
	{ "-title:x", "-title:x" },
	{ "nosuchcol:x", "\"nosuchcol:x\"" },
	{ "C:\\Windows", "\"C:\\Windows\"" },
	{ "putty.ex*", "\"putty.ex\"*" },
	{ "mod*", "mod*" },
	{ "^start", "^start" },
	{ "NEAR(10.0.0.1 modbus, 5)", "NEAR(\"10.0.0.1\" modbus, 5)" },
	{ "(a OR b) AND c.d", "(a OR b) AND \"c.d\"" },
	{ "foo(bar", "\"foo(bar\"" },
	{ "it's", "\"it's\"" },
	{ "a,b", "\"a,b\"" },
	{ "  spaced   out  ", "spaced out" },
	{ "kozlov.i*", "\"kozlov.i\"*" },
	{ "\xd0\x9a\xd0\xbe\xd0\xb7\xd0\xbb\xd0\xbe\xd0\xb2",
	    "\xd0\x9a\xd0\xbe\xd0\xb7\xd0\xbb\xd0\xbe\xd0\xb2" },
};

/* Runs fts as a MATCH on an empty FTS5 table: SQLITE_OK when it parses. */
static int
fts_parses(sqlite3 *db, const char *fts)
{
	sqlite3_stmt *st = NULL;
	int rc;

	CHECK_EQ(sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?",
	    -1, &st, NULL), SQLITE_OK);
	(void)sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	(void)sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void
test_rewrite(void)
{
	sqlite3 *db;
	char err[256];

	CHECK_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, "
	    "description, object_path, threat_name, user_name, hostname)",
	    NULL, NULL, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *fts = NULL;

		CHECK_EQ(query_search_rewrite(cases[i].in, &fts, err,
		    sizeof(err)), 0);
		if (strcmp(fts, cases[i].out) != 0)
			(void)fprintf(stderr, "'%s' -> '%s', want '%s'\n",
			    cases[i].in, fts, cases[i].out);
		CHECK(strcmp(fts, cases[i].out) == 0);
		/* a lone NOT is still an FTS5 error, explained elsewhere */
		if (strcmp(cases[i].in, "NOT") != 0)
			CHECK_EQ(fts_parses(db, fts), SQLITE_OK);
		free(fts);
	}
	(void)sqlite3_close(db);
}

static void
test_unclosed(void)
{
	char err[256], *fts = NULL;

	CHECK_EQ(query_search_rewrite("\"open phrase", &fts, err,
	    sizeof(err)), -EINVAL);
	CHECK(fts == NULL);
	CHECK(strcmp(err, "invalid search '\"open phrase': the '\"' before "
	    "'open phrase' is not closed; write '\"open phrase\"'") == 0);
}

int
main(void)
{
	RUN(test_rewrite);
	RUN(test_unclosed);
	return 0;
}
