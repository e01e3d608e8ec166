/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Filling things_xdp's `prefixes` trie for the benchmarks: the real
 * prefixes the requests go to, and as many random ones as a case needs.
 * bench/micro and `loadgen things` fill theirs alike.
 */
#ifndef THINGS_BENCH_TRIE_H
#define THINGS_BENCH_TRIE_H

#include <linux/types.h>

/* A prefix given as text; 0 or -errno, having said what failed. */
int trie_prefix_add(int fd, const char *text, __u32 app, __u16 kind, __u16 flags);

/*
 * count random prefixes, /48 to /64, in fd00::/8 (away from the real ones)
 * or, near, in 2001:db8::/32 (among them), but none holding any of the
 * n_avoid addresses; seeded, so the same seed gives the same trie. Their
 * apps take turns among app_count ids from app_first, all echo. Returns 0
 * or -errno, having said what failed.
 */
int trie_random_fill(int fd, __u32 count, __u64 seed, int near, const __u8 (*avoid)[16],
		     int n_avoid, __u32 app_first, __u32 app_count);

/* What the kernel charges a map with: the memlock line of its fdinfo
 * (for a trie that allocates as it grows, what it holds now). */
int trie_map_memlock(int fd, __u64 *bytes);

#endif /* THINGS_BENCH_TRIE_H */
