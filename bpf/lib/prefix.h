/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_PREFIX_H
#define THINGS_BPF_PREFIX_H

#include <linux/in6.h>
#include "common.h"
#include "maps.h"

/*
 * Longest prefix first, so the first match is the longest match. The value
 * is copied out: a pointer that differs with the matching slot would make
 * the verifier walk the rest of the program once per slot.
 */
static __always_inline int prefix_lookup_fast(const struct things_fast_table *t,
					      const struct in6_addr *addr,
					      struct things_prefix_value *out)
{
	const alias_u64 *w = (const alias_u64 *)addr;
	__u64 a[2] = { w[0], w[1] };
	__u32 i;

	for (i = 0; i < THINGS_FAST_SLOTS; i++) {
		const struct things_fast_entry *e = &t->entries[i];

		if (i >= t->count)
			break;
		if ((a[0] & e->mask[0]) == e->addr[0] && (a[1] & e->mask[1]) == e->addr[1]) {
			*out = e->val;
			return 1;
		}
	}
	return 0;
}

/* Finds the value of the longest prefix holding addr: 1, or 0 for none. */
static __always_inline int prefix_lookup(const struct in6_addr *addr,
					 struct things_prefix_value *out)
{
	struct things_prefix_key key = { .prefixlen = 128 };
	struct things_prefix_value *v;
	struct things_fast_table *t;
	__u32 zero = 0;

	t = bpf_map_lookup_elem(&fast_prefixes, &zero);
	if (t && t->count)
		return prefix_lookup_fast(t, addr, out);
	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	v = bpf_map_lookup_elem(&prefixes, &key);
	if (!v)
		return 0;
	*out = *v;
	return 1;
}

#endif
