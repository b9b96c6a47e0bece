/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the log functions shared by all programs: a level
 * filter and a choice between stderr, syslog and a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_SYSLOG,
	LOG_TARGET_FILE,
};

/*
 * THREAD SAFETY: the setters run before threads start or on the main
 * thread while the others only log; each message is one write(2), so
 * lines of two threads never mix.
 */
static const char *log_progname = "kics-epp";
static enum log_target log_target = LOG_TARGET_STDERR;
static enum log_level log_max = LOG_LEVEL_INFO;
static int log_fd = -1;			/* LOG_TARGET_FILE */
static char *log_path;			/* of log_fd, for log_reopen() */
static int log_echo_fd = -1;		/* warnings and errors, or -1 */

static const char *const level_names[LOG_LEVEL_MAX] = {
	"error", "warning", "info", "debug",
};

void
log_init(const char *progname, bool foreground, enum log_level level)
{
	log_progname = progname;
	log_max = level;
	if (foreground)
		log_to_stderr();
	else
		log_to_syslog();
}

void
log_to_stderr(void)
{
	log_target = LOG_TARGET_STDERR;
}

void
log_to_syslog(void)
{
	if (log_target != LOG_TARGET_SYSLOG)
		openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_target = LOG_TARGET_SYSLOG;
}

int
log_to_file(const char *path)
{
	char *copy;
	int fd;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) < 0)
		return -errno;
	if ((copy = strdup(path)) == NULL) {
		(void)close(fd);
		return -ENOMEM;
	}
	if (log_fd >= 0)
		(void)close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = copy;
	log_target = LOG_TARGET_FILE;
	return 0;
}

int
log_reopen(void)
{
	int fd;

	if (log_target != LOG_TARGET_FILE || log_path == NULL)
		return 0;
	if ((fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) < 0)
		return -errno;
	/* dup2 swaps the file under threads that may be writing to it */
	if (dup2(fd, log_fd) < 0) {
		int e = errno;

		(void)close(fd);
		return -e;
	}
	(void)close(fd);
	return 0;
}

void
log_set_echo(int fd)
{
	log_echo_fd = fd;
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

int
log_level_parse(const char *s, enum log_level *ret_level)
{
	for (int i = 0; i < LOG_LEVEL_MAX; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*ret_level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Writes all of buf[0..len) to fd; a log line never fails its caller. */
static void
log_write_fd(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* "2026-11-30 12:00:00.123 PROG LEVEL: MSG\n" into line. */
static size_t
log_line(char *line, size_t size, enum log_level level, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	int n;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	(void)localtime_r(&ts.tv_sec, &tm);
	(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line, size, "%s.%03ld %s %s: %s\n", when,
	    ts.tv_nsec / 1000000, log_progname, level_names[level], msg);
	if (n < 0)
		return 0;
	if ((size_t)n >= size) {
		line[size - 2] = '\n';
		return size - 1;
	}
	return (size_t)n;
}

void
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[LOG_LEVEL_MAX] = {
		LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG,
	};
	char msg[2048], line[2200];
	int saved = errno;
	size_t len;

	if (level > log_max)
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum) {
		size_t mlen = strlen(msg);

		(void)snprintf(msg + mlen, sizeof(msg) - mlen, ": %s",
		    strerror(errnum));
	}
	len = log_line(line, sizeof(line), level, msg);
	if (log_target == LOG_TARGET_SYSLOG)
		syslog(prio[level], "%s", msg);
	else
		log_write_fd(log_target == LOG_TARGET_FILE ? log_fd :
		    STDERR_FILENO, line, len);
	if (log_echo_fd >= 0 && level <= LOG_LEVEL_WARNING)
		log_write_fd(log_echo_fd, line, len);
	errno = saved;
}

#define LOG_BODY(level, errnum)                                               \
	do {                                                                  \
		va_list ap;                                                   \
		va_start(ap, fmt);                                            \
		log_vwrite((level), (errnum), fmt, ap);                       \
		va_end(ap);                                                   \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_LEVEL_WARNING, e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARNING, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, 0);
}
