// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * trace: what is no probe of a story, and the rate limits in front of
 * every ICMPv6 error (RFC 4443 2.4): per source prefix and for the host,
 * with buckets planted so that the verdict does not depend on timing.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "apps.h"
#include "test.h"
#include "trace.h"
#include "world.h"

#define UNIT 1000000000ULL
#define HOUR_NS (3600ULL * 1000000000ULL)
#define DATA_LEN 16

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static __u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void probe(struct frame *in, struct hdrs *h, enum probe_kind kind, const char *dst,
		  uint8_t hl)
{
	*h = hdrs_to(REMOTE, "::");
	probe_build(in, h, kind, dst, hl, DATA_LEN);
}

/* An address of the app that no story holds answers as an echo app's. */
static void no_story(const struct test_env *env, const char *dst)
{
	struct frame in;
	struct hdrs h;

	for (int k = 0; k < PROBE_KINDS; k++) {
		probe(&in, &h, k, dst, 1);
		if (k == PROBE_ICMP)
			expect_end(env, &in, &h, k, STORY_LIST_HOPS);
		else
			expect_left(env, &in, XDP_PASS, THINGS_R_PASS_NOT_ICMP);
	}
}

static void refused(const struct test_env *env, const char *src, const uint8_t *eth_dst,
		    enum things_reason reason)
{
	struct frame in;
	struct hdrs h;

	for (int k = 0; k < PROBE_KINDS; k++) {
		h = hdrs_to(src, "::");
		if (eth_dst)
			memcpy(h.eth_dst, eth_dst, 6);
		probe_build(&in, &h, k, STORY_LIST, 1, DATA_LEN);
		expect_left(env, &in, XDP_PASS, reason);
	}
}

static void not_probes(const struct test_env *env)
{
	struct hdrs h = hdrs_to(REMOTE, STORY_LIST);
	uint8_t body[8] = { 0 };
	struct frame in;

	h.hop_limit = 1;
	/* An echo reply is no probe (nor is any ICMPv6 error: RFC 4443 2.4 e). */
	build_echo(&in, &h, &(struct echo){ .type = ICMP6_ECHO_REPLY, .data = body,
		   .data_len = sizeof(body) });
	expect_left(env, &in, XDP_PASS, THINGS_R_PASS_ICMP_OTHER);
	build_echo(&in, &h, &(struct echo){ .type = ICMP6_TIME_EXCEEDED, .data = body,
		   .data_len = sizeof(body) });
	expect_left(env, &in, XDP_PASS, THINGS_R_PASS_ICMP_OTHER);
	/* SCTP: another protocol. */
	put_headers(&in, &h, 132);
	frame_put(&in, body, sizeof(body));
	frame_finish(&in);
	expect_left(env, &in, XDP_PASS, THINGS_R_PASS_NOT_ICMP);
	/* Headers cut short: 4 bytes of UDP, 12 of TCP (no room for a
	 * checksum, so the payload length is set by hand). */
	put_headers(&in, &h, PROTO_UDP);
	frame_put(&in, body, 4);
	frame_set16(&in, in.ip6_off + 4, 4);
	expect_left(env, &in, XDP_PASS, THINGS_R_PASS_TRUNCATED);
	put_headers(&in, &h, PROTO_TCP);
	frame_put(&in, body, 8);
	frame_put(&in, body, 4);
	frame_set16(&in, in.ip6_off + 4, 12);
	expect_left(env, &in, XDP_PASS, THINGS_R_PASS_TRUNCATED);
}

/* A Neighbor Solicitation for a story's address is NDP, not a probe: the
 * trace app is routed, so it is the kernel's. */
static void ns_not_probe(const struct test_env *env)
{
	struct in6_addr target = addr6(STORY_LIST);
	struct hdrs h = hdrs_to(NEIGHBOR, "::");
	uint8_t opt[8];
	struct frame in;

	h.dst = solicited_node(&target);
	solicited_node_mac(&target, h.eth_dst);
	h.hop_limit = 255;
	build_ns(&in, &h, 0, &target, opt, nd_opt_lla(opt, ND_OPT_SLLA, MAC_PEER));
	expect_left(env, &in, XDP_PASS, THINGS_R_PASS_NOT_ONLINK);
}

/* A story whose line is missing (being rewritten) answers nothing. */
static void gap(const struct test_env *env)
{
	struct in6_addr line = story_list_line(7);
	struct frame in;
	struct hdrs h;

	for (int k = 0; k < PROBE_KINDS; k++) {
		probe(&in, &h, k, STORY_GAP, 1);
		expect_time_exceeded(env, &in, &h, &line);
		probe(&in, &h, k, STORY_GAP, 2);
		expect_left(env, &in, XDP_PASS, THINGS_R_TRACE_NO_LINE);
		probe(&in, &h, k, STORY_GAP, 3);
		expect_end(env, &in, &h, k, 2);
	}
}

/* ---- rate limits ---- */

static struct things_rate_key source_key(void)
{
	struct things_rate_key k = { .app_id = APP_TRACE };
	struct in6_addr a = addr6(REMOTE);

	memcpy(k.src, a.s6_addr, 8);	/* its /64 */
	return k;
}

static void bucket_plant(int fd, const void *key, __u64 tokens, __u64 last_ns)
{
	struct things_rate_bucket b = { .last_ns = last_ns, .tokens = tokens };

	ASSERT_OK(bpf_map_update_elem(fd, key, &b, BPF_ANY) ? -errno : 0, "plant a bucket");
}

static __u64 tokens_of(int fd, const void *key)
{
	struct things_rate_bucket b = { 0 };

	ASSERT_OK(bpf_map_lookup_elem(fd, key, &b) ? -errno : 0, "read a bucket");
	return b.tokens;
}

/* With frozen buckets: through when there is a token, then none left. */
static void limited(const struct test_env *env, int fd, const void *key, enum probe_kind kind,
		    uint8_t hl, enum things_reason over)
{
	struct in6_addr line = story_list_line(hl);
	struct frame in;
	struct hdrs h;

	probe(&in, &h, kind, STORY_LIST, hl);
	bucket_plant(fd, key, UNIT, mono_now() + HOUR_NS);
	if (hl <= STORY_LIST_HOPS)
		expect_time_exceeded(env, &in, &h, &line);
	else
		expect_end(env, &in, &h, kind, STORY_LIST_HOPS);
	ASSERT_EQ(tokens_of(fd, key), 0, "the token taken");
	expect_left(env, &in, XDP_DROP, over);
	ASSERT_EQ(tokens_of(fd, key), 0, "no token");
}

static void source_limit(const struct test_env *env)
{
	struct things_rate_key key = source_key();

	trace_limits(env, 1, 1, 0, 0);
	limited(env, env->rate_fd, &key, PROBE_UDP, 1, THINGS_R_ERR_LIMIT_SOURCE);
	limited(env, env->rate_fd, &key, PROBE_ICMP, 2, THINGS_R_ERR_LIMIT_SOURCE);
	limited(env, env->rate_fd, &key, PROBE_TCP, 3, THINGS_R_ERR_LIMIT_SOURCE);
	/* Port Unreachable is an error too. */
	limited(env, env->rate_fd, &key, PROBE_UDP, STORY_LIST_HOPS + 1,
		THINGS_R_ERR_LIMIT_SOURCE);
}

static void global_limit(const struct test_env *env)
{
	__u32 zero = 0;

	trace_limits(env, 0, 0, 1, 1);
	limited(env, env->err_bucket_fd, &zero, PROBE_ICMP, 1, THINGS_R_ERR_LIMIT_GLOBAL);
	limited(env, env->err_bucket_fd, &zero, PROBE_UDP, STORY_LIST_HOPS + 1,
		THINGS_R_ERR_LIMIT_GLOBAL);
}

/* Both limits on (rate 1; the host's burst err_burst), both buckets
 * frozen with the tokens given. */
static void both_frozen(const struct test_env *env, __u32 err_burst, __u64 source_tokens,
			__u64 host_tokens)
{
	struct things_rate_key key = source_key();
	__u32 zero = 0;

	trace_limits(env, 1, 1, 1, err_burst);
	bucket_plant(env->rate_fd, &key, source_tokens, mono_now() + HOUR_NS);
	bucket_plant(env->err_bucket_fd, &zero, host_tokens, mono_now() + HOUR_NS);
}

/* Echo replies are no errors: an empty bucket leaves them alone. */
static void echo_not_limited(const struct test_env *env)
{
	struct frame in;
	struct hdrs h;

	both_frozen(env, 1, 0, 0);
	probe(&in, &h, PROBE_ICMP, STORY_LIST, STORY_LIST_HOPS + 1);
	expect_end(env, &in, &h, PROBE_ICMP, STORY_LIST_HOPS);
	probe(&in, &h, PROBE_TCP, STORY_LIST, STORY_LIST_HOPS + 1);
	expect_end(env, &in, &h, PROBE_TCP, STORY_LIST_HOPS);
	probe(&in, &h, PROBE_UDP, STORY_LIST, 1);
	expect_left(env, &in, XDP_DROP, THINGS_R_ERR_LIMIT_SOURCE);
}

/* The source's bucket first: a probe over it takes nothing from the
 * host's. */
static void source_before_global(const struct test_env *env)
{
	struct frame in;
	struct hdrs h;
	__u32 zero = 0;

	both_frozen(env, 5, 0, 3 * UNIT);
	probe(&in, &h, PROBE_UDP, STORY_LIST, 1);
	expect_left(env, &in, XDP_DROP, THINGS_R_ERR_LIMIT_SOURCE);
	ASSERT_EQ(tokens_of(env->err_bucket_fd, &zero), 3 * UNIT, "the host's bucket");
}

/* A zeroed bucket (as the array starts) is full. */
static void zeroed_is_full(const struct test_env *env)
{
	struct in6_addr line = story_list_line(1);
	struct frame in;
	struct hdrs h;
	__u32 zero = 0;

	trace_limits(env, 0, 0, 1, 3);
	bucket_plant(env->err_bucket_fd, &zero, 0, 0);
	probe(&in, &h, PROBE_UDP, STORY_LIST, 1);
	expect_time_exceeded(env, &in, &h, &line);
	ASSERT_EQ(tokens_of(env->err_bucket_fd, &zero), 2 * UNIT, "full, less one error");
}

static const struct {
	const char *name;
	void (*run)(const struct test_env *env);
} limit_cases[] = {
	{ "source", source_limit },
	{ "global", global_limit },
	{ "echo-not-limited", echo_not_limited },
	{ "source-first", source_before_global },
	{ "zeroed-bucket-full", zeroed_is_full },
};

DEFINE_TEST(trace_other)
{
	if (test_start("no-story"))
		no_story(env, PREFIX_TRACE "99");
	if (test_start("story-of-another-app"))
		no_story(env, STORY_FOREIGN);
	if (test_start("address-story-outside"))
		no_story(env, "2001:db8:16:0:b::1");
	if (test_start("src-multicast"))
		refused(env, "ff02::1", NULL, THINGS_R_PASS_SRC_INVALID);
	if (test_start("src-unspecified"))
		refused(env, "::", NULL, THINGS_R_PASS_SRC_INVALID);
	if (test_start("eth-dst-broadcast"))
		refused(env, REMOTE, broadcast, THINGS_R_PASS_L2_GROUP);
	if (test_start("not-probes"))
		not_probes(env);
	if (test_start("ns-is-ndp"))
		ns_not_probe(env);
	if (test_start("missing-line"))
		gap(env);
	for (size_t i = 0; i < ARRAY_SIZE(limit_cases); i++)
		if (test_start("limit-%s", limit_cases[i].name)) {
			limit_cases[i].run(env);
			trace_limits(env, 0, 0, 0, 0);
		}
}
