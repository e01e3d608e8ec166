// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The harness around the minimal responder (see harness.h). */
#include "harness.h"

#define BENCH_ENTRY HARNESS_ENTRY
#include "minimal.bpf.c"

BENCH_HARNESS(bench_minimal)
