/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fixture of the query tests: a database filled through the engine
 * (engine-fx.h's fx_fill_dir) in a temporary directory, opened as
 * kics-query opens it.
 */
#ifndef KICS_QUERY_FX_H
#define KICS_QUERY_FX_H

#include "engine-fx.h"
#include "query.h"

struct query_fx {
	char		*dir;
	struct query_db	*db;
};

/* Fills a new temporary directory with fill and opens it; aborts on error. */
void query_fx_open(struct query_fx *f, fx_fill_fn *fill);
/* Closes f and removes its directory. */
void query_fx_close(struct query_fx *f);

#endif
