/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the string formatting of the report generators: a
 * snprintf for the few conversions they use, and writers of addresses,
 * MACs and hex digits. A report takes about seventy formatted strings and
 * the simulator runs beside the daemon it loads: glibc's vsnprintf (a
 * FILE set up per call) cost more than the rest of the generation. The
 * output is byte for byte what snprintf gives for the same format.
 */
#include <assert.h>
#include <string.h>

#include "sim.h"

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

/* One conversion's options. */
struct conv {
	bool		zero;		/* '0' flag: pad with zeros */
	bool		plus;		/* '+' flag: sign on positives too */
	unsigned int	width;
};

/* Output with snprintf's truncation: counts everything, stores what fits. */
struct out {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void
put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void
put_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

/* Digits of v in base (10 or 16) into tmp, backwards; their count. */
static unsigned int
digits(char *tmp, unsigned long long v, unsigned int base, const char *set)
{
	unsigned int n = 0;

	do {
		tmp[n++] = set[v % base];
		v /= base;
	} while (v != 0);
	return n;
}

static void
put_number(struct out *o, const struct conv *cv, bool negative,
    unsigned long long v, unsigned int base, const char *set)
{
	char tmp[24];
	unsigned int n = digits(tmp, v, base, set);
	unsigned int len = n + (negative || cv->plus ? 1 : 0);
	char sign = negative ? '-' : cv->plus ? '+' : '\0';

	if (!cv->zero)
		for (unsigned int i = len; i < cv->width; i++)
			put(o, ' ');
	if (sign != '\0')
		put(o, sign);
	if (cv->zero)
		for (unsigned int i = len; i < cv->width; i++)
			put(o, '0');
	while (n > 0)
		put(o, tmp[--n]);
}

/* Reads flags and width at *fmt. */
static void
parse_conv(const char **fmt, struct conv *cv)
{
	const char *p = *fmt;

	memset(cv, 0, sizeof(*cv));
	for (;; p++) {
		if (*p == '0')
			cv->zero = true;
		else if (*p == '+')
			cv->plus = true;
		else
			break;
	}
	while (*p >= '0' && *p <= '9')
		cv->width = cv->width * 10 + (unsigned int)(*p++ - '0');
	*fmt = p;
}

/* Reads the length modifier at *fmt: 0 int, 1 long, 2 long long, 3 size_t. */
static int
parse_length(const char **fmt)
{
	const char *p = *fmt;
	int len = 0;

	if (p[0] == 'l' && p[1] == 'l') {
		len = 2;
		p += 2;
	} else if (p[0] == 'l') {
		len = 1;
		p++;
	} else if (p[0] == 'z') {
		len = 3;
		p++;
	}
	*fmt = p;
	return len;
}

static unsigned long long
arg_unsigned(va_list *ap, int len)
{
	switch (len) {
	case 1:
		return va_arg(*ap, unsigned long);
	case 2:
		return va_arg(*ap, unsigned long long);
	case 3:
		return va_arg(*ap, size_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static long long
arg_signed(va_list *ap, int len)
{
	switch (len) {
	case 1:
		return va_arg(*ap, long);
	case 2:
		return va_arg(*ap, long long);
	case 3:
		return (long long)va_arg(*ap, size_t);
	default:
		return va_arg(*ap, int);
	}
}

/* One conversion after its '%'; *ap advanced past its argument. */
static void
put_conv(struct out *o, const char **fmt, va_list *ap)
{
	struct conv cv;
	const char *str;
	long long s;
	int len;
	char c;

	parse_conv(fmt, &cv);
	len = parse_length(fmt);
	c = *(*fmt)++;
	switch (c) {
	case 's':
		str = va_arg(*ap, const char *);
		put_str(o, str != NULL ? str : "(null)");
		break;
	case 'd':
		s = arg_signed(ap, len);
		put_number(o, &cv, s < 0, s < 0 ? 0ULL - (unsigned long long)s :
		    (unsigned long long)s, 10, hex_lower);
		break;
	case 'u':
		put_number(o, &cv, false, arg_unsigned(ap, len), 10,
		    hex_lower);
		break;
	case 'x':
	case 'X':
		put_number(o, &cv, false, arg_unsigned(ap, len), 16,
		    c == 'x' ? hex_lower : hex_upper);
		break;
	case '%':
		put(o, '%');
		break;
	default:
		/* a conversion the generators do not use: a bug */
		assert(!"unsupported conversion");
		(*fmt)--;
		break;
	}
}

size_t
sim_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt != '\0') {
		const char *pct = strchr(fmt, '%');
		size_t n = pct != NULL ? (size_t)(pct - fmt) : strlen(fmt);

		if (o.len + 1 < o.size) {
			size_t room = o.size - 1 - o.len;

			memcpy(o.buf + o.len, fmt, n < room ? n : room);
		}
		o.len += n;
		fmt += n;
		if (pct == NULL)
			break;
		fmt++;
		put_conv(&o, &fmt, &aq);
	}
	va_end(aq);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

size_t
sim_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = sim_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

char *
sim_fmt_hex(char *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = n; i > 0; i--) {
		p[i - 1] = hex_lower[v & 0xf];
		v >>= 4;
	}
	return p + n;
}

char *
sim_fmt_uint(char *p, uint64_t v)
{
	char tmp[24];
	unsigned int n = digits(tmp, v, 10, hex_lower);

	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

void
sim_fmt_ipv4(char *buf, unsigned int a, unsigned int b, unsigned int c,
    unsigned int d)
{
	char *p = buf;

	p = sim_fmt_uint(p, a);
	*p++ = '.';
	p = sim_fmt_uint(p, b);
	*p++ = '.';
	p = sim_fmt_uint(p, c);
	*p++ = '.';
	p = sim_fmt_uint(p, d);
	*p = '\0';
}

void
sim_fmt_mac(char *buf, uint32_t oui, uint32_t nic)
{
	uint64_t v = ((uint64_t)(oui & 0xffffff) << 24) | (nic & 0xffffff);
	char *p = buf;

	for (int shift = 40; shift >= 0; shift -= 8) {
		p = sim_fmt_hex(p, (v >> shift) & 0xff, 2);
		*p++ = shift > 0 ? ':' : '\0';
	}
}
