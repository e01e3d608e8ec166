/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_MAPS_H
#define THINGS_MAPS_H

#include "things_abi.h"

/* Thin typed wrappers over the map syscalls; each returns 0 or -errno. */

int things_prefix_set(int prefixes_fd, const struct things_prefix_key *key,
		      const struct things_prefix_value *val);
int things_prefix_del(int prefixes_fd, const struct things_prefix_key *key);

/* The `ifaces` array (see things_abi.h): an interface's slot is found
 * among its probe slots. set fails with -ENOSPC when all of them hold
 * other interfaces, get and del with -ENOENT when none holds this one. */
int things_iface_set(int ifaces_fd, __u32 ifindex, const unsigned char mac[6],
		     __u16 flags);
int things_iface_get(int ifaces_fd, __u32 ifindex, struct things_iface *val);
int things_iface_del(int ifaces_fd, __u32 ifindex);
/* Every interface in the array, in slot order, up to max of them: returns
 * how many, or -errno. */
int things_iface_list(int ifaces_fd, struct things_iface *out, int max);

/*
 * The fast table (see things_abi.h) must say what the trie says. Around a
 * change of the trie: things_fast_off() first, so lookups go to the trie
 * while it changes, then things_fast_sync() to mirror the new trie, if it
 * fits. Neither ever leaves a half-written table in use.
 */
int things_fast_off(int fast_fd);
int things_fast_sync(int fast_fd, int prefixes_fd);

/* A new, black canvas framebuffer of width x height pixels (see
 * things_abi.h), named after app_id. Returns its fd, or -errno. */
int things_canvas_create(__u32 app_id, __u32 width, __u32 height);

/* Sums one slot of a per-CPU counter array over all possible CPUs. */
int things_counter_read(int map_fd, __u32 idx, struct things_counter *sum);

/* One app's row of the `stats` array, summed over CPUs: row[reason] for
 * every reason (slots past THINGS_R_MAX are never counted into). */
int things_stats_row(int stats_fd, __u32 app_id, struct things_counter row[THINGS_R_MAX]);

/* Every app's row at once (one syscall), summed over CPUs:
 * rows[app][reason] for app < THINGS_MAX_APPS. */
int things_stats_read(int stats_fd, struct things_counter (*rows)[THINGS_R_MAX]);

/* Zeroes slots first .. first+count-1 of a per-CPU counter array. */
int things_counters_zero(int map_fd, __u32 first, __u32 count);

#endif
