/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the micro-benchmark's loader shares with harness.bpf.c.
 */
#ifndef THINGS_BENCH_ABI_H
#define THINGS_BENCH_ABI_H

#include <linux/types.h>

/* Room for the largest frame a case sends (an echo request of 118 bytes). */
#define BENCH_FRAME_MAX 256

/* The one entry of the harness's `frame` map: the bytes every run starts
 * from. len must equal the test_run input length. */
struct bench_frame {
	__u32 len;
	__u8 data[BENCH_FRAME_MAX];
};

#endif /* THINGS_BENCH_ABI_H */
