/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A byte-level packet builder, written apart from the data plane so the
 * expected packets do not share its mistakes. Layers are appended in wire
 * order; each layer's type field (EtherType, Next Header) is filled in when
 * the next layer is appended, and frame_finish() sets the IPv6 payload
 * length and the upper-layer checksum from scratch (RFC 1071).
 */
#ifndef SELFTEST_FRAME_H
#define SELFTEST_FRAME_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* The most BPF_PROG_TEST_RUN takes for an XDP program without frags: a
 * page less the headroom and the skb_shared_info room. */
#define FRAME_MAX 3520

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_ARP	0x0806
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
	size_t type_off;	/* the EtherType the next layer sets */
	size_t ip6_off;		/* 0: no IPv6 header yet */
	size_t nh_off;		/* the Next Header byte the next header sets */
	size_t l4_off;		/* 0: no upper layer yet */
	uint8_t l4_proto;
};

void frame_init(struct frame *f);
void frame_put(struct frame *f, const void *data, size_t n);
void frame_put8(struct frame *f, uint8_t v);
void frame_put16(struct frame *f, uint16_t v);
void frame_put32(struct frame *f, uint32_t v);
void frame_fill(struct frame *f, uint8_t byte, size_t n);

void frame_eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6]);
/* A tag after the MACs (or after another tag). */
void frame_vlan(struct frame *f, uint16_t tpid, uint16_t tci);
/* For a payload other than IPv6: sets the pending EtherType. */
void frame_ethertype(struct frame *f, uint16_t type);

void frame_ipv6(struct frame *f, uint8_t tclass, uint32_t flow, uint8_t hop_limit,
		const struct in6_addr *src, const struct in6_addr *dst);
/* An extension header: its next header byte, its length byte, then body;
 * 2 + body_len must be a multiple of 8. */
void frame_ext(struct frame *f, uint8_t type, const void *body, size_t body_len);
/* Starts the upper-layer message (or an opaque header such as ESP). */
void frame_l4(struct frame *f, uint8_t proto);

/* IPv6 payload length up to the current end, and the checksum of an ICMPv6,
 * UDP or TCP message. Bytes appended afterwards are Ethernet padding. */
void frame_finish(struct frame *f);
/* The checksum frame_finish() would store: over the pseudo-header and the
 * message with its checksum field taken as zero. */
uint16_t frame_l4_csum(const struct frame *f);
/* Offset of the upper layer's checksum field, or 0 if it has none. */
size_t frame_csum_off(const struct frame *f);

uint16_t frame_get16(const struct frame *f, size_t off);
void frame_set16(struct frame *f, size_t off, uint16_t v);

/* RFC 1071: the one's complement sum of big-endian 16-bit words, a last odd
 * byte padded with zero; and its folded complement. */
uint32_t inet_sum(uint32_t sum, const void *data, size_t len);
uint16_t inet_csum(uint32_t sum);

#endif
