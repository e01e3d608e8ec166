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
/* App state (see "Apps that read the address" below). */
#define THINGS_PIN_APP_CFG	"app_cfg"
#define THINGS_PIN_RATE		"rate_buckets"
#define THINGS_PIN_BOARDS	"boards"
#define THINGS_PIN_BOARD_LOG	"board_log"
#define THINGS_PIN_TREES	"trees"
#define THINGS_PIN_CANVASES	"canvases"
/* Traceroute stories (see "Traceroute stories" at the end). */
#define THINGS_PIN_STORIES	"stories"
#define THINGS_PIN_STORY_LINES	"story_lines"
#define THINGS_PIN_ERR_CFG	"err_cfg"
#define THINGS_PIN_ERR_BUCKET	"err_bucket"
/* One framebuffer per canvas app, pinned by thingsd as canvas_<app id>. */
#define THINGS_PIN_CANVAS_FMT	"canvas_%u"
/* TCP steering (see "TCP apps" below): a program of its own, attached to
 * the network namespace with a BPF link that is pinned too. */
#define THINGS_PIN_TCP_RULES	"tcp_rules"
#define THINGS_PIN_TCP_SOCKS	"tcp_socks"
#define THINGS_PIN_TCP_STATS	"tcp_stats"
#define THINGS_PIN_PROG_SK_LOOKUP "things_sk_lookup"
#define THINGS_PIN_SK_LOOKUP_LINK "things_sk_lookup_link"

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
 * The fast table: the whole trie again, checked with masked compares,
 * which cost a fraction of an LPM trie lookup, in an order where the first
 * match is the longest: no entry comes after one that holds it (thingsd
 * puts longer prefixes first, and the host's own addresses that no app
 * prefix holds last). It is only used when everything in the trie fits (a
 * host with a few apps and a few addresses); count 0 sends every lookup to
 * the trie.
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

/*
 * `ifaces`: the interfaces NDP is answered on, and the MAC our Neighbor
 * Advertisements carry there. An array, so that the data plane finds an
 * interface with no hash lookup (the verifier inlines an array's): the
 * interface with ifindex n is in slot n % THINGS_IFACE_SLOTS, or if that
 * one holds another interface, in one of the THINGS_IFACE_PROBES - 1
 * slots after it (round the array). A slot whose ifindex is 0 is free.
 * Lookups check every probe slot, so freeing one never hides another.
 */
#define THINGS_IFACE_SLOTS	1024
#define THINGS_IFACE_PROBES	4

struct things_iface {
	__u8 mac[6];
	__u16 flags;	/* enum things_iface_flags: control-plane bookkeeping */
	__u32 ifindex;	/* 0: the slot is free */
	__u32 pad;	/* zero */
};
THINGS_STATIC_ASSERT(sizeof(struct things_iface) == 16, "iface layout");
THINGS_STATIC_ASSERT((THINGS_IFACE_SLOTS & (THINGS_IFACE_SLOTS - 1)) == 0,
		     "a mask keeps an iface slot in the array");

/* What a packet meant to the app it matched; each reason maps to one. */
#define THINGS_ACTIONS(X)						\
	X(ECHO_REPLY, "echo-reply")					\
	X(NA, "na")			/* solicited NA, unicast */	\
	X(NA_DAD, "na-dad")		/* NA to ff02::1 for a DAD probe */ \
	X(SILENT_DROP, "silent-drop")	/* echo to a silent app */	\
	X(PASS, "pass")			/* to the kernel: TCP, UDP, ... */ \
	X(INVALID, "invalid")		/* malformed request, unanswered */ \
	/* apps that read the address: a valid request changed the app's	\
	 * state (a post, a light, a pixel), or was valid and changed	\
	 * nothing; both are answered unless the app is silent */	\
	X(APP_UPDATE, "app-update")					\
	X(APP_IGNORED, "app-ignored")					\
	X(RATE_LIMITED, "rate-limited")	/* over the source's rate: dropped */ \
	/* an ICMPv6 error built in place: Time Exceeded, Port Unreachable */ \
	X(ICMP_ERROR, "icmp-error")

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
	X(NS_DAD_SLLA, "ns-dad-slla", INVALID)					\
	/* apps that read the address (board, tree, canvas) */		\
	X(APP_CHECKSUM, "app-checksum", INVALID)				\
	X(APP_RATE_LIMITED, "app-rate-limited", RATE_LIMITED)			\
	/* no state for the app: its config or framebuffer is missing */ \
	X(APP_NO_STATE, "app-no-state", APP_IGNORED)				\
	X(BOARD_POSTED, "board-posted", APP_UPDATE)				\
	X(BOARD_REPEAT, "board-repeat", APP_IGNORED)				\
	X(BOARD_EMPTY, "board-empty", APP_IGNORED)				\
	X(BOARD_UNPRINTABLE, "board-unprintable", APP_IGNORED)			\
	X(TREE_LIT, "tree-lit", APP_UPDATE)					\
	/* a colour group above 0xff: ::RR:GG:BB holds bytes */		\
	X(TREE_BAD_COLOUR, "tree-bad-colour", APP_IGNORED)			\
	X(CANVAS_PAINTED, "canvas-painted", APP_UPDATE)			\
	X(CANVAS_OUT_OF_RANGE, "canvas-out-of-range", APP_IGNORED)		\
	/* trace: a hop of a story, and the end of a UDP probe's story */	\
	X(TX_TIME_EXCEEDED, "tx-time-exceeded", ICMP_ERROR)			\
	X(TX_PORT_UNREACHABLE, "tx-port-unreachable", ICMP_ERROR)		\
	/* an error over the source's or the host's rate (RFC 4443 2.4 f) */ \
	X(ERR_LIMIT_SOURCE, "error-limit-source", RATE_LIMITED)		\
	X(ERR_LIMIT_GLOBAL, "error-limit-global", RATE_LIMITED)		\
	/* a story without the line its hop needs: being rewritten */	\
	X(TRACE_NO_LINE, "trace-no-line", PASS)

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

/*
 * Apps that read the address.
 *
 * Per-app settings the data plane reads, in the `app_cfg` array indexed by
 * app id. thingsd writes the slot before the app's prefix enters the trie.
 */
#define THINGS_BOARD_MAX_LINES	256
#define THINGS_BOARD_DEF_LINES	24
#define THINGS_TREE_MAX_LIGHTS	1024
#define THINGS_TREE_DEF_LIGHTS	50
#define THINGS_CANVAS_MAX_SIDE	4096
#define THINGS_CANVAS_DEF_SIDE	1024
#define THINGS_RATE_DEF_PREFIX	64

struct things_app_cfg {
	__u32 rate;		/* requests per second per source prefix; 0: no limit */
	__u32 burst;		/* bucket depth, in requests (>= 1 when rate > 0) */
	__u8 rate_prefix;	/* sources are grouped by this many leading bits */
	__u8 pad0;		/* zero */
	__u16 lines;		/* board: messages kept, 1..THINGS_BOARD_MAX_LINES */
	__u16 lights;		/* tree: 1..THINGS_TREE_MAX_LIGHTS */
	__u16 width;		/* canvas: 1..THINGS_CANVAS_MAX_SIDE */
	__u16 height;
	__u16 pad1;		/* zero */
	__u32 pad2;		/* zero */
};
THINGS_STATIC_ASSERT(sizeof(struct things_app_cfg) == 24, "app cfg layout");

/* Key of the `rate_buckets` LRU hash: the app and the source address with
 * every bit past the app's rate_prefix cleared. */
struct things_rate_key {
	__u32 app_id;
	__u32 pad;		/* zero */
	__u8 src[16];
};
THINGS_STATIC_ASSERT(sizeof(struct things_rate_key) == 24, "rate key layout");

struct things_rate_bucket {
	__u64 last_ns;		/* bpf_ktime_get_ns() of the last refill */
	__u64 tokens;		/* in units of 1/1e9 request */
};
THINGS_STATIC_ASSERT(sizeof(struct things_rate_bucket) == 16, "rate bucket layout");
#define THINGS_RATE_BUCKETS	65536

/*
 * Board: the interface ID's 8 bytes are the text. A writer zeroes a slot's
 * seq, writes the message, then its seq last, so a reader that sees the
 * same non-zero seq before and after copying a slot has a whole message.
 * (Without the zeroing, a slot half overwritten still shows the old seq.)
 *
 * A message's time is CLOCK_MONOTONIC as the timer tick last set it
 * (bpf_ktime_get_coarse_ns(), CLOCK_MONOTONIC_COARSE to userspace): a
 * precise clock read costs more than all the rest of a post on some
 * hypervisors' clocks, and a few milliseconds are precision enough for a
 * message. Readers add CLOCK_REALTIME - CLOCK_MONOTONIC as it is when they
 * read; that is right unless the host slept in between (the monotonic
 * clock stops then), and pinned maps do not outlive a reboot.
 */
#define THINGS_BOARD_TEXT	8

struct things_board_msg {
	__u64 seq;		/* 1-based post number on its board; 0: empty */
	__u64 time_ns;		/* CLOCK_MONOTONIC, a tick at a time (see above) */
	__u8 src[16];		/* the sender */
	char text[THINGS_BOARD_TEXT];	/* printable ASCII, NUL-padded */
};
THINGS_STATIC_ASSERT(sizeof(struct things_board_msg) == 40, "board msg layout");

/* The `boards` array, indexed by app id. Post n goes to
 * msgs[(n - 1) % lines]. */
struct things_board {
	__u64 posts;		/* messages posted; the last one has seq == posts */
	char last[THINGS_BOARD_TEXT];	/* the last message, to refuse repeats */
	struct things_board_msg msgs[THINGS_BOARD_MAX_LINES];
};
THINGS_STATIC_ASSERT(sizeof(struct things_board) == 16 + 40 * THINGS_BOARD_MAX_LINES,
		     "board layout");

/*
 * `board_log`: every post of every board, for live readers, in a ring of
 * THINGS_BOARD_LOG_SLOTS events in a memory-mappable array. Slot
 * THINGS_BOARD_LOG_SLOTS is the head: its seq is the number of events ever
 * logged. Event n (1-based) is in slot (n - 1) % THINGS_BOARD_LOG_SLOTS,
 * written as a board message is: seq zeroed first, written last. Readers
 * keep their own position, need no write access, and know exactly how many
 * events they missed; the writer never waits.
 */
#define THINGS_BOARD_LOG_SLOTS	4096

struct things_board_event {
	__u64 seq;		/* 1-based, across all boards; 0: empty */
	__u32 app_id;
	__u32 pad;		/* zero */
	struct things_board_msg msg;
};
THINGS_STATIC_ASSERT(sizeof(struct things_board_event) == 56, "board event layout");

/*
 * Tree: the last three groups of the address are the colour, one byte
 * each: ...::RR:GG:BB (...::ff:0:0 is red). Each valid ping sets the next
 * light, round the tree: light (lit - 1) % lights.
 */
#define THINGS_LIGHT_ON		0x01000000U	/* set on every light ever lit */

struct things_tree {
	__u64 lit;		/* lights set so far */
	__u32 light[THINGS_TREE_MAX_LIGHTS];	/* THINGS_LIGHT_ON | 0xRRGGBB, 0: dark */
};
THINGS_STATIC_ASSERT(sizeof(struct things_tree) == 8 + 4 * THINGS_TREE_MAX_LIGHTS,
		     "tree layout");

/*
 * Canvas: the interface ID is XXXX:YYYY:RRGG:BBAA (pingxelflut's layout).
 * Each canvas app has its own framebuffer: a BPF_F_MMAPABLE array whose
 * elements hold THINGS_CANVAS_SLOT_PIXELS pixels each. Pixel i = y * width
 * + x is px[i % 2] of element i / 2; each a __u32 0x00RRGGBB (0: black, as
 * a new canvas is). The kernel aligns array elements to 8 bytes, so a pair
 * of pixels per element is what leaves no padding: mapped, the
 * framebuffer is exactly width * height __u32s, pixel i at byte 4 * i.
 * thingsd creates it with the app's size (things_canvas_slots() elements),
 * pins it (THINGS_PIN_CANVAS_FMT) and puts it in the `canvases` array of
 * maps at the app's id. Alpha 0xff replaces a pixel, 0 leaves it, values
 * between blend: c = (new * a + old * (255 - a)) / 255 per channel,
 * rounded down.
 */
#define THINGS_CANVAS_SLOT_PIXELS 2

struct things_canvas_slot {
	__u32 px[THINGS_CANVAS_SLOT_PIXELS];
};
THINGS_STATIC_ASSERT(sizeof(struct things_canvas_slot) == 8, "canvas slot layout");

/* Elements of a width x height framebuffer. */
#define THINGS_CANVAS_SLOTS(width, height)					\
	(((__u32)(width) * (__u32)(height) + THINGS_CANVAS_SLOT_PIXELS - 1) /	\
	 THINGS_CANVAS_SLOT_PIXELS)

#define THINGS_CANVAS_PIXEL_MASK 0x00ffffffU

/*
 * Traceroute stories (kind trace): the destination picks a story, the hop
 * limit it arrives with picks the line. A probe (ICMPv6 echo request, UDP
 * or TCP) to a story's destination that arrives with hop limit h, 1 <= h
 * <= hops, is answered with Time Exceeded from line h's address; past the
 * last line the destination answers as itself (echo reply, Port
 * Unreachable for UDP, TCP to the kernel).
 *
 * `stories` is an LPM trie keyed like `prefixes` (a story's destination is
 * an address or a sub-prefix of its app). A list story has its lines in
 * slots 0..hops-1 of `story_lines`. An address story (bits > 0) reads its
 * lines from the address: the last hops * bits bits of the destination are
 * one field per hop, hop 1's the most significant; hop h's line is slot
 * (h - 1) << bits | field h. thingsd fills all 2^bits slots of each hop,
 * so every field value has a line (a table of n lines repeats: value v is
 * line v % n).
 */
#define THINGS_MAX_STORIES	65536
#define THINGS_STORY_LINES	65536	/* slots, of all stories together */
#define THINGS_STORY_MAX_HOPS	255	/* a list story's lines */
#define THINGS_STORY_MAX_BITS	8	/* an address story's field width */
#define THINGS_STORY_MAX_FIELDS	32	/* an address story's hops */
#define THINGS_STORY_NAME_MAX	256	/* a line's name, with its NUL */

struct things_story {
	__u32 app_id;		/* the trace app it belongs to */
	__u16 story;		/* its number in the app: a key of its lines */
	__u8 hops;		/* 1..THINGS_STORY_MAX_HOPS */
	__u8 bits;		/* 0: a list; else 1..THINGS_STORY_MAX_BITS */
};
THINGS_STATIC_ASSERT(sizeof(struct things_story) == 8, "story layout");

struct things_story_line_key {
	__u32 app_id;
	__u16 story;
	__u16 slot;		/* see above */
};
THINGS_STATIC_ASSERT(sizeof(struct things_story_line_key) == 8, "story line key layout");
THINGS_STATIC_ASSERT(((THINGS_STORY_MAX_FIELDS - 1) << THINGS_STORY_MAX_BITS |
		      ((1 << THINGS_STORY_MAX_BITS) - 1)) <= 0xffff, "a slot fits its key");

/* The data plane reads only addr; the name is for the views and the
 * reverse zone (any bytes but NUL: escaped wherever it is shown). */
struct things_story_line {
	__u8 addr[16];		/* Time Exceeded comes from here */
	char name[THINGS_STORY_NAME_MAX];	/* NUL-terminated */
};
THINGS_STATIC_ASSERT(sizeof(struct things_story_line) == 16 + THINGS_STORY_NAME_MAX,
		     "story line layout");

/*
 * ICMPv6 errors are built in place and are at most THINGS_ERR_MAX_LEN
 * bytes of IPv6 (RFC 4443 2.4 c: the minimum MTU): the invoking packet is
 * quoted up to that. They are rate-limited (2.4 f) twice: per source
 * prefix by the app's own rate, burst and rate_prefix (app_cfg, buckets in
 * `rate_buckets`), and for the whole host by `err_cfg` (an array of one),
 * whose bucket is `err_bucket` (an array of one things_rate_bucket; a
 * zeroed one is full).
 */
#define THINGS_ERR_MAX_LEN	1280

struct things_err_cfg {
	__u32 rate;		/* errors per second from the host; 0: no limit */
	__u32 burst;		/* bucket depth (>= 1 when rate > 0) */
};
THINGS_STATIC_ASSERT(sizeof(struct things_err_cfg) == 8, "err cfg layout");

/*
 * TCP apps: (local address, local port, remote address) picks a rule, one
 * rule per tcp app, the app's id being the rule's. `things_sk_lookup` finds
 * the rule and hands the new connection to the rule's listening socket in
 * the `tcp_socks` SOCKMAP (key: app id): a server's own socket (target
 * listen), or thingsd's, which passes each connection on (socketbox).
 *
 * `tcp_rules` is an LPM trie keyed by the port then the local address, one
 * entry per (port, app prefix). Its value lists, most specific first, every
 * rule that may take a connection to that port of an address of that
 * prefix: the prefix's own rules, those with a longer `from` first, then
 * those of the shorter prefixes that hold it. The first whose `from` holds
 * the remote address wins, so a `from` that does not match falls back to
 * the next rule as a longest-prefix match would. thingsd computes the
 * lists; a config whose rules cannot be ordered so is refused.
 */
#define THINGS_TCP_CANDIDATES	8
#define THINGS_TCP_MAX_KEYS	(1U << 18)

struct things_tcp_key {
	__u32 prefixlen;	/* 16 + the app prefix's length */
	__u8 port[2];		/* the local port, network order */
	__u8 addr[16];		/* the app prefix, host bits clear */
	__u8 pad[2];		/* zero; past every prefixlen */
};
THINGS_STATIC_ASSERT(sizeof(struct things_tcp_key) == 24, "tcp key layout");

struct things_tcp_candidate {
	__u64 from[2];		/* remote prefix, network order, host bits clear */
	__u64 from_mask[2];	/* all zero: any remote address */
	__u32 app_id;
	__u32 pad;		/* zero */
};
THINGS_STATIC_ASSERT(sizeof(struct things_tcp_candidate) == 40, "tcp candidate layout");

struct things_tcp_match {
	__u32 count;		/* <= THINGS_TCP_CANDIDATES */
	__u32 pad;		/* zero */
	struct things_tcp_candidate cand[THINGS_TCP_CANDIDATES];
};
THINGS_STATIC_ASSERT(sizeof(struct things_tcp_match) == 8 + 40 * THINGS_TCP_CANDIDATES,
		     "tcp match layout");

/*
 * `tcp_stats`: an array of __u64 indexed by THINGS_TCP_STATS_IDX(app,
 * counter). The program and thingsd count disjoint slots, so neither ever
 * overwrites the other: X(ENUM_SUFFIX, "name").
 */
#define THINGS_TCP_COUNTERS(X)						\
	/* things_sk_lookup: a new connection matched the rule */	\
	X(MATCHED, "matched")						\
	X(STEERED, "steered")		/* to the rule's socket */	\
	/* the rule's socket is gone (its server exited): the kernel	\
	 * refuses the connection, unless a listener of its own takes it */ \
	X(NO_SOCKET, "no-socket")					\
	X(ASSIGN_FAILED, "assign-failed")				\
	/* thingsd (socketbox, inetd) or its relay worker (relay) */	\
	X(ACCEPTED, "accepted")						\
	/* socketbox: sent to the receiver; inetd: a child started;	\
	 * relay: the backend took the connection */			\
	X(PASSED, "passed")						\
	/* socketbox: the receiver is gone, refused it or its queue is	\
	 * full; inetd, relay: over max_children, max_connections */	\
	X(REFUSED, "refused")						\
	/* any other error; relay: the backend refused or is down */	\
	X(FAILED, "failed")						\
	/* inetd children, relayed connections open now: a gauge */	\
	X(ACTIVE, "active")						\
	X(BYTES_IN, "bytes-in")		/* relay: client to backend */	\
	X(BYTES_OUT, "bytes-out")	/* relay: backend to client */	\
	/* relay: connect or idle timeout; inetd: a child past timeout */ \
	X(TIMED_OUT, "timed-out")

#define THINGS_ENUM_TCP_COUNTER(sym, name) THINGS_TCP_##sym,
enum things_tcp_counter { THINGS_TCP_COUNTERS(THINGS_ENUM_TCP_COUNTER) THINGS_TCP_N_COUNTERS };
#define THINGS_TCP_SLOTS	16
THINGS_STATIC_ASSERT(THINGS_TCP_N_COUNTERS <= THINGS_TCP_SLOTS, "tcp counter slots");
#define THINGS_TCP_STATS_IDX(app, ctr) ((app) * THINGS_TCP_SLOTS + (ctr))
#define THINGS_TCP_STATS_ENTRIES (THINGS_MAX_APPS * THINGS_TCP_SLOTS)

#endif /* THINGS_ABI_H */
