/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration every test runs against: which prefixes belong to which
 * app, our interface and its MAC, and the peers that send to us. Only
 * documentation prefixes (2001:db8::/32, fd00::/8) and locally administered
 * MACs.
 */
#ifndef SELFTEST_WORLD_H
#define SELFTEST_WORLD_H

#include "packets.h"
#include "things_abi.h"

/* BPF_PROG_TEST_RUN needs an ifindex that exists: lo is 1 in every netns. */
#define LO_IFINDEX 1

enum {
	APP_ECHO = 1,		/* 2001:db8:1::/48, routed to us */
	APP_ONLINK = 2,		/* 2001:db8:2:3::/64, on-link */
	APP_ROUTER = 3,		/* fd00:0:0:1::/64, on-link, we are a router */
	APP_SILENT = 4,		/* 2001:db8:5::/48, on-link, echo stays silent */
	APP_MCAST = 5,		/* ff3e:30:2001:db8:1::/96, on-link (RFC 3306) */
	APP_SUBNET = 6,		/* 2001:db8:1:ff::/64, a board inside APP_ECHO */
	/* Apps 0..APPS_WATCHED-1 have their counters checked by every case. */
	APPS_WATCHED = 8,
	APP_OUT_OF_RANGE = 300,	/* fd00:0:0:99::/64: an app id past the table */
};

/* Host /128 entries inside APP_ECHO and APP_ONLINK: the kernel's. */
#define HOST_ROUTED	"2001:db8:1::1"
#define HOST_ONLINK	"2001:db8:2:3::1"
/* Senders: a host far away, and a neighbor on the link. */
#define REMOTE		"2001:db8:ff::2"
#define NEIGHBOR	"2001:db8:2:3::100"
/* Outside every prefix. */
#define UNKNOWN		"2001:db8:9::1"

extern const uint8_t MAC_IFACE[6];	/* ours, in the ifaces map */
extern const uint8_t MAC_PEER[6];	/* the sender's, or our router's */

struct test_env;

/* Fills the prefixes and ifaces maps. Returns 0 or -errno. */
int world_install(const struct test_env *env);

/* Parses a literal address; a typo in a test aborts. */
struct in6_addr addr6(const char *text);

/* Headers of a packet from src to dst as it reaches our interface:
 * unicast to our MAC, untagged, hop limit 64, no extension headers. */
struct hdrs hdrs_to(const char *src, const char *dst);

/* Variations on those headers, to be combined. */
enum {
	VAR_VLAN	= 1 << 0,	/* an 802.1Q tag */
	VAR_QINQ	= 1 << 1,	/* an 802.1ad tag */
	VAR_CLASS_FLOW	= 1 << 2,	/* traffic class and flow label set */
	VAR_HBH		= 1 << 3,	/* hop-by-hop options */
	VAR_DSTOPTS	= 1 << 4,	/* destination options, 40 bytes */
	VAR_ROUTING	= 1 << 5,	/* a routing header, no segments left */
	/* The most extension headers the program walks (RFC 8200 4.1's order). */
	VAR_FOUR_EXT	= 1 << 6,
};

void hdrs_vary(struct hdrs *h, unsigned int variants);

#endif
