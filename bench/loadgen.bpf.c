// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The load generator. BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * runs it on frames from a page pool and sends each one it redirects out
 * of the client's veth, so requests leave at XDP speed and no socket or
 * qdisc on the client adds its own limit.
 *
 * Every frame asks about a new random address (echo) or target (NS), so
 * no cache in a responder, or in the kernel's neighbour table, can help.
 * Requests to apps that read the address are echo requests too, with a
 * valid request in the interface ID: a random pixel of the canvas, the
 * canvas's pixels in order, or a board text never sent before.
 *
 * The pool recycles pages without restoring them, and a page comes back
 * holding whatever the responder made of it (a reply written in place),
 * so every byte of the frame is written here on every run, not only the
 * address.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../bpf/lib/csum.h"
#include "loadgen.h"

#define LOOPBACK_IFINDEX	1
#define ND_NS			135
#define ND_OPT_SLLA		1
#define ECHO_HOP_LIMIT		64
#define ECHO_ID			0x7468	/* "th" */

const volatile struct loadgen_config cfg = {};

/* Test runs are serial in one process, so this is never written from two
 * CPUs at once. */
struct loadgen_state state = {};

struct ns_msg {
	__u8 type;
	__u8 code;
	__be16 cksum;
	__be32 reserved;
	__be32 target[4];
	__u8 opt_type;
	__u8 opt_len;
	__u8 lla[ETH_ALEN];
};

static __always_inline __u64 next_random(void)
{
	__u64 x = state.rng ? state.rng : cfg.seed;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	state.rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* The prefix with its host bits drawn anew; returns their sum. */
static __always_inline __u64 random_address(__be32 *w)
{
	__u64 r0 = next_random(), r1 = next_random();

	w[0] = cfg.prefix[0] | ((__u32)r0 & cfg.host_mask[0]);
	w[1] = cfg.prefix[1] | ((__u32)(r0 >> 32) & cfg.host_mask[1]);
	w[2] = cfg.prefix[2] | ((__u32)r1 & cfg.host_mask[2]);
	w[3] = cfg.prefix[3] | ((__u32)(r1 >> 32) & cfg.host_mask[3]);
	return (__u64)w[0] + w[1] + w[2] + w[3];
}

/* x, y inside the canvas (a random 16-bit fraction of each side, so any
 * size works without a division), a random colour, opaque. */
static __always_inline void canvas_iid(__be32 *w)
{
	__u64 r = next_random();
	__u32 x = (__u32)(((r & 0xffff) * cfg.canvas_width) >> 16);
	__u32 y = (__u32)((((r >> 16) & 0xffff) * cfg.canvas_height) >> 16);

	w[0] = bpf_htonl(x << 16 | y);
	w[1] = bpf_htonl((__u32)(r >> 32) << 8 | 0xff);
}

/* The canvas's pixels in order, row by row, round and round: a picture
 * as things-ping sends one, each pixel in a random colour, opaque. */
static __always_inline void canvas_rows_iid(__be32 *w)
{
	__u32 area = (__u32)cfg.canvas_width * cfg.canvas_height;
	__u32 i = (__u32)(state.pixel_next++ % area);
	__u32 x = i % cfg.canvas_width, y = i / cfg.canvas_width;

	w[0] = bpf_htonl(x << 16 | y);
	w[1] = bpf_htonl((__u32)next_random() << 8 | 0xff);
}

/* Four base-94 digits of a 26-bit half, as printable characters. */
static __always_inline __be32 text_half(__u32 half)
{
	__u64 f = (__u64)half * LOADGEN_TEXT_SCALE;
	__u32 word = 0;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		f *= LOADGEN_TEXT_DIGITS;
		word = word << 8 | (__u32)(LOADGEN_TEXT_FIRST + (f >> 32));
		f &= 0xffffffff;
	}
	return bpf_htonl(word);
}

/* Text number state.text_next, which is then used up. */
static __always_inline void board_iid(__be32 *w)
{
	const __u64 mask = (1ULL << LOADGEN_TEXT_BITS) - 1;
	__u64 p = state.text_next++ & mask;

	/* Odd multipliers and right shifts: each step is one-to-one on 52
	 * bits, and consecutive numbers come out looking unrelated. */
	p = (p * 0x9e3779b97f4a7c15ULL) & mask;
	p ^= p >> 26;
	p = (p * 0xbf58476d1ce4e5b9ULL) & mask;
	p ^= p >> 23;
	w[0] = text_half((__u32)(p >> LOADGEN_TEXT_HALF));
	w[1] = text_half((__u32)p & ((1U << LOADGEN_TEXT_HALF) - 1));
}

/* The destination: random (echo), or the app's prefix (a /64 or shorter)
 * with the request as its interface ID. Returns the sum of its words. */
static __always_inline __u64 destination(__be32 *w)
{
	if (cfg.kind == LOADGEN_ECHO)
		return random_address(w);
	w[0] = cfg.prefix[0];
	w[1] = cfg.prefix[1];
	if (cfg.kind == LOADGEN_CANVAS)
		canvas_iid(w + 2);
	else if (cfg.kind == LOADGEN_CANVAS_ROWS)
		canvas_rows_iid(w + 2);
	else
		board_iid(w + 2);
	return (__u64)w[0] + w[1] + w[2] + w[3];
}

static __always_inline void put_eth(struct ethhdr *eth, const volatile __u8 *dst)
{
	int i;

#pragma unroll
	for (i = 0; i < ETH_ALEN; i++) {
		eth->h_dest[i] = dst[i];
		eth->h_source[i] = cfg.src_mac[i];
	}
	eth->h_proto = bpf_htons(ETH_P_IPV6);
}

static __always_inline void put_ipv6(struct ipv6hdr *ip6, __u16 plen, __u8 hops)
{
	int i;

	/* Version 6, traffic class and flow label 0. */
	*(__be32 *)ip6 = bpf_htonl(0x60000000);
	ip6->payload_len = bpf_htons(plen);
	ip6->nexthdr = IPPROTO_ICMPV6;
	ip6->hop_limit = hops;
#pragma unroll
	for (i = 0; i < 4; i++)
		ip6->saddr.in6_u.u6_addr32[i] = cfg.src[i];
}

static __always_inline int echo_request(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct icmp6hdr *icmp = (void *)(ip6 + 1);
	__u64 *payload = (void *)(icmp + 1);
	__u64 sum;
	int i;

	if ((void *)eth + LOADGEN_ECHO_LEN > data_end)
		return XDP_ABORTED;
	put_eth(eth, cfg.dst_mac);
	put_ipv6(ip6, sizeof(*icmp) + LOADGEN_ECHO_DATA, ECHO_HOP_LIMIT);
	sum = cfg.sum_base + destination(ip6->daddr.in6_u.u6_addr32);
	icmp->icmp6_type = ICMPV6_ECHO_REQUEST;
	icmp->icmp6_code = 0;
	icmp->icmp6_identifier = bpf_htons(ECHO_ID);
	icmp->icmp6_sequence = 0;
#pragma unroll
	for (i = 0; i < LOADGEN_ECHO_DATA / 8; i++)
		payload[i] = 0;
	icmp->icmp6_cksum = (__be16)~csum_fold(sum);
	return XDP_REDIRECT;
}

static __always_inline int neighbor_solicit(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct ns_msg *ns = (void *)(ip6 + 1);
	__be32 *dst = ip6->daddr.in6_u.u6_addr32;
	__u8 *target = (__u8 *)ns->target;
	__u64 sum;
	int i;

	if ((void *)eth + LOADGEN_NS_LEN > data_end)
		return XDP_ABORTED;
	sum = cfg.sum_base + random_address(ns->target);
	/* To the target's solicited-node group, ff02::1:ffXX:XXXX, and its
	 * MAC, 33:33:ff:XX:XX:XX, as a host resolving it would send. */
	eth->h_dest[0] = 0x33;
	eth->h_dest[1] = 0x33;
	eth->h_dest[2] = 0xff;
	eth->h_dest[3] = target[13];
	eth->h_dest[4] = target[14];
	eth->h_dest[5] = target[15];
#pragma unroll
	for (i = 0; i < ETH_ALEN; i++)
		eth->h_source[i] = cfg.src_mac[i];
	eth->h_proto = bpf_htons(ETH_P_IPV6);
	put_ipv6(ip6, LOADGEN_NS_PLEN, 255);
	dst[0] = bpf_htonl(0xff020000);
	dst[1] = 0;
	dst[2] = bpf_htonl(1);
	dst[3] = bpf_htonl(0xff000000) | (ns->target[3] & bpf_htonl(0x00ffffff));
	sum += dst[3];
	ns->type = ND_NS;
	ns->code = 0;
	ns->reserved = 0;
	ns->opt_type = ND_OPT_SLLA;
	ns->opt_len = 1;
#pragma unroll
	for (i = 0; i < ETH_ALEN; i++)
		ns->lla[i] = cfg.src_mac[i];
	ns->cksum = (__be16)~csum_fold(sum);
	return XDP_REDIRECT;
}

SEC("xdp")
int bench_loadgen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int verdict;

	/* The driver keeps this program attached to an idle veth as well, so
	 * that it stays in the kernel's XDP dispatcher between test runs.
	 * Should a frame ever arrive there, it is not ours to rewrite: test
	 * runs alone come in on the loopback device. */
	if (ctx->ingress_ifindex != LOOPBACK_IFINDEX)
		return XDP_PASS;
	if (cfg.kind == LOADGEN_NS)
		verdict = neighbor_solicit(data, data_end);
	else
		verdict = echo_request(data, data_end);
	if (verdict != XDP_REDIRECT)
		return verdict;
	return bpf_redirect(cfg.ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
