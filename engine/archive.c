/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the archive (issue 12): devices silent for
 * archive_after_days, or archived by an administrator, get the status
 * archived with one "device archived" event each and leave the count of
 * max_devices; the archive is a pool of max_archived_devices where the
 * devices silent the longest are deleted to make room, with one event
 * that gives their number; an archived device that shows activity again
 * registers "activity from an archived device" and becomes unauthorized.
 */
#include <errno.h>
#include <stdio.h>

#include "engine-private.h"

#define ARCHIVE_PRUNE_STEP	1024	/* devices deleted per call */
#define DAY_MS			86400000LL

int
archive_device(struct engine *e, int64_t id, const char *why, int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN], label[ENGINE_LABEL_LEN];
	char host[ENGINE_LABEL_LEN];
	int r;

	if ((r = store_device_status_set(e->store, id,
	    STORE_STATUS_ARCHIVED)) <= 0)
		return r;
	/* one device fewer counts towards max_devices: count again */
	e->device_count = -1;
	if ((r = event_device_label(e, id, label, sizeof(label), host,
	    sizeof(host))) < 0)
		return r;
	(void)snprintf(text, sizeof(text), "%s archived: %s", label, why);
	if ((r = event_system(e, EVENT_DEVICE_ARCHIVED, id, 0, host, text,
	    now_ms)) < 0)
		return r;
	return 1;
}

int
archive_reactivate(struct engine *e, int64_t id, int64_t agent_ref,
    const char *how, int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN], label[ENGINE_LABEL_LEN];
	char host[ENGINE_LABEL_LEN];
	int r;

	if ((r = store_device_status_set(e->store, id,
	    STORE_STATUS_UNAUTHORIZED)) <= 0)
		return r;
	/* may run high after a rollback, never low (engine-private.h) */
	if (e->device_count >= 0)
		e->device_count++;
	if ((r = event_device_label(e, id, label, sizeof(label), host,
	    sizeof(host))) < 0)
		return r;
	(void)snprintf(text, sizeof(text), "archived %s %s: it is "
	    "unauthorized now", label, how);
	return event_system(e, EVENT_ARCHIVED_ACTIVITY, id, agent_ref, host,
	    text, now_ms);
}

int
archive_prune(struct engine *e, int64_t now_ms)
{
	char text[ENGINE_SYSTEM_TEXT_LEN];
	int64_t count, n;
	int r;

	if ((r = store_archive_count(e->store, &count)) < 0)
		return r;
	if (count <= (int64_t)e->cfg.max_archived_devices)
		return 0;
	n = count - (int64_t)e->cfg.max_archived_devices;
	if (n > ARCHIVE_PRUNE_STEP)
		n = ARCHIVE_PRUNE_STEP;
	if ((r = store_archive_prune(e->store, n)) < 0)
		return r;
	(void)snprintf(text, sizeof(text), "the archive held %lld devices "
	    "(max_archived_devices %u): the %d archived devices silent the "
	    "longest were deleted to make room", (long long)count,
	    e->cfg.max_archived_devices, r);
	if ((r = event_system(e, EVENT_DEVICE_LIMIT, 0, 0, NULL, text,
	    now_ms)) < 0)
		return r;
	return count - n > (int64_t)e->cfg.max_archived_devices ? 1 : 0;
}

int
archive_sweep(struct engine *e, int64_t now_ms)
{
	int64_t ids[ENGINE_TICK_BATCH];
	int64_t days = (int64_t)e->cfg.archive_after_days;
	char why[128];
	int n, r;

	n = store_device_silent(e->store, now_ms - days * DAY_MS, ids,
	    ENGINE_TICK_BATCH);
	if (n < 0)
		return n;
	(void)snprintf(why, sizeof(why), "no activity for %lld days "
	    "(limits.archive_after_days)", (long long)days);
	for (int i = 0; i < n; i++)
		if ((r = archive_device(e, ids[i], why, now_ms)) < 0)
			return r;
	if ((r = archive_prune(e, now_ms)) < 0)
		return r;
	return r > 0 || n == ENGINE_TICK_BATCH ? 1 : 0;
}
