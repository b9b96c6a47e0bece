/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target of the daemon's configuration reader: conf_load() on a
 * file holding the input (it reads only from a path), then conf_free().
 * Every message goes to a diag that is freed with it.
 */
#include <stdlib.h>

#include "conf.h"
#include "diag.h"
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
	struct conf *c = NULL;
	struct diag *d;
	const char *path;

	/* past the limit the reader stops before parsing anything */
	if (size > LIMIT_YAML_FILE_BYTES)
		return -1;
	path = fuzz_file("kics-epp.yaml", data, size);
	if ((d = diag_new()) == NULL)
		abort();
	if (conf_load(path, d, &c) == 0)
		conf_free(c);
	diag_free(d);
	return 0;
}
