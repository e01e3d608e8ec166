// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The practical ceiling: the least an XDP responder can do and still send
 * correct replies. An echo request becomes its reply in place; a Neighbor
 * Solicitation with a source link-layer address option becomes a Neighbor
 * Advertisement with a target link-layer address option, which has the same
 * size, so it too is rewritten in place. Nothing is validated beyond what
 * the rewrite needs (bounds, and an NS of that one shape), there is no
 * prefix lookup, and the only map is one counter, so things_xdp's cost
 * above this one is the price of its lookups, checks and statistics.
 *
 * It shares no code with bpf/: the benchmark compares its output with
 * things_xdp's, and two copies of one mistake would agree.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ND_NS		135
#define ND_NA		136
#define ND_OPT_SLLA	1
#define ND_OPT_TLLA	2
#define NA_SOLICITED_OVERRIDE 0x60000000U
#define REPLY_HOP_LIMIT	64

/* The MAC our advertisements carry, written by the loader before the load:
 * read-only data is a constant to the verifier, so this costs no lookup. */
const volatile __u8 our_mac[ETH_ALEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} replies SEC(".maps");

/* An NS or NA with one link-layer address option. */
struct nd_lla_msg {
	__u8 type;
	__u8 code;
	__be16 cksum;
	__be32 flags;
	struct in6_addr target;
	__u8 opt_type;
	__u8 opt_len;	/* in units of 8 bytes */
	__u8 lla[ETH_ALEN];
};

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline void echo_reply(struct ethhdr *eth, struct ipv6hdr *ip6,
				       struct icmp6hdr *icmp)
{
	__u8 mac[ETH_ALEN];
	struct in6_addr addr;
	__be16 old, new;
	__u64 sum;

	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	addr = ip6->saddr;
	ip6->saddr = ip6->daddr;
	ip6->daddr = addr;
	ip6->hop_limit = REPLY_HOP_LIMIT;

	/* RFC 1624 eqn. 3 over the type/code word; swapping the addresses
	 * leaves the pseudo-header's sum as it was. */
	old = *(__be16 *)icmp;
	icmp->icmp6_type = ICMPV6_ECHO_REPLY;
	icmp->icmp6_code = 0;
	new = *(__be16 *)icmp;
	sum = (__u16)~icmp->icmp6_cksum;
	sum += (__u16)~old;
	sum += new;
	icmp->icmp6_cksum = (__be16)~fold(sum);
}

static __always_inline void ns_to_na(struct ethhdr *eth, struct ipv6hdr *ip6,
				     struct nd_lla_msg *nd)
{
	__u32 *w = (__u32 *)nd;
	__u8 mac[ETH_ALEN];
	__u64 sum = 0;
	int i;

	/* Read through the volatile: a plain copy would let the compiler
	 * fold in the zeros the object file holds. */
#pragma unroll
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = our_mac[i];
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	/* Version 6, traffic class and flow label 0, as RFC 4861 answers go. */
	*(__be32 *)ip6 = bpf_htonl(0x60000000);
	ip6->hop_limit = 255;
	ip6->daddr = ip6->saddr;
	ip6->saddr = nd->target;

	nd->type = ND_NA;
	nd->code = 0;
	nd->cksum = 0;
	nd->flags = bpf_htonl(NA_SOLICITED_OVERRIDE);
	nd->opt_type = ND_OPT_TLLA;
	nd->opt_len = 1;
	__builtin_memcpy(nd->lla, mac, ETH_ALEN);

	/* The message changed almost everywhere: summing it anew is cheaper
	 * than patching the old checksum word by word. */
#pragma unroll
	for (i = 0; i < 4; i++)
		sum += ip6->saddr.in6_u.u6_addr32[i] + (__u64)ip6->daddr.in6_u.u6_addr32[i];
	sum += bpf_htonl(sizeof(*nd)) + bpf_htonl(IPPROTO_ICMPV6);
#pragma unroll
	for (i = 0; i < (int)(sizeof(*nd) / 4); i++)
		sum += w[i];
	nd->cksum = (__be16)~fold(sum);
}

/* The harness compiles this in as a function it calls (harness.h). */
#ifndef BENCH_ENTRY
#define BENCH_ENTRY SEC("xdp")
#endif

BENCH_ENTRY
int bench_minimal(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct icmp6hdr *icmp = (void *)(ip6 + 1);
	struct nd_lla_msg *nd = (void *)(ip6 + 1);
	__u32 zero = 0;
	__u64 *count;

	if ((void *)(icmp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6) ||
	    ip6->nexthdr != IPPROTO_ICMPV6)
		return XDP_PASS;
	if (icmp->icmp6_type == ICMPV6_ECHO_REQUEST) {
		echo_reply(eth, ip6, icmp);
	} else if (icmp->icmp6_type == ND_NS) {
		/* Only the shape that can be rewritten in place. */
		if ((void *)(nd + 1) > data_end || ip6->payload_len != bpf_htons(sizeof(*nd)) ||
		    nd->opt_type != ND_OPT_SLLA)
			return XDP_PASS;
		ns_to_na(eth, ip6, nd);
	} else {
		return XDP_PASS;
	}

	count = bpf_map_lookup_elem(&replies, &zero);
	if (count)
		(*count)++;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
