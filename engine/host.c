/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains what an agent's HostInfo does to its device: identity
 * by MAC then by the IP of a MAC-less device, EPP attributes with one
 * "device attributes changed" event, addresses (address.c: conflicts and
 * moves), the derived category, and the list of EPP applications.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "category.h"
#include "engine-private.h"
#include "kics_limits.h"
#include "strbuf.h"

/* Canonical identifying MAC of an interface into buf, or false. */
static bool
iface_mac(const Kics__Epp__V1__NetworkInterface *ni, char *buf, size_t len)
{
	struct addr_mac mac;

	if (ni->mac == NULL || *ni->mac == '\0' ||
	    addr_mac_parse(ni->mac, &mac) < 0 ||
	    !addr_mac_is_identifying(&mac))
		return false;
	return addr_mac_format(&mac, buf, len) == 0;
}

/* Canonical identifying IP of an interface address into buf, or false. */
static bool
iface_ip(const char *text, char *buf, size_t len, bool *ret_v4)
{
	struct addr_ip ip;
	int prefix;

	if (addr_ip_parse_prefixed(text, &ip, &prefix) < 0 ||
	    !addr_ip_is_identifying(&ip))
		return false;
	*ret_v4 = ip.family == ADDR_FAMILY_IPV4;
	return addr_ip_format(&ip, buf, len) == 0;
}

int
host_find_device(struct store *s, const Kics__Epp__V1__HostInfo *h,
    int64_t *ret_device_id)
{
	char buf[ADDR_TEXT_MAX];
	bool v4;
	int r;

	for (size_t i = 0; i < h->n_interfaces; i++) {
		if (!iface_mac(h->interfaces[i], buf, sizeof(buf)))
			continue;
		r = store_address_device(s, buf, ret_device_id);
		if (r != -ENOENT)
			return r;
	}
	for (size_t i = 0; i < h->n_interfaces; i++) {
		const Kics__Epp__V1__NetworkInterface *ni = h->interfaces[i];

		for (size_t j = 0; j < ni->n_addresses; j++) {
			if (!iface_ip(ni->addresses[j], buf, sizeof(buf), &v4))
				continue;
			r = store_address_device_without_mac(s, buf,
			    ret_device_id);
			if (r != -ENOENT)
				return r;
		}
	}
	return -ENOENT;
}

/*
 * Puts an address of the host on its device (address_claim()); mac is
 * the host's first MAC ("" when none). Returns 0, 1 when the address is
 * another device's (an IP conflict), or a negative errno.
 */
static int
host_put_address(struct report_ctx *c, const char *kind, const char *value,
    const char *iface, const char *mac)
{
	struct address_claim a = {
		.device_id = c->device_id,
		.kind = kind,
		.value = value,
		.iface = iface,
		.source = STORE_SOURCE_EPP,
		.device_new = c->device_new,
		.mac = mac,
		.agent_ref = c->agent_ref,
	};

	return address_claim(c->e, &a, c->now_ms);
}

/* The first identifying MAC of h into buf, or "". */
static void
host_first_mac(const Kics__Epp__V1__HostInfo *h, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < h->n_interfaces; i++)
		if (iface_mac(h->interfaces[i], buf, len))
			return;
}

/* Replaces *slot with a copy of value. */
static int
host_remember_text(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

/* Stores the interfaces' addresses and picks the primary IP and MAC. */
static int
host_apply_addresses(struct report_ctx *c, const Kics__Epp__V1__HostInfo *h)
{
	char mac[ADDR_TEXT_MAX], ip[ADDR_TEXT_MAX], first[ADDR_TEXT_MAX];
	char pmac[ADDR_TEXT_MAX] = "", pip[ADDR_TEXT_MAX] = "";
	bool pip_v4 = false, v4;
	int r;

	host_first_mac(h, first, sizeof(first));
	for (size_t i = 0; i < h->n_interfaces; i++) {
		const Kics__Epp__V1__NetworkInterface *ni = h->interfaces[i];
		bool has_mac = iface_mac(ni, mac, sizeof(mac));

		if (has_mac && (r = host_put_address(c, "mac", mac,
		    ni->name, first)) < 0)
			return r;
		for (size_t j = 0; j < ni->n_addresses; j++) {
			if (!iface_ip(ni->addresses[j], ip, sizeof(ip), &v4))
				continue;
			r = host_put_address(c, v4 ? "ipv4" : "ipv6", ip,
			    ni->name, first);
			if (r < 0)
				return r;
			/* an IP that stays with another device is not ours */
			if (r == 1)
				continue;
			/* prefer an IPv4 on an interface with a MAC */
			if (pip[0] == '\0' || (v4 && !pip_v4)) {
				(void)snprintf(pip, sizeof(pip), "%s", ip);
				pip_v4 = v4;
				if (has_mac)
					(void)snprintf(pmac, sizeof(pmac),
					    "%s", mac);
			}
		}
		if (has_mac && pmac[0] == '\0' && pip[0] == '\0')
			(void)snprintf(pmac, sizeof(pmac), "%s", mac);
	}
	if ((r = store_device_set_primary(c->e->store, c->device_id, pip,
	    pmac)) < 0)
		return r;
	/* the rules of this report's events see the new addresses */
	if (pip[0] != '\0' && (r = host_remember_text(&c->device.ip, pip)) < 0)
		return r;
	if (pmac[0] != '\0')
		r = host_remember_text(&c->device.mac, pmac);
	return r;
}

/* The EPP attributes of a HostInfo, indexed by enum store_attr. */
static void
host_values(const Kics__Epp__V1__HostInfo *h,
    const char *ret_values[STORE_ATTR_MAX])
{
	for (int i = 0; i < STORE_ATTR_MAX; i++)
		ret_values[i] = NULL;
	ret_values[STORE_ATTR_HOSTNAME] = h->hostname;
	ret_values[STORE_ATTR_DOMAIN] = h->domain;
	ret_values[STORE_ATTR_OS_NAME] = h->os_name;
	ret_values[STORE_ATTR_OS_VERSION] = h->os_version;
	ret_values[STORE_ATTR_VENDOR] = h->vendor;
	ret_values[STORE_ATTR_MODEL] = h->model;
	ret_values[STORE_ATTR_SERIAL_NUMBER] = h->serial_number;
}

/* Replaces c->device.attr[a] with a copy of value. */
static int
host_remember(struct report_ctx *c, enum store_attr a, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -ENOMEM;
	free(c->device.attr[a]);
	c->device.attr[a] = copy;
	return 0;
}

int
host_apply(struct report_ctx *c, bool same_host)
{
	const Kics__Epp__V1__HostInfo *h = c->r->host;
	struct store *s = c->e->store;
	const char *now[STORE_ATTR_MAX];
	char *before[STORE_ATTR_MAX] = { NULL };
	struct strbuf changes;
	bool changed;
	int r;

	strbuf_init(&changes);
	if (same_host) {
		r = host_apply_addresses(c, h);
		goto out;
	}
	host_values(h, now);
	if ((r = store_attr_get_source(s, c->device_id, STORE_SOURCE_EPP,
	    before)) < 0)
		goto out;
	for (int a = 0; a < STORE_ATTR_MAX; a++) {
		/* proto3 cannot tell empty from absent: empty keeps */
		if (now[a] == NULL || *now[a] == '\0')
			continue;
		if (before[a] != NULL && strcmp(before[a], now[a]) == 0)
			continue;
		if ((r = store_attr_set(s, c->device_id, a, STORE_SOURCE_EPP,
		    now[a], c->now_ms, NULL, &changed)) < 0)
			goto out;
		if (before[a] != NULL) {
			(void)strbuf_printf(&changes, "%s%s changed from '%s' "
			    "to '%s'", changes.len ? "; " : "",
			    store_attr_names[a], before[a], now[a]);
		}
		if (c->device.attr[a] == NULL ||
		    strcmp(c->device.attr[a], now[a]) != 0) {
			/* the effective value, unless a manual one wins */
			struct store_device d;

			if ((r = store_device_get(s, c->device_id, &d)) < 0)
				goto out;
			if (d.attr[a] != NULL)
				r = host_remember(c, a, d.attr[a]);
			store_device_clear(&d);
			if (r < 0)
				goto out;
		}
	}
	if ((r = changes.error) < 0)
		goto out;
	if (changes.len > 0 && (r = event_system(c->e, EVENT_DEVICE_CHANGED,
	    c->device_id, c->agent_ref, c->device.attr[STORE_ATTR_HOSTNAME],
	    strbuf_str(&changes), c->now_ms)) < 0)
		goto out;
	/* proto3: no OS name is no news, not an unknown OS */
	if (h->os_name != NULL && *h->os_name != '\0' &&
	    ((r = store_device_set_category(s, c->device_id,
	    category_from_os(h->os_name, h->os_version))) < 0 ||
	    (r = host_remember_text(&c->device.category,
	    category_from_os(h->os_name, h->os_version))) < 0))
		goto out;
	r = host_apply_addresses(c, h);
out:
	for (int a = 0; a < STORE_ATTR_MAX; a++)
		free(before[a]);
	strbuf_fini(&changes);
	return r;
}

int
host_apply_applications(struct report_ctx *c)
{
	static const char *const states[] = {
		"unspecified", "running", "stopped", "failed",
	};
	struct store_application apps[LIMIT_APPLICATIONS];
	const Kics__Epp__V1__AgentReport *rep = c->r;
	size_t n = rep->n_applications;

	/* report_validate() bounds the list and the states */
	if (n > LIMIT_APPLICATIONS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const Kics__Epp__V1__EppApplication *a = rep->applications[i];
		unsigned st = (unsigned)a->state;

		apps[i].product = a->product;
		apps[i].version = a->version;
		apps[i].state = st < 4 ? states[st] : states[0];
		apps[i].realtime_protection = a->realtime_protection;
		apps[i].bases_date_ms = a->bases_date_ms;
	}
	return store_applications_replace(c->e->store, c->device_id,
	    c->agent_ref, apps, n, c->now_ms);
}
