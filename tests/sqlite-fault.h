/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A failing allocator for SQLite (STYLE.md §7, after SQLite's
 * do_faultsim_test), shared by the fault-injection tests: once armed with
 * N, SQLite's Nth allocation from then on (malloc or realloc) fails, once.
 */
#ifndef KICS_SQLITE_FAULT_H
#define KICS_SQLITE_FAULT_H

#include <stdbool.h>

/*
 * Swaps SQLite's allocator for the failing one, disarmed (SQLite is shut
 * down first, so no connection may be open); aborts if SQLite refuses.
 */
void sqlite_fault_install(void);
/*
 * Arms the allocator: the allocation n from now (0: the next one) fails.
 * Resets the count that sqlite_fault_disarm() returns.
 */
void sqlite_fault_arm(long n);
/*
 * Disarms the allocator and returns the number of allocations it failed
 * since sqlite_fault_arm() (0: the code ran out before reaching n).
 */
long sqlite_fault_disarm(void);
/* Whether an allocation is still due to fail. */
bool sqlite_fault_armed(void);

#endif
