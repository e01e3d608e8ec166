/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_CSUM_H
#define THINGS_BPF_CSUM_H

#include <linux/in6.h>
#include "common.h"

/* Internet checksum arithmetic (RFC 1071). Words are summed as loaded, in
 * network order: the one's complement sum does not care about byte order as
 * long as every word is in the same one. */

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u64 csum_add_addr(__u64 sum, const struct in6_addr *a)
{
	return sum + a->in6_u.u6_addr32[0] + a->in6_u.u6_addr32[1] +
	       a->in6_u.u6_addr32[2] + a->in6_u.u6_addr32[3];
}

/* Sum of the IPv6 pseudo-header (RFC 8200 8.1). */
static __always_inline __u64 csum_ipv6_pseudo(const struct in6_addr *src,
					      const struct in6_addr *dst,
					      __u32 len, __u8 proto)
{
	__u64 sum = 0;

	sum = csum_add_addr(sum, src);
	sum = csum_add_addr(sum, dst);
	return sum + bpf_htonl(len) + bpf_htonl(proto);
}

/*
 * RFC 1624 eqn. 3: the checksum after one 16-bit word changed from old to
 * new. A checksum that was wrong stays exactly as wrong, so the receiver of
 * a reply rejects what it would have rejected in the request.
 */
static __always_inline __be16 csum_replace2(__be16 check, __be16 old, __be16 new)
{
	__u64 sum = (__u16)~check;

	sum += (__u16)~old;
	sum += new;
	return (__be16)~csum_fold(sum);
}

#endif
