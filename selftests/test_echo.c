// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ICMPv6 echo: requests to any address of an app's prefix come back as
 * replies built in place; requests that may not be answered are passed or,
 * for a silent app, dropped.
 */
#include <string.h>

#include "env.h"
#include "test.h"
#include "world.h"

#define ECHO_ID		0x4242
#define ECHO_SEQ	7

static void fill_pattern(uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + 3);
}

/* A request and the reply it must turn into. */
static void build_pair(struct frame *in, struct frame *out, const struct hdrs *req,
		       uint8_t code, const uint8_t *data, size_t len)
{
	build_echo_pair(in, out, req, &(struct echo){ .type = ICMP6_ECHO_REQUEST, .code = code,
			.id = ECHO_ID, .seq = ECHO_SEQ, .data = data, .data_len = len });
}

static void expect_reply(const struct test_env *env, const struct frame *in,
			 const struct frame *out, int app)
{
	check_xdp(env, in, &(struct expect){ XDP_TX, out, THINGS_R_TX_ECHO_REPLY,
					     app, THINGS_ACT_ECHO_REPLY });
}

static const struct {
	const char *name;
	const char *dst;
	size_t len;
	unsigned int vary;	/* VAR_* */
	uint8_t hop_limit;	/* 0: hdrs_to()'s */
	uint8_t code;
	size_t pad;
	int app;
} replies[] = {
	{ "payload-0", "2001:db8:1::2", 0, 0, 0, 0, 0, APP_ECHO },
	{ "payload-1", "2001:db8:1:0:ffff:ffff:ffff:ffff", 1, 0, 0, 0, 0, APP_ECHO },
	{ "payload-7", "2001:db8:1:abcd::7", 7, 0, 0, 0, 0, APP_ECHO },
	{ "payload-56", "2001:db8:1::56", 56, 0, 0, 0, 0, APP_ECHO },
	{ "payload-255", "2001:db8:1::255", 255, 0, 0, 0, 0, APP_ECHO },
	{ "payload-1000", "2001:db8:1::1000", 1000, 0, 0, 0, 0, APP_ECHO },
	{ "payload-1232", "2001:db8:1::1232", 1232, 0, 0, 0, 0, APP_ECHO },
	{ "payload-1400", "2001:db8:1::1400", 1400, 0, 0, 0, 0, APP_ECHO },
	{ "payload-1401", "2001:db8:1::1401", 1401, 0, 0, 0, 0, APP_ECHO },
	{ "onlink-prefix", "2001:db8:2:3::42", 32, 0, 0, 0, 0, APP_ONLINK },
	{ "router-prefix", "fd00:0:0:1::9", 32, 0, 0, 0, 0, APP_ROUTER },
	{ "longest-match-subnet", "2001:db8:1:ff::9", 8, 0, 0, 0, 0, APP_SUBNET },
	{ "code-nonzero", "2001:db8:1::3", 8, 0, 0, 3, 0, APP_ECHO },
	{ "class-and-flow-kept", "2001:db8:1::4", 16, VAR_CLASS_FLOW, 0, 0, 0, APP_ECHO },
	{ "hop-limit-1", "2001:db8:1::5", 16, 0, 1, 0, 0, APP_ECHO },
	{ "hop-limit-255", "2001:db8:1::6", 16, 0, 255, 0, 0, APP_ECHO },
	{ "vlan-8021q", "2001:db8:1::7", 24, VAR_VLAN, 0, 0, 0, APP_ECHO },
	{ "vlan-8021ad", "2001:db8:1::8", 24, VAR_QINQ, 0, 0, 0, APP_ECHO },
	{ "padding-trimmed", "2001:db8:1::9", 0, 0, 0, 0, 12, APP_ECHO },
	{ "padding-odd-payload", "2001:db8:1::a", 3, 0, 0, 0, 1, APP_ECHO },
	{ "hop-by-hop-removed", "2001:db8:1::b", 40, VAR_HBH, 0, 0, 0, APP_ECHO },
	{ "dest-opts-removed", "2001:db8:1::c", 40, VAR_DSTOPTS, 0, 0, 0, APP_ECHO },
	{ "routing-done-removed", "2001:db8:1::d", 40, VAR_ROUTING, 0, 0, 0, APP_ECHO },
	{ "four-headers-removed", "2001:db8:1::e", 100, VAR_FOUR_EXT, 0, 0, 0, APP_ECHO },
	{ "four-headers-padded", "2001:db8:1::e", 1, VAR_FOUR_EXT, 0, 0, 9, APP_ECHO },
	{ "vlan-options-removed", "2001:db8:1::f", 64,
	  VAR_VLAN | VAR_HBH | VAR_ROUTING | VAR_CLASS_FLOW, 0, 0, 4, APP_ECHO },
	{ "qinq-options-removed", "2001:db8:1::10", 64, VAR_QINQ | VAR_DSTOPTS,
	  0, 0, 0, APP_ECHO },
};

/*
 * Checksum edges. The reply's checksum is the request's, updated for the
 * type change (adding 0x8100 - 0x8000 in one's complement); here the
 * payload's last word is chosen so that either the request's or the reply's
 * checksum lands on a value where an end-around carry, or the two zeros of
 * one's complement, could go wrong: for requests near 0x0100 the update's
 * sum carries out of 16 bits, 0x00ff even twice over.
 * A reply of 0xffff cannot be asked for: a sum that includes the non-zero
 * type word never folds to 0, so neither a fresh nor an updated checksum
 * is 0xffff.
 */
static const struct {
	const char *name;
	bool steer_reply;	/* false: steer the request's checksum */
	uint16_t want;
	bool negative_zero;	/* send 0x0000 as its other form, 0xffff */
} csum_edges[] = {
	{ "request-csum-0000", false, 0x0000, false },
	{ "request-csum-ffff", false, 0x0000, true },
	{ "request-csum-0001", false, 0x0001, false },
	{ "request-csum-00fe", false, 0x00fe, false },
	{ "request-csum-00ff", false, 0x00ff, false },
	{ "request-csum-0100", false, 0x0100, false },
	{ "request-csum-0101", false, 0x0101, false },
	{ "request-csum-7fff", false, 0x7fff, false },
	{ "request-csum-8000", false, 0x8000, false },
	{ "request-csum-80ff", false, 0x80ff, false },
	{ "request-csum-8100", false, 0x8100, false },
	{ "request-csum-fffe", false, 0xfffe, false },
	{ "reply-csum-0000", true, 0x0000, false },
	{ "reply-csum-0001", true, 0x0001, false },
	{ "reply-csum-00ff", true, 0x00ff, false },
	{ "reply-csum-7eff", true, 0x7eff, false },
	{ "reply-csum-7f00", true, 0x7f00, false },
	{ "reply-csum-feff", true, 0xfeff, false },
	{ "reply-csum-fffe", true, 0xfffe, false },
};

#define CSUM_DATA_LEN 16

static void csum_edge(const struct test_env *env, bool steer_reply, uint16_t want,
		      bool negative_zero)
{
	struct hdrs req = hdrs_to(REMOTE, "2001:db8:1:0:c5::1");
	size_t word = ICMP6_HDR_LEN + CSUM_DATA_LEN - 2;
	uint8_t data[CSUM_DATA_LEN];
	struct frame in, out, *steered = steer_reply ? &out : &in;

	fill_pattern(data, sizeof(data));
	build_pair(&in, &out, &req, 0, data, sizeof(data));
	if (!ASSERT_TRUE(steer_csum(steered, steered->l4_off + word, want),
			 "a payload word reaches the checksum"))
		return;
	memcpy(data + sizeof(data) - 2, steered->b + steered->l4_off + word, 2);
	build_pair(&in, &out, &req, 0, data, sizeof(data));
	if (!ASSERT_EQ(frame_get16(steered, frame_csum_off(steered)), want, "steered checksum"))
		return;
	if (negative_zero)
		frame_set16(&in, frame_csum_off(&in), 0xffff);
	expect_reply(env, &in, &out, APP_ECHO);
}

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };

/* Requests that reach an app but get no reply. */
static const struct {
	const char *name;
	const char *src, *dst;
	const uint8_t *eth_dst;	/* NULL: ours */
	enum xdp_action verdict;
	enum things_reason reason;
	int app;
	enum things_action action;
} refused[] = {
	{ "dst-multicast", REMOTE, "ff3e:30:2001:db8:1::1", all_nodes_mac, XDP_PASS,
	  THINGS_R_PASS_DST_MULTICAST, APP_MCAST, THINGS_ACT_PASS },
	/* A reply would come from a group MAC. */
	{ "eth-dst-broadcast", REMOTE, "2001:db8:1::2", broadcast, XDP_PASS,
	  THINGS_R_PASS_L2_GROUP, APP_ECHO, THINGS_ACT_PASS },
	{ "eth-dst-multicast", REMOTE, "2001:db8:1::2", all_nodes_mac, XDP_PASS,
	  THINGS_R_PASS_L2_GROUP, APP_ECHO, THINGS_ACT_PASS },
	{ "src-multicast", "ff02::1", "2001:db8:1::2", NULL, XDP_PASS,
	  THINGS_R_PASS_SRC_INVALID, APP_ECHO, THINGS_ACT_INVALID },
	{ "src-unspecified", "::", "2001:db8:1::2", NULL, XDP_PASS,
	  THINGS_R_PASS_SRC_INVALID, APP_ECHO, THINGS_ACT_INVALID },
	{ "silent", REMOTE, "2001:db8:5::1234", NULL, XDP_DROP,
	  THINGS_R_DROP_SILENT, APP_SILENT, THINGS_ACT_SILENT_DROP },
};

DEFINE_TEST(echo)
{
	uint8_t data[1500];
	struct frame in, out;

	fill_pattern(data, sizeof(data));
	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		struct hdrs req = hdrs_to(REMOTE, replies[i].dst);

		if (!test_start("%s", replies[i].name))
			continue;
		hdrs_vary(&req, replies[i].vary);
		if (replies[i].hop_limit)
			req.hop_limit = replies[i].hop_limit;
		build_pair(&in, &out, &req, replies[i].code, data, replies[i].len);
		frame_fill(&in, 0, replies[i].pad);
		expect_reply(env, &in, &out, replies[i].app);
	}

	for (size_t i = 0; i < ARRAY_SIZE(csum_edges); i++) {
		if (!test_start("%s", csum_edges[i].name))
			continue;
		csum_edge(env, csum_edges[i].steer_reply, csum_edges[i].want,
			  csum_edges[i].negative_zero);
	}

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		struct hdrs req = hdrs_to(refused[i].src, refused[i].dst);

		if (!test_start("%s", refused[i].name))
			continue;
		if (refused[i].eth_dst)
			memcpy(req.eth_dst, refused[i].eth_dst, 6);
		build_echo(&in, &req, &(struct echo){ .type = ICMP6_ECHO_REQUEST,
			   .id = ECHO_ID, .seq = ECHO_SEQ, .data = data, .data_len = 32 });
		check_xdp(env, &in, &(struct expect){ refused[i].verdict, NULL,
			  refused[i].reason, refused[i].app, refused[i].action });
	}
}
