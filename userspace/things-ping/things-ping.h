/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_PING_H
#define THINGS_PING_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_USAGE 2

/* msg.c. Each prints "things-ping: MSG" on stderr; fail and usage_error
 * return the exit status, usage_error after the hint to read the help. */
__attribute__((format(printf, 1, 2))) int fail(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);
/* s with every byte outside printable ASCII (and the backslash) as \xNN,
 * cut to fit buf: command-line text is echoed in messages only this way. */
const char *quote(const char *s, char *buf, size_t len);
#define QUOTE_MAX 96

/*
 * The addresses to ping, in order. One round is every address once;
 * rewind starts the next. count is known before the first address is
 * made, so a canvas is not turned into a list of addresses in memory.
 */
struct targets {
	size_t count;		/* addresses in one round, >= 1 */
	bool (*next)(struct targets *t, struct in6_addr *dst);	/* false: round over */
	void (*rewind)(struct targets *t);
	void (*destroy)(struct targets *t);
};

/* targets.c */
/* Parses the app's PREFIX: at most max_len bits long, no bits set past its
 * length. Returns 0, or EXIT_USAGE after saying why, with need (what the
 * app needs and why) when the prefix is too long. */
int payload_prefix(const char *text, unsigned int max_len, const char *need,
		   struct in6_addr *out);
/* A fixed list of addresses; takes ownership of addrs (malloc'd). */
struct targets *list_targets(struct in6_addr *addrs, size_t n);
/* Writes each address of each round, one a line. Returns the exit status. */
int print_targets(struct targets *t, unsigned int rounds);

/* board.c */
struct board_opts {
	bool split;		/* text past 8 bytes: several messages */
	unsigned int rounds;	/* to warn about repeats across rounds */
	bool quiet;
};
int board_targets(const char *prefix, const char *text, const struct board_opts *o,
		  struct targets **out);

/* tree.c */
int tree_targets(const char *prefix, const char *colour, struct targets **out);

/* canvas.c */
struct canvas_opts {
	uint32_t at_x, at_y;		/* where the image's top left pixel goes */
	uint32_t width, height;		/* --size: the canvas; 0: only 16-bit limits */
};
int canvas_targets(const char *prefix, const char *path, const struct canvas_opts *o,
		   struct targets **out);

/* png.c: any PNG as 8-bit RGBA, rows top to bottom. */
struct rgba_image {
	uint32_t width, height;
	uint8_t *pixels;		/* width * height * 4 bytes */
};
/* Returns 0; EXIT_FAILURE if the file cannot be read; EXIT_USAGE if it is
 * not a PNG or a broken one. Says why in each case. */
int png_load_rgba(const char *path, struct rgba_image *img);
void rgba_image_free(struct rgba_image *img);

/* send.c */
struct send_opts {
	const char *ifname;	/* NULL: the routing table picks */
	const char *source;	/* NULL: the kernel picks */
	int hop_limit;		/* 0: the kernel's default */
	uint64_t rate;		/* packets per second; 0: as fast as batches go */
	unsigned int rounds;	/* every address this many times */
	double wait;		/* seconds to wait for replies after the last send; 0: none */
	bool quiet;
};
int send_targets(struct targets *t, const struct send_opts *o);

/* The echo request's payload; the reply brings it back, so a reply is
 * matched to its request without a table of what was sent. */
#define PROBE_MAGIC "thpg"
struct probe_payload {
	char magic[4];
	uint32_t index;		/* network order: the packet's number in this run */
	uint8_t cookie[8];	/* random per run: replies to other runs are not ours */
	struct in6_addr dst;	/* where the request went */
};
_Static_assert(sizeof(struct probe_payload) == 32, "probe payload layout");

/* Sequence numbers count from 1, as ping's do, and wrap at 16 bits: the
 * payload's index is what tells requests apart. */
static inline uint16_t probe_seq(uint32_t index)
{
	return (uint16_t)(index + 1);
}

/* replies.c: one run's identity, and the echo replies to it. */
struct reply_count {
	uint16_t ident;		/* the echo identifier */
	uint8_t cookie[8];
	uint64_t total;		/* requests the run sends */
	uint64_t answered;	/* requests with at least one reply */
	uint64_t duplicates;	/* replies to a request already answered */
	uint8_t *seen;		/* bitmap over packet indices; NULL: not counting */
};
/* A fresh identity; track: count replies too. Returns 0 or -ENOMEM. */
int replies_init(struct reply_count *rc, uint64_t total, bool track);
/* Reads every reply queued on fd without blocking. Returns 0 or -errno. */
int replies_drain(struct reply_count *rc, int fd);
void replies_free(struct reply_count *rc);

#endif
