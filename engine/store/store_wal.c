/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the WAL side of the store (store_wal.h): the hook
 * that counts the writer's WAL frames, the timing of its commits and the
 * checkpointer's own connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store-private.h"
#include "store_wal.h"

struct store_ckpt {
	sqlite3		*db;
	char		errmsg[STORE_ERRMSG_LEN];
};

/*
 * Runs after every commit of the writer's connection, outside its write
 * lock. Replaces SQLite's automatic checkpoint (a wal hook and
 * wal_autocheckpoint exclude each other): inline checkpoints happen only
 * until a checkpointer takes the work over.
 */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *s = arg;

	s->wal.wal_frames = frames > 0 ? (uint64_t)frames : 0;
	if (!s->wal_handed_off && frames >= STORE_WAL_INLINE_FRAMES) {
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		s->wal.inline_checkpoints++;
	}
	return SQLITE_OK;
}

void
store_wal_init(struct store *s)
{
	(void)sqlite3_wal_hook(s->db, store_wal_hook, s);
}

void
store_wal_stats(const struct store *s, struct store_wal_stats *ret)
{
	*ret = s->wal;
}

void
store_wal_commit_timed(struct store *s, int64_t us)
{
	s->wal.commits++;
	s->wal.commit_us_last = us > 0 ? (uint64_t)us : 0;
	s->wal.commit_us_total += s->wal.commit_us_last;
	if (s->wal.commit_us_last > s->wal.commit_us_max)
		s->wal.commit_us_max = s->wal.commit_us_last;
}

/* Sets the WAL's size limit on db; 0 or -EIO. */
static int
store_wal_limit(sqlite3 *db)
{
	char sql[64];

	/* a WAL that grew past it shrinks back to it when it starts over */
	(void)snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %d",
	    STORE_WAL_LIMIT_BYTES);
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    -EIO;
}

int
store_wal_handoff(struct store *s, struct store_ckpt **ret_ckpt)
{
	struct store_ckpt *c;
	const char *path = sqlite3_db_filename(s->db, "main");
	int rc, r;

	if (path == NULL || *path == '\0' ||
	    sqlite3_filename_wal(path) == NULL)
		return -EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, store_vfs_name());
	if (rc != SQLITE_OK) {
		r = rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
		(void)snprintf(s->errmsg, sizeof(s->errmsg), "checkpointer: "
		    "%s", c->db != NULL ? sqlite3_errmsg(c->db) :
		    sqlite3_errstr(rc));
		store_ckpt_free(c);
		return r;
	}
	/* the checkpointer never writes: no hook, no checkpoint of its own */
	(void)sqlite3_wal_autocheckpoint(c->db, 0);
	/*
	 * A connection learns that the database is in WAL mode when it
	 * first reads it; until then a checkpoint does nothing (-1 frames).
	 */
	if (sqlite3_exec(c->db, "SELECT COUNT(*) FROM sqlite_schema", NULL,
	    NULL, NULL) != SQLITE_OK)
		r = -EIO;
	else
		r = 0;
	if (r < 0 || (r = store_wal_limit(c->db)) < 0 ||
	    (r = store_wal_limit(s->db)) < 0) {
		(void)snprintf(s->errmsg, sizeof(s->errmsg), "checkpointer: "
		    "%s", sqlite3_errmsg(c->db));
		store_ckpt_free(c);
		return r;
	}
	s->wal_handed_off = true;
	*ret_ckpt = c;
	return 0;
}

int
store_ckpt_run(struct store_ckpt *c, struct store_ckpt_result *ret)
{
	const char *path = sqlite3_db_filename(c->db, "main");
	const char *wal = sqlite3_filename_wal(path);
	struct stat sb;
	int log = 0, done = 0, rc;

	store_vfs_role(STORE_SYNC_CHECKPOINT);
	rc = sqlite3_wal_checkpoint_v2(c->db, "main",
	    SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	store_vfs_role(STORE_SYNC_NONE);
	if (rc != SQLITE_OK) {
		(void)snprintf(c->errmsg, sizeof(c->errmsg), "%s",
		    sqlite3_errmsg(c->db));
		return (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
	}
	if (log < 0) {
		(void)snprintf(c->errmsg, sizeof(c->errmsg), "the database is "
		    "not in WAL mode");
		return -EIO;
	}
	ret->log_frames = (uint64_t)log;
	ret->done_frames = done > 0 ? (uint64_t)done : 0;
	ret->complete = done >= log;
	ret->wal_bytes = wal != NULL && stat(wal, &sb) == 0 ?
	    (int64_t)sb.st_size : 0;
	return 0;
}

int
store_ckpt_sync_db(struct store_ckpt *c)
{
	sqlite3_file *f = NULL;
	int rc;

	if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods == NULL) {
		(void)snprintf(c->errmsg, sizeof(c->errmsg), "no database "
		    "file to sync");
		return -EIO;
	}
	/* timed as a checkpoint's: it is the sync one would make */
	store_vfs_role(STORE_SYNC_CHECKPOINT);
	rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	store_vfs_role(STORE_SYNC_NONE);
	if (rc != SQLITE_OK) {
		(void)snprintf(c->errmsg, sizeof(c->errmsg), "sync of the "
		    "database file failed: %s", sqlite3_errstr(rc));
		return -EIO;
	}
	return 0;
}

const char *
store_ckpt_errmsg(const struct store_ckpt *c)
{
	return c->errmsg;
}

void
store_ckpt_free(struct store_ckpt *c)
{
	if (c == NULL)
		return;
	/* the connection never wrote: closing it checkpoints nothing */
	(void)sqlite3_close(c->db);
	free(c);
}
