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
#define THINGS_PIN_APP_STATS	"app_stats"
#define THINGS_PIN_REASON_STATS	"reason_stats"
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

/* Keyed by ifindex (__u32): the interfaces NDP is answered on, and the MAC
 * our Neighbor Advertisements carry there. */
struct things_iface {
	__u8 mac[6];
	__u16 flags;	/* enum things_iface_flags: control-plane bookkeeping */
};
THINGS_STATIC_ASSERT(sizeof(struct things_iface) == 8, "iface layout");

/* What the program did with a packet that matched an app. */
#define THINGS_ACTIONS(X)						\
	X(ECHO_REPLY, "echo-reply")					\
	X(NA, "na")			/* solicited NA, unicast */	\
	X(NA_DAD, "na-dad")		/* NA to ff02::1 for a DAD probe */ \
	X(SILENT_DROP, "silent-drop")	/* echo to a silent app */	\
	X(PASS, "pass")			/* to the kernel: TCP, UDP, ... */ \
	X(INVALID, "invalid")		/* malformed request, unanswered */

#define THINGS_ENUM_ACT(sym, name) THINGS_ACT_##sym,
enum things_action { THINGS_ACTIONS(THINGS_ENUM_ACT) THINGS_ACT_COUNT };
/* Room for app actions to come without changing the app_stats layout. */
#define THINGS_ACT_MAX 8
THINGS_STATIC_ASSERT(THINGS_ACT_COUNT <= THINGS_ACT_MAX, "action slots");

/*
 * Why a packet got its verdict. Every packet the program sees is counted
 * under exactly one reason, so the reasons add up to all traffic.
 */
#define THINGS_REASONS(X)						\
	X(TX_ECHO_REPLY, "tx-echo-reply")				\
	X(TX_NA, "tx-na")						\
	X(TX_NA_DAD, "tx-na-dad")					\
	X(DROP_SILENT, "drop-silent")					\
	X(PASS_NOT_IPV6, "pass-not-ipv6")				\
	/* headers cut short, or a payload length past the frame */	\
	X(PASS_TRUNCATED, "pass-truncated")				\
	X(PASS_FRAGMENT, "pass-fragment")				\
	/* ESP, AH, mobility, no-next-header, misplaced hop-by-hop */	\
	X(PASS_EXTHDR_UNKNOWN, "pass-exthdr-unknown")			\
	X(PASS_EXTHDR_LIMIT, "pass-exthdr-limit")			\
	/* a routing header with segments left: not the final hop */	\
	X(PASS_ROUTING_SEGMENTS, "pass-routing-segments")		\
	X(PASS_NO_PREFIX, "pass-no-prefix")				\
	X(PASS_HOST, "pass-host")					\
	X(PASS_NOT_ICMP, "pass-not-icmp")				\
	X(PASS_ICMP_OTHER, "pass-icmp-other")				\
	X(PASS_DST_MULTICAST, "pass-dst-multicast")			\
	/* echo in a frame to a group MAC: ours is no source for a reply */ \
	X(PASS_L2_GROUP, "pass-l2-group")				\
	X(PASS_SRC_INVALID, "pass-src-invalid")				\
	X(PASS_NOT_ONLINK, "pass-not-onlink")				\
	X(PASS_IFACE_UNKNOWN, "pass-iface-unknown")			\
	X(PASS_APP_INVALID, "pass-app-invalid")				\
	X(PASS_TX_FAILED, "pass-tx-failed")				\
	/* RFC 4861 7.1.1 validity of a Neighbor Solicitation */	\
	X(NS_HOP_LIMIT, "ns-hop-limit")					\
	X(NS_CODE, "ns-code")						\
	X(NS_LENGTH, "ns-length")					\
	X(NS_CHECKSUM, "ns-checksum")					\
	X(NS_TARGET_MULTICAST, "ns-target-multicast")			\
	X(NS_OPTION_LENGTH, "ns-option-length")				\
	X(NS_TOO_LONG, "ns-too-long")					\
	X(NS_SRC_MULTICAST, "ns-src-multicast")				\
	X(NS_DAD_DST, "ns-dad-dst")					\
	X(NS_DAD_SLLA, "ns-dad-slla")

#define THINGS_ENUM_REASON(sym, name) THINGS_R_##sym,
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

/* Value of both counter maps (per-CPU arrays). */
struct things_counter {
	__u64 packets;
	__u64 bytes;
};
THINGS_STATIC_ASSERT(sizeof(struct things_counter) == 16, "counter layout");

/* Index of (app, action) in the app_stats array. */
#define THINGS_APP_STAT_IDX(app, act) ((app) * THINGS_ACT_MAX + (act))
#define THINGS_APP_STATS_ENTRIES (THINGS_MAX_APPS * THINGS_ACT_MAX)

#endif /* THINGS_ABI_H */
