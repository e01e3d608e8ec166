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

/* Each writes a request into buf (BENCH_FRAME_MAX bytes) and returns its
 * length: a ping-sized echo request to an address in the routed prefix,
 * and an address-resolution NS, with a source link-layer address option,
 * for an address in the on-link prefix. */
size_t frame_echo_request(unsigned char *buf);
size_t frame_neighbor_solicit(unsigned char *buf);

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

#endif /* THINGS_BENCH_FRAMES_H */
