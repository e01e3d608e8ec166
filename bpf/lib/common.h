/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_COMMON_H
#define THINGS_BPF_COMMON_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../../maps/things_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Where the parser got to in a frame. Offsets are from ctx->data. */
struct pkt {
	void *data;
	void *data_end;
	__u32 l2_len;		/* 14, or 18 with a VLAN tag */
	__u32 l4_off;		/* first byte after the IPv6 extension headers */
	__u32 l4_len;		/* upper-layer length: payload length less ext headers */
	__u8 l4_proto;
};

static __always_inline __u32 pkt_len(const struct pkt *p)
{
	return (__u32)(p->data_end - p->data);
}

/* Re-read the frame bounds after bpf_xdp_adjust_head/tail invalidated them. */
static __always_inline void pkt_reload(struct pkt *p, struct xdp_md *ctx)
{
	p->data = (void *)(long)ctx->data;
	p->data_end = (void *)(long)ctx->data_end;
}

#endif
