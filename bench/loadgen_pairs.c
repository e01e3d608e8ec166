// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * loadgen pairs: two loads in short turns, A then B, B then A, round after
 * round, each as fast as the generator's CPU goes, so that the two rates of
 * a round were measured within a second of each other. A slow spell of a
 * busy machine then slows both sides of a round alike, and the ratio of a
 * round's two rates holds where the rates themselves wander. bench/
 * throughput.py takes the median of those ratios.
 *
 * A side is a generator (what loadgen send makes) and the client's veth it
 * sends out of; the replies coming back there are counted by replies.bpf.c,
 * one counter per veth (two sides may share one, taking turns).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen_cmd.h"
#include "log.h"
#include "things_abi.h"

#define SIDES			2
#define DEFAULT_BUILD		"build"
#define DEFAULT_SRC		"2001:db8:ff::100"
#define DEFAULT_ROUNDS		30U
#define DEFAULT_SLICE_MS	200U
#define DEFAULT_DRAIN_MS	20U
#define DEFAULT_CANVAS_SIDE	1024U
/* A few milliseconds' worth of frames per test run at full speed: the
 * slice ends close to its time, and the per-call cost stays negligible. */
#define CHUNK			4096U

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct side {
	struct loadgen_gen_spec spec;
	char text[256];		/* the spec as given, for the output */
	char *strings;		/* what the spec's strings point into */
	struct loadgen_gen gen;
	struct prog counter;	/* the first side on a veth has the counter */
	struct side *counted_by;
	const char *idle_dev;
};

struct pairs_opts {
	const char *build;
	unsigned int rounds, slice_ms, drain_ms;
	int cpu;
	struct side side[SIDES];
	const char *idle_dev[SIDES];
	int n_sides, n_idle;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: loadgen pairs --side SPEC --side SPEC --idle-dev DEV --idle-dev DEV\n"
		"                     [--rounds N] [--slice-ms N] [--drain-ms N] [--cpu N]\n"
		"                     [--build DIR] [-v]\n"
		"\n"
		"Sends side A's load, then side B's, each for --slice-ms as fast as it can,\n"
		"then B and A, and so on for --rounds rounds, and prints one JSON object\n"
		"with every slice: seconds, requests sent, replies seen on the side's veth.\n"
		"\n"
		"  --side SPEC     comma-separated key=value: dev= (the client's veth, out\n"
		"                  of which it sends and on which replies are counted),\n"
		"                  kind= (as loadgen send: echo, ns, canvas, canvas-rows,\n"
		"                  board), prefix=, mac= (the responder's MAC; all but ns),\n"
		"                  src= (the client's address, default " DEFAULT_SRC "),\n"
		"                  canvas=WxH (default %ux%u), first-text=N\n"
		"  --idle-dev DEV  a veth that carries no traffic, one per side: each\n"
		"                  generator stays attached to its own between slices\n"
		"  --rounds N      default %u\n"
		"  --slice-ms N    how long each side sends in a round (default %u)\n"
		"  --drain-ms N    wait for late replies after a slice (default %u)\n"
		"  --cpu N         run on this CPU only\n"
		"  --build DIR     where bench/*.bpf.o are (default " DEFAULT_BUILD ")\n",
		DEFAULT_CANVAS_SIDE, DEFAULT_CANVAS_SIDE, DEFAULT_ROUNDS, DEFAULT_SLICE_MS,
		DEFAULT_DRAIN_MS);
}

static int parse_number(const char *what, const char *text, unsigned long long max,
			unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-' || *out > max) {
		pr_err("%s: \"%s\" is not a whole number from 0 to %llu\n", what, text, max);
		return -EINVAL;
	}
	return 0;
}

/* One key=value of a side's spec. */
static int side_key(struct loadgen_gen_spec *sp, const char *key, char *val)
{
	unsigned long long v;
	char tail;
	int k;

	if (!strcmp(key, "dev")) {
		sp->dev = val;
	} else if (!strcmp(key, "prefix")) {
		sp->prefix = val;
	} else if (!strcmp(key, "src")) {
		sp->src = val;
	} else if (!strcmp(key, "kind")) {
		for (k = 0; k < LOADGEN_KINDS && strcmp(val, loadgen_kind_names[k]); k++)
			;
		if (k == LOADGEN_KINDS) {
			pr_err("--side: kind \"%s\" is none of echo, ns, canvas, canvas-rows,"
			       " board\n", val);
			return -EINVAL;
		}
		sp->kind = k;
	} else if (!strcmp(key, "mac")) {
		unsigned char *m = sp->dst_mac;

		if (sscanf(val, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &m[0], &m[1], &m[2],
			   &m[3], &m[4], &m[5], &tail) != 6) {
			pr_err("--side: mac \"%s\" is not a MAC address\n", val);
			return -EINVAL;
		}
	} else if (!strcmp(key, "canvas")) {
		if (sscanf(val, "%ux%u%c", &sp->canvas_width, &sp->canvas_height, &tail) != 2 ||
		    !sp->canvas_width || !sp->canvas_height ||
		    sp->canvas_width > THINGS_CANVAS_MAX_SIDE ||
		    sp->canvas_height > THINGS_CANVAS_MAX_SIDE) {
			pr_err("--side: canvas \"%s\" is not WxH, each side 1 to %u\n", val,
			       THINGS_CANVAS_MAX_SIDE);
			return -EINVAL;
		}
	} else if (!strcmp(key, "first-text")) {
		if (parse_number("--side first-text", val, ~0ULL, &v))
			return -EINVAL;
		sp->first_text = v;
	} else {
		pr_err("--side: unknown key \"%s\"\n", key);
		return -EINVAL;
	}
	return 0;
}

static int parse_side(struct side *s, const char *text)
{
	struct loadgen_gen_spec *sp = &s->spec;
	char *save = NULL, *kv, *buf;
	int err = 0;

	snprintf(s->text, sizeof(s->text), "%s", text);
	*sp = (struct loadgen_gen_spec){ .kind = LOADGEN_KINDS, .src = DEFAULT_SRC,
					 .canvas_width = DEFAULT_CANVAS_SIDE,
					 .canvas_height = DEFAULT_CANVAS_SIDE, .seed = 1 };
	/* The spec's strings point into this copy, freed with the side. */
	buf = s->strings = strdup(text);
	if (!buf)
		return -ENOMEM;
	for (kv = strtok_r(buf, ",", &save); kv && !err; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq) {
			pr_err("--side: \"%s\" is not key=value\n", kv);
			return -EINVAL;
		}
		*eq = '\0';
		err = side_key(sp, kv, eq + 1);
	}
	if (!err && (!sp->dev || !sp->prefix || sp->kind == LOADGEN_KINDS)) {
		pr_err("--side %s: needs dev=, kind= and prefix=\n", text);
		err = -EINVAL;
	}
	return err;
}

/* Returns 0, or 2 for a usage error (after saying what it is). */
static int parse_args(int argc, char **argv, struct pairs_opts *o)
{
	static const struct option longopts[] = {
		{ "side", required_argument, NULL, 's' },
		{ "idle-dev", required_argument, NULL, 'i' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "slice-ms", required_argument, NULL, 'l' },
		{ "drain-ms", required_argument, NULL, 'd' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "build", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long long v;
	int c, verbose = 0;

	*o = (struct pairs_opts){ .build = DEFAULT_BUILD, .rounds = DEFAULT_ROUNDS,
				  .slice_ms = DEFAULT_SLICE_MS, .drain_ms = DEFAULT_DRAIN_MS,
				  .cpu = -1 };
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (o->n_sides == SIDES) {
				pr_err("--side: two of them, no more\n");
				return 2;
			}
			if (parse_side(&o->side[o->n_sides++], optarg))
				return 2;
			break;
		case 'i':
			if (o->n_idle == SIDES) {
				pr_err("--idle-dev: two of them, no more\n");
				return 2;
			}
			o->idle_dev[o->n_idle++] = optarg;
			break;
		case 'r':
			if (parse_number("--rounds", optarg, 10000, &v) || !v)
				return 2;
			o->rounds = (unsigned int)v;
			break;
		case 'l':
			if (parse_number("--slice-ms", optarg, 60000, &v) || !v)
				return 2;
			o->slice_ms = (unsigned int)v;
			break;
		case 'd':
			if (parse_number("--drain-ms", optarg, 60000, &v))
				return 2;
			o->drain_ms = (unsigned int)v;
			break;
		case 'c':
			if (parse_number("--cpu", optarg, 4095, &v))
				return 2;
			o->cpu = (int)v;
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
	if (optind < argc || o->n_sides != SIDES || o->n_idle != SIDES) {
		pr_err("pairs needs two --side and two --idle-dev, and nothing else\n");
		usage(stderr);
		return 2;
	}
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_sides(struct pairs_opts *o)
{
	__u32 idle;
	int err;

	for (int i = 0; i < SIDES; i++) {
		struct side *s = &o->side[i];

		s->counter.fd = -1;
		s->idle_dev = o->idle_dev[i];
		if ((err = loadgen_gen_open(&s->gen, &s->spec, o->build)) ||
		    (err = loadgen_device(s->idle_dev, &idle, NULL)) ||
		    (err = loadgen_prog_attach(&s->gen.prog, s->idle_dev, idle)))
			return err;
		s->counted_by = s;
		for (int j = 0; j < i; j++)
			if (!strcmp(o->side[j].spec.dev, s->spec.dev))
				s->counted_by = &o->side[j];
		if (s->counted_by != s)
			continue;
		if ((err = loadgen_counter_open(&s->counter, o->build, s->spec.src)) ||
		    (err = loadgen_prog_attach(&s->counter, s->spec.dev, s->gen.ifindex)))
			return err;
	}
	return 0;
}

struct slice {
	double seconds;
	__u64 sent, seen;
};

/* One side as fast as it goes for the slice's time, then its late
 * replies, counted. */
static int run_slice(const struct pairs_opts *o, struct side *s, struct slice *out)
{
	double start, t;
	__u64 before, after;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = loadgen_read_replies(&s->counted_by->counter, s->gen.slot, &before)))
		return err;
	start = t = now_seconds();
	while (!stopping && t - start < o->slice_ms / 1000.0) {
		if ((err = loadgen_send_frames(&s->gen.prog, s->gen.frame, s->gen.len, CHUNK, 0)))
			return err;
		out->sent += CHUNK;
		t = now_seconds();
	}
	out->seconds = t - start;
	usleep(o->drain_ms * 1000);
	if ((err = loadgen_read_replies(&s->counted_by->counter, s->gen.slot, &after)))
		return err;
	out->seen = after - before;
	return 0;
}

static void print_slice(const char *name, const struct slice *s, const char *sep)
{
	printf("\"%s\": {\"seconds\": %.6f, \"sent\": %llu, \"seen\": %llu}%s", name, s->seconds,
	       (unsigned long long)s->sent, (unsigned long long)s->seen, sep);
}

int loadgen_pairs(int argc, char **argv)
{
	struct pairs_opts o;
	struct slice sl[SIDES];
	unsigned int r;
	int err;

	err = parse_args(argc, argv, &o);
	if (err)
		goto cleanup;
	if ((err = loadgen_pin_cpu(o.cpu)))
		goto cleanup;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if ((err = open_sides(&o)))
		goto cleanup;

	printf("{\"rounds\": %u, \"slice_ms\": %u, \"drain_ms\": %u, \"sides\": [", o.rounds,
	       o.slice_ms, o.drain_ms);
	for (int i = 0; i < SIDES; i++)
		printf("{\"spec\": \"%s\", \"kind\": \"%s\"}%s", o.side[i].text,
		       loadgen_kind_names[o.side[i].spec.kind], i + 1 < SIDES ? ", " : "");
	printf("],\n \"pairs\": [");
	for (r = 0; r < o.rounds && !stopping; r++) {
		/* A, B in even rounds, B, A in odd ones: neither side always
		 * runs right after the other. */
		int first = r % 2;

		if ((err = run_slice(&o, &o.side[first], &sl[first])) ||
		    (err = run_slice(&o, &o.side[!first], &sl[!first])))
			break;
		printf("%s\n  {\"first\": \"%s\", ", r ? "," : "", first ? "b" : "a");
		print_slice("a", &sl[0], ", ");
		print_slice("b", &sl[1], "}");
		fflush(stdout);
	}
	printf("],\n \"text_next\": [");
	for (int i = 0; i < SIDES; i++) {
		struct loadgen_gen *g = &o.side[i].gen;

		if (!err && !loadgen_prog_read_data(&g->prog, ".bss", &g->state, sizeof(g->state)))
			printf("%llu", (unsigned long long)g->state.text_next);
		else
			printf("null");
		printf("%s", i + 1 < SIDES ? ", " : "");
	}
	printf("],\n \"interrupted\": %s}\n", stopping ? "true" : "false");
	fflush(stdout);
cleanup:
	for (int i = 0; i < SIDES; i++) {
		loadgen_prog_close(&o.side[i].gen.prog);
		loadgen_prog_close(&o.side[i].counter);
		free(o.side[i].strings);
	}
	return err == 2 ? 2 : err ? 1 : 0;
}
