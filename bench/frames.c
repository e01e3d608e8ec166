// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>

#include "frames.h"

/* Frame layout: Ethernet, IPv6 without extension headers, ICMPv6. */
#define ETH_DST		0
#define ETH_SRC		6
#define ETH_TYPE	12
#define IP6		14
#define IP6_PLEN	(IP6 + 4)
#define IP6_NEXT	(IP6 + 6)
#define IP6_HOPS	(IP6 + 7)
#define IP6_SRC		(IP6 + 8)
#define IP6_DST		(IP6 + 24)
#define L4		(IP6 + 40)
#define ICMP_CSUM	(L4 + 2)
#define ND_FLAGS	(L4 + 4)
#define ND_TARGET	(L4 + 8)
#define ND_OPT		(L4 + 24)

#define ICMPV6		58
#define ECHO_DATA	56	/* what ping sends by default */
#define ND_LEN		32	/* NS or NA, one link-layer address option */

const unsigned char frame_our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const unsigned char peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static const char *const echo_src = "2001:db8:ffff::2";	/* beyond the router */
static const char *const echo_dst = "2001:db8:1::1234:5678";
static const char *const ns_src = "2001:db8:2:3::1";	/* the router */
static const char *const ns_dst = "ff02::1:ff00:abcd";	/* solicited-node */
static const char *const ns_target = "2001:db8:2:3::abcd";
static const unsigned char ns_dst_mac[6] = { 0x33, 0x33, 0xff, 0x00, 0xab, 0xcd };

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static unsigned int get16(const unsigned char *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static void put_addr(unsigned char *p, const char *text)
{
	/* The texts are the constants above: they always parse. */
	inet_pton(AF_INET6, text, p);
}

/* The one's complement sum of the ICMPv6 message and its pseudo-header;
 * 0xffff for a message whose checksum field is right. */
static unsigned int icmp6_sum(const unsigned char *frame, size_t len)
{
	unsigned long sum = ICMPV6 + (len - L4);
	size_t i;

	for (i = IP6_SRC; i < L4; i += 2)
		sum += get16(frame + i);
	for (i = L4; i + 1 < len; i += 2)
		sum += get16(frame + i);
	if (i < len)
		sum += (unsigned int)frame[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned int)sum;
}

static void ip6_header(unsigned char *buf, unsigned int plen, unsigned int hops,
		       const char *src, const char *dst)
{
	put16(buf + ETH_TYPE, 0x86dd);
	buf[IP6] = 0x60;
	put16(buf + IP6_PLEN, plen);
	buf[IP6_NEXT] = ICMPV6;
	buf[IP6_HOPS] = (unsigned char)hops;
	put_addr(buf + IP6_SRC, src);
	put_addr(buf + IP6_DST, dst);
}

static size_t finish_icmp6(unsigned char *buf, size_t len)
{
	put16(buf + ICMP_CSUM, 0);
	put16(buf + ICMP_CSUM, ~icmp6_sum(buf, len) & 0xffff);
	return len;
}

size_t frame_echo_request(unsigned char *buf)
{
	return frame_echo_request_to(buf, echo_dst);
}

size_t frame_echo_request_to(unsigned char *buf, const char *dst)
{
	size_t len = L4 + 8 + ECHO_DATA;

	memset(buf, 0, BENCH_FRAME_MAX);
	memcpy(buf + ETH_DST, frame_our_mac, 6);
	memcpy(buf + ETH_SRC, peer_mac, 6);
	ip6_header(buf, 8 + ECHO_DATA, 60, echo_src, dst);
	buf[L4] = 128;
	put16(buf + L4 + 4, 0x1234);	/* identifier */
	put16(buf + L4 + 6, 1);		/* sequence */
	for (size_t i = 0; i < ECHO_DATA; i++)
		buf[L4 + 8 + i] = (unsigned char)i;
	return finish_icmp6(buf, len);
}

size_t frame_trace_probe(unsigned char *buf, const char *dst)
{
	size_t len = frame_echo_request_to(buf, dst);

	/* Outside the checksum: the pseudo-header has no hop limit. */
	buf[IP6_HOPS] = 1;
	return len;
}

size_t frame_neighbor_solicit(unsigned char *buf)
{
	size_t len = L4 + ND_LEN;

	memset(buf, 0, BENCH_FRAME_MAX);
	memcpy(buf + ETH_DST, ns_dst_mac, 6);
	memcpy(buf + ETH_SRC, peer_mac, 6);
	ip6_header(buf, ND_LEN, 255, ns_src, ns_dst);
	buf[L4] = 135;
	put_addr(buf + ND_TARGET, ns_target);
	buf[ND_OPT] = 1;	/* source link-layer address */
	buf[ND_OPT + 1] = 1;
	memcpy(buf + ND_OPT + 2, peer_mac, 6);
	return finish_icmp6(buf, len);
}

const unsigned char *frame_echo_dst(const unsigned char *echo_request)
{
	return echo_request + IP6_DST;
}

const unsigned char *frame_ns_target(const unsigned char *neighbor_solicit)
{
	return neighbor_solicit + ND_TARGET;
}

const char *frame_check_echo_reply(const unsigned char *in, size_t in_len,
				   const unsigned char *out, size_t out_len)
{
	if (out_len != in_len)
		return "its length is not the request's";
	if (memcmp(out + ETH_DST, in + ETH_SRC, 6) || memcmp(out + ETH_SRC, in + ETH_DST, 6))
		return "the MAC addresses are not swapped";
	if (memcmp(out + ETH_TYPE, in + ETH_TYPE, IP6_HOPS - ETH_TYPE))
		return "the EtherType, version, traffic class, flow label, length or next"
		       " header changed";
	if (out[IP6_HOPS] != 64)
		return "the hop limit is not 64";
	if (memcmp(out + IP6_SRC, in + IP6_DST, 16) || memcmp(out + IP6_DST, in + IP6_SRC, 16))
		return "the IPv6 addresses are not swapped";
	if (out[L4] != 129 || out[L4 + 1] != 0)
		return "the type is not 129 with code 0";
	if (memcmp(out + L4 + 4, in + L4 + 4, in_len - (L4 + 4)))
		return "the identifier, sequence number or data changed";
	if (icmp6_sum(out, out_len) != 0xffff)
		return "the ICMPv6 checksum is wrong";
	return NULL;
}

const char *frame_check_time_exceeded(const unsigned char *in, size_t in_len,
				      const unsigned char *out, size_t out_len)
{
	static const unsigned char unused[4];
	size_t quote = in_len - IP6;
	struct in6_addr line;

	inet_pton(AF_INET6, FRAME_TRACE_LINE, &line);
	if (quote > 1280 - 48 || out_len != L4 + 8 + quote)
		return "its length is not the probe's, quoted whole, and 48 bytes";
	if (memcmp(out + ETH_DST, in + ETH_SRC, 6) || memcmp(out + ETH_SRC, in + ETH_DST, 6))
		return "the MAC addresses are not swapped";
	if (get16(out + ETH_TYPE) != 0x86dd || out[IP6] != 0x60 || out[IP6 + 1] || out[IP6 + 2] ||
	    out[IP6 + 3] || get16(out + IP6 + 4) != 8 + quote || out[IP6 + 6] != ICMPV6 ||
	    out[IP6_HOPS] != 255)
		return "the IPv6 header is not version 6, class 0, its length, ICMPv6, 255 hops";
	if (memcmp(out + IP6_SRC, &line, 16) || memcmp(out + IP6_DST, in + IP6_SRC, 16))
		return "it is not from the story's first line to the prober";
	if (out[L4] != 3 || out[L4 + 1] != 0 || memcmp(out + L4 + 4, unused, 4))
		return "the type is not 3 with code 0 and 4 bytes of zero";
	if (memcmp(out + L4 + 8, in + IP6, quote))
		return "the quote is not the probe's IPv6 packet";
	if (icmp6_sum(out, out_len) != 0xffff)
		return "the ICMPv6 checksum is wrong";
	return NULL;
}

const char *frame_check_neighbor_advert(const unsigned char *in, size_t in_len,
					const unsigned char *out, size_t out_len)
{
	static const unsigned char ip6_start[8] = { 0x60, 0, 0, 0, 0, ND_LEN, ICMPV6, 255 };
	static const unsigned char solicited_override[4] = { 0x60, 0, 0, 0 };

	if (in_len != L4 + ND_LEN || out_len != in_len)
		return "its length is not that of an NA with one option";
	if (memcmp(out + ETH_DST, in + ETH_SRC, 6) || memcmp(out + ETH_SRC, frame_our_mac, 6))
		return "the MAC addresses are not the solicitor's and ours";
	if (get16(out + ETH_TYPE) != 0x86dd || memcmp(out + IP6, ip6_start, sizeof(ip6_start)))
		return "the IPv6 header is not version 6, class 0, length 32, ICMPv6, 255 hops";
	if (memcmp(out + IP6_SRC, in + ND_TARGET, 16) || memcmp(out + IP6_DST, in + IP6_SRC, 16))
		return "it is not from the target to the solicitor";
	if (out[L4] != 136 || out[L4 + 1] != 0)
		return "the type is not 136 with code 0";
	if (memcmp(out + ND_FLAGS, solicited_override, 4))
		return "the flags are not exactly Solicited and Override";
	if (memcmp(out + ND_TARGET, in + ND_TARGET, 16))
		return "the target changed";
	if (out[ND_OPT] != 2 || out[ND_OPT + 1] != 1 || memcmp(out + ND_OPT + 2, frame_our_mac, 6))
		return "the option is not a target link-layer address with our MAC";
	if (icmp6_sum(out, out_len) != 0xffff)
		return "the ICMPv6 checksum is wrong";
	return NULL;
}
