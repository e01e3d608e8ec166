// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * things_xdp: answers NDP and ICMPv6 echo for every address of the prefixes
 * in the `prefixes` trie, and traceroute probes to the stories of trace
 * apps; everything else goes to the kernel untouched.
 */
#include "lib/common.h"
#include "lib/eth.h"
#include "lib/ipv6.h"
#include "lib/icmp6.h"
#include "lib/ndp.h"
#include "lib/prefix.h"
#include "lib/stats.h"
#include "lib/app.h"
#include "lib/ratelimit.h"
#include "apps/board.h"
#include "apps/tree.h"
#include "apps/canvas.h"
#include "apps/trace.h"

/* What a reason means to an app: the ABI's one list says. */
static __always_inline enum things_action reason_action(enum things_reason r)
{
	switch (r) {
#define THINGS_REASON_ACTION(sym, name, act) case THINGS_R_##sym: return THINGS_ACT_##act;
	THINGS_REASONS(THINGS_REASON_ACTION)
#undef THINGS_REASON_ACTION
	default:
		return THINGS_ACT_PASS;
	}
}

/* Apps that read the address answer their requests unless they are
 * silent; prefix_flags are those of the prefix the packet matched. */
static __always_inline int reason_verdict(enum things_reason r, __u16 prefix_flags)
{
	switch (reason_action(r)) {
	case THINGS_ACT_ECHO_REPLY:
	case THINGS_ACT_NA:
	case THINGS_ACT_NA_DAD:
	case THINGS_ACT_ICMP_ERROR:
		return XDP_TX;
	case THINGS_ACT_APP_UPDATE:
	case THINGS_ACT_APP_IGNORED:
		return prefix_flags & THINGS_PF_SILENT ? XDP_DROP : XDP_TX;
	case THINGS_ACT_SILENT_DROP:
	case THINGS_ACT_RATE_LIMITED:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

static __always_inline int kind_reads_address(__u16 kind)
{
	return kind == THINGS_KIND_BOARD || kind == THINGS_KIND_TREE ||
	       kind == THINGS_KIND_CANVAS;
}

/* What an app that reads the address does with a valid request. */
static __always_inline enum things_reason app_act(const struct app_req *rq,
						  const struct things_app_cfg *cfg, __u16 kind)
{
	if (!cfg)
		return THINGS_R_APP_NO_STATE;
	switch (kind) {
	case THINGS_KIND_BOARD:
		return board_post(rq, cfg);
	case THINGS_KIND_TREE:
		return tree_light(rq, cfg);
	default:
		return canvas_paint(rq, cfg);
	}
}

/*
 * An echo request to an app that reads the address, already found fit to
 * answer: verified, rate-limited, decoded from a copy, acted on and
 * answered (unless silent). A request whose reply could not be built
 * changes nothing: in a frame that must be cut down to be answered, the
 * reply is built first; the usual frame is answered where it lies, which
 * cannot fail, so there the app acts first, while few stores are pending
 * (a locked instruction, as the board and the tree use, waits for every
 * one). A wrong checksum is the kernel's to count.
 */
static __always_inline enum things_reason answer_app(struct xdp_md *ctx, struct pkt *p,
						     const struct things_prefix_value *pv)
{
	struct ipv6hdr *ip6 = ipv6_hdr(p);
	struct things_app_cfg *cfg;
	struct app_req rq;
	enum things_reason r = THINGS_R_APP_NO_STATE, tx;

	if ((void *)(ip6 + 1) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	if (!csum_l4_ok(p, &ip6->saddr, &ip6->daddr))
		return THINGS_R_APP_CHECKSUM;
	rq.app_id = pv->app_id;
	cfg = bpf_map_lookup_elem(&app_cfg, &rq.app_id);
	if (cfg && cfg->rate && !rate_allow(rq.app_id, &ip6->saddr, cfg, bpf_ktime_get_ns()))
		return THINGS_R_APP_RATE_LIMITED;
	__builtin_memcpy(rq.src, &ip6->saddr, sizeof(rq.src));
	__builtin_memcpy(rq.iid, &ip6->daddr.in6_u.u6_addr8[8], sizeof(rq.iid));

	if (p->usual)
		r = app_act(&rq, cfg, pv->kind);
	if (!(pv->flags & THINGS_PF_SILENT)) {
		tx = icmp6_echo_reply(ctx, p);
		if (tx != THINGS_R_TX_ECHO_REPLY)
			return tx;
	}
	return p->usual ? r : app_act(&rq, cfg, pv->kind);
}

/*
 * Whether a request may be answered at all, echo or error alike (RFC 4443
 * 2.4 e): not one to a multicast group or in a frame to a group MAC (ours
 * is no source for the answer), not one whose source is no single node.
 */
static __always_inline enum things_reason answerable(const struct pkt *p)
{
	struct ipv6hdr *ip6 = ipv6_hdr(p);

	if ((void *)(ip6 + 1) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	if (ipv6_addr_is_multicast(&ip6->daddr))
		return THINGS_R_PASS_DST_MULTICAST;
	if (eth_addr_is_group(((struct ethhdr *)p->data)->h_dest))
		return THINGS_R_PASS_L2_GROUP;
	if (ipv6_addr_is_multicast(&ip6->saddr) || ipv6_addr_is_unspecified(&ip6->saddr))
		return THINGS_R_PASS_SRC_INVALID;
	return THINGS_GO_ON;
}

static __always_inline enum things_reason answer_echo(struct xdp_md *ctx, struct pkt *p,
						      const struct things_prefix_value *pv)
{
	enum things_reason r;

	/* Too short to be a request at all: not even a silent app drops it. */
	if (p->l4_len < sizeof(struct icmp6hdr))
		return THINGS_R_PASS_TRUNCATED;
	r = answerable(p);
	if (r != THINGS_GO_ON)
		return r;
	if (kind_reads_address(pv->kind))
		return answer_app(ctx, p, pv);
	if (pv->flags & THINGS_PF_SILENT)
		return THINGS_R_DROP_SILENT;
	return icmp6_echo_reply(ctx, p);
}

/*
 * A traceroute probe (echo request, UDP or TCP) to a trace app: the story's
 * line for its hop limit, or the destination's own answer. Every error is
 * rate-limited, per source prefix and for the host, before it is built.
 */
static __always_inline enum things_reason answer_trace(struct xdp_md *ctx, struct pkt *p,
						       const struct things_prefix_value *pv,
						       __u8 icmp_type)
{
	struct ipv6hdr *ip6 = ipv6_hdr(p);
	struct things_app_cfg *cfg;
	struct icmp6_err e;
	enum things_reason r;
	__u32 app_id = pv->app_id;
	__u64 now = 0;

	r = trace_probe_kind(p, icmp_type);
	if (r == THINGS_GO_ON)
		r = answerable(p);
	if (r == THINGS_GO_ON)
		r = trace_decide(p, pv, &e);
	if (r == THINGS_R_TX_ECHO_REPLY)
		return pv->flags & THINGS_PF_SILENT ? THINGS_R_DROP_SILENT : icmp6_echo_reply(ctx, p);
	if (r != THINGS_GO_ON)
		return r;
	if ((void *)(ip6 + 1) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	cfg = bpf_map_lookup_elem(&app_cfg, &app_id);
	if (cfg && cfg->rate) {
		now = bpf_ktime_get_ns();
		if (!rate_allow(app_id, &ip6->saddr, cfg, now))
			return THINGS_R_ERR_LIMIT_SOURCE;
	}
	if (!rate_allow_error(&now))
		return THINGS_R_ERR_LIMIT_GLOBAL;
	return icmp6_error(ctx, p, &e);
}

static __always_inline enum things_reason answer_ns(struct xdp_md *ctx, struct pkt *p,
						    const struct things_prefix_value *pv)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct ns_info info = { 0 };
	struct things_iface *ifc;
	enum things_reason r;

	if (!(pv->flags & THINGS_PF_ONLINK))
		return THINGS_R_PASS_NOT_ONLINK;
	ifc = ndp_iface(ifindex);
	if (!ifc)
		return THINGS_R_PASS_IFACE_UNKNOWN;
	r = ndp_ns_validate(p, &info);
	if (r != THINGS_GO_ON)
		return r;
	return ndp_ns_to_na(ctx, p, ifc, pv->flags, &info);
}

/* Chooses the app for a parsed packet and runs its action. *app and
 * *flags are set once a prefix of an app matched. */
static __always_inline enum things_reason dispatch(struct xdp_md *ctx, struct pkt *p,
						   __u32 *app, __u16 *flags)
{
	struct things_prefix_value pv;
	struct in6_addr *key;
	struct ipv6hdr *ip6;
	__u8 icmp_type = 0;
	__u8 *l4;

	ip6 = ipv6_hdr(p);
	if ((void *)(ip6 + 1) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	key = &ip6->daddr;
	if (p->l4_proto == IPPROTO_ICMPV6) {
		l4 = p->data + p->l4_off;
		/* An empty message has no type: the byte after it is padding. */
		if (p->l4_off > 0xffff || (void *)(l4 + 1) > p->data_end || !p->l4_len)
			return THINGS_R_PASS_TRUNCATED;
		icmp_type = l4[0];
		if (icmp_type == NDP_TYPE_NS) {
			key = ndp_ns_target(p);
			if (!key)
				return THINGS_R_NS_LENGTH;
		}
	}

	if (!prefix_lookup(key, &pv))
		return THINGS_R_PASS_NO_PREFIX;
	if (pv.kind == THINGS_KIND_HOST)
		return THINGS_R_PASS_HOST;
	if (pv.app_id >= THINGS_MAX_APPS)
		return THINGS_R_PASS_APP_INVALID;
	*app = pv.app_id;
	*flags = pv.flags;

	if (pv.kind == THINGS_KIND_TRACE && icmp_type != NDP_TYPE_NS)
		return answer_trace(ctx, p, &pv, icmp_type);
	if (p->l4_proto != IPPROTO_ICMPV6)
		return THINGS_R_PASS_NOT_ICMP;
	if (icmp_type == ICMPV6_ECHO_REQUEST)
		return answer_echo(ctx, p, &pv);
	if (icmp_type == NDP_TYPE_NS)
		return answer_ns(ctx, p, &pv);
	return THINGS_R_PASS_ICMP_OTHER;
}

/*
 * The usual request: an untagged frame that holds exactly an IPv6 packet
 * without extension headers, carrying ICMPv6. For it eth_parse() and
 * ipv6_parse() would find what this sets, and with every offset a
 * constant, dispatch() compiles to much less work.
 */
static __always_inline int usual_frame(struct pkt *p)
{
	struct ethhdr *eth = p->data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);

	if ((void *)(ip6 + 1) > p->data_end || eth->h_proto != bpf_htons(ETH_P_IPV6) ||
	    ip6->version != 6 || ip6->nexthdr != IPPROTO_ICMPV6 ||
	    sizeof(*eth) + sizeof(*ip6) + bpf_ntohs(ip6->payload_len) != pkt_len(p))
		return 0;
	p->l2_len = sizeof(*eth);
	p->l4_off = sizeof(*eth) + sizeof(*ip6);
	p->l4_len = bpf_ntohs(ip6->payload_len);
	p->l4_proto = IPPROTO_ICMPV6;
	p->usual = 1;
	return 1;
}

/* bench/micro compiles this program into its harness as a function it
 * calls again and again: there the entry is a global function. */
#ifndef THINGS_ENTRY
#define THINGS_ENTRY SEC("xdp")
#endif

THINGS_ENTRY
int things_xdp(struct xdp_md *ctx)
{
	struct pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
	};
	__u32 bytes = pkt_len(&p);
	__u32 app = 0;
	__u16 flags = 0;
	enum things_reason r;
	int proto;

	if (usual_frame(&p)) {
		r = dispatch(ctx, &p, &app, &flags);
		goto count;
	}
	proto = eth_parse(&p);
	if (proto < 0)
		r = THINGS_R_PASS_TRUNCATED;
	else if (proto != ETH_P_IPV6)
		r = THINGS_R_PASS_NOT_IPV6;
	else if ((r = ipv6_parse(&p)) == THINGS_GO_ON)
		r = dispatch(ctx, &p, &app, &flags);

count:
	stats_count(app, r, bytes);
	return reason_verdict(r, flags);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
