/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the derivation of a device category (server or
 * workstation) from the OS name and version an agent reports.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "category.h"
#include "kics_limits.h"

/*
 * Patterns are lowercase text that must start at a word boundary of
 * "os_name os_version" (lowercased, runs of white space made one space).
 * The text must also end at a word boundary unless the pattern ends in
 * '*', which lets the word go on ("server*" matches "Server2019" and
 * "Servers"). Words are runs of ASCII letters and digits and of non-ASCII
 * bytes, so Cyrillic text is one word too.
 *
 * Order matters: the first matching entry wins. An explicit edition word
 * ("Server", "Workstation", "Desktop") comes first, then product names.
 * Distributions that are installed both ways and do not say which (Debian,
 * plain Ubuntu, openSUSE, RED OS, ALT) are left unknown on purpose: a wrong
 * category is worse than none, and an administrator can set it by hand.
 */
static const struct category_pattern {
	const char	*pattern;
	const char	*category;
} category_patterns[] = {
	/* Editions named in the product string. */
	{ "server*",			CATEGORY_SERVER },
	{ "workstation*",		CATEGORY_WORKSTATION },
	{ "desktop*",			CATEGORY_WORKSTATION },

	/* Windows server releases named without the word "Server". */
	{ "windows 2003",		CATEGORY_SERVER },
	{ "windows 2008",		CATEGORY_SERVER },
	{ "windows 2012",		CATEGORY_SERVER },
	{ "windows 2016",		CATEGORY_SERVER },
	{ "windows 2019",		CATEGORY_SERVER },
	{ "windows 2022",		CATEGORY_SERVER },
	{ "windows 2025",		CATEGORY_SERVER },

	/* Windows client releases; also matches a "10.0.19045" build. */
	{ "windows 11",			CATEGORY_WORKSTATION },
	{ "windows 10",			CATEGORY_WORKSTATION },
	{ "windows 8",			CATEGORY_WORKSTATION },
	{ "windows 7",			CATEGORY_WORKSTATION },
	{ "windows vista",		CATEGORY_WORKSTATION },
	{ "windows xp",			CATEGORY_WORKSTATION },
	{ "windows 2000 professional",	CATEGORY_WORKSTATION },
	{ "windows embedded",		CATEGORY_WORKSTATION },

	/* Apple desktops ("Mac OS X Server" matched above). */
	{ "macos",			CATEGORY_WORKSTATION },
	{ "mac os",			CATEGORY_WORKSTATION },
	{ "os x",			CATEGORY_WORKSTATION },

	/* Server operating systems. */
	{ "red hat enterprise linux",	CATEGORY_SERVER },
	{ "rhel",			CATEGORY_SERVER },
	{ "centos",			CATEGORY_SERVER },
	{ "rocky",			CATEGORY_SERVER },
	{ "almalinux",			CATEGORY_SERVER },
	{ "alma linux",			CATEGORY_SERVER },
	{ "oracle linux",		CATEGORY_SERVER },
	{ "amazon linux",		CATEGORY_SERVER },
	{ "suse linux enterprise",	CATEGORY_SERVER },
	{ "sles",			CATEGORY_SERVER },
	{ "freebsd",			CATEGORY_SERVER },
	{ "openbsd",			CATEGORY_SERVER },
	{ "netbsd",			CATEGORY_SERVER },
	{ "solaris",			CATEGORY_SERVER },
	{ "sunos",			CATEGORY_SERVER },
	{ "illumos",			CATEGORY_SERVER },
	{ "aix",			CATEGORY_SERVER },
	{ "hp-ux",			CATEGORY_SERVER },
	{ "esxi",			CATEGORY_SERVER },
	{ "vmware esx",			CATEGORY_SERVER },
	{ "proxmox",			CATEGORY_SERVER },
	{ "truenas",			CATEGORY_SERVER },

	/* Desktop distributions. */
	{ "astra linux",		CATEGORY_WORKSTATION },
	{ "fedora",			CATEGORY_WORKSTATION },
	{ "linux mint",			CATEGORY_WORKSTATION },
	{ "kubuntu",			CATEGORY_WORKSTATION },
	{ "xubuntu",			CATEGORY_WORKSTATION },
	{ "lubuntu",			CATEGORY_WORKSTATION },
	{ "ubuntu mate",		CATEGORY_WORKSTATION },
	{ "elementary os",		CATEGORY_WORKSTATION },
	{ "pop!_os",			CATEGORY_WORKSTATION },
	{ "zorin os",			CATEGORY_WORKSTATION },
	{ "manjaro",			CATEGORY_WORKSTATION },
	{ "kde neon",			CATEGORY_WORKSTATION },
	{ "chrome os",			CATEGORY_WORKSTATION },
	{ "chromeos",			CATEGORY_WORKSTATION },
};

/* Bytes of the lowercased "os_name os_version" matched against the table. */
#define CATEGORY_TEXT_MAX	(2 * LIMIT_SHORT_TEXT_LEN + 2)

static bool
is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/*
 * Appends s to buf (length *n, capacity CATEGORY_TEXT_MAX) in lowercase
 * with white space runs made one space and no space at either end of buf.
 */
static void
text_append(char *buf, size_t *n, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (*n + 1 >= CATEGORY_TEXT_MAX)
			break;
		if (is_space(c)) {
			if (*n > 0 && buf[*n - 1] != ' ')
				buf[(*n)++] = ' ';
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		buf[(*n)++] = (char)c;
	}
	buf[*n] = '\0';
}

/* True when pattern occurs in text as described above category_patterns. */
static bool
pattern_match(const char *text, const char *pattern)
{
	size_t plen = strlen(pattern);
	bool prefix = plen > 0 && pattern[plen - 1] == '*';
	const char *p;

	if (prefix)
		plen--;
	for (p = text; *p != '\0'; p++) {
		if (p > text && is_word((unsigned char)p[-1]))
			continue;
		if (strncmp(p, pattern, plen) != 0)
			continue;
		if (prefix || !is_word((unsigned char)p[plen]))
			return true;
	}
	return false;
}

const char *
category_from_os(const char *os_name, const char *os_version)
{
	char text[CATEGORY_TEXT_MAX];
	size_t n = 0, i;

	text[0] = '\0';
	text_append(text, &n, os_name);
	if (n > 0 && text[n - 1] != ' ' && n + 1 < CATEGORY_TEXT_MAX) {
		text[n++] = ' ';
		text[n] = '\0';
	}
	text_append(text, &n, os_version);
	if (n > 0 && text[n - 1] == ' ')
		text[--n] = '\0';
	if (n == 0)
		return CATEGORY_UNKNOWN;

	for (i = 0; i < sizeof(category_patterns) /
	    sizeof(category_patterns[0]); i++)
		if (pattern_match(text, category_patterns[i].pattern))
			return category_patterns[i].category;
	return CATEGORY_UNKNOWN;
}
