/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains fatal() and fatalx(): the main programs' way to log
 * an error and end the process. It is the only file under engine/ that may
 * call exit(); tests/check-layers.py keeps it so.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "log.h"

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
