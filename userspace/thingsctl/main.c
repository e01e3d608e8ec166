// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* thingsctl: the command line of IPv6 Things. Options and dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "text.h"
#include "thingsctl.h"

#define DEFAULT_TIMEOUT 10
#define STR_(x) #x
#define STR(x) STR_(x)

enum { OPT_RUN_DIR = 256, OPT_PIN_DIR, OPT_TIMEOUT, OPT_COUNT, OPT_FD };

/* One table gives getopt its options and the help its lines. */
static const struct global_opt {
	const char *name;
	int key;		/* the short option, or an OPT_* code */
	const char *arg;	/* NULL: a switch */
	const char *help;
} global_opts[] = {
	{ "json", 'j', NULL, "print JSON instead of tables" },
	{ "pretty", 'p', NULL, "indent the JSON" },
	{ "verbose", 'v', NULL, "show zero counters too; more diagnostics" },
	{ "run-dir", OPT_RUN_DIR, "DIR", "where thingsd's socket is (" THINGS_DEFAULT_RUN_DIR ")" },
	{ "pin-dir", OPT_PIN_DIR, "DIR",
	  "the pinned maps, read when thingsd is down (" THINGS_PIN_DIR ")" },
	{ "timeout", OPT_TIMEOUT, "SEC",
	  "how long to wait for thingsd's answer (" STR(DEFAULT_TIMEOUT) ")" },
	{ "count", OPT_COUNT, "N", "board follow: stop after N new messages" },
	{ "fd", OPT_FD, "N", "tcp register: the listening socket's descriptor (3)" },
	{ "help", 'h', NULL, "this text" },
};
#define N_GLOBAL_OPTS (sizeof(global_opts) / sizeof(global_opts[0]))

static const struct command {
	const char *group;
	const char *sub;	/* NULL: the group is the whole command */
	bool is_default;	/* what the group alone runs */
	const char *args;
	const char *help;
	/* one of the two, or neither for help */
	const struct query *query;
	int (*run)(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
} commands[] = {
	{ "status", NULL, false, "", "daemon, pins, interfaces and app count",
	  .query = &query_status },
	{ "app", "list", true, "", "every app: kind, prefix, flags, interface, origin",
	  .query = &query_app_list },
	{ "app", "show", false, "NAME", "one app with its per-action counters",
	  .query = &query_app_show },
	{ "app", "add", false, "NAME kind KIND prefix PREFIX [onlink IFNAME] [silent [yes|no]] "
	  "[router] [allow_wide] [rate N [burst N] [rate_prefix LEN]] [lines N] [lights N] "
	  "[width N height N] [ports PORTS target TARGET [from PREFIX] [exec COMMAND] [user U] "
	  "[group G] [max_children N] [timeout S] [max_connections N] [connect_timeout S] "
	  "[idle_timeout S] [proxy_protocol v1|v2|none]]",
	  "add an app at run time (kept across restarts; needs root)", .run = cmd_app_add },
	{ "app", "del", false, "NAME", "remove an app", .run = cmd_app_del },
	{ "iface", "list", true, "", "interfaces in the data plane's map",
	  .query = &query_iface_list },
	{ "stats", NULL, false, "", "where every packet went: per reason, per app and action",
	  .query = &query_stats },
	{ "reload", NULL, false, "", "make thingsd re-read its config (as SIGHUP does)",
	  .run = cmd_reload },
	{ "board", "show", false, "NAME", "a board's messages, newest first",
	  .run = cmd_board_show },
	{ "board", "follow", false, "NAME [--count N]",
	  "the last messages, then new ones as they come", .run = cmd_board_follow },
	{ "tree", "show", false, "NAME", "a tree's lights, in order", .run = cmd_tree_show },
	{ "canvas", "export", false, "NAME FILE",
	  "the canvas as a PNG (FILE '-': standard output)", .run = cmd_canvas_export },
	{ "canvas", "clear", false, "NAME", "paint the canvas black (needs root)",
	  .run = cmd_canvas_clear },
	{ "trace", "show", false, "NAME", "a trace app's stories, hop by hop",
	  .run = cmd_trace_show },
	{ "trace", "zone", false, "NAME [ns HOST] [mbox MAILBOX] [ttl SEC] [serial N] [tinydns]",
	  "the reverse zone (ip6.arpa PTRs) of its hop addresses", .run = cmd_trace_zone },
	{ "tcp", "list", true, "", "tcp apps: rule, target, whether a socket is steered to",
	  .query = &query_tcp_list },
	{ "tcp", "stats", false, "", "tcp apps: connections accepted, passed, refused, failed, active, timed out; bytes",
	  .query = &query_tcp_stats },
	{ "tcp", "register", false, "NAME [--fd N]",
	  "steer app NAME's connections to the listening socket this command got as "
	  "descriptor 3 (or N); needs root", .run = cmd_tcp_register },
	{ "help", NULL, false, "", "this text", .run = NULL },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Messages may quote the daemon, the pins or the command line: escaped. */
static void vreport(const char *fmt, va_list ap)
{
	char msg[1024], safe[4 * sizeof(msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	things_escape(safe, sizeof(safe), msg);
	fprintf(stderr, "thingsctl: %s\n", safe);
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	return EXIT_FAILURE;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	fputs("Try 'thingsctl help'.\n", stderr);
	return EXIT_USAGE;
}

static void usage(FILE *out)
{
	fputs("Usage: thingsctl [OPTIONS] COMMAND ...\n\n"
	      "Shows and changes what thingsd serves. Read-only commands ask thingsd, or\n"
	      "read the pinned maps when it is not running.\n\nCommands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];
		char words[400];

		snprintf(words, sizeof(words), "%s%s%s%s%s", c->group, c->sub ? " " : "",
			 c->sub ? c->sub : "", *c->args ? " " : "", c->args);
		if (strlen(words) > 24)
			fprintf(out, "  %s\n  %-24s  %s\n", words, "", c->help);
		else
			fprintf(out, "  %-24s  %s\n", words, c->help);
	}
	fputs("\nOptions:\n", out);
	for (size_t i = 0; i < N_GLOBAL_OPTS; i++) {
		const struct global_opt *g = &global_opts[i];
		char flag[64];

		snprintf(flag, sizeof(flag), "%c%c%s--%s%s%s", g->key < 256 ? '-' : ' ',
			 g->key < 256 ? g->key : ' ', g->key < 256 ? ", " : "  ", g->name,
			 g->arg ? " " : "", g->arg ? g->arg : "");
		fprintf(out, "  %-20s  %s\n", flag, g->help);
	}
	fputs("\nExit status: 0 ok, 1 failure, 2 usage error.\n", out);
}

/* getopt's tables, from global_opts. */
static void build_getopt(struct option *longs, char *shorts)
{
	/* A leading ':' tells a missing argument apart from an unknown option. */
	*shorts++ = ':';
	for (size_t i = 0; i < N_GLOBAL_OPTS; i++) {
		const struct global_opt *g = &global_opts[i];

		longs[i] = (struct option){ g->name, g->arg ? required_argument : no_argument, NULL,
					    g->key };
		if (g->key < 256) {
			*shorts++ = (char)g->key;
			if (g->arg)
				*shorts++ = ':';
		}
	}
	longs[N_GLOBAL_OPTS] = (struct option){ 0 };
	*shorts = '\0';
}

static int parse_timeout(const char *text, int *out)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end || v < 1 || v > 3600)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_count(const char *text, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || *end || v < 1 || errno)
		return -1;
	*out = v;
	return 0;
}

/* Options may come anywhere on the line (getopt permutes), as `thingsctl
 * stats -j` is as natural to type as `thingsctl -j stats`. */
static int parse_options(int argc, char **argv, struct ctl_opts *o, bool *help)
{
	struct option longs[N_GLOBAL_OPTS + 1];
	char shorts[2 * N_GLOBAL_OPTS + 2];
	char bad[3] = "-?";
	int opt;

	build_getopt(longs, shorts);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o->json = true;
			break;
		case 'p':
			o->pretty = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			*help = true;
			break;
		case OPT_RUN_DIR:
			o->run_dir = optarg;
			break;
		case OPT_PIN_DIR:
			o->pin_dir = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &o->timeout))
				return usage_error("--timeout wants whole seconds from 1 to 3600, not '%s'",
						   optarg);
			break;
		case OPT_COUNT:
			if (parse_count(optarg, &o->count))
				return usage_error("--count wants a number of messages from 1 up, not '%s'",
						   optarg);
			break;
		case OPT_FD: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 0 || v > 1 << 20)
				return usage_error("--fd wants a descriptor number, not '%s'", optarg);
			o->fd = (int)v;
			break;
		}
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			/* optopt names a bad short option; a bad long one is the word itself */
			bad[1] = (char)optopt;
			return usage_error("unknown option '%s'", optopt ? bad : argv[optind - 1]);
		}
	}
	return 0;
}

static const struct command *find_command(int argc, char **argv, int *words)
{
	bool group_known = false;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		if (strcmp(argv[0], c->group))
			continue;
		group_known = true;
		if (!c->sub) {
			*words = 1;
			return c;
		}
		if (argc < 2 && c->is_default) {
			*words = 1;
			return c;
		}
		if (argc >= 2 && !strcmp(argv[1], c->sub)) {
			*words = 2;
			return c;
		}
	}
	if (!group_known)
		usage_error("unknown command '%s'", argv[0]);
	else
		usage_error("unknown %s command '%s'", argv[0], argc >= 2 ? argv[1] : "");
	return NULL;
}

int main(int argc, char **argv)
{
	struct ctl_opts o = {
		.run_dir = THINGS_DEFAULT_RUN_DIR,
		.pin_dir = THINGS_PIN_DIR,
		.timeout = DEFAULT_TIMEOUT,
		.fd = -1,
	};
	const struct command *c;
	bool help = false;
	char cmd[64];
	int ret, words;

	ret = parse_options(argc, argv, &o, &help);
	if (ret)
		return ret;
	things_log_set_ident("thingsctl");
	things_log_set_level(o.verbose > 1 ? THINGS_LOG_DEBUG : THINGS_LOG_WARN);
	things_log_libbpf();

	argc -= optind;
	argv += optind;
	if (help) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (!argc)
		return usage_error("no command given");
	c = find_command(argc, argv, &words);
	if (!c)
		return EXIT_USAGE;
	snprintf(cmd, sizeof(cmd), "%s%s%s", c->group, c->sub ? " " : "", c->sub ? c->sub : "");
	if (c->query)
		return cmd_query(&o, cmd, c->query, argc - words, argv + words);
	if (c->run)
		return c->run(&o, cmd, argc - words, argv + words);
	usage(stdout);
	return EXIT_SUCCESS;
}
