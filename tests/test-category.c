/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of engine/category.c over OS names and versions as agents report
 * them (Windows product names, /etc/os-release NAME and VERSION, sw_vers).
 */
#include <string.h>

#include "category.h"
#include "kics_limits.h"
#include "testutil.h"

struct os_case {
	const char	*name;
	const char	*version;
	const char	*want;
};

static void
check_cases(const struct os_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *got = category_from_os(cases[i].name,
		    cases[i].version);

		if (got == NULL || strcmp(got, cases[i].want) != 0) {
			(void)fprintf(stderr, "'%s' '%s': got %s, want %s\n",
			    cases[i].name ? cases[i].name : "(null)",
			    cases[i].version ? cases[i].version : "(null)",
			    got ? got : "(null)", cases[i].want);
			CHECK(0);
		}
	}
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static void
test_servers(void)
{
	static const struct os_case cases[] = {
		{ "Microsoft Windows Server 2019 Standard", "10.0.17763",
		    CATEGORY_SERVER },
		{ "Microsoft Windows Server 2022 Datacenter", "10.0.20348",
		    CATEGORY_SERVER },
		{ "Windows Server 2012 R2 Standard", "6.3.9600",
		    CATEGORY_SERVER },
		{ "WINDOWS SERVER 2008 R2 ENTERPRISE", "", CATEGORY_SERVER },
		{ "Windows", "Server 2016", CATEGORY_SERVER },
		{ "Windows 2008 R2", "6.1.7601", CATEGORY_SERVER },
		{ "Windows Storage Server 2016", NULL, CATEGORY_SERVER },
		{ "Ubuntu Server", "22.04.3 LTS (Jammy Jellyfish)",
		    CATEGORY_SERVER },
		{ "Red Hat Enterprise Linux", "9.3 (Plow)", CATEGORY_SERVER },
		{ "Red Hat Enterprise Linux Server", "7.9 (Maipo)",
		    CATEGORY_SERVER },
		{ "rhel", "8.8", CATEGORY_SERVER },
		{ "CentOS Linux", "7 (Core)", CATEGORY_SERVER },
		{ "CentOS Stream", "9", CATEGORY_SERVER },
		{ "Rocky Linux", "9.3 (Blue Onyx)", CATEGORY_SERVER },
		{ "AlmaLinux", "9.3 (Shamrock Pampas Cat)", CATEGORY_SERVER },
		{ "Oracle Linux Server", "8.9", CATEGORY_SERVER },
		{ "Oracle Linux", "9.2", CATEGORY_SERVER },
		{ "SLES", "15-SP5", CATEGORY_SERVER },
		{ "SUSE Linux Enterprise Server 15 SP4", "", CATEGORY_SERVER },
		{ "FreeBSD", "14.0-RELEASE", CATEGORY_SERVER },
		{ "OpenBSD", "7.4", CATEGORY_SERVER },
		{ "Amazon Linux", "2023", CATEGORY_SERVER },
		{ "VMware ESXi", "8.0.2", CATEGORY_SERVER },
		{ "Proxmox VE", "8.1", CATEGORY_SERVER },
		{ "Astra Linux Server", "1.7", CATEGORY_SERVER },
		{ "Fedora Linux", "39 (Server Edition)", CATEGORY_SERVER },
		{ "Mac OS X Server", "10.6.8", CATEGORY_SERVER },
		{ "Oracle Solaris", "11.4", CATEGORY_SERVER },
		{ "AIX", "7.3", CATEGORY_SERVER },
	};

	check_cases(cases, NCASES(cases));
}

static void
test_workstations(void)
{
	static const struct os_case cases[] = {
		{ "Microsoft Windows 10 Pro", "10.0.19045",
		    CATEGORY_WORKSTATION },
		{ "Microsoft Windows 11 Enterprise", "10.0.22631",
		    CATEGORY_WORKSTATION },
		{ "Windows 10 IoT Enterprise LTSC", "21H2",
		    CATEGORY_WORKSTATION },
		{ "Windows 10 Pro for Workstations", "22H2",
		    CATEGORY_WORKSTATION },
		{ "Windows 7 Professional", "6.1.7601 Service Pack 1",
		    CATEGORY_WORKSTATION },
		{ "Windows 8.1 Pro", "6.3.9600", CATEGORY_WORKSTATION },
		{ "Windows XP Professional", "5.1.2600", CATEGORY_WORKSTATION },
		{ "Windows Embedded Standard", "6.1.7601",
		    CATEGORY_WORKSTATION },
		{ "Microsoft Windows", "10.0.19045", CATEGORY_WORKSTATION },
		{ "macOS", "14.2.1", CATEGORY_WORKSTATION },
		{ "macOS Sonoma", NULL, CATEGORY_WORKSTATION },
		{ "Mac OS X", "10.15.7", CATEGORY_WORKSTATION },
		{ "OS X El Capitan", "10.11.6", CATEGORY_WORKSTATION },
		{ "Ubuntu Desktop", "22.04", CATEGORY_WORKSTATION },
		{ "Fedora Linux", "39 (Workstation Edition)",
		    CATEGORY_WORKSTATION },
		{ "Fedora", "38", CATEGORY_WORKSTATION },
		{ "Red Hat Enterprise Linux Workstation", "7.9 (Maipo)",
		    CATEGORY_WORKSTATION },
		{ "SUSE Linux Enterprise Desktop", "15 SP5",
		    CATEGORY_WORKSTATION },
		{ "Astra Linux", "1.7_x86-64", CATEGORY_WORKSTATION },
		{ "Astra Linux Special Edition", "1.7.5",
		    CATEGORY_WORKSTATION },
		{ "Astra Linux Common Edition", "2.12.46",
		    CATEGORY_WORKSTATION },
		{ "ALT Workstation", "10.2", CATEGORY_WORKSTATION },
		{ "Linux Mint", "21.2 (Victoria)", CATEGORY_WORKSTATION },
		{ "Pop!_OS", "22.04 LTS", CATEGORY_WORKSTATION },
		{ "Kubuntu", "23.10", CATEGORY_WORKSTATION },
		{ "elementary OS", "7.1", CATEGORY_WORKSTATION },
		{ "  windows\t10   pro ", "", CATEGORY_WORKSTATION },
	};

	check_cases(cases, NCASES(cases));
}

static void
test_unknown(void)
{
	static const struct os_case cases[] = {
		{ NULL, NULL, CATEGORY_UNKNOWN },
		{ "", "", CATEGORY_UNKNOWN },
		{ "   ", "\t", CATEGORY_UNKNOWN },
		{ "Ubuntu", "22.04.3 LTS (Jammy Jellyfish)", CATEGORY_UNKNOWN },
		{ "Debian GNU/Linux", "12 (bookworm)", CATEGORY_UNKNOWN },
		{ "Linux", "6.1.0-17-amd64", CATEGORY_UNKNOWN },
		{ "Windows", "6.1.7601", CATEGORY_UNKNOWN },
		{ "openSUSE Leap", "15.5", CATEGORY_UNKNOWN },
		{ "RED OS", "7.3", CATEGORY_UNKNOWN },
		{ "Unknown", NULL, CATEGORY_UNKNOWN },
		/* whole words only */
		{ "Windows 100", NULL, CATEGORY_UNKNOWN },
		{ "Windows 70", NULL, CATEGORY_UNKNOWN },
		{ "Paix OS", NULL, CATEGORY_UNKNOWN },
		{ "Observer", NULL, CATEGORY_UNKNOWN },
		{ "Gentoo Linux", "2.14", CATEGORY_UNKNOWN },
		{ "Эльбрус", "7.2", CATEGORY_UNKNOWN },
	};

	check_cases(cases, NCASES(cases));
}

static void
test_first_match_wins(void)
{
	/* The edition word decides before the product name does. */
	CHECK(strcmp(category_from_os("CentOS Desktop", "6"),
	    CATEGORY_WORKSTATION) == 0);
	CHECK(strcmp(category_from_os("Windows 10 Server", NULL),
	    CATEGORY_SERVER) == 0);
	/* Name and version are one text, joined by a space. */
	CHECK(strcmp(category_from_os("Windows", "10"),
	    CATEGORY_WORKSTATION) == 0);
	CHECK(strcmp(category_from_os("Windows10", NULL),
	    CATEGORY_UNKNOWN) == 0);
}

static void
test_long_input(void)
{
	static char name[4 * LIMIT_SHORT_TEXT_LEN];

	/* Text past the matched length is ignored, without overflow. */
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK(strcmp(category_from_os(name, name), CATEGORY_UNKNOWN) == 0);
	memcpy(name, "Windows Server ", 15);
	CHECK(strcmp(category_from_os(name, NULL), CATEGORY_SERVER) == 0);
	/* the static string is returned, not a copy */
	CHECK(category_from_os(NULL, NULL) == category_from_os("", ""));
}

int
main(void)
{
	RUN(test_servers);
	RUN(test_workstations);
	RUN(test_unknown);
	RUN(test_first_match_wins);
	RUN(test_long_input);
	return 0;
}
