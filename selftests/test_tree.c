// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tree: the last three groups of the address are a colour, one byte each.
 * Each valid request lights the next light round the tree, which is read
 * back from the map and compared whole.
 */
#include <string.h>

#include "apps.h"
#include "test.h"
#include "world.h"

static __u32 lights_of(const struct test_env *env, int app)
{
	struct things_app_cfg cfg;

	if (app_cfg_get(env, app, &cfg))
		return 0;
	return cfg.lights > THINGS_TREE_MAX_LIGHTS ? THINGS_TREE_MAX_LIGHTS : cfg.lights;
}

/* Sends in to app: it must light the next light with colour (0xRRGGBB). */
static void expect_lit(const struct test_env *env, const struct frame *in,
		       const struct frame *out, int app, __u32 colour)
{
	struct things_tree before, after, want;
	__u32 lights = lights_of(env, app);

	if (!ASSERT_TRUE(lights > 0, "the tree has lights") ||
	    !ASSERT_OK(tree_get(env, app, &before), "read the tree") ||
	    !check_app(env, in, out, THINGS_R_TREE_LIT, app, THINGS_ACT_APP_UPDATE) ||
	    !ASSERT_OK(tree_get(env, app, &after), "read the tree"))
		return;
	want = before;
	want.lit++;
	want.light[before.lit % lights] = THINGS_LIGHT_ON | colour;
	ASSERT_MEMEQ(&after, sizeof(after), &want, sizeof(want), "the tree: the next light lit");
}

static void light(const struct test_env *env, int app, const char *prefix, const char *addr_iid,
		  __u32 colour)
{
	struct in6_addr dst = addr6(prefix), iid = addr6(addr_iid);
	struct frame in, out;

	memcpy(dst.s6_addr + 8, iid.s6_addr + 8, 8);
	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	expect_lit(env, &in, &out, app, colour);
}

/* A request the tree must answer without lighting anything. */
static void unlit(const struct test_env *env, int app, const char *prefix, const char *addr_iid,
		  enum things_reason reason)
{
	struct in6_addr dst = addr6(prefix), iid = addr6(addr_iid);
	struct things_tree before, after;
	struct frame in, out;

	memcpy(dst.s6_addr + 8, iid.s6_addr + 8, 8);
	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	if (!ASSERT_OK(tree_get(env, app, &before), "read the tree") ||
	    !check_app(env, &in, &out, reason, app, THINGS_ACT_APP_IGNORED) ||
	    !ASSERT_OK(tree_get(env, app, &after), "read the tree"))
		return;
	ASSERT_MEMEQ(&after, sizeof(after), &before, sizeof(before), "the tree");
}

/* The interface IDs are written as addresses: only their last 64 bits
 * count. */
static const struct {
	const char *name;
	const char *iid;
	__u32 colour;
} lit[] = {
	{ "red", "::ff:0:0", 0xff0000 },
	{ "green", "::ff:0", 0x00ff00 },
	{ "blue", "::ff", 0x0000ff },
	{ "white", "::ff:ff:ff", 0xffffff },
	{ "black-is-lit", "::", 0x000000 },
	{ "mixed", "::12:34:56", 0x123456 },
	{ "first-group-ignored", "::ffff:1:2:3", 0x010203 },
	{ "round-again", "::80:80:80", 0x808080 },
};

static const struct {
	const char *name;
	const char *iid;
} bad_colour[] = {
	{ "red-100", "::100:0:0" },
	{ "green-100", "::100:0" },
	{ "blue-100", "::100" },
	{ "blue-8000", "::8000" },
	{ "all-ffff", "::ffff:ffff:ffff" },
};

static void bad_checksum(const struct test_env *env, int app, const char *prefix)
{
	struct in6_addr dst = app_addr(prefix, "\0\0\0\0\0\xff\0");
	struct things_tree before, after;
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	/* One's complement: any single flipped bit shows. */
	in.b[in.len - APP_DATA_LEN] ^= 0x01;
	if (!ASSERT_OK(tree_get(env, app, &before), "read the tree") ||
	    !check_app_passed(env, &in, THINGS_R_APP_CHECKSUM, app) ||
	    !ASSERT_OK(tree_get(env, app, &after), "read the tree"))
		return;
	ASSERT_MEMEQ(&after, sizeof(after), &before, sizeof(before), "the tree");
}

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* What echo refuses before any app looks at the request, an app that
 * reads the address refuses alike, and changes nothing. */
static const struct {
	const char *name;
	const char *src;
	const uint8_t *eth_dst;	/* NULL: ours */
	uint8_t type;
	enum things_reason reason;
	enum things_action action;
} before_the_app[] = {
	{ "eth-dst-broadcast", REMOTE, broadcast, ICMP6_ECHO_REQUEST,
	  THINGS_R_PASS_L2_GROUP, THINGS_ACT_PASS },
	{ "src-multicast", "ff02::1", NULL, ICMP6_ECHO_REQUEST,
	  THINGS_R_PASS_SRC_INVALID, THINGS_ACT_INVALID },
	{ "src-unspecified", "::", NULL, ICMP6_ECHO_REQUEST,
	  THINGS_R_PASS_SRC_INVALID, THINGS_ACT_INVALID },
	{ "echo-reply", REMOTE, NULL, ICMP6_ECHO_REPLY,
	  THINGS_R_PASS_ICMP_OTHER, THINGS_ACT_PASS },
};

static void refused_first(const struct test_env *env, size_t i)
{
	struct hdrs h = hdrs_to(before_the_app[i].src, PREFIX_TREE "ff:0:0");
	static const uint8_t data[8];
	struct things_tree before, after;
	struct frame in;

	if (before_the_app[i].eth_dst)
		memcpy(h.eth_dst, before_the_app[i].eth_dst, 6);
	build_echo(&in, &h, &(struct echo){ .type = before_the_app[i].type, .data = data,
		   .data_len = sizeof(data) });
	if (!ASSERT_OK(tree_get(env, APP_TREE, &before), "read the tree") ||
	    !check_xdp(env, &in, &(struct expect){ XDP_PASS, NULL, before_the_app[i].reason,
		       APP_TREE, before_the_app[i].action }) ||
	    !ASSERT_OK(tree_get(env, APP_TREE, &after), "read the tree"))
		return;
	ASSERT_MEMEQ(&after, sizeof(after), &before, sizeof(before), "the tree");
}

static void lights_set(const struct test_env *env, __u16 lights)
{
	struct things_app_cfg cfg = world_app_cfg(APP_TREE);

	cfg.lights = lights;
	ASSERT_OK(app_cfg_set(env, APP_TREE, &cfg), "set the lights");
}

DEFINE_TEST(tree)
{
	for (size_t i = 0; i < ARRAY_SIZE(lit); i++)
		if (test_start("lit-%s", lit[i].name))
			light(env, APP_TREE, PREFIX_TREE, lit[i].iid, lit[i].colour);
	for (size_t i = 0; i < ARRAY_SIZE(bad_colour); i++)
		if (test_start("bad-colour-%s", bad_colour[i].name))
			unlit(env, APP_TREE, PREFIX_TREE, bad_colour[i].iid,
			      THINGS_R_TREE_BAD_COLOUR);
	for (size_t i = 0; i < ARRAY_SIZE(before_the_app); i++)
		if (test_start("refused-first-%s", before_the_app[i].name))
			refused_first(env, i);
	if (test_start("bad-checksum"))
		bad_checksum(env, APP_TREE, PREFIX_TREE);
	if (test_start("no-lights-no-state")) {
		lights_set(env, 0);
		unlit(env, APP_TREE, PREFIX_TREE, "::ff:0:0", THINGS_R_APP_NO_STATE);
		lights_set(env, TREE_LIGHTS);
	}
	if (test_start("lights-clamped")) {
		lights_set(env, 60000);
		for (int i = 0; i < 3; i++)
			light(env, APP_TREE, PREFIX_TREE, "::1:2:3", 0x010203);
		lights_set(env, TREE_LIGHTS);
	}
	if (test_start("one-light")) {
		lights_set(env, 1);
		light(env, APP_TREE, PREFIX_TREE, "::a:b:c", 0x0a0b0c);
		light(env, APP_TREE, PREFIX_TREE, "::c:b:a", 0x0c0b0a);
		lights_set(env, TREE_LIGHTS);
	}
	if (test_start("silent-lit"))
		light(env, APP_TREE_SILENT, PREFIX_TREE_SILENT, "::ff:d7:0", 0xffd700);
	if (test_start("silent-bad-colour"))
		unlit(env, APP_TREE_SILENT, PREFIX_TREE_SILENT, "::1ff:0:0",
		      THINGS_R_TREE_BAD_COLOUR);
	if (test_start("silent-bad-checksum"))
		bad_checksum(env, APP_TREE_SILENT, PREFIX_TREE_SILENT);
}
