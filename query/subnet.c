/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the subnet filter of devices --subnet and device find
 * CIDR: which rows of table addresses lie in a network, as SQL that uses
 * the index on addresses.value where the canonical text allows it, and the
 * SQL function kics_in_subnet() for the IPv6 networks that text cannot
 * decide.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "query-private.h"

/*
 * kics_in_subnet(address_text, cidr_text): 1 when the address lies in the
 * network, 0 when not or when either does not parse (a MAC, NULL).
 */
static void
in_subnet_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *a = (const char *)sqlite3_value_text(argv[0]);
	const char *n = (const char *)sqlite3_value_text(argv[1]);
	struct addr_cidr cidr;
	struct addr_ip ip;

	(void)argc;
	sqlite3_result_int(ctx, a != NULL && n != NULL &&
	    addr_cidr_parse(n, &cidr) == 0 && addr_ip_parse(a, &ip) == 0 &&
	    addr_cidr_contains(&cidr, &ip));
}

int
qdb_register_functions(sqlite3 *db)
{
	return sqlite3_create_function(db, "kics_in_subnet", 2,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, in_subnet_fn, NULL,
	    NULL) == SQLITE_OK ? 0 : -EIO;
}

int
query_subnet_check(const char *text, char *buf, size_t len)
{
	struct addr_cidr cidr;
	struct addr_ip ip;
	char net[ADDR_TEXT_MAX];
	int prefix;

	if (text != NULL && addr_cidr_parse(text, &cidr) == 0)
		return 0;
	if (text != NULL && addr_ip_parse_prefixed(text, &ip, &prefix) == 0 &&
	    prefix != ADDR_NO_PREFIX) {
		/* The same address with its host bits cleared. */
		cidr.net = ip;
		cidr.prefix = (unsigned)prefix;
		for (unsigned b = cidr.prefix; b < 128; b++)
			cidr.net.bytes[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
		if (addr_cidr_format(&cidr, net, sizeof(net)) == 0) {
			(void)snprintf(buf, len, "'%s' has host bits set; did "
			    "you mean %s?", text, net);
			return -EINVAL;
		}
	}
	(void)snprintf(buf, len, "'%s' is not an IPv4 or IPv6 network (e.g. "
	    "10.1.0.0/16, 2001:db8::/32)", text != NULL ? text : "");
	return -EINVAL;
}

/*
 * IPv4: canonical text is the dotted quad without leading zeros, so the
 * whole octets of the prefix are a text prefix (an index range) and a
 * partial octet is a number range on the next octet; CAST() of "12.34"
 * reads 12. Only digits and dots go into the SQL text.
 */
static void
where_ipv4(struct qsql *q, const struct addr_cidr *c)
{
	const uint8_t *b = c->net.bytes;
	unsigned whole = c->prefix / 8, rest = c->prefix % 8;
	char p[20] = "";
	size_t len = 0;

	if (whole == 4) {
		qsql_add(q, "kind = 'ipv4' AND value = '%u.%u.%u.%u'", b[0],
		    b[1], b[2], b[3]);
		return;
	}
	for (unsigned i = 0; i < whole; i++)
		len += (size_t)snprintf(p + len, sizeof(p) - len, "%u.", b[i]);
	qsql_add(q, "kind = 'ipv4'");
	if (len > 0)
		/* '/' follows '.': the range holds exactly the prefix */
		qsql_add(q, " AND value >= '%s' AND value < '%.*s/'", p,
		    (int)len - 1, p);
	if (rest > 0)
		qsql_add(q, " AND CAST(substr(value, %zu) AS INTEGER) BETWEEN "
		    "%u AND %u", len + 1, b[whole],
		    b[whole] + (1u << (8 - rest)) - 1);
}

/*
 * IPv6: compressed text makes prefixes unreliable beyond the first group,
 * which is written out whenever it is not zero: that much narrows by
 * index, kics_in_subnet() decides. An IPv6 network may hold IPv4
 * addresses (their mapped form, addr_cidr_contains()).
 */
static void
where_ipv6(struct qsql *q, const struct addr_cidr *c, const char *net)
{
	unsigned g0 = (unsigned)c->net.bytes[0] << 8 | c->net.bytes[1];

	if (c->prefix >= 16 && g0 != 0)
		/* ';' follows ':' */
		qsql_add(q, "value >= '%x:' AND value < '%x;' AND ", g0, g0);
	else
		qsql_add(q, "kind IN ('ipv4', 'ipv6') AND ");
	qsql_add(q, "kics_in_subnet(value, '%s')", net);
}

int
qsql_subnet_where(struct query_db *db, struct qsql *q, const char *text)
{
	struct addr_cidr c;
	char net[ADDR_TEXT_MAX], why[QUERY_ERRMSG_LEN];

	if (query_subnet_check(text, why, sizeof(why)) < 0)
		return qdb_fail(db, -EINVAL, "%s", why);
	if (addr_cidr_parse(text, &c) < 0 ||
	    addr_cidr_format(&c, net, sizeof(net)) < 0)
		return qdb_fail(db, -EINVAL, "'%s' is not a network", text);
	if (c.net.family == ADDR_FAMILY_IPV4)
		where_ipv4(q, &c);
	else
		where_ipv6(q, &c, net);
	return 0;
}
