/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Neighbor Solicitations as a neighbor on our link sends them, with the
 * options the tests combine.
 */
#ifndef SELFTEST_SOLICIT_H
#define SELFTEST_SOLICIT_H

#include "packets.h"

enum {
	NS_OPT_SLLA	= 1 << 0,	/* source link-layer address: MAC_PEER */
	NS_OPT_NONCE	= 1 << 1,	/* RFC 7527 nonce */
	NS_OPT_UNKNOWN	= 1 << 2,	/* type 200: receivers skip it */
	/* Unknown options after the others, up to the most the program
	 * walks: 32 options, an NS of 280 bytes. */
	NS_OPT_FILL	= 1 << 3,
};

#define NS_MAX_OPTS_LEN (32 * 8)

struct ns {
	struct hdrs h;
	const char *target;
	uint8_t code;
	uint8_t opts[NS_MAX_OPTS_LEN + 64];
	size_t opts_len;
};

/* From src (an address, or "::" for DAD) to the target's solicited-node
 * group, or to the target itself; hop limit 255 as RFC 4861 wants. */
struct ns ns_from(const char *src, const char *target, bool to_solicited_node,
		  unsigned int opts);
void build_ns_frame(struct frame *f, const struct ns *ns);

#endif
