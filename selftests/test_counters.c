// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The counters over a run of mixed traffic: every packet under exactly one
 * reason, so the reasons add up to all packets and bytes, and the app
 * counters add up to the packets that matched an app. (Each case in the
 * other groups checks its own packet's counters one at a time.)
 */
#include <stdio.h>

#include "env.h"
#include "names.h"
#include "solicit.h"
#include "test.h"
#include "world.h"

#define ROUNDS 3

static const struct {
	uint8_t type;		/* ICMPv6 type; an NS goes to dst's solicited-node group */
	const char *src, *dst;	/* NS: dst is the target */
	unsigned int ns_opts;
	enum things_reason reason;
	int app;
	enum things_action action;
} mix[] = {
	{ ICMP6_ECHO_REQUEST, REMOTE, "2001:db8:1::2", 0, THINGS_R_TX_ECHO_REPLY,
	  APP_ECHO, THINGS_ACT_ECHO_REPLY },
	{ ICMP6_ECHO_REQUEST, REMOTE, "2001:db8:1:ff::2", 0, THINGS_R_TX_ECHO_REPLY,
	  APP_SUBNET, THINGS_ACT_ECHO_REPLY },
	{ ICMP6_ECHO_REQUEST, REMOTE, "2001:db8:5::2", 0, THINGS_R_DROP_SILENT,
	  APP_SILENT, THINGS_ACT_SILENT_DROP },
	{ ICMP6_ECHO_REQUEST, REMOTE, UNKNOWN, 0, THINGS_R_PASS_NO_PREFIX, NO_APP, 0 },
	{ ICMP6_ECHO_REQUEST, REMOTE, HOST_ROUTED, 0, THINGS_R_PASS_HOST, NO_APP, 0 },
	{ ICMP6_ECHO_REPLY, REMOTE, "2001:db8:1::2", 0, THINGS_R_PASS_ICMP_OTHER,
	  APP_ECHO, THINGS_ACT_PASS },
	{ ND_NEIGHBOR_SOLICIT, NEIGHBOR, "2001:db8:2:3::42", NS_OPT_SLLA,
	  THINGS_R_TX_NA, APP_ONLINK, THINGS_ACT_NA },
	{ ND_NEIGHBOR_SOLICIT, "::", "2001:db8:2:3::43", NS_OPT_NONCE,
	  THINGS_R_TX_NA_DAD, APP_ONLINK, THINGS_ACT_NA_DAD },
	{ ND_NEIGHBOR_SOLICIT, "::", "2001:db8:2:3::44", NS_OPT_SLLA,
	  THINGS_R_NS_DAD_SLLA, APP_ONLINK, THINGS_ACT_INVALID },
	{ ND_NEIGHBOR_SOLICIT, REMOTE, "2001:db8:1::9", NS_OPT_SLLA,
	  THINGS_R_PASS_NOT_ONLINK, APP_ECHO, THINGS_ACT_PASS },
	{ ICMP6_ECHO_REQUEST, REMOTE, PREFIX_TREE "ff:0:0", 0, THINGS_R_TREE_LIT,
	  APP_TREE, THINGS_ACT_APP_UPDATE },
	{ ICMP6_ECHO_REQUEST, REMOTE, PREFIX_TREE_SILENT "100:0:0", 0,
	  THINGS_R_TREE_BAD_COLOUR, APP_TREE_SILENT, THINGS_ACT_APP_IGNORED },
	{ ICMP6_ECHO_REQUEST, REMOTE, PREFIX_CANVAS "1:1:ff00:ff", 0, THINGS_R_CANVAS_PAINTED,
	  APP_CANVAS, THINGS_ACT_APP_UPDATE },
	{ ICMP6_ECHO_REQUEST, REMOTE, PREFIX_BOARD "2020:2020:2020:2020", 0,
	  THINGS_R_BOARD_EMPTY, APP_BOARD, THINGS_ACT_APP_IGNORED },
};

static void build_mixed(size_t i, struct frame *f)
{
	static const uint8_t data[24];
	struct hdrs h;
	struct ns ns;

	if (mix[i].type == ND_NEIGHBOR_SOLICIT) {
		ns = ns_from(mix[i].src, mix[i].dst, true, mix[i].ns_opts);
		build_ns_frame(f, &ns);
		return;
	}
	h = hdrs_to(mix[i].src, mix[i].dst);
	/* Lengths differ per packet so a byte count in the wrong slot shows. */
	build_echo(f, &h, &(struct echo){ .type = mix[i].type, .data = data,
					  .data_len = i });
}

static void add(struct things_counter *c, size_t bytes)
{
	c->packets++;
	c->bytes += bytes;
}

static bool same(const struct things_counter *got, const struct things_counter *want,
		 const char *what)
{
	if (got->packets == want->packets && got->bytes == want->bytes)
		return true;
	test_fail_at(__FILE__, __LINE__,
		     "%s: expected %llu packets %llu bytes, counted %llu %llu", what,
		     (unsigned long long)want->packets, (unsigned long long)want->bytes,
		     (unsigned long long)got->packets, (unsigned long long)got->bytes);
	return false;
}

static void diff(struct things_counter *d, const struct things_counter *after,
		 const struct things_counter *before)
{
	d->packets = after->packets - before->packets;
	d->bytes = after->bytes - before->bytes;
}

static void mixed_traffic(const struct test_env *env)
{
	struct counters before, after, want = { 0 }, got;
	struct things_counter total = { 0 }, reasons = { 0 };
	struct xdp_result res;
	struct frame f;

	if (!ASSERT_OK(counters_read(env, &before), "read counters"))
		return;
	for (int round = 0; round < ROUNDS; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(mix); i++) {
			build_mixed(i, &f);
			if (!ASSERT_OK(env_run(env, f.b, f.len, &res), "BPF_PROG_TEST_RUN"))
				return;
			add(&total, f.len);
			add(&want.slot[mix[i].app == NO_APP ? 0 : mix[i].app][mix[i].reason], f.len);
		}
	}
	if (!ASSERT_OK(counters_read(env, &after), "read counters"))
		return;

	for (unsigned int a = 0; a < APPS_WATCHED; a++) {
		for (unsigned int r = 0; r < THINGS_R_MAX; r++) {
			char what[64];

			diff(&got.slot[a][r], &after.slot[a][r], &before.slot[a][r]);
			reasons.packets += got.slot[a][r].packets;
			reasons.bytes += got.slot[a][r].bytes;
			snprintf(what, sizeof(what), "app %u %s", a, things_reason_name(r));
			same(&got.slot[a][r], &want.slot[a][r], what);
		}
	}
	same(&reasons, &total, "all counters together");
}

DEFINE_TEST(counters)
{
	if (test_start("mixed-traffic-adds-up"))
		mixed_traffic(env);
}
