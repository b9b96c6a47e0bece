/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How kics-epp-proxy starts (daemon_start.c, used by daemon.c): which
 * configuration it reads, the lock that keeps one daemon per data
 * directory, where it logs, and detaching so that a failed start is loud.
 * Main thread only, before the event loop runs.
 */
#ifndef KICS_DAEMON_H
#define KICS_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

#define DAEMON_NAME		"kics-epp-proxy"
#define DAEMON_LOCK_FILE	"kics-epp.lock"
#define DAEMON_PID_FILE		"kics-epp.pid"
/* Open files besides the connections' sockets (daemon_start_files()). */
#define DAEMON_FILES_RESERVE	256
/* Names the configuration when --config is not given. */
#define DAEMON_CONFIG_ENV	"KICS_EPP_CONFIG"

struct daemon_start {
	int	lock_fd;	/* DATA_DIR/kics-epp.lock, locked; or -1 */
	char	*pid_path;	/* written when ready; or NULL */
	int	ready_fd;	/* pipe to the waiting parent; -1 none; -2
				   ready already */
};

/*
 * The configuration to read when --config is not given: $KICS_EPP_CONFIG
 * when set, else SYSCONFDIR/kics-epp/kics-epp.yaml when it exists, else
 * NULL for the built-in one. Static or from the environment.
 */
const char *daemon_default_config(void);

/* Sets s to hold nothing. */
void daemon_start_init(struct daemon_start *s);

/*
 * Takes the exclusive lock of data_dir before anything in it is touched;
 * ends the program with "data directory ... in use by pid N" when another
 * daemon holds it. The lock lasts as long as the process (and its child
 * after daemon_start_detach()).
 */
void daemon_start_lock(struct daemon_start *s, const char *data_dir);

/*
 * Sends the log where conf says: log: file opens its file now, so that a
 * bad path fails before detaching; stderr or syslog follow, and the
 * default is stderr with foreground, else syslog (which detached() sets).
 * Ends the program when the log file cannot be opened.
 */
void daemon_start_log(const struct conf *conf, bool foreground);

/*
 * Detaches: the parent stays until the child calls daemon_start_ready()
 * or dies, copies the child's warnings and errors to its stderr meanwhile,
 * and exits 0 when it was ready, else with the child's status. The child
 * returns, in a new session, with stdin and stdout on /dev/null (stderr
 * too unless conf logs to it).
 */
void daemon_start_detach(struct daemon_start *s, const struct conf *conf);

/* Writes our pid into the lock file; the pid file follows when ready. */
void daemon_start_pid(struct daemon_start *s, const char *data_dir);

/*
 * Writes DATA_DIR/kics-epp.pid and tells a waiting parent that we are
 * ready; later calls do nothing.
 */
void daemon_start_ready(struct daemon_start *s);

/*
 * Every connection is a socket: raises the soft limit of open files
 * (RLIMIT_NOFILE; as root the hard one too) to max_connections plus
 * DAEMON_FILES_RESERVE for listeners, the database, the PKI and the
 * control socket. Returns max_connections, or, when the limit cannot be
 * raised that far, the number of connections that fit (with a warning).
 * Ends the program when not even a few fit.
 */
uint32_t daemon_start_files(uint32_t max_connections);

/* Removes the pid file and releases the lock. */
void daemon_start_fini(struct daemon_start *s);

#endif
