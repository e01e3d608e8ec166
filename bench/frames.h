/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The frames the micro-benchmark sends, and independent checks of the
 * replies: a responder's output is judged field by field and by its
 * checksum, not only by agreeing with another responder.
 */
#ifndef THINGS_BENCH_FRAMES_H
#define THINGS_BENCH_FRAMES_H

#include <stddef.h>

#include "bench_abi.h"

/* The MAC of ingress interface 1 in the ifaces map, and the one the
 * minimal responder is built with: both must put it in their NAs. */
extern const unsigned char frame_our_mac[6];

/* The prefixes the frames are addressed to. */
#define FRAME_ROUTED_PREFIX	"2001:db8:1::/48"	/* echo requests go here */
#define FRAME_ONLINK_PREFIX	"2001:db8:2:3::/64"	/* NS targets are here */
/* Apps that read the address, and what the requests to them ask for. */
#define FRAME_BOARD_PREFIX	"2001:db8:10::/64"
#define FRAME_BOARD_DST		"2001:db8:10:0:4177:6573:6f6d:6521"	/* "Awesome!" */
#define FRAME_BOARD_DST_ALT	"2001:db8:10:0:4177:6573:6f6d:653f"	/* "Awesome?" */
#define FRAME_TREE_PREFIX	"2001:db8:11::/64"
#define FRAME_TREE_DST		"2001:db8:11::ff:0:0"			/* red */
#define FRAME_CANVAS_PREFIX	"2001:db8:12::/64"
#define FRAME_CANVAS_DST	"2001:db8:12:0:12:34:ff80:40ff"		/* (18, 52) opaque */
#define FRAME_CANVAS_RATED_PREFIX "2001:db8:13::/64"
#define FRAME_CANVAS_RATED_DST	"2001:db8:13:0:12:34:ff80:40ff"
/* A trace app: the story of FRAME_TRACE_DST has FRAME_TRACE_HOPS lines, the
 * first from FRAME_TRACE_LINE. Its request is the ping-sized echo request
 * as traceroute -I sends it for the first hop: hop limit 1. The rated one
 * has both error buckets on, never running dry. */
#define FRAME_TRACE_PREFIX	"2001:db8:14::/64"
#define FRAME_TRACE_DST		"2001:db8:14::1"
#define FRAME_TRACE_RATED_PREFIX "2001:db8:15::/64"
#define FRAME_TRACE_RATED_DST	"2001:db8:15::1"
#define FRAME_TRACE_LINE	"2001:db8:14:1::1"
#define FRAME_TRACE_HOPS	3

/* Each writes a request into buf (BENCH_FRAME_MAX bytes) and returns its
 * length: a ping-sized echo request to an address in the routed prefix,
 * and an address-resolution NS, with a source link-layer address option,
 * for an address in the on-link prefix. */
size_t frame_echo_request(unsigned char *buf);
size_t frame_neighbor_solicit(unsigned char *buf);
/* The same echo request to another destination (text, one of the above). */
size_t frame_echo_request_to(unsigned char *buf, const char *dst);

/* That echo request as a traceroute probe arriving with hop limit 1. */
size_t frame_trace_probe(unsigned char *buf, const char *dst);

/* The address a responder looks up for each request: the destination of
 * the echo request, the target of the NS (16 bytes, in the frame). */
const unsigned char *frame_echo_dst(const unsigned char *echo_request);
const unsigned char *frame_ns_target(const unsigned char *neighbor_solicit);

/* Each returns NULL if out is the right answer to the request in, else
 * what is wrong with it. */
const char *frame_check_echo_reply(const unsigned char *in, size_t in_len,
				   const unsigned char *out, size_t out_len);
const char *frame_check_neighbor_advert(const unsigned char *in, size_t in_len,
					const unsigned char *out, size_t out_len);
/* Time Exceeded from FRAME_TRACE_LINE quoting the whole probe (RFC 4443). */
const char *frame_check_time_exceeded(const unsigned char *in, size_t in_len,
				      const unsigned char *out, size_t out_len);

#endif /* THINGS_BENCH_FRAMES_H */
