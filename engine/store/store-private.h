/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the store*.c files only: the connection and its cache of
 * prepared statements, one slot per statement.
 */
#ifndef KICS_STORE_PRIVATE_H
#define KICS_STORE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"
#include "store_vfs.h"
#include "store_wal.h"

enum store_stmt {
	STMT_BEGIN,
	STMT_BEGIN_READ,
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
	STMT_AGENT_UDP_LOST,
	STMT_AGENT_UDP_LOST_NOTED,
	STMT_AGENT_COMPUTERS,
	STMT_AGENT_ON_DEVICE,
	STMT_AGENT_ACTIVE_OTHER,
	STMT_AGENT_SILENT,
	STMT_AGENT_DISCONNECT,
	STMT_AGENT_TOKEN,
	STMT_DEVICE_GET,
	STMT_DEVICE_INSERT,
	STMT_DEVICE_COUNT,
	STMT_DEVICE_TOUCH,
	STMT_DEVICE_OWNER,
	STMT_DEVICE_PRIMARY,
	STMT_DEVICE_CATEGORY,
	STMT_DEVICE_SILENT,
	STMT_DEVICE_STATUS,
	STMT_ARCHIVE_COUNT,
	STMT_ARCHIVE_PRUNE,
	STMT_CONFLICT_GET,
	STMT_CONFLICT_PUT,
	STMT_CONFLICT_CLEAR,
	STMT_DEVICE_EXISTS,
	STMT_DEVICE_BY_NAME,
	STMT_IP_EACH,
	STMT_ATTR_GET,
	STMT_ATTR_GET_SOURCE,
	STMT_ATTR_PUT,
	STMT_ATTR_DELETE,
	STMT_ATTR_REFRESH,	/* STORE_ATTR_MAX slots from here */
	STMT_ATTR_REFRESH_LAST = STMT_ATTR_REFRESH + STORE_ATTR_MAX - 1,
	STMT_ADDR_HOLDER,
	STMT_ADDR_GET,
	STMT_ADDR_INSERT,
	STMT_ADDR_UPDATE,
	STMT_ADDR_SOURCE,
	STMT_APP_SCAN,
	STMT_APP_UPSERT,
	STMT_APP_UPDATE,
	STMT_APP_SWEEP,
	STMT_EVENT_INSERT,
	STMT_EVENT_SEEN,
	STMT_EVENT_FTS,
	STMT_EVENT_MARK_DEVICE,
	STMT_EVENT_COUNT,
	STMT_EVENT_MAX,
	STMT_EVENT_OLDEST,
	STMT_EVENT_FTS_DELETE,
	STMT_EVENT_DELETE,
	STMT_INTERACTION_UPSERT,
	STMT_INTERACTION_COUNT_STEP,
	STMT_INTERACTION_TRIM,
	STMT_SERVER_COUNT,
	STMT_SERVER_INSERT,
	STMT_SERVER_CERT,
	STMT_SERVER_CERT_ROW,
	STMT_SERVER_TOUCH,
	STMT_RULES_STATE,
	STMT_TRAFFIC_EDGE_UPDATE,	/* store_traffic.c, issue 13 */
	STMT_TRAFFIC_EDGE_INSERT,
	STMT_TRAFFIC_ADDR_NEW,
	STMT_TRAFFIC_VENDOR_NEW,
	STMT_TRAFFIC_ADDR_PAIR,
	STMT_TRAFFIC_DEVICE_ROW,
	STMT_DEVICE_DROP_PRIMARY_IP,
	STMT_TRAFFIC_FILL_PRIMARY,
	STMT_CONNECTOR_COUNT,
	STMT_CONNECTOR_PROGRESS,
	STMT_MAX
};

/*
 * The peer cache (store_peer_cache.c, issue 17): address → holder, at
 * most PEER_CACHE_SLOTS entries of 88 bytes (2.75 MiB, plus 256 KiB of
 * buckets), allocated on first use; pages of entries never filled stay
 * untouched. Addresses of PEER_CACHE_KEY_LEN bytes or more are not cached.
 */
#define PEER_CACHE_SLOTS	32768	/* a power of two */
#define PEER_CACHE_KEY_LEN	46	/* INET6_ADDRSTRLEN */

struct peer_cache;

/* A cache for one store, or NULL when out of memory. */
struct peer_cache *peer_cache_new(void);
void peer_cache_free(struct peer_cache *c);
/*
 * Copies the cached holder of value to *ret_holder; -ENOENT when value is
 * not cached (or c is NULL). Counts hits and misses.
 */
int peer_cache_get(struct peer_cache *c, const char *value,
    struct store_holder *ret_holder);
/*
 * Starts loading into the CPU's cache what peer_cache_get() of value will
 * read: its bucket, or with entry the entry the bucket names (read from
 * memory: the bucket should have been fetched before). Changes nothing.
 */
void peer_cache_prefetch(const struct peer_cache *c, const char *value,
    bool entry);
/*
 * Caches h as the holder of value, evicting by clock when full; primary:
 * value is h's devices.ip or devices.mac (store_peer_cache.c).
 */
void peer_cache_put(struct peer_cache *c, const char *value,
    const struct store_holder *h, bool primary);
/* Forgets value; forgets every address of device_id; forgets all. */
void peer_cache_forget(struct peer_cache *c, const char *value);
void peer_cache_forget_device(struct peer_cache *c, int64_t device_id);
void peer_cache_clear(struct peer_cache *c);
/* Address value was seen at seen_ms (its last_seen_ms now). */
void peer_cache_seen(struct peer_cache *c, const char *value,
    int64_t seen_ms);
/* Device device_id was seen at seen_ms (its last_seen_ms now). */
void peer_cache_touch(struct peer_cache *c, int64_t device_id,
    int64_t seen_ms);
/*
 * The primary bit (store_peer_cache.c). peer_cache_primary_known() tells
 * whether ip and mac (NULL or "": not asked) are both cached as held by
 * device_id and as its devices.ip and devices.mac, and counts the
 * statement spared. peer_cache_primary_lost() clears the bit on every
 * address of device_id: call it before any statement that may change
 * that device's devices.ip or devices.mac, other than
 * store_device_set_primary(). peer_cache_primary_set() records that
 * device_id's devices.ip is ip and devices.mac is mac (NULL or "": not
 * known) after a successful UPDATE, changed when it changed the row.
 */
bool peer_cache_primary_known(struct peer_cache *c, int64_t device_id,
    const char *ip, const char *mac);
void peer_cache_primary_lost(struct peer_cache *c, int64_t device_id);
void peer_cache_primary_set(struct peer_cache *c, int64_t device_id,
    const char *ip, const char *mac, bool changed);

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[STMT_MAX];	/* prepared on first use */
	struct peer_cache *peer_cache;	/* NULL until first used */
	char		errmsg[STORE_ERRMSG_LEN];
	/*
	 * The first event rowid of this transaction (0: none yet): the
	 * full-text rows of the events from there on are written just before
	 * COMMIT, by one statement. FTS5 flushes its in-memory terms into a
	 * new segment whenever a statement opens a statement journal (any
	 * write with foreign keys does), so interleaving them with the other
	 * writes of a report made one segment per event; at the end they make
	 * one per transaction.
	 */
	int64_t		fts_first;
	/* interactions of this transaction, merged (store_interaction.c);
	   NULL until first used */
	struct interaction_queue *interactions;
	uint64_t	interaction_writes;	/* store_interaction_writes() */
	struct store_wal_stats wal;	/* store_wal.c */
	bool		wal_handed_off;	/* a checkpointer does the work */
};

/*
 * The queue of interactions (store_interaction.c, issue 17): at most 4,096
 * entries of 56 bytes (224 KiB, plus 16 KiB of slots), allocated on first
 * use. interaction_queue_clear() drops what is queued (a rollback);
 * interaction_queue_free() accepts NULL.
 */
struct interaction_queue;
void interaction_queue_clear(struct interaction_queue *q);
void interaction_queue_free(struct interaction_queue *q);

/*
 * Writes the full-text rows of the events this transaction inserted so
 * far and forgets them; 0 or a negative errno. At COMMIT, and before a
 * trim that may delete some of them (store_event_trim()).
 */
int store_fts_flush(struct store *s);
/* Forgets the transaction's events (after a rollback). */
void store_fts_forget(struct store *s);

/*
 * Registers the SQL function kics_event_key(event_id), the key
 * store_event_key() gives, on s's connection for the migration that fills
 * events.event_key. 0 or a negative errno.
 */
int store_event_key_register(struct store *s);

/*
 * Returns the cached statement for slot, preparing sql on first use, reset
 * and with bindings cleared; NULL on failure (message in s->errmsg).
 */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt slot,
    const char *sql);
/*
 * store_stmt() without clearing the bindings, for the hot statements whose
 * caller binds every parameter each time (issue 17: clearing cost 2 % of
 * the engine's instructions): the previous bindings stay, and may point
 * to freed memory until rebound.
 */
sqlite3_stmt *store_stmt_rebound(struct store *s, enum store_stmt slot,
    const char *sql);


/*
 * Write coalescing of the store's VFS (store_vfs_wbuf.c): writes that
 * continue one another, up to WBUF_BYTES, go to the file as one write.
 * The caller writes the buffer out (wbuf_flush) before any other use of
 * the file; see store_vfs_wbuf.c for why that keeps SQLite's guarantees.
 */
#define WBUF_BYTES	(120 * 1024)	/* the unix VFS writes less than 128
					   KiB per call (its pwrite count is
					   masked with 0x1ffff) */

struct wbuf {
	unsigned char	*p;	/* WBUF_BYTES, allocated at the first write */
	size_t		len;	/* bytes held */
	sqlite3_int64	off;	/* file offset of p[0] */
	int		err;	/* a failed write no caller was told of */
	/*
	 * The WAL's: a descriptor of its own on the file, through which
	 * each write made starts the kernel writing it to the device
	 * (sync_file_range()), so that the COMMIT's fsync finds less to
	 * wait for; -1 for other files. Opened by store_vfs.c, closed by
	 * wbuf_free().
	 */
	int		writeback_fd;
};

int wbuf_write(struct wbuf *w, sqlite3_file *real, const void *buf, int n,
    sqlite3_int64 off);
int wbuf_flush(struct wbuf *w, sqlite3_file *real);
/* Flushes only if [off, off + n) overlaps what w holds. */
int wbuf_flush_overlap(struct wbuf *w, sqlite3_file *real, sqlite3_int64 off,
    int n);
void wbuf_free(struct wbuf *w);
/* Writes asked for by SQLite and writes made to files, process-wide. */
void wbuf_counts(uint64_t *ret_requested, uint64_t *ret_made);

/*
 * Read-ahead of the WAL for checkpoints (store_vfs_rbuf.c): reads of a
 * checkpoint are served from windows of RBUF_BYTES read at once. What
 * they hold belongs to one epoch (store_vfs.c: one checkpoint).
 */
#define RBUF_BYTES	(64 * 1024)
#define RBUF_WINDOWS	4	/* runs read at once: commits a checkpoint
				   copies from */

struct rbuf_window {
	unsigned char	*p;	/* RBUF_BYTES, allocated at first use */
	size_t		len;	/* 0: empty */
	sqlite3_int64	off;	/* file offset of p[0] */
	uint64_t	used;	/* rbuf.clock at its last use */
};

struct rbuf {
	struct rbuf_window w[RBUF_WINDOWS];
	uint64_t	clock;
	uint64_t	epoch;
};

/*
 * The COMMIT fsync made beside an overlap (store_vfs_sync.c): whether the
 * calling thread set one, and the fsync of real (fd: its writeback
 * descriptor, or -1) made on the syncer thread while the overlap function
 * runs; *ret_us is the fsync's own duration. It fails without syncing
 * once a deferred fsync failed.
 */
bool vfs_sync_overlap_set(void);
int vfs_sync_overlapped(sqlite3_file *real, int fd, int flags,
    int64_t *ret_us);
/*
 * Hands the start of the writeback of [off, off + n) of fd to the calling
 * thread's fsync thread, if it has one: false if not (the caller starts
 * it). vfs_writeback_forget() drops what was handed for fd, and waits
 * while that thread uses fd: call it before closing fd.
 */
bool vfs_writeback_beside(int fd, int64_t off, int64_t n);
/*
 * Asks for a deferred fsync of fd (the WAL's own descriptor) when the
 * calling thread defers (store_vfs_defer()): SQLITE_OK, or the SQLite code
 * of an earlier deferred fsync that failed; -1 when it is not deferred
 * (the caller syncs as usual).
 */
int vfs_sync_deferred(int fd);
/* Counts a deferred fsync of us microseconds (the fsync thread's). */
void vfs_deferred_sync_count(int64_t us);
void vfs_writeback_forget(int fd);
/* Counts a writeback started, on the fsync thread (beside) or not. */
void vfs_writeback_count(bool beside);

int rbuf_read(struct rbuf *r, sqlite3_file *real, void *buf, int n,
    sqlite3_int64 off, uint64_t epoch);
void rbuf_drop(struct rbuf *r);
void rbuf_free(struct rbuf *r);

/* Counts one COMMIT that took us microseconds (store_wal.c). */
void store_wal_commit_timed(struct store *s, int64_t us);

/* Maps an SQLite result code to a negative errno and keeps the message. */
int store_error(struct store *s, int rc);
/*
 * Copies text column i of the current row of st ("" for NULL). Returns a
 * string the caller frees with free(), or NULL when out of memory.
 */
char *store_column_dup(sqlite3_stmt *st, int i);

/*
 * Steps st (prepared and bound) and returns the first column of its first
 * row in *ret_value; -ENOENT when there is no row. Resets st.
 */
int store_step_int(struct store *s, sqlite3_stmt *st, int64_t *ret_value);

/* Steps a statement that returns no rows; 0 or a negative errno. */
int store_exec_stmt(struct store *s, sqlite3_stmt *st);

/* Binds text or NULL when value is NULL or empty. */
int store_bind_text(sqlite3_stmt *st, int i, const char *value);
/* Binds an id, or NULL when id is 0. */
int store_bind_id(sqlite3_stmt *st, int i, int64_t id);

/*
 * Reads the current row of st (the columns of store_connector.c's
 * CONNECTOR_COLUMNS) into *c. Returns 0, or -ENOMEM with *c cleared.
 */
struct engine_connector;
int store_connector_row(sqlite3_stmt *st, struct engine_connector *c);
/*
 * Reads the connectors of db (the writer's or a reader's connection) by
 * id, or the one called name when name is not NULL. Returns 0 and an
 * array freed with engine_connectors_free(), or -ENOMEM, -EBUSY, -EIO.
 */
int store_connector_select(sqlite3 *db, const char *name,
    struct engine_connector **ret_v, size_t *ret_n);

#endif
