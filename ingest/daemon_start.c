/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the start of kics-epp-proxy (daemon.h): the default
 * configuration, the data directory's lock, the log's target and the
 * detaching that reports a failed start to whoever started the daemon.
 */
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "ingest.h"
#include "log.h"

#ifndef KICS_SYSCONFDIR
#error "KICS_SYSCONFDIR is set by ingest/meson.build"
#endif
#define DAEMON_SYSCONF_CONFIG	KICS_SYSCONFDIR "/kics-epp/kics-epp.yaml"

/* The byte that tells the waiting parent that the child is ready. */
#define DAEMON_READY_BYTE	'\0'

const char *
daemon_default_config(void)
{
	const char *env = getenv(DAEMON_CONFIG_ENV);

	if (env != NULL && env[0] != '\0')
		return env;
	if (access(DAEMON_SYSCONF_CONFIG, F_OK) == 0)
		return DAEMON_SYSCONF_CONFIG;
	return NULL;
}

void
daemon_start_init(struct daemon_start *s)
{
	s->lock_fd = -1;
	s->pid_path = NULL;
	s->ready_fd = -1;
}

static char *
daemon_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = xcalloc(1, len);

	(void)snprintf(p, len, "%s/%s", dir, name);
	return p;
}

void
daemon_start_lock(struct daemon_start *s, const char *data_dir)
{
	char *path = daemon_path(data_dir, DAEMON_LOCK_FILE);
	char buf[32] = "";
	ssize_t n;
	long pid;

	if ((s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0)
		fatal("cannot open the lock '%s'", path);
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		free(path);
		return;
	}
	if (errno != EWOULDBLOCK)
		fatal("cannot lock '%s'", path);
	/* The holder wrote its pid there once it had the lock. */
	n = pread(s->lock_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid > 0)
		fatalx("data directory '%s' in use by pid %ld", data_dir, pid);
	fatalx("data directory '%s' in use by another " DAEMON_NAME
	    " that is starting", data_dir);
}

void
daemon_start_log(const struct conf *conf, bool foreground)
{
	int r;

	switch (conf->log) {
	case CONF_LOG_FILE:
		if ((r = log_to_file(conf->log_file)) < 0)
			fatalx("cannot open log_file '%s': %s", conf->log_file,
			    strerror(-r));
		break;
	case CONF_LOG_SYSLOG:
		log_to_syslog();
		break;
	case CONF_LOG_STDERR:
		log_to_stderr();
		break;
	default:
		/* syslog once detached: see daemon_start_detach() */
		if (foreground)
			log_to_stderr();
		break;
	}
}

/*
 * The parent of a detached daemon: copies what the child says until it
 * is ready (0) or gone (its exit status, at least 1).
 */
static int
daemon_wait_child(int fd, pid_t pid)
{
	char buf[512], *ready;
	ssize_t n, w;
	int status;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ready = memchr(buf, DAEMON_READY_BYTE, (size_t)n);
		/* a failed write has nowhere left to be told */
		w = write(STDERR_FILENO, buf, ready != NULL ?
		    (size_t)(ready - buf) : (size_t)n);
		(void)w;
		if (ready != NULL)
			return 0;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		(void)fprintf(stderr, DAEMON_NAME ": the daemon died of "
		    "signal %d before it was ready\n", WTERMSIG(status));
	return 1;
}

void
daemon_start_detach(struct daemon_start *s, const struct conf *conf)
{
	int p[2], fd;
	pid_t pid;

	if (pipe(p) < 0)
		fatal("pipe");
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0) {
		(void)close(p[1]);
		_exit(daemon_wait_child(p[0], pid));
	}
	(void)close(p[0]);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	s->ready_fd = p[1];
	/* until it is ready, the parent's stderr shows what goes wrong */
	log_set_echo(p[1]);
	if (conf->log == CONF_LOG_DEFAULT)
		log_to_syslog();
	if (setsid() < 0)
		fatal("setsid");
	if (chdir("/") < 0)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) < 0)
		fatal("/dev/null");
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	if (conf->log != CONF_LOG_STDERR)
		(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		(void)close(fd);
}

void
daemon_start_pid(struct daemon_start *s, const char *data_dir)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(s->lock_fd, 0) < 0 ||
	    pwrite(s->lock_fd, buf, (size_t)len, 0) != len)
		fatal("cannot write the lock file");
	s->pid_path = daemon_path(data_dir, DAEMON_PID_FILE);
}

void
daemon_start_ready(struct daemon_start *s)
{
	char ready = DAEMON_READY_BYTE, buf[32];
	int len, fd;

	/*
	 * The pid file is for scripts, written once the daemon serves, so a
	 * failed start leaves none; the lock is what keeps others out.
	 */
	if (s->pid_path != NULL && s->ready_fd != -2) {
		len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		fd = open(s->pid_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
		if (fd < 0 || write(fd, buf, (size_t)len) != len)
			fatal("cannot write '%s'", s->pid_path);
		(void)close(fd);
	}
	if (s->ready_fd < 0) {
		s->ready_fd = -2;	/* ready: done */
		return;
	}
	log_set_echo(-1);
	if (write(s->ready_fd, &ready, 1) != 1)
		log_warn("telling the parent we are ready, ignoring");
	(void)close(s->ready_fd);
	s->ready_fd = -2;
}

void
daemon_start_fini(struct daemon_start *s)
{
	if (s->pid_path != NULL)
		(void)unlink(s->pid_path);
	free(s->pid_path);
	s->pid_path = NULL;
	/* the lock file stays: removing it would race with a new daemon */
	if (s->lock_fd >= 0)
		(void)close(s->lock_fd);
	s->lock_fd = -1;
}

uint32_t
daemon_start_files(uint32_t max_connections)
{
	rlim_t want = (rlim_t)max_connections + DAEMON_FILES_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("getrlimit RLIMIT_NOFILE, ignoring");
		return max_connections;
	}
	if (rl.rlim_cur >= want)
		return max_connections;
	/* root may raise the hard limit too; others up to it */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want &&
	    geteuid() == 0)
		rl.rlim_max = want;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 &&
	    getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return max_connections;
	if (rl.rlim_cur >= want) {
		log_info("open files raised to %llu for %u connections",
		    (unsigned long long)rl.rlim_cur, max_connections);
		return max_connections;
	}
	if (rl.rlim_cur <= 2 * DAEMON_FILES_RESERVE)
		fatalx("only %llu open files allowed (RLIMIT_NOFILE): too few "
		    "for any connection", (unsigned long long)rl.rlim_cur);
	log_warnx("only %llu open files allowed (RLIMIT_NOFILE): "
	    "limits.max_connections lowered from %u to %llu",
	    (unsigned long long)rl.rlim_cur, max_connections,
	    (unsigned long long)(rl.rlim_cur - DAEMON_FILES_RESERVE));
	return (uint32_t)(rl.rlim_cur - DAEMON_FILES_RESERVE);
}
