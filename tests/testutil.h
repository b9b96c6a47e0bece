/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the test programs: temporary directories and a check
 * macro that is never compiled out.
 */
#ifndef KICS_TESTUTIL_H
#define KICS_TESTUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* Like assert(), but independent of NDEBUG and prints the failing test. */
#define CHECK(expr)                                                           \
	do {                                                                  \
		if (!(expr)) {                                                \
			(void)fprintf(stderr, "%s:%d: %s: check failed: %s\n", \
			    __FILE__, __LINE__, __func__, #expr);             \
			abort();                                              \
		}                                                             \
	} while (0)

/* CHECK that a == b for integers, printing both on failure. */
#define CHECK_EQ(a, b)                                                        \
	do {                                                                  \
		long long a_ = (long long)(a), b_ = (long long)(b);           \
		if (a_ != b_) {                                               \
			(void)fprintf(stderr,                                 \
			    "%s:%d: %s: %s == %s failed: %lld != %lld\n",     \
			    __FILE__, __LINE__, __func__, #a, #b, a_, b_);    \
			abort();                                              \
		}                                                             \
	} while (0)

/*
 * Creates a fresh directory under $TMPDIR (or /tmp) and returns its path;
 * the caller frees it with free() after testutil_rmtree().
 */
char *testutil_mkdtemp(void);
/* Removes a directory tree made by testutil_mkdtemp(); ignores errors. */
void testutil_rmtree(const char *path);
/* Returns a path under the source tree (KICS_SOURCE_ROOT); caller frees. */
char *testutil_source_path(const char *relative);
/* Milliseconds since the epoch. */
long long testutil_now_ms(void);
/* Whether this process's descriptor fd is open on path (/proc/self/fd). */
bool testutil_fd_on(int fd, const char *path);
/*
 * Puts a pipe in place of this process's first descriptor open read-only
 * on path (the store VFS's own descriptor of a WAL), so that an fsync
 * through it fails (EINVAL): a disk that lost writes. Returns that
 * descriptor, or -1 when there is none.
 */
int testutil_break_fsync(const char *path);

#define RUN(test)                                                             \
	do {                                                                  \
		(void)fprintf(stderr, "-- %s\n", #test);                      \
		test();                                                       \
	} while (0)

/* TEST_ASAN: defined when built with AddressSanitizer (gcc or clang). */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(TEST_ASAN)
#include <sanitizer/asan_interface.h>
#endif

#endif
