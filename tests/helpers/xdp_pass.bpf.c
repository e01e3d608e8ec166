// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Attached to a test client's veth: native XDP_TX on a veth only delivers
 * to a peer that has an XDP program of its own. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
