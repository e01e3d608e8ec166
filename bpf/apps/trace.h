/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * trace: the destination picks a story, the hop limit a probe arrives with
 * picks the line. Hops 1..N are Time Exceeded from their lines' addresses;
 * past the last line the destination answers as itself.
 */
#ifndef THINGS_BPF_APPS_TRACE_H
#define THINGS_BPF_APPS_TRACE_H

#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include "../lib/common.h"
#include "../lib/icmp6.h"
#include "../lib/ipv6.h"
#include "../lib/maps.h"

#define TRACE_HOP_LIMIT 255

/* A probe holds at least the header of its protocol: traceroute's three
 * kinds, ICMPv6 echo, UDP and TCP. Anything else is not a probe. */
static __always_inline enum things_reason trace_probe_kind(const struct pkt *p, __u8 icmp_type)
{
	__u32 min;

	switch (p->l4_proto) {
	case IPPROTO_ICMPV6:
		if (icmp_type != ICMPV6_ECHO_REQUEST)
			return THINGS_R_PASS_ICMP_OTHER;
		min = sizeof(struct icmp6hdr);
		break;
	case IPPROTO_UDP:
		min = sizeof(struct udphdr);
		break;
	case IPPROTO_TCP:
		min = sizeof(struct tcphdr);
		break;
	default:
		return THINGS_R_PASS_NOT_ICMP;
	}
	return p->l4_len < min ? THINGS_R_PASS_TRUNCATED : THINGS_GO_ON;
}

/* Field h (1-based) of an address story: the last hops * bits bits of the
 * destination, hop 1's the most significant. */
static __always_inline __u32 trace_field(const struct in6_addr *dst, __u32 h, __u32 hops,
					 __u32 bits)
{
	__u64 iid = bpf_be64_to_cpu(*(const __u64 *)&dst->in6_u.u6_addr8[8]);
	__u32 shift = (hops - h) * bits;

	if (shift > 63)
		return 0;
	return (__u32)(iid >> shift) & ((1U << bits) - 1);
}

/*
 * The line of story s for hop h (1..s->hops): its address into *from, or
 * THINGS_R_TRACE_NO_LINE when it is not there (a story being rewritten, or
 * a story whose layout does not fit the address).
 */
static __always_inline enum things_reason trace_line(const struct things_story *s, __u32 h,
						     const struct in6_addr *dst,
						     struct in6_addr *from)
{
	struct things_story_line_key key = { .app_id = s->app_id, .story = s->story };
	struct things_story_line *line;
	__u32 bits = s->bits, slot = h - 1;

	if (bits) {
		if (bits > THINGS_STORY_MAX_BITS || s->hops > THINGS_STORY_MAX_FIELDS ||
		    (__u32)s->hops * bits > 64)
			return THINGS_R_TRACE_NO_LINE;
		slot = slot << bits | trace_field(dst, h, s->hops, bits);
	}
	key.slot = (__u16)slot;
	line = bpf_map_lookup_elem(&story_lines, &key);
	if (!line)
		return THINGS_R_TRACE_NO_LINE;
	__builtin_memcpy(from, line->addr, sizeof(*from));
	return THINGS_GO_ON;
}

/*
 * Decides what a probe to a trace app gets, the probe being fit to answer:
 * THINGS_GO_ON with *e the error to send; THINGS_R_TX_ECHO_REPLY for an
 * echo request the destination answers as itself; else the reason it is
 * left alone. An address no story holds answers as an echo app's does.
 * Errors leave with the hop limit a node as deep as their line would give
 * them, from TRACE_HOP_LIMIT down (tracepath reads the way back from it;
 * 255 leaves room for the longest story).
 */
static __always_inline enum things_reason trace_decide(const struct pkt *p,
						       const struct things_prefix_value *pv,
						       struct icmp6_err *e)
{
	struct things_prefix_key key = { .prefixlen = 128 };
	struct ipv6hdr *ip6 = ipv6_hdr(p);
	struct things_story *s;
	__u32 h;

	if ((void *)(ip6 + 1) > p->data_end)
		return THINGS_R_PASS_TRUNCATED;
	__builtin_memcpy(key.addr, &ip6->daddr, sizeof(key.addr));
	s = bpf_map_lookup_elem(&stories, &key);
	if (!s || s->app_id != pv->app_id)
		return p->l4_proto == IPPROTO_ICMPV6 ? THINGS_R_TX_ECHO_REPLY :
						       THINGS_R_PASS_NOT_ICMP;
	h = ip6->hop_limit;
	if (h >= 1 && h <= s->hops) {
		e->type = ICMPV6_TIME_EXCEED;
		e->code = ICMPV6_EXC_HOPLIMIT;
		e->sent = THINGS_R_TX_TIME_EXCEEDED;
		e->hop_limit = (__u8)(TRACE_HOP_LIMIT - (h - 1));
		return trace_line(s, h, &ip6->daddr, &e->from);
	}
	if (p->l4_proto == IPPROTO_ICMPV6)
		return THINGS_R_TX_ECHO_REPLY;
	if (p->l4_proto != IPPROTO_UDP)
		return THINGS_R_PASS_NOT_ICMP;
	e->from = ip6->daddr;
	e->type = ICMPV6_DEST_UNREACH;
	e->code = ICMPV6_PORT_UNREACH;
	e->sent = THINGS_R_TX_PORT_UNREACHABLE;
	e->hop_limit = (__u8)(s->hops < TRACE_HOP_LIMIT ? TRACE_HOP_LIMIT - s->hops : 1);
	return THINGS_GO_ON;
}

#endif
