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
	struct in6_addr tmp;
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
	tmp = ip6->saddr;
	ip6->saddr = ip6->daddr;
	ip6->daddr = tmp;
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

#endif
