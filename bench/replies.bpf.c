// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Counts the replies that reach the client: echo replies and neighbor
 * advertisements addressed to it. It also has a second job: a veth
 * delivers what its peer sends with native XDP_TX only when an XDP
 * program is attached at its own end, and this is that program.
 *
 * Counted replies are dropped here. The client's stack has no use for
 * them (no socket waits for them, and an advertisement for one of 2^64
 * targets it never asked about is ignored anyway), and the work it would
 * do would be charged to the responder being measured.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "things_abi.h"
#include "loadgen.h"

#define ND_NA 136

/* The client's address, in network order, set before the load. */
const volatile __u32 client[4] = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOADGEN_REPLY_SLOTS);
	__type(key, __u32);
	__type(value, struct things_counter);
} replies SEC(".maps");

SEC("xdp")
int bench_replies(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct icmp6hdr *icmp = (void *)(ip6 + 1);
	struct things_counter *c;
	__u32 slot;

	if ((void *)(icmp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6) ||
	    ip6->nexthdr != IPPROTO_ICMPV6)
		return XDP_PASS;
	if (ip6->daddr.in6_u.u6_addr32[0] != client[0] ||
	    ip6->daddr.in6_u.u6_addr32[1] != client[1] ||
	    ip6->daddr.in6_u.u6_addr32[2] != client[2] ||
	    ip6->daddr.in6_u.u6_addr32[3] != client[3])
		return XDP_PASS;
	/* An echo request's answer: its reply, or Time Exceeded where the
	 * request is a traceroute probe to a story. */
	if (icmp->icmp6_type == ICMPV6_ECHO_REPLY || icmp->icmp6_type == ICMPV6_TIME_EXCEED)
		slot = LOADGEN_REPLY_ECHO;
	else if (icmp->icmp6_type == ND_NA)
		slot = LOADGEN_REPLY_NA;
	else
		return XDP_PASS;

	c = bpf_map_lookup_elem(&replies, &slot);
	if (c) {
		c->packets++;
		c->bytes += data_end - data;
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
