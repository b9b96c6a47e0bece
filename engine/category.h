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
 * nothing more (plain "Ubuntu", "Debian", a bare "Windows" with a build
 * number other than 10/11…) are unknown. The result is a static string,
 * never NULL.
 */
const char *category_from_os(const char *os_name, const char *os_version);

#endif
