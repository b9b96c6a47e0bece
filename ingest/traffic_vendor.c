/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the reader of the IEEE MAC address registries that
 * Debian's ieee-data installs (oui.csv: 24-bit MA-L, mam.csv: 28-bit MA-M,
 * oui36.csv: 36-bit MA-S), read once at start and searched longest prefix
 * first. No vendor table is compiled into kics-epp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define VENDOR_LINE_MAX		4096	/* bytes of one CSV line */
#define VENDOR_FIELD_MAX	256	/* bytes of one field kept */

/* One registry file: prefixes of one length. */
static const struct vendor_file {
	const char	*name;
	unsigned	bits;		/* 24, 28 or 36 */
} vendor_files[] = {
	{ "oui36.csv", 36 },		/* longest first */
	{ "mam.csv", 28 },
	{ "oui.csv", 24 },
};
#define N_FILES	(sizeof(vendor_files) / sizeof(vendor_files[0]))

struct vendor_entry {
	uint64_t	prefix;		/* the top bits of the MAC */
	char		*name;
};

struct vendors {
	struct vendor_entry *v[N_FILES];	/* sorted by prefix */
	size_t		n[N_FILES];
};

/*
 * Copies CSV field number want (0-based) of line into out (len bytes),
 * undoing quotes. Returns 0, or -EINVAL when the line has fewer fields.
 */
static int
csv_field(const char *line, unsigned want, char *out, size_t len)
{
	unsigned field = 0;
	size_t o = 0;
	bool quoted = false;

	for (const char *p = line; *p != '\0' && *p != '\n' && *p != '\r';
	    p++) {
		if (quoted && *p == '"' && p[1] == '"') {
			p++;
		} else if (*p == '"') {
			quoted = !quoted;
			continue;
		} else if (!quoted && *p == ',') {
			if (field++ == want)
				break;
			continue;
		}
		if (field == want && o + 1 < len)
			out[o++] = *p;
	}
	out[o] = '\0';
	return field >= want ? 0 : -EINVAL;
}

/* The assignment's hex digits as a number of bits bits, or -EINVAL. */
static int
vendor_prefix(const char *hex, unsigned bits, uint64_t *ret_prefix)
{
	uint64_t v = 0;
	size_t n = strlen(hex);

	if (n * 4 != bits)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = hex[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*ret_prefix = v;
	return 0;
}

static int
vendor_cmp(const void *a, const void *b)
{
	const struct vendor_entry *x = a, *y = b;

	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

/* Reads one file into v; returns rows read, -ENOENT, -ENOMEM. */
static int
vendor_read(struct vendors *v, size_t i, const char *dir)
{
	char path[4096], line[VENDOR_LINE_MAX], hex[VENDOR_FIELD_MAX];
	char name[VENDOR_FIELD_MAX];
	struct vendor_entry *e;
	size_t cap = 0;
	uint64_t prefix;
	FILE *f;
	int r = 0;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, vendor_files[i].name);
	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (csv_field(line, 1, hex, sizeof(hex)) < 0 ||
		    csv_field(line, 2, name, sizeof(name)) < 0 ||
		    vendor_prefix(hex, vendor_files[i].bits, &prefix) < 0 ||
		    name[0] == '\0')
			continue;	/* the header, or a row we cannot use */
		/* "Siemens AG," as registered: without the trailing comma */
		for (size_t k = strlen(name); k > 0 && (name[k - 1] == ',' ||
		    name[k - 1] == ' '); k--)
			name[k - 1] = '\0';
		if (v->n[i] == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			if ((e = realloc(v->v[i], cap * sizeof(*e))) == NULL) {
				r = -ENOMEM;
				break;
			}
			v->v[i] = e;
		}
		v->v[i][v->n[i]].prefix = prefix;
		if ((v->v[i][v->n[i]].name = strdup(name)) == NULL) {
			r = -ENOMEM;
			break;
		}
		v->n[i]++;
	}
	(void)fclose(f);
	if (r == 0 && v->n[i] > 0)
		qsort(v->v[i], v->n[i], sizeof(*v->v[i]), vendor_cmp);
	return r < 0 ? r : (int)v->n[i];
}

int
vendors_load(const char *dir, struct vendors **ret_vendors, char *err,
    size_t errlen)
{
	struct vendors *v = calloc(1, sizeof(*v));
	size_t total = 0;
	int r = 0;

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < N_FILES; i++) {
		r = vendor_read(v, i, dir);
		if (r == -ENOMEM)
			goto out;
		if (r > 0)
			total += (size_t)r;
	}
	if (total == 0) {
		(void)snprintf(err, errlen, "no IEEE registry with a usable "
		    "row in '%s' (oui.csv, mam.csv, oui36.csv; Debian package "
		    "ieee-data)", dir);
		r = -ENOENT;
		goto out;
	}
	*ret_vendors = v;
	v = NULL;
	r = 0;
out:
	vendors_free(v);
	return r;
}

const char *
vendors_find(const struct vendors *v, const uint8_t *mac)
{
	uint64_t m = 0;

	if (v == NULL)
		return NULL;
	for (int i = 0; i < 6; i++)
		m = m << 8 | mac[i];
	for (size_t i = 0; i < N_FILES; i++) {
		struct vendor_entry key = {
			.prefix = m >> (48 - vendor_files[i].bits),
		};
		const struct vendor_entry *e;

		if (v->n[i] == 0)
			continue;
		e = bsearch(&key, v->v[i], v->n[i], sizeof(key), vendor_cmp);
		if (e != NULL)
			return e->name;
	}
	return NULL;
}

size_t
vendors_count(const struct vendors *v)
{
	size_t n = 0;

	for (size_t i = 0; v != NULL && i < N_FILES; i++)
		n += v->n[i];
	return n;
}

void
vendors_free(struct vendors *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < N_FILES; i++) {
		for (size_t j = 0; j < v->n[i]; j++)
			free(v->v[i][j].name);
		free(v->v[i]);
	}
	free(v);
}
