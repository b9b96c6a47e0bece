/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The timing pieces of the C benchmarks: wall and processor clocks, the
 * median of a run's rounds, and one timed engine batch.
 */
#ifndef KICS_BENCH_FX_H
#define KICS_BENCH_FX_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* Seconds of the monotonic clock: only differences mean anything. */
double bench_wall_s(void);
/* Processor seconds of this process: steadier than wall time on a
   shared machine. */
double bench_cpu_s(void);
/* Sorts v[0 … n) in place and returns its median, v[n / 2] (n > 0). */
double bench_median(double *v, size_t n);
/*
 * Applies the batch er[0 … n) to e at now_ms and returns the processor
 * seconds engine_apply_batch() took; aborts unless it succeeded and
 * committed every report.
 */
double bench_apply(struct engine *e, struct engine_report *er, size_t n,
    int64_t now_ms);

#endif
