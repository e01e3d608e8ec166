// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * loadgen: the packet-pushing half of the throughput benchmark;
 * bench/throughput.py builds the namespaces, starts the responders and
 * runs this in the client's namespace.
 *
 *   loadgen send      sends requests out of a veth for a while, as fast as
 *                     it can or paced, and counts the replies that return
 *   loadgen minimal   attaches the minimal responder (minimal.bpf.c) to a
 *                     device, with the device's MAC in its advertisements
 *   loadgen follow    reads a board's posts from thingsd's board_log while
 *                     they are made, and counts what it saw and missed
 *   loadgen pairs     two loads in short turns, round after round, for
 *                     ratios that a busy machine cannot tilt
 *   loadgen things    attaches things_xdp with many prefixes to a device
 *
 * Requests are made by loadgen.bpf.c under BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES, replies are counted by replies.bpf.c on the
 * same veth. Exit status: 0 done, 1 failed, 2 usage.
 */
#define _GNU_SOURCE	/* sched_setaffinity */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loadgen.h"
#include "loadgen_cmd.h"
#include "log.h"
#include "maps.h"
#include "prefix.h"

#define DEFAULT_BUILD		"build"
#define DEFAULT_SRC		"2001:db8:ff::100"
#define DEFAULT_ECHO_PREFIX	"2001:db8:1::/48"
#define DEFAULT_NS_PREFIX	"2001:db8:2:3::/64"
#define DEFAULT_CANVAS_PREFIX	"2001:db8:12::/64"
#define DEFAULT_BOARD_PREFIX	"2001:db8:10::/64"
#define DEFAULT_CANVAS_SIDE	1024U
#define DEFAULT_SECONDS		2.0
#define DEFAULT_SLICE_US	1000U
#define DEFAULT_DRAIN_MS	100U
/* Frames per test run when unpaced: a few milliseconds' worth, so a run
 * ends close to its deadline while the per-call cost stays negligible. */
#define UNPACED_CHUNK		8192U
/* The kernel's own limit on live-frame batches (TEST_XDP_MAX_BATCH). */
#define MAX_BATCH		256U
#define FRAME_MAX		LOADGEN_FRAME_MAX

static volatile sig_atomic_t stopping;

const char *const loadgen_kind_names[LOADGEN_KINDS] = {
	[LOADGEN_ECHO] = "echo",
	[LOADGEN_NS] = "ns",
	[LOADGEN_CANVAS] = "canvas",
	[LOADGEN_BOARD] = "board",
	[LOADGEN_CANVAS_ROWS] = "canvas-rows",
};

static const char *const default_prefixes[LOADGEN_KINDS] = {
	[LOADGEN_ECHO] = DEFAULT_ECHO_PREFIX,
	[LOADGEN_NS] = DEFAULT_NS_PREFIX,
	[LOADGEN_CANVAS] = DEFAULT_CANVAS_PREFIX,
	[LOADGEN_BOARD] = DEFAULT_BOARD_PREFIX,
	[LOADGEN_CANVAS_ROWS] = DEFAULT_CANVAS_PREFIX,
};

struct opts {
	const char *build, *dev, *idle_dev, *src, *prefix, *pin, *kind_name, *pin_dir, *app;
	unsigned char dst_mac[6];
	int have_dst_mac;
	enum loadgen_kind kind;
	double seconds;
	unsigned long long rate, seed, first_text;
	unsigned int slice_us, drain_ms, batch, canvas_width, canvas_height, poll_us;
	int cpu;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: loadgen send --dev DEV --idle-dev DEV --kind echo|ns|canvas|canvas-rows|board\n"
		"                    [--dst-mac MAC] [--src ADDR] [--prefix PREFIX]\n"
		"                    [--seconds S] [--rate N] [--slice-us N] [--batch N]\n"
		"                    [--drain-ms N] [--cpu N] [--seed N] [--canvas-size WxH]\n"
		"                    [--first-text N] [--build DIR] [-v]\n"
		"       loadgen minimal --dev DEV --pin PATH [--build DIR] [-v]\n"
		"       loadgen follow --pin-dir DIR --app NAME [--cpu N] [--poll-us N] [-v]\n"
		"       loadgen pairs --side SPEC --side SPEC --idle-dev DEV --idle-dev DEV ...\n"
		"                     (loadgen pairs --help)\n"
		"       loadgen things --dev DEV --prefixes N ... (loadgen things --help)\n"
		"\n"
		"send: sends echo requests to random addresses of PREFIX, neighbor\n"
		"solicitations for random targets in it, or requests to the canvas or\n"
		"board app at PREFIX, out of DEV, and counts the replies that come back\n"
		"to ADDR on DEV. Prints one JSON object.\n"
		"\n"
		"  --dev DEV       the client's veth: requests leave, replies arrive here\n"
		"  --idle-dev DEV  a veth that carries no traffic: the generator stays\n"
		"                  attached there between test runs (see below)\n"
		"  --kind K        echo; ns; canvas: a random opaque pixel inside\n"
		"                  --canvas-size; canvas-rows: its pixels in order, row by\n"
		"                  row, in random colours; board: a text of 8 printable\n"
		"                  characters, a different one every time\n"
		"  --dst-mac MAC   the responder's MAC (all but ns: NS goes to the group MAC)\n"
		"  --src ADDR      the client's address (default " DEFAULT_SRC ")\n"
		"  --prefix P      default " DEFAULT_ECHO_PREFIX " (echo), " DEFAULT_NS_PREFIX " (ns),\n"
		"                  " DEFAULT_CANVAS_PREFIX " (canvas), " DEFAULT_BOARD_PREFIX " (board);\n"
		"                  /64 or shorter for the apps\n"
		"  --seconds S     how long to send (default %.0f)\n"
		"  --rate N        requests per second, sent in bursts every --slice-us;\n"
		"                  0 (default): as fast as this CPU can\n"
		"  --slice-us N    the pacing interval (default %u)\n"
		"  --batch N       frames per batch of the live test run (default: the\n"
		"                  kernel's, 64; at most %u)\n"
		"  --drain-ms N    wait for late replies before counting (default %u)\n"
		"  --cpu N         run on this CPU only\n"
		"  --seed N        of the random addresses (default 1)\n"
		"  --canvas-size WxH  the canvas app's size (default %ux%u)\n"
		"  --first-text N  the number of the first board text: the \"text_next\" a\n"
		"                  run prints, so that the next run sends none again\n"
		"\n"
		"minimal: attaches build/bench/minimal.bpf.o to DEV in native mode, with\n"
		"DEV's MAC, pins its counter map at PATH and exits; the program stays.\n"
		"\n"
		"Each test run of an XDP program adds it to the kernel's XDP dispatcher\n"
		"and removes it again, and a change there waits for an RCU grace period.\n"
		"Attached to the idle veth, the generator stays in the dispatcher, so a\n"
		"paced run of many short bursts pays no such wait.\n"
		"\n"
		"  --build DIR     where bench/*.bpf.o are (default " DEFAULT_BUILD ")\n"
		"  -v              more log output (-vv, -vvv: libbpf's too)\n"
		"\n"
		"follow: opens DIR/board_log read-only and reads the posts of board NAME\n"
		"as the data plane logs them, until SIGINT or SIGTERM; then catches up\n"
		"and prints one JSON object: events read, events missed (overwritten\n"
		"before they were read), events out of order or not a board text. A\n"
		"line {\"head\": N} says it has started.\n"
		"\n"
		"  --pin-dir DIR   thingsd's pin_dir\n"
		"  --app NAME      a board app\n"
		"  --poll-us N     how long to wait when it has caught up (default %u;\n"
		"                  as `thingsctl board follow`)\n",
		DEFAULT_SECONDS, DEFAULT_SLICE_US, MAX_BATCH, DEFAULT_DRAIN_MS, DEFAULT_CANVAS_SIDE,
		DEFAULT_CANVAS_SIDE, LOADGEN_FOLLOW_POLL_US);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_ull(const char *opt, const char *text, unsigned long long max,
		     unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-' || *out > max) {
		pr_err("%s: \"%s\" is not a whole number from 0 to %llu\n", opt, text, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_uint(const char *opt, const char *text, unsigned int max, unsigned int *out)
{
	unsigned long long v;

	if (parse_ull(opt, text, max, &v))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_mac(const char *opt, const char *text, unsigned char mac[6])
{
	char tail;

	if (sscanf(text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &mac[0], &mac[1], &mac[2],
		   &mac[3], &mac[4], &mac[5], &tail) != 6) {
		pr_err("%s: \"%s\" is not a MAC address (xx:xx:xx:xx:xx:xx)\n", opt, text);
		return -EINVAL;
	}
	return 0;
}

/* WxH, each side 1 to THINGS_CANVAS_MAX_SIDE. */
static int parse_size(const char *opt, const char *text, unsigned int *w, unsigned int *h)
{
	char tail;

	if (sscanf(text, "%ux%u%c", w, h, &tail) != 2 || !*w || !*h ||
	    *w > THINGS_CANVAS_MAX_SIDE || *h > THINGS_CANVAS_MAX_SIDE) {
		pr_err("%s: \"%s\" is not a size WxH, each side from 1 to %u\n", opt, text,
		       THINGS_CANVAS_MAX_SIDE);
		return -EINVAL;
	}
	return 0;
}

int loadgen_device(const char *name, __u32 *ifindex, unsigned char mac[6])
{
	struct ifreq ifr = {};
	int fd, err = 0;

	*ifindex = if_nametoindex(name);
	if (!*ifindex) {
		err = -errno;
		pr_err("%s: no such device here: %s\n", name, strerror(-err));
		return err;
	}
	if (!mac)
		return 0;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_err("socket for reading %s's MAC: %s\n", name, strerror(-err));
		return err;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		pr_err("%s: reading its MAC: %s\n", name, strerror(-err));
	} else {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	close(fd);
	return err;
}

/* Opens build/FILE; the caller sets its read-only data, then loads it. */
int loadgen_prog_open(struct prog *p, const char *build, const char *file)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s", build, file);
	p->obj = bpf_object__open_file(path, NULL);
	if (!p->obj) {
		err = -errno;
		pr_err("%s: cannot open the BPF object: %s (make builds it)\n", path,
		       strerror(-err));
		return err;
	}
	return 0;
}

/* The object's global data in section (".rodata", ".bss"), if it is size
 * bytes: anything else there would mean the object is not the one this
 * expects. */
static struct bpf_map *prog_data(const struct prog *p, const char *section, size_t size)
{
	struct bpf_map *map = bpf_object__find_map_by_name(p->obj, section);
	size_t have = 0;

	if (map)
		bpf_map__initial_value(map, &have);
	if (have != size) {
		pr_err("%s: expected %zu bytes of %s, found %zu\n", bpf_object__name(p->obj), size,
		       section, have);
		return NULL;
	}
	return map;
}

/* Read-only data is a constant to the verifier and costs the program no
 * map lookup. It, and the start of writable data, can only be set before
 * the load; value must be all of it. */
int loadgen_prog_set_data(struct prog *p, const char *section, const void *value, size_t size)
{
	struct bpf_map *map = prog_data(p, section, size);
	int err;

	if (!map)
		return -ENOENT;
	err = bpf_map__set_initial_value(map, value, size);
	if (err)
		pr_err("%s: setting its %s: %s\n", bpf_object__name(p->obj), section,
		       strerror(-err));
	return err;
}

int loadgen_prog_set_rodata(struct prog *p, const void *value, size_t size)
{
	return loadgen_prog_set_data(p, ".rodata", value, size);
}

/* The writable data as the program left it. */
int loadgen_prog_read_data(const struct prog *p, const char *section, void *value, size_t size)
{
	struct bpf_map *map = prog_data(p, section, size);
	__u32 zero = 0;
	int err;

	if (!map)
		return -ENOENT;
	err = bpf_map_lookup_elem(bpf_map__fd(map), &zero, value) ? -errno : 0;
	if (err)
		pr_err("%s: reading its %s: %s\n", bpf_object__name(p->obj), section,
		       strerror(-err));
	return err;
}

int loadgen_prog_load(struct prog *p, const char *prog_name)
{
	const char *name = bpf_object__name(p->obj);
	struct bpf_program *prog;
	int err;

	err = bpf_object__load(p->obj);
	if (err) {
		pr_err("%s: loading failed: %s (-v shows libbpf's reasons)\n", name, strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(p->obj, prog_name);
	if (!prog) {
		pr_err("%s: no program \"%s\"\n", name, prog_name);
		return -ENOENT;
	}
	p->fd = bpf_program__fd(prog);
	return 0;
}

/* Native mode only: generic XDP would measure the kernel's emulation of
 * it. Never replaces a program that is already there. */
int loadgen_prog_attach(struct prog *p, const char *dev, __u32 ifindex)
{
	int err;

	err = bpf_xdp_attach((int)ifindex, p->fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
			     NULL);
	if (err == -EBUSY || err == -EEXIST) {
		pr_err("%s: another XDP program is attached already; remove it first\n", dev);
		return err;
	}
	if (err) {
		pr_err("%s: attaching %s in native mode: %s\n", dev, bpf_object__name(p->obj),
		       strerror(-err));
		return err;
	}
	p->attached_to = ifindex;
	return 0;
}

void loadgen_prog_close(struct prog *p)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = p->fd);
	char name[IF_NAMESIZE] = "?";
	int err;

	if (p->attached_to) {
		/* old_prog_fd: only if it is still ours. */
		err = bpf_xdp_detach((int)p->attached_to, XDP_FLAGS_DRV_MODE, &opts);
		if (err) {
			if_indextoname(p->attached_to, name);
			pr_warn("%s: detaching %s: %s\n", name, bpf_object__name(p->obj),
				strerror(-err));
		}
	}
	bpf_object__close(p->obj);
}

static int prefix_words(const char *text, struct loadgen_config *cfg)
{
	struct things_prefix_key key;
	const char *why;

	if (things_prefix_parse(text, &key, 0, &why)) {
		pr_err("--prefix %s: %s\n", text, why);
		return -EINVAL;
	}
	if (key.prefixlen > 120) {
		pr_err("--prefix %s: leaves too few addresses to draw from\n", text);
		return -EINVAL;
	}
	if (cfg->kind != LOADGEN_ECHO && cfg->kind != LOADGEN_NS && key.prefixlen > 64) {
		pr_err("--prefix %s: a %s's requests fill the whole interface ID: /64 or shorter\n",
		       text, loadgen_kind_names[cfg->kind]);
		return -EINVAL;
	}
	memcpy(cfg->prefix, key.addr, sizeof(cfg->prefix));
	for (int i = 0; i < 4; i++) {
		unsigned int net = key.prefixlen > 32u * i ? key.prefixlen - 32u * i : 0;

		cfg->host_mask[i] = htonl(net >= 32 ? 0 : 0xffffffffu >> net);
	}
	return 0;
}

/* The unfolded one's complement sum of 32-bit words, as the program sums. */
static __u64 sum_words(const void *p, size_t len)
{
	const unsigned char *b = p;
	__u64 sum = 0;
	__u32 w;

	for (size_t i = 0; i + 4 <= len; i += 4) {
		memcpy(&w, b + i, 4);
		sum += w;
	}
	return sum;
}

/* What every frame's checksum covers that the program does not draw anew:
 * the pseudo-header but for the random words, and the message but for its
 * checksum and (NS) target. */
static __u64 sum_base(const struct loadgen_config *cfg)
{
	static const unsigned char ns_group[12] = { 0xff, 0x02, [11] = 0x01 };
	static const unsigned char echo_head[8] = { 128, 0, 0, 0, 0x74, 0x68, 0, 0 };
	unsigned char opt[8] = { 1, 1 };
	__u64 sum = sum_words(cfg->src, sizeof(cfg->src));

	sum += htonl(IPPROTO_ICMPV6);
	if (cfg->kind != LOADGEN_NS) {
		/* The payload is zeros: it adds nothing. */
		sum += htonl(8 + LOADGEN_ECHO_DATA);
		return sum + sum_words(echo_head, sizeof(echo_head));
	}
	memcpy(opt + 2, cfg->src_mac, 6);
	sum += htonl(LOADGEN_NS_PLEN) + sum_words(ns_group, sizeof(ns_group));
	sum += htonl(135u << 24);
	return sum + sum_words(opt, sizeof(opt));
}

static unsigned int csum16(const unsigned char *p, size_t len, unsigned long sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (unsigned int)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned int)sum;
}

/* An app's requests are its prefix, bits 64 and on of it zero, with the
 * request as the interface ID: only that may differ from the prefix. */
static const unsigned char *iid_mask(unsigned char mask[16])
{
	memset(mask, 0, 8);
	memset(mask + 8, 0xff, 8);
	return mask;
}

/* What the interface ID asks an app for, judged as the app's layout in
 * things_abi.h says: NULL if it is what the kind should send. */
static const char *request_wrong(const struct loadgen_config *cfg, const unsigned char *iid)
{
	unsigned int x = (unsigned int)iid[0] << 8 | iid[1], y = (unsigned int)iid[2] << 8 | iid[3];

	if (cfg->kind == LOADGEN_CANVAS || cfg->kind == LOADGEN_CANVAS_ROWS) {
		if (x >= cfg->canvas_width || y >= cfg->canvas_height)
			return "a pixel outside the canvas";
		if (iid[7] != 0xff)
			return "a pixel that is not opaque";
	}
	if (cfg->kind == LOADGEN_BOARD)
		for (int i = 0; i < THINGS_BOARD_TEXT; i++)
			if (iid[i] <= ' ' || iid[i] > '~')
				return "a board text with a character that is not printable";
	return NULL;
}

/* NULL if frame is a request the generator was meant to make, else what
 * is wrong with it. */
static const char *frame_wrong(const struct loadgen_config *cfg, const unsigned char *f,
			       size_t len)
{
	const unsigned char *l4 = f + 54, *addr = f + 38, *src = f + 22;
	static const unsigned char group[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	const unsigned char *pfx = (const void *)cfg->prefix;
	const unsigned char *mask = (const void *)cfg->host_mask;
	unsigned char host_bits[16];
	const char *why;
	size_t want = cfg->kind == LOADGEN_NS ? LOADGEN_NS_LEN : LOADGEN_ECHO_LEN;
	unsigned long sum;

	if (len != want)
		return "wrong length";
	if (memcmp(f + 6, cfg->src_mac, 6) || f[12] != 0x86 || f[13] != 0xdd || f[14] != 0x60 ||
	    f[20] != IPPROTO_ICMPV6 || memcmp(src, cfg->src, 16))
		return "wrong Ethernet or IPv6 header";
	if ((size_t)(f[18] << 8 | f[19]) != len - 54)
		return "wrong payload length";
	if (cfg->kind == LOADGEN_NS) {
		if (l4[0] != 135 || f[21] != 255)
			return "not an NS with hop limit 255";
		if (memcmp(f + 38, group, sizeof(group)) || memcmp(f + 51, l4 + 8 + 13, 3))
			return "not sent to the target's solicited-node group";
		if (f[0] != 0x33 || f[1] != 0x33 || memcmp(f + 2, f + 50, 4))
			return "not sent to the group's MAC";
		if (l4[24] != 1 || l4[25] != 1 || memcmp(l4 + 26, cfg->src_mac, 6))
			return "no right source link-layer address option";
		addr = l4 + 8;
	} else {
		if (l4[0] != 128 || l4[1])
			return "not an echo request";
		if (memcmp(f, cfg->dst_mac, 6))
			return "not sent to the responder's MAC";
	}
	if (cfg->kind != LOADGEN_ECHO && cfg->kind != LOADGEN_NS)
		mask = iid_mask(host_bits);
	for (int i = 0; i < 16; i++)
		if ((addr[i] & ~mask[i]) != pfx[i])
			return "address outside the prefix";
	why = request_wrong(cfg, addr + 8);
	if (why)
		return why;
	sum = IPPROTO_ICMPV6 + (len - 54);
	sum = csum16(f + 22, 32, sum);
	if (csum16(l4, len - 54, sum) != 0xffff)
		return "wrong ICMPv6 checksum";
	return NULL;
}

/* Runs the generator twice without sending anything and checks what it
 * made: a benchmark of wrong requests would measure the wrong path. */
int loadgen_check_generator(const struct prog *gen, const struct loadgen_config *cfg,
			   const unsigned char *frame, __u32 len)
{
	unsigned char out[2][FRAME_MAX];
	const char *why;
	int err;

	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = frame,
			.data_size_in = len,
			.data_out = out[i],
			.data_size_out = sizeof(out[i]),
		);

		err = bpf_prog_test_run_opts(gen->fd, &opts);
		if (err) {
			pr_err("generator: trial run failed: %s\n", strerror(-err));
			return err;
		}
		if (opts.retval != XDP_REDIRECT) {
			pr_err("generator: trial run returned %u, not XDP_REDIRECT\n", opts.retval);
			return -EBADMSG;
		}
		why = frame_wrong(cfg, out[i], opts.data_size_out);
		if (why) {
			pr_err("generator: its %s request is wrong: %s\n", loadgen_kind_names[cfg->kind],
			       why);
			return -EBADMSG;
		}
	}
	if (!memcmp(out[0], out[1], len)) {
		pr_err("generator: two requests in a row are the same\n");
		return -EBADMSG;
	}
	return 0;
}

int loadgen_send_frames(const struct prog *gen, const unsigned char *frame, __u32 len,
		       __u32 count, unsigned int batch)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = len,
		.repeat = count,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = batch,
	);
	int err;

	err = bpf_prog_test_run_opts(gen->fd, &opts);
	if (err == -EINTR && stopping)
		return 0;
	if (err)
		pr_err("live test run of %u frames failed: %s\n", count, strerror(-err));
	return err;
}

int loadgen_read_replies(const struct prog *counter, __u32 slot, __u64 *packets)
{
	struct things_counter c;
	int err;

	err = things_counter_read(bpf_object__find_map_fd_by_name(counter->obj, "replies"),
				  slot, &c);
	if (err) {
		pr_err("reading the reply counter: %s\n", strerror(-err));
		return err;
	}
	*packets = c.packets;
	return 0;
}

struct outcome {
	__u64 sent, calls;
	double seconds;
};

/* Unpaced: back-to-back test runs until the time is up. */
static int run_flat_out(const struct opts *o, const struct prog *gen,
			const unsigned char *frame, __u32 len, struct outcome *out)
{
	double start = now_seconds(), t = start;
	int err;

	while (!stopping && t - start < o->seconds) {
		if ((err = loadgen_send_frames(gen, frame, len, UNPACED_CHUNK, o->batch)))
			return err;
		out->sent += UNPACED_CHUNK;
		out->calls++;
		t = now_seconds();
	}
	out->seconds = t - start;
	return 0;
}

/*
 * Paced: slice k ends with rate * (k + 1) * slice frames sent in all. A
 * slice that starts late sends what is due by then, so a sender that falls
 * behind catches up when it can, and one that never can sends flat out:
 * the outcome says what rate was offered in fact.
 */
static int run_paced(const struct opts *o, const struct prog *gen,
		     const unsigned char *frame, __u32 len, struct outcome *out)
{
	struct timespec base, next;
	double slice = o->slice_us / 1e6, start;
	__u64 slices = (__u64)(o->seconds / slice + 0.5), due;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &base);
	start = (double)base.tv_sec + (double)base.tv_nsec / 1e9;
	for (__u64 k = 0; k < slices && !stopping; k++) {
		__u64 end_ns = (k + 1) * (__u64)o->slice_us * 1000;

		due = (__u64)((double)o->rate * (double)(k + 1) * slice) - out->sent;
		while (due && !stopping) {
			__u32 n = due > UNPACED_CHUNK ? UNPACED_CHUNK : (__u32)due;

			if ((err = loadgen_send_frames(gen, frame, len, n, o->batch)))
				return err;
			out->sent += n;
			out->calls++;
			due -= n;
		}
		next.tv_sec = base.tv_sec + (time_t)((base.tv_nsec + end_ns) / 1000000000);
		next.tv_nsec = (long)((base.tv_nsec + end_ns) % 1000000000);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR &&
		       !stopping)
			;
	}
	out->seconds = now_seconds() - start;
	return 0;
}

/* Both commands' options; returns 0, or 2 for a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "idle-dev", required_argument, NULL, 'i' },
		{ "kind", required_argument, NULL, 'k' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "rate", required_argument, NULL, 'r' },
		{ "slice-us", required_argument, NULL, 'l' },
		{ "batch", required_argument, NULL, 'B' },
		{ "drain-ms", required_argument, NULL, 'D' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'e' },
		{ "canvas-size", required_argument, NULL, 'C' },
		{ "first-text", required_argument, NULL, 'F' },
		{ "pin", required_argument, NULL, 'P' },
		{ "pin-dir", required_argument, NULL, 'I' },
		{ "app", required_argument, NULL, 'A' },
		{ "poll-us", required_argument, NULL, 'W' },
		{ "build", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned int cpu;
	char *end;
	int c, verbose = 0;

	*o = (struct opts){
		.build = DEFAULT_BUILD, .src = DEFAULT_SRC, .seconds = DEFAULT_SECONDS,
		.slice_us = DEFAULT_SLICE_US, .drain_ms = DEFAULT_DRAIN_MS, .seed = 1, .cpu = -1,
		.canvas_width = DEFAULT_CANVAS_SIDE, .canvas_height = DEFAULT_CANVAS_SIDE,
		.poll_us = LOADGEN_FOLLOW_POLL_US,
	};
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dev = optarg;
			break;
		case 'i':
			o->idle_dev = optarg;
			break;
		case 'k':
			o->kind_name = optarg;
			break;
		case 'm':
			if (parse_mac("--dst-mac", optarg, o->dst_mac))
				return 2;
			o->have_dst_mac = 1;
			break;
		case 's':
			o->src = optarg;
			break;
		case 'p':
			o->prefix = optarg;
			break;
		case 'S':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->seconds > 0 && o->seconds <= 3600)) {
				pr_err("--seconds: \"%s\" is not a time from 0 to 3600\n", optarg);
				return 2;
			}
			break;
		case 'r':
			if (parse_ull("--rate", optarg, 100000000ULL, &o->rate))
				return 2;
			break;
		case 'l':
			if (parse_uint("--slice-us", optarg, 1000000, &o->slice_us))
				return 2;
			if (!o->slice_us) {
				pr_err("--slice-us: must be at least 1\n");
				return 2;
			}
			break;
		case 'B':
			if (parse_uint("--batch", optarg, MAX_BATCH, &o->batch))
				return 2;
			break;
		case 'D':
			if (parse_uint("--drain-ms", optarg, 60000, &o->drain_ms))
				return 2;
			break;
		case 'c':
			if (parse_uint("--cpu", optarg, CPU_SETSIZE - 1, &cpu))
				return 2;
			o->cpu = (int)cpu;
			break;
		case 'e':
			if (parse_ull("--seed", optarg, ULLONG_MAX, &o->seed))
				return 2;
			break;
		case 'C':
			if (parse_size("--canvas-size", optarg, &o->canvas_width, &o->canvas_height))
				return 2;
			break;
		case 'F':
			if (parse_ull("--first-text", optarg, ULLONG_MAX, &o->first_text))
				return 2;
			break;
		case 'P':
			o->pin = optarg;
			break;
		case 'I':
			o->pin_dir = optarg;
			break;
		case 'A':
			o->app = optarg;
			break;
		case 'W':
			if (parse_uint("--poll-us", optarg, 10000000, &o->poll_us))
				return 2;
			break;
		case 'b':
			o->build = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	things_log_set_verbosity(THINGS_LOG_WARN, verbose);
	if (optind < argc) {
		pr_err("unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* What send needs beyond what parse_args checked. */
static int check_send_args(struct opts *o)
{
	if (!o->dev || !o->idle_dev || !o->kind_name) {
		pr_err("send needs --dev, --idle-dev and --kind\n");
		return 2;
	}
	for (o->kind = 0; o->kind < LOADGEN_KINDS; o->kind++)
		if (!strcmp(o->kind_name, loadgen_kind_names[o->kind]))
			break;
	if (o->kind == LOADGEN_KINDS) {
		pr_err("--kind: \"%s\" is none of echo, ns, canvas, canvas-rows, board\n",
		       o->kind_name);
		return 2;
	}
	if (o->kind != LOADGEN_NS && !o->have_dst_mac) {
		pr_err("--kind %s needs --dst-mac, the responder's MAC\n", o->kind_name);
		return 2;
	}
	if (!o->prefix)
		o->prefix = default_prefixes[o->kind];
	return 0;
}

int loadgen_pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		pr_err("--cpu %d: %s\n", cpu, strerror(errno));
		return -errno;
	}
	return 0;
}

int loadgen_gen_open(struct loadgen_gen *g, const struct loadgen_gen_spec *sp, const char *build)
{
	__u32 client[4];
	int err;

	memset(g, 0, sizeof(*g));
	g->prog.fd = -1;
	if (inet_pton(AF_INET6, sp->src, client) != 1) {
		pr_err("\"%s\" is not an IPv6 address (the client's)\n", sp->src);
		return -EINVAL;
	}
	g->cfg.kind = sp->kind;
	if ((err = prefix_words(sp->prefix, &g->cfg)) ||
	    (err = loadgen_device(sp->dev, &g->ifindex, g->cfg.src_mac)))
		return err;
	g->cfg.ifindex = g->ifindex;
	g->cfg.canvas_width = (__u16)sp->canvas_width;
	g->cfg.canvas_height = (__u16)sp->canvas_height;
	g->state.text_next = sp->first_text;
	memcpy(g->cfg.dst_mac, sp->dst_mac, sizeof(g->cfg.dst_mac));
	memcpy(g->cfg.src, client, sizeof(g->cfg.src));
	g->cfg.seed = sp->seed ? sp->seed : 1;
	g->cfg.sum_base = sum_base(&g->cfg);
	g->len = sp->kind == LOADGEN_NS ? LOADGEN_NS_LEN : LOADGEN_ECHO_LEN;
	g->slot = sp->kind == LOADGEN_NS ? LOADGEN_REPLY_NA : LOADGEN_REPLY_ECHO;
	if ((err = loadgen_prog_open(&g->prog, build, "bench/loadgen.bpf.o")) ||
	    (err = loadgen_prog_set_rodata(&g->prog, &g->cfg, sizeof(g->cfg))) ||
	    (err = loadgen_prog_set_data(&g->prog, ".bss", &g->state, sizeof(g->state))) ||
	    (err = loadgen_prog_load(&g->prog, "bench_loadgen")))
		return err;
	/* The frame the pages start from; the generator rewrites it anyway. */
	return loadgen_check_generator(&g->prog, &g->cfg, g->frame, g->len);
}

int loadgen_counter_open(struct prog *counter, const char *build, const char *src)
{
	__u32 client[4];
	int err;

	counter->fd = -1;
	if (inet_pton(AF_INET6, src, client) != 1) {
		pr_err("\"%s\" is not an IPv6 address (the client's)\n", src);
		return -EINVAL;
	}
	if ((err = loadgen_prog_open(counter, build, "bench/replies.bpf.o")) ||
	    (err = loadgen_prog_set_rodata(counter, client, sizeof(client))))
		return err;
	return loadgen_prog_load(counter, "bench_replies");
}

static int cmd_send(int argc, char **argv)
{
	struct prog counter = { .fd = -1 };
	struct loadgen_gen g = { .prog.fd = -1 };
	struct outcome out = {};
	__u32 idle_ifindex;
	__u64 seen_before, seen_after;
	struct opts o;
	int err;

	if ((err = parse_args(argc, argv, &o)) || (err = check_send_args(&o)))
		return err;
	if ((err = loadgen_device(o.idle_dev, &idle_ifindex, NULL)) ||
	    (err = loadgen_pin_cpu(o.cpu)))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if ((err = loadgen_gen_open(&g, &(struct loadgen_gen_spec){
			.kind = o.kind, .dev = o.dev, .prefix = o.prefix, .src = o.src,
			.canvas_width = o.canvas_width, .canvas_height = o.canvas_height,
			.seed = o.seed, .first_text = o.first_text,
			.dst_mac = { o.dst_mac[0], o.dst_mac[1], o.dst_mac[2], o.dst_mac[3],
				     o.dst_mac[4], o.dst_mac[5] } }, o.build)) ||
	    (err = loadgen_counter_open(&counter, o.build, o.src)))
		goto cleanup;
	if ((err = loadgen_prog_attach(&counter, o.dev, g.ifindex)) ||
	    (err = loadgen_prog_attach(&g.prog, o.idle_dev, idle_ifindex)) ||
	    (err = loadgen_read_replies(&counter, g.slot, &seen_before)))
		goto cleanup;

	if (o.rate)
		err = run_paced(&o, &g.prog, g.frame, g.len, &out);
	else
		err = run_flat_out(&o, &g.prog, g.frame, g.len, &out);
	if (err)
		goto cleanup;
	/* Replies still in flight belong to this run. */
	usleep(o.drain_ms * 1000);
	if ((err = loadgen_read_replies(&counter, g.slot, &seen_after)) ||
	    (err = loadgen_prog_read_data(&g.prog, ".bss", &g.state, sizeof(g.state))))
		goto cleanup;

	printf("{\"kind\": \"%s\", \"rate\": %llu, \"slice_us\": %u, \"batch\": %u,"
	       " \"seconds\": %.6f, \"sent\": %llu, \"seen\": %llu, \"calls\": %llu,"
	       " \"text_next\": %llu, \"interrupted\": %s}\n",
	       loadgen_kind_names[o.kind], o.rate, o.slice_us, o.batch ? o.batch : 64, out.seconds,
	       (unsigned long long)out.sent, (unsigned long long)(seen_after - seen_before),
	       (unsigned long long)out.calls, (unsigned long long)g.state.text_next,
	       stopping ? "true" : "false");
	fflush(stdout);
cleanup:
	loadgen_prog_close(&g.prog);
	loadgen_prog_close(&counter);
	return err ? 1 : 0;
}

static int cmd_minimal(int argc, char **argv)
{
	struct prog minimal = { .fd = -1 };
	unsigned char mac[6];
	struct bpf_map *map;
	__u32 ifindex;
	struct opts o;
	int err;

	if ((err = parse_args(argc, argv, &o)))
		return err;
	if (!o.dev || !o.pin) {
		pr_err("minimal needs --dev and --pin\n");
		return 2;
	}
	if (loadgen_device(o.dev, &ifindex, mac))
		return 1;
	if ((err = loadgen_prog_open(&minimal, o.build, "bench/minimal.bpf.o")) ||
	    (err = loadgen_prog_set_rodata(&minimal, mac, sizeof(mac))) ||
	    (err = loadgen_prog_load(&minimal, "bench_minimal")))
		goto cleanup;
	map = bpf_object__find_map_by_name(minimal.obj, "replies");
	err = map ? bpf_map__pin(map, o.pin) : -ENOENT;
	if (err) {
		pr_err("%s: pinning its counter map at %s: %s\n", bpf_object__name(minimal.obj),
		       o.pin, strerror(-err));
		goto cleanup;
	}
	if ((err = loadgen_prog_attach(&minimal, o.dev, ifindex))) {
		bpf_map__unpin(map, o.pin);
		goto cleanup;
	}
	/* Netlink attachments outlive their loader: leave it attached. */
	minimal.attached_to = 0;
cleanup:
	loadgen_prog_close(&minimal);
	return err ? 1 : 0;
}

static int cmd_follow(int argc, char **argv)
{
	struct opts o;
	int err;

	if ((err = parse_args(argc, argv, &o)))
		return err;
	if (!o.pin_dir || !o.app) {
		pr_err("follow needs --pin-dir and --app\n");
		return 2;
	}
	return loadgen_follow(&(struct loadgen_follow_opts){
		.pin_dir = o.pin_dir, .app = o.app, .poll_us = o.poll_us, .cpu = o.cpu });
}

int main(int argc, char **argv)
{
	things_log_set_ident("loadgen");
	things_log_libbpf();
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "send"))
		return cmd_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "minimal"))
		return cmd_minimal(argc - 1, argv + 1);
	if (!strcmp(argv[1], "follow"))
		return cmd_follow(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pairs"))
		return loadgen_pairs(argc - 1, argv + 1);
	if (!strcmp(argv[1], "things"))
		return loadgen_things(argc - 1, argv + 1);
	pr_err("unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
