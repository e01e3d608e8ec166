/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdp-testrun's batch mode for differential testing: one JSON line per
 * frame with its verdict, output, the counters it moved and every change
 * it made to the state of the apps that read the address.
 */
#ifndef XDP_TESTRUN_H
#define XDP_TESTRUN_H

#include <stddef.h>
#include <linux/types.h>

#include "things_abi.h"

struct bpf_object;
struct jwatch;

/* What --app configured for one app: its kind's state is watched. */
struct jwatch_app {
	__u32 app_id;
	struct things_app_cfg cfg;
};

/* Watches apps[0..n-1] and the counters of apps 0..max_app. NULL on error
 * (said on stderr). */
struct jwatch *jwatch_open(struct bpf_object *obj, const struct jwatch_app *apps, size_t n,
			   __u32 max_app);
void jwatch_close(struct jwatch *w);

/* Prints the line of one frame: err is 0 or the errno of a test run the
 * kernel refused (then retval and out mean nothing). Returns 0 or -1. */
int jwatch_frame(struct jwatch *w, int err, __u32 retval, const unsigned char *out,
		 __u32 len);

/* Prints the last line: the whole state of every watched app. */
int jwatch_final(struct jwatch *w);

#endif
