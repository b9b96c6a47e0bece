/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the libFuzzer targets: a scratch directory that lives
 * as long as the process, and a file in it rewritten for every input.
 */
#ifndef KICS_FUZZ_UTIL_H
#define KICS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The entry points libFuzzer calls; declared for -Wmissing-prototypes. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Returns the scratch directory of this process, made on first use under
 * /dev/shm when it exists (the engine fsyncs every commit), else $TMPDIR
 * or /tmp, and removed at exit. Borrowed for the life of the process.
 * Aborts when it cannot be made: a fuzzer without it finds nothing.
 */
const char *fuzz_dir(void);

/*
 * Writes data[0..size) to the file name in fuzz_dir(), replacing it, and
 * returns its path, borrowed until the next call. Aborts on failure.
 */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

#endif
