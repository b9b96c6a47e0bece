/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains what happens when a source shows an address on a
 * device (issue 12): an IP held by an authorized device, or set by hand,
 * stays where it is and "IP address conflict" is registered; any other IP
 * is put on the device, and "new IP address for a device with a known
 * MAC" is registered when it moved from another device or is new on a
 * device that has a MAC. A MAC that moves is new information about its
 * new device.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine-private.h"

static bool
address_is_ip(const struct address_claim *a)
{
	return strcmp(a->kind, "mac") != 0;
}

/* Whether the IP of holder h stays with it rather than moving to a. */
static bool
address_held(const struct address_claim *a, const struct store_holder *h)
{
	/* an administrator setting an IP by hand says where it belongs */
	if (a->source == STORE_SOURCE_MANUAL)
		return false;
	return h->status == STORE_STATUS_AUTHORIZED ||
	    h->source == STORE_SOURCE_MANUAL;
}

/* " (MAC aa:bb:…)" for the text of an event, or "". */
static void
address_mac_text(const struct address_claim *a, char *buf, size_t len)
{
	if (a->mac != NULL && *a->mac != '\0')
		(void)snprintf(buf, len, " (MAC %s)", a->mac);
	else
		buf[0] = '\0';
}

/*
 * Registers "IP address conflict" on the device that shows the IP, when
 * the conflict is new, then once an hour while it lasts. Returns 1.
 */
static int
address_conflict(struct engine *e, const struct address_claim *a,
    const struct store_holder *h, int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN], holder[ENGINE_LABEL_LEN];
	char user[ENGINE_LABEL_LEN], host[ENGINE_LABEL_LEN], mac[64];
	int r;

	r = store_conflict_note(e->store, a->device_id, a->value, now_ms,
	    ENGINE_NOTICE_MS);
	if (r <= 0)
		return r;
	if ((r = event_device_label(e, h->device_id, holder, sizeof(holder),
	    NULL, 0)) < 0 ||
	    (r = event_device_label(e, a->device_id, user, sizeof(user), host,
	    sizeof(host))) < 0)
		return r;
	address_mac_text(a, mac, sizeof(mac));
	(void)snprintf(text, sizeof(text), "IP address %s is held by %s "
	    "(%s) and is also used by %s%s: it stays with %s", a->value,
	    holder, h->source == STORE_SOURCE_MANUAL ? "set by hand" :
	    "authorized", user, mac, holder);
	if ((r = event_system(e, EVENT_IP_CONFLICT, a->device_id, a->agent_ref,
	    host, text, now_ms)) < 0)
		return r;
	return 1;
}

/* Registers "new IP address" for a->value, taken from device from (0). */
static int
address_ip_new(struct engine *e, const struct address_claim *a, int64_t from,
    int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN], user[ENGINE_LABEL_LEN];
	char host[ENGINE_LABEL_LEN], mac[64], old[ENGINE_LABEL_LEN] = "";
	int r;

	if ((r = event_device_label(e, a->device_id, user, sizeof(user), host,
	    sizeof(host))) < 0 || (from != 0 &&
	    (r = event_device_label(e, from, old, sizeof(old), NULL, 0)) < 0))
		return r;
	address_mac_text(a, mac, sizeof(mac));
	(void)snprintf(text, sizeof(text), "new IP address %s for %s%s%s%s%s",
	    a->value, user, mac, from != 0 ? ": moved from " : "", old,
	    a->source == STORE_SOURCE_MANUAL ? ", set by hand" : "");
	return event_system(e, EVENT_IP_MOVED, a->device_id, a->agent_ref,
	    host, text, now_ms);
}

/* A MAC moved to a->device_id from device from: new information. */
static int
address_mac_moved(struct engine *e, const struct address_claim *a,
    int64_t from, int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN], user[ENGINE_LABEL_LEN];
	char host[ENGINE_LABEL_LEN], old[ENGINE_LABEL_LEN];
	int r;

	if ((r = event_device_label(e, a->device_id, user, sizeof(user), host,
	    sizeof(host))) < 0 ||
	    (r = event_device_label(e, from, old, sizeof(old), NULL, 0)) < 0)
		return r;
	(void)snprintf(text, sizeof(text), "MAC address %s moved from %s to "
	    "%s", a->value, old, user);
	return event_system(e, EVENT_DEVICE_CHANGED, a->device_id, a->agent_ref,
	    host, text, now_ms);
}

int
address_claim(struct engine *e, const struct address_claim *a, int64_t now_ms)
{
	struct store_holder h;
	int64_t from = 0;
	int r;

	r = store_address_holder(e->store, a->value, &h);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && h.device_id != a->device_id && address_is_ip(a) &&
	    address_held(a, &h))
		return address_conflict(e, a, &h, now_ms);
	if ((r = store_address_put(e->store, a->device_id, a->kind, a->value,
	    a->iface, a->source, now_ms, &from)) <= 0)
		return r;
	if (!address_is_ip(a))
		return from != 0 ? address_mac_moved(e, a, from, now_ms) : 0;
	/* a device added with this data has no conflict on record yet */
	if (!a->device_new &&
	    (r = store_conflict_clear(e->store, a->device_id, a->value)) < 0)
		return r;
	/* the device it left stops showing it in the device table */
	if (from != 0 && (r = store_device_drop_primary_ip(e->store, from,
	    a->value)) < 0)
		return r;
	/* a device added just now: "new device" says it all */
	if (from == 0 && (a->device_new || a->mac == NULL || *a->mac == '\0'))
		return 0;
	return address_ip_new(e, a, from, now_ms);
}
