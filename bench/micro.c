// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * micro: nanoseconds per packet of things_xdp, next to a program that does
 * nothing (the floor) and a minimal responder (the ceiling), measured with
 * BPF_PROG_TEST_RUN and its repeat count, which the kernel times itself and
 * averages, leaving out the time it was preempted.
 *
 * Programs that answer in place are run through a harness
 * (harness_*.bpf.c) that compiles the program in as a function and calls
 * it BENCH_INNER_RUNS times, each from the request restored; see
 * measure_round() for how the harness's own cost is taken out again. Every figure compared with another
 * is compared round by round: both were measured within the same second.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frames.h"
#include "jitdump.h"
#include "log.h"
#include "maps.h"
#include "micro.h"
#include "names.h"

#define DEFAULT_BUILD		"build"
/* Each run of the harness runs the program BENCH_INNER_RUNS times: 20,000
 * runs of it take 10 to 70 ms a case. */
#define DEFAULT_REPEAT		20000U
/* Other work on a small machine slows whole rounds down at times: the
 * medians of 21 pass over ten of them. */
#define DEFAULT_ROUNDS		21U
#define DEFAULT_PREFIXES	100000U
#define DEFAULT_LARGE		1000000U
#define DEFAULT_TOLERANCE	0.10
/* --quick: a smoke test of every step in a few seconds. Each timed run
 * costs some milliseconds however small its repeat count (the kernel swaps
 * the program into its XDP dispatcher and out again), so it keeps to one
 * round, and its tries are small. */
#define QUICK_REPEAT		500U
#define QUICK_ROUNDS		1U
#define QUICK_PREFIXES		10000U
#define QUICK_LARGE		20000U
/* Room for the random prefixes next to the two real ones. */
#define MAX_RANDOM_PREFIXES	(THINGS_MAX_PREFIXES - 2)

const char *const frame_names[FRAME_COUNT] = {
	[FRAME_ECHO] = "echo request",
	[FRAME_NS] = "neighbor solicitation",
	[FRAME_BOARD] = "echo request to a board",
	[FRAME_TREE] = "echo request to a tree",
	[FRAME_CANVAS] = "echo request to a canvas",
	[FRAME_CANVAS_RATED] = "echo request to a rate-limited canvas",
	[FRAME_TRACE] = "traceroute probe to a story",
	[FRAME_TRACE_RATED] = "traceroute probe to a story, errors rate-limited",
};

#define ECHO_CASE(id, label, key, prog)						\
	[id] = { label, key, prog, FRAME_ECHO, THINGS_R_TX_ECHO_REPLY, APP_ROUTED,	\
		 C_MINIMAL_ECHO }
#define NS_CASE(id, label, key, prog)							\
	[id] = { label, key, prog, FRAME_NS, THINGS_R_TX_NA, APP_ONLINK, C_MINIMAL_NS }

const struct bench_case cases[C_COUNT] = {
	[C_NOP] = { "nop (floor)", "nop", PROG_NOP, FRAME_ECHO, 0, 0, C_MINIMAL_ECHO },
	[C_MINIMAL_ECHO] = { "minimal echo", "minimal_echo", PROG_MINIMAL, FRAME_ECHO, 0, 0,
			     C_MINIMAL_ECHO },
	[C_MINIMAL_NS] = { "minimal NS->NA", "minimal_ns", PROG_MINIMAL, FRAME_NS, 0, 0,
			   C_MINIMAL_NS },
	ECHO_CASE(C_THINGS_ECHO_FAST, "things echo", "things_echo_fast", PROG_THINGS_ROUTED_FAST),
	NS_CASE(C_THINGS_NS_FAST, "things NS->NA", "things_ns_fast", PROG_THINGS_ONLINK_FAST),
	[C_THINGS_BOARD] = { "things board post", "things_board_post", PROG_THINGS_APPS_FAST,
			     FRAME_BOARD, THINGS_R_BOARD_POSTED, APP_BOARD, C_MINIMAL_ECHO },
	[C_THINGS_TREE] = { "things tree light", "things_tree_light", PROG_THINGS_APPS_FAST,
			    FRAME_TREE, THINGS_R_TREE_LIT, APP_TREE, C_MINIMAL_ECHO },
	[C_THINGS_CANVAS] = { "things canvas paint", "things_canvas_paint",
			      PROG_THINGS_APPS_FAST, FRAME_CANVAS, THINGS_R_CANVAS_PAINTED,
			      APP_CANVAS, C_MINIMAL_ECHO },
	[C_THINGS_CANVAS_RATED] = { "things canvas paint, rate limit on",
				    "things_canvas_paint_rated", PROG_THINGS_APPS_FAST,
				    FRAME_CANVAS_RATED, THINGS_R_CANVAS_PAINTED,
				    APP_CANVAS_RATED, C_MINIMAL_ECHO },
	/* Time Exceeded has no minimal responder: its ceiling is echo's. */
	[C_THINGS_TRACE] = { "things Time Exceeded", "things_time_exceeded",
			     PROG_THINGS_APPS_FAST, FRAME_TRACE, THINGS_R_TX_TIME_EXCEEDED,
			     APP_TRACE, C_MINIMAL_ECHO },
	[C_THINGS_TRACE_RATED] = { "things Time Exceeded, rate limit on",
				   "things_time_exceeded_rated", PROG_THINGS_APPS_FAST,
				   FRAME_TRACE_RATED, THINGS_R_TX_TIME_EXCEEDED, APP_TRACE_RATED,
				   C_MINIMAL_ECHO },
	ECHO_CASE(C_THINGS_ECHO, "things echo", "things_echo_1", PROG_THINGS_ROUTED),
	NS_CASE(C_THINGS_NS, "things NS->NA", "things_ns_1", PROG_THINGS_ONLINK),
	ECHO_CASE(C_THINGS_ECHO_16, "things echo", "things_echo_16", PROG_THINGS_16),
	NS_CASE(C_THINGS_NS_16, "things NS->NA", "things_ns_16", PROG_THINGS_16),
	ECHO_CASE(C_THINGS_ECHO_17, "things echo", "things_echo_17", PROG_THINGS_17),
	NS_CASE(C_THINGS_NS_17, "things NS->NA", "things_ns_17", PROG_THINGS_17),
	ECHO_CASE(C_THINGS_ECHO_1K, "things echo", "things_echo_1k", PROG_THINGS_1K),
	NS_CASE(C_THINGS_NS_1K, "things NS->NA", "things_ns_1k", PROG_THINGS_1K),
	ECHO_CASE(C_THINGS_ECHO_MANY, "things echo", "things_echo_many", PROG_THINGS_MANY),
	NS_CASE(C_THINGS_NS_MANY, "things NS->NA", "things_ns_many", PROG_THINGS_MANY),
	ECHO_CASE(C_THINGS_ECHO_LARGE, "things echo", "things_echo_large", PROG_THINGS_LARGE),
	NS_CASE(C_THINGS_NS_LARGE, "things NS->NA", "things_ns_large", PROG_THINGS_LARGE),
};

const struct bench_target targets[TARGET_COUNT] = {
	/* thingsd puts a few prefixes in the fast table: that is what runs. */
	{ "things echo <= 1.25x minimal echo", "echo_vs_minimal", C_THINGS_ECHO_FAST,
	  C_MINIMAL_ECHO, "minimal", 1.25 },
	{ "things NS <= 1.5x minimal NS", "ns_vs_minimal", C_THINGS_NS_FAST, C_MINIMAL_NS,
	  "minimal", 1.5 },
	/* How the trie scales: trie against trie. */
	{ "echo, many prefixes <= 1.3x one", "echo_many_vs_one", C_THINGS_ECHO_MANY,
	  C_THINGS_ECHO, "1 prefix", 1.3 },
	{ "NS, many prefixes <= 1.3x one", "ns_many_vs_one", C_THINGS_NS_MANY,
	  C_THINGS_NS, "1 prefix", 1.3 },
	/* An app that reads the address against plain echo, fast table both. */
	{ "board post <= 1.5x echo", "board_vs_echo", C_THINGS_BOARD, C_THINGS_ECHO_FAST,
	  "echo", 1.5 },
	{ "tree light <= 1.5x echo", "tree_vs_echo", C_THINGS_TREE, C_THINGS_ECHO_FAST,
	  "echo", 1.5 },
	{ "canvas paint <= 1.5x echo", "canvas_vs_echo", C_THINGS_CANVAS, C_THINGS_ECHO_FAST,
	  "echo", 1.5 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: micro [--build DIR] [--repeat N] [--rounds N] [--prefixes N]\n"
		"             [--large N] [--seed N] [--near] [--case KEY,...] [--json FILE]\n"
		"             [--check BASELINE [--tolerance F]] [--write-baseline FILE]\n"
		"             [--jited PREFIX] [--quick] [-v] [-h]\n"
		"\n"
		"Times things_xdp against a do-nothing XDP program and a minimal\n"
		"responder with BPF_PROG_TEST_RUN, and prints Markdown tables of\n"
		"nanoseconds per packet. Needs root (CAP_BPF and CAP_NET_ADMIN).\n"
		"\n"
		"  --build DIR     where things.bpf.o and bench/*.bpf.o are (default " DEFAULT_BUILD ")\n"
		"  --repeat N      runs of the harness per measurement, each running the\n"
		"                  program %u times (default %u)\n"
		"  --rounds N      measurements per case; figures are medians, ratios the\n"
		"                  medians of the ratios round by round (default %u, at most %u)\n"
		"  --prefixes N    random prefixes in the trie of the 100k cases (default %u)\n"
		"  --large N       prefixes in the largest trie of the scale curve (default %u)\n"
		"  --seed N        seed of the random prefixes (default 1)\n"
		"  --near          put the random prefixes of the 100k cases in 2001:db8::/32,\n"
		"                  among the real ones, rather than in fd00::/8\n"
		"  --case KEY,...  only these cases (their JSON keys), with what they are\n"
		"                  compared with\n"
		"  --json FILE     also write the figures to FILE as JSON\n"
		"  --check FILE    compare each case's ratio to its minimal responder with\n"
		"                  the baseline FILE; exit 1 if one is past it (bench-check)\n"
		"  --tolerance F   how far past its baseline a ratio may be (default %.2f)\n"
		"  --write-baseline FILE  write this run's ratios as a baseline\n"
		"  --jited PREFIX  write things_xdp's machine code and line table (profile.py)\n"
		"  --quick         a smoke test: --repeat %u --rounds %u --prefixes %u\n"
		"                  --large %u unless given\n"
		"  -v              more log output: -v libbpf's warnings, -vv debug,\n"
		"                  -vvv libbpf's debug output too\n"
		"  -h, --help      this text\n",
		BENCH_INNER_RUNS, DEFAULT_REPEAT, DEFAULT_ROUNDS, MAX_ROUNDS, DEFAULT_PREFIXES,
		DEFAULT_LARGE, DEFAULT_TOLERANCE, QUICK_REPEAT, QUICK_ROUNDS, QUICK_PREFIXES,
		QUICK_LARGE);
}

static int parse_uint(const char *opt, const char *text, unsigned long long min,
		      unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max) {
		pr_err("%s: \"%s\" is not a whole number from %llu to %llu\n", opt, text, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* --case KEY[,KEY...]: only those cases, with the cases they are compared
 * with. */
static int select_cases(struct options *o, const char *list)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		int id;

		for (id = 0; id < C_COUNT && strcmp(cases[id].key, k); id++)
			;
		if (id == C_COUNT) {
			pr_err("--case: no case \"%s\"\n", k);
			return -EINVAL;
		}
		o->only |= 1ULL << id | 1ULL << cases[id].minimal | 1ULL << C_NOP;
		for (int t = 0; t < TARGET_COUNT; t++)
			if (targets[t].measured == (enum case_id)id)
				o->only |= 1ULL << targets[t].reference;
	}
	return 0;
}

/* Returns 0, or 2 for a usage error (after saying what it is). */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "build", required_argument, NULL, 'b' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "prefixes", required_argument, NULL, 'p' },
		{ "large", required_argument, NULL, 'L' },
		{ "seed", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, 'j' },
		{ "near", no_argument, NULL, 'N' },
		{ "case", required_argument, NULL, 'c' },
		{ "check", required_argument, NULL, 'C' },
		{ "tolerance", required_argument, NULL, 'T' },
		{ "write-baseline", required_argument, NULL, 'W' },
		{ "jited", required_argument, NULL, 'J' },
		{ "quick", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long long repeat = 0, rounds = 0, prefixes = 0, large = 0, v;
	int c, quick = 0;
	char *end;

	*o = (struct options){ .build = DEFAULT_BUILD, .seed = 1, .tolerance = DEFAULT_TOLERANCE };
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->build = optarg;
			break;
		case 'r':
			if (parse_uint("--repeat", optarg, 1, UINT_MAX / BENCH_INNER_RUNS, &repeat))
				return 2;
			break;
		case 'n':
			if (parse_uint("--rounds", optarg, 1, MAX_ROUNDS, &rounds))
				return 2;
			break;
		case 'p':
			/* 0 is allowed: the large cases then show the trie's
			 * cost with just the two real prefixes in it. */
			if (parse_uint("--prefixes", optarg, 0, MAX_RANDOM_PREFIXES, &v))
				return 2;
			prefixes = v + 1;	/* 0 below means "not given" */
			break;
		case 'L':
			if (parse_uint("--large", optarg, THINGS_FAST_SLOTS + 1, THINGS_MAX_PREFIXES,
				       &large))
				return 2;
			break;
		case 's':
			if (parse_uint("--seed", optarg, 0, ULLONG_MAX, &o->seed))
				return 2;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'N':
			o->near = 1;
			break;
		case 'c':
			if (select_cases(o, optarg))
				return 2;
			break;
		case 'C':
			o->check = optarg;
			break;
		case 'T':
			errno = 0;
			o->tolerance = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->tolerance >= 0 && o->tolerance < 10)) {
				pr_err("--tolerance: \"%s\" is not a fraction from 0 to 10\n", optarg);
				return 2;
			}
			break;
		case 'W':
			o->write_baseline = optarg;
			break;
		case 'J':
			o->jited = optarg;
			break;
		case 'q':
			quick = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	o->repeat = (unsigned int)(repeat ? repeat : quick ? QUICK_REPEAT : DEFAULT_REPEAT);
	o->rounds = (unsigned int)(rounds ? rounds : quick ? QUICK_ROUNDS : DEFAULT_ROUNDS);
	o->prefixes = (unsigned int)(prefixes ? prefixes - 1 :
				     quick ? QUICK_PREFIXES : DEFAULT_PREFIXES);
	o->large = (unsigned int)(large ? large : quick ? QUICK_LARGE : DEFAULT_LARGE);
	return 0;
}

/* The request of frame f for each of the turns of id's harness. */
static int harness_set(struct bench *b, enum frame_id f, enum prog_id id)
{
	int err;

	for (__u32 k = 0; k < BENCH_FRAME_TURNS; k++) {
		int alt = k % 2 && b->frame_alt_len[f];
		struct bench_frame val = { .len = alt ? b->frame_alt_len[f] : b->frame_len[f] };

		memcpy(val.data, alt ? b->frame_alt[f] : b->frame[f], val.len);
		err = bpf_map_update_elem(b->harness[id].frame_fd, &k, &val, BPF_ANY);
		if (err) {
			pr_err("%s: setting the %s: %s\n", progs[id].harness, frame_names[f],
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The board's first request of a timed run must not be the text it
 * posted last (a repeat is not posted): the harness starts with the one
 * that is not. */
static int board_turn(struct bench *b, const struct bench_case *c)
{
	struct things_board *board = malloc(sizeof(*board));
	const unsigned char *text = frame_echo_dst(b->frame[c->frame]) + 8;	/* the IID */
	__u32 app = c->app, first;
	int fd, err;

	if (!board)
		return -ENOMEM;
	err = bench_map_fd(b, c->prog, THINGS_PIN_BOARDS, &fd);
	if (!err && bpf_map_lookup_elem(fd, &app, board))
		err = -errno;
	if (!err) {
		first = !memcmp(board->last, text, THINGS_BOARD_TEXT);
		if (bpf_map_update_elem(b->harness[c->prog].turn_fd, &(__u32){ 0 }, &first,
					BPF_ANY))
			err = -errno;
	}
	if (err)
		pr_err("%s: choosing the first request: %s\n", c->label, strerror(-err));
	free(board);
	return err;
}

/*
 * One round of one case: the harness with nop as its target, then with the
 * case's program, back to back. Each run of the harness restores the
 * request and calls its target BENCH_INNER_RUNS times, so the difference
 * over that many is the program's own cost above nop's, to a fraction of
 * a nanosecond. The figure reported adds the nop program's own run (the
 * floor, measured directly in every round): what test_run would report
 * for the program if every run could start from the request.
 */
static int measure_round(struct bench *b, enum case_id id, unsigned int round)
{
	const struct bench_case *c = &cases[id];
	struct result *r = &b->result[id];
	__u32 floor, t;
	int err;

	if (c->prog == PROG_NOP) {
		if ((err = bench_test_run(b, b->prog_fd[PROG_NOP], "nop", c->frame,
					  b->opt.repeat * BENCH_INNER_RUNS, NULL, NULL, &t)))
			return err;
		r->ns[round] = t;
		r->above[round] = r->harness[round] = 0;
		return 0;
	}
	if ((err = harness_set(b, c->frame, PROG_NOP)) ||
	    (err = bench_test_run(b, b->harness[PROG_NOP].prog_fd, "harness around nop", c->frame,
				  b->opt.repeat, NULL, NULL, &floor)) ||
	    (err = harness_set(b, c->frame, c->prog)) ||
	    (c->reason == THINGS_R_BOARD_POSTED && (err = board_turn(b, c))) ||
	    (err = bench_test_run(b, b->harness[c->prog].prog_fd, c->label, c->frame,
				  b->opt.repeat, NULL, NULL, &t)))
		return err;
	r->above[round] = ((double)t - floor) / BENCH_INNER_RUNS;
	r->harness[round] = (double)floor / BENCH_INNER_RUNS;
	return 0;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of n values, interpolated between the two nearest. */
static double quantile(const double *v, unsigned int n, double q)
{
	double sorted[MAX_ROUNDS], pos = q * (n - 1);
	unsigned int i = (unsigned int)pos;

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), compare_double);
	return i + 1 < n ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

static double median(const double *v, unsigned int n)
{
	return quantile(v, n, 0.5);
}

/*
 * The floor: test_run reports whole nanoseconds, and nop takes five or
 * six. The mean of the rounds, their highest and lowest dropped, is finer
 * than any one of them, and is the same for every case, so a ratio's two
 * sides stand on the same floor.
 */
static double floor_mean(const double *v, unsigned int n)
{
	double sorted[MAX_ROUNDS], sum = 0;
	unsigned int lo = n > 2 ? 1 : 0, hi = n > 2 ? n - 1 : n;

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), compare_double);
	for (unsigned int i = lo; i < hi; i++)
		sum += sorted[i];
	return sum / (hi - lo);
}

static void summarize(struct result *r, unsigned int n, double floor)
{
	for (unsigned int i = 0; i < n; i++)
		r->ns[i] = r->above[i] + floor;
	r->median = median(r->ns, n);
	r->above_median = median(r->above, n);
	r->harness_median = median(r->harness, n);
	r->min = r->max = r->ns[0];
	for (unsigned int i = 1; i < n; i++) {
		if (r->ns[i] < r->min)
			r->min = r->ns[i];
		if (r->ns[i] > r->max)
			r->max = r->ns[i];
	}
}

/* Zeroes the counter of each things case's reason, so that afterwards it
 * can prove every timed run answered. Each (instance, app, reason) belongs
 * to one case. */
static __u32 case_stat(const struct bench_case *c)
{
	return THINGS_STATS_IDX(c->app, c->reason);
}

static int things_counters_prepare(struct bench *b)
{
	for (int id = 0; id < C_COUNT; id++) {
		const struct bench_case *c = &cases[id];
		int err;

		if (!bench_is_things(c->prog) || !bench_case_on(&b->opt, id))
			continue;
		err = things_counters_zero(b->stats_fd[c->prog], case_stat(c), 1);
		if (err) {
			pr_err("%s: zeroing the %s counter: %s\n", c->label,
			       things_reason_name(c->reason), strerror(-err));
			return err;
		}
	}
	return 0;
}

static int things_counters_check(struct bench *b)
{
	unsigned long long want = (unsigned long long)b->opt.rounds * b->opt.repeat *
				   BENCH_INNER_RUNS;

	for (int id = 0; id < C_COUNT; id++) {
		const struct bench_case *c = &cases[id];
		struct things_counter count;
		int err;

		if (!bench_is_things(c->prog) || !bench_case_on(&b->opt, id))
			continue;
		err = things_counter_read(b->stats_fd[c->prog], case_stat(c), &count);
		if (err) {
			pr_err("%s: reading the %s counter: %s\n", c->label,
			       things_reason_name(c->reason), strerror(-err));
			return err;
		}
		if (count.packets != want) {
			pr_err("%s: things_xdp counted %llu of %llu runs as %s: not every run"
			       " answered\n", c->label, (unsigned long long)count.packets, want,
			       things_reason_name(c->reason));
			return -EBADMSG;
		}
	}
	return 0;
}

/* Round after round of every case, rather than case after case: a burst
 * of other work on the machine then spoils one round of several cases,
 * which the medians drop, instead of every round of one case. Every other
 * round goes through the cases backwards, so that no case always runs
 * just after the same one. */
static int measure_all(struct bench *b)
{
	int err;

	if ((err = things_counters_prepare(b)))
		return err;
	for (unsigned int round = 0; round < b->opt.rounds; round++)
		for (int i = 0; i < C_COUNT; i++) {
			int id = round % 2 ? C_COUNT - 1 - i : i;

			if (bench_case_on(&b->opt, id) && (err = measure_round(b, id, round)))
				return err;
		}
	b->floor_ns = floor_mean(b->result[C_NOP].ns, b->opt.rounds);
	for (int id = 0; id < C_COUNT; id++)
		if (id != C_NOP && bench_case_on(&b->opt, id))
			summarize(&b->result[id], b->opt.rounds, b->floor_ns);
	summarize(&b->result[C_NOP], b->opt.rounds, b->floor_ns);
	return things_counters_check(b);
}

/* Both sides of each ratio come from the same round, that is from the same
 * second or so: a round spoilt by other work on the machine spoils both
 * sides alike. */
static struct ratio round_ratio(const struct bench *b, const double *measured,
				const double *reference)
{
	double ratios[MAX_ROUNDS];
	unsigned int n = b->opt.rounds;
	struct ratio r;

	for (unsigned int i = 0; i < n; i++)
		ratios[i] = reference[i] > 0 ? measured[i] / reference[i] : NAN;
	r.median = median(ratios, n);
	r.q1 = quantile(ratios, n, 0.25);
	r.q3 = quantile(ratios, n, 0.75);
	r.min = quantile(ratios, n, 0);
	r.max = quantile(ratios, n, 1);
	return r;
}

struct ratio bench_ratio(const struct bench *b, enum case_id measured, enum case_id reference)
{
	return round_ratio(b, b->result[measured].ns, b->result[reference].ns);
}

double bench_ratio_above_nop(const struct bench *b, enum case_id measured,
			     enum case_id reference)
{
	return round_ratio(b, b->result[measured].above, b->result[reference].above).median;
}

int bench_target_met(const struct bench *b, const struct bench_target *t)
{
	return bench_ratio(b, t->measured, t->reference).median <= t->limit;
}

/*
 * --check: compare with the baseline; the cases past it are measured
 * again, on their own with their references, and fail only if they are
 * past it again. A spell of other work on the machine rarely lasts
 * through both.
 */
static int check(struct bench *b)
{
	unsigned long long failed, again = 1ULL << C_NOP;
	int ret, err;

	ret = check_baseline(b, b->opt.check, &failed);
	if (ret != 1)
		return ret;
	for (int id = 0; id < C_COUNT; id++)
		if (failed >> id & 1)
			again |= 1ULL << id | 1ULL << cases[id].minimal;
	printf("\nMeasuring the cases past their baseline again, on their own.\n");
	b->opt.only = again;
	if ((err = measure_all(b)))
		return err;
	ret = check_baseline(b, b->opt.check, &failed);
	if (ret == 1) {
		fprintf(stderr, "\nbench-check: REGRESSION against %s:", b->opt.check);
		for (int id = 0; id < C_COUNT; id++)
			if (failed >> id & 1)
				fprintf(stderr, " %s", cases[id].key);
		fprintf(stderr, "\n");
	}
	return ret;
}

/* --jited: the machine code of the first instance of things_xdp loaded
 * (all are the same program). */
static int dump_things(struct bench *b)
{
	enum prog_id id = report_things(b);

	if (id)
		return jit_dump(b->prog_fd[id], b->opt.jited);
	pr_err("--jited: no case of things_xdp was chosen\n");
	return -ENOENT;
}

static int replies_wrong(const struct bench *b)
{
	int n = 0;

	for (int id = 0; id < C_COUNT; id++)
		n += bench_case_on(&b->opt, id) && b->reply_wrong[id];
	if (n)
		pr_err("%d case%s answered wrongly (see above): the figures are not things_xdp's"
		       " answering path\n", n, n == 1 ? "" : "s");
	return n ? -EBADMSG : 0;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	int err, ret;

	things_log_set_ident("micro");
	ret = parse_args(argc, argv, &b.opt);
	if (ret)
		return ret;
	things_log_set_verbosity(THINGS_LOG_WARN, b.opt.verbose);
	things_log_libbpf();
	b.frame_len[FRAME_ECHO] = (__u32)frame_echo_request(b.frame[FRAME_ECHO]);
	b.frame_len[FRAME_NS] = (__u32)frame_neighbor_solicit(b.frame[FRAME_NS]);
	b.frame_len[FRAME_BOARD] = (__u32)frame_echo_request_to(b.frame[FRAME_BOARD],
								FRAME_BOARD_DST);
	b.frame_alt_len[FRAME_BOARD] = (__u32)frame_echo_request_to(b.frame_alt[FRAME_BOARD],
								    FRAME_BOARD_DST_ALT);
	b.frame_len[FRAME_TREE] = (__u32)frame_echo_request_to(b.frame[FRAME_TREE],
							       FRAME_TREE_DST);
	b.frame_len[FRAME_CANVAS] = (__u32)frame_echo_request_to(b.frame[FRAME_CANVAS],
								 FRAME_CANVAS_DST);
	b.frame_len[FRAME_CANVAS_RATED] = (__u32)frame_echo_request_to(
		b.frame[FRAME_CANVAS_RATED], FRAME_CANVAS_RATED_DST);
	b.frame_len[FRAME_TRACE] = (__u32)frame_trace_probe(b.frame[FRAME_TRACE], FRAME_TRACE_DST);
	b.frame_len[FRAME_TRACE_RATED] = (__u32)frame_trace_probe(b.frame[FRAME_TRACE_RATED],
								  FRAME_TRACE_RATED_DST);

	if ((err = bench_load(&b)) || (b.opt.jited && (err = dump_things(&b))) ||
	    (err = bench_verify_replies(&b)) || (err = measure_all(&b)))
		goto cleanup;
	report_table(&b);
	if (b.opt.json && (err = report_json(&b, b.opt.json)))
		goto cleanup;
	/* Figures of a program that answers wrongly are no baseline and no
	 * pass: the run still reports them, then fails. */
	if ((err = replies_wrong(&b)))
		goto cleanup;
	if (b.opt.write_baseline && (err = write_baseline(&b, b.opt.write_baseline)))
		goto cleanup;
	if (b.opt.check)
		ret = check(&b);
cleanup:
	bench_unload(&b);
	/* A missed target is a finding, not a failure: only errors fail (a
	 * wrong reply among them), and under --check a regression past the
	 * baseline. */
	if (err || ret < 0)
		return 1;
	return ret;
}
