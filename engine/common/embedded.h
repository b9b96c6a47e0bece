/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files built into the binaries: the SQL migrations and the default
 * configuration. Arrays end with an entry whose name is NULL.
 */
#ifndef KICS_EMBEDDED_H
#define KICS_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char	*name;		/* base name, e.g. "0001_initial.sql" */
	const char	*text;		/* whole file, NUL-terminated */
};

/* migrations/NNNN_name.sql, sorted by name. */
extern const struct embedded_file embedded_migrations[];
/* The conf/ YAML files, sorted by name. */
extern const struct embedded_file embedded_conf[];

/*
 * Returns the embedded file called name from files, or NULL. The result is
 * borrowed and lives as long as the program.
 */
const struct embedded_file *embedded_find(const struct embedded_file *files,
    const char *name);

/* The number NNNN of a migration called NNNN_name.sql, or -1. */
int embedded_migration_number(const char *name);

/*
 * The schema version the binaries carry: the highest migration number,
 * which PRAGMA user_version reaches once every migration is applied.
 */
int embedded_schema_version(void);

#endif
