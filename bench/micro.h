/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The micro-benchmark's cases and results, shared by the runner (micro.c)
 * and the reports (report.c).
 */
#ifndef THINGS_BENCH_MICRO_H
#define THINGS_BENCH_MICRO_H

#include <linux/bpf.h>

#include "bench_abi.h"
#include "things_abi.h"

#define MAX_ROUNDS 99U

/* things_xdp is loaded once per trie content, so that every case can be
 * timed in every round without refilling a trie in between. */
enum prog_id {
	PROG_NOP,
	PROG_MINIMAL,
	PROG_HARNESS,
	PROG_THINGS_ROUTED,	/* trie: the routed /48 */
	PROG_THINGS_ONLINK,	/* trie: the on-link /64 */
	PROG_THINGS_MANY,	/* trie: both, and --prefixes random ones */
	PROG_THINGS_ROUTED_FAST,	/* the /48 in the fast table, as thingsd puts it */
	PROG_THINGS_ONLINK_FAST,	/* the /64 likewise */
	PROG_THINGS_APPS_FAST,	/* a board, a tree and two canvases, fast table */
	PROG_COUNT,
};

static inline int bench_is_things(enum prog_id id)
{
	return id >= PROG_THINGS_ROUTED;
}

enum frame_id {
	FRAME_ECHO,
	FRAME_NS,
	/* Echo requests to the apps that read the address. */
	FRAME_BOARD,
	FRAME_TREE,
	FRAME_CANVAS,
	FRAME_CANVAS_RATED,
	/* Traceroute probes (echo requests, hop limit 1) to a story. */
	FRAME_TRACE,
	FRAME_TRACE_RATED,
	FRAME_COUNT,
};

enum case_id {
	C_NOP,
	C_MINIMAL_ECHO,
	C_MINIMAL_NS,
	C_THINGS_ECHO,
	C_THINGS_NS,
	C_THINGS_ECHO_MANY,
	C_THINGS_NS_MANY,
	C_THINGS_ECHO_FAST,
	C_THINGS_NS_FAST,
	C_THINGS_BOARD,
	C_THINGS_TREE,
	C_THINGS_CANVAS,
	C_THINGS_CANVAS_RATED,
	C_THINGS_TRACE,
	C_THINGS_TRACE_RATED,
	C_COUNT,
};

struct bench_case {
	const char *label;	/* things cases get the prefix count added */
	const char *key;	/* in the JSON */
	enum prog_id prog;
	enum frame_id frame;
	enum things_reason reason;	/* things cases: what every run must count */
	__u32 app;		/* things cases: the app it is counted for */
	enum case_id minimal;	/* the ceiling for this frame */
};

struct bench_target {
	const char *label;
	const char *key;
	enum case_id measured, reference;
	const char *versus;	/* the reference in the table's words */
	double limit;
};

#define TARGET_COUNT 7

extern const char *const frame_names[FRAME_COUNT];
extern const struct bench_case cases[C_COUNT];
extern const struct bench_target targets[TARGET_COUNT];

struct options {
	const char *build;
	const char *json;
	const char *jited;	/* PREFIX of things_xdp's machine code and line table */
	unsigned int repeat;
	unsigned int rounds;
	unsigned int prefixes;
	unsigned long long seed;
	int near;	/* random prefixes among the real ones */
	unsigned long long only;	/* bit per case; 0: all */
	int verbose;
};

/* One case, per round: ns is the figure reported (what test_run would say
 * of the program alone), above is its cost above the nop program, harness
 * is what the restore and tail call cost and was taken out. */
struct result {
	double ns[MAX_ROUNDS], above[MAX_ROUNDS], harness[MAX_ROUNDS];
	double median, min, max, above_median, harness_median;
};

struct bench {
	struct options opt;
	struct bpf_object *obj[PROG_COUNT];
	int prog_fd[PROG_COUNT];
	struct bpf_prog_info info[PROG_COUNT];
	int stats_fd[PROG_COUNT];	/* things only */
	int frame_fd, target_fd;	/* the harness's maps */
	unsigned char frame[FRAME_COUNT][BENCH_FRAME_MAX];
	__u32 frame_len[FRAME_COUNT];
	/* The request that takes turns with frame[f] (see BENCH_FRAME_TURNS),
	 * or a length of 0: frame[f] every time. */
	unsigned char frame_alt[FRAME_COUNT][BENCH_FRAME_MAX];
	__u32 frame_alt_len[FRAME_COUNT];
	int turn_fd;		/* the harness's */
	double fill_seconds;
	/* Per things case: what is wrong with its reply (NULL: nothing), and
	 * whether it is the minimal responder's, byte for byte. */
	const char *reply_wrong[C_COUNT];
	int identical[C_COUNT];
	struct result result[C_COUNT];
};

static inline int bench_case_on(const struct options *o, enum case_id id)
{
	return !o->only || (o->only >> id & 1);
}

/* The median over the rounds of one case's figure over another's, and the
 * same of their costs above the nop program. */
double bench_ratio(const struct bench *b, enum case_id measured, enum case_id reference);
double bench_ratio_above_nop(const struct bench *b, enum case_id measured,
			     enum case_id reference);
int bench_target_met(const struct bench *b, const struct bench_target *t);

/* The Markdown table and the notes under it, on stdout. */
void report_table(const struct bench *b);
/* Returns 0 or -errno, having said what failed. */
int report_json(const struct bench *b, const char *path);

#endif /* THINGS_BENCH_MICRO_H */
