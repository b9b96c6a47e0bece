/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the log functions shared by all programs: a level
 * filter and a choice between stderr (foreground) and syslog.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *log_progname = "kics-epp";
static bool log_foreground = true;
static enum log_level log_max = LOG_LEVEL_INFO;

static const char *const level_names[LOG_LEVEL_MAX] = {
	"error", "warning", "info", "debug",
};

void
log_init(const char *progname, bool foreground, enum log_level level)
{
	log_progname = progname;
	log_foreground = foreground;
	log_max = level;
	if (!foreground)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
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

void
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[LOG_LEVEL_MAX] = {
		LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG,
	};
	char msg[2048];
	int saved = errno;

	if (level > log_max)
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum) {
		size_t len = strlen(msg);

		(void)snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(errnum));
	}
	if (log_foreground) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		(void)clock_gettime(CLOCK_REALTIME, &ts);
		(void)localtime_r(&ts.tv_sec, &tm);
		(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		(void)fprintf(stderr, "%s.%03ld %s %s: %s\n", when,
		    ts.tv_nsec / 1000000, log_progname, level_names[level],
		    msg);
	} else
		syslog(prio[level], "%s", msg);
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
