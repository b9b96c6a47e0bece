/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the timing pieces of the C benchmarks (bench-fx.h). */
#include <stdlib.h>
#include <time.h>

#include "bench-fx.h"
#include "clock.h"
#include "testutil.h"

double
bench_wall_s(void)
{
	return (double)clock_mono_us() / 1e6;
}

double
bench_cpu_s(void)
{
	struct timespec ts;

	CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_median(double *v, size_t n)
{
	CHECK(n > 0);
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

double
bench_apply(struct engine *e, struct engine_report *er, size_t n,
    int64_t now_ms)
{
	double c0 = bench_cpu_s(), cpu;

	CHECK_EQ(engine_apply_batch(e, er, n, now_ms), 0);
	cpu = bench_cpu_s() - c0;
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(er[i].status, REPORT_STATUS_COMMITTED);
	return cpu;
}
