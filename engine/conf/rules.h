/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event rules (conf/rules.yaml): an ordered list of match conditions
 * and actions applied to every EPP event before it is stored.
 */
#ifndef KICS_RULES_H
#define KICS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "event_types.h"

/*
 * THREAD SAFETY NOTES: a loaded rule set is never changed except for its
 * per-rule counters, which are atomic. Any number of threads may call
 * rules_apply(), rules_explain() and the readers at the same time on one
 * set. A reload loads a new set and swaps the pointer; the caller keeps
 * the old set alive until no thread uses it.
 */

struct rules;

/*
 * What the engine knows of one EPP event and its device, all borrowed for
 * the call. Any string may be NULL (treated as empty). ip is the address
 * the agent reported from (an "ip/prefix" is accepted); device_ips are the
 * device's other addresses. Conditions see the event as given here, except
 * severity, which later rules see as earlier rules set it. Globs (product,
 * host name, text, attribute values) are fnmatch(3) patterns with
 * FNM_NOESCAPE, matched without regard to ASCII case; category,
 * device_category and attribute names compare exactly.
 */
struct rule_event {
	const char		*category;
	int64_t			 code;		/* from the event type */
	const char		*product;
	enum severity		 severity;	/* after the type default */
	const char		*title;		/* the agent's title */
	const char		*description;
	const char		*object_path;
	const char		*threat_name;
	const char		*user_name;
	const char *const	*attr_keys;	/* n_attrs keys … */
	const char *const	*attr_values;	/* … and their values */
	size_t			 n_attrs;
	const char		*hostname;	/* device */
	const char		*ip;
	const char		*mac;
	const char		*device_category; /* server, workstation… */
	const char *const	*device_ips;
	size_t			 n_device_ips;
};

/*
 * What the rules made of an event. Owned by the caller, who releases it
 * with rule_result_fini().
 */
struct rule_result {
	enum severity	 severity;	/* after the rules */
	char		*title;		/* new title, or NULL: unchanged */
	char		*tags_json;	/* JSON array such as ["plc","site-a"],
					   or NULL when no rule added a tag */
	bool		 drop;		/* true: do not store the event */
	size_t		 n_matched;	/* rules that matched */
};

/*
 * Reads a rules file; path NULL reads the built-in conf/rules.yaml (named
 * "<built-in>/rules.yaml" in messages). Every problem is added to diag as
 * "file:line:column: message" and reading goes on, so one run shows them
 * all. Returns 0 and a set the caller frees with rules_free(); -EINVAL when
 * diag got errors; -ENOENT/-EACCES/-EIO when the file cannot be read (also
 * in diag); -ENOMEM. Nothing is written to *ret_rules on failure.
 */
int rules_load(const char *path, struct diag *diag, struct rules **ret_rules);

/*
 * Like rules_load() for len bytes of YAML text; messages name the file as
 * name.
 */
int rules_load_string(const char *name, const char *text, size_t len,
    struct diag *diag, struct rules **ret_rules);

/* Frees the set. NULL-safe. */
void rules_free(struct rules *rules);

/*
 * Applies the rules, in file order, to ev: a rule whose conditions all
 * hold sets the severity and the title, adds its tags (each tag once, in
 * the order first added), and ends the run when it has drop or stop. Counts
 * a match for every matching rule and a drop for the rule that dropped.
 * rules may be NULL (no rules). Matching allocates nothing (except a
 * temporary copy of a text too long for its stack buffer, over 16 KiB);
 * only a title and tags for the result are allocated, and a dropped event
 * gets neither.
 * Returns 0 and fills *ret_result (release with rule_result_fini()), or
 * -ENOMEM and writes nothing (the counters may have moved).
 */
int rules_apply(struct rules *rules, const struct rule_event *ev,
    struct rule_result *ret_result);

/*
 * Like rules_apply() without touching the counters, for "rules test";
 * also returns in *ret_matched_json the names of the matching rules as a
 * JSON array of strings, in order (the caller frees it with free()).
 * Returns 0 or -ENOMEM; nothing is written on failure.
 */
int rules_explain(const struct rules *rules, const struct rule_event *ev,
    struct rule_result *ret_result, char **ret_matched_json);

/* Frees the title and tags of res and empties it. NULL-safe. */
void rule_result_fini(struct rule_result *res);

/* Number of rules in the set (0 for NULL). */
size_t rules_count(const struct rules *rules);
/* The file the set was read from ("" for NULL); borrowed. */
const char *rules_source(const struct rules *rules);

/*
 * Name, match counter and drop counter of rule i (i < rules_count()). The
 * name is borrowed until rules_free().
 */
const char *rules_name(const struct rules *rules, size_t i);
uint64_t rules_matches(const struct rules *rules, size_t i);
uint64_t rules_drops(const struct rules *rules, size_t i);

/*
 * Describes the set for "rules list" as a JSON array with one object per
 * rule, in order: {"name", "line", "match": {condition: [items]…}, "set":
 * {"severity", "title"}, "tags", "drop", "stop", "matches", "drops"};
 * "match" and "set" list only what the rule has. Conditions are shown
 * canonical: severities as the names they accept, networks and MACs
 * normalised, globs lowercase. Returns 0 and a string the caller frees with
 * free(), or -ENOMEM (nothing written).
 */
int rules_list_json(const struct rules *rules, char **ret_json);

/*
 * After a reload: copies into to the counters of the rules of from that
 * have the same name, so "rules list" keeps counting across reloads. Call
 * before to is in use.
 */
void rules_counters_carry(struct rules *to, const struct rules *from);

#endif
