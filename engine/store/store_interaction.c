/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of interactions (map edges): adding counters
 * of one initiator → responder / protocol / port / source, the queue that
 * merges a transaction's additions into one write per interaction, and
 * trimming.
 *
 * THE QUEUE (issue 17): inside a transaction store_interaction_add() only
 * adds to an entry in memory, keyed like the table's primary key, so that
 * the connections of a whole group-commit batch that describe the same
 * interaction cost one UPSERT; store_interaction_flush() writes the
 * entries in key order. What is queued is the transaction's own data and
 * is lost with it: a ROLLBACK drops the queue (interaction_queue_clear()
 * from store_rollback()), and SAVEPOINT flushes it first, so that
 * ROLLBACK TO drops exactly what was added after the savepoint. COMMIT
 * flushes what is left. Sums, MIN and MAX do not depend on the order of
 * the additions: the rows after COMMIT are the ones that one statement per
 * connection wrote.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

#define COUNTER_MAX	((int64_t)1 << 48)	/* per report and counter */
/* a queued sum this large is written before it could overflow */
#define COUNTER_QUEUE_MAX	((int64_t)1 << 62)
#define QUEUE_MAX	4096	/* entries; a fuller queue is written */
#define QUEUE_SLOTS	(2 * QUEUE_MAX)	/* hash slots, a power of two */
#define QUEUE_EMPTY	UINT16_MAX

static const char *const protocol_names[] = { "tcp", "udp", "icmp" };
static const char *const source_names[] = { "epp", "traffic" };

/* One interaction of the transaction, not yet written. */
struct interaction_entry {
	int64_t		src_device_id;
	int64_t		dst_device_id;
	int64_t		first_seen_ms;
	int64_t		last_seen_ms;
	int64_t		packets;	/* sums of clamped shares */
	int64_t		bytes;
	uint32_t	port;
	uint8_t		protocol;	/* index of protocol_names */
	uint8_t		source;		/* index of source_names */
};

struct interaction_queue {
	struct interaction_entry entries[QUEUE_MAX];
	uint16_t	slots[QUEUE_SLOTS];	/* entry index, or QUEUE_EMPTY */
	size_t		n;
};

_Static_assert(QUEUE_MAX < QUEUE_EMPTY, "entry indexes fit the slots");

/* Index of name in names (n of them), or -1. */
static int
name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

static int64_t
clamp_counter(uint64_t v)
{
	/* counters are signed 64-bit in SQLite: clamp one report's share so
	   that sums cannot overflow into REAL */
	return v > (uint64_t)COUNTER_MAX ? COUNTER_MAX : (int64_t)v;
}

/* The UPSERT of one interaction: key ?1…?5, times and counters ?6…?9. */
static sqlite3_stmt *
upsert_stmt(struct store *s)
{
	/*
	 * One statement per interaction (issue 17): the primary key of the
	 * WITHOUT ROWID table is the conflict target, so a known interaction
	 * costs one b-tree search, as the UPDATE it replaces did, and a new
	 * one no longer pays for a missed UPDATE first.
	 */
	return store_stmt_rebound(s, STMT_INTERACTION_UPSERT,
	    "INSERT INTO interactions (src_device_id, dst_device_id, protocol, "
	    "port, source, first_seen_ms, last_seen_ms, packets, bytes) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT (src_device_id, dst_device_id, protocol, port, source) "
	    "DO UPDATE SET "
	    "first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms), "
	    "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms), "
	    "packets = packets + excluded.packets, "
	    "bytes = bytes + excluded.bytes");
}

/*
 * Writes en with protocol and source by name (what the table's CHECKs
 * refuse is refused there): the one place that runs the UPSERT.
 */
static int
write_named(struct store *s, const struct interaction_entry *en,
    const char *protocol, const char *source)
{
	sqlite3_stmt *st = upsert_stmt(s);

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, en->src_device_id);
	(void)sqlite3_bind_int64(st, 2, en->dst_device_id);
	(void)sqlite3_bind_text(st, 3, protocol, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 4, (int64_t)en->port);
	(void)sqlite3_bind_text(st, 5, source, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 6, en->first_seen_ms);
	(void)sqlite3_bind_int64(st, 7, en->last_seen_ms);
	(void)sqlite3_bind_int64(st, 8, en->packets);
	(void)sqlite3_bind_int64(st, 9, en->bytes);
	s->interaction_writes++;
	return store_exec_stmt(s, st);
}

/* Writes queued entry en. */
static int
write_entry(struct store *s, const struct interaction_entry *en)
{
	return write_named(s, en, protocol_names[en->protocol],
	    source_names[en->source]);
}

/* in as a queue entry (protocol p, source src: their indexes). */
static struct interaction_entry
entry_of(const struct store_interaction *in, int p, int src)
{
	return (struct interaction_entry){
		.src_device_id = in->src_device_id,
		.dst_device_id = in->dst_device_id,
		.first_seen_ms = in->first_seen_ms,
		.last_seen_ms = in->last_seen_ms,
		.packets = clamp_counter(in->packets),
		.bytes = clamp_counter(in->bytes),
		.port = in->port,
		.protocol = (uint8_t)(p < 0 ? 0 : p),
		.source = (uint8_t)(src < 0 ? 0 : src),
	};
}

static uint32_t
entry_hash(const struct interaction_entry *k)
{
	uint64_t h = (uint64_t)k->src_device_id * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)k->dst_device_id * 0xc2b2ae3d27d4eb4full;
	h ^= ((uint64_t)k->port << 16 | (uint64_t)k->protocol << 8 |
	    k->source) * 0x165667b19e3779f9ull;
	return (uint32_t)(h >> 40) & (QUEUE_SLOTS - 1);
}

static bool
entry_same_key(const struct interaction_entry *a,
    const struct interaction_entry *b)
{
	return a->src_device_id == b->src_device_id &&
	    a->dst_device_id == b->dst_device_id && a->port == b->port &&
	    a->protocol == b->protocol && a->source == b->source;
}

/* The primary key's order: integers, then text as SQLite's BINARY. */
static int
entry_cmp(const void *x, const void *y)
{
	const struct interaction_entry *a = x, *b = y;
	int c;

	if (a->src_device_id != b->src_device_id)
		return a->src_device_id < b->src_device_id ? -1 : 1;
	if (a->dst_device_id != b->dst_device_id)
		return a->dst_device_id < b->dst_device_id ? -1 : 1;
	if (a->protocol != b->protocol &&
	    (c = strcmp(protocol_names[a->protocol],
	    protocol_names[b->protocol])) != 0)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return strcmp(source_names[a->source], source_names[b->source]);
}

void
interaction_queue_clear(struct interaction_queue *q)
{
	if (q == NULL || q->n == 0)
		return;
	memset(q->slots, 0xff, sizeof(q->slots));
	q->n = 0;
}

void
interaction_queue_free(struct interaction_queue *q)
{
	free(q);
}

int
store_interaction_flush(struct store *s)
{
	struct interaction_queue *q = s->interactions;
	int r = 0;

	if (q == NULL || q->n == 0)
		return 0;
	/* in key order: each search starts near the last one's pages */
	qsort(q->entries, q->n, sizeof(q->entries[0]), entry_cmp);
	for (size_t i = 0; i < q->n && r == 0; i++)
		r = write_entry(s, &q->entries[i]);
	/* on error the caller rolls back, which would drop them anyway */
	interaction_queue_clear(q);
	return r;
}

/* The queue of s, allocated on first use; NULL when out of memory. */
static struct interaction_queue *
queue_get(struct store *s)
{
	struct interaction_queue *q = s->interactions;

	if (q == NULL && (q = malloc(sizeof(*q))) != NULL) {
		memset(q->slots, 0xff, sizeof(q->slots));
		q->n = 0;
		s->interactions = q;
	}
	return q;
}

/* Adds in (protocol p, source src) to the queue of s; 0 or -errno. */
static int
queue_add(struct store *s, const struct store_interaction *in, int p,
    int src)
{
	struct interaction_queue *q;
	struct interaction_entry k = entry_of(in, p, src), *en;
	uint32_t h;
	int r;

	if ((q = queue_get(s)) == NULL)
		return -ENOMEM;
	if (q->n == QUEUE_MAX && (r = store_interaction_flush(s)) < 0)
		return r;
	for (h = entry_hash(&k); q->slots[h] != QUEUE_EMPTY;
	    h = (h + 1) & (QUEUE_SLOTS - 1)) {
		en = &q->entries[q->slots[h]];
		if (!entry_same_key(en, &k))
			continue;
		if (en->packets > COUNTER_QUEUE_MAX ||
		    en->bytes > COUNTER_QUEUE_MAX) {
			/* written now, the entry starts again from k */
			if ((r = write_entry(s, en)) < 0)
				return r;
			*en = k;
			return 0;
		}
		en->packets += k.packets;
		en->bytes += k.bytes;
		if (k.first_seen_ms < en->first_seen_ms)
			en->first_seen_ms = k.first_seen_ms;
		if (k.last_seen_ms > en->last_seen_ms)
			en->last_seen_ms = k.last_seen_ms;
		return 0;
	}
	q->slots[h] = (uint16_t)q->n;
	q->entries[q->n++] = k;
	return 0;
}

int
store_interaction_add(struct store *s, const struct store_interaction *in)
{
	int p = name_index(protocol_names, 3, in->protocol);
	int src = name_index(source_names, 2, in->source);

	struct interaction_entry k;

	/* outside a transaction, or what the table's CHECKs refuse: now */
	if (p < 0 || src < 0 || sqlite3_get_autocommit(s->db)) {
		k = entry_of(in, p, src);
		return write_named(s, &k, in->protocol, in->source);
	}
	return queue_add(s, in, p, src);
}

uint64_t
store_interaction_writes(const struct store *s)
{
	return s->interaction_writes;
}

int
store_interaction_count_step(struct store *s, int64_t *after_src,
    int64_t limit, int64_t *count)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc = SQLITE_DONE, r;

	if ((r = store_interaction_flush(s)) < 0)
		return r;
	/* in the primary key's order: no sort, and it stops where it is */
	if ((st = store_stmt(s, STMT_INTERACTION_COUNT_STEP,
	    "SELECT src_device_id, COUNT(*) FROM interactions "
	    "WHERE src_device_id > ?1 GROUP BY src_device_id")) == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, *after_src);
	while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*after_src = sqlite3_column_int64(st, 0);
		n += sqlite3_column_int64(st, 1);
	}
	(void)sqlite3_reset(st);
	*count += n;
	if (n >= limit)
		return 1;	/* perhaps more, the next step tells */
	return rc == SQLITE_DONE ? 0 : store_error(s, rc);
}

int
store_interaction_trim(struct store *s, int64_t n)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_interaction_flush(s)) < 0)
		return r;
	if ((st = store_stmt(s, STMT_INTERACTION_TRIM,
	    "DELETE FROM interactions WHERE (src_device_id, dst_device_id, "
	    "protocol, port, source) IN (SELECT src_device_id, dst_device_id, "
	    "protocol, port, source FROM interactions "
	    "ORDER BY first_seen_ms LIMIT ?1)")) == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, n);
	return store_exec_stmt(s, st);
}
