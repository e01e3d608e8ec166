// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor: an XDP program that does nothing.
 *
 * It returns XDP_TX, the verdict every measured responder returns, so that
 * each case ends the same way and the only difference left is the work the
 * program does. Under BPF_PROG_TEST_RUN the verdict costs nothing; on a
 * live interface (a packets-per-second run) XDP_PASS would hand each frame
 * to the network stack, which costs far more than any program here and
 * would make this no floor at all, whereas XDP_TX leaves the driver the same
 * work as for a reply. Beware: attached to a real interface, this program
 * reflects every frame back out of it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The harness compiles this in as a function it calls (harness.h). */
#ifndef BENCH_ENTRY
#define BENCH_ENTRY SEC("xdp")
#endif

BENCH_ENTRY
int bench_nop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
