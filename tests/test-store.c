/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the store's connection: migrations tracked by user_version,
 * the pragmas of DESIGN.md, and a database from a newer kics-epp refused.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fx.h"
#include "store.h"
#include "testutil.h"

static void
test_fresh_database_is_migrated(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	struct store *s = NULL;

	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	CHECK(store_schema_version() >= 1);
	store_free(s);
	CHECK_EQ(q_int_path(path, "PRAGMA user_version"),
	    store_schema_version());
	CHECK_EQ(q_int_path(path, "SELECT COUNT(*) FROM sqlite_master WHERE "
	    "type = 'view' AND name IN ('map_nodes', 'map_edges', "
	    "'event_log')"), 3);
	/* reopening applies nothing twice */
	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	store_free(s);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

static void
test_pragmas(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	struct store *s = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;

	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	/* journal_mode is persistent: a second connection sees WAL */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) ==
	    SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0);
	(void)sqlite3_finalize(st);
	(void)sqlite3_close(db);
	store_free(s);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

static void
test_view_columns_are_the_contract(void)
{
	static const char *const want[][2] = {
		{ "map_nodes", "device_id,name,category,status,ip,mac,vendor,"
		    "model,os,epp_icon,security_state,last_seen_ms" },
		{ "map_edges", "src_device_id,dst_device_id,protocol,port,"
		    "source,first_seen_ms,last_seen_ms,packets,bytes,"
		    "app_protocol" },
		{ "event_log", "event_id,occurred_at_ms,registered_at_ms,"
		    "device_id,agent_id,code,title,severity,technology,"
		    "category,description,tags" },
	};
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	struct store *s = NULL;
	sqlite3 *db;

	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char sql[128], cols[512] = "";
		sqlite3_stmt *st;

		(void)snprintf(sql, sizeof(sql), "SELECT * FROM %s",
		    want[i][0]);
		CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			if (c > 0)
				(void)strcat(cols, ",");
			(void)strcat(cols, sqlite3_column_name(st, c));
		}
		(void)sqlite3_finalize(st);
		if (strcmp(cols, want[i][1]) != 0) {
			(void)fprintf(stderr, "%s: %s\n", want[i][0], cols);
			abort();
		}
	}
	(void)sqlite3_close(db);
	store_free(s);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

static void
test_newer_database_is_refused(void)
{
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	struct store *s = NULL;
	char err[STORE_ERRMSG_LEN] = "", sql[64];
	sqlite3 *db;

	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	store_free(s);
	s = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    store_schema_version() + 1);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	(void)sqlite3_close(db);
	CHECK_EQ(store_open(path, err, sizeof(err), &s), -EPROTO);
	CHECK(s == NULL);
	CHECK(strstr(err, "newer kics-epp") != NULL);
	CHECK(strstr(err, path) != NULL);
	/* and it was not touched */
	CHECK_EQ(q_int_path(path, "PRAGMA user_version"),
	    store_schema_version() + 1);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

static void
exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	(void)sqlite3_close(db);
}

/*
 * Issue 12: migration 0005 on a database that holds events of the old
 * codes. The database is brought back to version 4 (what 0005 adds is
 * dropped) and filled the way kics-epp 4 did.
 */
static void
test_migration_0005_rewrites_codes(void)
{
	/* by occurred_at_ms of the rows below */
	static const long long want[] = {
		4000005500, 4000005505, 4900005506, 4900005549, 4900005550,
		4000005003, 4000005004, 4000005007, 4900005564, 4900005552,
		4900005599, 1234,
	};
	char sql[128];
	char *dir = testutil_mkdtemp(), *path = db_path(dir);
	struct store *s = NULL;

	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	store_free(s);
	/* back to version 4: undo 0005 and the later migrations (0006 adds
	   columns to agents; it rebuilds integration_servers again; 0008
	   adds the connector tables; 0010 the event key) */
	exec_sql(path, "DROP INDEX events_agent_key; "
	    "ALTER TABLE events DROP COLUMN event_key; "
	    "CREATE UNIQUE INDEX events_agent_event ON events "
	    "(agent_ref, event_id) WHERE event_id IS NOT NULL; "
	    "DROP TABLE connector_cursors; DROP TABLE connectors; "
	    "DROP TABLE address_conflicts; "
	    "ALTER TABLE agents DROP COLUMN udp_lost_ms; "
	    "ALTER TABLE agents DROP COLUMN udp_lost_count; "
	    "DROP INDEX devices_status; DROP VIEW map_edges; "
	    "ALTER TABLE interactions DROP COLUMN app_protocol; "
	    "CREATE VIEW map_edges AS SELECT 1; PRAGMA user_version = 4;"
	    "INSERT INTO events (occurred_at_ms, registered_at_ms, code, "
	    "title, severity, technology, category) VALUES "
	    "(1, 1, 4000005500, 'a', 2, 'epp', 'network_attack'),"
	    "(2, 2, 4000005505, 'b', 1, 'epp', 'firewall_blocked'),"
	    "(3, 3, 4000005506, 'c', 3, 'epp', 'threat_detected'),"
	    "(4, 4, 4000005549, 'd', 1, 'epp', 'whatever'),"
	    "(5, 5, 4000005550, 'e', 1, 'system', 'agent_connected'),"
	    "(6, 6, 4000005552, 'f', 1, 'system', 'device_added'),"
	    "(7, 7, 4000005553, 'g', 1, 'system', "
	    "'device_attributes_changed'),"
	    "(8, 8, 4000005554, 'h', 1, 'system', 'ip_moved'),"
	    "(9, 9, 4000005564, 'i', 2, 'system', 'integration_server_error'),"
	    "(10, 10, 4000005552, 'j', 1, 'epp', 'device_added'),"
	    "(11, 11, 4000005599, 'k', 1, 'epp', 'mine'),"
	    "(12, 12, 1234, 'l', 1, 'epp', 'other');");
	CHECK_EQ(store_open(path, NULL, 0, &s), 0);
	store_free(s);
	CHECK_EQ(q_int_path(path, "PRAGMA user_version"),
	    store_schema_version());
	CHECK_EQ(q_int_path(path, "SELECT COUNT(*) FROM events"), 12);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		(void)snprintf(sql, sizeof(sql), "SELECT code FROM events "
		    "WHERE occurred_at_ms = %zu", i + 1);
		CHECK_EQ(q_int_path(path, sql), want[i]);
	}
	CHECK_EQ(q_int_path(path, "SELECT COUNT(*) FROM sqlite_master WHERE "
	    "name IN ('address_conflicts', 'devices_status')"), 2);
	testutil_rmtree(dir);
	free(path);
	free(dir);
}

static void
test_missing_directory(void)
{
	struct store *s = NULL;
	char err[STORE_ERRMSG_LEN] = "";

	CHECK_EQ(store_open("/nonexistent-kics/dir/kics-epp.db", err,
	    sizeof(err), &s), -ENOENT);
	CHECK(s == NULL);
	CHECK(strstr(err, "/nonexistent-kics/dir") != NULL);
}

int
main(void)
{
	RUN(test_fresh_database_is_migrated);
	RUN(test_pragmas);
	RUN(test_view_columns_are_the_contract);
	RUN(test_newer_database_is_refused);
	RUN(test_missing_directory);
	RUN(test_migration_0005_rewrites_codes);
	return 0;
}
