// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The harness around things_xdp (see harness.h): bpf/things.bpf.c itself,
 * its entry a global function. The loader gives this object the maps of a
 * things_xdp loaded from build/things.bpf.o, so both see the same state.
 */
#include "harness.h"

#define THINGS_ENTRY HARNESS_ENTRY
#include "../bpf/things.bpf.c"

BENCH_HARNESS(things_xdp)
