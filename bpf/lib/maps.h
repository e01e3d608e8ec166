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
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, THINGS_MAX_IFACES);
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

#endif
