/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_PREFIX_H
#define THINGS_BPF_PREFIX_H

#include <linux/in6.h>
#include "common.h"
#include "maps.h"

static __always_inline struct things_prefix_value *prefix_lookup(const struct in6_addr *addr)
{
	struct things_prefix_key key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	return bpf_map_lookup_elem(&prefixes, &key);
}

#endif
