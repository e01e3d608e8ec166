// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Apps that read the address change state only for a request whose ICMPv6
 * checksum is right over the pseudo-header and the whole message (RFC 4443
 * 2.3), whatever its length; a wrong one goes to the kernel to be counted
 * and dropped there. The tree app shows which: every right request lights
 * a light.
 */
#include <string.h>

#include "apps.h"
#include "test.h"
#include "world.h"

/* The longest message a frame can carry here. */
#define MAX_DATA (FRAME_MAX - 14 - 40 - ICMP6_HDR_LEN)

/* Runs in (or, corrupt_off >= 0, in with the byte there flipped): lit, or
 * passed with the tree unchanged. counted: the counters are checked too,
 * else the verdict, the frame and the tree only (the sweep below runs
 * over a thousand frames). */
static bool run_tree(const struct test_env *env, const struct frame *in,
		     const struct frame *out, long corrupt_off, bool counted)
{
	struct things_tree before, after;
	bool good = corrupt_off < 0;
	struct xdp_result res;
	struct frame bad = *in;
	bool ok;

	if (!good)
		bad.b[corrupt_off] ^= 0x10;
	if (!ASSERT_OK(tree_get(env, APP_TREE, &before), "read the tree"))
		return false;
	if (counted && good) {
		ok = check_app(env, in, out, THINGS_R_TREE_LIT, APP_TREE, THINGS_ACT_APP_UPDATE);
	} else if (counted) {
		ok = check_app_passed(env, &bad, THINGS_R_APP_CHECKSUM, APP_TREE);
	} else {
		ok = ASSERT_OK(env_run(env, bad.b, bad.len, &res), "BPF_PROG_TEST_RUN") &&
		     ASSERT_EQ(res.verdict, good ? XDP_TX : XDP_PASS, "verdict") &&
		     ASSERT_MEMEQ(res.out, res.out_len, good ? out->b : bad.b,
				  good ? out->len : bad.len, "output frame");
	}
	if (!ok || !ASSERT_OK(tree_get(env, APP_TREE, &after), "read the tree"))
		return false;
	return ASSERT_EQ(after.lit, before.lit + good, "lights lit");
}

/* Every data length from `from` to `to`, right and with the last byte of
 * the message flipped: from 0 to 520, every combination of the pieces a
 * length is summed in. */
static void lengths(const struct test_env *env, size_t from, size_t to)
{
	struct in6_addr dst = app_addr(PREFIX_TREE, "\0\0\0\x10\0\x20\0\x30");
	struct frame in, out;

	for (size_t len = from; len <= to; len++) {
		app_pair(&in, &out, REMOTE, &dst, len);
		test_log("data length %zu", len);
		if (!run_tree(env, &in, &out, -1, false) ||
		    !run_tree(env, &in, &out, (long)in.len - 1, false))
			return;
	}
}

/* Long messages, wrong in each part: the 512-byte chunks, the pieces
 * after them and the last odd bytes. */
static void long_message(const struct test_env *env, size_t len)
{
	struct in6_addr dst = app_addr(PREFIX_TREE, "\0\0\0\x10\0\x20\0\x30");
	struct frame in, out;
	size_t l4;

	app_pair(&in, &out, REMOTE, &dst, len);
	l4 = in.l4_off;
	if (!run_tree(env, &in, &out, -1, true))
		return;
	/* From the code byte on: a changed type is another message. */
	for (size_t at = 1; at < ICMP6_HDR_LEN + len; at += 509)
		if (!run_tree(env, &in, &out, (long)(l4 + at), true))
			return;
	run_tree(env, &in, &out, (long)in.len - 1, true);
}

/* A checksum of 0 may be sent as either of its forms (RFC 1071). */
static void both_zeros(const struct test_env *env)
{
	struct in6_addr dst = app_addr(PREFIX_TREE, "\0\0\0\x01\0\x02\0\x03");
	struct frame in, out;
	size_t word;

	app_pair(&in, &out, REMOTE, &dst, 16);
	word = in.l4_off + ICMP6_HDR_LEN + 14;
	if (!ASSERT_TRUE(steer_csum(&in, word, 0x0000), "steer the checksum to 0"))
		return;
	/* The reply carries the same data, so it must too. */
	memcpy(out.b + out.l4_off + ICMP6_HDR_LEN + 14, in.b + word, 2);
	frame_finish(&out);
	if (!run_tree(env, &in, &out, -1, true))
		return;
	frame_set16(&in, frame_csum_off(&in), 0xffff);
	run_tree(env, &in, &out, -1, true);
}

/* The pseudo-header counts: a request whose source was changed after it
 * was summed is wrong. */
static void pseudo_header(const struct test_env *env)
{
	struct in6_addr dst = app_addr(PREFIX_TREE, "\0\0\0\x01\0\x02\0\x03");
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	/* The last byte of the source address. */
	run_tree(env, &in, &out, (long)(in.ip6_off + 8 + 15), true);
}

/* Ethernet padding is outside the message: it is not summed. */
static void padding(const struct test_env *env)
{
	struct in6_addr dst = app_addr(PREFIX_TREE, "\0\0\0\x01\0\x02\0\x03");
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, 1);
	frame_fill(&in, 0xa5, 5);
	run_tree(env, &in, &out, -1, true);
}

DEFINE_TEST(app_checksum)
{
	if (test_start("lengths-0-to-520"))
		lengths(env, 0, 520);
	if (test_start("lengths-around-1024"))
		lengths(env, 1024 - 16, 1024 + 16);
	if (test_start("ping-s-1452"))
		long_message(env, 1452);
	if (test_start("two-chunks-and-pieces"))
		long_message(env, 2 * 512 + 256 + 64 + 4 + 3 - ICMP6_HDR_LEN);
	if (test_start("longest-frame"))
		long_message(env, MAX_DATA);
	if (test_start("zero-both-forms"))
		both_zeros(env);
	if (test_start("pseudo-header-counts"))
		pseudo_header(env);
	if (test_start("padding-not-summed"))
		padding(env);
}
