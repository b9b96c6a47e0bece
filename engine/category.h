/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device category derived from the operating system an agent reports:
 * server, workstation or unknown.
 */
#ifndef KICS_CATEGORY_H
#define KICS_CATEGORY_H

#define CATEGORY_SERVER		"server"
#define CATEGORY_WORKSTATION	"workstation"
#define CATEGORY_UNKNOWN	"unknown"

/*
 * Returns CATEGORY_SERVER, CATEGORY_WORKSTATION or CATEGORY_UNKNOWN for
 * the OS named by os_name and os_version (either may be NULL or empty).
 * Matching is case-insensitive over "os_name os_version" against one
 * ordered table of word patterns; the first match wins, so "Windows Server"
 * and "Ubuntu Server" are servers and "Red Hat Enterprise Linux
 * Workstation" is a workstation. Editions that are used both ways and say
 * nothing more (plain "Ubuntu", "Debian", "Windows" "6.1.7601") are
 * unknown. A bare "Windows" "10.0.<build>" counts as a workstation, as
 * Windows Server builds share that number: agents should send the product
 * name. The result is a static string, never NULL.
 */
const char *category_from_os(const char *os_name, const char *os_version);

#endif
