/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_RATELIMIT_H
#define THINGS_BPF_RATELIMIT_H

#include <linux/in6.h>
#include "common.h"
#include "maps.h"

/* A bucket's tokens count in units of 1/RATE_UNIT request, so a refill of
 * rate requests per second is exactly rate units per nanosecond. */
#define RATE_UNIT 1000000000ULL

/* The first bits of a 64-bit word, network order, for bits 0..64: a shift
 * by 64 is undefined, so none at all is spelt out. */
static __always_inline __u64 rate_mask64(__u32 bits)
{
	return bits ? bpf_cpu_to_be64(~0ULL << (64 - bits)) : 0;
}

/* The app and the source with every bit past prefix_len cleared. */
static __always_inline void rate_key(struct things_rate_key *key, __u32 app_id,
				     const struct in6_addr *src, __u8 prefix_len)
{
	__u64 a[2];

	__builtin_memcpy(a, src, sizeof(a));
	if (prefix_len <= 64) {
		a[0] &= rate_mask64(prefix_len);
		a[1] = 0;
	} else if (prefix_len < 128) {
		a[1] &= rate_mask64(prefix_len - 64U);
	}
	key->app_id = app_id;
	key->pad = 0;
	__builtin_memcpy(key->src, a, sizeof(a));
}

/*
 * min(cap, tokens + elapsed * rate) without overflow: idle for days at
 * 2^32 requests per second would overflow the product many times over.
 * tokens <= cap.
 */
static __always_inline __u64 rate_refill(__u64 tokens, __u64 cap, __u64 elapsed, __u32 rate)
{
	/* elapsed * rate <= cap - tokens exactly when elapsed <= that / rate. */
	if (elapsed > (cap - tokens) / rate)
		return cap;
	return tokens + elapsed * rate;
}

/*
 * Takes a request's token from bucket b, refilled at rate per second up to
 * burst: 1 if there was one, 0 if the request is over the rate. A bucket
 * never used (last_ns 0, as a zeroed array slot is) starts full. Two CPUs
 * updating one bucket at once may lose one of their updates: the limit is
 * approximate by a request or so, and never wraps.
 */
static __always_inline int rate_take(struct things_rate_bucket *b, __u32 rate, __u32 burst,
				     __u64 now)
{
	__u64 cap = (__u64)(burst ? burst : 1) * RATE_UNIT;
	__u64 tokens = b->tokens;

	if (!b->last_ns) {
		tokens = cap;
		b->last_ns = now;
	}
	/* The burst may have been lowered since. */
	if (tokens > cap)
		tokens = cap;
	/* A clock read on another CPU may be a little ahead of ours: time
	 * never runs backwards for a bucket. */
	if (now > b->last_ns) {
		tokens = rate_refill(tokens, cap, now - b->last_ns, rate);
		b->last_ns = now;
	}
	if (tokens < RATE_UNIT) {
		b->tokens = tokens;
		return 0;
	}
	b->tokens = tokens - RATE_UNIT;
	return 1;
}

/*
 * The token bucket of the request's source for an app with cfg->rate > 0,
 * at time now (bpf_ktime_get_ns()): 1 if it may go on (a token taken), 0
 * if it is over the rate. Buckets start full.
 */
static __always_inline int rate_allow(__u32 app_id, const struct in6_addr *src,
				      const struct things_app_cfg *cfg, __u64 now)
{
	struct things_rate_bucket *b, fresh;
	struct things_rate_key key;

	rate_key(&key, app_id, src, cfg->rate_prefix);
	b = bpf_map_lookup_elem(&rate_buckets, &key);
	if (!b) {
		fresh.last_ns = now;
		fresh.tokens = (__u64)(cfg->burst ? cfg->burst : 1) * RATE_UNIT - RATE_UNIT;
		/* Fails only if another CPU made it just now: then it is
		 * that CPU's bucket, and this request goes through. */
		bpf_map_update_elem(&rate_buckets, &key, &fresh, BPF_NOEXIST);
		return 1;
	}
	return rate_take(b, cfg->rate, cfg->burst, now);
}

/* The host's bucket for the ICMPv6 errors it sends (err_cfg): 1 if one
 * more may go, 0 if not. *now: the time if the caller read it, else 0;
 * read here only if a limit needs it (a clock read costs more than the
 * bucket). */
static __always_inline int rate_allow_error(__u64 *now)
{
	struct things_rate_bucket *b;
	struct things_err_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&err_cfg, &zero);
	if (!cfg || !cfg->rate)
		return 1;
	b = bpf_map_lookup_elem(&err_bucket, &zero);
	if (!b)
		return 1;
	if (!*now)
		*now = bpf_ktime_get_ns();
	return rate_take(b, cfg->rate, cfg->burst, *now);
}

#endif
