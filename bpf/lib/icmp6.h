/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_ICMP6_H
#define THINGS_BPF_ICMP6_H

#include <linux/icmpv6.h>
#include "common.h"
#include "csum.h"
#include "eth.h"
#include "ipv6.h"

static __always_inline struct icmp6hdr *icmp6_hdr(const struct pkt *p)
{
	return p->data + p->l4_off;
}

/*
 * Turns the echo request p describes into its reply, in place: MACs and
 * addresses swapped, type 129, hop limit THINGS_REPLY_HOP_LIMIT, extension
 * headers and Ethernet padding removed. Traffic class and flow label are
 * kept. The caller has checked that the message holds an echo header
 * (p->l4_len >= 8) and that the addresses may be answered.
 */
static __always_inline enum things_reason icmp6_echo_reply(struct xdp_md *ctx,
							   struct pkt *p)
{
	struct icmp6hdr *icmp;
	struct ipv6hdr *ip6;
	__be16 old_word, new_word;

	if (ipv6_strip_exthdrs(ctx, p))
		return THINGS_R_PASS_TX_FAILED;

	icmp = icmp6_hdr(p);
	if (p->l4_off > 0xffff || (void *)(icmp + 1) > p->data_end)
		return THINGS_R_PASS_TX_FAILED;
	ip6 = ipv6_hdr(p);
	if ((void *)(ip6 + 1) > p->data_end)
		return THINGS_R_PASS_TX_FAILED;

	eth_swap_macs(p->data);
	ipv6_addr_swap(&ip6->saddr, &ip6->daddr);
	ip6->hop_limit = THINGS_REPLY_HOP_LIMIT;

	/* Type and code share a checksum word; the addresses only swap
	 * places in the pseudo-header, which leaves its sum alone. */
	old_word = *(__be16 *)icmp;
	icmp->icmp6_type = ICMPV6_ECHO_REPLY;
	icmp->icmp6_code = 0;
	new_word = *(__be16 *)icmp;
	icmp->icmp6_cksum = csum_replace2(icmp->icmp6_cksum, old_word, new_word);
	return THINGS_R_TX_ECHO_REPLY;
}

THINGS_STATIC_ASSERT(THINGS_ERR_MAX_LEN - sizeof(struct ipv6hdr) < 4 * CSUM_CHUNK,
		     "csum_add_short() sums an error");

/* An ICMPv6 error's own headers, and the most of the invoking packet it
 * quotes (RFC 4443 2.4 c: the whole error fits the minimum MTU). */
#define ICMP6_ERR_HDRS		(sizeof(struct ipv6hdr) + sizeof(struct icmp6hdr))
#define ICMP6_ERR_MAX_QUOTE	(THINGS_ERR_MAX_LEN - ICMP6_ERR_HDRS)

/* What an error says, and where it comes from. */
struct icmp6_err {
	struct in6_addr from;
	__u8 type, code;
	__u8 hop_limit;
	enum things_reason sent;	/* the reason once it is built */
};

/*
 * Turns the packet p describes into the ICMPv6 error e, in place: the
 * frame grows by the error's headers at the front (the MACs swapped, a
 * VLAN tag kept) and is cut to quote the invoking IPv6 packet, extension
 * headers and all but no Ethernet padding, up to ICMP6_ERR_MAX_QUOTE
 * bytes. To the packet's source, with e's hop limit, class and flow label
 * 0. The caller has checked that the packet may be
 * answered at all (RFC 4443 2.4 e).
 */
static __always_inline enum things_reason icmp6_error(struct xdp_md *ctx, struct pkt *p,
						      const struct icmp6_err *e)
{
	__u8 l2[sizeof(struct ethhdr) + sizeof(struct vlan_tag)];
	__u32 l2_len = p->l2_len, quote, len;
	struct ipv6hdr *ip6 = ipv6_hdr(p), *q;
	struct icmp6hdr *icmp;
	__u64 sum;

	if ((void *)(ip6 + 1) > p->data_end || p->data + sizeof(l2) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	if (l2_len != sizeof(struct ethhdr) && l2_len != sizeof(l2))
		return THINGS_R_PASS_TX_FAILED;
	quote = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (quote > ICMP6_ERR_MAX_QUOTE)
		quote = ICMP6_ERR_MAX_QUOTE;
	__builtin_memcpy(l2, p->data, sizeof(l2));

	if (bpf_xdp_adjust_head(ctx, -(int)ICMP6_ERR_HDRS))
		return THINGS_R_PASS_TX_FAILED;
	pkt_reload(p, ctx);
	len = l2_len + ICMP6_ERR_HDRS + quote;
	if (pkt_len(p) != len && bpf_xdp_adjust_tail(ctx, (int)len - (int)pkt_len(p))) {
		/* The kernel gets the packet as it came. */
		bpf_xdp_adjust_head(ctx, (int)ICMP6_ERR_HDRS);
		pkt_reload(p, ctx);
		return THINGS_R_PASS_TX_FAILED;
	}
	pkt_reload(p, ctx);

	/* The old L2 header lies where the new headers go: it was copied. */
	if (p->data + sizeof(l2) > p->data_end)
		return THINGS_R_PASS_TX_FAILED;
	if (l2_len == sizeof(l2))
		__builtin_memcpy(p->data, l2, sizeof(l2));
	else
		__builtin_memcpy(p->data, l2, sizeof(struct ethhdr));
	eth_swap_macs(p->data);
	ip6 = p->data + l2_len;
	icmp = (void *)(ip6 + 1);
	q = (void *)(icmp + 1);
	if ((void *)(q + 1) > p->data_end)
		return THINGS_R_PASS_TX_FAILED;
	*(__be32 *)ip6 = bpf_htonl(0x60000000);
	ip6->payload_len = bpf_htons(sizeof(*icmp) + quote);
	ip6->nexthdr = IPPROTO_ICMPV6;
	ip6->hop_limit = e->hop_limit;
	ip6->saddr = e->from;
	ip6->daddr = q->saddr;
	icmp->icmp6_type = e->type;
	icmp->icmp6_code = e->code;
	icmp->icmp6_cksum = 0;
	icmp->icmp6_dataun.un_data32[0] = 0;

	p->l4_off = l2_len + sizeof(*ip6);
	p->l4_len = sizeof(*icmp) + quote;
	p->l4_proto = IPPROTO_ICMPV6;
	sum = csum_ipv6_pseudo(&ip6->saddr, &ip6->daddr, p->l4_len, IPPROTO_ICMPV6);
	if (csum_add_short(p, p->l4_off, p->l4_len, &sum))
		return THINGS_R_PASS_TX_FAILED;
	/* Summing moved nothing, but the verifier forgets. */
	icmp = p->data + p->l4_off;
	if (p->l4_off > 0xffff || (void *)(icmp + 1) > p->data_end)
		return THINGS_R_PASS_TX_FAILED;
	icmp->icmp6_cksum = (__be16)~csum_fold(sum);
	return e->sent;
}

#endif
