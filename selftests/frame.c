// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define IPV6_HDR_LEN 40
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

/* A builder overflow is a mistake in a test, never a result. */
static void need(const struct frame *f, size_t n)
{
	if (f->len + n > sizeof(f->b)) {
		fprintf(stderr, "frame: %zu + %zu bytes do not fit\n", f->len, n);
		abort();
	}
}

void frame_init(struct frame *f)
{
	memset(f, 0, sizeof(*f));
}

void frame_put(struct frame *f, const void *data, size_t n)
{
	need(f, n);
	/* An empty payload may come as NULL, which memcpy() may not take. */
	if (n)
		memcpy(f->b + f->len, data, n);
	f->len += n;
}

void frame_fill(struct frame *f, uint8_t byte, size_t n)
{
	need(f, n);
	memset(f->b + f->len, byte, n);
	f->len += n;
}

void frame_put8(struct frame *f, uint8_t v)
{
	frame_put(f, &v, 1);
}

void frame_put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	frame_put(f, b, sizeof(b));
}

void frame_put32(struct frame *f, uint32_t v)
{
	frame_put16(f, (uint16_t)(v >> 16));
	frame_put16(f, (uint16_t)v);
}

uint16_t frame_get16(const struct frame *f, size_t off)
{
	return (uint16_t)(f->b[off] << 8 | f->b[off + 1]);
}

void frame_set16(struct frame *f, size_t off, uint16_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

void frame_eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6])
{
	frame_put(f, dst, 6);
	frame_put(f, src, 6);
	f->type_off = f->len;
	frame_put16(f, 0);
}

void frame_ethertype(struct frame *f, uint16_t type)
{
	frame_set16(f, f->type_off, type);
}

void frame_vlan(struct frame *f, uint16_t tpid, uint16_t tci)
{
	frame_ethertype(f, tpid);
	frame_put16(f, tci);
	f->type_off = f->len;
	frame_put16(f, 0);
}

void frame_ipv6(struct frame *f, uint8_t tclass, uint32_t flow, uint8_t hop_limit,
		const struct in6_addr *src, const struct in6_addr *dst)
{
	frame_ethertype(f, ETHERTYPE_IPV6);
	f->ip6_off = f->len;
	frame_put32(f, 6U << 28 | (uint32_t)tclass << 20 | (flow & 0xfffff));
	frame_put16(f, 0);	/* payload length: frame_finish() */
	f->nh_off = f->len;
	frame_put8(f, 0);
	frame_put8(f, hop_limit);
	frame_put(f, src, 16);
	frame_put(f, dst, 16);
}

void frame_ext(struct frame *f, uint8_t type, const void *body, size_t body_len)
{
	size_t total = 2 + body_len;

	if (total % 8) {
		fprintf(stderr, "frame: extension header of %zu bytes\n", total);
		abort();
	}
	f->b[f->nh_off] = type;
	f->nh_off = f->len;
	frame_put8(f, 0);
	frame_put8(f, (uint8_t)(total / 8 - 1));
	frame_put(f, body, body_len);
}

void frame_l4(struct frame *f, uint8_t proto)
{
	f->b[f->nh_off] = proto;
	f->l4_off = f->len;
	f->l4_proto = proto;
}

uint32_t inet_sum(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

uint16_t inet_csum(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t frame_csum_off(const struct frame *f)
{
	switch (f->l4_proto) {
	case PROTO_ICMPV6:
		return f->l4_off + 2;
	case PROTO_UDP:
		return f->l4_off + 6;
	case PROTO_TCP:
		return f->l4_off + 16;
	}
	return 0;
}

/* The upper layer ends where the IPv6 payload length says. */
static size_t l4_len(const struct frame *f)
{
	return f->ip6_off + IPV6_HDR_LEN + frame_get16(f, f->ip6_off + 4) - f->l4_off;
}

uint16_t frame_l4_csum(const struct frame *f)
{
	size_t len = l4_len(f), cks = frame_csum_off(f);
	uint8_t pseudo[40] = { 0 };
	uint32_t sum;

	memcpy(pseudo, f->b + f->ip6_off + 8, 32);
	pseudo[32] = (uint8_t)(len >> 24);
	pseudo[33] = (uint8_t)(len >> 16);
	pseudo[34] = (uint8_t)(len >> 8);
	pseudo[35] = (uint8_t)len;
	pseudo[39] = f->l4_proto;
	sum = inet_sum(0, pseudo, sizeof(pseudo));
	sum = inet_sum(sum, f->b + f->l4_off, cks - f->l4_off);
	return inet_csum(inet_sum(sum, f->b + cks + 2, len - (cks + 2 - f->l4_off)));
}

void frame_finish(struct frame *f)
{
	if (!f->ip6_off)
		return;
	frame_set16(f, f->ip6_off + 4, (uint16_t)(f->len - f->ip6_off - IPV6_HDR_LEN));
	if (f->l4_off && frame_csum_off(f)) {
		uint16_t csum = frame_l4_csum(f);

		/* UDP sends a computed 0 as 0xffff: 0 means "no checksum". */
		if (f->l4_proto == PROTO_UDP && !csum)
			csum = 0xffff;
		frame_set16(f, frame_csum_off(f), csum);
	}
}
