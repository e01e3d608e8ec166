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
	APP_SUBNET = 6,		/* 2001:db8:1:ff::/64, an echo app inside APP_ECHO */
	/* Apps that read the address (PREFIX_* below); silent ones answer
	 * nothing but change their state all the same. */
	APP_BOARD = 7,
	APP_TREE = 8,
	APP_CANVAS = 9,
	APP_BOARD_SILENT = 10,
	APP_TREE_SILENT = 11,
	APP_CANVAS_SILENT = 12,
	APP_TRACE = 13,		/* PREFIX_TRACE/64: the stories below */
	/* Apps 0..APPS_WATCHED-1 have their counters checked by every case. */
	APPS_WATCHED = 14,
	APP_OUT_OF_RANGE = 300,	/* fd00:0:0:99::/64: an app id past the table */
};

/* The /64s of the apps that read the address, as text to put an interface
 * ID after. */
#define PREFIX_BOARD		"2001:db8:10::"
#define PREFIX_TREE		"2001:db8:11::"
#define PREFIX_CANVAS		"2001:db8:12::"
#define PREFIX_BOARD_SILENT	"2001:db8:13::"
#define PREFIX_TREE_SILENT	"2001:db8:14::"
#define PREFIX_CANVAS_SILENT	"2001:db8:15::"

/*
 * The trace app's stories. A list story at STORY_LIST: its line h is
 * STORY_LIST_LINE(h). An address story under STORY_ADDR/80 whose last 16
 * bits are four 4-bit fields: hop h with field v is STORY_ADDR_LINE(h, v).
 * STORY_GAP has two hops and only the first line. STORY_FOREIGN is a story
 * of another app inside the trace app's prefix: it is no story here.
 */
#define PREFIX_TRACE		"2001:db8:16::"
#define STORY_LIST		"2001:db8:16::5"
#define STORY_LIST_HOPS		3
#define STORY_ADDR		"2001:db8:16:0:a::"
#define STORY_ADDR_HOPS		4
#define STORY_ADDR_BITS		4
#define STORY_GAP		"2001:db8:16::7"
#define STORY_FOREIGN		"2001:db8:16::8"
/* Line addresses: hop h (and field v) in the last two groups. */
struct in6_addr story_list_line(unsigned int h);
struct in6_addr story_addr_line(unsigned int h, unsigned int v);

/* Their app_cfg: small, so that the tests go round the rings. */
#define BOARD_LINES	3
#define TREE_LIGHTS	4
#define CANVAS_WIDTH	16
#define CANVAS_HEIGHT	8

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

/* Fills the prefixes, ifaces, app_cfg and story maps, and creates the
 * canvases' framebuffers (in env->fb_fd). Returns 0 or -errno. */
int world_install(struct test_env *env);

/* The settings the world gives an app (all zero for echo apps). */
struct things_app_cfg world_app_cfg(int app);

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
