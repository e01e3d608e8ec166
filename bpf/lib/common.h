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

/*
 * Words for moving and comparing bytes of a frame a register at a time:
 * may_alias, since they read and write what other types (in6_addr, the
 * protocol headers) describe too.
 */
typedef __u64 __attribute__((may_alias)) alias_u64;
typedef __u32 __attribute__((may_alias)) alias_u32;
typedef __u16 __attribute__((may_alias)) alias_u16;

/* The 32-bit word that a load reads from memory holding the 16-bit words
 * first then second, each as a 16-bit load would read it. */
static __always_inline __u32 words16(__u16 first, __u16 second)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return first | (__u32)second << 16;
#else
	return (__u32)first << 16 | second;
#endif
}

/* Where the parser got to in a frame. Offsets are from ctx->data. */
struct pkt {
	void *data;
	void *data_end;
	__u32 l2_len;		/* 14, or 18 with a VLAN tag */
	__u32 l4_off;		/* first byte after the IPv6 extension headers */
	__u32 l4_len;		/* upper-layer length: payload length less ext headers */
	__u8 l4_proto;
	/* The usual frame (see usual_frame()): answered where it lies, with
	 * nothing to cut. A constant wherever the compiler can tell. */
	__u8 usual;
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
