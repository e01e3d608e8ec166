// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * things_sk_lookup: hands each new TCP connection to an address of a tcp
 * app's prefix to the listening socket of the rule that owns it
 * (things_abi.h, "TCP apps"), whatever address that socket is bound to.
 * Everything else goes on to the kernel's own socket lookup.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../maps/things_abi.h"

#define AF_INET6 10

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, THINGS_TCP_MAX_KEYS);
	__type(key, struct things_tcp_key);
	__type(value, struct things_tcp_match);
} tcp_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, THINGS_MAX_APPS);
	__type(key, __u32);
	__type(value, __u64);
} tcp_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, THINGS_TCP_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} tcp_stats SEC(".maps");

static __always_inline void count(__u32 app_id, enum things_tcp_counter c)
{
	__u32 idx = THINGS_TCP_STATS_IDX(app_id, c);
	__u64 *v = bpf_map_lookup_elem(&tcp_stats, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline int from_holds(const struct things_tcp_candidate *c, const __u64 remote[2])
{
	return ((remote[0] & c->from_mask[0]) == c->from[0]) &&
	       ((remote[1] & c->from_mask[1]) == c->from[1]);
}

SEC("sk_lookup")
int things_sk_lookup(struct bpf_sk_lookup *ctx)
{
	struct things_tcp_key key = { .prefixlen = 16 + 128 };
	const struct things_tcp_match *m;
	struct bpf_sock *sk;
	__u64 remote[2];
	__u32 addr[4], rem[4], app_id = 0;
	long err;
	int i;

	if (ctx->family != AF_INET6 || ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	addr[0] = ctx->local_ip6[0];
	addr[1] = ctx->local_ip6[1];
	addr[2] = ctx->local_ip6[2];
	addr[3] = ctx->local_ip6[3];
	rem[0] = ctx->remote_ip6[0];
	rem[1] = ctx->remote_ip6[1];
	rem[2] = ctx->remote_ip6[2];
	rem[3] = ctx->remote_ip6[3];
	__builtin_memcpy(remote, rem, sizeof(remote));
	key.port[0] = (__u8)(ctx->local_port >> 8);
	key.port[1] = (__u8)ctx->local_port;
	__builtin_memcpy(key.addr, addr, sizeof(key.addr));

	m = bpf_map_lookup_elem(&tcp_rules, &key);
	if (!m)
		return SK_PASS;
	for (i = 0; i < THINGS_TCP_CANDIDATES; i++) {
		if (i >= m->count)
			return SK_PASS;	/* no rule's `from` holds the client */
		if (from_holds(&m->cand[i], remote)) {
			app_id = m->cand[i].app_id;
			break;
		}
	}
	if (i == THINGS_TCP_CANDIDATES || app_id >= THINGS_MAX_APPS)
		return SK_PASS;

	count(app_id, THINGS_TCP_MATCHED);
	sk = bpf_map_lookup_elem(&tcp_socks, &app_id);
	if (!sk) {
		/* No listener of ours: the kernel's lookup finds none either
		 * (ours are reached only through here) and answers RST. */
		count(app_id, THINGS_TCP_NO_SOCKET);
		return SK_PASS;
	}
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	count(app_id, err ? THINGS_TCP_ASSIGN_FAILED : THINGS_TCP_STEERED);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
