/* SPDX-License-Identifier: Apache-2.0 */
/* What the rule tests share: loading, a typical event, applying. */
#ifndef KICS_RULES_FX_H
#define KICS_RULES_FX_H

#include "diag.h"
#include "rules.h"

/* Loads YAML text that must be valid; aborts otherwise. */
struct rules *load(const char *text);
/* A typical event from an HMI: every field set. */
struct rule_event event(void);
/* Applies rules to ev; returns the result (rule_result_fini() it). */
struct rule_result apply(struct rules *r, const struct rule_event *ev);

#endif
