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

/*
 * A set of the byte pairs of a text, hashed to RULES_PAIR_BITS bits: a
 * glob whose literal has a pair that the text lacks cannot match it, and
 * that is one AND instead of a search (rules_lower_pairs()).
 */
#define RULES_PAIR_WORDS	4
#define RULES_PAIR_BITS		(64 * RULES_PAIR_WORDS)

struct rule_glob {
	char			*pattern;	/* lowercase, as written */
	char			*lit;		/* pattern without its '*' */
	size_t			 len;		/* bytes of lit */
	enum rule_glob_kind	 kind;
	/* the pairs of lit, all 0 for RULE_GLOB_FNMATCH and _ANY */
	uint64_t		 pairs[RULES_PAIR_WORDS];
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

/*
 * Writes s[0..len) lowercased to d (len + 1 bytes, NUL included; d may be
 * s) and the set of the byte pairs of d to ret_pairs, in one pass.
 */
void rules_lower_pairs(char *d, const char *s, size_t len,
    uint64_t ret_pairs[RULES_PAIR_WORDS]);

/*
 * The loader's parts (rules_load.c, rules_load_match.c, rules_template.c,
 * rules_glob.c). Those that read YAML report into a struct yaml_doc_check
 * (yaml_doc.h) and go on, so that every error in a file is reported.
 */
struct yaml_doc_check;
struct yaml_doc_node;

/*
 * Checks a glob as fnmatch() with FNM_NOESCAPE reads it. Returns NULL when
 * p is fine, else what is wrong (static text).
 */
const char *rules_glob_problem(const char *p);

/*
 * Compiles the valid glob p into caller-owned *g: lowercase, and its shape
 * for the fast paths of rules_glob_match(). Returns 0, or -ENOMEM with *g
 * empty. Release with rules_globs_free().
 */
int rules_glob_init(struct rule_glob *g, const char *p);

/* Frees the n globs of v and v itself. NULL-safe. */
void rules_globs_free(struct rule_glob *v, size_t n);

/* Frees the n strings of v and v itself. NULL-safe. */
void rules_strv_free(char **v, size_t n);

/*
 * Reads the title template at n. Returns a template the caller frees with
 * rules_template_free(), or NULL after reporting its problems to c (or
 * recording -ENOMEM there).
 */
struct rule_template *rules_template_parse(struct yaml_doc_check *c,
    const struct yaml_doc_node *n);

/* Frees t. NULL-safe. */
void rules_template_free(struct rule_template *t);

/*
 * Reads the match conditions at n (null: none) into caller-owned, zeroed
 * *m, reporting every problem to c. On errors *m may be partly filled;
 * rules_match_fini() releases it either way.
 */
void rules_match_parse(struct yaml_doc_check *c, const struct yaml_doc_node *n,
    struct rule_match *m);

/* Frees the contents of m and zeroes it. */
void rules_match_fini(struct rule_match *m);

/* Writes ip in IPv6 space (IPv4 as ::ffff:a.b.c.d) to ret_bytes. */
void rules_ip_bytes(const struct addr_ip *ip, uint8_t ret_bytes[16]);

/*
 * True when g matches the lowercase text s, as fnmatch(g->pattern, s,
 * FNM_NOESCAPE) would tell.
 */
bool rules_glob_match(const struct rule_glob *g, const char *s);

#endif
