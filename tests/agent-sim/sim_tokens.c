/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the agents' token file (--token-file): the token
 * each agent got from the daemon, kept between runs as a real agent keeps
 * it, one "agent_id token" line each. Agents of other runs stay in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sim.h"

#define SIM_TOKEN_LINE	(SIM_UUID_LEN + SIM_TOKEN_LEN + 8)

/* The host of agent_id among hosts[0..n), or NULL. */
static struct sim_host *
tokens_host(struct sim_host *const *hosts, size_t n, const char *agent_id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(hosts[i]->agent_id, agent_id) == 0)
			return hosts[i];
	return NULL;
}

int
sim_tokens_load(const char *path, struct sim_host *const *hosts, size_t n)
{
	char line[SIM_TOKEN_LINE], id[SIM_UUID_LEN], token[SIM_TOKEN_LEN + 1];
	struct sim_host *h;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%36s %64s", id, token) != 2)
			continue;
		if ((h = tokens_host(hosts, n, id)) != NULL)
			(void)snprintf(h->token, sizeof(h->token), "%s", token);
	}
	(void)fclose(f);
	return 0;
}

int
sim_tokens_save(const char *path, struct sim_host *const *hosts, size_t n)
{
	char line[SIM_TOKEN_LINE], id[SIM_UUID_LEN], tmp[4096];
	FILE *in, *out;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
	    0 || (out = fdopen(fd, "w")) == NULL) {
		r = -errno;
		if (fd >= 0)
			(void)close(fd);
		return r;
	}
	/* the lines of agents not in this run, then ours */
	if ((in = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), in) != NULL)
			if (sscanf(line, "%36s", id) == 1 &&
			    tokens_host(hosts, n, id) == NULL)
				(void)fputs(line, out);
		(void)fclose(in);
	}
	for (size_t i = 0; i < n; i++)
		if (hosts[i]->token[0] != '\0')
			(void)fprintf(out, "%s %s\n", hosts[i]->agent_id,
			    hosts[i]->token);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0)
		r = -errno;
	if (fclose(out) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}
