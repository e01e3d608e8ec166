/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_PATHS_H
#define THINGSD_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Each returns 0 or -errno, with why (len bytes) saying what is wrong.
 *
 * paths_check_dir: dir (existing or not) and every directory on the way
 * to it belong to root and no one else may write in them (ancestors may be
 * sticky instead). Creates nothing.
 */
int paths_check_dir(const char *dir, char *why, size_t len);
/* The same, and dir is (or will be, once created) on a BPF filesystem. */
int paths_check_pin_dir(const char *dir, char *why, size_t len);
/* Creates dir and any missing parents with mode, then checks it. */
int paths_make_dir(const char *dir, mode_t mode, char *why, size_t len);
/* open(2) of dir/name, never through a symlink, and only if it is a plain
 * file of root's with one link. Returns the fd or -errno. */
int paths_open_file(const char *dir, const char *name, int flags, mode_t mode, char *why,
		    size_t len);
/* Replaces dir/name with data: written aside, synced, renamed over. */
int paths_write_file(const char *dir, const char *name, const char *data, size_t size,
		     char *why, size_t len);
/* Directories owned by uid pass the checks too: thingsd's [daemon] user. */
void paths_allow_owner(uid_t uid);
/* Gives dir and everything under it (on the same filesystem, symlinks
 * themselves) to uid; groups stay. */
int paths_give_tree(const char *dir, uid_t uid, char *why, size_t len);

#endif
