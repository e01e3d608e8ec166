// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The micro-benchmark's programs and what they are given: each instance of
 * things_xdp with its trie and apps, the harness, and the check of every
 * reply before anything is timed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frames.h"
#include "log.h"
#include "maps.h"
#include "micro.h"
#include "prefix.h"
#include "trie.h"

/* lo: it exists in every network namespace, so ingress_ifindex resolves. */
#define INGRESS_IFINDEX		1
#define DATA_OUT_MAX		1024

#define THINGS_PROG { "things.bpf.o", "things_xdp", "bench/harness_things.bpf.o" }

const struct bench_prog progs[PROG_COUNT] = {
	[PROG_NOP] = { "bench/nop.bpf.o", "bench_nop", "bench/harness_nop.bpf.o" },
	[PROG_MINIMAL] = { "bench/minimal.bpf.o", "bench_minimal",
			   "bench/harness_minimal.bpf.o" },
	[PROG_THINGS_ROUTED] = THINGS_PROG,
	[PROG_THINGS_ONLINK] = THINGS_PROG,
	[PROG_THINGS_MANY] = THINGS_PROG,
	[PROG_THINGS_ROUTED_FAST] = THINGS_PROG,
	[PROG_THINGS_ONLINK_FAST] = THINGS_PROG,
	[PROG_THINGS_APPS_FAST] = THINGS_PROG,
	[PROG_THINGS_16] = THINGS_PROG,
	[PROG_THINGS_17] = THINGS_PROG,
	[PROG_THINGS_1K] = THINGS_PROG,
	[PROG_THINGS_LARGE] = THINGS_PROG,
};

/* The minimal responder's MAC is read-only data, so it is set before the
 * load, while libbpf still holds the initial value. */
static int set_minimal_mac(struct bpf_object *obj, const char *file)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	size_t size = 0;
	int err;

	if (map)
		bpf_map__initial_value(map, &size);
	if (size != sizeof(frame_our_mac)) {
		pr_err("%s: expected a .rodata of exactly our_mac (%zu bytes), found %zu bytes\n",
		       file, sizeof(frame_our_mac), size);
		return -ENOENT;
	}
	err = bpf_map__set_initial_value(map, frame_our_mac, sizeof(frame_our_mac));
	if (err)
		pr_err("%s: setting our_mac: %s\n", file, strerror(-err));
	return err;
}

int bench_map_fd(struct bench *b, enum prog_id id, const char *name, int *fd)
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
	if (id == PROG_MINIMAL && (err = set_minimal_mac(b->obj[id], path)))
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

/* count random prefixes into the trie of instance id, near or not. */
static int random_prefixes_add(struct bench *b, enum prog_id id, int fd, __u32 count, int near)
{
	__u8 avoid[2][16];
	struct timespec start, end;
	int err;

	memcpy(avoid[0], frame_echo_dst(b->frame[FRAME_ECHO]), 16);
	memcpy(avoid[1], frame_ns_target(b->frame[FRAME_NS]), 16);
	clock_gettime(CLOCK_MONOTONIC, &start);
	err = trie_random_fill(fd, count, b->opt.seed, near, (const __u8 (*)[16])avoid, 2,
			       APP_RANDOM_FIRST, APP_RANDOM_COUNT);
	clock_gettime(CLOCK_MONOTONIC, &end);
	b->size[id].fill_seconds = (double)(end.tv_sec - start.tv_sec) +
				   (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	pr_info("added %u random prefixes in %.2f s\n", count, b->size[id].fill_seconds);
	return err;
}

/* The memory of instance id: its trie, and all its maps together. */
static int instance_size(struct bench *b, enum prog_id id, int prefixes_fd, __u32 prefixes)
{
	struct bpf_map *map;
	__u64 bytes;
	int err;

	b->size[id].prefixes = prefixes;
	if ((err = trie_map_memlock(prefixes_fd, &b->size[id].trie_bytes)))
		goto fail;
	b->size[id].map_bytes = 0;
	bpf_object__for_each_map(map, b->obj[id]) {
		if ((err = trie_map_memlock(bpf_map__fd(map), &bytes)))
			goto fail;
		b->size[id].map_bytes += bytes;
	}
	return 0;
fail:
	pr_err("reading the memory of instance %d's maps: %s\n", id, strerror(-err));
	return err;
}

/* As thingsd does when the prefixes fit: all `count` of them. */
static int fast_table_fill(struct bench *b, enum prog_id id, int prefixes_fd, __u32 count)
{
	struct things_fast_table t;
	int fast_fd, err;
	__u32 zero = 0;

	if ((err = bench_map_fd(b, id, THINGS_PIN_FAST, &fast_fd)))
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

	if ((err = bench_map_fd(b, id, THINGS_PIN_STORIES, &stories_fd)) ||
	    (err = bench_map_fd(b, id, THINGS_PIN_STORY_LINES, &lines_fd)))
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

	if ((err = bench_map_fd(b, id, THINGS_PIN_CANVASES, &canvases_fd)))
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

	if ((err = bench_map_fd(b, id, THINGS_PIN_APP_CFG, &cfg_fd)))
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
		if ((err = trie_prefix_add(prefixes_fd, bench_apps[i].prefix, app,
					   bench_apps[i].kind, 0)))
			return err;
	}
	return fast_table_fill(b, id, prefixes_fd,
			       (__u32)(sizeof(bench_apps) / sizeof(bench_apps[0])));
}

/* The prefixes of the scale curve's instances, the two real ones
 * included: a full fast table, one more, and two tries. */
static __u32 curve_prefixes(const struct bench *b, enum prog_id id)
{
	switch (id) {
	case PROG_THINGS_16:
		return THINGS_FAST_SLOTS;
	case PROG_THINGS_17:
		return THINGS_FAST_SLOTS + 1;
	case PROG_THINGS_1K:
		return 1000;
	case PROG_THINGS_LARGE:
		return b->opt.large;
	default:
		return 0;
	}
}

/* Fills the trie of one instance of things_xdp for its cases. */
static int prefixes_setup(struct bench *b, enum prog_id id, int prefixes_fd, __u32 *total)
{
	__u32 curve = curve_prefixes(b, id);
	int routed = id != PROG_THINGS_ONLINK && id != PROG_THINGS_ONLINK_FAST;
	int onlink = id != PROG_THINGS_ROUTED && id != PROG_THINGS_ROUTED_FAST;
	int err;

	if (id == PROG_THINGS_APPS_FAST) {
		*total = (__u32)(sizeof(bench_apps) / sizeof(bench_apps[0]));
		return apps_setup(b, id, prefixes_fd);
	}
	if ((routed && (err = trie_prefix_add(prefixes_fd, FRAME_ROUTED_PREFIX, APP_ROUTED,
					      THINGS_KIND_ECHO, 0))) ||
	    (onlink && (err = trie_prefix_add(prefixes_fd, FRAME_ONLINK_PREFIX, APP_ONLINK,
					      THINGS_KIND_ECHO, THINGS_PF_ONLINK))))
		return err;
	*total = (__u32)(routed + onlink);
	if (id == PROG_THINGS_MANY) {
		*total += b->opt.prefixes;
		return random_prefixes_add(b, id, prefixes_fd, b->opt.prefixes, b->opt.near);
	}
	if (curve) {
		*total = curve;
		err = random_prefixes_add(b, id, prefixes_fd, curve - 2, 0);
		if (!err && curve <= THINGS_FAST_SLOTS)
			err = fast_table_fill(b, id, prefixes_fd, curve);
		return err;
	}
	if (id == PROG_THINGS_ROUTED_FAST || id == PROG_THINGS_ONLINK_FAST)
		return fast_table_fill(b, id, prefixes_fd, 1);
	return 0;
}

static int things_setup(struct bench *b, enum prog_id id)
{
	int prefixes_fd, ifaces_fd, err;
	__u32 total;

	if ((err = bench_map_fd(b, id, "prefixes", &prefixes_fd)) ||
	    (err = bench_map_fd(b, id, THINGS_PIN_STATS, &b->stats_fd[id])) ||
	    (err = bench_map_fd(b, id, "ifaces", &ifaces_fd)))
		return err;
	err = things_iface_set(ifaces_fd, INGRESS_IFINDEX, frame_our_mac, 0);
	if (err) {
		pr_err("adding ifindex %d to the ifaces map: %s\n", INGRESS_IFINDEX,
		       strerror(-err));
		return err;
	}
	if ((err = prefixes_setup(b, id, prefixes_fd, &total)))
		return err;
	return instance_size(b, id, prefixes_fd, total);
}

/* An instance of things_xdp none of whose cases is to run is not loaded
 * (--case): a trie of a million takes seconds to fill. */
static int prog_needed(const struct bench *b, enum prog_id id)
{
	if (!bench_is_things(id))
		return 1;
	for (int c = 0; c < C_COUNT; c++)
		if (cases[c].prog == id && bench_case_on(&b->opt, c))
			return 1;
	return 0;
}

/* A program's instructions after the verifier (malloc'ed, *n of them),
 * and its functions' machine code sizes and first instructions. */
static struct bpf_insn *xlated(int prog_fd, __u32 *n, __u32 lens[2], struct bpf_func_info fi[2])
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), nfunc;
	struct bpf_insn *insns;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return NULL;
	nfunc = info.nr_jited_func_lens;
	*n = info.xlated_prog_len / sizeof(*insns);
	insns = calloc(*n, sizeof(*insns));
	if (!insns || nfunc > 2 || info.nr_func_info != nfunc)
		goto fail;
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = *n * sizeof(*insns);
	info.xlated_prog_insns = (__u64)(unsigned long)insns;
	info.nr_jited_func_lens = nfunc;
	info.jited_func_lens = (__u64)(unsigned long)lens;
	info.nr_func_info = nfunc;
	info.func_info_rec_size = sizeof(*fi);
	info.func_info = (__u64)(unsigned long)fi;
	len = sizeof(info);
	if (!bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return insns;
fail:
	free(insns);
	return NULL;
}

/*
 * How the program under test inside its harness (the harness's second
 * function: libbpf puts the harness's own code first) compares with the
 * program itself: its machine code's size, and how many of its
 * instructions after the verifier differ. The maps are the same ones, so
 * only the addresses of each object's own read-only data should.
 */
static void harness_compare(struct bench *b, enum prog_id id)
{
	struct bpf_func_info pf[2], hf[2];
	__u32 np, nh, plens[2] = { 0 }, hlens[2] = { 0 }, off;
	struct bpf_insn *p = xlated(b->prog_fd[id], &np, plens, pf);
	struct bpf_insn *h = xlated(b->harness[id].prog_fd, &nh, hlens, hf);
	struct harness *hr = &b->harness[id];

	hr->func_bytes = hlens[1];
	hr->insns_differing = hr->addresses_differing = -1;
	if (p && h && nh > np && hf[1].insn_off + np == nh) {
		off = hf[1].insn_off;
		hr->insns_differing = hr->addresses_differing = 0;
		for (__u32 i = 0; i < np; i++) {
			/* An address is loaded by an instruction two slots long. */
			int wide = p[i].code == (BPF_LD | BPF_IMM | BPF_DW);
			int differs = !!memcmp(&p[i], &h[off + i], sizeof(*p)) ||
				      (wide && i + 1 < np &&
				       memcmp(&p[i + 1], &h[off + i + 1], sizeof(*p)));

			if (wide)
				hr->addresses_differing += differs;
			else
				hr->insns_differing += differs;
			i += wide;
		}
	}
	free(p);
	free(h);
}

/*
 * The harness of program id (harness.h). Its maps are the program's own
 * wherever they share a name, so that the two see the same state: what a
 * case set up for the program, the harness runs on, and counts into. Its
 * frame and turn maps are its own.
 */
static int load_harness(struct bench *b, enum prog_id id)
{
	struct harness *h = &b->harness[id];
	struct bpf_program *prog;
	struct bpf_map *map;
	char path[PATH_MAX];
	int err, fd;

	snprintf(path, sizeof(path), "%s/%s", b->opt.build, progs[id].harness);
	h->obj = bpf_object__open_file(path, NULL);
	if (!h->obj) {
		err = -errno;
		pr_err("%s: cannot open the BPF object: %s\n", path, strerror(-err));
		return err;
	}
	bpf_object__for_each_map(map, h->obj) {
		/* Global data (".rodata" and the like) is each object's own. */
		if (strchr(bpf_map__name(map), '.'))
			continue;
		fd = bpf_object__find_map_fd_by_name(b->obj[id], bpf_map__name(map));
		if (fd >= 0 && (err = bpf_map__reuse_fd(map, fd))) {
			pr_err("%s: sharing map %s with %s: %s\n", path, bpf_map__name(map),
			       progs[id].file, strerror(-err));
			return err;
		}
	}
	if (id == PROG_MINIMAL && (err = set_minimal_mac(h->obj, path)))
		return err;
	err = bpf_object__load(h->obj);
	if (err) {
		pr_err("%s: loading failed: %s (-v shows libbpf's reasons)\n", path,
		       strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(h->obj, "bench_harness");
	h->frame_fd = bpf_object__find_map_fd_by_name(h->obj, "frame");
	h->turn_fd = bpf_object__find_map_fd_by_name(h->obj, "turn");
	if (!prog || h->frame_fd < 0 || h->turn_fd < 0) {
		pr_err("%s: no program bench_harness, or no map frame or turn\n", path);
		return -ENOENT;
	}
	h->prog_fd = bpf_program__fd(prog);
	harness_compare(b, id);
	return 0;
}

int bench_load(struct bench *b)
{
	int err;

	for (int id = 0; id < PROG_COUNT; id++) {
		if (!prog_needed(b, id))
			continue;
		if ((err = load_program(b, id)) ||
		    (bench_is_things(id) && (err = things_setup(b, id))) ||
		    (err = load_harness(b, id)))
			return err;
	}
	return 0;
}

void bench_unload(struct bench *b)
{
	for (int id = 0; id < PROG_COUNT; id++) {
		bpf_object__close(b->harness[id].obj);
		bpf_object__close(b->obj[id]);
	}
}

/*
 * Runs a program on a frame repeat times. out, if not NULL, gets the
 * resulting frame (DATA_OUT_MAX bytes). Every case is a request answered
 * with XDP_TX, so any other verdict fails: the run took another path than
 * the one meant to be measured.
 */
int bench_test_run(const struct bench *b, int prog_fd, const char *what, enum frame_id f,
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

	err = bpf_prog_test_run_opts(prog_fd, &opts);
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
		if ((err = bench_test_run(b, b->prog_fd[PROG_MINIMAL], progs[PROG_MINIMAL].name, f, 1, ref[f],
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
int bench_verify_replies(struct bench *b)
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

		if (!bench_is_things(c->prog) || !bench_case_on(&b->opt, id))
			continue;
		if ((err = bench_test_run(b, b->prog_fd[c->prog], c->label, f, 1, out, &len, NULL)))
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

