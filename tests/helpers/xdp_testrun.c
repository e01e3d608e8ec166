// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp-testrun: feeds hex packets from stdin through an XDP program with
 * BPF_PROG_TEST_RUN and prints each verdict and output frame, so tests in
 * any language can judge the program's packets with their own parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "maps.h"
#include "names.h"
#include "prefix.h"
#include "xdp_testrun.h"

#define DEFAULT_OBJ	"build/things.bpf.o"
#define DEFAULT_PROG	"things_xdp"

/* Far more than test_run accepts for one non-fragmented frame (a page), so
 * a program that grows its packet is never cut short by us. */
#define DATA_OUT_MAX	65536

struct prefix_entry {
	struct things_prefix_key key;
	struct things_prefix_value val;
};

struct iface_entry {
	__u32 ifindex;
	unsigned char mac[6];
};

/* --app: the same as what --json watches. */
#define app_entry jwatch_app

struct story_entry {
	struct things_prefix_key dest;
	struct things_story story;
};

struct line_entry {
	struct things_story_line_key key;
	struct things_story_line line;
};

struct options {
	const char *obj_path;
	const char *prog_name;
	struct prefix_entry *prefixes;
	size_t n_prefixes;
	struct iface_entry *ifaces;
	size_t n_ifaces;
	struct app_entry *apps;
	size_t n_apps;
	struct story_entry *stories;
	size_t n_stories;
	struct line_entry *lines;
	size_t n_lines;
	__u32 ingress_ifindex;
	int stats;
	int stats_each;
	int fast;
	int json;
};

static const char *const verdict_names[] = {
	[XDP_ABORTED] = "XDP_ABORTED",
	[XDP_DROP] = "XDP_DROP",
	[XDP_PASS] = "XDP_PASS",
	[XDP_TX] = "XDP_TX",
	[XDP_REDIRECT] = "XDP_REDIRECT",
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xdp-testrun [--obj FILE] [--prog NAME]\n"
		"                   [--prefix PREFIX,app=ID,kind=KIND[,onlink][,silent][,router]]...\n"
		"                   [--iface IFINDEX,MAC]... [--app ID,SETTING=N...]...\n"
		"                   [--story DEST,app=ID,story=N,hops=N[,bits=N]]...\n"
		"                   [--line APP,STORY,SLOT,ADDR[,NAME]]...\n"
		"                   [--ifindex N] [--fast] [--stats]\n"
		"                   [--stats-each] [--json]\n"
		"                   [-v] [-h]\n"
		"\n"
		"Runs each packet read from stdin (one per line, in hex) through the XDP\n"
		"program with BPF_PROG_TEST_RUN and prints \"VERDICT HEX\" per packet.\n"
		"\n"
		"  --obj FILE      BPF object (default " DEFAULT_OBJ ")\n"
		"  --prog NAME     XDP program in it (default " DEFAULT_PROG ")\n"
		"  --prefix SPEC   add an entry to the prefixes map\n"
		"  --iface SPEC    add an interface with its MAC to the ifaces map\n"
		"  --story SPEC    DEST,app=ID,story=N,hops=N[,bits=N]: a trace story\n"
		"  --line SPEC     APP,STORY,SLOT,ADDR[,NAME]: one of its line slots\n"
		"  --app SPEC      set an app's app_cfg: lines, lights, width, height, rate,\n"
		"                  burst, rate_prefix; a width and height also give it a\n"
		"                  canvas framebuffer of that size, as thingsd does\n"
		"  --ifindex N     ingress interface of every packet (default 1, lo)\n"
		"  --fast          also put the prefixes in the fast table, as thingsd does\n"
		"                  when they fit (an error if they do not)\n"
		"  --stats         after EOF, print the non-zero counters:\n"
		"                  \"reason NAME PACKETS\", \"app ID ACTION PACKETS\"\n"
		"  --stats-each    end each packet's line with the counters it moved:\n"
		"                  \" reason=NAME:PACKETS\", \" app=ID:ACTION:PACKETS\"\n"
		"  --json          one JSON line per packet instead: verdict, output frame,\n"
		"                  the counters it moved and every change to the state of\n"
		"                  the --app apps; a frame the kernel refuses gets an\n"
		"                  \"error\" line; a last line with their whole state\n"
		"  -v              more log output (twice for libbpf debug)\n"
		"  -h, --help      this text\n");
}

static int parse_u32(const char *text, __u32 *out)
{
	unsigned long v;
	char *end;

	if (!*text || *text == '-' || *text == '+')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (__u32)v;
	return 0;
}

static int hex_nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly xx:xx:xx:xx:xx:xx; sscanf would also take "2:0:..." or spaces,
 * which hides typos in test tables. */
static int parse_mac(const char *text, unsigned char mac[6])
{
	if (strlen(text) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *t = text + 3 * i;
		int hi = hex_nibble(t[0]), lo = hex_nibble(t[1]);

		if (hi < 0 || lo < 0 || (i < 5 && t[2] != ':'))
			return -1;
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* PREFIX,app=ID,kind=KIND[,onlink][,silent][,router] */
static int parse_prefix_spec(const char *spec, struct prefix_entry *e)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int have_app = 0, have_kind = 0, err = -1;
	const char *why;

	if (!copy) {
		pr_err("out of memory\n");
		return -1;
	}
	memset(e, 0, sizeof(*e));
	tok = strtok_r(copy, ",", &save);
	if (!tok || things_prefix_parse(tok, &e->key, 0, &why)) {
		pr_err("--prefix %s: %s\n", spec, tok ? why : "no prefix");
		goto cleanup;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "app=", 4)) {
			/* Any __u32 is accepted: the program must cope with
			 * whatever a buggy writer leaves in the map. */
			if (parse_u32(tok + 4, &e->val.app_id)) {
				pr_err("--prefix %s: app must be a number\n", spec);
				goto cleanup;
			}
			have_app = 1;
		} else if (!strncmp(tok, "kind=", 5)) {
			int kind = things_kind_parse(tok + 5);

			if (kind < 0) {
				pr_err("--prefix %s: unknown kind '%s'\n", spec, tok + 5);
				goto cleanup;
			}
			e->val.kind = (__u16)kind;
			have_kind = 1;
		} else if (!strcmp(tok, "onlink")) {
			e->val.flags |= THINGS_PF_ONLINK;
		} else if (!strcmp(tok, "silent")) {
			e->val.flags |= THINGS_PF_SILENT;
		} else if (!strcmp(tok, "router")) {
			e->val.flags |= THINGS_PF_ROUTER;
		} else {
			pr_err("--prefix %s: unknown field '%s'\n", spec, tok);
			goto cleanup;
		}
	}
	if (!have_app || !have_kind) {
		pr_err("--prefix %s: app= and kind= are required\n", spec);
		goto cleanup;
	}
	err = 0;
cleanup:
	free(copy);
	return err;
}

/* IFINDEX,MAC */
static int parse_iface_spec(const char *spec, struct iface_entry *e)
{
	const char *comma = strchr(spec, ',');
	char num[16];
	size_t len;

	len = comma ? (size_t)(comma - spec) : 0;
	if (!comma || len == 0 || len >= sizeof(num)) {
		pr_err("--iface %s: expected IFINDEX,MAC\n", spec);
		return -1;
	}
	memcpy(num, spec, len);
	num[len] = '\0';
	if (parse_u32(num, &e->ifindex) || e->ifindex == 0) {
		pr_err("--iface %s: bad interface index '%s'\n", spec, num);
		return -1;
	}
	if (parse_mac(comma + 1, e->mac)) {
		pr_err("--iface %s: bad MAC '%s'\n", spec, comma + 1);
		return -1;
	}
	return 0;
}

/* The app_cfg fields --app sets, by name. */
static const struct {
	const char *name;
	size_t off, size;
} app_settings[] = {
#define APP_SETTING(field) { #field, offsetof(struct things_app_cfg, field), \
			     sizeof(((struct things_app_cfg *)0)->field) }
	APP_SETTING(lines), APP_SETTING(lights), APP_SETTING(width), APP_SETTING(height),
	APP_SETTING(rate), APP_SETTING(burst), APP_SETTING(rate_prefix),
#undef APP_SETTING
};

/* Sets the setting `tok` (NAME=N) names; -1 if there is no such setting
 * or N does not fit it. */
static int app_setting(struct things_app_cfg *cfg, const char *tok)
{
	const char *eq = strchr(tok, '=');
	unsigned char *field;
	size_t i, n = sizeof(app_settings) / sizeof(app_settings[0]);
	__u32 v;

	for (i = 0; eq && i < n; i++)
		if (strlen(app_settings[i].name) == (size_t)(eq - tok) &&
		    !strncmp(tok, app_settings[i].name, (size_t)(eq - tok)))
			break;
	if (!eq || i == n || parse_u32(eq + 1, &v) ||
	    (app_settings[i].size < 4 && v >> (8 * app_settings[i].size)))
		return -1;
	field = (unsigned char *)cfg + app_settings[i].off;
	if (app_settings[i].size == 1)
		*field = (__u8)v;
	else if (app_settings[i].size == 2)
		*(__u16 *)field = (__u16)v;
	else
		*(__u32 *)field = v;
	return 0;
}

/* ID,SETTING=N[,SETTING=N]... */
static int parse_app_spec(const char *spec, struct app_entry *e)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int err = -1;

	if (!copy) {
		pr_err("out of memory\n");
		return -1;
	}
	memset(e, 0, sizeof(*e));
	tok = strtok_r(copy, ",", &save);
	if (!tok || parse_u32(tok, &e->app_id) || e->app_id >= THINGS_MAX_APPS) {
		pr_err("--app %s: the app id must be a number below %d\n", spec, THINGS_MAX_APPS);
		goto cleanup;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (app_setting(&e->cfg, tok)) {
			pr_err("--app %s: '%s' is not SETTING=N with a setting and a value"
			       " it holds\n", spec, tok);
			goto cleanup;
		}
	}
	err = 0;
cleanup:
	free(copy);
	return err;
}

/* DEST,app=ID,story=N,hops=N[,bits=N] */
static int parse_story_spec(const char *spec, struct story_entry *e)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	const char *why;
	int err = -1;

	if (!copy)
		return -1;
	memset(e, 0, sizeof(*e));
	tok = strtok_r(copy, ",", &save);
	if (!tok || things_prefix_parse(tok, &e->dest, 0, &why)) {
		pr_err("--story %s: %s\n", spec, tok ? why : "no destination");
		goto out;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		static const char *const keys[] = { "app=", "story=", "hops=", "bits=" };
		__u32 v, max[] = { THINGS_MAX_APPS - 1, 0xffff, 0xff, 0xff };
		size_t k;

		for (k = 0; k < 4 && strncmp(tok, keys[k], strlen(keys[k])); k++)
			;
		if (k == 4 || parse_u32(tok + strlen(keys[k]), &v) || v > max[k]) {
			pr_err("--story %s: bad field '%s'\n", spec, tok);
			goto out;
		}
		if (k == 0)
			e->story.app_id = v;
		else if (k == 1)
			e->story.story = (__u16)v;
		else if (k == 2)
			e->story.hops = (__u8)v;
		else
			e->story.bits = (__u8)v;
	}
	err = 0;
out:
	free(copy);
	return err;
}

/* APP,STORY,SLOT,ADDR[,NAME] */
static int parse_line_spec(const char *spec, struct line_entry *e)
{
	char *copy = strdup(spec), *save = NULL, *f[5] = { 0 };
	__u32 app, story, slot;
	int n = 0, err = -1;

	if (!copy)
		return -1;
	memset(e, 0, sizeof(*e));
	for (char *tok = strtok_r(copy, ",", &save); tok && n < 5; tok = strtok_r(NULL, ",", &save))
		f[n++] = tok;
	if (n < 4 || parse_u32(f[0], &app) || parse_u32(f[1], &story) || parse_u32(f[2], &slot) ||
	    story > 0xffff || slot > 0xffff || inet_pton(AF_INET6, f[3], e->line.addr) != 1) {
		pr_err("--line %s: expected APP,STORY,SLOT,ADDR[,NAME]\n", spec);
		goto out;
	}
	e->key = (struct things_story_line_key){ .app_id = app, .story = (__u16)story,
						 .slot = (__u16)slot };
	snprintf(e->line.name, sizeof(e->line.name), "%s", f[4] ? f[4] : "");
	err = 0;
out:
	free(copy);
	return err;
}

static int append(void **array, size_t *n, size_t size, const void *elem)
{
	void *grown = realloc(*array, (*n + 1) * size);

	if (!grown) {
		pr_err("out of memory\n");
		return -1;
	}
	memcpy((char *)grown + *n * size, elem, size);
	*array = grown;
	(*n)++;
	return 0;
}

/* Returns 0, 1 to exit successfully (help), or 2 for a usage error. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "obj", required_argument, NULL, 'o' },
		{ "prog", required_argument, NULL, 'p' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "iface", required_argument, NULL, 'I' },
		{ "app", required_argument, NULL, 'A' },
		{ "story", required_argument, NULL, 'T' },
		{ "line", required_argument, NULL, 'L' },
		{ "ifindex", required_argument, NULL, 'i' },
		{ "fast", no_argument, NULL, 'f' },
		{ "stats", no_argument, NULL, 's' },
		{ "stats-each", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int verbosity = THINGS_LOG_WARN;
	struct prefix_entry pe;
	struct iface_entry ie;
	struct app_entry ae;
	struct story_entry se;
	struct line_entry le;
	int c;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->obj_path = optarg;
			break;
		case 'p':
			o->prog_name = optarg;
			break;
		case 'P':
			if (parse_prefix_spec(optarg, &pe) ||
			    append((void **)&o->prefixes, &o->n_prefixes, sizeof(pe), &pe))
				return 2;
			break;
		case 'I':
			if (parse_iface_spec(optarg, &ie) ||
			    append((void **)&o->ifaces, &o->n_ifaces, sizeof(ie), &ie))
				return 2;
			break;
		case 'A':
			if (parse_app_spec(optarg, &ae) ||
			    append((void **)&o->apps, &o->n_apps, sizeof(ae), &ae))
				return 2;
			break;
		case 'T':
			if (parse_story_spec(optarg, &se) ||
			    append((void **)&o->stories, &o->n_stories, sizeof(se), &se))
				return -1;
			break;
		case 'L':
			if (parse_line_spec(optarg, &le) ||
			    append((void **)&o->lines, &o->n_lines, sizeof(le), &le))
				return -1;
			break;
		case 'i':
			if (parse_u32(optarg, &o->ingress_ifindex) || !o->ingress_ifindex) {
				pr_err("--ifindex %s: not an interface index\n", optarg);
				return 2;
			}
			break;
		case 'f':
			o->fast = 1;
			break;
		case 's':
			o->stats = 1;
			break;
		case 'S':
			o->stats_each = 1;
			break;
		case 'J':
			o->json = 1;
			break;
		case 'v':
			/* One past debug lets libbpf's own debug output through. */
			if (verbosity <= THINGS_LOG_DEBUG)
				verbosity++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		pr_err("unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	things_log_set_level((enum things_log_level)verbosity);
	return 0;
}

/* Decodes a line of hex in place; the trailing newline is ignored. Returns
 * the byte count, or -1 with *why set. */
static long hex_decode(char *line, const char **why)
{
	size_t len = strcspn(line, "\r\n");
	unsigned char *out = (unsigned char *)line;

	if (len % 2) {
		*why = "odd number of hex digits";
		return -1;
	}
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_nibble(line[i]), lo = hex_nibble(line[i + 1]);

		if (hi < 0 || lo < 0) {
			*why = "not a hex digit";
			return -1;
		}
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

/* Packet counts of every (app, reason) counter the program keeps. */
struct counters {
	int fd;
	__u64 n[THINGS_MAX_APPS][THINGS_R_MAX];
};

static int counters_open(struct bpf_object *obj, struct counters *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_STATS);
	if (c->fd < 0) {
		pr_err("object has no %s map\n", THINGS_PIN_STATS);
		return -1;
	}
	return 0;
}

/* Every app id is read, not only the configured ones: a packet counted
 * against an app nobody configured is a finding too. */
static int counters_read(struct counters *c)
{
	static struct things_counter rows[THINGS_MAX_APPS][THINGS_R_MAX];
	int err = things_stats_read(c->fd, rows);

	if (err) {
		pr_err("reading %s: %s\n", THINGS_PIN_STATS, strerror(-err));
		return -1;
	}
	for (__u32 app = 0; app < THINGS_MAX_APPS; app++)
		for (__u32 r = 0; r < THINGS_R_MAX; r++)
			c->n[app][r] = rows[app][r].packets;
	return 0;
}

/* Per reason, summed over apps; per app, per action its reasons mean. */
static void sum_views(const __u64 (*n)[THINGS_R_MAX], __u64 reason[THINGS_R_MAX],
		      __u64 (*action)[THINGS_ACT_COUNT])
{
	memset(reason, 0, sizeof(__u64) * THINGS_R_MAX);
	memset(action, 0, sizeof(*action) * THINGS_MAX_APPS);
	for (__u32 app = 0; app < THINGS_MAX_APPS; app++)
		for (__u32 r = 0; r < THINGS_R_MAX; r++) {
			reason[r] += n[app][r];
			if (app)
				action[app][things_reason_action(r)] += n[app][r];
		}
}

/* " reason=NAME:N" and " app=ID:ACTION:N" for each counter that grew
 * since *prev, which then catches up. */
static void print_counter_deltas(struct counters *prev, const struct counters *cur)
{
	static __u64 d[THINGS_MAX_APPS][THINGS_R_MAX], reason[THINGS_R_MAX];
	static __u64 action[THINGS_MAX_APPS][THINGS_ACT_COUNT];

	for (__u32 app = 0; app < THINGS_MAX_APPS; app++)
		for (__u32 r = 0; r < THINGS_R_MAX; r++)
			d[app][r] = cur->n[app][r] - prev->n[app][r];
	sum_views((const __u64 (*)[THINGS_R_MAX])d, reason, action);
	for (__u32 r = 0; r < THINGS_R_MAX; r++)
		if (reason[r])
			printf(" reason=%s:%llu", things_reason_name(r), (unsigned long long)reason[r]);
	for (__u32 app = 1; app < THINGS_MAX_APPS; app++)
		for (__u32 act = 0; act < THINGS_ACT_COUNT; act++)
			if (action[app][act])
				printf(" app=%u:%s:%llu", app, things_action_name(act),
				       (unsigned long long)action[app][act]);
	memcpy(prev->n, cur->n, sizeof(prev->n));
}

static void print_counters(const struct counters *c)
{
	static __u64 reason[THINGS_R_MAX], action[THINGS_MAX_APPS][THINGS_ACT_COUNT];

	sum_views((const __u64 (*)[THINGS_R_MAX])c->n, reason, action);
	for (__u32 r = 0; r < THINGS_R_MAX; r++)
		if (reason[r])
			printf("reason %s %llu\n", things_reason_name(r), (unsigned long long)reason[r]);
	for (__u32 app = 1; app < THINGS_MAX_APPS; app++)
		for (__u32 act = 0; act < THINGS_ACT_COUNT; act++)
			if (action[app][act])
				printf("app %u %s %llu\n", app, things_action_name(act),
				       (unsigned long long)action[app][act]);
}

static void print_frame(__u32 retval, const unsigned char *data, __u32 len)
{
	if (retval < sizeof(verdict_names) / sizeof(verdict_names[0]))
		fputs(verdict_names[retval], stdout);
	else
		printf("XDP_UNKNOWN_%u", retval);
	putchar(' ');
	for (__u32 i = 0; i < len; i++)
		printf("%02x", data[i]);
}

/* Runs every stdin packet; with stats_each, each output line also names
 * the counters that packet moved. The counters end up in *cur. */
static int run_packets(int prog_fd, const struct options *o, struct counters *cur,
		       struct jwatch *jw)
{
	unsigned char *out = malloc(DATA_OUT_MAX);
	struct counters *prev = NULL;
	unsigned long lineno = 0;
	size_t cap = 0;
	char *line = NULL;
	int ret = -1;

	if (!out) {
		pr_err("out of memory\n");
		goto cleanup;
	}
	if (o->stats_each) {
		prev = malloc(sizeof(*prev));
		if (!prev) {
			pr_err("out of memory\n");
			goto cleanup;
		}
		if (counters_read(cur))
			goto cleanup;
		*prev = *cur;
	}
	while (getline(&line, &cap, stdin) != -1) {
		struct xdp_md ctx = { .ingress_ifindex = o->ingress_ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_out = out,
			.data_size_out = DATA_OUT_MAX,
			.ctx_in = &ctx,
			.ctx_size_in = sizeof(ctx),
			.repeat = 1,
		);
		const char *why;
		long len;
		int err;

		lineno++;
		len = hex_decode(line, &why);
		if (len < 0) {
			pr_err("stdin line %lu: %s\n", lineno, why);
			goto cleanup;
		}
		opts.data_in = line;
		opts.data_size_in = (__u32)len;
		/* The kernel rejects a context whose data_end is not the
		 * length of the frame it was given. */
		ctx.data_end = (__u32)len;

		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (jw) {
			if (jwatch_frame(jw, err ? errno : 0, opts.retval, out, opts.data_size_out))
				goto cleanup;
			continue;
		}
		if (err) {
			pr_err("stdin line %lu: BPF_PROG_TEST_RUN of a %ld-byte frame failed: %s\n",
			       lineno, len, strerror(errno));
			goto cleanup;
		}
		print_frame(opts.retval, out, opts.data_size_out);
		if (prev) {
			if (counters_read(cur))
				goto cleanup;
			print_counter_deltas(prev, cur);
		}
		putchar('\n');
	}
	if (ferror(stdin)) {
		pr_err("reading stdin: %s\n", strerror(errno));
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (fflush(stdout) && !ret) {
		pr_err("writing stdout: %s\n", strerror(errno));
		ret = -1;
	}
	free(line);
	free(prev);
	free(out);
	return ret;
}

static int fill_fast_table(struct bpf_object *obj, int prefixes_fd)
{
	int fast_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_FAST);
	struct things_fast_table t;
	__u32 zero = 0;
	int err;

	if (fast_fd < 0) {
		pr_err("object has no %s map\n", THINGS_PIN_FAST);
		return -1;
	}
	err = things_fast_sync(fast_fd, prefixes_fd);
	if (!err && bpf_map_lookup_elem(fast_fd, &zero, &t))
		err = -errno;
	if (err) {
		pr_err("filling the fast table: %s\n", strerror(-err));
		return -1;
	}
	if (!t.count) {
		pr_err("--fast: more than %d prefixes do not fit the fast table\n",
		       THINGS_FAST_SLOTS);
		return -1;
	}
	return 0;
}

/* A framebuffer of the app's size in `canvases`, which keeps it. */
static int canvas_add(struct bpf_object *obj, const struct app_entry *a)
{
	int canvases_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_CANVASES);
	int fd, err = 0;

	if (canvases_fd < 0) {
		pr_err("object has no %s map\n", THINGS_PIN_CANVASES);
		return -1;
	}
	fd = things_canvas_create(a->app_id, a->cfg.width, a->cfg.height);
	if (fd < 0) {
		pr_err("creating app %u's framebuffer: %s\n", a->app_id, strerror(-fd));
		return -1;
	}
	if (bpf_map_update_elem(canvases_fd, &a->app_id, &fd, BPF_ANY)) {
		pr_err("putting app %u's framebuffer in %s: %s\n", a->app_id,
		       THINGS_PIN_CANVASES, strerror(errno));
		err = -1;
	}
	close(fd);
	return err;
}

static int fill_apps(struct bpf_object *obj, const struct options *o)
{
	int cfg_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_APP_CFG);

	if (cfg_fd < 0 && o->n_apps) {
		pr_err("object has no %s map\n", THINGS_PIN_APP_CFG);
		return -1;
	}
	for (size_t i = 0; i < o->n_apps; i++) {
		const struct app_entry *a = &o->apps[i];

		if (bpf_map_update_elem(cfg_fd, &a->app_id, &a->cfg, BPF_ANY)) {
			pr_err("setting app %u's %s: %s\n", a->app_id, THINGS_PIN_APP_CFG,
			       strerror(errno));
			return -1;
		}
		if (a->cfg.width && a->cfg.height && canvas_add(obj, a))
			return -1;
	}
	return 0;
}

static int fill_stories(struct bpf_object *obj, const struct options *o)
{
	int stories_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_STORIES);
	int lines_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_STORY_LINES);

	if ((o->n_stories || o->n_lines) && (stories_fd < 0 || lines_fd < 0)) {
		pr_err("%s has no story maps\n", o->obj_path);
		return -1;
	}
	for (size_t i = 0; i < o->n_lines; i++)
		if (bpf_map_update_elem(lines_fd, &o->lines[i].key, &o->lines[i].line, BPF_ANY)) {
			pr_err("adding a story line: %s\n", strerror(errno));
			return -1;
		}
	for (size_t i = 0; i < o->n_stories; i++)
		if (bpf_map_update_elem(stories_fd, &o->stories[i].dest, &o->stories[i].story,
					BPF_ANY)) {
			pr_err("adding a story: %s\n", strerror(errno));
			return -1;
		}
	return 0;
}

static int fill_maps(struct bpf_object *obj, const struct options *o)
{
	int prefixes_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_PREFIXES);
	int ifaces_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_IFACES);
	char buf[THINGS_PREFIX_STRLEN];
	int err;

	if (prefixes_fd < 0 || ifaces_fd < 0) {
		pr_err("%s has no %s or %s map\n", o->obj_path,
		       THINGS_PIN_PREFIXES, THINGS_PIN_IFACES);
		return -1;
	}
	for (size_t i = 0; i < o->n_prefixes; i++) {
		const struct prefix_entry *e = &o->prefixes[i];

		err = things_prefix_set(prefixes_fd, &e->key, &e->val);
		if (err) {
			pr_err("adding prefix %s: %s\n",
			       things_prefix_format(&e->key, buf, sizeof(buf)), strerror(-err));
			return -1;
		}
	}
	for (size_t i = 0; i < o->n_ifaces; i++) {
		err = things_iface_set(ifaces_fd, o->ifaces[i].ifindex, o->ifaces[i].mac, 0);
		if (err) {
			pr_err("adding interface %u: %s\n", o->ifaces[i].ifindex, strerror(-err));
			return -1;
		}
	}
	if (fill_apps(obj, o) || fill_stories(obj, o))
		return -1;
	return o->fast ? fill_fast_table(obj, prefixes_fd) : 0;
}

/* The highest app id a prefix names that the stats map has room for. */
static __u32 max_app_id(const struct options *o)
{
	__u32 max = 0;

	for (size_t i = 0; i < o->n_prefixes; i++)
		if (o->prefixes[i].val.app_id < THINGS_MAX_APPS && o->prefixes[i].val.app_id > max)
			max = o->prefixes[i].val.app_id;
	return max;
}

int main(int argc, char **argv)
{
	struct options o = {
		.obj_path = DEFAULT_OBJ,
		.prog_name = DEFAULT_PROG,
		.ingress_ifindex = 1,
	};
	struct counters *counters = NULL;
	struct bpf_object *obj = NULL;
	struct jwatch *jw = NULL;
	struct bpf_program *prog;
	int ret = 1, err;

	things_log_set_ident("xdp-testrun");
	things_log_libbpf();
	err = parse_args(argc, argv, &o);
	if (err) {
		ret = err == 1 ? 0 : 2;
		goto cleanup;
	}

	obj = bpf_object__open_file(o.obj_path, NULL);
	if (!obj) {
		pr_err("opening %s: %s\n", o.obj_path, strerror(errno));
		goto cleanup;
	}
	prog = bpf_object__find_program_by_name(obj, o.prog_name);
	if (!prog) {
		pr_err("%s has no program %s\n", o.obj_path, o.prog_name);
		goto cleanup;
	}
	if (bpf_program__type(prog) != BPF_PROG_TYPE_XDP) {
		pr_err("program %s is not an XDP program\n", o.prog_name);
		goto cleanup;
	}
	err = bpf_object__load(obj);
	if (err) {
		pr_err("loading %s: %s (-v shows the verifier log)\n", o.obj_path,
		       strerror(-err));
		goto cleanup;
	}
	if (fill_maps(obj, &o))
		goto cleanup;
	/* Big (16 KiB): heap, not stack. */
	counters = malloc(sizeof(*counters));
	if (!counters) {
		pr_err("out of memory\n");
		goto cleanup;
	}
	if (counters_open(obj, counters))
		goto cleanup;
	if (o.json) {
		jw = jwatch_open(obj, o.apps, o.n_apps, max_app_id(&o));
		if (!jw)
			goto cleanup;
	}
	if (run_packets(bpf_program__fd(prog), &o, counters, jw))
		goto cleanup;
	if (jw && jwatch_final(jw))
		goto cleanup;
	if (o.stats) {
		if (counters_read(counters))
			goto cleanup;
		print_counters(counters);
		if (fflush(stdout)) {
			pr_err("writing stdout: %s\n", strerror(errno));
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	jwatch_close(jw);
	free(counters);
	bpf_object__close(obj);
	free(o.prefixes);
	free(o.ifaces);
	free(o.apps);
	free(o.stories);
	free(o.lines);
	return ret;
}
