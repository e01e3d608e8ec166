/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tree: the last three groups of the address are a colour, as on the IPv6
 * Christmas tree (prefix::ff:0:0 is red); each valid request sets the next
 * light, round the tree.
 */
#ifndef THINGS_BPF_APPS_TREE_H
#define THINGS_BPF_APPS_TREE_H

#include "../lib/app.h"
#include "../lib/common.h"
#include "../lib/maps.h"

THINGS_STATIC_ASSERT((THINGS_TREE_MAX_LIGHTS & (THINGS_TREE_MAX_LIGHTS - 1)) == 0,
		     "ring_slot() masks with THINGS_TREE_MAX_LIGHTS - 1");

static __always_inline enum things_reason tree_light(const struct app_req *rq,
						     const struct things_app_cfg *cfg)
{
	const __u8 *g = rq->iid + 2;	/* groups RR, GG, BB of ::RR:GG:BB */
	struct things_tree *tree;
	__u64 lit;

	tree = bpf_map_lookup_elem(&trees, &rq->app_id);
	if (!cfg->lights || !tree)
		return THINGS_R_APP_NO_STATE;
	/* Each group holds one byte: its high byte must be zero. */
	if (g[0] | g[2] | g[4])
		return THINGS_R_TREE_BAD_COLOUR;

	lit = __sync_fetch_and_add(&tree->lit, 1) + 1;
	tree->light[ring_slot(lit, cfg->lights, THINGS_TREE_MAX_LIGHTS)] =
		THINGS_LIGHT_ON | (__u32)g[1] << 16 | (__u32)g[3] << 8 | g[5];
	return THINGS_R_TREE_LIT;
}

#endif
