// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The directories thingsd writes in as root (run_dir, state_dir, pin_dir)
 * must be its own: a directory that another user can write in, or any
 * directory on the way to it that they can, would let them swap a file
 * for a symlink and have root write through it, or delete the pins. So
 * every directory on the path must belong to root and be writable by no
 * one else (or be sticky, like /tmp and /sys/fs/bpf, where others cannot
 * touch what root made); the directory itself never sticky-exempt; and
 * every file is opened with O_NOFOLLOW.
 */
#define _GNU_SOURCE	/* nftw() */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <ftw.h>
#include <unistd.h>

#include <linux/magic.h>

#include "paths.h"

#define BPFFS_ROOT "/sys/fs/bpf"

/* [daemon] user: the directories thingsd made its user's are its own. */
static uid_t daemon_uid = (uid_t)-1;

void paths_allow_owner(uid_t uid)
{
	daemon_uid = uid;
}

static bool owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid() || st->st_uid == daemon_uid;
}

/* One directory of the path: dir is the one thingsd writes in, the rest
 * are on the way to it. */
static int check_one(const char *path, bool target, char *why, size_t len)
{
	struct stat st;

	if (lstat(path, &st)) {
		int err = -errno;

		snprintf(why, len, "cannot examine %s: %s", path, strerror(errno));
		return err;
	}
	if (S_ISLNK(st.st_mode)) {
		/* A symlink is as safe as its owner: the directory it sits in
		 * was checked already. Where it points is checked through the
		 * resolved path. */
		if (!owner_ok(&st)) {
			snprintf(why, len, "%s is a symlink owned by uid %u, not root (nor [daemon] user)", path,
				 (unsigned int)st.st_uid);
			return -EPERM;
		}
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s is not a directory", path);
		return -ENOTDIR;
	}
	if (!owner_ok(&st)) {
		snprintf(why, len, "%s is owned by uid %u, not root (nor [daemon] user): another user could replace "
			 "what thingsd keeps there", path, (unsigned int)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (target || !(st.st_mode & S_ISVTX))) {
		snprintf(why, len, "%s is writable by %s: only root may write there", path,
			 st.st_mode & S_IWOTH ? "everyone" : "its group");
		return -EPERM;
	}
	return 0;
}

/* Checks each directory from / down to path (literal components, and
 * again on the resolved path when symlinks were on the way). */
static int check_chain(const char *path, bool last_is_target, char *why, size_t len)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	int err;

	if (n >= sizeof(buf)) {
		snprintf(why, len, "%s is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char saved = *p;

		*p = '\0';
		err = check_one(buf, last_is_target && !saved, why, len);
		*p = saved;
		if (err || !saved)
			return err;
	}
}

/* The longest leading part of path that exists. */
static void existing_part(const char *path, char *out, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(out, len, "%s", path);
	while (lstat(out, &st) && (slash = strrchr(out, '/'))) {
		if (slash == out) {
			out[1] = '\0';
			return;
		}
		*slash = '\0';
	}
}

int paths_check_dir(const char *dir, char *why, size_t len)
{
	char have[PATH_MAX], real[PATH_MAX];
	bool complete;
	int err;

	if (dir[0] != '/') {
		snprintf(why, len, "%s is not an absolute path", dir);
		return -EINVAL;
	}
	existing_part(dir, have, sizeof(have));
	complete = !strcmp(have, dir);
	if (strcmp(have, "/")) {
		err = check_chain(have, complete, why, len);
		if (err)
			return err;
	}
	/* Symlinks on the way: the directories they lead through count. */
	if (!realpath(have, real)) {
		err = -errno;
		snprintf(why, len, "cannot resolve %s: %s", have, strerror(errno));
		return err;
	}
	if (strcmp(real, have) && strcmp(real, "/"))
		return check_chain(real, complete, why, len);
	return 0;
}

int paths_check_pin_dir(const char *dir, char *why, size_t len)
{
	char have[PATH_MAX];
	struct statfs sfs;
	size_t root = strlen(BPFFS_ROOT);
	int err;

	err = paths_check_dir(dir, why, len);
	if (err)
		return err;
	existing_part(dir, have, sizeof(have));
	if (statfs(have, &sfs)) {
		err = -errno;
		snprintf(why, len, "cannot examine %s: %s", have, strerror(errno));
		return err;
	}
	if (sfs.f_type == BPF_FS_MAGIC)
		return 0;
	/* thingsd mounts bpffs on /sys/fs/bpf if nothing is mounted there. */
	if (!strncmp(dir, BPFFS_ROOT, root) && (dir[root] == '/' || !dir[root]) &&
	    strlen(have) <= root)
		return 0;
	snprintf(why, len, "%s is not on a BPF filesystem (%s is not bpffs): choose a pin_dir "
		 "under %s or mount bpffs there", dir, have, BPFFS_ROOT);
	return -ENOTDIR;
}

int paths_make_dir(const char *dir, mode_t mode, char *why, size_t len)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);
	int err;

	if (n >= sizeof(buf)) {
		snprintf(why, len, "%s is too long", dir);
		return -ENAMETOOLONG;
	}
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST) {
			err = -errno;
			snprintf(why, len, "cannot create %s: %s", buf, strerror(errno));
			return err;
		}
		*p = saved;
		if (!saved)
			break;
	}
	/* Whatever was there or raced us in must still pass. */
	return paths_check_dir(dir, why, len);
}

int paths_open_file(const char *dir, const char *name, int flags, mode_t mode, char *why,
		    size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		snprintf(why, len, "%s/%s is too long", dir, name);
		return -ENAMETOOLONG;
	}
	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		int err = -errno;

		snprintf(why, len, "cannot open %s: %s%s", path, strerror(errno),
			 errno == ELOOP ? " (it is a symlink)" : "");
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !owner_ok(&st) || st.st_nlink != 1) {
		snprintf(why, len, "%s is not a plain file of root's with one name", path);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int paths_write_file(const char *dir, const char *name, const char *data, size_t size,
		     char *why, size_t len)
{
	char tmp[NAME_MAX], from[PATH_MAX], to[PATH_MAX];
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), ".%s.new", name);
	snprintf(from, sizeof(from), "%s/%s", dir, tmp);
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	unlink(from);
	fd = paths_open_file(dir, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600, why, len);
	if (fd < 0)
		return fd;
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			snprintf(why, len, "cannot write %s: %s", from, strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	/* The new content is on disk before its name is. */
	if (!err && fsync(fd)) {
		err = -errno;
		snprintf(why, len, "cannot write %s: %s", from, strerror(errno));
	}
	close(fd);
	if (!err && rename(from, to)) {
		err = -errno;
		snprintf(why, len, "cannot rename %s to %s: %s", from, to, strerror(errno));
	}
	if (err)
		unlink(from);
	return err;
}

static uid_t chown_uid;
static int chown_failed;

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	/* The group stays: the control socket's is the one that may read. */
	if (lchown(path, chown_uid, (gid_t)-1) && !chown_failed)
		chown_failed = errno;
	return 0;
}

int paths_give_tree(const char *dir, uid_t uid, char *why, size_t len)
{
	chown_uid = uid;
	chown_failed = 0;
	if (nftw(dir, chown_one, 16, FTW_PHYS | FTW_MOUNT))
		chown_failed = errno ? errno : EIO;
	if (chown_failed) {
		snprintf(why, len, "cannot give %s to uid %u: %s", dir, (unsigned int)uid,
			 strerror(chown_failed));
		return -chown_failed;
	}
	return 0;
}
