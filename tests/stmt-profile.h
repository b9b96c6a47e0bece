/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A statement profile for benchmarks (stmt-profile.c): in a program built
 * with BENCH_STATEMENTS and linked with
 * -Wl,--wrap=sqlite3_step,--wrap=sqlite3_exec, every statement stepped
 * between stmt_profile_side() and stmt_profile_ran() is counted and timed
 * for that side. Without BENCH_STATEMENTS the calls compile to nothing.
 * One thread only.
 */
#ifndef KICS_STMT_PROFILE_H
#define KICS_STMT_PROFILE_H

#ifdef BENCH_STATEMENTS
/* Statements stepped from now on are side's (0 or 1), named name. */
void stmt_profile_side(int side, const char *name);
/* side's run since stmt_profile_side() took seconds; stops counting. */
void stmt_profile_ran(int side, double seconds);
/* Prints each side's statements by time, per report of reports. */
void stmt_profile_print(long long reports);
#else
#define stmt_profile_side(side, name)	((void)0)
#define stmt_profile_ran(side, seconds)	((void)0)
#define stmt_profile_print(reports)	((void)0)
#endif

#endif
