/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging for every program of kics-epp: stderr in the foreground, syslog
 * otherwise. engine/ itself logs at debug level only (STYLE.md §5).
 */
#ifndef KICS_LOG_H
#define KICS_LOG_H

#include <stdarg.h>
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
/* Sends messages to stderr, or to syslog (opened as progname). */
void log_to_stderr(void);
void log_to_syslog(void);
/*
 * Sends messages to the file path, appended to and created mode 0640.
 * Returns 0, or a negative errno with the target unchanged.
 */
int log_to_file(const char *path);
/*
 * Opens the log file again under its name, after a rotation moved it.
 * Returns 0 (also when not logging to a file) or a negative errno, with
 * the old file kept.
 */
int log_reopen(void);
/*
 * Also writes warnings and errors, as stderr would show them, to fd (-1:
 * stops): a detaching daemon's way to tell its parent why it failed.
 */
void log_set_echo(int fd);
/* Parses "error|warning|info|debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *ret_level);

/* log_warn appends ": strerror(errno)". All of them preserve errno. */
void log_warn(const char *fmt, ...) KICS_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) KICS_PRINTF(1, 2);
void log_info(const char *fmt, ...) KICS_PRINTF(1, 2);
void log_debug(const char *fmt, ...) KICS_PRINTF(1, 2);
/*
 * Writes one message at level, appending ": strerror(errnum)" when errnum
 * is not 0; the building block of the functions above and of fatal.c.
 */
void log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
    KICS_PRINTF(3, 0);
/*
 * Log at error level and exit(1); fatal appends strerror(errno). They live
 * in fatal.c, the only place of engine/ that ends the process, and only
 * main programs may call them (STYLE.md §3).
 */
noreturn void fatal(const char *fmt, ...) KICS_PRINTF(1, 2);
noreturn void fatalx(const char *fmt, ...) KICS_PRINTF(1, 2);

#endif
