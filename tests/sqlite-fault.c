/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The failing SQLite allocator of sqlite-fault.h: it counts down the
 * allocations and fails the one at which the count reaches 0; every other
 * call goes to SQLite's own allocator.
 */
#include <sqlite3.h>
#include <stdbool.h>

#include "sqlite-fault.h"
#include "testutil.h"

static sqlite3_mem_methods real_mem;
static long fault_countdown = -1;	/* fail when it reaches 0; < 0: off */
static long fault_hits;			/* failed since sqlite_fault_arm() */

/* Whether this allocation is the one to fail. */
static bool
fault_due(void)
{
	if (fault_countdown >= 0 && fault_countdown-- == 0) {
		fault_hits++;
		return true;
	}
	return false;
}

static void *
fault_malloc(int n)
{
	return fault_due() ? NULL : real_mem.xMalloc(n);
}

static void *
fault_realloc(void *p, int n)
{
	return fault_due() ? NULL : real_mem.xRealloc(p, n);
}

void
sqlite_fault_install(void)
{
	sqlite3_mem_methods m;

	CHECK(sqlite3_shutdown() == SQLITE_OK);
	CHECK(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) ==
	    SQLITE_OK);
	m = real_mem;
	m.xMalloc = fault_malloc;
	m.xRealloc = fault_realloc;
	CHECK(sqlite3_config(SQLITE_CONFIG_MALLOC, &m) == SQLITE_OK);
	fault_countdown = -1;
}

void
sqlite_fault_arm(long n)
{
	fault_hits = 0;
	fault_countdown = n;
}

long
sqlite_fault_disarm(void)
{
	fault_countdown = -1;
	return fault_hits;
}

bool
sqlite_fault_armed(void)
{
	return fault_countdown >= 0;
}
