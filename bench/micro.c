// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * micro: nanoseconds per packet of things_xdp, next to a program that does
 * nothing (the floor) and a minimal responder (the ceiling), measured with
 * BPF_PROG_TEST_RUN and its repeat count, which the kernel times itself and
 * averages, leaving out the time it was preempted.
 *
 * Programs that answer in place are run through harness.bpf.c, which
 * restores the request before each run; see there why, and measure_round()
 * for how its cost is taken out again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frames.h"
#include "jitdump.h"
#include "log.h"
#include "maps.h"
#include "micro.h"
#include "names.h"
#include "prefix.h"

#define DEFAULT_BUILD		"build"
#define DEFAULT_REPEAT		1000000U
/* Other work on a small machine slows whole rounds down at times: seven
 * let the median pass over three of them. */
#define DEFAULT_ROUNDS		7U
#define DEFAULT_PREFIXES	100000U
/* --quick: a smoke test of every step in well under a second. Each timed
 * run costs some milliseconds however small its repeat count (the kernel
 * swaps the program into its XDP dispatcher and out again), so it keeps
 * to one round. */
#define QUICK_REPEAT		10000U
#define QUICK_ROUNDS		1U
#define QUICK_PREFIXES		10000U
/* Room for the random prefixes next to the two real ones. */
#define MAX_RANDOM_PREFIXES	(THINGS_MAX_PREFIXES - 2)
/* lo: it exists in every network namespace, so ingress_ifindex resolves. */
#define INGRESS_IFINDEX		1
#define DATA_OUT_MAX		1024

#define APP_ROUTED		1
#define APP_ONLINK		2
#define APP_RANDOM_FIRST	3
#define APP_RANDOM_COUNT	200
#define APP_BOARD		210
#define APP_TREE		211
#define APP_CANVAS		212
#define APP_CANVAS_RATED	213
#define APP_TRACE		214
#define APP_TRACE_RATED		215

/* File under --build, and program in it. */
static const struct {
	const char *file;
	const char *name;
} progs[PROG_COUNT] = {
	[PROG_NOP] = { "bench/nop.bpf.o", "bench_nop" },
	[PROG_MINIMAL] = { "bench/minimal.bpf.o", "bench_minimal" },
	[PROG_HARNESS] = { "bench/harness.bpf.o", "bench_harness" },
	[PROG_THINGS_ROUTED] = { "things.bpf.o", "things_xdp" },
	[PROG_THINGS_ONLINK] = { "things.bpf.o", "things_xdp" },
	[PROG_THINGS_MANY] = { "things.bpf.o", "things_xdp" },
	[PROG_THINGS_ROUTED_FAST] = { "things.bpf.o", "things_xdp" },
	[PROG_THINGS_ONLINK_FAST] = { "things.bpf.o", "things_xdp" },
	[PROG_THINGS_APPS_FAST] = { "things.bpf.o", "things_xdp" },
};

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

const struct bench_case cases[C_COUNT] = {
	[C_NOP] = { "nop (floor)", "nop", PROG_NOP, FRAME_ECHO, 0, 0, C_MINIMAL_ECHO },
	[C_MINIMAL_ECHO] = { "minimal echo", "minimal_echo", PROG_MINIMAL, FRAME_ECHO, 0, 0,
			     C_MINIMAL_ECHO },
	[C_MINIMAL_NS] = { "minimal NS->NA", "minimal_ns", PROG_MINIMAL, FRAME_NS, 0, 0,
			   C_MINIMAL_NS },
	[C_THINGS_ECHO] = { "things echo", "things_echo_1", PROG_THINGS_ROUTED, FRAME_ECHO,
			    THINGS_R_TX_ECHO_REPLY, APP_ROUTED, C_MINIMAL_ECHO },
	[C_THINGS_NS] = { "things NS->NA", "things_ns_1", PROG_THINGS_ONLINK, FRAME_NS,
			  THINGS_R_TX_NA, APP_ONLINK, C_MINIMAL_NS },
	[C_THINGS_ECHO_MANY] = { "things echo", "things_echo_many", PROG_THINGS_MANY,
				 FRAME_ECHO, THINGS_R_TX_ECHO_REPLY, APP_ROUTED, C_MINIMAL_ECHO },
	[C_THINGS_NS_MANY] = { "things NS->NA", "things_ns_many", PROG_THINGS_MANY, FRAME_NS,
			       THINGS_R_TX_NA, APP_ONLINK, C_MINIMAL_NS },
	[C_THINGS_ECHO_FAST] = { "things echo", "things_echo_fast", PROG_THINGS_ROUTED_FAST,
				 FRAME_ECHO, THINGS_R_TX_ECHO_REPLY, APP_ROUTED, C_MINIMAL_ECHO },
	[C_THINGS_NS_FAST] = { "things NS->NA", "things_ns_fast", PROG_THINGS_ONLINK_FAST,
			       FRAME_NS, THINGS_R_TX_NA, APP_ONLINK, C_MINIMAL_NS },
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
};

const struct bench_target targets[TARGET_COUNT] = {
	/* thingsd puts a few prefixes in the fast table: that is what runs. */
	{ "things echo <= 2x minimal echo", "echo_vs_minimal", C_THINGS_ECHO_FAST,
	  C_MINIMAL_ECHO, "minimal", 2.0 },
	{ "things NS <= 2x minimal NS", "ns_vs_minimal", C_THINGS_NS_FAST, C_MINIMAL_NS,
	  "minimal", 2.0 },
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
		"             [--seed N] [--near] [--json FILE] [--quick] [-v] [-h]\n"
		"\n"
		"Times things_xdp against a do-nothing XDP program and a minimal\n"
		"responder with BPF_PROG_TEST_RUN, and prints a Markdown table of\n"
		"nanoseconds per packet. Needs root (CAP_BPF and CAP_NET_ADMIN).\n"
		"\n"
		"  --build DIR     where things.bpf.o and bench/*.bpf.o are (default " DEFAULT_BUILD ")\n"
		"  --repeat N      runs per measurement, averaged by the kernel (default %u)\n"
		"  --rounds N      measurements per case, of which the median is reported\n"
		"                  (default %u, at most %u)\n"
		"  --prefixes N    random prefixes in the trie for the large cases (default %u)\n"
		"  --seed N        seed of the random prefixes (default 1)\n"
		"  --near          put the random prefixes in 2001:db8::/32, among the real\n"
		"                  ones, rather than in fd00::/8: lookups then walk a deep trie\n"
		"  --json FILE     also write the figures to FILE as JSON\n"
		"  --quick         a smoke test: --repeat %u --rounds %u --prefixes %u\n"
		"                  unless given\n"
		"  -v              more log output: -v libbpf's warnings, -vv debug,\n"
		"                  -vvv libbpf's debug output too\n"
		"  -h, --help      this text\n",
		DEFAULT_REPEAT, DEFAULT_ROUNDS, MAX_ROUNDS, DEFAULT_PREFIXES,
		QUICK_REPEAT, QUICK_ROUNDS, QUICK_PREFIXES);
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
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		int id;

		for (id = 0; id < C_COUNT && strcmp(cases[id].key, k); id++)
			;
		if (id == C_COUNT) {
			pr_err("--case: no case \"%s\"\n", k);
			return -EINVAL;
		}
		o->only |= 1ULL << id | 1ULL << cases[id].minimal;
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
		{ "seed", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, 'j' },
		{ "near", no_argument, NULL, 'N' },
		{ "case", required_argument, NULL, 'c' },
		{ "jited", required_argument, NULL, 'J' },
		{ "quick", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long long repeat = 0, rounds = 0, prefixes = 0, v;
	int c, quick = 0;

	*o = (struct options){ .build = DEFAULT_BUILD, .seed = 1 };
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->build = optarg;
			break;
		case 'r':
			if (parse_uint("--repeat", optarg, 1, UINT_MAX, &repeat))
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
		case 'J':
			o->jited = optarg;
			break;
		case 'c':
			if (select_cases(o, optarg))
				return 2;
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
	return 0;
}

/* The minimal responder's MAC is read-only data, so it is set before the
 * load, while libbpf still holds the initial value. */
static int set_minimal_mac(struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	size_t size = 0;
	int err;

	if (map)
		bpf_map__initial_value(map, &size);
	if (size != sizeof(frame_our_mac)) {
		pr_err("%s: expected a .rodata of exactly our_mac (%zu bytes), found %zu bytes\n",
		       progs[PROG_MINIMAL].file, sizeof(frame_our_mac), size);
		return -ENOENT;
	}
	err = bpf_map__set_initial_value(map, frame_our_mac, sizeof(frame_our_mac));
	if (err)
		pr_err("%s: setting our_mac: %s\n", progs[PROG_MINIMAL].file, strerror(-err));
	return err;
}

static int map_fd(struct bench *b, enum prog_id id, const char *name, int *fd)
{
	*fd = bpf_object__find_map_fd_by_name(b->obj[id], name);
	if (*fd < 0) {
		pr_err("%s/%s: no map \"%s\": %s\n", b->opt.build, progs[id].file, name,
		       strerror(-*fd));
		return *fd;
	}
	return 0;
}

/* The sizes explain part of a cost: they are printed with the figures. */
static int prog_info(struct bench *b, enum prog_id id)
{
	__u32 len = sizeof(b->info[id]);
	int err;

	memset(&b->info[id], 0, sizeof(b->info[id]));
	err = bpf_obj_get_info_by_fd(b->prog_fd[id], &b->info[id], &len);
	if (err)
		pr_err("%s: reading the program's info: %s\n", progs[id].name, strerror(-err));
	return err;
}

static int load_program(struct bench *b, enum prog_id id)
{
	struct bpf_program *prog;
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s", b->opt.build, progs[id].file);
	b->obj[id] = bpf_object__open_file(path, NULL);
	if (!b->obj[id]) {
		err = -errno;
		pr_err("%s: cannot open the BPF object: %s\n", path, strerror(-err));
		return err;
	}
	if (id == PROG_MINIMAL && (err = set_minimal_mac(b->obj[id])))
		return err;
	err = bpf_object__load(b->obj[id]);
	if (err) {
		pr_err("%s: loading failed: %s (-v shows libbpf's reasons)\n", path,
		       strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(b->obj[id], progs[id].name);
	if (!prog) {
		pr_err("%s: no program \"%s\"\n", path, progs[id].name);
		return -ENOENT;
	}
	b->prog_fd[id] = bpf_program__fd(prog);
	return prog_info(b, id);
}

static int prefix_add(int fd, const struct things_prefix_key *key, __u32 app, __u16 kind,
		      __u16 flags, __u64 update_flags)
{
	struct things_prefix_value val = {
		.app_id = app,
		.kind = kind,
		.flags = flags,
	};

	return bpf_map_update_elem(fd, key, &val, update_flags);
}

static int real_prefix_add(int fd, const char *text, __u32 app, __u16 kind, __u16 flags)
{
	struct things_prefix_key key;
	const char *why;
	int err;

	if (things_prefix_parse(text, &key, 0, &why)) {
		pr_err("%s: %s\n", text, why);
		return -EINVAL;
	}
	err = prefix_add(fd, &key, app, kind, flags, BPF_ANY);
	if (err)
		pr_err("adding %s to the prefixes map: %s\n", text, strerror(-err));
	return err;
}

/* splitmix64: deterministic on every platform, unlike rand(). */
static __u64 next_random(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A /48 to /64 inside fd00::/8, away from the real prefixes, or with near
 * inside 2001:db8::/32, among them. */
static void random_prefix(__u64 *state, int near, struct things_prefix_key *key)
{
	static const __u8 near_32[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	__u64 bits = next_random(state);
	unsigned int plen = 48 + (unsigned int)(next_random(state) % 17);

	memset(key, 0, sizeof(*key));
	key->prefixlen = plen;
	for (int i = 0; i < 8; i++)
		key->addr[i] = (__u8)(bits >> (8 * i));
	if (near)
		memcpy(key->addr, near_32, sizeof(near_32));
	else
		key->addr[0] = 0xfd;
	for (unsigned int bit = plen; bit < 64; bit++)
		key->addr[bit / 8] &= (__u8) ~(0x80 >> (bit % 8));
}

static int random_prefixes_add(struct bench *b, int fd)
{
	struct timespec start, end;
	__u64 state = b->opt.seed;
	unsigned int added = 0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (added < b->opt.prefixes) {
		struct things_prefix_key key;

		random_prefix(&state, b->opt.near, &key);
		/* One that holds an address the frames ask for would take
		 * it from its real prefix, and the case would time
		 * another path. */
		if (things_prefix_contains(&key, frame_echo_dst(b->frame[FRAME_ECHO])) ||
		    things_prefix_contains(&key, frame_ns_target(b->frame[FRAME_NS])))
			continue;
		/* A repeat would leave the trie short of the count. */
		err = prefix_add(fd, &key, APP_RANDOM_FIRST + added % APP_RANDOM_COUNT,
				 THINGS_KIND_ECHO, 0, BPF_NOEXIST);
		if (err == -EEXIST)
			continue;
		if (err) {
			pr_err("adding random prefix %u of %u to the prefixes map: %s\n", added + 1,
			       b->opt.prefixes, strerror(-err));
			return err;
		}
		added++;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	b->fill_seconds = (double)(end.tv_sec - start.tv_sec) +
			  (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	pr_info("added %u random prefixes in %.2f s\n", added, b->fill_seconds);
	return 0;
}

/* As thingsd does when the prefixes fit: all `count` of them. */
static int fast_table_fill(struct bench *b, enum prog_id id, int prefixes_fd, __u32 count)
{
	struct things_fast_table t;
	int fast_fd, err;
	__u32 zero = 0;

	if ((err = map_fd(b, id, THINGS_PIN_FAST, &fast_fd)))
		return err;
	err = things_fast_sync(fast_fd, prefixes_fd);
	if (!err && bpf_map_lookup_elem(fast_fd, &zero, &t))
		err = -errno;
	if (!err && t.count != count)
		err = -EINVAL;
	if (err)
		pr_err("filling the fast table: %s\n", strerror(-err));
	return err;
}

/* The apps that read the address, each at its defaults. */
static const struct {
	const char *prefix;
	__u32 app;
	__u16 kind;
	struct things_app_cfg cfg;
} bench_apps[] = {
	{ FRAME_BOARD_PREFIX, APP_BOARD, THINGS_KIND_BOARD, { .lines = THINGS_BOARD_DEF_LINES } },
	{ FRAME_TREE_PREFIX, APP_TREE, THINGS_KIND_TREE, { .lights = THINGS_TREE_DEF_LIGHTS } },
	{ FRAME_CANVAS_PREFIX, APP_CANVAS, THINGS_KIND_CANVAS,
	  { .width = THINGS_CANVAS_DEF_SIDE, .height = THINGS_CANVAS_DEF_SIDE } },
	/* A bucket that never runs dry: what the lookup and refill cost. */
	{ FRAME_CANVAS_RATED_PREFIX, APP_CANVAS_RATED, THINGS_KIND_CANVAS,
	  { .rate = UINT32_MAX, .burst = UINT32_MAX, .rate_prefix = THINGS_RATE_DEF_PREFIX,
	    .width = THINGS_CANVAS_DEF_SIDE, .height = THINGS_CANVAS_DEF_SIDE } },
	/* Trace apps: one without limits, one with the source's bucket on
	 * (never running dry); the host's bucket (err_cfg) stays off here, its
	 * cost being the source's less a hash lookup. */
	{ FRAME_TRACE_PREFIX, APP_TRACE, THINGS_KIND_TRACE, { 0 } },
	{ FRAME_TRACE_RATED_PREFIX, APP_TRACE_RATED, THINGS_KIND_TRACE,
	  { .rate = UINT32_MAX, .burst = UINT32_MAX, .rate_prefix = THINGS_RATE_DEF_PREFIX } },
};

/* The story of a trace app's destination: FRAME_TRACE_HOPS lines, the
 * first FRAME_TRACE_LINE, as thingsd writes them. */
static int story_add(struct bench *b, enum prog_id id, __u32 app, const char *dst)
{
	struct things_prefix_key dest = { .prefixlen = 128 };
	struct things_story story = { .app_id = app, .hops = FRAME_TRACE_HOPS };
	int stories_fd, lines_fd, err;

	if ((err = map_fd(b, id, THINGS_PIN_STORIES, &stories_fd)) ||
	    (err = map_fd(b, id, THINGS_PIN_STORY_LINES, &lines_fd)))
		return err;
	inet_pton(AF_INET6, dst, dest.addr);
	for (__u16 slot = 0; slot < FRAME_TRACE_HOPS; slot++) {
		struct things_story_line_key key = { .app_id = app, .slot = slot };
		struct things_story_line line = { 0 };

		inet_pton(AF_INET6, FRAME_TRACE_LINE, line.addr);
		line.addr[15] += (__u8)slot;
		snprintf(line.name, sizeof(line.name), "line-%u.of.the.story", slot + 1);
		if (bpf_map_update_elem(lines_fd, &key, &line, BPF_ANY))
			return -errno;
	}
	return bpf_map_update_elem(stories_fd, &dest, &story, BPF_ANY) ? -errno : 0;
}

/* A framebuffer of the app's size in the canvases map, as thingsd puts it;
 * the map keeps it once it is in. */
static int canvas_add(struct bench *b, enum prog_id id, __u32 app,
		      const struct things_app_cfg *cfg)
{
	int canvases_fd, fd, err;

	if ((err = map_fd(b, id, THINGS_PIN_CANVASES, &canvases_fd)))
		return err;
	fd = things_canvas_create(app, cfg->width, cfg->height);
	if (fd < 0) {
		pr_err("creating the framebuffer of app %u: %s\n", app, strerror(-fd));
		return fd;
	}
	err = bpf_map_update_elem(canvases_fd, &app, &fd, BPF_ANY) ? -errno : 0;
	if (err)
		pr_err("putting app %u's framebuffer in canvases: %s\n", app, strerror(-err));
	close(fd);
	return err;
}

static int apps_setup(struct bench *b, enum prog_id id, int prefixes_fd)
{
	int cfg_fd, err;

	if ((err = map_fd(b, id, THINGS_PIN_APP_CFG, &cfg_fd)))
		return err;
	for (size_t i = 0; i < sizeof(bench_apps) / sizeof(bench_apps[0]); i++) {
		__u32 app = bench_apps[i].app;

		if (bpf_map_update_elem(cfg_fd, &app, &bench_apps[i].cfg, BPF_ANY)) {
			err = -errno;
			pr_err("setting app %u's app_cfg: %s\n", app, strerror(-err));
			return err;
		}
		if (bench_apps[i].kind == THINGS_KIND_CANVAS &&
		    (err = canvas_add(b, id, app, &bench_apps[i].cfg)))
			return err;
		if (bench_apps[i].kind == THINGS_KIND_TRACE &&
		    (err = story_add(b, id, app, app == APP_TRACE ? FRAME_TRACE_DST :
							    FRAME_TRACE_RATED_DST))) {
			pr_err("adding app %u's story: %s\n", app, strerror(-err));
			return err;
		}
		if ((err = real_prefix_add(prefixes_fd, bench_apps[i].prefix, app,
					   bench_apps[i].kind, 0)))
			return err;
	}
	return fast_table_fill(b, id, prefixes_fd,
			       (__u32)(sizeof(bench_apps) / sizeof(bench_apps[0])));
}

/* Fills the maps of one instance of things_xdp for its cases. */
static int things_setup(struct bench *b, enum prog_id id)
{
	int prefixes_fd, ifaces_fd, err;

	if ((err = map_fd(b, id, "prefixes", &prefixes_fd)) ||
	    (err = map_fd(b, id, THINGS_PIN_STATS, &b->stats_fd[id])) ||
	    (err = map_fd(b, id, "ifaces", &ifaces_fd)))
		return err;
	err = things_iface_set(ifaces_fd, INGRESS_IFINDEX, frame_our_mac, 0);
	if (err) {
		pr_err("adding ifindex %d to the ifaces map: %s\n", INGRESS_IFINDEX,
		       strerror(-err));
		return err;
	}
	if (id == PROG_THINGS_APPS_FAST)
		return apps_setup(b, id, prefixes_fd);
	if (id != PROG_THINGS_ONLINK && id != PROG_THINGS_ONLINK_FAST &&
	    (err = real_prefix_add(prefixes_fd, FRAME_ROUTED_PREFIX, APP_ROUTED,
				   THINGS_KIND_ECHO, 0)))
		return err;
	if (id != PROG_THINGS_ROUTED && id != PROG_THINGS_ROUTED_FAST &&
	    (err = real_prefix_add(prefixes_fd, FRAME_ONLINK_PREFIX, APP_ONLINK,
				   THINGS_KIND_ECHO, THINGS_PF_ONLINK)))
		return err;
	if (id == PROG_THINGS_MANY)
		return random_prefixes_add(b, prefixes_fd);
	if (id == PROG_THINGS_ROUTED_FAST || id == PROG_THINGS_ONLINK_FAST)
		return fast_table_fill(b, id, prefixes_fd, 1);
	return 0;
}

static int load_programs(struct bench *b)
{
	int err;

	for (int id = 0; id < PROG_COUNT; id++) {
		if ((err = load_program(b, id)))
			return err;
		if (bench_is_things(id) && (err = things_setup(b, id)))
			return err;
	}
	if ((err = map_fd(b, PROG_HARNESS, "frame", &b->frame_fd)) ||
	    (err = map_fd(b, PROG_HARNESS, "turn", &b->turn_fd)) ||
	    (err = map_fd(b, PROG_HARNESS, "target", &b->target_fd)))
		return err;
	return 0;
}

static void unload_programs(struct bench *b)
{
	for (int id = 0; id < PROG_COUNT; id++)
		bpf_object__close(b->obj[id]);
}

/*
 * Runs a program on a frame repeat times. out, if not NULL, gets the
 * resulting frame (DATA_OUT_MAX bytes). Every case is a request answered
 * with XDP_TX, so any other verdict fails: the run took another path than
 * the one meant to be measured.
 */
static int test_run(const struct bench *b, enum prog_id id, const char *what, enum frame_id f,
		    __u32 repeat, unsigned char *out, __u32 *out_len, __u32 *duration)
{
	struct xdp_md ctx = {
		.data_end = b->frame_len[f],
		.ingress_ifindex = INGRESS_IFINDEX,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = b->frame[f],
		.data_size_in = b->frame_len[f],
		.data_out = out,
		.data_size_out = out ? DATA_OUT_MAX : 0,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = repeat,
	);
	int err;

	err = bpf_prog_test_run_opts(b->prog_fd[id], &opts);
	if (err) {
		pr_err("%s, %s: BPF_PROG_TEST_RUN failed: %s\n", what, frame_names[f],
		       strerror(-err));
		return err;
	}
	if (opts.retval != XDP_TX) {
		pr_err("%s, %s: verdict %u, not XDP_TX (%u): it did not answer\n", what,
		       frame_names[f], opts.retval, XDP_TX);
		return -EBADMSG;
	}
	if (out_len)
		*out_len = opts.data_size_out;
	if (duration)
		*duration = opts.duration;
	return 0;
}

static size_t first_difference(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i = 0;

	while (i < len && a[i] == b[i])
		i++;
	return i;
}

static void debug_hex(const char *what, const unsigned char *p, size_t len)
{
	char hex[2 * DATA_OUT_MAX + 1];

	for (size_t i = 0; i < len && i < DATA_OUT_MAX; i++)
		sprintf(hex + 2 * i, "%02x", p[i]);
	hex[2 * (len < DATA_OUT_MAX ? len : DATA_OUT_MAX)] = '\0';
	pr_debug("%s: %s\n", what, hex);
}

typedef const char *(*check_fn)(const unsigned char *in, size_t in_len,
				const unsigned char *out, size_t out_len);

static const check_fn reply_checks[FRAME_COUNT] = {
	[FRAME_ECHO] = frame_check_echo_reply,
	[FRAME_NS] = frame_check_neighbor_advert,
	[FRAME_BOARD] = frame_check_echo_reply,
	[FRAME_TREE] = frame_check_echo_reply,
	[FRAME_CANVAS] = frame_check_echo_reply,
	[FRAME_CANVAS_RATED] = frame_check_echo_reply,
	[FRAME_TRACE] = frame_check_time_exceeded,
	[FRAME_TRACE_RATED] = frame_check_time_exceeded,
};

/* Frames the minimal responder cannot answer: no reference to compare. */
static int frame_has_reference(enum frame_id f)
{
	return f != FRAME_TRACE && f != FRAME_TRACE_RATED;
}

/*
 * Has the minimal responder answer every frame once, and checks its
 * replies: they are the reference, so one that is wrong is an error. It
 * answers any echo request alike, whatever app the address is of.
 */
static int reference_replies(struct bench *b, unsigned char ref[][DATA_OUT_MAX],
			     __u32 *ref_len)
{
	const char *why;
	int err;

	for (int f = 0; f < FRAME_COUNT; f++) {
		ref_len[f] = 0;
		if (!frame_has_reference(f))
			continue;
		if ((err = test_run(b, PROG_MINIMAL, progs[PROG_MINIMAL].name, f, 1, ref[f],
				    &ref_len[f], NULL)))
			return err;
		why = reply_checks[f](b->frame[f], b->frame_len[f], ref[f], ref_len[f]);
		if (why) {
			debug_hex("request", b->frame[f], b->frame_len[f]);
			debug_hex("reply", ref[f], ref_len[f]);
			pr_err("the minimal responder's reply to the %s is wrong: %s\n",
			       frame_names[f], why);
			return -EBADMSG;
		}
	}
	return 0;
}

/*
 * Runs every things_xdp case once and checks its reply. What is wrong with
 * it, or where it differs from the minimal responder's, is reported, and
 * it is still timed.
 */
static int verify_replies(struct bench *b)
{
	unsigned char ref[FRAME_COUNT][DATA_OUT_MAX], out[DATA_OUT_MAX];
	__u32 ref_len[FRAME_COUNT], len;
	const char *why;
	int err;

	if ((err = reference_replies(b, ref, ref_len)))
		return err;
	for (int id = 0; id < C_COUNT; id++) {
		const struct bench_case *c = &cases[id];
		enum frame_id f = c->frame;

		if (!bench_is_things(c->prog))
			continue;
		if ((err = test_run(b, c->prog, c->label, f, 1, out, &len, NULL)))
			return err;
		why = reply_checks[f](b->frame[f], b->frame_len[f], out, len);
		b->reply_wrong[id] = why;
		b->identical[id] = len == ref_len[f] && !memcmp(out, ref[f], len);
		if (why || !b->identical[id])
			debug_hex("request", b->frame[f], b->frame_len[f]);
		if (why)
			pr_warn("%s: its reply to the %s is wrong: %s\n", c->label, frame_names[f],
				why);
		if (!b->identical[id] && frame_has_reference(f)) {
			pr_warn("%s: its reply to the %s differs from the minimal responder's"
				" (lengths %u and %u, first difference at byte %zu)\n",
				c->label, frame_names[f], len, ref_len[f],
				first_difference(out, ref[f], len < ref_len[f] ? len : ref_len[f]));
			debug_hex("minimal reply", ref[f], ref_len[f]);
			debug_hex("things_xdp reply", out, len);
		}
	}
	return 0;
}

/* The request of frame f for each of the harness's turns. */
static int harness_set(struct bench *b, enum frame_id f, enum prog_id target)
{
	int err;

	for (__u32 k = 0; k < BENCH_FRAME_TURNS; k++) {
		int alt = k % 2 && b->frame_alt_len[f];
		struct bench_frame val = { .len = alt ? b->frame_alt_len[f] : b->frame_len[f] };

		memcpy(val.data, alt ? b->frame_alt[f] : b->frame[f], val.len);
		err = bpf_map_update_elem(b->frame_fd, &k, &val, BPF_ANY);
		if (err) {
			pr_err("harness: setting the %s: %s\n", frame_names[f], strerror(-err));
			return err;
		}
	}
	err = bpf_map_update_elem(b->target_fd, &(__u32){ 0 }, &b->prog_fd[target], BPF_ANY);
	if (err)
		pr_err("harness: making %s its tail call: %s\n", progs[target].name,
		       strerror(-err));
	return err;
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
	err = map_fd(b, c->prog, THINGS_PIN_BOARDS, &fd);
	if (!err && bpf_map_lookup_elem(fd, &app, board))
		err = -errno;
	if (!err) {
		first = !memcmp(board->last, text, THINGS_BOARD_TEXT);
		if (bpf_map_update_elem(b->turn_fd, &(__u32){ 0 }, &first, BPF_ANY))
			err = -errno;
	}
	if (err)
		pr_err("%s: choosing the first request: %s\n", c->label, strerror(-err));
	free(board);
	return err;
}

/*
 * One round of one case times, back to back: nop directly, the harness
 * with nop as its target, and the harness with the case's program. The
 * case's figure is harness(program) - harness(nop) + nop: the harness's
 * restore and tail call cancel out, and what remains is what test_run
 * would report for the program if every run could start from the request.
 */
static int measure_round(struct bench *b, enum case_id id, unsigned int round)
{
	const struct bench_case *c = &cases[id];
	struct result *r = &b->result[id];
	__u32 direct, floor, t;
	int err;

	if ((err = test_run(b, PROG_NOP, "nop", c->frame, b->opt.repeat, NULL, NULL, &direct)))
		return err;
	if (c->prog == PROG_NOP) {
		r->ns[round] = direct;
		r->above[round] = r->harness[round] = 0;
		return 0;
	}
	if ((err = harness_set(b, c->frame, PROG_NOP)) ||
	    (err = test_run(b, PROG_HARNESS, "harness -> nop", c->frame, b->opt.repeat, NULL,
			    NULL, &floor)) ||
	    (err = harness_set(b, c->frame, c->prog)) ||
	    (c->reason == THINGS_R_BOARD_POSTED && (err = board_turn(b, c))) ||
	    (err = test_run(b, PROG_HARNESS, c->label, c->frame, b->opt.repeat, NULL, NULL, &t)))
		return err;
	r->ns[round] = (double)t - floor + direct;
	r->above[round] = (double)t - floor;
	r->harness[round] = (double)floor - direct;
	return 0;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, unsigned int n)
{
	double sorted[MAX_ROUNDS];

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), compare_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void summarize(struct result *r, unsigned int n)
{
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

		if (!bench_is_things(c->prog))
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
	unsigned long long want = (unsigned long long)b->opt.rounds * b->opt.repeat;

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
 * which the medians drop, instead of every round of one case. */
static int measure_all(struct bench *b)
{
	int err;

	if ((err = things_counters_prepare(b)))
		return err;
	for (unsigned int round = 0; round < b->opt.rounds; round++)
		for (int id = 0; id < C_COUNT; id++)
			if (bench_case_on(&b->opt, id) && (err = measure_round(b, id, round)))
				return err;
	for (int id = 0; id < C_COUNT; id++)
		summarize(&b->result[id], b->opt.rounds);
	return things_counters_check(b);
}

/* Both sides of each ratio come from the same round, that is from the same
 * few hundred milliseconds: a round spoilt by other work on the machine
 * spoils both sides alike. */
static double round_ratio(const struct bench *b, const double *measured, const double *reference)
{
	double ratios[MAX_ROUNDS];

	for (unsigned int i = 0; i < b->opt.rounds; i++)
		ratios[i] = measured[i] / reference[i];
	return median(ratios, b->opt.rounds);
}

double bench_ratio(const struct bench *b, enum case_id measured, enum case_id reference)
{
	return round_ratio(b, b->result[measured].ns, b->result[reference].ns);
}

double bench_ratio_above_nop(const struct bench *b, enum case_id measured,
			     enum case_id reference)
{
	return round_ratio(b, b->result[measured].above, b->result[reference].above);
}

int bench_target_met(const struct bench *b, const struct bench_target *t)
{
	return bench_ratio(b, t->measured, t->reference) <= t->limit;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	int err, ret;

	things_log_set_ident("micro");
	ret = parse_args(argc, argv, &b.opt);
	if (ret)
		return ret;
	/* One past debug lets libbpf's own debug output through. */
	things_log_set_level((enum things_log_level)(THINGS_LOG_WARN +
						     (b.opt.verbose > 3 ? 3 : b.opt.verbose)));
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

	if ((err = load_programs(&b)) ||
	    (b.opt.jited && (err = jit_dump(b.prog_fd[PROG_THINGS_APPS_FAST], b.opt.jited))) ||
	    (err = verify_replies(&b)) || (err = measure_all(&b)))
		goto cleanup;
	report_table(&b);
	if (b.opt.json)
		err = report_json(&b, b.opt.json);
cleanup:
	unload_programs(&b);
	/* A missed target is a finding, not a failure: only errors fail. */
	return err ? 1 : 0;
}
