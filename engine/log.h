/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging for every program of kics-epp: stderr in the foreground, syslog
 * otherwise. engine/ itself logs at debug level only (STYLE.md §5).
 */
#ifndef KICS_LOG_H
#define KICS_LOG_H

#include <stdbool.h>
#include <stdnoreturn.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_MAX
};

#define KICS_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * Sets the program name, where messages go (stderr when foreground is true,
 * else syslog) and the most verbose level that is written.
 */
void log_init(const char *progname, bool foreground, enum log_level level);
void log_set_level(enum log_level level);
/* Parses "error|warning|info|debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *ret_level);

/* log_warn appends ": strerror(errno)". All of them preserve errno. */
void log_warn(const char *fmt, ...) KICS_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) KICS_PRINTF(1, 2);
void log_info(const char *fmt, ...) KICS_PRINTF(1, 2);
void log_debug(const char *fmt, ...) KICS_PRINTF(1, 2);
/* Log at error level and exit(1); fatal appends strerror(errno). */
noreturn void fatal(const char *fmt, ...) KICS_PRINTF(1, 2);
noreturn void fatalx(const char *fmt, ...) KICS_PRINTF(1, 2);

#endif
