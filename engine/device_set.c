/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains device set (issue 12): the devices an administrator
 * names (id, IP, MAC or name, as kics-query device show) or every device
 * with an IP in a network, and the manual values given to all of them in
 * one transaction, each device's change registered with its old and new
 * values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "engine-private.h"
#include "strbuf.h"

/* The ids selected, sorted and without repeats once selection is over. */
struct device_ids {
	int64_t		*v;
	size_t		 n;
	size_t		 cap;
};

/* What the network scan needs. */
struct device_subnet {
	struct addr_cidr	 cidr;
	struct device_ids	*ids;
};

static bool
is_set(const char *v)
{
	return v != NULL && *v != '\0';
}

static int
ids_add(struct device_ids *ids, int64_t id)
{
	int64_t *v;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap > 0 ? ids->cap * 2 : 64;

		if ((v = realloc(ids->v, cap * sizeof(*v))) == NULL)
			return -ENOMEM;
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = id;
	return 0;
}

static int
ids_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts ids and drops repeats (a device named twice changes once). */
static void
ids_unique(struct device_ids *ids)
{
	size_t k = 0;

	if (ids->n == 0)
		return;
	qsort(ids->v, ids->n, sizeof(ids->v[0]), ids_cmp);
	for (size_t i = 1; i < ids->n; i++)
		if (ids->v[i] != ids->v[k])
			ids->v[++k] = ids->v[i];
	ids->n = k + 1;
}

/* Whether key is a device id: decimal digits only, as device show. */
static bool
key_is_id(const char *key, int64_t *ret_id)
{
	char *end;
	long long v;

	if (*key < '0' || *key > '9')
		return false;
	v = strtoll(key, &end, 10);
	if (*end != '\0' || v < 1)
		return false;
	*ret_id = (int64_t)v;
	return true;
}

/* Resolves one key to a device id; see engine_device_set(). */
static int
select_key(struct engine *e, const char *key, int64_t *ret_id,
    struct engine_device_result *ret)
{
	char canon[ADDR_TEXT_MAX];
	int64_t id;
	int r;

	if (key_is_id(key, &id)) {
		if ((r = store_device_exists(e->store, id)) < 0)
			return r;
	} else if (addr_ip_normalize(key, canon, sizeof(canon)) == 0 ||
	    addr_mac_normalize(key, canon, sizeof(canon)) == 0) {
		if ((r = store_address_device(e->store, canon, &id)) < 0)
			return r;
	} else if ((r = store_device_by_name(e->store, key, &id,
	    &ret->named)) < 0)
		return r;
	*ret_id = id;
	return 0;
}

static int
select_subnet_fn(void *ctx, int64_t device_id, const char *text)
{
	struct device_subnet *x = ctx;
	struct addr_ip ip;

	if (addr_ip_parse(text, &ip) < 0 || !addr_cidr_contains(&x->cidr, &ip))
		return 0;
	return ids_add(x->ids, device_id);
}

/* Fills ids with the devices sel selects; see engine_device_set(). */
static int
device_select(struct engine *e, const struct engine_device_select *sel,
    struct device_ids *ids, struct engine_device_result *ret)
{
	struct device_subnet x = { .ids = ids };
	int64_t id;
	int r;

	if (sel->subnet != NULL) {
		if (addr_cidr_parse(sel->subnet, &x.cidr) < 0) {
			ret->bad = sel->subnet;
			return -EINVAL;
		}
		if ((r = store_ip_each(e->store, select_subnet_fn, &x)) < 0)
			return r;
	}
	for (size_t i = 0; i < sel->n_keys; i++) {
		if ((r = select_key(e, sel->keys[i], &id, ret)) == 0)
			r = ids_add(ids, id);
		if (r < 0) {
			ret->bad = sel->keys[i];
			return r;
		}
	}
	ids_unique(ids);
	return ids->n > 0 ? 0 : -ENOENT;
}

/* The status part of one device's change; *ret_archived when archived. */
static int
device_set_status(struct engine *e, const struct store_device *dev,
    enum store_status status, int64_t now_ms, struct strbuf *text,
    bool *ret_changed)
{
	int r;

	if (dev->status == status)
		return 0;
	*ret_changed = true;
	/* the same path as the sweep, with its event and pool */
	if (status == STORE_STATUS_ARCHIVED) {
		r = archive_device(e, dev->id, "archived by an administrator",
		    now_ms);
		return r < 0 ? r : 0;
	}
	if ((r = store_device_status_set(e->store, dev->id, status)) < 0)
		return r;
	if (dev->status == STORE_STATUS_ARCHIVED)
		e->device_count = -1;
	(void)strbuf_printf(text, " status '%s' (was '%s')",
	    store_status_names[status], store_status_names[dev->status]);
	return 0;
}

/* The manual IP of one device. */
static int
device_set_ip(struct engine *e, const struct store_device *dev,
    const char *ip, int64_t now_ms, struct strbuf *text, bool *ret_changed)
{
	struct addr_ip a;
	struct address_claim c = {
		.device_id = dev->id,
		.value = ip,
		.source = STORE_SOURCE_MANUAL,
		.mac = dev->mac,
	};
	int64_t from;
	int r;

	if (addr_ip_parse(ip, &a) < 0)
		return -EINVAL;
	c.kind = a.family == ADDR_FAMILY_IPV4 ? "ipv4" : "ipv6";
	if ((r = address_claim(e, &c, now_ms)) < 0)
		return r;
	/* already its own, or moved: now set by hand either way */
	if ((r = store_address_put(e->store, dev->id, c.kind, ip, NULL,
	    STORE_SOURCE_MANUAL, now_ms, &from)) < 0 ||
	    (r = store_address_set_source(e->store, ip,
	    STORE_SOURCE_MANUAL)) < 0 ||
	    (r = store_device_set_primary(e->store, dev->id, ip, NULL)) < 0)
		return r;
	if (dev->ip == NULL || strcmp(dev->ip, ip) != 0) {
		*ret_changed = true;
		(void)strbuf_printf(text, " ip '%s' (was '%s')", ip,
		    dev->ip != NULL ? dev->ip : "");
	}
	return 0;
}

/* Applies d to device id; counts it in ret when anything changed. */
static int
device_set_one(struct engine *e, int64_t id, const struct engine_device_edit *d,
    const enum store_status *status, int64_t now_ms,
    struct engine_device_result *ret)
{
	const struct {
		enum store_attr	attr;
		const char	*value;
	} attrs[] = {
		{ STORE_ATTR_NAME, d->name },
		{ STORE_ATTR_CATEGORY, d->category },
		{ STORE_ATTR_VENDOR, d->vendor },
		{ STORE_ATTR_MODEL, d->model },
		{ STORE_ATTR_OS_NAME, d->os_name },
		{ STORE_ATTR_OS_VERSION, d->os_version },
	};
	struct store_device dev = { 0 };
	struct strbuf text;
	bool changed = false, attr_changed;
	size_t empty;
	int r;

	strbuf_init(&text);
	if ((r = store_device_get(e->store, id, &dev)) < 0)
		goto out;
	(void)strbuf_printf(&text, "set by an administrator:");
	empty = text.len;
	if (status != NULL && (r = device_set_status(e, &dev, *status, now_ms,
	    &text, &changed)) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		char *old = NULL;

		if (!is_set(attrs[i].value))
			continue;
		r = store_attr_set(e->store, id, attrs[i].attr,
		    STORE_SOURCE_MANUAL, attrs[i].value, now_ms, &old,
		    &attr_changed);
		if (r < 0)
			goto out;
		/* the value in effect before: manual, else epp or traffic */
		if (dev.attr[attrs[i].attr] == NULL ||
		    strcmp(dev.attr[attrs[i].attr], attrs[i].value) != 0) {
			changed = true;
			(void)strbuf_printf(&text, " %s '%s' (was '%s')",
			    store_attr_names[attrs[i].attr], attrs[i].value,
			    dev.attr[attrs[i].attr] != NULL ?
			    dev.attr[attrs[i].attr] : "");
		}
		free(old);
	}
	if (is_set(d->ip) && (r = device_set_ip(e, &dev, d->ip, now_ms, &text,
	    &changed)) < 0)
		goto out;
	if ((r = text.error) < 0)
		goto out;
	if (text.len > empty && (r = event_system(e, EVENT_DEVICE_CHANGED, id,
	    0, dev.attr[STORE_ATTR_HOSTNAME], strbuf_str(&text),
	    now_ms)) < 0)
		goto out;
	if (changed)
		ret->changed++;
out:
	store_device_clear(&dev);
	strbuf_fini(&text);
	return r;
}

/* Checks what does not need the database; see engine_device_set(). */
static int
device_set_check(const struct engine_device_select *sel,
    const struct engine_device_edit *d, enum store_status *ret_status,
    struct engine_device_result *ret)
{
	struct addr_ip ip;

	if (sel->n_keys > ENGINE_DEVICE_KEYS)
		return -E2BIG;
	if (is_set(d->status) && store_status_parse(d->status,
	    ret_status) < 0) {
		ret->bad = d->status;
		return -EINVAL;
	}
	if (is_set(d->ip) && (addr_ip_parse(d->ip, &ip) < 0 ||
	    !addr_ip_is_identifying(&ip) || sel->subnet != NULL ||
	    sel->n_keys != 1)) {
		ret->bad = d->ip;
		return -EINVAL;
	}
	if ((sel->subnet == NULL) == (sel->n_keys == 0)) {
		ret->bad = NULL;
		return -EINVAL;
	}
	return 0;
}

int
engine_device_set(struct engine *e, const struct engine_device_select *sel,
    const struct engine_device_edit *d, int64_t now_ms,
    struct engine_device_result *ret)
{
	struct device_ids ids = { 0 };
	enum store_status status = STORE_STATUS_MAX;
	char ip[ADDR_TEXT_MAX];
	struct engine_device_edit dd = *d;
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = device_set_check(sel, d, &status, ret)) < 0)
		return r;
	if (is_set(d->ip)) {
		(void)addr_ip_normalize(d->ip, ip, sizeof(ip));
		dd.ip = ip;
	}
	if ((r = store_begin(e->store)) < 0)
		return r;
	if ((r = device_select(e, sel, &ids, ret)) < 0)
		goto out;
	ret->matched = (int64_t)ids.n;
	ret->first_id = ids.v[0];
	for (size_t i = 0; i < ids.n && r == 0; i++)
		r = device_set_one(e, ids.v[i], &dd, status < STORE_STATUS_MAX ?
		    &status : NULL, now_ms, ret);
	/* the archive's pool: a step now, the ticks do the rest */
	if (r == 0 && status == STORE_STATUS_ARCHIVED &&
	    (r = archive_prune(e, now_ms)) > 0)
		r = 0;
out:
	if ((r = store_end(e->store, r)) < 0) {
		e->device_count = -1;
		ret->matched = ret->changed = 0;
	}
	free(ids.v);
	return r;
}
