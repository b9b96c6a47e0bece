/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's user (issue 10): started as root, kics-epp-proxy gives its
 * data directory to the service user and becomes that user, keeping only
 * CAP_NET_BIND_SERVICE. Used by daemon.c only.
 *
 * THREAD SAFETY NOTES: privilege_drop() must run while the process has one
 * thread. setresuid() and setresgid() of glibc change every thread, but
 * capset() changes only the calling thread, and a thread started earlier
 * would keep root's capabilities; privilege_drop() checks this and ends
 * the program when another thread exists.
 */
#ifndef KICS_PRIVILEGE_H
#define KICS_PRIVILEGE_H

/* The service user when the configuration names none (sysusers.d). */
#define PRIVILEGE_DEFAULT_USER	"kics-epp"

/*
 * Runs the daemon as its service user. user is the configuration's
 * "user:" (NULL when not set: PRIVILEGE_DEFAULT_USER). data_dir (absolute,
 * existing) is the daemon's data directory.
 *
 * Started as root: looks user up; "root" (or a user with uid 0) keeps
 * running as root. A missing user ends the program when the configuration
 * named it, and keeps running as root with a warning when it is the
 * default (see docs/operations.md). Otherwise data_dir (mode 0750) and
 * every directory and regular file below it not owned by the user and its
 * primary group are given to them, with group write and every permission
 * of others removed; then the process takes the user's uid and its
 * primary group as its only group, and keeps CAP_NET_BIND_SERVICE (and no
 * other capability) so that listeners below port 1024 can still be
 * opened, and sets the umask to 027 (the database files 0640).
 *
 * Started as any other user: changes nothing and logs who it runs as.
 *
 * Main-program code: ends the program with fatal() on any failure.
 */
void privilege_drop(const char *user, const char *data_dir);

#endif
