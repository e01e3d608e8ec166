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

/* The most bpf_csum_diff() sums in one call. */
#define CSUM_CHUNK		512
/*
 * Messages up to CSUM_MAX_LEN bytes are verified: the payload of a
 * 9000-byte jumbo frame, and then some. Longer ones cannot be, and count
 * as wrong. (This program is not multi-buffer, so its frames are in one
 * buffer of at most a page anyway.)
 */
#define CSUM_MAX_CHUNKS		18
#define CSUM_MAX_LEN		(CSUM_CHUNK * CSUM_MAX_CHUNKS)
/* Pieces up to this long are summed without the helper. */
#define CSUM_INLINE_MAX		64

/* Adds the n bytes at offset off of the frame, n a constant multiple of 4.
 * Returns 0, or -1 if they are not all inside the frame. */
static __always_inline int csum_add_piece(const struct pkt *p, __u32 off, __u32 n, __u64 *sum)
{
	__u8 *b;

	if (off > 0xffff)
		return -1;
	b = p->data + off;
	if ((void *)(b + n) > p->data_end)
		return -1;
	/* A helper call costs more than summing a few words here. */
	if (n <= CSUM_INLINE_MAX) {
		const __u32 *w = (const __u32 *)b;
		__u32 j;

#pragma unroll
		for (j = 0; j < CSUM_INLINE_MAX / 4; j++)
			if (j < n / 4)
				*sum += w[j];
		return 0;
	}
	/* Summed in memory order, as the loads here are; whether the helper
	 * folds its result or not, it is the same modulo 0xffff. */
	*sum += (__u32)bpf_csum_diff(NULL, 0, (__be32 *)b, n, 0);
	return 0;
}

/* Adds the last len % 4 bytes, at off, padded with zeros (RFC 1071). */
static __always_inline int csum_add_tail(const struct pkt *p, __u32 off, __u32 len, __u64 *sum)
{
	__u8 w[4] = {};
	__u8 *b;

	if (!(len & 3))
		return 0;
	if (off > 0xffff)
		return -1;
	b = p->data + off;
	if ((void *)(b + 1) > p->data_end)
		return -1;
	w[0] = b[0];
	if (len & 2) {
		if ((void *)(b + 2) > p->data_end)
			return -1;
		w[1] = b[1];
		if (len & 1) {
			if ((void *)(b + 3) > p->data_end)
				return -1;
			w[2] = b[2];
		}
	}
	*sum += *(__u32 *)w;
	return 0;
}

/*
 * Adds the last len % (2 * top) bytes of the len at off, top a constant
 * power of 2: in halving pieces, piece i at the length rounded down to
 * 2 * i. Each offset comes from len alone, not from the pieces before it,
 * so all the ways through look the same to the verifier, which then walks
 * what follows once rather than once per combination.
 */
static __always_inline int csum_add_halves(const struct pkt *p, __u32 off, __u32 len, __u32 top,
					   __u64 *sum)
{
	__u32 i;

#pragma unroll
	for (i = top; i >= 4; i /= 2)
		if ((len & i) && csum_add_piece(p, off + (len & ~(2 * i - 1)), i, sum))
			return -1;
	return csum_add_tail(p, off + (len & ~3U), len, sum);
}

/*
 * Adds the upper-layer message p describes, all p->l4_len bytes of it and
 * no Ethernet padding. Returns 0, or -1 if it is longer than CSUM_MAX_LEN
 * or not all inside the frame.
 */
static __always_inline int csum_add_message(const struct pkt *p, __u64 *sum)
{
	__u32 len = p->l4_len, off = p->l4_off, i;

	if (len > CSUM_MAX_LEN)
		return -1;
	for (i = 0; i < CSUM_MAX_CHUNKS; i++) {
		if ((i + 1) * CSUM_CHUNK > len)
			break;
		if (csum_add_piece(p, off + i * CSUM_CHUNK, CSUM_CHUNK, sum))
			return -1;
	}
	return csum_add_halves(p, off, len, CSUM_CHUNK / 2, sum);
}

/*
 * Adds the len bytes at off, len < 4 * CSUM_CHUNK, without a loop: for the
 * messages whose length has a small bound (ICMPv6 errors), where a loop
 * over chunks would only give the verifier more to walk.
 */
static __always_inline int csum_add_short(const struct pkt *p, __u32 off, __u32 len, __u64 *sum)
{
	if (len >= 4 * CSUM_CHUNK)
		return -1;
	if ((len & 2 * CSUM_CHUNK) && (csum_add_piece(p, off, CSUM_CHUNK, sum) ||
					csum_add_piece(p, off + CSUM_CHUNK, CSUM_CHUNK, sum)))
		return -1;
	if ((len & CSUM_CHUNK) && csum_add_piece(p, off + (len & 2 * CSUM_CHUNK), CSUM_CHUNK, sum))
		return -1;
	return csum_add_halves(p, off, len, CSUM_CHUNK / 2, sum);
}

/* Whether the upper-layer checksum of p, over its pseudo-header and the
 * whole message, is right (RFC 8200 8.1; RFC 4443 2.3 for ICMPv6). */
static __always_inline int csum_l4_ok(const struct pkt *p, const struct in6_addr *src,
				      const struct in6_addr *dst)
{
	__u64 sum = csum_ipv6_pseudo(src, dst, p->l4_len, p->l4_proto);

	if (csum_add_message(p, &sum))
		return 0;
	return csum_fold(sum) == 0xffff;
}

#endif
