/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BPF_APP_H
#define THINGS_BPF_APP_H

#include "common.h"

/* What an app reads of a request. It is copied off the frame before the
 * reply is built over the request. */
struct app_req {
	__u32 app_id;
	__u8 src[16];
	__u8 iid[8];	/* the destination's interface ID: the app's input */
};

/*
 * Slots that readers copy without a lock (board messages, board log
 * events) carry a seq, seqlock-fashion: 0 while the slot is being written,
 * its number once it is whole. Readers must see those stores in the order
 * they are made. x86 keeps stores in program order (TSO) and its JIT emits
 * them as they come, so there a compiler barrier is all it takes; other
 * architectures get an exchange, a fully ordered atomic in their JITs.
 */
static __always_inline void seq_set(__u64 *seq, __u64 val)
{
	barrier();
#ifdef __TARGET_ARCH_x86
	*(volatile __u64 *)seq = val;
#else
	__sync_lock_test_and_set(seq, val);
#endif
	barrier();
}

/*
 * Where item n (1-based) of a ring of count slots goes: (n - 1) % count,
 * count taken as at most max, a power of 2 (the room the map has). The
 * verifier does not bound what a modulo leaves, so a mask must, and the
 * compiler would drop a mask it can prove redundant without the barrier.
 */
static __always_inline __u32 ring_slot(__u64 n, __u32 count, __u32 max)
{
	__u32 slot;

	if (count > max)
		count = max;
	/* A 32-bit division where n allows, as it does for the first 2^32
	 * items: it takes fewer cycles than a 64-bit one. */
	if (n - 1 <= 0xffffffffULL)
		slot = (__u32)(n - 1) % count;
	else
		slot = (__u32)((n - 1) % count);
	barrier_var(slot);
	return slot & (max - 1);
}

#endif
