/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's page cache (store_pcache.c): SQLite's own, with the
 * temporary page number of b-tree balancing kept out of its sight. The
 * first store_open() of a process installs it.
 */
#ifndef KICS_STORE_PCACHE_H
#define KICS_STORE_PCACHE_H

#include <stdint.h>

/*
 * Installs it: call before SQLite initializes. SQLITE_OK (also when it is
 * installed already), or SQLITE_MISUSE once SQLite is initialized
 * (SQLite's own cache stays).
 */
int store_pcache_install(void);
/* Pages moved to the temporary number since the process started. */
uint64_t store_pcache_standins(void);

#endif
