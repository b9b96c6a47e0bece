/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the fixture of the query tests (query-fx.h). */
#include <stdlib.h>

#include "query-fx.h"
#include "testutil.h"

void
query_fx_open(struct query_fx *f, fx_fill_fn *fill)
{
	char err[QUERY_ERRMSG_LEN];

	f->dir = testutil_mkdtemp();
	fx_fill_dir(f->dir, fill);
	CHECK_EQ(query_db_open(f->dir, err, sizeof(err), &f->db), 0);
}

void
query_fx_close(struct query_fx *f)
{
	query_db_free(f->db);
	testutil_rmtree(f->dir);
	free(f->dir);
}
