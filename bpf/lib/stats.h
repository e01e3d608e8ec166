/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_STATS_H
#define THINGS_BPF_STATS_H

#include "common.h"
#include "maps.h"

static __always_inline void counter_add(void *map, __u32 idx, __u32 bytes)
{
	struct things_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline void stats_reason(enum things_reason r, __u32 bytes)
{
	counter_add(&reason_stats, r, bytes);
}

static __always_inline void stats_app(__u32 app_id, enum things_action act, __u32 bytes)
{
	counter_add(&app_stats, THINGS_APP_STAT_IDX(app_id, act), bytes);
}

#endif
