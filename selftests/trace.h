/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Traceroute probes to the trace app's stories (world.h), and what each
 * must turn into, for the trace test groups.
 */
#ifndef SELFTEST_TRACE_H
#define SELFTEST_TRACE_H

#include <stdbool.h>

#include "env.h"

enum probe_kind { PROBE_ICMP, PROBE_UDP, PROBE_TCP, PROBE_KINDS };

extern const char *const probe_names[PROBE_KINDS];

#define ICMP6_DEST_UNREACH	1
#define ICMP6_PORT_UNREACH	4
#define ICMP6_TIME_EXCEEDED	3

/* A probe of kind to dst from REMOTE arriving with hop limit hl, with
 * len bytes of data; h's other fields as the caller left them (NULL: the
 * plain headers). */
void probe_build(struct frame *f, struct hdrs *h, enum probe_kind kind, const char *dst,
		 uint8_t hl, size_t len);

/* The probe must come back as Time Exceeded from `from`. */
bool expect_time_exceeded(const struct test_env *env, const struct frame *in,
			  const struct hdrs *h, const struct in6_addr *from);

/* The probe reached the end of a story of hops lines: echo reply, Port
 * Unreachable from the destination, or TCP to the kernel. */
bool expect_end(const struct test_env *env, const struct frame *in, const struct hdrs *h,
		enum probe_kind kind, unsigned int hops);

/* An error comes back with the hop limit of a node as deep as its line
 * (255 for the first line, 254 for the second, ...). */
#define ERR_HOP_LIMIT(depth) ((uint8_t)(255 - ((depth) - 1)))

/* The probe must be passed untouched, or dropped, under reason. */
bool expect_left(const struct test_env *env, const struct frame *in, enum xdp_action verdict,
		 enum things_reason reason);

/* Sets the trace app's per-source limit and the host's error limit. */
void trace_limits(const struct test_env *env, __u32 rate, __u32 burst, __u32 err_rate,
		  __u32 err_burst);

#endif
