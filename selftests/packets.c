// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packets.h"
#include "things_abi.h"

void hdrs_add_ext(struct hdrs *h, uint8_t type, uint8_t units, uint8_t seg_left)
{
	if (h->n_ext == MAX_EXT) {
		fprintf(stderr, "packets: more than %d extension headers\n", MAX_EXT);
		abort();
	}
	h->ext[h->n_ext++] = (struct ext_hdr){ type, units, seg_left };
}

void hdrs_vlan(struct hdrs *h, uint16_t tpid, uint16_t tci)
{
	h->vlan_tpid = tpid;
	h->vlan_tci = tci;
}

/* The bytes after an extension header's next header and length fields. */
static size_t ext_body(const struct ext_hdr *e, uint8_t *body)
{
	size_t len = (size_t)e->units * 8 - 2;

	memset(body, 0, len);
	switch (e->type) {
	case PROTO_ROUTING:
		/* Segment routing header (RFC 8754): (units - 1) / 2 segments. */
		body[0] = 4;
		body[1] = e->seg_left;
		break;
	case PROTO_FRAGMENT:
		/* Offset 0, more fragments, identification 0x12345678. */
		body[1] = 0x01;
		memcpy(body + 2, "\x12\x34\x56\x78", 4);
		break;
	default:
		/* Options headers: one PadN option over the rest. */
		body[0] = 1;
		body[1] = (uint8_t)(len - 2);
		break;
	}
	return len;
}

void put_headers(struct frame *f, const struct hdrs *h, uint8_t proto)
{
	uint8_t body[256 * 8];

	frame_init(f);
	frame_eth(f, h->eth_dst, h->eth_src);
	if (h->vlan_tpid)
		frame_vlan(f, h->vlan_tpid, h->vlan_tci);
	frame_ipv6(f, h->tclass, h->flow, h->hop_limit, &h->src, &h->dst);
	for (size_t i = 0; i < h->n_ext; i++)
		frame_ext(f, h->ext[i].type, body, ext_body(&h->ext[i], body));
	frame_l4(f, proto);
}

void build_echo(struct frame *f, const struct hdrs *h, const struct echo *e)
{
	put_headers(f, h, PROTO_ICMPV6);
	frame_put8(f, e->type);
	frame_put8(f, e->code);
	frame_put16(f, 0);
	frame_put16(f, e->id);
	frame_put16(f, e->seq);
	frame_put(f, e->data, e->data_len);
	frame_finish(f);
}

struct hdrs reply_hdrs(const struct hdrs *req)
{
	struct hdrs h = *req;

	memcpy(h.eth_dst, req->eth_src, 6);
	memcpy(h.eth_src, req->eth_dst, 6);
	h.src = req->dst;
	h.dst = req->src;
	h.hop_limit = THINGS_REPLY_HOP_LIMIT;
	h.n_ext = 0;
	return h;
}

void build_echo_pair(struct frame *in, struct frame *out, const struct hdrs *req,
		     const struct echo *e)
{
	struct hdrs rh = reply_hdrs(req);
	struct echo reply = *e;

	reply.type = ICMP6_ECHO_REPLY;
	reply.code = 0;
	build_echo(in, req, e);
	build_echo(out, &rh, &reply);
}

void build_udp(struct frame *f, const struct hdrs *h, uint16_t sport, uint16_t dport,
	       const uint8_t *data, size_t len)
{
	put_headers(f, h, PROTO_UDP);
	frame_put16(f, sport);
	frame_put16(f, dport);
	frame_put16(f, (uint16_t)(8 + len));
	frame_put16(f, 0);
	frame_put(f, data, len);
	frame_finish(f);
}

void build_tcp_syn(struct frame *f, const struct hdrs *h, uint16_t sport, uint16_t dport,
		   const uint8_t *data, size_t len)
{
	put_headers(f, h, PROTO_TCP);
	frame_put16(f, sport);
	frame_put16(f, dport);
	frame_put32(f, 0x01020304);	/* sequence number */
	frame_put32(f, 0);		/* acknowledgment */
	frame_put8(f, 5 << 4);		/* 20 bytes of header */
	frame_put8(f, 0x02);		/* SYN */
	frame_put16(f, 65535);		/* window */
	frame_put16(f, 0);		/* checksum */
	frame_put16(f, 0);		/* urgent pointer */
	frame_put(f, data, len);
	frame_finish(f);
}

void build_icmp6_error(struct frame *out, const struct frame *in, const struct hdrs *req,
		       const struct in6_addr *from, uint8_t type, uint8_t code, uint8_t hop_limit)
{
	struct hdrs h = reply_hdrs(req);
	size_t quote = 40 + frame_get16(in, in->ip6_off + 4);

	if (quote > ICMP6_ERR_QUOTE_MAX)
		quote = ICMP6_ERR_QUOTE_MAX;
	h.src = *from;
	h.hop_limit = hop_limit;
	h.tclass = 0;
	h.flow = 0;
	put_headers(out, &h, PROTO_ICMPV6);
	frame_put8(out, type);
	frame_put8(out, code);
	frame_put16(out, 0);
	frame_put32(out, 0);
	frame_put(out, in->b + in->ip6_off, quote);
	frame_finish(out);
}

void build_ns(struct frame *f, const struct hdrs *h, uint8_t code,
	      const struct in6_addr *target, const uint8_t *opts, size_t opts_len)
{
	put_headers(f, h, PROTO_ICMPV6);
	frame_put8(f, ND_NEIGHBOR_SOLICIT);
	frame_put8(f, code);
	frame_put16(f, 0);
	frame_put32(f, 0);
	frame_put(f, target, 16);
	frame_put(f, opts, opts_len);
	frame_finish(f);
}

void build_na(struct frame *f, const struct hdrs *h, uint32_t flags,
	      const struct in6_addr *target, const uint8_t tlla[6])
{
	uint8_t opt[8];

	put_headers(f, h, PROTO_ICMPV6);
	frame_put8(f, ND_NEIGHBOR_ADVERT);
	frame_put8(f, 0);
	frame_put16(f, 0);
	frame_put32(f, flags);
	frame_put(f, target, 16);
	frame_put(f, opt, nd_opt_lla(opt, ND_OPT_TLLA, tlla));
	frame_finish(f);
}

size_t nd_opt_lla(uint8_t *buf, uint8_t type, const uint8_t mac[6])
{
	buf[0] = type;
	buf[1] = 1;
	memcpy(buf + 2, mac, 6);
	return 8;
}

size_t nd_opt_nonce(uint8_t *buf, uint64_t nonce)
{
	buf[0] = ND_OPT_NONCE;
	buf[1] = 1;
	for (int i = 0; i < 6; i++)
		buf[2 + i] = (uint8_t)(nonce >> (8 * (5 - i)));
	return 8;
}

struct in6_addr solicited_node(const struct in6_addr *target)
{
	struct in6_addr a = { .s6_addr = { 0xff, 0x02, [11] = 0x01, [12] = 0xff } };

	memcpy(a.s6_addr + 13, target->s6_addr + 13, 3);
	return a;
}

void solicited_node_mac(const struct in6_addr *target, uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	mac[2] = 0xff;
	memcpy(mac + 3, target->s6_addr + 13, 3);
}

bool steer_csum(struct frame *f, size_t off, uint16_t want)
{
	for (uint32_t w = 0; w <= 0xffff; w++) {
		frame_set16(f, off, (uint16_t)w);
		if (frame_l4_csum(f) == want) {
			frame_set16(f, frame_csum_off(f), want);
			return true;
		}
	}
	return false;
}
