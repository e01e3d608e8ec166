// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-source token buckets in front of the apps that read the address.
 * Whether a request may go on depends on the time between requests, so
 * the test does not guess it: it reads the bucket before and after each
 * request and works out, with its own arithmetic, what the program had to
 * decide given the times it recorded. Buckets planted with a time ahead of
 * the program's clock (which it must never wind back) pin the cases where
 * the verdict has to be "over the rate".
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "apps.h"
#include "test.h"
#include "world.h"

#define UNIT 1000000000ULL	/* tokens per request */
#define HOUR_NS (3600ULL * 1000000000ULL)
#define OTHER_64 "2001:db8:fe::2"	/* another /64 than REMOTE's */
#define SAME_64 "2001:db8:ff::3"	/* REMOTE's /64 */

static __u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* Written apart from the program's: bit by bit. */
static struct things_rate_key key_of(int app, const char *src, unsigned int prefix_len)
{
	struct things_rate_key k = { .app_id = (__u32)app };
	struct in6_addr a = addr6(src);

	for (unsigned int bit = 0; bit < 128; bit++)
		if (bit < prefix_len && (a.s6_addr[bit / 8] & (0x80 >> (bit % 8))))
			k.src[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	return k;
}

static bool bucket_get(const struct test_env *env, const struct things_rate_key *k,
		       struct things_rate_bucket *b)
{
	return !bpf_map_lookup_elem(env->rate_fd, k, b);
}

static void bucket_set(const struct test_env *env, const struct things_rate_key *k,
		       __u64 tokens, __u64 last_ns)
{
	struct things_rate_bucket b = { .last_ns = last_ns, .tokens = tokens };

	ASSERT_OK(bpf_map_update_elem(env->rate_fd, k, &b, BPF_ANY) ? -errno : 0, "plant a bucket");
}

static int buckets_count(const struct test_env *env, bool clear)
{
	struct things_rate_key k, next;
	int n = 0;

	while (!bpf_map_get_next_key(env->rate_fd, n && !clear ? &k : NULL, &next)) {
		if (clear && bpf_map_delete_elem(env->rate_fd, &next))
			return -errno;
		k = next;
		n++;
	}
	return n;
}

static void rate_set(const struct test_env *env, int app, __u32 rate, __u32 burst,
		     __u8 prefix_len)
{
	struct things_app_cfg cfg = world_app_cfg(app);

	cfg.rate = rate;
	cfg.burst = burst;
	cfg.rate_prefix = prefix_len;
	ASSERT_OK(app_cfg_set(env, app, &cfg), "set the rate");
}

/*
 * What the bucket had to decide: refilled at rate per second for the time
 * between the two times it recorded, up to the burst, then one request
 * taken if there is one. A new bucket starts full.
 */
static bool must_allow(const struct things_app_cfg *cfg, bool existed,
		       const struct things_rate_bucket *before,
		       const struct things_rate_bucket *after, __u64 *tokens)
{
	unsigned __int128 cap = (unsigned __int128)(cfg->burst ? cfg->burst : 1) * UNIT;
	unsigned __int128 t = cap;

	if (existed) {
		t = before->tokens < cap ? before->tokens : cap;
		if (after->last_ns > before->last_ns)
			t += (unsigned __int128)(after->last_ns - before->last_ns) * cfg->rate;
		else
			ASSERT_EQ(after->last_ns, before->last_ns, "the bucket's time never goes back");
		if (t > cap)
			t = cap;
	}
	if (t < UNIT) {
		*tokens = (__u64)t;
		return false;
	}
	*tokens = (__u64)(t - UNIT);
	return true;
}

/*
 * Sends a request from src to a tree app (iid chosen by the caller): it
 * must be judged over the rate, or else as `reason`. Returns 1 if it went
 * through, 0 if it was over the rate, -1 on a failure.
 */
static int request(const struct test_env *env, int app, const char *src, const char *iid,
		enum things_reason reason)
{
	const char *prefix = app == APP_TREE ? PREFIX_TREE : PREFIX_TREE_SILENT;
	struct in6_addr dst = app_addr(prefix, iid);
	struct things_rate_bucket before = { 0 }, after;
	struct things_tree t0, t1;
	struct things_app_cfg cfg;
	struct things_rate_key key;
	struct xdp_run run;
	struct frame in, out;
	bool existed, allowed;
	__u64 tokens;

	if (!ASSERT_OK(app_cfg_get(env, app, &cfg), "read the settings"))
		return -1;
	key = key_of(app, src, cfg.rate_prefix);
	app_pair(&in, &out, src, &dst, APP_DATA_LEN);
	existed = bucket_get(env, &key, &before);
	if (!ASSERT_OK(tree_get(env, app, &t0), "read the tree") ||
	    !ASSERT_OK(xdp_run(env, &in, &run), "run the request") ||
	    !ASSERT_OK(tree_get(env, app, &t1), "read the tree") ||
	    !ASSERT_TRUE(bucket_get(env, &key, &after), "the source has a bucket"))
		return -1;
	allowed = must_allow(&cfg, existed, &before, &after, &tokens);
	test_log("bucket %s: %llu tokens at %llu, then %llu at %llu: %s",
		 existed ? "existed" : "new", (unsigned long long)before.tokens,
		 (unsigned long long)before.last_ns, (unsigned long long)after.tokens,
		 (unsigned long long)after.last_ns, allowed ? "allowed" : "over the rate");
	ASSERT_EQ(after.tokens, tokens, "tokens left");
	if (allowed) {
		if (!judge_xdp_at(__FILE__, __LINE__, &in, &run, &(struct expect){
				  app_is_silent(app) ? XDP_DROP : XDP_TX,
				  app_is_silent(app) ? NULL : &out, reason, app,
				  reason == THINGS_R_TREE_LIT ? THINGS_ACT_APP_UPDATE :
				  THINGS_ACT_APP_IGNORED }))
			return -1;
	} else if (!judge_xdp_at(__FILE__, __LINE__, &in, &run, &(struct expect){
				 XDP_DROP, NULL, THINGS_R_APP_RATE_LIMITED, app,
				 THINGS_ACT_RATE_LIMITED })) {
		return -1;
	}
	if (!ASSERT_EQ(t1.lit, t0.lit + (allowed && reason == THINGS_R_TREE_LIT), "lights lit"))
		return -1;
	return allowed;
}

#define RED "\0\0\0\xff\0\0\0\0"
#define BAD_COLOUR "\0\0\x01\0\0\0\0\0"

/* A source gets its burst, then is over the rate; others are not. */
static void burst(const struct test_env *env)
{
	int got[5], limited = 0;

	rate_set(env, APP_TREE, 1, 3, 64);
	if (!ASSERT_TRUE(buckets_count(env, true) >= 0, "clear the buckets"))
		return;
	for (int i = 0; i < 5; i++) {
		got[i] = request(env, APP_TREE, REMOTE, RED, THINGS_R_TREE_LIT);
		if (got[i] < 0)
			return;
		limited += !got[i];
	}
	/* New and full: the first three always go through. */
	ASSERT_TRUE(got[0] && got[1] && got[2], "the burst goes through");
	/* A refill of a request takes a second between these requests. */
	test_log("%d of 5 over the rate", limited);
	/* Flooding REMOTE's bucket empty leaves other /64s alone... */
	ASSERT_EQ(request(env, APP_TREE, OTHER_64, RED, THINGS_R_TREE_LIT), 1, "another /64");
	/* ...but not REMOTE's neighbours in its /64. */
	ASSERT_TRUE(request(env, APP_TREE, SAME_64, RED, THINGS_R_TREE_LIT) >= 0, "the same /64");
	ASSERT_EQ(buckets_count(env, false), 2, "one bucket per /64");
}

/* Planted with a time ahead of the program's clock, a bucket gets no
 * refill: exactly what it holds decides. */
static void frozen(const struct test_env *env, int app, __u64 tokens, const char *iid,
		   enum things_reason reason, int want)
{
	struct things_rate_key key = key_of(app, REMOTE, 64);

	rate_set(env, app, 1, 2, 64);
	bucket_set(env, &key, tokens, mono_now() + HOUR_NS);
	ASSERT_EQ(request(env, app, REMOTE, iid, reason), want, "through (1) or over the rate (0)");
}

static void bad_checksum_first(const struct test_env *env)
{
	struct things_rate_key key = key_of(APP_TREE, REMOTE, 64);
	struct in6_addr dst = app_addr(PREFIX_TREE, RED);
	struct things_rate_bucket before, after;
	struct frame in, out;

	rate_set(env, APP_TREE, 1, 2, 64);
	bucket_set(env, &key, UNIT, mono_now() + HOUR_NS);
	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	in.b[in.len - 1] ^= 1;
	if (ASSERT_TRUE(bucket_get(env, &key, &before), "the bucket") &&
	    check_app_passed(env, &in, THINGS_R_APP_CHECKSUM, APP_TREE) &&
	    ASSERT_TRUE(bucket_get(env, &key, &after), "the bucket"))
		ASSERT_MEMEQ(&after, sizeof(after), &before, sizeof(before),
			     "no token taken for a wrong checksum");
}

/* Idle since boot at the highest rate and burst: a product that would
 * overflow many times over must still fill the bucket exactly. */
static void overflow(const struct test_env *env, __u32 burst, __u64 last_ns)
{
	struct things_rate_key key = key_of(APP_TREE, REMOTE, 64);
	struct things_rate_bucket b;

	rate_set(env, APP_TREE, UINT32_MAX, burst, 64);
	bucket_set(env, &key, 0, last_ns);
	if (ASSERT_EQ(request(env, APP_TREE, REMOTE, RED, THINGS_R_TREE_LIT), 1, "through") &&
	    ASSERT_TRUE(bucket_get(env, &key, &b), "the bucket"))
		ASSERT_EQ(b.tokens, (__u64)burst * UNIT - UNIT, "full, less one request");
}

/* Sources are grouped by their first rate_prefix bits. */
static void prefix_lengths(const struct test_env *env)
{
	static const unsigned int lens[] = { 0, 1, 7, 48, 63, 64, 65, 100, 127, 128, 200 };
	static const char *src = "2001:db8:ff:ffff:ffff:ffff:ffff:fffe";

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		struct things_rate_key key = key_of(APP_TREE, src, lens[i]);
		struct things_rate_bucket b;

		test_log("rate_prefix %u", lens[i]);
		rate_set(env, APP_TREE, 1000, 10, (__u8)lens[i]);
		if (!ASSERT_TRUE(buckets_count(env, true) >= 0, "clear the buckets") ||
		    !ASSERT_EQ(request(env, APP_TREE, src, RED, THINGS_R_TREE_LIT), 1, "through") ||
		    !ASSERT_EQ(buckets_count(env, false), 1, "one bucket") ||
		    !ASSERT_TRUE(bucket_get(env, &key, &b), "the bucket under the masked source"))
			return;
	}
}

static void no_rate(const struct test_env *env)
{
	struct in6_addr dst = app_addr(PREFIX_TREE, RED);
	struct frame in, out;

	rate_set(env, APP_TREE, 0, 5, 64);
	if (!ASSERT_TRUE(buckets_count(env, true) >= 0, "clear the buckets"))
		return;
	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	for (int i = 0; i < 10; i++)
		if (!check_app(env, &in, &out, THINGS_R_TREE_LIT, APP_TREE, THINGS_ACT_APP_UPDATE))
			return;
	ASSERT_EQ(buckets_count(env, false), 0, "no buckets");
}

/* The app is part of the key: a source over one app's rate is not over
 * another's. */
static void per_app(const struct test_env *env)
{
	frozen(env, APP_TREE, 0, RED, THINGS_R_TREE_LIT, 0);
	rate_set(env, APP_TREE_SILENT, 1, 1, 64);
	ASSERT_EQ(request(env, APP_TREE_SILENT, REMOTE, RED, THINGS_R_TREE_LIT), 1,
		  "the other app's bucket");
}

DEFINE_TEST(ratelimit)
{
	if (test_start("burst-then-over-the-rate"))
		burst(env);
	if (test_start("empty-bucket-drops"))
		frozen(env, APP_TREE, UNIT - 1, RED, THINGS_R_TREE_LIT, 0);
	if (test_start("one-token-goes-through"))
		frozen(env, APP_TREE, UNIT, RED, THINGS_R_TREE_LIT, 1);
	if (test_start("over-burst-clamped"))
		frozen(env, APP_TREE, 100 * UNIT, RED, THINGS_R_TREE_LIT, 1);
	if (test_start("before-decoding"))
		frozen(env, APP_TREE, 0, BAD_COLOUR, THINGS_R_TREE_BAD_COLOUR, 0);
	if (test_start("decoded-when-through"))
		frozen(env, APP_TREE, UNIT, BAD_COLOUR, THINGS_R_TREE_BAD_COLOUR, 1);
	if (test_start("silent-over-the-rate"))
		frozen(env, APP_TREE_SILENT, 0, RED, THINGS_R_TREE_LIT, 0);
	if (test_start("silent-through"))
		frozen(env, APP_TREE_SILENT, 5 * UNIT, RED, THINGS_R_TREE_LIT, 1);
	if (test_start("after-the-checksum"))
		bad_checksum_first(env);
	if (test_start("refill-capped-at-burst")) {
		struct things_rate_key key = key_of(APP_TREE, REMOTE, 64);

		rate_set(env, APP_TREE, 1, 3, 64);
		bucket_set(env, &key, 0, mono_now() - 10 * 1000000000ULL);
		ASSERT_EQ(request(env, APP_TREE, REMOTE, RED, THINGS_R_TREE_LIT), 1, "through");
	}
	if (test_start("idle-since-boot-highest-rate"))
		overflow(env, UINT32_MAX, 0);
	if (test_start("highest-rate-burst-1"))
		overflow(env, 1, mono_now() - 1000);
	if (test_start("prefix-lengths"))
		prefix_lengths(env);
	if (test_start("rate-0-no-limit"))
		no_rate(env);
	if (test_start("per-app"))
		per_app(env);
}
