// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * trace: probes of traceroute's three kinds to a story, each hop limit
 * from 0 to past the end, with the headers varied; Time Exceeded and Port
 * Unreachable compared byte for byte with frames built here from the RFC
 * 4443 layout, and the quote cut at 1280 bytes.
 */
#include <string.h>

#include "apps.h"
#include "test.h"
#include "trace.h"
#include "world.h"

#define DATA_LEN 32	/* traceroute -6 sends 40-byte UDP probes */

static void hop(const struct test_env *env, enum probe_kind kind, const char *dst,
		unsigned int hops, unsigned int variants, uint8_t hl, const struct in6_addr *line,
		size_t len)
{
	struct hdrs h = hdrs_to(REMOTE, "::");
	struct frame in;

	hdrs_vary(&h, variants);
	probe_build(&in, &h, kind, dst, hl, len);
	if (line)
		expect_time_exceeded(env, &in, &h, line);
	else
		expect_end(env, &in, &h, kind, hops);
}

/* Hop limits 1..3 tell the list story; 0 and past the end reach the
 * destination. */
static void list_story(const struct test_env *env, enum probe_kind kind, unsigned int variants)
{
	static const uint8_t ends[] = { 0, STORY_LIST_HOPS + 1, 64, 255 };

	for (unsigned int hl = 1; hl <= STORY_LIST_HOPS; hl++) {
		struct in6_addr line = story_list_line(hl);

		test_log("hop limit %u", hl);
		hop(env, kind, STORY_LIST, STORY_LIST_HOPS, variants, (uint8_t)hl, &line, DATA_LEN);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ends); i++) {
		test_log("hop limit %u", ends[i]);
		hop(env, kind, STORY_LIST, STORY_LIST_HOPS, variants, ends[i], NULL, DATA_LEN);
	}
}

/* The address story: the last four nibbles pick hop h's line. */
static void address_story(const struct test_env *env, enum probe_kind kind, const char *dst,
			  const unsigned int fields[STORY_ADDR_HOPS])
{
	for (unsigned int hl = 1; hl <= STORY_ADDR_HOPS; hl++) {
		struct in6_addr line = story_addr_line(hl, fields[hl - 1]);

		hop(env, kind, dst, STORY_ADDR_HOPS, 0, (uint8_t)hl, &line, DATA_LEN);
	}
	hop(env, kind, dst, STORY_ADDR_HOPS, 0, STORY_ADDR_HOPS + 1, NULL, DATA_LEN);
}

/*
 * Probes whose IPv6 packet is around the 1280-byte limit of an error: the
 * quote is the whole packet up to 1232 bytes, then cut. len: bytes of IPv6
 * packet wanted, extension headers included.
 */
static void near_limit(const struct test_env *env, enum probe_kind kind, unsigned int variants,
		       size_t ip6_len)
{
	static const size_t l4_hdr[PROBE_KINDS] = { 8, 8, 20 };
	struct hdrs h = hdrs_to(REMOTE, "::");
	struct in6_addr line = story_list_line(2);
	size_t ext = 0;
	struct frame in;

	hdrs_vary(&h, variants);
	for (size_t i = 0; i < h.n_ext; i++)
		ext += h.ext[i].units * 8;
	probe_build(&in, &h, kind, STORY_LIST, 2, ip6_len - 40 - ext - l4_hdr[kind]);
	if (!ASSERT_EQ(in.len - in.ip6_off, ip6_len, "probe size"))
		return;
	expect_time_exceeded(env, &in, &h, &line);
	/* At the end, too: Port Unreachable quotes the same way. */
	if (kind == PROBE_UDP) {
		probe_build(&in, &h, kind, STORY_LIST, STORY_LIST_HOPS + 1,
			    ip6_len - 40 - ext - l4_hdr[kind]);
		expect_end(env, &in, &h, kind, STORY_LIST_HOPS);
	}
}

/* Ethernet padding after a short probe is not part of what is quoted. */
static void padded(const struct test_env *env, enum probe_kind kind, uint8_t hl)
{
	struct hdrs h = hdrs_to(REMOTE, "::");
	struct in6_addr line = story_list_line(hl);
	struct frame in;

	probe_build(&in, &h, kind, STORY_LIST, hl, 0);
	frame_fill(&in, 0xee, 24);
	if (hl <= STORY_LIST_HOPS)
		expect_time_exceeded(env, &in, &h, &line);
	else
		expect_end(env, &in, &h, kind, STORY_LIST_HOPS);
}

static const struct {
	const char *name;
	unsigned int variants;
} variations[] = {
	{ "vlan", VAR_VLAN },
	{ "qinq", VAR_QINQ },
	{ "class-flow", VAR_CLASS_FLOW },
	{ "hop-by-hop", VAR_HBH },
	{ "dstopts", VAR_DSTOPTS },
	{ "routing", VAR_ROUTING },
	{ "four-ext", VAR_FOUR_EXT },
	{ "vlan-four-ext", VAR_VLAN | VAR_FOUR_EXT | VAR_CLASS_FLOW },
};

/* Sizes of the probe's IPv6 packet: up to, at and past 1232 quoted bytes. */
static const size_t sizes[] = { 1231, 1232, 1233, 1280, 1500, 3000 };

DEFINE_TEST(trace)
{
	static const unsigned int f1234[] = { 1, 2, 3, 4 }, ffedc[] = { 15, 14, 13, 12 },
				  f0000[] = { 0, 0, 0, 0 };

	for (int k = 0; k < PROBE_KINDS; k++) {
		if (test_start("list-%s", probe_names[k]))
			list_story(env, k, 0);
		for (size_t v = 0; v < ARRAY_SIZE(variations); v++)
			if (test_start("list-%s-%s", probe_names[k], variations[v].name))
				list_story(env, k, variations[v].variants);
		if (test_start("address-%s-1234", probe_names[k]))
			address_story(env, k, STORY_ADDR "1234", f1234);
		if (test_start("address-%s-fedc", probe_names[k]))
			address_story(env, k, STORY_ADDR "ffff:fedc", ffedc);
		if (test_start("address-%s-0000", probe_names[k]))
			address_story(env, k, STORY_ADDR "1:0", f0000);
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			if (test_start("limit-%s-%zu", probe_names[k], sizes[i]))
				near_limit(env, k, 0, sizes[i]);
			if (test_start("limit-%s-%zu-vlan-ext", probe_names[k], sizes[i]))
				near_limit(env, k, VAR_VLAN | VAR_FOUR_EXT, sizes[i]);
		}
		if (test_start("padding-%s-hop", probe_names[k]))
			padded(env, k, 1);
		if (test_start("padding-%s-end", probe_names[k]))
			padded(env, k, STORY_LIST_HOPS + 1);
	}
}
