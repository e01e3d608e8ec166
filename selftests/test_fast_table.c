// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The fast table: what thingsd builds from the trie must put longer
 * prefixes first, and a trie too big for it must leave every lookup to
 * the trie.
 */
#include <errno.h>
#include <stdio.h>

#include <bpf/bpf.h>

#include "env.h"
#include "maps.h"
#include "prefix.h"
#include "test.h"
#include "world.h"

static int read_table(const struct test_env *env, struct things_fast_table *t)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(env->fast_fd, &zero, t) ? -errno : 0;
}

static void longest_first(const struct test_env *env)
{
	struct things_fast_table t;

	if (!ASSERT_OK(things_fast_sync(env->fast_fd, env->prefixes_fd), "sync") ||
	    !ASSERT_OK(read_table(env, &t), "read the table") ||
	    !ASSERT_TRUE(t.count > 0 && t.count <= THINGS_FAST_SLOTS, "the world fits"))
		return;
	for (__u32 i = 0; i < t.count; i++) {
		const struct things_fast_entry *e = &t.entries[i];

		ASSERT_EQ(e->addr[0] & ~e->mask[0], 0, "no host bits (high half)");
		ASSERT_EQ(e->addr[1] & ~e->mask[1], 0, "no host bits (low half)");
		if (i)
			ASSERT_TRUE(t.entries[i - 1].prefixlen >= e->prefixlen,
				    "longer prefixes first");
	}
}

static void too_many_use_the_trie(const struct test_env *env)
{
	struct things_prefix_value val = { .app_id = APP_ECHO, .kind = THINGS_KIND_ECHO };
	struct things_fast_table t;
	struct xdp_result res;
	struct frame in;
	char text[64];

	for (int i = 0; i < THINGS_FAST_SLOTS; i++) {
		struct things_prefix_key key;
		const char *why;

		snprintf(text, sizeof(text), "fd00:0:1:%x::/64", i);
		if (!ASSERT_OK(things_prefix_parse(text, &key, 0, &why), "parse") ||
		    !ASSERT_OK(things_prefix_set(env->prefixes_fd, &key, &val), "add a prefix"))
			return;
	}
	if (!ASSERT_OK(things_fast_sync(env->fast_fd, env->prefixes_fd), "sync") ||
	    !ASSERT_OK(read_table(env, &t), "read the table"))
		return;
	ASSERT_EQ(t.count, 0, "table off");

	/* Answered all the same, from the trie: one of the new prefixes and
	 * one of the world's. */
	for (int i = 0; i < 2; i++) {
		struct hdrs h = hdrs_to(REMOTE, i ? "2001:db8:1::77" : "fd00:0:1:f::9");

		build_echo(&in, &h, &(struct echo){ .type = ICMP6_ECHO_REQUEST, .id = 1, .seq = 1 });
		if (ASSERT_OK(env_run(env, in.b, in.len, &res), "BPF_PROG_TEST_RUN"))
			ASSERT_EQ(res.verdict, XDP_TX, "echo answered through the trie");
	}
}

DEFINE_TEST(fast_table)
{
	if (test_start("longest-prefix-first"))
		longest_first(env);
	if (test_start("too-many-prefixes-use-the-trie"))
		too_many_use_the_trie(env);
}
