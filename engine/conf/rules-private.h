/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled form of a rule set, shared by its loader (rules_load.c) and
 * its matcher (rules_match.c). Everything a match needs is prepared at load
 * time: networks and MACs parsed, severities as a bit set, globs lowercase.
 */
#ifndef KICS_RULES_PRIVATE_H
#define KICS_RULES_PRIVATE_H

#include <stdatomic.h>

#include "addr.h"
#include "rules.h"

/* What a piece of a title template is. */
enum rule_field {
	RULE_FIELD_LITERAL,
	RULE_FIELD_HOSTNAME,
	RULE_FIELD_IP,
	RULE_FIELD_MAC,
	RULE_FIELD_CATEGORY,
	RULE_FIELD_PRODUCT,
	RULE_FIELD_THREAT_NAME,
	RULE_FIELD_OBJECT_PATH,
	RULE_FIELD_USER_NAME,
	RULE_FIELD_CODE,
	RULE_FIELD_MAX
};

/* Rendered in a title for a field the event does not have. */
#define RULE_FIELD_MISSING	"unknown"

struct rule_segment {
	enum rule_field	 field;
	const char	*text;		/* literal: NUL-terminated, in
					   rule_template.lit */
};

struct rule_template {
	char			*source;	/* the template as written */
	char			*lit;		/* literal pieces, unescaped,
						   each with its NUL */
	struct rule_segment	*segs;
	size_t			 n_segs;
};

/*
 * How a glob is matched: the common shapes without '?' or '[' skip
 * fnmatch(), whose cost dominates matching otherwise.
 */
enum rule_glob_kind {
	RULE_GLOB_EXACT,	/* "abc" */
	RULE_GLOB_PREFIX,	/* "abc*" */
	RULE_GLOB_SUFFIX,	/* "*abc" */
	RULE_GLOB_SUBSTRING,	/* "*abc*" */
	RULE_GLOB_ANY,		/* "*" */
	RULE_GLOB_FNMATCH,	/* anything else */
	RULE_GLOB_KIND_MAX
};

struct rule_glob {
	char			*pattern;	/* lowercase, as written */
	char			*lit;		/* pattern without its '*' */
	size_t			 len;		/* bytes of lit */
	enum rule_glob_kind	 kind;
};

/*
 * A network in IPv6 space, an IPv4 one as part of ::ffff:0:0/96, so that
 * one comparison tests both families with the semantics of
 * addr_cidr_contains().
 */
struct rule_net {
	uint8_t		bytes[16];
	unsigned	prefix;		/* 0..128 */
};

/* attribute: {key: value-glob or [value-globs]} */
struct rule_attr {
	char		 *key;
	struct rule_glob *values;	/* any matches */
	size_t		  n_values;
};

/*
 * Conditions; an empty list is no condition. Each list holds when any of
 * its items does; the rule holds when all its conditions do.
 */
struct rule_match {
	unsigned		  severities;	/* bit 1 << severity; 0 = any */
	char			**categories;	/* exact */
	size_t			  n_categories;
	int64_t			 *codes;
	size_t			  n_codes;
	struct rule_glob	 *products;
	size_t			  n_products;
	char			**device_categories; /* exact */
	size_t			  n_device_categories;
	bool			  device;	/* a device condition exists */
	struct addr_cidr	 *cidrs;	/* device: IPs and networks */
	struct rule_net		 *nets;		/* the same, for matching */
	size_t			  n_cidrs;
	struct addr_mac		 *macs;		/* device: MACs */
	size_t			  n_macs;
	struct rule_glob	 *hosts;	/* device: host names */
	size_t			  n_hosts;
	struct rule_glob	 *texts;
	size_t			  n_texts;
	struct rule_attr	 *attrs;	/* all must hold */
	size_t			  n_attrs;
};

struct rule {
	char			*name;
	size_t			 line;		/* where the rule starts */
	struct rule_match	 match;
	enum severity		 set_severity;	/* 0: unchanged */
	struct rule_template	*title;		/* NULL: unchanged */
	uint16_t		*tags;		/* indexes into rules.tags */
	size_t			 n_tags;
	bool			 drop;
	bool			 stop;
	atomic_uint_fast64_t	 matches;
	atomic_uint_fast64_t	 drops;
};

struct rules {
	struct rule	*rules;		/* in file order */
	size_t		 n;
	char		**tags;		/* distinct tags as JSON strings,
					   quotes included */
	size_t		 n_tags;
	char		*source;	/* file it was read from */
};

/* Lowercases ASCII letters of s in place; other bytes are kept. */
void rules_ascii_lower(char *s);

/* Writes ip in IPv6 space (IPv4 as ::ffff:a.b.c.d) to ret_bytes. */
void rules_ip_bytes(const struct addr_ip *ip, uint8_t ret_bytes[16]);

/*
 * True when g matches the lowercase text s, as fnmatch(g->pattern, s,
 * FNM_NOESCAPE) would tell.
 */
bool rules_glob_match(const struct rule_glob *g, const char *s);

#endif
