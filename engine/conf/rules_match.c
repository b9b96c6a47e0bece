/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the application of a rule set to one event: the
 * conditions, the actions in file order, the title templates and the
 * per-rule counters. Matching itself allocates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kics_limits.h"
#include "rules-private.h"
#include "strbuf.h"

/*
 * Lowercased event text is kept in a buffer on the stack for the run, so a
 * field compared by several rules is lowercased once, with the set of its
 * byte pairs beside it (rules-private.h). A text that does not fit
 * (reports are limited well below this in practice) is lowercased into a
 * heap copy for one comparison.
 */
#define RULES_ARENA_BYTES	(2 * LIMIT_LONG_TEXT_LEN)
/* Device addresses parsed once per run; any further ones per comparison. */
#define RULES_IP_CACHE		16
/* A rendered title is cut to this many bytes, at a UTF-8 boundary. */
#define RULES_TITLE_MAX		LIMIT_LONG_TEXT_LEN

_Static_assert(LIMIT_RULES <= UINT16_MAX, "rule indexes are uint16_t");
_Static_assert(LIMIT_RULES_TAGS <= UINT16_MAX, "tag indexes are uint16_t");

/* Event texts compared with globs, each lowercased at most once. */
enum { T_TITLE, T_DESCRIPTION, T_OBJECT_PATH, T_THREAT_NAME, T_PRODUCT,
    T_HOSTNAME, T_MAX };

/* The state of one event going through the rules. */
struct rules_run {
	const struct rule_event	*ev;
	const char		*lower[T_MAX];	/* NULL until needed */
	uint64_t		 pairs[T_MAX][RULES_PAIR_WORDS]; /* of lower */
	const char		*attr_lower[LIMIT_EVENT_ATTRIBUTES];
	uint64_t		 attr_pairs[LIMIT_EVENT_ATTRIBUTES]
				    [RULES_PAIR_WORDS];
	bool			 attrs_ready;	/* attr_lower cleared */
	uint8_t			 ips[RULES_IP_CACHE][16];	/* IPv6 space */
	size_t			 n_ips;		/* valid entries of ips */
	size_t			 ips_next;	/* first address not cached */
	bool			 ips_ready;	/* ips filled */
	struct addr_mac		 mac;
	int			 mac_state;	/* 0: not parsed, 1: valid,
						   -1: none */
	int			 error;		/* -ENOMEM, sticky */
	size_t			 arena_used;
	char			 arena[RULES_ARENA_BYTES];
};

/* What the rules decided, before anything is allocated. */
struct rules_outcome {
	enum severity			 severity;
	const struct rule_template	*title;		/* last one set */
	uint16_t			 tags[LIMIT_RULES_TAGS];
	size_t				 n_tags;
	uint8_t				 tag_seen[(LIMIT_RULES_TAGS + 7) / 8];
	uint16_t			 matched[LIMIT_RULES];
	size_t				 n_matched;
	bool				 drop;
};

static bool
rules_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* True when need holds a pair that have does not. */
static inline bool
rules_pairs_missing(const uint64_t need[RULES_PAIR_WORDS],
    const uint64_t have[RULES_PAIR_WORDS])
{
	uint64_t miss = 0;

	for (size_t w = 0; w < RULES_PAIR_WORDS; w++)
		miss |= need[w] & ~have[w];
	return miss != 0;
}

/*
 * True when one of the n globs v matches the lowercase text l, whose byte
 * pairs are have: a glob whose literal has a pair that l lacks is passed
 * over without looking at l.
 */
static bool
rules_globs_hit(const struct rule_glob *v, size_t n, const char *l,
    const uint64_t have[RULES_PAIR_WORDS])
{
	for (size_t i = 0; i < n; i++)
		if (!rules_pairs_missing(v[i].pairs, have) &&
		    rules_glob_match(&v[i], l))
			return true;
	return false;
}

/*
 * rules_run_glob() for a text not lowercased yet: into the arena, where
 * cache (when not NULL) keeps it for later rules and pairs its byte
 * pairs; a text that does not fit is lowercased into a heap copy for this
 * comparison alone.
 */
static bool
rules_run_glob_first(struct rules_run *run, const struct rule_glob *v,
    size_t n, const char *s, const char **cache, uint64_t *pairs)
{
	uint64_t own[RULES_PAIR_WORDS];
	size_t len = strlen(s);
	char *d, *heap = NULL;
	bool hit;

	if (len < sizeof(run->arena) - run->arena_used) {
		d = run->arena + run->arena_used;
		run->arena_used += len + 1;
	} else if ((d = heap = malloc(len + 1)) == NULL) {
		run->error = -ENOMEM;
		return false;
	}
	if (pairs == NULL)
		pairs = own;
	rules_lower_pairs(d, s, len, pairs);
	if (cache != NULL && heap == NULL)
		*cache = d;
	hit = rules_globs_hit(v, n, d, pairs);
	free(heap);
	return hit;
}

/*
 * True when one of the n globs v matches s, ignoring ASCII case. *cache
 * (when cache is not NULL) keeps the lowercased s for later rules, and
 * pairs (beside it) the set of its byte pairs.
 */
static inline bool
rules_run_glob(struct rules_run *run, const struct rule_glob *v, size_t n,
    const char *s, const char **cache, uint64_t *pairs)
{
	if (cache != NULL && *cache != NULL)
		return rules_globs_hit(v, n, *cache, pairs);
	return rules_run_glob_first(run, v, n, s != NULL ? s : "", cache,
	    pairs);
}

static bool
rules_run_word(char *const *v, size_t n, const char *s)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Address k of the device: 0 is ev->ip, then ev->device_ips. */
static const char *
rules_run_ip_text(const struct rule_event *ev, size_t k)
{
	return k == 0 ? ev->ip : ev->device_ips[k - 1];
}

void
rules_ip_bytes(const struct addr_ip *ip, uint8_t ret_bytes[16])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (ip->family == ADDR_FAMILY_IPV4) {
		memcpy(ret_bytes, v4mapped, sizeof(v4mapped));
		memcpy(ret_bytes + 12, ip->bytes, 4);
	} else
		memcpy(ret_bytes, ip->bytes, 16);
}

/* Parses an address of the device into IPv6 space; false if invalid. */
static bool
rules_ip_parse(const char *text, uint8_t ret_bytes[16])
{
	struct addr_ip ip;
	int prefix;

	if (rules_empty(text) ||
	    addr_ip_parse_prefixed(text, &ip, &prefix) < 0)
		return false;
	rules_ip_bytes(&ip, ret_bytes);
	return true;
}

static bool
rules_net_contains(const struct rule_net *n, const uint8_t bytes[16])
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;

	if (memcmp(n->bytes, bytes, full) != 0)
		return false;
	return rest == 0 || ((n->bytes[full] ^ bytes[full]) &
	    (uint8_t)(0xff << (8 - rest))) == 0;
}

/* True when one of the device's addresses lies in one of m's networks. */
static bool
rules_run_ips(struct rules_run *run, const struct rule_match *m)
{
	const struct rule_event *ev = run->ev;
	size_t total = 1 + (ev->device_ips != NULL ? ev->n_device_ips : 0);
	uint8_t ip[16];

	if (!run->ips_ready) {
		for (run->ips_next = 0; run->ips_next < total &&
		    run->n_ips < RULES_IP_CACHE; run->ips_next++)
			if (rules_ip_parse(rules_run_ip_text(ev,
			    run->ips_next), run->ips[run->n_ips]))
				run->n_ips++;
		run->ips_ready = true;
	}
	for (size_t i = 0; i < run->n_ips; i++)
		for (size_t j = 0; j < m->n_cidrs; j++)
			if (rules_net_contains(&m->nets[j], run->ips[i]))
				return true;
	for (size_t k = run->ips_next; k < total; k++) {
		if (!rules_ip_parse(rules_run_ip_text(ev, k), ip))
			continue;
		for (size_t j = 0; j < m->n_cidrs; j++)
			if (rules_net_contains(&m->nets[j], ip))
				return true;
	}
	return false;
}

static bool
rules_run_device(struct rules_run *run, const struct rule_match *m)
{
	const struct rule_event *ev = run->ev;

	if (m->n_cidrs > 0 && rules_run_ips(run, m))
		return true;
	if (m->n_macs > 0 && run->mac_state == 0)
		run->mac_state = !rules_empty(ev->mac) &&
		    addr_mac_parse(ev->mac, &run->mac) == 0 ? 1 : -1;
	for (size_t i = 0; run->mac_state > 0 && i < m->n_macs; i++)
		if (memcmp(m->macs[i].bytes, run->mac.bytes,
		    sizeof(run->mac.bytes)) == 0)
			return true;
	/* A device without a name matches no name, not even "*". */
	return m->n_hosts > 0 && !rules_empty(ev->hostname) &&
	    rules_run_glob(run, m->hosts, m->n_hosts, ev->hostname,
	    &run->lower[T_HOSTNAME], run->pairs[T_HOSTNAME]);
}

/* True when the event has every attribute of m with a matching value. */
static bool
rules_run_attrs(struct rules_run *run, const struct rule_match *m)
{
	const struct rule_event *ev = run->ev;

	if (!run->attrs_ready) {
		memset(run->attr_lower, 0, sizeof(run->attr_lower));
		run->attrs_ready = true;
	}
	for (size_t i = 0; i < m->n_attrs; i++) {
		const struct rule_attr *a = &m->attrs[i];
		bool hit = false;

		for (size_t k = 0; k < ev->n_attrs && !hit; k++) {
			if (ev->attr_keys[k] == NULL ||
			    strcmp(ev->attr_keys[k], a->key) != 0)
				continue;
			hit = rules_run_glob(run, a->values, a->n_values,
			    ev->attr_values[k] != NULL ? ev->attr_values[k] :
			    "", k < LIMIT_EVENT_ATTRIBUTES ?
			    &run->attr_lower[k] : NULL,
			    k < LIMIT_EVENT_ATTRIBUTES ? run->attr_pairs[k] :
			    NULL);
		}
		if (!hit)
			return false;
	}
	return true;
}

/* True when one of the event's texts matches one of m's text globs. */
static bool
rules_run_text(struct rules_run *run, const struct rule_match *m)
{
	const struct rule_event *ev = run->ev;
	const char *texts[] = { ev->title, ev->description, ev->object_path,
	    ev->threat_name };

	for (int t = T_TITLE; t <= T_THREAT_NAME; t++)
		if (!rules_empty(texts[t]) && rules_run_glob(run, m->texts,
		    m->n_texts, texts[t], &run->lower[t], run->pairs[t]))
			return true;
	return false;
}

/* True when every condition of m holds; the cheap ones are tried first. */
static bool
rules_run_match(struct rules_run *run, const struct rule_match *m,
    enum severity severity)
{
	const struct rule_event *ev = run->ev;
	bool hit = false;

	if (m->severities != 0 && (severity < SEVERITY_INFO ||
	    severity >= SEVERITY_MAX || !(m->severities & (1u << severity))))
		return false;
	if (m->n_categories > 0 &&
	    !rules_run_word(m->categories, m->n_categories, ev->category))
		return false;
	for (size_t i = 0; i < m->n_codes && !hit; i++)
		hit = m->codes[i] == ev->code;
	if (m->n_codes > 0 && !hit)
		return false;
	if (m->n_device_categories > 0 && !rules_run_word(
	    m->device_categories, m->n_device_categories,
	    ev->device_category))
		return false;
	if (m->n_products > 0 && !rules_run_glob(run, m->products,
	    m->n_products, ev->product, &run->lower[T_PRODUCT],
	    run->pairs[T_PRODUCT]))
		return false;
	if (m->n_attrs > 0 && !rules_run_attrs(run, m))
		return false;
	if (m->device && !rules_run_device(run, m))
		return false;
	if (m->n_texts > 0 && !rules_run_text(run, m))
		return false;
	return true;
}

/* Runs ev through the rules into *o; returns 0 or -ENOMEM. */
static int
rules_evaluate(const struct rules *rules, const struct rule_event *ev,
    struct rules_outcome *o)
{
	struct rules_run run;

	o->severity = ev->severity;
	o->title = NULL;
	o->n_tags = 0;
	o->n_matched = 0;
	o->drop = false;
	memset(o->tag_seen, 0, sizeof(o->tag_seen));
	if (rules == NULL)
		return 0;
	/* Not the arena: only what a run reads before writing. */
	memset(run.lower, 0, sizeof(run.lower));
	run.ev = ev;
	run.attrs_ready = false;
	run.n_ips = 0;
	run.ips_next = 0;
	run.ips_ready = false;
	run.mac_state = 0;
	run.error = 0;
	run.arena_used = 0;
	for (size_t i = 0; i < rules->n; i++) {
		const struct rule *ru = &rules->rules[i];

		if (!rules_run_match(&run, &ru->match, o->severity)) {
			if (run.error < 0)
				return run.error;
			continue;
		}
		o->matched[o->n_matched++] = (uint16_t)i;
		if (ru->set_severity != 0)
			o->severity = ru->set_severity;
		if (ru->title != NULL)
			o->title = ru->title;
		for (size_t j = 0; j < ru->n_tags; j++) {
			uint16_t t = ru->tags[j];

			if (o->tag_seen[t / 8] & (1u << (t % 8)))
				continue;
			o->tag_seen[t / 8] |= (uint8_t)(1u << (t % 8));
			o->tags[o->n_tags++] = t;
		}
		/* A dropped event is gone: later rules have nothing to do. */
		if (ru->drop) {
			o->drop = true;
			break;
		}
		if (ru->stop)
			break;
	}
	return 0;
}

/*
 * The text of a template field for ev, in buf of len bytes when it must
 * be formatted; RULE_FIELD_MISSING when the event has no such value.
 */
static const char *
rules_field_value(const struct rule_event *ev, enum rule_field f, char *buf,
    size_t len)
{
	const char *s = NULL;
	int prefix;

	switch (f) {
	case RULE_FIELD_HOSTNAME:
		s = ev->hostname;
		break;
	case RULE_FIELD_IP:
		s = ev->ip;
		if (rules_empty(s) && ev->device_ips != NULL &&
		    ev->n_device_ips > 0)
			s = ev->device_ips[0];
		if (!rules_empty(s) && addr_iface_normalize(s, buf, len,
		    &prefix) == 0)
			s = buf;
		break;
	case RULE_FIELD_MAC:
		s = ev->mac;
		if (!rules_empty(s) && addr_mac_normalize(s, buf, len) == 0)
			s = buf;
		break;
	case RULE_FIELD_CATEGORY:
		s = ev->category;
		break;
	case RULE_FIELD_PRODUCT:
		s = ev->product;
		break;
	case RULE_FIELD_THREAT_NAME:
		s = ev->threat_name;
		break;
	case RULE_FIELD_OBJECT_PATH:
		s = ev->object_path;
		break;
	case RULE_FIELD_USER_NAME:
		s = ev->user_name;
		break;
	case RULE_FIELD_CODE:
		(void)snprintf(buf, len, "%lld", (long long)ev->code);
		s = buf;
		break;
	default:
		break;
	}
	return rules_empty(s) ? RULE_FIELD_MISSING : s;
}

/* Renders t for ev into *ret_title (free()); returns 0 or -ENOMEM. */
static int
rules_render(const struct rule_template *t, const struct rule_event *ev,
    char **ret_title)
{
	char buf[ADDR_TEXT_MAX];
	struct strbuf b;
	size_t n;

	strbuf_init(&b);
	for (size_t i = 0; i < t->n_segs; i++) {
		const struct rule_segment *sg = &t->segs[i];

		if (sg->field == RULE_FIELD_LITERAL)
			(void)strbuf_append(&b, sg->text);
		else
			(void)strbuf_append(&b, rules_field_value(ev,
			    sg->field, buf, sizeof(buf)));
	}
	if (b.error < 0 || b.data == NULL) {
		strbuf_fini(&b);
		return -ENOMEM;
	}
	if (b.len > RULES_TITLE_MAX) {
		/* Never cut inside a UTF-8 sequence. */
		for (n = RULES_TITLE_MAX; n > 0 &&
		    ((unsigned char)b.data[n] & 0xc0) == 0x80; n--)
			;
		b.data[n] = '\0';
	}
	*ret_title = b.data;
	return 0;
}

/* Builds the allocated parts of the result from o. */
static int
rules_result(const struct rules *rules, const struct rule_event *ev,
    const struct rules_outcome *o, struct rule_result *ret_result)
{
	struct rule_result res = { o->severity, NULL, NULL, o->drop,
	    o->n_matched };
	struct strbuf b;
	int r;

	if (o->title != NULL && !o->drop &&
	    (r = rules_render(o->title, ev, &res.title)) < 0)
		return r;
	if (o->n_tags > 0 && !o->drop) {
		strbuf_init(&b);
		(void)strbuf_append(&b, "[");
		for (size_t i = 0; i < o->n_tags; i++) {
			if (i > 0)
				(void)strbuf_append(&b, ",");
			(void)strbuf_append(&b, rules->tags[o->tags[i]]);
		}
		if (strbuf_append(&b, "]") < 0) {
			strbuf_fini(&b);
			free(res.title);
			return -ENOMEM;
		}
		res.tags_json = b.data;
	}
	*ret_result = res;
	return 0;
}

int
rules_apply(struct rules *rules, const struct rule_event *ev,
    struct rule_result *ret_result)
{
	struct rules_outcome o;
	int r;

	if ((r = rules_evaluate(rules, ev, &o)) < 0 ||
	    (r = rules_result(rules, ev, &o, ret_result)) < 0)
		return r;
	for (size_t i = 0; i < o.n_matched; i++)
		atomic_fetch_add_explicit(&rules->rules[o.matched[i]].matches,
		    1, memory_order_relaxed);
	if (o.drop)
		atomic_fetch_add_explicit(
		    &rules->rules[o.matched[o.n_matched - 1]].drops, 1,
		    memory_order_relaxed);
	return 0;
}

int
rules_explain(const struct rules *rules, const struct rule_event *ev,
    struct rule_result *ret_result, char **ret_matched_json)
{
	struct rules_outcome o;
	struct rule_result res;
	struct strbuf b;
	int r;

	if ((r = rules_evaluate(rules, ev, &o)) < 0)
		return r;
	strbuf_init(&b);
	(void)strbuf_append(&b, "[");
	for (size_t i = 0; i < o.n_matched; i++) {
		if (i > 0)
			(void)strbuf_append(&b, ",");
		(void)strbuf_json_string(&b, rules->rules[o.matched[i]].name);
	}
	if (strbuf_append(&b, "]") < 0) {
		strbuf_fini(&b);
		return -ENOMEM;
	}
	if ((r = rules_result(rules, ev, &o, &res)) < 0) {
		strbuf_fini(&b);
		return r;
	}
	*ret_result = res;
	*ret_matched_json = b.data;
	return 0;
}

void
rule_result_fini(struct rule_result *res)
{
	if (res == NULL)
		return;
	free(res->title);
	free(res->tags_json);
	memset(res, 0, sizeof(*res));
}

size_t
rules_count(const struct rules *rules)
{
	return rules != NULL ? rules->n : 0;
}

const char *
rules_name(const struct rules *rules, size_t i)
{
	return rules->rules[i].name;
}

uint64_t
rules_matches(const struct rules *rules, size_t i)
{
	return atomic_load_explicit(&rules->rules[i].matches,
	    memory_order_relaxed);
}

uint64_t
rules_drops(const struct rules *rules, size_t i)
{
	return atomic_load_explicit(&rules->rules[i].drops,
	    memory_order_relaxed);
}

void
rules_counters_carry(struct rules *to, const struct rules *from)
{
	if (to == NULL || from == NULL)
		return;
	for (size_t i = 0; i < to->n; i++) {
		for (size_t j = 0; j < from->n; j++) {
			if (strcmp(to->rules[i].name, from->rules[j].name) != 0)
				continue;
			atomic_store_explicit(&to->rules[i].matches,
			    rules_matches(from, j), memory_order_relaxed);
			atomic_store_explicit(&to->rules[i].drops,
			    rules_drops(from, j), memory_order_relaxed);
			break;
		}
	}
}
