// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* things-ping: text, colours and images into addresses, and pings them.
 * Options and dispatch. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "things-ping.h"

enum { OPT_HOP_LIMIT = 256, OPT_SIZE, OPT_SPLIT };

enum mode { BOARD = 1 << 0, TREE = 1 << 1, CANVAS = 1 << 2, ALL = BOARD | TREE | CANVAS };

/* One table gives getopt its options, the help its lines and each option
 * the commands it belongs to. */
static const struct opt {
	const char *name;
	int key;		/* the short option, or an OPT_* code */
	const char *arg;	/* NULL: a switch */
	unsigned int modes;	/* the commands it means something to */
	bool sends;		/* meaningless with --print */
	const char *help;
} opts[] = {
	{ "print", 'p', NULL, ALL, false, "print the addresses, one a line; send nothing" },
	{ "quiet", 'q', NULL, ALL, false, "no summary and no warnings" },
	{ "count", 'c', "N", ALL, false, "everything N times over (default 1)" },
	{ "split", OPT_SPLIT, NULL, BOARD, false,
	  "text longer than 8 bytes: send it as 8-byte messages, in order" },
	{ "at", 'a', "X,Y", CANVAS, false, "where the image's top left pixel goes (0,0)" },
	{ "size", OPT_SIZE, "WxH", CANVAS, false,
	  "the canvas's size: refuse an image that does not fit in it" },
	{ "rate", 'r', "PPS", ALL, true, "at most PPS requests a second (default: no limit)" },
	{ "wait", 'w', "SEC", ALL, true, "then wait up to SEC seconds, counting echo replies" },
	{ "interface", 'I', "IFNAME", ALL, true, "send through this interface" },
	{ "source", 'S', "ADDR", ALL, true, "send from this address of the host" },
	{ "hop-limit", OPT_HOP_LIMIT, "N", ALL, true, "the requests' hop limit (1 to 255)" },
	{ "help", 'h', NULL, ALL, false, "this text" },
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static const struct command {
	const char *name;
	enum mode mode;
	const char *args;
	const char *help;
} commands[] = {
	{ "board", BOARD, "PREFIX TEXT", "post TEXT (1 to 8 printable ASCII bytes) on a board" },
	{ "tree", TREE, "PREFIX COLOUR", "light a tree: #rrggbb, rrggbb or a colour's name" },
	{ "canvas", CANVAS, "PREFIX IMAGE.png", "paint a PNG image on a canvas, a ping a pixel" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

struct options {
	bool print, help, quiet, split;
	unsigned int count;
	struct canvas_opts canvas;
	struct send_opts send;
	bool given[N_OPTS];
};

static void usage(FILE *out)
{
	fputs("Usage: things-ping [OPTIONS] COMMAND PREFIX ARG\n\n"
	      "Turns text, a colour or an image into IPv6 addresses of an IPv6 Things\n"
	      "app and sends an ICMPv6 echo request to each (needs root or CAP_NET_RAW,\n"
	      "but no daemon).\n\nCommands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-6s %-17s  %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fputs("\nOptions:\n", out);
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt *g = &opts[i];
		char flag[40];

		snprintf(flag, sizeof(flag), "%c%c%s--%s%s%s", g->key < 256 ? '-' : ' ',
			 g->key < 256 ? g->key : ' ', g->key < 256 ? ", " : "  ", g->name,
			 g->arg ? " " : "", g->arg ? g->arg : "");
		fprintf(out, "  %-22s  %s%s\n", flag, g->help,
			g->modes == CANVAS ? " [canvas]" : g->modes == BOARD ? " [board]" : "");
	}
	fputs("\nPREFIX: a /64 or shorter for board and canvas, an /80 or shorter for tree.\n"
	      "Exit status: 0 ok, 1 failure, 2 usage error.\n", out);
}

static void build_getopt(struct option *longs, char *shorts)
{
	/* A leading ':' tells a missing argument apart from an unknown option. */
	*shorts++ = ':';
	for (size_t i = 0; i < N_OPTS; i++) {
		longs[i] = (struct option){ opts[i].name,
					    opts[i].arg ? required_argument : no_argument, NULL,
					    opts[i].key };
		if (opts[i].key < 256) {
			*shorts++ = (char)opts[i].key;
			if (opts[i].arg)
				*shorts++ = ':';
		}
	}
	longs[N_OPTS] = (struct option){ 0 };
	*shorts = '\0';
}

static int parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "A<sep>B", each from min to max. */
static int parse_pair(const char *text, char sep, uint64_t min, uint64_t max, uint32_t *a,
		      uint32_t *b)
{
	const char *mid = strchr(text, sep);
	char first[24];
	uint64_t x, y;

	if (!mid || (size_t)(mid - text) >= sizeof(first))
		return -1;
	memcpy(first, text, (size_t)(mid - text));
	first[mid - text] = '\0';
	if (parse_u64(first, min, max, &x) || parse_u64(mid + 1, min, max, &y))
		return -1;
	*a = (uint32_t)x;
	*b = (uint32_t)y;
	return 0;
}

static int parse_seconds(const char *text, double *out)
{
	char *end;
	double v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	v = strtod(text, &end);
	if (*end || !(v > 0 && v <= 3600))
		return -1;
	*out = v;
	return 0;
}

static int bad_value(const char *opt, const char *arg, const char *want)
{
	char q[QUOTE_MAX];

	return usage_error("--%s wants %s, not '%s'", opt, want, quote(arg, q, sizeof(q)));
}

/* Returns 0 or EXIT_USAGE after saying why. */
static int set_option(struct options *o, const struct opt *g, const char *arg)
{
	struct in6_addr addr;
	uint64_t v;

	switch (g->key) {
	case 'p':
		o->print = true;
		return 0;
	case 'q':
		o->quiet = o->send.quiet = true;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	case OPT_SPLIT:
		o->split = true;
		return 0;
	case 'c':
		if (parse_u64(arg, 1, 1000000, &v))
			return bad_value(g->name, arg, "a whole number from 1 to 1000000");
		o->count = o->send.rounds = (unsigned int)v;
		return 0;
	case 'a':
		if (parse_pair(arg, ',', 0, 65535, &o->canvas.at_x, &o->canvas.at_y))
			return bad_value(g->name, arg, "X,Y, each from 0 to 65535");
		return 0;
	case OPT_SIZE:
		if (parse_pair(arg, 'x', 1, 65536, &o->canvas.width, &o->canvas.height))
			return bad_value(g->name, arg, "WxH, each from 1 to 65536");
		return 0;
	case 'r':
		if (parse_u64(arg, 1, 100000000, &v))
			return bad_value(g->name, arg, "requests a second, from 1 to 100000000");
		o->send.rate = v;
		return 0;
	case 'w':
		if (parse_seconds(arg, &o->send.wait))
			return bad_value(g->name, arg, "seconds, more than 0 and at most 3600");
		return 0;
	case 'I':
		if (!*arg || strlen(arg) >= IFNAMSIZ)
			return bad_value(g->name, arg, "an interface name");
		o->send.ifname = arg;
		return 0;
	case 'S':
		if (inet_pton(AF_INET6, arg, &addr) != 1)
			return bad_value(g->name, arg, "an IPv6 address");
		o->send.source = arg;
		return 0;
	case OPT_HOP_LIMIT:
		if (parse_u64(arg, 1, 255, &v))
			return bad_value(g->name, arg, "a number from 1 to 255");
		o->send.hop_limit = (int)v;
		return 0;
	}
	return usage_error("option --%s is not handled", g->name);
}

/* Options may come anywhere on the line (getopt permutes); a TEXT that
 * starts with '-' goes after "--". */
static int parse_options(int argc, char **argv, struct options *o)
{
	struct option longs[N_OPTS + 1];
	char shorts[2 * N_OPTS + 2], bad[3] = "-?";
	int key, ret;

	build_getopt(longs, shorts);
	opterr = 0;
	while ((key = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		size_t i;

		if (key == ':')
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		for (i = 0; i < N_OPTS && opts[i].key != key; i++)
			;
		if (i == N_OPTS) {
			/* optopt names a bad short option; a bad long one is the word itself */
			char q[QUOTE_MAX];

			bad[1] = (char)optopt;
			return usage_error("unknown option '%s'",
					   optopt ? quote(bad, q, sizeof(q)) :
					   quote(argv[optind - 1], q, sizeof(q)));
		}
		o->given[i] = true;
		ret = set_option(o, &opts[i], optarg);
		if (ret)
			return ret;
	}
	return 0;
}

/* Options that mean nothing for this command are an error, not ignored:
 * `--at` on a board is a mistake worth hearing about. */
static int check_options(const struct options *o, const struct command *c)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		if (!o->given[i])
			continue;
		if (!(opts[i].modes & c->mode))
			return usage_error("--%s is not for %s", opts[i].name, c->name);
		if (o->print && opts[i].sends)
			return usage_error("--%s is for sending, and --print sends nothing",
					   opts[i].name);
	}
	return 0;
}

static int run(const struct options *o, const struct command *c, char **args)
{
	struct board_opts bo = { .split = o->split, .rounds = o->count, .quiet = o->quiet };
	struct targets *t = NULL;
	int ret;

	switch (c->mode) {
	case BOARD:
		ret = board_targets(args[0], args[1], &bo, &t);
		break;
	case TREE:
		ret = tree_targets(args[0], args[1], &t);
		break;
	default:
		ret = canvas_targets(args[0], args[1], &o->canvas, &t);
		break;
	}
	if (ret)
		return ret;
	/* the payload carries a request's index in 32 bits */
	if ((uint64_t)t->count * o->count > UINT32_MAX)
		ret = usage_error("%zu addresses %u times is more than %u echo requests", t->count,
				  o->count, UINT32_MAX);
	else if (o->print)
		ret = print_targets(t, o->count);
	else
		ret = send_targets(t, &o->send);
	t->destroy(t);
	return ret;
}

int main(int argc, char **argv)
{
	struct options o = { .count = 1, .send = { .rounds = 1 } };
	const struct command *c = NULL;
	char q[QUOTE_MAX];
	int ret;

	ret = parse_options(argc, argv, &o);
	if (ret)
		return ret;
	if (o.help) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	argc -= optind;
	argv += optind;
	if (!argc)
		return usage_error("no command given: board, tree or canvas");
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[0], commands[i].name))
			c = &commands[i];
	if (!c)
		return usage_error("unknown command '%s': board, tree or canvas",
				   quote(argv[0], q, sizeof(q)));
	if (argc != 3)
		return usage_error("%s wants %s, %s", c->name, c->args,
				   argc < 3 ? "missing some" : "with nothing after it");
	ret = check_options(&o, c);
	return ret ? ret : run(&o, c, argv + 1);
}
