/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The micro-benchmark's cases and results, shared by the runner (micro.c),
 * the setup of its programs and maps (micro_setup.c), the reports
 * (report.c) and the regression check (check.c).
 */
#ifndef THINGS_BENCH_MICRO_H
#define THINGS_BENCH_MICRO_H

#include <linux/bpf.h>

#include "bench_abi.h"
#include "things_abi.h"

#define MAX_ROUNDS 199U

/* things_xdp is loaded once per trie content, so that every case can be
 * timed in every round without refilling a trie in between. */
enum prog_id {
	PROG_NOP,
	PROG_MINIMAL,
	PROG_THINGS_ROUTED,	/* trie: the routed /48 */
	PROG_THINGS_ONLINK,	/* trie: the on-link /64 */
	PROG_THINGS_MANY,	/* trie: both, and --prefixes random ones */
	PROG_THINGS_ROUTED_FAST,	/* the /48 in the fast table, as thingsd puts it */
	PROG_THINGS_ONLINK_FAST,	/* the /64 likewise */
	PROG_THINGS_APPS_FAST,	/* a board, a tree and two canvases, fast table */
	/* The scale curve: both real prefixes and random ones, so many in
	 * all: a full fast table, one past it, and two larger tries. */
	PROG_THINGS_16,
	PROG_THINGS_17,
	PROG_THINGS_1K,
	PROG_THINGS_LARGE,	/* --large, a million by default */
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
	C_THINGS_ECHO_FAST,
	C_THINGS_NS_FAST,
	C_THINGS_BOARD,
	C_THINGS_TREE,
	C_THINGS_CANVAS,
	C_THINGS_CANVAS_RATED,
	C_THINGS_TRACE,
	C_THINGS_TRACE_RATED,
	C_THINGS_ECHO,
	C_THINGS_NS,
	C_THINGS_ECHO_16,
	C_THINGS_NS_16,
	C_THINGS_ECHO_17,
	C_THINGS_NS_17,
	C_THINGS_ECHO_1K,
	C_THINGS_NS_1K,
	C_THINGS_ECHO_MANY,
	C_THINGS_NS_MANY,
	C_THINGS_ECHO_LARGE,
	C_THINGS_NS_LARGE,
	C_COUNT,
};

/* The app ids the cases are counted under. */
enum bench_app {
	APP_ROUTED = 1,
	APP_ONLINK = 2,
	APP_RANDOM_FIRST = 3,	/* the random prefixes take turns among 200 */
	APP_RANDOM_COUNT = 200,
	APP_BOARD = 210,
	APP_TREE,
	APP_CANVAS,
	APP_CANVAS_RATED,
	APP_TRACE,
	APP_TRACE_RATED,
};

struct bench_case {
	const char *label;	/* things cases get the prefix count added */
	const char *key;	/* in the JSON and the baseline */
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
/* File under --build, and program in it; and the harness that holds the
 * program compiled in, for timing it (harness.h). */
extern const struct bench_prog {
	const char *file;
	const char *name;
	const char *harness;
} progs[PROG_COUNT];

struct options {
	const char *build;
	const char *json;
	const char *jited;	/* PREFIX of things_xdp's machine code and line table */
	const char *check;	/* a baseline to compare with (bench-check) */
	const char *write_baseline;
	double tolerance;	/* of --check: how far above its baseline a case may be */
	unsigned int repeat;
	unsigned int rounds;
	unsigned int prefixes;
	unsigned int large;	/* prefixes in the largest trie of the curve */
	unsigned long long seed;
	int near;	/* random prefixes among the real ones */
	int verbose;
	unsigned long long only;	/* bit per case; 0: all */
};

static inline int bench_case_on(const struct options *o, enum case_id id)
{
	return !o->only || (o->only >> id & 1);
}

/* One case, per round: ns is the figure reported (what test_run would say
 * of the program alone), above is its cost above the nop program, harness
 * is what the harness (restore and call) cost and was taken out. */
struct result {
	double ns[MAX_ROUNDS], above[MAX_ROUNDS], harness[MAX_ROUNDS];
	double median, min, max, above_median, harness_median;
};

/* A ratio over the rounds: the median of the per-round ratios, and their
 * quartiles and extremes. */
struct ratio {
	double median, q1, q3, min, max;
};

/* What one instance of things_xdp holds: its trie, and all its maps. */
struct instance_size {
	__u32 prefixes;		/* entries in the trie */
	__u64 trie_bytes;	/* the kernel's count of the trie's memory */
	__u64 map_bytes;	/* all of the instance's maps */
	double fill_seconds;
};

/* The harness of one program: its own program and maps. */
struct harness {
	struct bpf_object *obj;
	int prog_fd, frame_fd, turn_fd;
	__u32 func_bytes;	/* the machine code of the program in it */
	/* Of the program's instructions after the verifier, how many are not
	 * the same in the harness: those that load an address, and the rest
	 * (-1: they could not be compared). */
	int addresses_differing, insns_differing;
};

struct bench {
	struct options opt;
	struct bpf_object *obj[PROG_COUNT];
	int prog_fd[PROG_COUNT];
	struct bpf_prog_info info[PROG_COUNT];
	struct harness harness[PROG_COUNT];
	int stats_fd[PROG_COUNT];	/* things only */
	struct instance_size size[PROG_COUNT];	/* things only */
	unsigned char frame[FRAME_COUNT][BENCH_FRAME_MAX];
	__u32 frame_len[FRAME_COUNT];
	/* The request that takes turns with frame[f] (see BENCH_FRAME_TURNS),
	 * or a length of 0: frame[f] every time. */
	unsigned char frame_alt[FRAME_COUNT][BENCH_FRAME_MAX];
	__u32 frame_alt_len[FRAME_COUNT];
	/* The nop program's own run, the floor every figure stands on: the
	 * mean over the rounds (each a whole number of nanoseconds). */
	double floor_ns;
	/* Per things case: what is wrong with its reply (NULL: nothing), and
	 * whether it is the minimal responder's, byte for byte. */
	const char *reply_wrong[C_COUNT];
	int identical[C_COUNT];
	struct result result[C_COUNT];
};

/* micro_setup.c */
int bench_load(struct bench *b);
void bench_unload(struct bench *b);
int bench_map_fd(struct bench *b, enum prog_id id, const char *name, int *fd);
/* Runs a program on a frame repeat times; see micro_setup.c. */
int bench_test_run(const struct bench *b, int prog_fd, const char *what, enum frame_id f,
		   __u32 repeat, unsigned char *out, __u32 *out_len, __u32 *duration);
int bench_verify_replies(struct bench *b);

/* micro.c: the median over the rounds of one case's figure over another's
 * (with the spread of the per-round ratios), and of their costs above nop. */
struct ratio bench_ratio(const struct bench *b, enum case_id measured, enum case_id reference);
double bench_ratio_above_nop(const struct bench *b, enum case_id measured,
			     enum case_id reference);
int bench_target_met(const struct bench *b, const struct bench_target *t);

/* report.c: the Markdown tables and the notes under them, on stdout. */
enum prog_id report_things(const struct bench *b);
void report_table(const struct bench *b);
/* Returns 0 or -errno, having said what failed. */
int report_json(const struct bench *b, const char *path);

/* check.c: each case's ratio to its minimal responder against a
 * baseline's. Returns 0 when none is past its limit, 1 when some are
 * (in *failed, a bit per case), or -errno. */
int check_baseline(const struct bench *b, const char *path, unsigned long long *failed);
int write_baseline(const struct bench *b, const char *path);

#endif /* THINGS_BENCH_MICRO_H */
