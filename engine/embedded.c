/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the lookup of files built into the binaries. */
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
