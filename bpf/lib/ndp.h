/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_NDP_H
#define THINGS_BPF_NDP_H

#include <linux/icmpv6.h>
#include "common.h"
#include "csum.h"
#include "eth.h"
#include "ipv6.h"
#include "maps.h"

#define NDP_TYPE_NS 135
#define NDP_TYPE_NA 136
#define NDP_OPT_SLLA 1
#define NDP_OPT_TLLA 2
#define NDP_NA_FLAG_ROUTER	0x80000000U
#define NDP_NA_FLAG_SOLICITED	0x40000000U
#define NDP_NA_FLAG_OVERRIDE	0x20000000U

/* NS and NA share this layout: ICMPv6 header, then the target. */
struct nd_msg {
	__u8 type;
	__u8 code;
	__be16 cksum;
	__be32 reserved_or_flags;
	struct in6_addr target;
};

struct nd_opt_lla {
	__u8 type;
	__u8 len;	/* in units of 8 bytes */
	__u8 addr[ETH_ALEN];
};

/* Our NA: the message and one target link-layer address option. */
struct nd_na {
	struct nd_msg msg;
	struct nd_opt_lla tlla;
};

/* NS options beyond this many bytes are not walked: real solicitations
 * carry one SLLA and perhaps a nonce; only SEND needs more, and SEND is
 * not something we can answer anyway. */
#define NDP_NS_MAX_OPTS 32
#define NDP_NS_MAX_LEN (sizeof(struct nd_msg) + 8 * NDP_NS_MAX_OPTS)

/* The interface a frame came in on, if NDP is answered there (see
 * `ifaces` in the ABI); NULL if not. */
static __always_inline struct things_iface *ndp_iface(__u32 ifindex)
{
	struct things_iface *ifc;
	__u32 i, slot;

	if (!ifindex)
		return NULL;
	for (i = 0; i < THINGS_IFACE_PROBES; i++) {
		slot = (ifindex + i) & (THINGS_IFACE_SLOTS - 1);
		ifc = bpf_map_lookup_elem(&ifaces, &slot);
		if (ifc && ifc->ifindex == ifindex)
			return ifc;
	}
	return NULL;
}

static __always_inline struct nd_msg *ndp_msg(const struct pkt *p)
{
	return p->data + p->l4_off;
}

/* The NS target, or NULL if the frame ends before it. */
static __always_inline struct in6_addr *ndp_ns_target(const struct pkt *p)
{
	struct nd_msg *ns = ndp_msg(p);

	if (p->l4_off > 0xffff || (void *)(ns + 1) > p->data_end ||
	    p->l4_len < sizeof(*ns))
		return NULL;
	return &ns->target;
}

/*
 * Walks the options after the NS header. Sets *has_slla. Every option must
 * have a non-zero length and end inside the message (RFC 4861 7.1.1).
 */
static __always_inline enum things_reason ndp_ns_options(const struct pkt *p,
							 int *has_slla)
{
	__u32 len = p->l4_len, off = sizeof(struct nd_msg);
	__u8 *opt;
	int i;

	*has_slla = 0;
	/* The usual NS: one option of one 8-byte unit, no loop. */
	if (len == sizeof(struct nd_msg) + sizeof(struct nd_opt_lla)) {
		opt = p->data + p->l4_off + off;
		if (p->l4_off > 0xffff || (void *)(opt + 2) > p->data_end)
			return THINGS_R_PASS_TRUNCATED;
		if (opt[1] != 1)
			return THINGS_R_NS_OPTION_LENGTH;
		*has_slla = opt[0] == NDP_OPT_SLLA;
		return THINGS_GO_ON;
	}
	for (i = 0; i < NDP_NS_MAX_OPTS; i++) {
		if (off >= len || off > NDP_NS_MAX_LEN)
			break;
		if (off + 2 > len)
			return THINGS_R_NS_OPTION_LENGTH;
		opt = p->data + p->l4_off + off;
		if ((void *)(opt + 2) > p->data_end)
			return THINGS_R_PASS_TRUNCATED;
		if (opt[1] == 0)
			return THINGS_R_NS_OPTION_LENGTH;
		if (opt[0] == NDP_OPT_SLLA)
			*has_slla = 1;
		off += (__u32)opt[1] * 8;
	}
	if (off != len)
		return THINGS_R_NS_OPTION_LENGTH;
	return THINGS_GO_ON;
}

/* Sum of 32 bytes: an NS with its one SLLA option, and every NA we send. */
static __always_inline __u64 ndp_sum32(__u64 sum, const __u32 *w)
{
	return sum + w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
}

/*
 * What validating an NS found that the NA needs: whether it is a DAD
 * probe, and the checksum sums of its source and its target, which are
 * the NA's addresses. The NA's checksum is summed from them rather than
 * from the frame, where it would read back what it has just written.
 */
struct ns_info {
	int dad;
	__u64 src_sum, target_sum;
};

/* Verifies the NS checksum; the options walk made len a multiple of 8. */
static __always_inline enum things_reason ndp_ns_checksum(const struct pkt *p,
							  const struct ipv6hdr *ip6,
							  const struct nd_msg *ns,
							  struct ns_info *info)
{
	__u32 len = p->l4_len;
	__u32 *w = p->data + p->l4_off;
	__u64 sum;
	__u32 i;

	info->src_sum = csum_add_addr(0, &ip6->saddr);
	info->target_sum = csum_add_addr(0, &ns->target);
	sum = info->src_sum + csum_add_addr(0, &ip6->daddr) + bpf_htonl(len) +
	      bpf_htonl(IPPROTO_ICMPV6);
	/* Almost every NS is this size: one bounds check, no loop. */
	if (len == sizeof(struct nd_na)) {
		if ((void *)(w + 8) > p->data_end)
			return THINGS_R_PASS_TRUNCATED;
		sum = sum + w[0] + w[1] + info->target_sum + w[6] + w[7];
		goto fold;
	}
	for (i = 0; i < NDP_NS_MAX_LEN / 8; i++) {
		if (i * 8 >= len)
			break;
		w = p->data + p->l4_off + i * 8;
		if ((void *)(w + 2) > p->data_end)
			return THINGS_R_PASS_TRUNCATED;
		sum += w[0];
		sum += w[1];
	}
fold:
	return csum_fold(sum) == 0xffff ? THINGS_GO_ON : THINGS_R_NS_CHECKSUM;
}

/* RFC 4861 7.1.1, in full, for an NS whose target ndp_ns_target() found
 * (so the message is at least 24 bytes). */
static __always_inline enum things_reason ndp_ns_validate(const struct pkt *p,
							  struct ns_info *info)
{
	struct ipv6hdr *ip6 = ipv6_hdr(p);
	struct nd_msg *ns = ndp_msg(p);
	enum things_reason r;
	int has_slla;

	if ((void *)(ip6 + 1) > p->data_end || p->l4_off > 0xffff ||
	    (void *)(ns + 1) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	if (ip6->hop_limit != 255)
		return THINGS_R_NS_HOP_LIMIT;
	if (ns->code != 0)
		return THINGS_R_NS_CODE;
	if (p->l4_len > NDP_NS_MAX_LEN)
		return THINGS_R_NS_TOO_LONG;
	if (ipv6_addr_is_multicast(&ns->target))
		return THINGS_R_NS_TARGET_MULTICAST;
	r = ndp_ns_options(p, &has_slla);
	if (r != THINGS_GO_ON)
		return r;
	r = ndp_ns_checksum(p, ip6, ns, info);
	if (r != THINGS_GO_ON)
		return r;
	if (ipv6_addr_is_multicast(&ip6->saddr))
		return THINGS_R_NS_SRC_MULTICAST;
	info->dad = ipv6_addr_is_unspecified(&ip6->saddr);
	if (info->dad && !ipv6_addr_is_solicited_node(&ip6->daddr))
		return THINGS_R_NS_DAD_DST;
	if (info->dad && has_slla)
		return THINGS_R_NS_DAD_SLLA;
	return THINGS_GO_ON;
}

static __always_inline void ndp_all_nodes(struct in6_addr *a)
{
	a->in6_u.u6_addr32[0] = bpf_htonl(0xff020000);
	a->in6_u.u6_addr32[1] = 0;
	a->in6_u.u6_addr32[2] = 0;
	a->in6_u.u6_addr32[3] = bpf_htonl(1);
}

/*
 * The ICMPv6 part of our NA, once the IPv6 header is final: everything but
 * the target, which the caller has put in place. The checksum is summed
 * from the values written and the NS's sums, not read back: a word loaded
 * right after it was stored in smaller pieces waits for them all to reach
 * the cache.
 */
static __always_inline enum things_reason ndp_na_finish(struct ipv6hdr *ip6, struct nd_na *na,
							const struct things_iface *ifc,
							__u16 prefix_flags,
							const struct ns_info *info)
{
	const alias_u16 *mac = (const alias_u16 *)ifc->mac;
	alias_u32 *w = (alias_u32 *)na;
	__u32 flags = NDP_NA_FLAG_OVERRIDE, type, opt0, opt1;
	__u16 m0 = mac[0], m1 = mac[1], m2 = mac[2];
	/* ff02::1, for a DAD probe's answer; else the NS's source. */
	__u64 dst_sum = info->dad ? (__u64)bpf_htonl(0xff020000) + bpf_htonl(1) : info->src_sum;
	__u64 sum;

	if (!info->dad)
		flags |= NDP_NA_FLAG_SOLICITED;
	if (prefix_flags & THINGS_PF_ROUTER)
		flags |= NDP_NA_FLAG_ROUTER;
	*(__be32 *)ip6 = bpf_htonl(0x60000000);
	ip6->payload_len = bpf_htons(sizeof(*na));
	ip6->nexthdr = IPPROTO_ICMPV6;
	ip6->hop_limit = 255;

	/* Each word as a 32-bit load of it would read it: type and code,
	 * flags, then the option (type, length, MAC). */
	type = words16(bpf_htons(NDP_TYPE_NA << 8), 0);
	opt0 = words16(bpf_htons(NDP_OPT_TLLA << 8 | 1), m0);
	opt1 = words16(m1, m2);
	/* The pseudo-header (from the target, to dst), then the message, the
	 * target in it again. 64-bit sums: a 32-bit one would wrap. */
	sum = info->target_sum + dst_sum + bpf_htonl(sizeof(*na)) + bpf_htonl(IPPROTO_ICMPV6);
	sum = sum + type + bpf_htonl(flags) + info->target_sum + opt0 + opt1;
	w[0] = words16(bpf_htons(NDP_TYPE_NA << 8), (__u16)~csum_fold(sum));
	w[1] = bpf_htonl(flags);
	w[6] = opt0;
	w[7] = opt1;
	return info->dad ? THINGS_R_TX_NA_DAD : THINGS_R_TX_NA;
}

/*
 * The usual NS (no extension headers, one option, so exactly the size of
 * our NA) becomes the NA where it lies: the target and the VLAN tag are
 * already in place, nothing is copied out and the frame keeps its size.
 */
static __always_inline enum things_reason ndp_na_in_place(struct pkt *p,
							  const struct things_iface *ifc,
							  __u16 prefix_flags,
							  const struct ns_info *info)
{
	static const __u8 all_nodes_mac[ETH_ALEN] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct ethhdr *eth = p->data;
	struct ipv6hdr *ip6 = ipv6_hdr(p);
	struct nd_na *na = (void *)(ip6 + 1);

	if ((void *)(eth + 1) > p->data_end || (void *)(na + 1) > p->data_end)
		return THINGS_R_PASS_TX_FAILED;
	eth_copy_mac(eth->h_dest, info->dad ? all_nodes_mac : eth->h_source);
	eth_copy_mac(eth->h_source, ifc->mac);
	if (info->dad)
		ndp_all_nodes(&ip6->daddr);
	else
		ipv6_addr_copy(&ip6->daddr, &ip6->saddr);
	ipv6_addr_copy(&ip6->saddr, &na->msg.target);
	return ndp_na_finish(ip6, na, ifc, prefix_flags, info);
}

/*
 * Rewrites a valid NS into our NA for its target: from the target, with the
 * interface's MAC as the target link-layer address, to the soliciting host
 * (or to all nodes, S clear, for a DAD probe). Extension headers and NS
 * options go; a VLAN tag stays.
 */
static __always_inline enum things_reason ndp_ns_to_na(struct xdp_md *ctx,
						       struct pkt *p,
						       const struct things_iface *ifc,
						       __u16 prefix_flags,
						       const struct ns_info *info)
{
	static const __u8 all_nodes_mac[ETH_ALEN] = { 0x33, 0x33, 0, 0, 0, 1 };
	__u32 l2_len = p->l2_len, ext = ipv6_exthdr_len(p);
	__u32 want = l2_len + sizeof(struct ipv6hdr) + sizeof(struct nd_na);
	struct in6_addr target, peer;
	__u8 peer_mac[ETH_ALEN];
	__be16 outer_proto;
	struct vlan_tag vlan = {};
	struct ethhdr *eth = p->data;
	struct ipv6hdr *ip6 = ipv6_hdr(p);
	struct nd_msg *ns = ndp_msg(p);
	struct nd_na *na;

	if (!ext && pkt_len(p) == want)
		return ndp_na_in_place(p, ifc, prefix_flags, info);

	if ((void *)(eth + 1) > p->data_end || (void *)(ip6 + 1) > p->data_end ||
	    p->l4_off > 0xffff || (void *)(ns + 1) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	target = ns->target;
	peer = ip6->saddr;
	__builtin_memcpy(peer_mac, eth->h_source, ETH_ALEN);
	/* IPv6, or the tag's TPID (802.1Q or 802.1ad): keep whichever. */
	outer_proto = eth->h_proto;
	if (l2_len != sizeof(*eth)) {
		struct vlan_tag *tag = (void *)(eth + 1);

		if ((void *)(tag + 1) > p->data_end)
			return THINGS_R_PASS_TRUNCATED;
		vlan = *tag;
	}

	/* Everything before the target is written anew, so dropping the
	 * extension headers is just moving the start of the frame. */
	if (ext && bpf_xdp_adjust_head(ctx, (int)ext))
		return THINGS_R_PASS_TX_FAILED;
	pkt_reload(p, ctx);
	if (pkt_len(p) != want &&
	    bpf_xdp_adjust_tail(ctx, (int)want - (int)pkt_len(p)))
		return THINGS_R_PASS_TX_FAILED;
	pkt_reload(p, ctx);
	p->l4_off = l2_len + sizeof(struct ipv6hdr);
	p->l4_len = sizeof(struct nd_na);

	eth = p->data;
	ip6 = ipv6_hdr(p);
	na = (void *)(ip6 + 1);
	if (l2_len > sizeof(*eth) + sizeof(vlan) || (void *)(na + 1) > p->data_end)
		return THINGS_R_PASS_TX_FAILED;

	__builtin_memcpy(eth->h_dest, info->dad ? all_nodes_mac : peer_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, ifc->mac, ETH_ALEN);
	/* Written even when the frame did not move: after dropping extension
	 * headers these bytes are whatever the old frame had there. */
	eth->h_proto = outer_proto;
	if (l2_len != sizeof(*eth)) {
		struct vlan_tag *tag = (void *)(eth + 1);

		if ((void *)(tag + 1) > p->data_end)
			return THINGS_R_PASS_TX_FAILED;
		*tag = vlan;
	}
	ip6->saddr = target;
	if (info->dad)
		ndp_all_nodes(&ip6->daddr);
	else
		ip6->daddr = peer;
	na->msg.target = target;
	return ndp_na_finish(ip6, na, ifc, prefix_flags, info);
}

#endif
