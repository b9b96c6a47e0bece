/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the store*.c files only: the connection and its cache of
 * prepared statements, one slot per statement.
 */
#ifndef KICS_STORE_PRIVATE_H
#define KICS_STORE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"

enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_SETTING_SET,
	STMT_SETTING_GET,
	STMT_AGENT_FIND,
	STMT_AGENT_INSERT,
	STMT_AGENT_REPORT,
	STMT_AGENT_DUPLICATE,
	STMT_AGENT_COMPUTERS,
	STMT_AGENT_ON_DEVICE,
	STMT_AGENT_ACTIVE_OTHER,
	STMT_AGENT_SILENT,
	STMT_AGENT_DISCONNECT,
	STMT_DEVICE_GET,
	STMT_DEVICE_INSERT,
	STMT_DEVICE_COUNT,
	STMT_DEVICE_TOUCH,
	STMT_DEVICE_OWNER,
	STMT_DEVICE_PRIMARY,
	STMT_DEVICE_CATEGORY,
	STMT_DEVICE_ARCHIVE,
	STMT_ATTR_GET,
	STMT_ATTR_GET_SOURCE,
	STMT_ATTR_PUT,
	STMT_ATTR_DELETE,
	STMT_ATTR_BEST,
	STMT_ADDR_DEVICE,
	STMT_ADDR_DEVICE_NO_MAC,
	STMT_ADDR_GET,
	STMT_ADDR_INSERT,
	STMT_ADDR_UPDATE,
	STMT_APP_UPSERT,
	STMT_APP_SWEEP,
	STMT_EVENT_INSERT,
	STMT_EVENT_FTS,
	STMT_EVENT_COUNT,
	STMT_EVENT_OLDEST,
	STMT_EVENT_FTS_DELETE,
	STMT_EVENT_DELETE,
	STMT_INTERACTION_UPSERT,
	STMT_INTERACTION_COUNT,
	STMT_INTERACTION_TRIM,
	STMT_MAX
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[STMT_MAX];	/* prepared on first use */
	char		errmsg[STORE_ERRMSG_LEN];
};

/*
 * Returns the cached statement for slot, preparing sql on first use, reset
 * and with bindings cleared; NULL on failure (message in s->errmsg).
 */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt slot,
    const char *sql);

/* Maps an SQLite result code to a negative errno and keeps the message. */
int store_error(struct store *s, int rc);

/* Steps a statement that returns no rows; 0 or a negative errno. */
int store_exec_stmt(struct store *s, sqlite3_stmt *st);

/* Binds text or NULL when value is NULL or empty. */
int store_bind_text(sqlite3_stmt *st, int i, const char *value);
/* Binds an id, or NULL when id is 0. */
int store_bind_id(sqlite3_stmt *st, int i, int64_t id);

#endif
