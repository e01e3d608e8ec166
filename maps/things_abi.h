/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ABI between the data plane and userspace: every struct, enum and pin
 * name that both sides use is defined here, once. BPF and userspace include
 * this same file, so a size or layout change is a compile error on both
 * sides instead of a silent mismatch.
 */
#ifndef THINGS_ABI_H
#define THINGS_ABI_H

#include <linux/types.h>

#ifndef __bpf__
#include <assert.h>
#define THINGS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define THINGS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* Pins: maps and programs live under one bpffs folder so they outlive the
 * daemon and a restart finds them again. */
#define THINGS_PIN_DIR		"/sys/fs/bpf/things"
#define THINGS_PIN_PREFIXES	"prefixes"
#define THINGS_PIN_IFACES	"ifaces"
#define THINGS_PIN_STATS	"stats"
#define THINGS_PIN_FAST		"fast_prefixes"
#define THINGS_PIN_APPS		"apps"
#define THINGS_PIN_PROG_XDP	"things_xdp"

#define THINGS_MAX_PREFIXES	(1U << 20)
#define THINGS_MAX_IFACES	256
/* App id 0 is "no app": host /128 entries and packets that match nothing. */
#define THINGS_MAX_APPS		256

/* App names are keys in the config and in `thingsctl`; they are stored in
 * the pinned `apps` map so a restarted daemon keeps every app's id. */
#define THINGS_APP_NAME_MAX	32

/* Hop limit of every packet we originate that is not NDP (NDP needs 255). */
#define THINGS_REPLY_HOP_LIMIT	64

/*
 * The enums below are X-macros so userspace builds its name tables from the
 * same single list: X(ENUM_SUFFIX, "name-for-humans").
 */
#define THINGS_KINDS(X)					\
	X(HOST, "host")	/* one of the host's own addresses */	\
	X(ECHO, "echo")						\
	X(BOARD, "board")					\
	X(TREE, "tree")						\
	X(CANVAS, "canvas")					\
	X(TRACE, "trace")					\
	X(TCP, "tcp")

#define THINGS_ENUM_KIND(sym, name) THINGS_KIND_##sym,
enum things_app_kind { THINGS_KINDS(THINGS_ENUM_KIND) THINGS_KIND_MAX };

/* Per-prefix flags. */
enum things_prefix_flags {
	THINGS_PF_ONLINK = 1 << 0,	/* answer NS for every target in it */
	THINGS_PF_SILENT = 1 << 1,	/* never answer echo: drop it */
	THINGS_PF_ROUTER = 1 << 2,	/* set R in our Neighbor Advertisements */
};

/* LPM trie key: prefixlen in bits, then the address in network order. */
struct things_prefix_key {
	__u32 prefixlen;
	__u8 addr[16];
};
THINGS_STATIC_ASSERT(sizeof(struct things_prefix_key) == 20, "prefix key layout");

struct things_prefix_value {
	__u32 app_id;	/* < THINGS_MAX_APPS */
	__u16 kind;	/* enum things_app_kind */
	__u16 flags;	/* enum things_prefix_flags */
};
THINGS_STATIC_ASSERT(sizeof(struct things_prefix_value) == 8, "prefix value layout");

enum things_iface_flags {
	/* thingsd turned allmulticast on here and must turn it off again;
	 * kept in the map so a restarted daemon still knows. */
	THINGS_IF_ALLMULTI_SET = 1 << 0,
};

/*
 * The fast table: the whole trie again, longest prefix first, checked with
 * masked compares, which cost a fraction of an LPM trie lookup. It is only
 * used when everything in the trie fits (a host with a few apps and a few
 * addresses); count 0 sends every lookup to the trie.
 */
#define THINGS_FAST_SLOTS	16

struct things_fast_entry {
	__u64 addr[2];			/* network order, host bits clear */
	__u64 mask[2];
	struct things_prefix_value val;
	__u32 prefixlen;
	__u32 pad;			/* zero */
};
THINGS_STATIC_ASSERT(sizeof(struct things_fast_entry) == 48, "fast entry layout");

/* The one value of the `fast_prefixes` array. */
struct things_fast_table {
	__u32 count;			/* 0: use the trie */
	__u32 pad;			/* zero */
	struct things_fast_entry entries[THINGS_FAST_SLOTS];
};
THINGS_STATIC_ASSERT(sizeof(struct things_fast_table) == 8 + 48 * THINGS_FAST_SLOTS,
		     "fast table layout");

/* Keyed by ifindex (__u32): the interfaces NDP is answered on, and the MAC
 * our Neighbor Advertisements carry there. */
struct things_iface {
	__u8 mac[6];
	__u16 flags;	/* enum things_iface_flags: control-plane bookkeeping */
};
THINGS_STATIC_ASSERT(sizeof(struct things_iface) == 8, "iface layout");

/* What a packet meant to the app it matched; each reason maps to one. */
#define THINGS_ACTIONS(X)						\
	X(ECHO_REPLY, "echo-reply")					\
	X(NA, "na")			/* solicited NA, unicast */	\
	X(NA_DAD, "na-dad")		/* NA to ff02::1 for a DAD probe */ \
	X(SILENT_DROP, "silent-drop")	/* echo to a silent app */	\
	X(PASS, "pass")			/* to the kernel: TCP, UDP, ... */ \
	X(INVALID, "invalid")		/* malformed request, unanswered */

#define THINGS_ENUM_ACT(sym, name) THINGS_ACT_##sym,
enum things_action { THINGS_ACTIONS(THINGS_ENUM_ACT) THINGS_ACT_COUNT };

/*
 * Why a packet got its verdict: X(ENUM_SUFFIX, "name", ACTION), ACTION
 * being what the reason means for the app the packet matched. Every packet
 * the program sees is counted under exactly one reason, so the reasons add
 * up to all traffic.
 */
#define THINGS_REASONS(X)						\
	X(TX_ECHO_REPLY, "tx-echo-reply", ECHO_REPLY)				\
	X(TX_NA, "tx-na", NA)						\
	X(TX_NA_DAD, "tx-na-dad", NA_DAD)					\
	X(DROP_SILENT, "drop-silent", SILENT_DROP)					\
	X(PASS_NOT_IPV6, "pass-not-ipv6", PASS)				\
	/* headers cut short, or a payload length past the frame */	\
	X(PASS_TRUNCATED, "pass-truncated", INVALID)				\
	X(PASS_FRAGMENT, "pass-fragment", PASS)				\
	/* ESP, AH, mobility, no-next-header, misplaced hop-by-hop */	\
	X(PASS_EXTHDR_UNKNOWN, "pass-exthdr-unknown", PASS)			\
	X(PASS_EXTHDR_LIMIT, "pass-exthdr-limit", PASS)			\
	/* a routing header with segments left: not the final hop */	\
	X(PASS_ROUTING_SEGMENTS, "pass-routing-segments", PASS)		\
	X(PASS_NO_PREFIX, "pass-no-prefix", PASS)				\
	X(PASS_HOST, "pass-host", PASS)					\
	X(PASS_NOT_ICMP, "pass-not-icmp", PASS)				\
	X(PASS_ICMP_OTHER, "pass-icmp-other", PASS)				\
	X(PASS_DST_MULTICAST, "pass-dst-multicast", PASS)			\
	/* echo in a frame to a group MAC: ours is no source for a reply */ \
	X(PASS_L2_GROUP, "pass-l2-group", PASS)				\
	X(PASS_SRC_INVALID, "pass-src-invalid", INVALID)				\
	X(PASS_NOT_ONLINK, "pass-not-onlink", PASS)				\
	X(PASS_IFACE_UNKNOWN, "pass-iface-unknown", PASS)			\
	X(PASS_APP_INVALID, "pass-app-invalid", PASS)				\
	X(PASS_TX_FAILED, "pass-tx-failed", PASS)				\
	/* RFC 4861 7.1.1 validity of a Neighbor Solicitation */	\
	X(NS_HOP_LIMIT, "ns-hop-limit", INVALID)					\
	X(NS_CODE, "ns-code", INVALID)						\
	X(NS_LENGTH, "ns-length", INVALID)					\
	X(NS_CHECKSUM, "ns-checksum", INVALID)					\
	X(NS_TARGET_MULTICAST, "ns-target-multicast", INVALID)			\
	X(NS_OPTION_LENGTH, "ns-option-length", INVALID)				\
	X(NS_TOO_LONG, "ns-too-long", INVALID)					\
	X(NS_SRC_MULTICAST, "ns-src-multicast", INVALID)				\
	X(NS_DAD_DST, "ns-dad-dst", INVALID)					\
	X(NS_DAD_SLLA, "ns-dad-slla", INVALID)

#define THINGS_ENUM_REASON(sym, name, act) THINGS_R_##sym,
enum things_reason { THINGS_REASONS(THINGS_ENUM_REASON) THINGS_R_MAX };
#define THINGS_REASON_SLOTS 64
THINGS_STATIC_ASSERT(THINGS_R_MAX <= THINGS_REASON_SLOTS, "reason slots");

/* The `apps` array, indexed by app id: what the control plane set up, kept
 * in bpffs so that ids, names and counters survive a daemon restart and
 * thingsctl can explain the counters while the daemon is down. */
struct things_app {
	char name[THINGS_APP_NAME_MAX];	/* NUL-terminated; "" = slot free */
	struct things_prefix_key prefix;
	__u16 kind;			/* enum things_app_kind */
	__u16 flags;			/* enum things_prefix_flags */
	__u32 ifindex;			/* on-link apps: the link; else 0 */
};
THINGS_STATIC_ASSERT(sizeof(struct things_app) == 60, "app layout");

/* Value of the `stats` per-CPU array. */
struct things_counter {
	__u64 packets;
	__u64 bytes;
};
THINGS_STATIC_ASSERT(sizeof(struct things_counter) == 16, "counter layout");

/* `stats` is indexed by (app, reason): one update per packet gives both the
 * per-reason and the per-app view. App 0 is "no app". */
#define THINGS_STATS_IDX(app, reason) ((app) * THINGS_REASON_SLOTS + (reason))
#define THINGS_STATS_ENTRIES (THINGS_MAX_APPS * THINGS_REASON_SLOTS)

#endif /* THINGS_ABI_H */
