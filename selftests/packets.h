/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The messages the tests send and expect, described by field values and
 * built with frame.h: headers up to the upper layer, ICMPv6 echo, Neighbor
 * Solicitation and Advertisement, NDP options.
 */
#ifndef SELFTEST_PACKETS_H
#define SELFTEST_PACKETS_H

#include <stdbool.h>

#include "frame.h"

#define PROTO_HOPOPTS	0
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ROUTING	43
#define PROTO_FRAGMENT	44
#define PROTO_ESP	50
#define PROTO_ICMPV6	58
#define PROTO_NONE	59
#define PROTO_DSTOPTS	60

#define ICMP6_ECHO_REQUEST	128
#define ICMP6_ECHO_REPLY	129
#define ND_ROUTER_SOLICIT	133
#define ND_NEIGHBOR_SOLICIT	135
#define ND_NEIGHBOR_ADVERT	136

#define ND_OPT_SLLA	1
#define ND_OPT_TLLA	2
#define ND_OPT_NONCE	14

#define NA_FLAG_R 0x80000000U
#define NA_FLAG_S 0x40000000U
#define NA_FLAG_O 0x20000000U

#define ICMP6_HDR_LEN	8	/* type, code, checksum, 4 more bytes */
#define ND_MSG_LEN	24	/* NS or NA without options */

struct ext_hdr {
	uint8_t type;		/* PROTO_HOPOPTS, _DSTOPTS, _ROUTING, _FRAGMENT */
	uint8_t units;		/* length in 8-byte units; a routing header needs 3 */
	uint8_t seg_left;	/* routing header only */
};

#define MAX_EXT 8

/* Everything in front of the upper-layer message. */
struct hdrs {
	uint8_t eth_dst[6], eth_src[6];
	uint16_t vlan_tpid, vlan_tci;	/* tpid 0: untagged */
	uint8_t tclass;
	uint32_t flow;
	uint8_t hop_limit;
	struct in6_addr src, dst;
	struct ext_hdr ext[MAX_EXT];
	size_t n_ext;
};

void hdrs_add_ext(struct hdrs *h, uint8_t type, uint8_t units, uint8_t seg_left);
void hdrs_vlan(struct hdrs *h, uint16_t tpid, uint16_t tci);
/* Ethernet, the tag if any, IPv6 and the extension headers, then `proto`
 * as the upper layer. */
void put_headers(struct frame *f, const struct hdrs *h, uint8_t proto);

struct echo {
	uint8_t type, code;
	uint16_t id, seq;
	const uint8_t *data;
	size_t data_len;
};

void build_echo(struct frame *f, const struct hdrs *h, const struct echo *e);

/* What RFC 4443 4.2 and the design ask of the headers of an echo reply:
 * back to where the request came from, hop limit THINGS_REPLY_HOP_LIMIT,
 * the same class and flow, no extension headers. */
struct hdrs reply_hdrs(const struct hdrs *req);

/* An echo request of e (type and code as given) from req, and the reply
 * it must turn into. */
void build_echo_pair(struct frame *in, struct frame *out, const struct hdrs *req,
		     const struct echo *e);
/* Traceroute's other probes: UDP (the length field set) and a TCP SYN,
 * each with len bytes of data. */
void build_udp(struct frame *f, const struct hdrs *h, uint16_t sport, uint16_t dport,
	       const uint8_t *data, size_t len);
void build_tcp_syn(struct frame *f, const struct hdrs *h, uint16_t sport, uint16_t dport,
		   const uint8_t *data, size_t len);

/* The most of the invoking packet an ICMPv6 error quotes (RFC 4443 2.4 c:
 * the error fits in 1280 bytes of IPv6). */
#define ICMP6_ERR_QUOTE_MAX (1280 - 40 - ICMP6_HDR_LEN)

/*
 * The ICMPv6 error (type, code) that the IPv6 packet in `in` (sent with
 * req) turns into, coming from `from`: back to req's source, from our MAC,
 * a VLAN tag kept, with hop_limit, class and flow 0,
 * quoting in's IPv6 packet (not its Ethernet padding) up to
 * ICMP6_ERR_QUOTE_MAX bytes.
 */
void build_icmp6_error(struct frame *out, const struct frame *in, const struct hdrs *req,
		       const struct in6_addr *from, uint8_t type, uint8_t code, uint8_t hop_limit);

void build_ns(struct frame *f, const struct hdrs *h, uint8_t code,
	      const struct in6_addr *target, const uint8_t *opts, size_t opts_len);
void build_na(struct frame *f, const struct hdrs *h, uint32_t flags,
	      const struct in6_addr *target, const uint8_t tlla[6]);

/* NDP options into buf; each returns the bytes written (8). */
size_t nd_opt_lla(uint8_t *buf, uint8_t type, const uint8_t mac[6]);
size_t nd_opt_nonce(uint8_t *buf, uint64_t nonce);

/* ff02::1:ffXX:XXXX and 33:33:ff:XX:XX:XX for target. */
struct in6_addr solicited_node(const struct in6_addr *target);
void solicited_node_mac(const struct in6_addr *target, uint8_t mac[6]);

/*
 * Rewrites the 16-bit word at off (inside the message) so that the
 * message's checksum, computed from scratch, becomes want. The checksum
 * field itself is updated too. Returns false if no value gets there.
 */
bool steer_csum(struct frame *f, size_t off, uint16_t want);

#endif
