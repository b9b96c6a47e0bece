/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the daemon's change from root to its service user:
 * the user's lookup, handing the data directory over to it, and the drop
 * of every identity and capability but CAP_NET_BIND_SERVICE.
 */
#define _GNU_SOURCE	/* setresuid, setresgid, setgroups, syscall */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privilege.h"

/*
 * How deep below the data directory files are handed over: pki/ is one
 * level down; nothing the daemon makes is deeper.
 */
#define PRIVILEGE_MAX_DEPTH	4

/* What privilege_drop() runs as. */
struct privilege_id {
	uid_t	uid;
	gid_t	gid;		/* the user's primary group */
	char	name[64];	/* for messages */
};

/*
 * Ends the program unless this is the only thread: capset() below would
 * leave the capabilities of any other thread as they are.
 */
static void
privilege_check_threads(void)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	/* Without /proc (a chroot) there is nothing to check with. */
	if ((d = opendir("/proc/self/task")) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	(void)closedir(d);
	if (n > 1)
		fatalx("privilege drop with %zu threads running: it must come "
		    "before any thread starts", n);
}

/*
 * Gives the entry name of directory at (at depth, for the limit) to
 * id, recursing into directories. Only directories and regular files with
 * one link are changed, through a descriptor opened without following
 * symbolic links and checked to be the entry looked at: a link planted by
 * the service user cannot make root change a file elsewhere. Sockets
 * (a stale control.sock) and everything else are left alone. Adds the
 * number of entries changed to *count.
 */
static void
privilege_give(int at, const char *name, const char *path,
    const struct privilege_id *id, int depth, size_t *count)
{
	struct stat before, sb;
	struct dirent *de;
	char sub[PATH_MAX];
	DIR *d = NULL;
	int fd = -1, flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;

	if (fstatat(at, name, &before, AT_SYMLINK_NOFOLLOW) < 0) {
		log_warn("'%s', ignoring", path);
		return;
	}
	if (S_ISDIR(before.st_mode))
		flags |= O_DIRECTORY;
	else if (!S_ISREG(before.st_mode) || before.st_nlink != 1)
		return;
	if ((fd = openat(at, name, flags | O_NONBLOCK)) < 0) {
		log_warn("'%s', ignoring", path);
		return;
	}
	if (fstat(fd, &sb) < 0 || sb.st_dev != before.st_dev ||
	    sb.st_ino != before.st_ino || (S_ISREG(sb.st_mode) &&
	    sb.st_nlink != 1))
		goto out;
	if (sb.st_uid != id->uid || sb.st_gid != id->gid) {
		if (fchown(fd, id->uid, id->gid) < 0)
			fatal("cannot give '%s' to user '%s'", path, id->name);
		/* the group reads, nobody else; keys stay 0600 */
		if (fchmod(fd, sb.st_mode & 0750) < 0)
			fatal("chmod '%s'", path);
		(*count)++;
	}
	if (!S_ISDIR(sb.st_mode))
		goto out;
	if (depth >= PRIVILEGE_MAX_DEPTH) {
		log_warnx("'%s': deeper than %d levels, not handed over, "
		    "ignoring", path, PRIVILEGE_MAX_DEPTH);
		goto out;
	}
	if ((d = fdopendir(fd)) == NULL)
		fatal("'%s'", path);
	fd = -1;		/* d owns it */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		privilege_give(dirfd(d), de->d_name, sub, id, depth + 1, count);
	}
out:
	if (d != NULL)
		(void)closedir(d);
	if (fd >= 0)
		(void)close(fd);
}

/*
 * Hands data_dir and what is in it to id (the data directory may come from
 * an earlier run as root) and makes the directory itself 0750.
 */
static void
privilege_give_data_dir(const char *data_dir, const struct privilege_id *id)
{
	size_t count = 0;

	privilege_give(AT_FDCWD, data_dir, data_dir, id, 0, &count);
	if (chmod(data_dir, 0750) < 0)
		fatal("chmod '%s'", data_dir);
	if (count > 0)
		log_info("gave %zu file(s) and director(ies) in '%s' to user "
		    "'%s'", count, data_dir, id->name);
}

/*
 * Leaves only CAP_NET_BIND_SERVICE, effective and permitted, in this
 * thread (the only one). The raw system call: the daemon needs one
 * capability and no libcap for it.
 */
static void
privilege_keep_bind_cap(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = CAP_TO_MASK(CAP_NET_BIND_SERVICE);

	memset(data, 0, sizeof(data));
	data[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].effective = bit;
	data[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].permitted = bit;
	if (syscall(SYS_capset, &hdr, data) < 0)
		fatal("capset CAP_NET_BIND_SERVICE");
}

/* Becomes id for good, keeping CAP_NET_BIND_SERVICE only. */
static void
privilege_become(const struct privilege_id *id)
{
	/*
	 * Keep the permitted capabilities across the uid change, which
	 * would clear them, so that one can be kept; every other one goes
	 * right after.
	 */
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0)
		fatal("prctl PR_SET_KEEPCAPS");
	/* Only the primary group: the daemon needs no other group's files. */
	if (setgroups(1, &id->gid) < 0)
		fatal("setgroups");
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		fatal("setresgid %lu", (unsigned long)id->gid);
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		fatal("setresuid %lu", (unsigned long)id->uid);
	if (prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) < 0)
		fatal("prctl PR_SET_KEEPCAPS");
	privilege_keep_bind_cap();
	/* OpenBSD's habit: prove that the way back is closed. */
	if (setresuid(0, 0, 0) == 0 || setresgid(0, 0, 0) == 0)
		fatalx("could become root again after the privilege drop");
}

void
privilege_drop(const char *user, const char *data_dir)
{
	const char *name = user != NULL ? user : PRIVILEGE_DEFAULT_USER;
	struct privilege_id id;
	struct passwd *pw;
	struct group *gr;

	if (geteuid() != 0) {
		/* systemd's User=, or someone trying it out */
		pw = getpwuid(geteuid());
		log_info("running as user '%s' (uid %lu)", pw != NULL ?
		    pw->pw_name : "?", (unsigned long)geteuid());
		return;
	}
	privilege_check_threads();
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			fatal("cannot look up user '%s'", name);
		if (user != NULL)
			fatalx("user '%s' (user: in the configuration) does "
			    "not exist", name);
		/*
		 * The default user is missing: most likely a build tree or a
		 * test, not an installation (which has it from sysusers.d).
		 * Say so loudly and go on as root; see docs/operations.md.
		 */
		log_warnx("user '%s' does not exist: running as root; create "
		    "it (systemd-sysusers kics-epp.conf) or set 'user: root' "
		    "in the configuration", name);
		return;
	}
	if (pw->pw_uid == 0) {
		log_info("running as root, as the configuration says "
		    "(user: %s)", name);
		return;
	}
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	(void)snprintf(id.name, sizeof(id.name), "%s", name);
	/*
	 * What the daemon creates from now on (database, -wal, -shm, PKI
	 * files) is for its group to read and for nobody else, 0640 and
	 * 0750, as systemd's UMask=0027 in the unit; SQLite gives -wal and
	 * -shm the mode of the database file. Run as root without a service
	 * user (a build tree), the caller's umask stays.
	 */
	(void)umask(027);
	privilege_give_data_dir(data_dir, &id);
	privilege_become(&id);
	gr = getgrgid(id.gid);
	log_info("running as user '%s' (uid %lu), group '%s' (gid %lu), "
	    "keeping CAP_NET_BIND_SERVICE", id.name, (unsigned long)id.uid,
	    gr != NULL ? gr->gr_name : "?", (unsigned long)id.gid);
}
