/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * BPF_PROG_TEST_RUN with repeat runs the program again and again on one
 * buffer, so from the second run on a responder would see its own reply
 * (an echo reply, an NA) and take a different, shorter path. A harness
 * restores the request before every run of the program under test, which
 * it holds compiled in as a function: harness_things.bpf.c holds
 * bpf/things.bpf.c, harness_minimal.bpf.c the minimal responder, and
 * harness_nop.bpf.c the program that does nothing, whose harness the
 * loader times too and subtracts, so that what remains is the program's
 * own cost.
 *
 * Each run of a harness runs its program BENCH_INNER_RUNS times: the kernel
 * reports a run's time in whole nanoseconds, and a figure that many runs
 * long is that many times finer. The frames to restore take turns (see
 * BENCH_FRAME_TURNS).
 */
#ifndef THINGS_BENCH_HARNESS_H
#define THINGS_BENCH_HARNESS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bench_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BENCH_FRAME_TURNS);
	__type(key, __u32);
	__type(value, struct bench_frame);
} frame SEC(".maps");

/* Runs so far; the loader sets it to choose which frame comes first. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} turn SEC(".maps");

/* Puts the next request in the frame: 0, or -1 if that cannot be done. */
static __always_inline int harness_restore(struct xdp_md *ctx)
{
	__u32 zero = 0, len, k, *n;
	struct bench_frame *f;

	n = bpf_map_lookup_elem(&turn, &zero);
	if (!n)
		return -1;
	k = (*n)++ % BENCH_FRAME_TURNS;
	f = bpf_map_lookup_elem(&frame, &k);
	if (!f)
		return -1;
	len = f->len;
	if (len == 0 || len > BENCH_FRAME_MAX)
		return -1;
	/* An ICMPv6 error grows the frame at its front by its own headers
	 * (and quotes a request this small whole): the front goes back. Any
	 * other resizing cannot be restored: ABORTED tells the loader, which
	 * checks every verdict. */
	if (ctx->data_end - ctx->data > len &&
	    bpf_xdp_adjust_head(ctx, (int)(ctx->data_end - ctx->data - len)))
		return -1;
	if (len != ctx->data_end - ctx->data)
		return -1;
	return bpf_xdp_store_bytes(ctx, 0, f->data, len) ? -1 : 0;
}

/*
 * The harness's own program, running fn (a global function, which the
 * verifier checks once however often it is called) from a restored request
 * BENCH_INNER_RUNS times. Every measured run answers: the first verdict
 * that is not XDP_TX ends the run with it, for the loader to see.
 */
#define BENCH_HARNESS(fn)						\
	SEC("xdp")							\
	int bench_harness(struct xdp_md *ctx)				\
	{								\
		int verdict = XDP_ABORTED;				\
									\
		for (int i = 0; i < BENCH_INNER_RUNS; i++) {		\
			if (harness_restore(ctx))			\
				return XDP_ABORTED;			\
			verdict = fn(ctx);				\
			if (verdict != XDP_TX)				\
				return verdict;				\
		}							\
		return verdict;						\
	}

/* The entry of the program under test becomes a global function. */
#define HARNESS_ENTRY __attribute__((noinline))

#endif /* THINGS_BENCH_HARNESS_H */
