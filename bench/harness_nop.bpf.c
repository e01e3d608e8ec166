// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The harness around the program that does nothing: its cost is the
 * harness's own, which the loader subtracts (see harness.h). */
#include "harness.h"

#define BENCH_ENTRY HARNESS_ENTRY
#include "nop.bpf.c"

BENCH_HARNESS(bench_nop)
