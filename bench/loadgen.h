/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the throughput benchmark's driver (loadgen.c) shares with its two
 * XDP programs: the generator (loadgen.bpf.c) and the reply counter
 * (replies.bpf.c).
 */
#ifndef THINGS_BENCH_LOADGEN_H
#define THINGS_BENCH_LOADGEN_H

#include <linux/types.h>

enum loadgen_kind {
	LOADGEN_ECHO,	/* echo request to a random address of the prefix */
	LOADGEN_NS,	/* NS for a random target in the prefix, to its group */
	/* Echo requests to apps that read the address, its interface ID
	 * being the request (maps/things_abi.h): */
	LOADGEN_CANVAS,	/* XXXX:YYYY:RRGG:BBff, a random opaque pixel of the canvas */
	LOADGEN_BOARD,	/* 8 printable characters, never the same text twice */
	/* XXXX:YYYY:RRGG:BBff, the canvas's pixels one after another, row by
	 * row, in random colours: a picture drawn as a painter sends it */
	LOADGEN_CANVAS_ROWS,
	LOADGEN_KINDS,
};

/* Frame sizes: ping's default echo request (56 bytes of data), and an NS
 * with a source link-layer address option. */
#define LOADGEN_ECHO_DATA	56
#define LOADGEN_ECHO_LEN	(14 + 40 + 8 + LOADGEN_ECHO_DATA)
#define LOADGEN_NS_PLEN		32
#define LOADGEN_NS_LEN		(14 + 40 + LOADGEN_NS_PLEN)

/* The generator's read-only configuration, set by the driver before the
 * load. Addresses and words are in network order. */
struct loadgen_config {
	__u8 src_mac[6];
	__u8 dst_mac[6];	/* echo only: NS goes to the target's group MAC */
	__u32 kind;		/* enum loadgen_kind */
	__u32 ifindex;		/* where every frame is redirected (sent out of) */
	__u32 prefix[4];	/* destination (echo) or target (NS) prefix */
	__u32 host_mask[4];	/* the bits of it that are random on every frame */
	__u32 src[4];
	__u16 canvas_width;	/* canvas: pixels are drawn inside this size */
	__u16 canvas_height;
	/* One's complement sum, unfolded, of every checksummed word that is
	 * the same in all frames; each frame adds the words it randomises. */
	__u64 sum_base;
	__u64 seed;		/* nonzero */
};

/* Board texts: text n (0-based) is a permutation of n to 52 bits, each
 * half of it written as four base-94 digits, '!' (0x21) to '~' (0x7e).
 * Both steps are one-to-one, so 2^52 texts in a row are all different, and
 * none has a space or a NUL that a board would trim. */
#define LOADGEN_TEXT_BITS	52
#define LOADGEN_TEXT_HALF	26
#define LOADGEN_TEXT_FIRST	0x21
#define LOADGEN_TEXT_DIGITS	94
/* ceil(2^32 / 94^4): a half times this, as a fraction of 2^32, has the
 * half's own base-94 digits in its first four places, and 2^26 of it stays
 * under 2^32. */
#define LOADGEN_TEXT_SCALE	56U

/* The generator's writable state (its .bss). The driver sets text_next
 * and pixel_next before the load, so a run goes on where the last one
 * stopped, and reads them back afterwards. */
struct loadgen_state {
	__u64 rng;		/* xorshift64* state; 0: start from cfg.seed */
	__u64 text_next;	/* number of the next board text */
	__u64 pixel_next;	/* canvas rows: the next pixel, y * width + x */
};

/* The counter's slots, one per kind of reply, each a struct things_counter
 * in a per-CPU array. */
enum loadgen_reply {
	LOADGEN_REPLY_ECHO,	/* echo reply to the client */
	LOADGEN_REPLY_NA,	/* neighbor advertisement to the client */
	LOADGEN_REPLY_SLOTS,
};

#endif /* THINGS_BENCH_LOADGEN_H */
