// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Everything that is the kernel's: other protocols, IPv6 the program may
 * not or cannot parse, addresses outside the apps, the host's own
 * addresses, TCP and UDP, and ICMPv6 other than echo requests and NS. All
 * are passed untouched.
 */
#include "env.h"
#include "solicit.h"
#include "test.h"
#include "world.h"

#define APP_ADDR "2001:db8:1::2"

#define DATA "0123456789abcdef0123456789abcdef"
#define DATA_LEN (sizeof(DATA) - 1)

/* An ICMPv6 message of the echo layout, of any type. */
static void icmp_msg(struct frame *f, const struct hdrs *h, uint8_t type)
{
	build_echo(f, h, &(struct echo){ .type = type, .id = 1, .seq = 1,
		   .data = (const uint8_t *)DATA, .data_len = DATA_LEN });
}

static void echo_to(struct frame *f, const struct hdrs *h)
{
	icmp_msg(f, h, ICMP6_ECHO_REQUEST);
}

static void echo_to_addr(struct frame *f, const char *dst)
{
	struct hdrs h = hdrs_to(REMOTE, dst);

	echo_to(f, &h);
}

static void icmp_to(struct frame *f, const char *dst, uint8_t type)
{
	struct hdrs h = hdrs_to(NEIGHBOR, dst);

	icmp_msg(f, &h, type);
}

static void ipv4(struct frame *f, bool tagged)
{
	static const uint8_t hdr[20] = {
		0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 1, 0, 0,
		192, 0, 2, 1, 198, 51, 100, 7,	/* RFC 5737 */
	};
	static const uint8_t echo[8] = { 8, 0, 0xf7, 0xfd, 0, 1, 0, 1 };

	frame_init(f);
	frame_eth(f, MAC_IFACE, MAC_PEER);
	if (tagged)
		frame_vlan(f, ETHERTYPE_VLAN, 10);
	frame_ethertype(f, ETHERTYPE_IPV4);
	frame_put(f, hdr, sizeof(hdr));
	frame_put(f, echo, sizeof(echo));
	frame_fill(f, 0, 18);
}

static void make_ipv4(struct frame *f)
{
	ipv4(f, false);
}

static void make_ipv4_tagged(struct frame *f)
{
	ipv4(f, true);
}

static void make_arp(struct frame *f)
{
	static const uint8_t who_has[28] = {
		0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, 192, 0, 2, 1,
		0, 0, 0, 0, 0, 0, 192, 0, 2, 2,
	};

	frame_init(f);
	frame_eth(f, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, MAC_PEER);
	frame_ethertype(f, ETHERTYPE_ARP);
	frame_put(f, who_has, sizeof(who_has));
	frame_fill(f, 0, 18);
}

/* The program reads one tag; the kernel handles stacked ones. */
static void make_double_tagged(struct frame *f)
{
	struct hdrs h = hdrs_to(REMOTE, APP_ADDR);
	struct frame inner;

	echo_to(&inner, &h);
	frame_init(f);
	frame_eth(f, MAC_IFACE, MAC_PEER);
	frame_vlan(f, ETHERTYPE_QINQ, 100);
	frame_vlan(f, ETHERTYPE_VLAN, 200);
	frame_ethertype(f, ETHERTYPE_IPV6);
	frame_put(f, inner.b + 14, inner.len - 14);
}

static void make_version_4(struct frame *f)
{
	echo_to_addr(f, APP_ADDR);
	f->b[f->ip6_off] = 0x40;
}

/* An echo request to an app, with the VAR_* headers and then one more. */
static void echo_with_ext(struct frame *f, unsigned int vary, uint8_t type,
			  uint8_t units, uint8_t seg_left)
{
	struct hdrs h = hdrs_to(REMOTE, APP_ADDR);

	hdrs_vary(&h, vary);
	hdrs_add_ext(&h, type, units, seg_left);
	echo_to(f, &h);
}

static void make_fragment(struct frame *f)
{
	echo_with_ext(f, 0, PROTO_FRAGMENT, 1, 0);
}

static void make_hbh_fragment(struct frame *f)
{
	echo_with_ext(f, VAR_HBH, PROTO_FRAGMENT, 1, 0);
}

static void make_routing_segments(struct frame *f)
{
	echo_with_ext(f, 0, PROTO_ROUTING, 3, 1);
}

static void make_hbh_not_first(struct frame *f)
{
	echo_with_ext(f, VAR_DSTOPTS, PROTO_HOPOPTS, 1, 0);
}

static void make_five_headers(struct frame *f)
{
	echo_with_ext(f, VAR_FOUR_EXT, PROTO_DSTOPTS, 1, 0);
}

static void make_esp(struct frame *f)
{
	struct hdrs h = hdrs_to(REMOTE, APP_ADDR);

	put_headers(f, &h, PROTO_ESP);
	frame_put32(f, 0x1000);	/* SPI */
	frame_put32(f, 1);	/* sequence number */
	frame_put(f, DATA, DATA_LEN);
	frame_finish(f);
}

static void make_no_next_header(struct frame *f)
{
	struct hdrs h = hdrs_to(REMOTE, APP_ADDR);

	hdrs_vary(&h, VAR_DSTOPTS);
	put_headers(f, &h, PROTO_NONE);
	frame_finish(f);
}

static void make_no_prefix(struct frame *f)
{
	echo_to_addr(f, UNKNOWN);
}

static void make_host_echo(struct frame *f)
{
	echo_to_addr(f, HOST_ROUTED);
}

static void make_app_out_of_range(struct frame *f)
{
	echo_to_addr(f, "fd00:0:0:99::1");
}

static void ns_for(struct frame *f, const char *target)
{
	struct ns ns = ns_from(NEIGHBOR, target, true, NS_OPT_SLLA);

	build_ns_frame(f, &ns);
}

static void make_ns_no_prefix(struct frame *f)
{
	ns_for(f, "2001:db8:9::5");
}

static void make_ns_host(struct frame *f)
{
	ns_for(f, HOST_ONLINK);
}

static void make_tcp_syn(struct frame *f)
{
	struct hdrs h = hdrs_to(REMOTE, "2001:db8:1::80");

	hdrs_vary(&h, VAR_HBH);
	put_headers(f, &h, PROTO_TCP);
	frame_put16(f, 40000);
	frame_put16(f, 80);
	frame_put32(f, 0x01020304);	/* sequence */
	frame_put32(f, 0);		/* acknowledgment */
	frame_put16(f, 5 << 12 | 0x02);	/* 20-byte header, SYN */
	frame_put16(f, 65535);		/* window */
	frame_put32(f, 0);		/* checksum, urgent pointer */
	frame_finish(f);
}

static void make_udp(struct frame *f)
{
	struct hdrs h = hdrs_to(NEIGHBOR, "2001:db8:2:3::53");

	put_headers(f, &h, PROTO_UDP);
	frame_put16(f, 5353);
	frame_put16(f, 53);
	frame_put16(f, (uint16_t)(8 + DATA_LEN));
	frame_put16(f, 0);
	frame_put(f, DATA, DATA_LEN);
	frame_finish(f);
}

static void make_na(struct frame *f)
{
	icmp_to(f, "2001:db8:2:3::77", ND_NEIGHBOR_ADVERT);
}

static void make_rs(struct frame *f)
{
	icmp_to(f, "2001:db8:2:3::2", ND_ROUTER_SOLICIT);
}

static void make_echo_reply(struct frame *f)
{
	icmp_to(f, APP_ADDR, ICMP6_ECHO_REPLY);
}

static void make_unreachable(struct frame *f)
{
	icmp_to(f, APP_ADDR, 1);
}

static const struct {
	const char *name;
	void (*build)(struct frame *f);
	enum things_reason reason;
	int app;
	enum things_action action;
} passed[] = {
	{ "ipv4", make_ipv4, THINGS_R_PASS_NOT_IPV6, NO_APP, 0 },
	{ "ipv4-vlan", make_ipv4_tagged, THINGS_R_PASS_NOT_IPV6, NO_APP, 0 },
	{ "arp", make_arp, THINGS_R_PASS_NOT_IPV6, NO_APP, 0 },
	{ "double-tagged", make_double_tagged, THINGS_R_PASS_NOT_IPV6, NO_APP, 0 },
	{ "ipv6-ethertype-version-4", make_version_4, THINGS_R_PASS_NOT_IPV6, NO_APP, 0 },
	{ "fragment", make_fragment, THINGS_R_PASS_FRAGMENT, NO_APP, 0 },
	{ "fragment-after-hop-by-hop", make_hbh_fragment, THINGS_R_PASS_FRAGMENT,
	  NO_APP, 0 },
	{ "routing-segments-left", make_routing_segments,
	  THINGS_R_PASS_ROUTING_SEGMENTS, NO_APP, 0 },
	{ "hop-by-hop-not-first", make_hbh_not_first, THINGS_R_PASS_EXTHDR_UNKNOWN,
	  NO_APP, 0 },
	{ "esp", make_esp, THINGS_R_PASS_EXTHDR_UNKNOWN, NO_APP, 0 },
	{ "no-next-header", make_no_next_header, THINGS_R_PASS_EXTHDR_UNKNOWN,
	  NO_APP, 0 },
	{ "five-ext-headers", make_five_headers, THINGS_R_PASS_EXTHDR_LIMIT, NO_APP, 0 },
	{ "echo-no-prefix", make_no_prefix, THINGS_R_PASS_NO_PREFIX, NO_APP, 0 },
	{ "ns-no-prefix", make_ns_no_prefix, THINGS_R_PASS_NO_PREFIX, NO_APP, 0 },
	{ "echo-host", make_host_echo, THINGS_R_PASS_HOST, NO_APP, 0 },
	{ "ns-host", make_ns_host, THINGS_R_PASS_HOST, NO_APP, 0 },
	{ "app-id-out-of-range", make_app_out_of_range, THINGS_R_PASS_APP_INVALID,
	  NO_APP, 0 },
	{ "tcp", make_tcp_syn, THINGS_R_PASS_NOT_ICMP, APP_ECHO, THINGS_ACT_PASS },
	{ "udp", make_udp, THINGS_R_PASS_NOT_ICMP, APP_ONLINK, THINGS_ACT_PASS },
	{ "na", make_na, THINGS_R_PASS_ICMP_OTHER, APP_ONLINK, THINGS_ACT_PASS },
	{ "rs", make_rs, THINGS_R_PASS_ICMP_OTHER, APP_ONLINK, THINGS_ACT_PASS },
	{ "echo-reply", make_echo_reply, THINGS_R_PASS_ICMP_OTHER, APP_ECHO,
	  THINGS_ACT_PASS },
	{ "dest-unreachable", make_unreachable, THINGS_R_PASS_ICMP_OTHER, APP_ECHO,
	  THINGS_ACT_PASS },
};

DEFINE_TEST(pass)
{
	for (size_t i = 0; i < ARRAY_SIZE(passed); i++) {
		struct frame in;

		if (!test_start("%s", passed[i].name))
			continue;
		passed[i].build(&in);
		check_xdp(env, &in, &(struct expect){ XDP_PASS, NULL, passed[i].reason,
			  passed[i].app, passed[i].action });
	}
}
