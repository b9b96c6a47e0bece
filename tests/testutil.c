/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the helpers shared by the test programs. */
#define _XOPEN_SOURCE 700	/* nftw() */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "testutil.h"

char *
testutil_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	CHECK((path = malloc(strlen(base) + 32)) != NULL);
	(void)sprintf(path, "%s/kics-test-XXXXXX", base);
	CHECK(mkdtemp(path) != NULL);
	return path;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void
testutil_rmtree(const char *path)
{
	if (getenv("KICS_KEEP_TMP") != NULL) {
		(void)fprintf(stderr, "keeping %s\n", path);
		return;
	}
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *
testutil_source_path(const char *relative)
{
	const char *root = getenv("KICS_SOURCE_ROOT");
	char *path;

	if (root == NULL)
		root = ".";
	CHECK((path = malloc(strlen(root) + strlen(relative) + 2)) != NULL);
	(void)sprintf(path, "%s/%s", root, relative);
	return path;
}

long long
testutil_now_ms(void)
{
	return (long long)clock_wall_ms();
}

bool
testutil_fd_on(int fd, const char *path)
{
	char link[64], target[4096];
	ssize_t len;

	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0)
		return false;
	target[len] = '\0';
	return strcmp(target, path) == 0;
}

int
testutil_break_fsync(const char *path)
{
	int p[2];

	for (int fd = 0; fd < 1024; fd++) {
		int fl;

		if (!testutil_fd_on(fd, path) ||
		    (fl = fcntl(fd, F_GETFL)) < 0 ||
		    (fl & O_ACCMODE) != O_RDONLY)
			continue;
		if (pipe(p) < 0)
			return -1;
		if (dup2(p[0], fd) < 0)
			fd = -1;
		(void)close(p[0]);
		(void)close(p[1]);
		return fd;
	}
	return -1;
}
