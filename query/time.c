/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the times of kics-query: parsing --since/--until
 * (ISO 8601 dates and times, relative ages) and local human-readable
 * formatting.
 */
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "query.h"

/* Relative ages up to about 100 years. */
#define AGE_MAX_S	(100LL * 366 * 86400)

/* Reads exactly n digits at *p into *ret and advances *p. */
static bool
digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static int
parse_relative(const char *t, int64_t now_ms, int64_t *ret_ms)
{
	long long n = 0, unit;
	const char *p = t;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > AGE_MAX_S)
			return -EINVAL;
	}
	switch (*p) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return -EINVAL;
	}
	if (p[1] != '\0' || n * unit > AGE_MAX_S)
		return -EINVAL;
	*ret_ms = now_ms - n * unit * 1000;
	return 0;
}

static int
parse_iso(const char *t, int64_t *ret_ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	struct tm tm;
	const char *p = t;
	int y, mo, d, h = 0, mi = 0, s = 0, oh = 0, om = 0, sign = 0;
	bool utc = false;
	time_t secs;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 ||
	    (y % 100 == 0 && y % 400 != 0))) || y < 1970)
		return -EINVAL;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':' && (p++, !digits(&p, 2, &s)))
			return -EINVAL;
		if (h > 23 || mi > 59 || s > 59)
			return -EINVAL;
		if (*p == 'Z') {
			utc = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '+' ? 1 : -1;
			if (!digits(&p, 2, &oh) || *p++ != ':' ||
			    !digits(&p, 2, &om) || oh > 23 || om > 59)
				return -EINVAL;
			utc = true;
		}
	}
	if (*p != '\0')
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	secs = utc ? timegm(&tm) : mktime(&tm);
	if (secs == (time_t)-1)
		return -EINVAL;
	secs -= (time_t)sign * (oh * 3600 + om * 60);
	*ret_ms = (int64_t)secs * 1000;
	return 0;
}

int
query_time_parse(const char *text, int64_t now_ms, int64_t *ret_ms)
{
	if (text == NULL || strlen(text) > 40)
		return -EINVAL;
	if (strcmp(text, "now") == 0) {
		*ret_ms = now_ms;
		return 0;
	}
	if (strlen(text) >= 10 && text[4] == '-')
		return parse_iso(text, ret_ms);
	return parse_relative(text, now_ms, ret_ms);
}

int
query_time_format(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || localtime_r(&secs, &tm) == NULL)
		return -EINVAL;
	if (strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return -ENOSPC;
	return 0;
}

int
query_time_format_iso(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char date[24];
	long off;
	int n;

	if (ms < 0 || localtime_r(&secs, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -EINVAL;
	off = tm.tm_gmtoff / 60;
	n = snprintf(buf, len, "%s.%03d%c%02ld:%02ld", date, (int)(ms % 1000),
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
