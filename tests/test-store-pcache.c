/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the store's page cache (engine/store/store_pcache.c, issue 17):
 * the first store opened in a process installs it before SQLite
 * initializes; b-tree balancing then moves pages through the temporary
 * page number (counted), and what was written reads back whole, also
 * after the database shrank (pages dropped past its end) and on a new
 * connection.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine-fx.h"
#include "store.h"
#include "store_pcache.h"
#include "testutil.h"

#define ROWS	20000	/* random keys: thousands of page splits */

/* ROWS rows of random keys, 500 a transaction; returns their sum. */
static long long
fill(sqlite3 *db)
{
	char sql[256];

	for (int i = 0; i < ROWS; i += 500) {
		(void)snprintf(sql, sizeof(sql), "INSERT INTO t (k, n, pad) "
		    "WITH RECURSIVE c(i) AS (SELECT %d UNION ALL SELECT i + 1 "
		    "FROM c WHERE i < %d) SELECT randomblob(16), i, "
		    "zeroblob(60) FROM c", i, i + 499);
		exec_db(db, sql);
	}
	return q_int_db(db, "SELECT SUM(n) FROM t");
}

static void
test_balancing_through_the_cache(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir), other[4200];
	struct store *s = NULL;
	long long sum;
	uint64_t before;
	sqlite3 *db;

	/* the first use of SQLite in this process */
	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	CHECK_EQ(store_pcache_install(), SQLITE_OK);	/* installed: no-op */
	before = store_pcache_standins();

	(void)snprintf(other, sizeof(other), "%s/t.db", dir);
	CHECK_EQ(sqlite3_open(other, &db), SQLITE_OK);
	exec_db(db, "PRAGMA auto_vacuum = FULL; PRAGMA journal_mode = WAL; "
	    "PRAGMA cache_size = 500; CREATE TABLE t (k BLOB PRIMARY KEY, "
	    "n INTEGER, pad BLOB) WITHOUT ROWID");
	sum = fill(db);
	CHECK_EQ(sum, (long long)ROWS * (ROWS - 1) / 2);
	CHECK(store_pcache_standins() > before);
	CHECK_EQ(q_int_db(db, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check != 'ok'"), 0);

	/* the file shrinks at each commit: pages past its end are dropped */
	exec_db(db, "DELETE FROM t WHERE n % 4 != 0");
	exec_db(db, "DELETE FROM t WHERE n % 8 != 0");
	CHECK_EQ(q_int_db(db, "SELECT count(*) FROM t"), ROWS / 8);
	CHECK_EQ(q_int_db(db, "SELECT SUM(n) FROM t"),
	    8LL * (ROWS / 8) * (ROWS / 8 - 1) / 2);
	CHECK_EQ(q_int_db(db, "PRAGMA freelist_count"), 0);
	CHECK_EQ(q_int_db(db, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check != 'ok'"), 0);
	sqlite3_close(db);

	/* a new connection reads the same */
	CHECK_EQ(q_int_path(other, "SELECT SUM(n) FROM t"),
	    8LL * (ROWS / 8) * (ROWS / 8 - 1) / 2);
	store_free(s);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

int
main(void)
{
	RUN(test_balancing_through_the_cache);
	return 0;
}
