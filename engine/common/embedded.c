/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the lookup of files built into the binaries. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"

const struct embedded_file *
embedded_find(const struct embedded_file *files, const char *name)
{
	for (; files->name != NULL; files++)
		if (strcmp(files->name, name) == 0)
			return files;
	return NULL;
}

/* The number NNNN of a migration called NNNN_name.sql, or -1. */
int
embedded_migration_number(const char *name)
{
	char *end;
	long n = strtol(name, &end, 10);

	if (end == name || *end != '_' || n <= 0 || n > INT_MAX)
		return -1;
	return (int)n;
}

int
embedded_schema_version(void)
{
	int max = 0;

	for (const struct embedded_file *m = embedded_migrations;
	    m->name != NULL; m++)
		if (embedded_migration_number(m->name) > max)
			max = embedded_migration_number(m->name);
	return max;
}
