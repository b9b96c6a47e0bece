/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the helpers shared by the fuzz targets (fuzz-util.h). */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-util.h"

#define FUZZ_PATH_LEN	4096	/* bytes of a path in the scratch directory */

static char fuzz_dir_path[FUZZ_PATH_LEN];
static char fuzz_file_path[FUZZ_PATH_LEN];

/* The directory is flat: the input file, or the database and its WAL. */
static void
fuzz_dir_remove(void)
{
	char path[FUZZ_PATH_LEN];
	struct dirent *de;
	DIR *dir;

	if (fuzz_dir_path[0] == '\0' ||
	    (dir = opendir(fuzz_dir_path)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", fuzz_dir_path,
		    de->d_name);
		(void)unlink(path);
	}
	(void)closedir(dir);
	(void)rmdir(fuzz_dir_path);
}

const char *
fuzz_dir(void)
{
	const char *base = getenv("TMPDIR");

	if (fuzz_dir_path[0] != '\0')
		return fuzz_dir_path;
	if (access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (base == NULL || base[0] == '\0')
		base = "/tmp";
	(void)snprintf(fuzz_dir_path, sizeof(fuzz_dir_path),
	    "%s/kics-fuzz-XXXXXX", base);
	if (mkdtemp(fuzz_dir_path) == NULL) {
		(void)fprintf(stderr, "fuzz: mkdtemp '%s': %s\n",
		    fuzz_dir_path, strerror(errno));
		abort();
	}
	if (atexit(fuzz_dir_remove) != 0)
		abort();
	return fuzz_dir_path;
}

const char *
fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	size_t done = 0;
	int fd;

	(void)snprintf(fuzz_file_path, sizeof(fuzz_file_path), "%s/%s",
	    fuzz_dir(), name);
	fd = open(fuzz_file_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd < 0)
		abort();
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	if (close(fd) < 0)
		abort();
	return fuzz_file_path;
}
