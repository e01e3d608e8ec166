/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_MAPS_H
#define THINGS_BPF_MAPS_H

#include "common.h"

/* The key and value types come from maps/things_abi.h; userspace pins these
 * maps by their names, listed there as THINGS_PIN_*. */

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, THINGS_MAX_PREFIXES);
	__type(key, struct things_prefix_key);
	__type(value, struct things_prefix_value);
} prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct things_fast_table);
} fast_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, THINGS_IFACE_SLOTS);
	__type(key, __u32);
	__type(value, struct things_iface);
} ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, THINGS_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct things_counter);
} stats SEC(".maps");

/* Not read by the program: the control plane's record of each app id,
 * loaded and pinned with the rest so its lifetime is the data plane's. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, THINGS_MAX_APPS);
	__type(key, __u32);
	__type(value, struct things_app);
} apps SEC(".maps");

/* Apps that read the address: their settings and state (things_abi.h,
 * "Apps that read the address"). thingsd fills app_cfg; the rest is
 * written here and read by userspace. */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, THINGS_MAX_APPS);
	__type(key, __u32);
	__type(value, struct things_app_cfg);
} app_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, THINGS_RATE_BUCKETS);
	__type(key, struct things_rate_key);
	__type(value, struct things_rate_bucket);
} rate_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, THINGS_MAX_APPS);
	__type(key, __u32);
	__type(value, struct things_board);
} boards SEC(".maps");

/* Memory-mappable so live readers follow it without a syscall per event. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, THINGS_BOARD_LOG_SLOTS + 1);
	__type(key, __u32);
	__type(value, struct things_board_event);
} board_log SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, THINGS_MAX_APPS);
	__type(key, __u32);
	__type(value, struct things_tree);
} trees SEC(".maps");

/* The shape every canvas framebuffer has. BPF_F_INNER_MAP lets thingsd
 * put in framebuffers of any size: only this template has one entry. */
struct canvas_fb {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	/* struct things_canvas_slot; a type only pointed at here would reach
	 * BTF as a bare forward declaration, which has no size. */
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, THINGS_MAX_APPS);
	__type(key, __u32);
	__array(values, struct canvas_fb);
} canvases SEC(".maps");

/* Traceroute stories (things_abi.h, "Traceroute stories"): written by
 * thingsd, read here. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, THINGS_MAX_STORIES);
	__type(key, struct things_prefix_key);
	__type(value, struct things_story);
} stories SEC(".maps");

/* Not preallocated: most hosts tell a few short stories, and a slot's
 * name is most of its size. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, THINGS_STORY_LINES);
	__type(key, struct things_story_line_key);
	__type(value, struct things_story_line);
} story_lines SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct things_err_cfg);
} err_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct things_rate_bucket);
} err_bucket SEC(".maps");

#endif
