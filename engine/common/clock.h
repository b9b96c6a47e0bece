/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one clock of every program: wall-clock time for what is stored
 * (unix milliseconds, DESIGN's unit for every *_ms column) and a monotonic
 * clock for deadlines and measurements.
 */
#ifndef KICS_CLOCK_H
#define KICS_CLOCK_H

#include <stdint.h>

/* Unix time in milliseconds (CLOCK_REALTIME). */
int64_t clock_wall_ms(void);
/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
int64_t clock_mono_ms(void);
/* Microseconds of CLOCK_MONOTONIC, for benchmarks and latencies. */
int64_t clock_mono_us(void);

#endif
