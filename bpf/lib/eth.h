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

static __always_inline void eth_swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

#endif
