/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The words of a SIEM connector (DESIGN.md "SIEM forwarding"): its
 * transports, formats and technologies, spelled as the configuration, the
 * database and kics-query spell them. Shared by conf, store and forward.
 */
#ifndef KICS_CONNECTOR_H
#define KICS_CONNECTOR_H

enum connector_transport {
	CONNECTOR_UDP,		/* RFC 5426 */
	CONNECTOR_TCP,		/* RFC 6587, octet counting */
	CONNECTOR_TLS,		/* RFC 5425 */
	CONNECTOR_TRANSPORT_MAX
};

enum connector_format {
	CONNECTOR_RFC5424,
	CONNECTOR_CEF,
	CONNECTOR_FORMAT_MAX
};

#define CONNECTOR_TECH_EPP	0x1u	/* technologies: one bit each */
#define CONNECTOR_TECH_SYSTEM	0x2u
#define CONNECTOR_TECH_ALL	0x3u

/* "udp", "tcp", "tls"; "?" out of range. Static. */
const char *connector_transport_name(enum connector_transport t);
/* "rfc5424", "cef"; "?" out of range. Static. */
const char *connector_format_name(enum connector_format f);
/* "info", "warning", "critical" for 1, 2, 3; "?" otherwise. Static. */
const char *connector_severity_name(int severity);
/* Each parses its own words; returns 0, or -EINVAL and leaves *ret. */
int connector_transport_parse(const char *s, enum connector_transport *ret);
int connector_format_parse(const char *s, enum connector_format *ret);
int connector_severity_parse(const char *s, int *ret);
/* The bit of "epp" or "system"; 0 for anything else. */
unsigned connector_technology_bit(const char *s);
/* "epp,system", "epp", "system" or "" for CONNECTOR_TECH_* bits. Static. */
const char *connector_technologies_name(unsigned bits);
/*
 * Parses a comma-separated list of technologies ("epp,system"); returns
 * 0, or -EINVAL for an empty list or an unknown word.
 */
int connector_technologies_parse(const char *s, unsigned *ret_bits);

#endif
