/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_ETH_H
#define THINGS_BPF_ETH_H

#include <linux/if_ether.h>
#include "common.h"

/* The UAPI has no VLAN header struct; this is the 4 bytes after the MACs. */
struct vlan_tag {
	__be16 tci;
	__be16 inner_proto;
};

/* Parses Ethernet and at most one 802.1Q/802.1ad tag. Sets p->l2_len and
 * returns the EtherType of the payload, or -1 if the frame is too short
 * (not 0: that is an EtherType a frame can carry). */
static __always_inline int eth_parse(struct pkt *p)
{
	struct ethhdr *eth = p->data;
	struct vlan_tag *vlan;
	__u16 proto;

	if ((void *)(eth + 1) > p->data_end)
		return -1;
	proto = bpf_ntohs(eth->h_proto);
	p->l2_len = sizeof(*eth);
	if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
		return proto;
	vlan = (void *)(eth + 1);
	if ((void *)(vlan + 1) > p->data_end)
		return -1;
	p->l2_len += sizeof(*vlan);
	return bpf_ntohs(vlan->inner_proto);
}

/* Broadcast or multicast: the I/G bit. */
static __always_inline int eth_addr_is_group(const __u8 *mac)
{
	return mac[0] & 1;
}

/*
 * A MAC as three 16-bit words: the frame keeps them 2-byte aligned, and
 * where the compiler assumes nothing (a byte array), __builtin_memcpy()
 * moves them a byte at a time.
 */
static __always_inline void eth_copy_mac(void *dst, const void *src)
{
	alias_u16 *d = dst;
	const alias_u16 *s = src;

	d[0] = s[0];
	d[1] = s[1];
	d[2] = s[2];
}

static __always_inline void eth_swap_macs(struct ethhdr *eth)
{
	alias_u16 *w = (alias_u16 *)eth, t0 = w[0], t1 = w[1], t2 = w[2];

	eth_copy_mac(eth->h_dest, eth->h_source);
	w[3] = t0;
	w[4] = t1;
	w[5] = t2;
}

#endif
