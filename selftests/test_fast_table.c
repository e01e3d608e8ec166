// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The fast table: what thingsd builds from the trie must never put an
 * entry after one that holds it, and a trie too big for it must leave
 * every lookup to the trie.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

/* Entry a holds entry b: b's prefix is inside a's. */
static bool holds(const struct things_fast_entry *a, const struct things_fast_entry *b)
{
	return a->prefixlen < b->prefixlen && (b->addr[0] & a->mask[0]) == a->addr[0] &&
	       (b->addr[1] & a->mask[1]) == a->addr[1];
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
		for (__u32 j = 0; j < i; j++)
			ASSERT_TRUE(!holds(&t.entries[j], e), "no entry after one that holds it");
	}
}

/* The host's own addresses outside every app go after the apps, and one
 * inside an app (the world's HOST_ROUTED) before that app: both still win
 * their lookups. One of the world's 16 prefixes makes room meanwhile. */
static void hosts_last(const struct test_env *env)
{
	static const char *const host_text[] = { "fd00:0:5::1/128", HOST_ROUTED "/128" };
	struct things_prefix_value host = { .kind = THINGS_KIND_HOST };
	struct things_prefix_value spare_val = { .app_id = APP_CANVAS_SILENT,
						 .kind = THINGS_KIND_CANVAS,
						 .flags = THINGS_PF_SILENT };
	struct things_prefix_key keys[2], spare;
	struct things_fast_table t;
	struct xdp_result res;
	struct frame in;
	const char *why;
	__u32 at[2] = { THINGS_FAST_SLOTS, THINGS_FAST_SLOTS };

	if (!ASSERT_OK(things_prefix_parse(PREFIX_CANVAS_SILENT "/64", &spare, 0, &why), "parse") ||
	    !ASSERT_OK(things_prefix_del(env->prefixes_fd, &spare), "make room"))
		return;
	for (int i = 0; i < 2; i++)
		if (!ASSERT_OK(things_prefix_parse(host_text[i], &keys[i], 0, &why), "parse"))
			goto cleanup;
	if (!ASSERT_OK(things_prefix_set(env->prefixes_fd, &keys[0], &host), "add a host") ||
	    !ASSERT_OK(things_fast_sync(env->fast_fd, env->prefixes_fd), "sync") ||
	    !ASSERT_OK(read_table(env, &t), "read the table") ||
	    !ASSERT_EQ(t.count, THINGS_FAST_SLOTS, "the world fits, the new host too"))
		goto cleanup;
	for (__u32 i = 0; i < t.count; i++)
		for (int h = 0; h < 2; h++)
			if (t.entries[i].prefixlen == 128 &&
			    !memcmp(t.entries[i].addr, keys[h].addr, 16))
				at[h] = i;
	ASSERT_EQ(at[0], t.count - 1, "the host address outside every app, last");
	ASSERT_TRUE(at[1] < t.count - 1, "the one inside an app among the others");
	for (int h = 0; h < 2; h++) {
		struct hdrs hd = hdrs_to(REMOTE, h ? HOST_ROUTED : "fd00:0:5::1");

		build_echo(&in, &hd, &(struct echo){ .type = ICMP6_ECHO_REQUEST, .id = 1, .seq = 1 });
		if (ASSERT_OK(env_run(env, in.b, in.len, &res), "BPF_PROG_TEST_RUN"))
			ASSERT_EQ(res.verdict, XDP_PASS, "the host's own address, to the kernel");
	}
cleanup:
	things_prefix_del(env->prefixes_fd, &keys[0]);
	things_prefix_set(env->prefixes_fd, &spare, &spare_val);
	things_fast_sync(env->fast_fd, env->prefixes_fd);
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
	if (test_start("host-addresses-outside-apps-last"))
		hosts_last(env);
	if (test_start("too-many-prefixes-use-the-trie"))
		too_many_use_the_trie(env);
}
