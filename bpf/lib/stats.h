/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_STATS_H
#define THINGS_BPF_STATS_H

#include "common.h"
#include "maps.h"

/* The one counter update a packet costs: its app (0 for none) and reason. */
static __always_inline void stats_count(__u32 app_id, enum things_reason r, __u32 bytes)
{
	__u32 idx = THINGS_STATS_IDX(app_id, r);
	struct things_counter *c = bpf_map_lookup_elem(&stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

#endif
