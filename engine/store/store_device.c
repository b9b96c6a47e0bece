/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the SQL of devices: rows, attributes per source with
 * their precedence, addresses and archiving (EPP applications:
 * store_application.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

const char *const store_attr_names[STORE_ATTR_MAX] = {
	"name", "hostname", "domain", "os_name", "os_version", "vendor",
	"model", "serial_number", "category",
};

const char *const store_source_names[STORE_SOURCE_MAX] = {
	"manual", "epp", "traffic",
};

const char *const store_status_names[STORE_STATUS_MAX] = {
	"authorized", "unauthorized", "archived",
};

int
store_status_parse(const char *name, enum store_status *ret_status)
{
	for (int i = 0; i < STORE_STATUS_MAX; i++) {
		if (name != NULL && strcmp(name, store_status_names[i]) == 0) {
			*ret_status = (enum store_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* A status or source column; the CHECK constraints keep it known. */
static int
column_enum(sqlite3_stmt *st, int i, const char *const *names, int n)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	for (int k = 0; v != NULL && k < n; k++)
		if (strcmp(v, names[k]) == 0)
			return k;
	return 0;
}

void
store_device_clear(struct store_device *d)
{
	if (d == NULL)
		return;
	for (int i = 0; i < STORE_ATTR_MAX; i++) {
		free(d->attr[i]);
		d->attr[i] = NULL;
	}
	free(d->ip);
	free(d->mac);
	free(d->category);
	d->ip = d->mac = d->category = NULL;
}

static int
column_dup_opt(sqlite3_stmt *st, int i, char **ret)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	*ret = NULL;
	if (v != NULL && (*ret = strdup(v)) == NULL)
		return -ENOMEM;
	return 0;
}

int
store_device_get(struct store *s, int64_t id, struct store_device *ret_device)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_GET,
	    "SELECT owner_agent, name, hostname, domain, os_name, os_version, "
	    "vendor, model, serial_number, category_manual, ip, mac, category, "
	    "status, last_seen_ms FROM devices WHERE id = ?1");
	struct store_device d = { .id = id };
	int rc, r = 0;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		(void)sqlite3_reset(st);
		return rc == SQLITE_DONE ? -ENOENT : store_error(s, rc);
	}
	d.owner_agent = sqlite3_column_int64(st, 0);
	d.status = (enum store_status)column_enum(st, STORE_ATTR_MAX + 4,
	    store_status_names, STORE_STATUS_MAX);
	d.last_seen_ms = sqlite3_column_int64(st, STORE_ATTR_MAX + 5);
	for (int i = 0; i < STORE_ATTR_MAX && r == 0; i++)
		r = column_dup_opt(st, i + 1, &d.attr[i]);
	if (r == 0)
		r = column_dup_opt(st, STORE_ATTR_MAX + 1, &d.ip);
	if (r == 0)
		r = column_dup_opt(st, STORE_ATTR_MAX + 2, &d.mac);
	if (r == 0)
		r = column_dup_opt(st, STORE_ATTR_MAX + 3, &d.category);
	(void)sqlite3_reset(st);
	if (r < 0) {
		store_device_clear(&d);
		return r;
	}
	*ret_device = d;
	return 0;
}

int
store_device_insert(struct store *s, enum store_source source, int64_t now_ms,
    int64_t *ret_id)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_INSERT,
	    "INSERT INTO devices (source, created_ms, last_seen_ms) "
	    "VALUES (?1, ?2, ?2)");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, store_source_names[source], -1,
	    SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 2, now_ms);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_device_count(struct store *s, int64_t *ret_count)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_COUNT,
	    "SELECT COUNT(*) FROM devices WHERE status IN ('authorized', "
	    "'unauthorized')");

	if (st == NULL)
		return -EIO;
	return store_step_int(s, st, ret_count);
}

int
store_device_touch(struct store *s, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_TOUCH,
	    "UPDATE devices SET last_seen_ms = ?2 "
	    "WHERE id = ?1 AND last_seen_ms < ?2 - ?3");
	int r;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_int64(st, 2, now_ms);
	(void)sqlite3_bind_int(st, 3, STORE_TOUCH_MS);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	/* the cache keeps last_seen_ms exact: this is its only writer */
	if (sqlite3_changes(s->db) > 0)
		peer_cache_touch(s->peer_cache, id, now_ms);
	return 0;
}

int
store_device_set_owner(struct store *s, int64_t id, int64_t agent_ref)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_OWNER,
	    "UPDATE devices SET owner_agent = ?2 WHERE id = ?1");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)store_bind_id(st, 2, agent_ref);
	return store_exec_stmt(s, st);
}

int
store_device_set_primary(struct store *s, int64_t id, const char *ip,
    const char *mac)
{
	/* only what changes: a peer seen again on its known MAC and IP
	   (a NULL leaves that column alone) writes nothing (issue 17) */
	sqlite3_stmt *st;
	int r;

	/* nothing asked, or the peer cache knows the row says so already:
	   the statement would change nothing */
	if (((ip == NULL || *ip == '\0') && (mac == NULL || *mac == '\0')) ||
	    peer_cache_primary_known(s->peer_cache, id, ip, mac))
		return 0;
	st = store_stmt(s, STMT_DEVICE_PRIMARY,
	    "UPDATE devices SET ip = COALESCE(?2, ip), mac = COALESCE(?3, mac) "
	    "WHERE id = ?1 AND ((?2 IS NOT NULL AND ip IS NOT ?2) OR "
	    "(?3 IS NOT NULL AND mac IS NOT ?3))");
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)store_bind_text(st, 2, ip);
	(void)store_bind_text(st, 3, mac);
	if ((r = store_exec_stmt(s, st)) < 0)
		return r;
	peer_cache_primary_set(s->peer_cache, id, ip, mac,
	    sqlite3_changes(s->db) > 0);
	return 0;
}

int
store_device_set_category(struct store *s, int64_t id, const char *category)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_CATEGORY,
	    "UPDATE devices SET category = ?2 WHERE id = ?1 "
	    "AND category IS NOT ?2");

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, id);
	(void)sqlite3_bind_text(st, 2, category, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st);
}

/* Copies the best value by precedence of attr into the devices row. */
static int
store_attr_refresh(struct store *s, int64_t device_id, enum store_attr attr)
{
	/* one statement per column: the column name cannot be bound */
	static const char *const sql[STORE_ATTR_MAX] = {
#define REFRESH(col, name)                                                    \
	"UPDATE devices SET " col " = (SELECT value FROM device_attributes "  \
	"WHERE device_id = ?1 AND name = '" name "' ORDER BY CASE source "    \
	"WHEN 'manual' THEN 0 WHEN 'epp' THEN 1 ELSE 2 END LIMIT 1) "         \
	"WHERE id = ?1"
		REFRESH("name", "name"),
		REFRESH("hostname", "hostname"),
		REFRESH("domain", "domain"),
		REFRESH("os_name", "os_name"),
		REFRESH("os_version", "os_version"),
		REFRESH("vendor", "vendor"),
		REFRESH("model", "model"),
		REFRESH("serial_number", "serial_number"),
		REFRESH("category_manual", "category"),
#undef REFRESH
	};
	sqlite3_stmt *st = store_stmt(s, STMT_ATTR_REFRESH + attr, sql[attr]);

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	return store_exec_stmt(s, st);
}

int
store_attr_set(struct store *s, int64_t device_id, enum store_attr attr,
    enum store_source source, const char *value, int64_t now_ms,
    char **ret_old, bool *ret_changed)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ATTR_GET,
	    "SELECT value FROM device_attributes "
	    "WHERE device_id = ?1 AND name = ?2 AND source = ?3");
	const char *name = store_attr_names[attr];
	const char *src = store_source_names[source];
	char *old = NULL;
	int rc, r;

	if (st == NULL)
		return -EIO;
	if (value != NULL && *value == '\0')
		value = NULL;
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, src, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		old = strdup((const char *)sqlite3_column_text(st, 0));
		(void)sqlite3_reset(st);
		if (old == NULL)
			return -ENOMEM;
	} else {
		(void)sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_error(s, rc);
	}
	if ((old == NULL && value == NULL) ||
	    (old != NULL && value != NULL && strcmp(old, value) == 0)) {
		*ret_changed = false;
		if (ret_old != NULL)
			*ret_old = old;
		else
			free(old);
		return 0;
	}
	if (value != NULL) {
		st = store_stmt(s, STMT_ATTR_PUT,
		    "INSERT INTO device_attributes (device_id, name, source, "
		    "value, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
		    "ON CONFLICT (device_id, name, source) DO UPDATE SET "
		    "value = excluded.value, updated_ms = excluded.updated_ms");
		if (st != NULL) {
			(void)sqlite3_bind_text(st, 4, value, -1,
			    SQLITE_STATIC);
			(void)sqlite3_bind_int64(st, 5, now_ms);
		}
	} else
		st = store_stmt(s, STMT_ATTR_DELETE,
		    "DELETE FROM device_attributes WHERE device_id = ?1 "
		    "AND name = ?2 AND source = ?3");
	if (st == NULL) {
		r = -EIO;
		goto out;
	}
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 3, src, -1, SQLITE_STATIC);
	if ((r = store_exec_stmt(s, st)) < 0 ||
	    (r = store_attr_refresh(s, device_id, attr)) < 0)
		goto out;
	*ret_changed = true;
	if (ret_old != NULL) {
		*ret_old = old;
		old = NULL;
	}
out:
	free(old);
	return r;
}

int
store_attr_get_source(struct store *s, int64_t device_id,
    enum store_source source, char *ret_values[STORE_ATTR_MAX])
{
	sqlite3_stmt *st = store_stmt(s, STMT_ATTR_GET_SOURCE,
	    "SELECT name, value FROM device_attributes "
	    "WHERE device_id = ?1 AND source = ?2");
	char *values[STORE_ATTR_MAX] = { NULL };
	int rc, r = 0;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, store_source_names[source], -1,
	    SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		for (int i = 0; i < STORE_ATTR_MAX; i++) {
			if (strcmp(name, store_attr_names[i]) != 0)
				continue;
			free(values[i]);
			values[i] = strdup(
			    (const char *)sqlite3_column_text(st, 1));
			if (values[i] == NULL)
				r = -ENOMEM;
			break;
		}
	}
	(void)sqlite3_reset(st);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_error(s, rc);
	if (r < 0) {
		for (int i = 0; i < STORE_ATTR_MAX; i++)
			free(values[i]);
		return r;
	}
	memcpy(ret_values, values, sizeof(values));
	return 0;
}

int
store_address_device(struct store *s, const char *value,
    int64_t *ret_device_id)
{
	struct store_holder h;
	int r;

	if ((r = store_address_holder(s, value, &h)) < 0)
		return r;
	*ret_device_id = h.device_id;
	return 0;
}

/* The holder of value from SQL, cached on the way. */
static int
address_holder_read(struct store *s, const char *value,
    struct store_holder *ret_holder)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ADDR_HOLDER,
	    "SELECT a.device_id, d.last_seen_ms, d.status, a.source, "
	    "EXISTS (SELECT 1 FROM addresses m WHERE m.device_id = a.device_id "
	    "AND m.kind = 'mac'), a.last_seen_ms, "
	    "d.ip IS a.value OR d.mac IS a.value FROM addresses a "
	    "JOIN devices d ON d.id = a.device_id WHERE a.value = ?1");
	struct store_holder h;
	bool primary;
	int rc;

	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		(void)sqlite3_reset(st);
		return rc == SQLITE_DONE ? -ENOENT : store_error(s, rc);
	}
	h.device_id = sqlite3_column_int64(st, 0);
	h.last_seen_ms = sqlite3_column_int64(st, 1);
	h.status = (enum store_status)column_enum(st, 2, store_status_names,
	    STORE_STATUS_MAX);
	h.source = (enum store_source)column_enum(st, 3, store_source_names,
	    STORE_SOURCE_MAX);
	h.has_mac = sqlite3_column_int(st, 4) != 0;
	h.addr_seen_ms = sqlite3_column_int64(st, 5);
	primary = sqlite3_column_int(st, 6) != 0;
	(void)sqlite3_reset(st);
	/* unknown addresses are not cached: they are about to be added */
	if (s->peer_cache == NULL)
		s->peer_cache = peer_cache_new();	/* NULL: no cache */
	peer_cache_put(s->peer_cache, value, &h, primary);
	*ret_holder = h;
	return 0;
}

int
store_address_holder(struct store *s, const char *value,
    struct store_holder *ret_holder)
{
	if (peer_cache_get(s->peer_cache, value, ret_holder) == 0)
		return 0;
	return address_holder_read(s, value, ret_holder);
}

void
store_address_prefetch(struct store *s, const char *const *values, size_t n)
{
	/* all buckets first, then the entries they name */
	for (size_t i = 0; i < n; i++)
		peer_cache_prefetch(s->peer_cache, values[i], false);
	for (size_t i = 0; i < n; i++)
		peer_cache_prefetch(s->peer_cache, values[i], true);
}

int
store_address_device_without_mac(struct store *s, const char *value,
    int64_t *ret_device_id)
{
	struct store_holder h;
	int r;

	if ((r = store_address_holder(s, value, &h)) < 0)
		return r;
	if (h.has_mac)
		return -ENOENT;
	*ret_device_id = h.device_id;
	return 0;
}

/*
 * What putting address value (of kind) on device_id, from device from (0:
 * a new address), may change in the peer cache: who holds value and, for
 * a MAC, whether either device has one.
 */
static void
address_forget(struct store *s, const char *kind, const char *value,
    int64_t device_id, int64_t from)
{
	peer_cache_forget(s->peer_cache, value);
	if (strcmp(kind, "mac") != 0)
		return;
	peer_cache_forget_device(s->peer_cache, device_id);
	if (from != 0)
		peer_cache_forget_device(s->peer_cache, from);
}

int
store_address_put(struct store *s, int64_t device_id, const char *kind,
    const char *value, const char *interface, enum store_source source,
    int64_t now_ms, int64_t *ret_from)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ADDR_GET,
	    "SELECT id, device_id FROM addresses WHERE value = ?1");
	struct store_holder h;
	int64_t addr_id = 0, from = 0;
	bool added = true;
	int rc;

	/* nothing to write: the statements below would change no row */
	if (interface == NULL &&
	    peer_cache_get(s->peer_cache, value, &h) == 0 &&
	    h.device_id == device_id &&
	    h.addr_seen_ms >= now_ms - STORE_TOUCH_MS) {
		*ret_from = 0;
		return 0;
	}
	if (st == NULL)
		return -EIO;
	(void)sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		addr_id = sqlite3_column_int64(st, 0);
		from = sqlite3_column_int64(st, 1);
	}
	(void)sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(s, rc);
	if (addr_id == 0 || from != device_id)
		address_forget(s, kind, value, device_id, from);
	if (addr_id == 0) {
		st = store_stmt(s, STMT_ADDR_INSERT,
		    "INSERT INTO addresses (device_id, kind, value, interface, "
		    "source, first_seen_ms, last_seen_ms) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
		if (st == NULL)
			return -EIO;
		(void)sqlite3_bind_int64(st, 1, device_id);
		(void)sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
		(void)sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
		(void)store_bind_text(st, 4, interface);
		(void)sqlite3_bind_text(st, 5, store_source_names[source], -1,
		    SQLITE_STATIC);
		(void)sqlite3_bind_int64(st, 6, now_ms);
		from = 0;
	} else {
		/* moving to another device restarts first_seen */
		st = store_stmt(s, STMT_ADDR_UPDATE,
		    "UPDATE addresses SET device_id = ?2, "
		    "interface = COALESCE(?3, interface), "
		    "first_seen_ms = CASE WHEN device_id = ?2 "
		    "THEN first_seen_ms ELSE ?4 END, last_seen_ms = ?4 "
		    "WHERE id = ?1 AND (device_id <> ?2 OR "
		    "last_seen_ms < ?4 - ?5)");
		if (st == NULL)
			return -EIO;
		(void)sqlite3_bind_int64(st, 1, addr_id);
		(void)sqlite3_bind_int64(st, 2, device_id);
		(void)store_bind_text(st, 3, interface);
		(void)sqlite3_bind_int64(st, 4, now_ms);
		(void)sqlite3_bind_int(st, 5, STORE_TOUCH_MS);
		if (from == device_id) {
			from = 0;
			added = false;
		}
	}
	if ((rc = store_exec_stmt(s, st)) < 0)
		return rc;
	/* the cache keeps the address's last_seen_ms exact: it holds
	   only addresses that stayed on their device here */
	if (!added && sqlite3_changes(s->db) > 0)
		peer_cache_seen(s->peer_cache, value, now_ms);
	*ret_from = from;
	return added ? 1 : 0;
}

int
store_address_set_source(struct store *s, const char *value,
    enum store_source source)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ADDR_SOURCE,
	    "UPDATE addresses SET source = ?2 WHERE value = ?1 "
	    "AND source <> ?2");

	if (st == NULL)
		return -EIO;
	peer_cache_forget(s->peer_cache, value);
	(void)sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 2, store_source_names[source], -1,
	    SQLITE_STATIC);
	return store_exec_stmt(s, st);
}

int
store_device_drop_primary_ip(struct store *s, int64_t device_id,
    const char *ip)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DEVICE_DROP_PRIMARY_IP,
	    "UPDATE devices SET ip = (SELECT value FROM addresses "
	    "WHERE device_id = ?1 AND kind <> 'mac' ORDER BY kind, id "
	    "LIMIT 1) WHERE id = ?1 AND ip = ?2");

	if (st == NULL)
		return -EIO;
	/* the device's primary IP may change: the cache's bits go */
	peer_cache_primary_lost(s->peer_cache, device_id);
	(void)sqlite3_bind_int64(st, 1, device_id);
	(void)sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st);
}
