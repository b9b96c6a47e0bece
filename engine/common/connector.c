/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the names of a SIEM connector's settings. */
#include <errno.h>
#include <string.h>

#include "connector.h"

static const char *const transport_names[CONNECTOR_TRANSPORT_MAX] = {
	[CONNECTOR_UDP] = "udp",
	[CONNECTOR_TCP] = "tcp",
	[CONNECTOR_TLS] = "tls",
};

static const char *const format_names[CONNECTOR_FORMAT_MAX] = {
	[CONNECTOR_RFC5424] = "rfc5424",
	[CONNECTOR_CEF] = "cef",
};

static const char *const severity_names[] = {
	"?", "info", "warning", "critical",
};

const char *
connector_transport_name(enum connector_transport t)
{
	if (t < 0 || t >= CONNECTOR_TRANSPORT_MAX)
		return "?";
	return transport_names[t];
}

const char *
connector_format_name(enum connector_format f)
{
	if (f < 0 || f >= CONNECTOR_FORMAT_MAX)
		return "?";
	return format_names[f];
}

const char *
connector_severity_name(int severity)
{
	if (severity < 1 || severity > 3)
		return "?";
	return severity_names[severity];
}

int
connector_transport_parse(const char *s, enum connector_transport *ret)
{
	for (int i = 0; i < CONNECTOR_TRANSPORT_MAX; i++)
		if (strcmp(s, transport_names[i]) == 0) {
			*ret = (enum connector_transport)i;
			return 0;
		}
	return -EINVAL;
}

int
connector_format_parse(const char *s, enum connector_format *ret)
{
	for (int i = 0; i < CONNECTOR_FORMAT_MAX; i++)
		if (strcmp(s, format_names[i]) == 0) {
			*ret = (enum connector_format)i;
			return 0;
		}
	return -EINVAL;
}

int
connector_severity_parse(const char *s, int *ret)
{
	for (int i = 1; i <= 3; i++)
		if (strcmp(s, severity_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

unsigned
connector_technology_bit(const char *s)
{
	if (strcmp(s, "epp") == 0)
		return CONNECTOR_TECH_EPP;
	if (strcmp(s, "system") == 0)
		return CONNECTOR_TECH_SYSTEM;
	return 0;
}

const char *
connector_technologies_name(unsigned bits)
{
	switch (bits & CONNECTOR_TECH_ALL) {
	case CONNECTOR_TECH_ALL:
		return "epp,system";
	case CONNECTOR_TECH_EPP:
		return "epp";
	case CONNECTOR_TECH_SYSTEM:
		return "system";
	default:
		return "";
	}
}

int
connector_technologies_parse(const char *s, unsigned *ret_bits)
{
	char word[16];
	unsigned bits = 0, bit;
	size_t len;

	while (*s != '\0') {
		len = strcspn(s, ",");
		if (len == 0 || len >= sizeof(word))
			return -EINVAL;
		memcpy(word, s, len);
		word[len] = '\0';
		if ((bit = connector_technology_bit(word)) == 0)
			return -EINVAL;
		bits |= bit;
		s += len;
		if (*s == ',' && *++s == '\0')
			return -EINVAL;
	}
	if (bits == 0)
		return -EINVAL;
	*ret_bits = bits;
	return 0;
}
