// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN with repeat runs the program again and again on one
 * buffer, so from the second run on a responder would see its own reply
 * (an echo reply, an NA) and take a different, shorter path. This program
 * restores the request before every run and tail-calls the program under
 * test. The loader also times it with the nop program as the target and
 * subtracts that, so what remains is the target's own cost. The frames to
 * restore take turns (see BENCH_FRAME_TURNS).
 */
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

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

SEC("xdp")
int bench_harness(struct xdp_md *ctx)
{
	__u32 zero = 0, len, k, *n;
	struct bench_frame *f;

	n = bpf_map_lookup_elem(&turn, &zero);
	if (!n)
		return XDP_ABORTED;
	k = (*n)++ % BENCH_FRAME_TURNS;
	f = bpf_map_lookup_elem(&frame, &k);
	if (!f)
		return XDP_ABORTED;
	len = f->len;
	if (len == 0 || len > BENCH_FRAME_MAX)
		return XDP_ABORTED;
	/* An ICMPv6 error grows the frame at its front by its own headers
	 * (and quotes a request this small whole): the front goes back. Any
	 * other resizing cannot be restored: ABORTED tells the loader, which
	 * checks every verdict. */
	if (ctx->data_end - ctx->data > len &&
	    bpf_xdp_adjust_head(ctx, (int)(ctx->data_end - ctx->data - len)))
		return XDP_ABORTED;
	if (len != ctx->data_end - ctx->data)
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, f->data, len))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
