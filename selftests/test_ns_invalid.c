// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Neighbor Solicitations that must not be answered: each check of RFC 4861
 * 7.1.1 has its own reason, and an NS for a prefix that is not on-link, or
 * from an interface we do not know, is the kernel's. All are passed
 * untouched.
 */
#include "env.h"
#include "maps.h"
#include "solicit.h"
#include "test.h"
#include "world.h"

#define ONLINK_TARGET "2001:db8:2:3::42"

static void hop_limit_254(struct ns *ns)
{
	ns->h.hop_limit = 254;
}

static void hop_limit_1(struct ns *ns)
{
	ns->h.hop_limit = 1;
}

static void code_1(struct ns *ns)
{
	ns->code = 1;
}

static void append(struct ns *ns, const void *opt, size_t len)
{
	memcpy(ns->opts + ns->opts_len, opt, len);
	ns->opts_len += len;
}

/* One option past the 32 the program walks. */
static void option_33(struct ns *ns)
{
	uint8_t opt[8];

	append(ns, opt, nd_opt_nonce(opt, 33));
}

static void option_len_0(struct ns *ns)
{
	append(ns, (uint8_t[8]){ ND_OPT_SLLA, 0, 2, 0, 0, 0, 0, 2 }, 8);
}

/* Says 16 bytes, has 8. */
static void option_past_end(struct ns *ns)
{
	append(ns, (uint8_t[8]){ ND_OPT_SLLA, 2, 2, 0, 0, 0, 0, 2 }, 8);
}

/* Type and length, then the message ends. */
static void option_2_bytes(struct ns *ns)
{
	append(ns, (uint8_t[2]){ 200, 1 }, 2);
}

static void option_1_byte(struct ns *ns)
{
	append(ns, (uint8_t[1]){ ND_OPT_SLLA }, 1);
}

static void to_all_nodes(struct ns *ns)
{
	ns->h.dst = addr6("ff02::1");
}

/* The message cut to 20 and 8 bytes, with a checksum that fits. */
static void icmp_20(struct frame *f)
{
	f->len = f->l4_off + 20;
	frame_finish(f);
}

static void icmp_8(struct frame *f)
{
	f->len = f->l4_off + 8;
	frame_finish(f);
}

static void csum_off_by_one(struct frame *f)
{
	size_t off = frame_csum_off(f);

	frame_set16(f, off, (uint16_t)(frame_get16(f, off) + 1));
}

static void csum_zero(struct frame *f)
{
	frame_set16(f, frame_csum_off(f), 0);
}

static const struct {
	const char *name;
	const char *src, *target;
	bool to_solicited_node;
	unsigned int opts;		/* NS_OPT_* */
	void (*edit_ns)(struct ns *ns);
	void (*edit_frame)(struct frame *f);
	enum things_reason reason;
	int app;
	enum things_action action;
} refused[] = {
	{ "hop-limit-254", NEIGHBOR, ONLINK_TARGET, true, NS_OPT_SLLA, hop_limit_254,
	  NULL, THINGS_R_NS_HOP_LIMIT, APP_ONLINK, THINGS_ACT_INVALID },
	{ "hop-limit-1", NEIGHBOR, ONLINK_TARGET, false, 0, hop_limit_1, NULL,
	  THINGS_R_NS_HOP_LIMIT, APP_ONLINK, THINGS_ACT_INVALID },
	{ "code-1", NEIGHBOR, ONLINK_TARGET, true, NS_OPT_SLLA, code_1, NULL,
	  THINGS_R_NS_CODE, APP_ONLINK, THINGS_ACT_INVALID },
	/* Too short to hold a target: no prefix to count it for. */
	{ "length-20", NEIGHBOR, ONLINK_TARGET, true, 0, NULL, icmp_20,
	  THINGS_R_NS_LENGTH, NO_APP, 0 },
	{ "length-8", NEIGHBOR, ONLINK_TARGET, true, 0, NULL, icmp_8,
	  THINGS_R_NS_LENGTH, NO_APP, 0 },
	{ "too-long", NEIGHBOR, ONLINK_TARGET, true, NS_OPT_SLLA | NS_OPT_FILL,
	  option_33, NULL, THINGS_R_NS_TOO_LONG, APP_ONLINK, THINGS_ACT_INVALID },
	{ "checksum-off-by-one", NEIGHBOR, ONLINK_TARGET, true, NS_OPT_SLLA, NULL,
	  csum_off_by_one, THINGS_R_NS_CHECKSUM, APP_ONLINK, THINGS_ACT_INVALID },
	{ "checksum-zero", NEIGHBOR, ONLINK_TARGET, false, 0, NULL, csum_zero,
	  THINGS_R_NS_CHECKSUM, APP_ONLINK, THINGS_ACT_INVALID },
	{ "target-multicast", NEIGHBOR, "ff3e:30:2001:db8:1::5", false, NS_OPT_SLLA,
	  NULL, NULL, THINGS_R_NS_TARGET_MULTICAST, APP_MCAST, THINGS_ACT_INVALID },
	{ "option-length-0", NEIGHBOR, ONLINK_TARGET, true, 0, option_len_0, NULL,
	  THINGS_R_NS_OPTION_LENGTH, APP_ONLINK, THINGS_ACT_INVALID },
	{ "option-length-0-after-slla", NEIGHBOR, ONLINK_TARGET, true, NS_OPT_SLLA,
	  option_len_0, NULL, THINGS_R_NS_OPTION_LENGTH, APP_ONLINK,
	  THINGS_ACT_INVALID },
	{ "option-past-end", NEIGHBOR, ONLINK_TARGET, true, NS_OPT_NONCE,
	  option_past_end, NULL, THINGS_R_NS_OPTION_LENGTH, APP_ONLINK,
	  THINGS_ACT_INVALID },
	{ "option-2-bytes", NEIGHBOR, ONLINK_TARGET, true, NS_OPT_SLLA, option_2_bytes,
	  NULL, THINGS_R_NS_OPTION_LENGTH, APP_ONLINK, THINGS_ACT_INVALID },
	{ "option-1-byte", NEIGHBOR, ONLINK_TARGET, true, 0, option_1_byte, NULL,
	  THINGS_R_NS_OPTION_LENGTH, APP_ONLINK, THINGS_ACT_INVALID },
	{ "src-multicast", "ff02::1", ONLINK_TARGET, false, 0, NULL, NULL,
	  THINGS_R_NS_SRC_MULTICAST, APP_ONLINK, THINGS_ACT_INVALID },
	{ "dad-to-target", "::", ONLINK_TARGET, false, 0, NULL, NULL,
	  THINGS_R_NS_DAD_DST, APP_ONLINK, THINGS_ACT_INVALID },
	{ "dad-to-all-nodes", "::", ONLINK_TARGET, true, NS_OPT_NONCE, to_all_nodes,
	  NULL, THINGS_R_NS_DAD_DST, APP_ONLINK, THINGS_ACT_INVALID },
	{ "dad-with-slla", "::", ONLINK_TARGET, true, NS_OPT_SLLA, NULL, NULL,
	  THINGS_R_NS_DAD_SLLA, APP_ONLINK, THINGS_ACT_INVALID },
	{ "not-onlink", REMOTE, "2001:db8:1::5", false, NS_OPT_SLLA, NULL, NULL,
	  THINGS_R_PASS_NOT_ONLINK, APP_ECHO, THINGS_ACT_PASS },
	{ "not-onlink-subnet", REMOTE, "2001:db8:1:ff::5", true, NS_OPT_SLLA, NULL,
	  NULL, THINGS_R_PASS_NOT_ONLINK, APP_SUBNET, THINGS_ACT_PASS },
};

/* A valid NS from an interface that is not in the ifaces map. */
static void iface_unknown(const struct test_env *env)
{
	struct ns ns = ns_from(NEIGHBOR, ONLINK_TARGET, true, NS_OPT_SLLA);
	struct frame in;

	if (!ASSERT_OK(things_iface_del(env->ifaces_fd, LO_IFINDEX), "remove iface"))
		return;
	build_ns_frame(&in, &ns);
	check_xdp(env, &in, &(struct expect){ XDP_PASS, NULL,
		  THINGS_R_PASS_IFACE_UNKNOWN, APP_ONLINK, THINGS_ACT_PASS });
	ASSERT_OK(things_iface_set(env->ifaces_fd, LO_IFINDEX, MAC_IFACE, 0),
		  "restore iface");
}

DEFINE_TEST(ns_invalid)
{
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		struct ns ns = ns_from(refused[i].src, refused[i].target,
				       refused[i].to_solicited_node, refused[i].opts);
		struct frame in;

		if (!test_start("%s", refused[i].name))
			continue;
		if (refused[i].edit_ns)
			refused[i].edit_ns(&ns);
		build_ns_frame(&in, &ns);
		if (refused[i].edit_frame)
			refused[i].edit_frame(&in);
		check_xdp(env, &in, &(struct expect){ XDP_PASS, NULL, refused[i].reason,
			  refused[i].app, refused[i].action });
	}

	if (test_start("iface-unknown"))
		iface_unknown(env);
}
