/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_IPV6_H
#define THINGS_BPF_IPV6_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include "common.h"
#include "eth.h"

/* A parse step that found nothing wrong returns this instead of a reason. */
#define THINGS_GO_ON THINGS_R_MAX

/* Enough for hop-by-hop + destination options + routing + destination
 * options, the most RFC 8200 4.1 recommends in one packet. */
#define THINGS_MAX_EXTHDRS 4

static __always_inline struct ipv6hdr *ipv6_hdr(const struct pkt *p)
{
	return p->data + p->l2_len;
}

static __always_inline int ipv6_addr_is_multicast(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xff;
}

/* Addresses a word of 64 bits at a time: in a frame they are 2-byte
 * aligned at best, which the architectures with BPF JITs and XDP handle
 * (the verifier would refuse the program where they do not). */
static __always_inline int ipv6_addr_is_unspecified(const struct in6_addr *a)
{
	const alias_u64 *w = (const alias_u64 *)a;

	return (w[0] | w[1]) == 0;
}

static __always_inline void ipv6_addr_copy(struct in6_addr *dst, const struct in6_addr *src)
{
	alias_u64 *d = (alias_u64 *)dst;
	const alias_u64 *s = (const alias_u64 *)src;

	d[0] = s[0];
	d[1] = s[1];
}

static __always_inline void ipv6_addr_swap(struct in6_addr *a, struct in6_addr *b)
{
	alias_u64 *x = (alias_u64 *)a, *y = (alias_u64 *)b;
	__u64 t0 = x[0], t1 = x[1];

	x[0] = y[0];
	x[1] = y[1];
	y[0] = t0;
	y[1] = t1;
}

/* ff02::1:ff00:0/104 */
static __always_inline int ipv6_addr_is_solicited_node(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == bpf_htonl(0xff020000) &&
	       a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(1) &&
	       a->in6_u.u6_addr8[12] == 0xff;
}

/* Headers after which the walk cannot go on or must not: their content is
 * not ours to interpret. */
static __always_inline int ipv6_exthdr_is_opaque(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_ESP:
	case IPPROTO_AH:
	case 59:	/* No Next Header */
	case 135:	/* Mobility */
	case 139:	/* HIP */
	case 140:	/* Shim6 */
	case 253:	/* experimentation (RFC 3692) */
	case 254:
		return 1;
	}
	return 0;
}

/*
 * Walks the IPv6 header and its extension headers. On THINGS_GO_ON,
 * p->l4_off, p->l4_len and p->l4_proto describe the upper-layer message and
 * the whole of it is inside the frame.
 */
static __always_inline enum things_reason ipv6_parse(struct pkt *p)
{
	struct ipv6hdr *ip6 = ipv6_hdr(p);
	__u32 off, end;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	if (ip6->version != 6)
		return THINGS_R_PASS_NOT_IPV6;
	off = p->l2_len + sizeof(*ip6);
	end = off + bpf_ntohs(ip6->payload_len);
	if (end > pkt_len(p))
		return THINGS_R_PASS_TRUNCATED;
	nexthdr = ip6->nexthdr;

#pragma unroll
	for (i = 0; i < THINGS_MAX_EXTHDRS; i++) {
		__u8 *h;

		if (nexthdr == IPPROTO_FRAGMENT)
			return THINGS_R_PASS_FRAGMENT;
		if (ipv6_exthdr_is_opaque(nexthdr) ||
		    (nexthdr == IPPROTO_HOPOPTS && i > 0))
			return THINGS_R_PASS_EXTHDR_UNKNOWN;
		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_DSTOPTS &&
		    nexthdr != IPPROTO_ROUTING)
			goto upper_layer;
		/* An extension header is at least 8 bytes, all inside the
		 * payload: what follows the payload is padding, not headers. */
		if (off > 0xffff || off + 8 > end)
			return THINGS_R_PASS_TRUNCATED;
		h = p->data + off;
		/* next header, length, and for routing: type, segments left */
		if ((void *)(h + 4) > p->data_end)
			return THINGS_R_PASS_TRUNCATED;
		if (nexthdr == IPPROTO_ROUTING && h[3] != 0)
			return THINGS_R_PASS_ROUTING_SEGMENTS;
		nexthdr = h[0];
		off += ((__u32)h[1] + 1) * 8;
	}
	if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_DSTOPTS ||
	    nexthdr == IPPROTO_ROUTING || nexthdr == IPPROTO_FRAGMENT ||
	    ipv6_exthdr_is_opaque(nexthdr))
		return THINGS_R_PASS_EXTHDR_LIMIT;

upper_layer:
	if (off > end)
		return THINGS_R_PASS_TRUNCATED;
	p->l4_off = off;
	p->l4_len = end - off;
	p->l4_proto = nexthdr;
	return THINGS_GO_ON;
}

static __always_inline __u32 ipv6_exthdr_len(const struct pkt *p)
{
	return p->l4_off - p->l2_len - sizeof(struct ipv6hdr);
}

/*
 * Removes the extension headers, keeping the L2 and IPv6 headers and the
 * upper-layer message. Replies never carry the request's options or routing
 * header. The frame is also trimmed to its IPv6 length (Ethernet padding
 * goes). On success the IPv6 header is updated and p describes the result.
 */
static __always_inline int ipv6_strip_exthdrs(struct xdp_md *ctx, struct pkt *p)
{
	__u32 ext = ipv6_exthdr_len(p);
	__u8 hdrs[sizeof(struct ethhdr) + sizeof(struct vlan_tag) +
		  sizeof(struct ipv6hdr)];
	int vlan = p->l2_len != sizeof(struct ethhdr);
	__u32 tail = pkt_len(p) - (p->l4_off + p->l4_len);
	struct ipv6hdr *ip6;

	/* The usual request: nothing to strip, and its header says so. */
	if (!ext && !tail)
		return 0;
	if (tail && bpf_xdp_adjust_tail(ctx, -(int)tail))
		return -1;
	pkt_reload(p, ctx);
	if (ext) {
		if (p->data + sizeof(hdrs) > p->data_end)
			return -1;
		/* Copy the headers up against the upper-layer message. */
		__builtin_memcpy(hdrs, p->data, sizeof(hdrs));
		if (bpf_xdp_adjust_head(ctx, (int)ext))
			return -1;
		pkt_reload(p, ctx);
		if (p->data + sizeof(hdrs) > p->data_end)
			return -1;
		if (vlan)
			__builtin_memcpy(p->data, hdrs, sizeof(hdrs));
		else
			__builtin_memcpy(p->data, hdrs, sizeof(hdrs) - sizeof(struct vlan_tag));
		p->l4_off -= ext;
	}
	ip6 = ipv6_hdr(p);
	if ((void *)(ip6 + 1) > p->data_end)
		return -1;
	ip6->nexthdr = p->l4_proto;
	ip6->payload_len = bpf_htons(p->l4_len);
	return 0;
}

#endif
