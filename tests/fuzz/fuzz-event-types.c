/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target of the event-type list reader: event_types_load() on a
 * file holding the input (it reads only from a path), merged with the
 * built-in list as the daemon does, then a lookup and event_types_free().
 */
#include <stdlib.h>

#include "diag.h"
#include "event_types.h"
#include "fuzz-util.h"
#include "kics_limits.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)fuzz_dir();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_types *types = NULL;
	struct diag *d;
	const char *path;

	if (size > LIMIT_YAML_FILE_BYTES)
		return -1;
	path = fuzz_file("event-types.yaml", data, size);
	if ((d = diag_new()) == NULL)
		abort();
	if (event_types_load(path, d, &types) == 0) {
		/* a list that loaded answers for any category */
		if (event_types_find(types, "network_attack") == NULL ||
		    event_types_find(types, "") == NULL)
			abort();
		event_types_free(types);
	}
	diag_free(d);
	return 0;
}
