/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the micro-benchmark's loader shares with its harnesses
 * (harness_*.bpf.c).
 */
#ifndef THINGS_BENCH_ABI_H
#define THINGS_BENCH_ABI_H

#include <linux/types.h>

/* Room for the largest frame a case sends (an echo request of 118 bytes). */
#define BENCH_FRAME_MAX 256

/* The harness's `frame` map holds this many frames, and each run starts
 * from the next in turn: a board refuses to post the same text twice in a
 * row, so its case alternates two requests. Cases of one request put it in
 * every slot. */
#define BENCH_FRAME_TURNS 2

/* Runs of the target per run of the harness, each from a restored
 * request: the kernel reports whole nanoseconds per harness run, so a
 * figure 32 runs long is 32 times finer (see harness.h). */
#define BENCH_INNER_RUNS 32

/* An entry of the harness's `frame` map: the bytes a run starts from. len
 * must equal the test_run input length. */
struct bench_frame {
	__u32 len;
	__u8 data[BENCH_FRAME_MAX];
};

#endif /* THINGS_BENCH_ABI_H */
