// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The micro-benchmark's tables (Markdown, on stdout) and its JSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "log.h"
#include "micro.h"

/* The scale curve: its instances, fewest prefixes first, and the cases of
 * each (echo, NS). */
static const struct {
	enum prog_id prog;
	enum case_id echo, ns;
} curve[] = {
	{ PROG_THINGS_ROUTED_FAST, C_THINGS_ECHO_FAST, C_THINGS_NS_FAST },
	{ PROG_THINGS_ROUTED, C_THINGS_ECHO, C_THINGS_NS },
	{ PROG_THINGS_16, C_THINGS_ECHO_16, C_THINGS_NS_16 },
	{ PROG_THINGS_17, C_THINGS_ECHO_17, C_THINGS_NS_17 },
	{ PROG_THINGS_1K, C_THINGS_ECHO_1K, C_THINGS_NS_1K },
	{ PROG_THINGS_MANY, C_THINGS_ECHO_MANY, C_THINGS_NS_MANY },
	{ PROG_THINGS_LARGE, C_THINGS_ECHO_LARGE, C_THINGS_NS_LARGE },
};
#define CURVE_POINTS (sizeof(curve) / sizeof(curve[0]))

/* The fast table holds the trie when the trie fits in it. */
static int fast_table(const struct bench *b, enum prog_id id)
{
	return id == PROG_THINGS_ROUTED_FAST || id == PROG_THINGS_ONLINK_FAST ||
	       id == PROG_THINGS_APPS_FAST ||
	       (id >= PROG_THINGS_16 && b->size[id].prefixes <= THINGS_FAST_SLOTS);
}

static void case_label(const struct bench *b, enum case_id id, char *buf, size_t len)
{
	const struct bench_case *c = &cases[id];
	enum prog_id p = c->prog;

	if (!bench_is_things(p))
		snprintf(buf, len, "%s", c->label);
	else if (p == PROG_THINGS_APPS_FAST)
		snprintf(buf, len, "%s, fast table", c->label);
	else
		snprintf(buf, len, "%s, %u prefix%s%s, %s", c->label, b->size[p].prefixes,
			 b->size[p].prefixes == 1 ? "" : "es",
			 p == PROG_THINGS_MANY && b->opt.near ? " (near)" : "",
			 fast_table(b, p) ? "fast table" : "trie");
}

static const struct bench_target *target_of(enum case_id id)
{
	for (size_t i = 0; i < TARGET_COUNT; i++)
		if (targets[i].measured == id)
			return &targets[i];
	return NULL;
}

static int target_on(const struct bench *b, const struct bench_target *t)
{
	return bench_case_on(&b->opt, t->measured) && bench_case_on(&b->opt, t->reference);
}

static void target_text(const struct bench *b, enum case_id id, char *buf, size_t len)
{
	const struct bench_target *t = target_of(id);
	const char *verdict;

	if (!t || !target_on(b, t)) {
		buf[0] = '\0';
		return;
	}
	verdict = bench_target_met(b, t) ? "met" : "**missed**";
	if (t->reference == cases[id].minimal)
		snprintf(buf, len, "<= %gx minimal: %s", t->limit, verdict);
	else
		snprintf(buf, len, "%.2fx of %s, <= %gx: %s",
			 bench_ratio(b, t->measured, t->reference).median, t->versus, t->limit,
			 verdict);
}

/* A ratio over the rounds: its median, and the middle half of the rounds. */
static void ratio_text(struct ratio r, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f (%.2f-%.2f)", r.median, r.q1, r.q3);
}

/* Where the things_xdp replies stand against the minimal responder's. */
static void replies_text(const struct bench *b)
{
	int all_identical = 1;

	for (int id = 0; id < C_COUNT; id++)
		if (bench_is_things(cases[id].prog) && bench_case_on(&b->opt, id) &&
		    !b->identical[id] && cases[id].frame != FRAME_TRACE &&
		    cases[id].frame != FRAME_TRACE_RATED)
			all_identical = 0;
	if (all_identical)
		printf("Replies: things_xdp's are right (fields and checksums checked) and, where"
		       " there is one, byte for byte the minimal responder's.\n");
	for (int id = 0; id < C_COUNT; id++) {
		char label[96];

		if (!bench_is_things(cases[id].prog) || !bench_case_on(&b->opt, id) ||
		    (b->identical[id] && !b->reply_wrong[id]) ||
		    (all_identical && !b->reply_wrong[id]))
			continue;
		case_label(b, id, label, sizeof(label));
		printf("Replies: %s differs from the minimal responder's%s%s.\n", label,
		       b->reply_wrong[id] ? " and is wrong: " : ", but is right",
		       b->reply_wrong[id] ? b->reply_wrong[id] : "");
	}
}

static void cases_table(const struct bench *b)
{
	const struct result *r = b->result;
	char label[96], goal[96], ratio[48];

	printf("| case | ns/packet | min | max | above nop | x minimal (middle half) | target |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
	for (int id = 0; id < C_COUNT; id++) {
		if (!bench_case_on(&b->opt, id))
			continue;
		case_label(b, id, label, sizeof(label));
		target_text(b, id, goal, sizeof(goal));
		ratio_text(bench_ratio(b, id, cases[id].minimal), ratio, sizeof(ratio));
		printf("| %s | %.1f | %.1f | %.1f | %.1f | %s | %s |\n", label, r[id].median,
		       r[id].min, r[id].max, r[id].above_median, ratio, goal);
	}
}

static const char *bytes_text(__u64 n, char *buf, size_t len)
{
	if (n >= 10 * 1048576ULL)
		snprintf(buf, len, "%.0f MiB", n / 1048576.0);
	else if (n >= 1048576)
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
	else
		snprintf(buf, len, "%.0f KiB", n / 1024.0);
	return buf;
}

static void curve_table(const struct bench *b)
{
	char echo[48], ns[48], trie[24], all[24];
	int any = 0;

	for (size_t i = 0; i < CURVE_POINTS; i++)
		any |= bench_case_on(&b->opt, curve[i].echo) && curve[i].echo != C_THINGS_ECHO_FAST;
	if (!any)
		return;
	printf("\nScale: echo and NS against the number of prefixes (the real ones and random"
	       " /48s to /64s in fd00::/8), x the same request with 1 prefix in the fast table;"
	       " memory as the kernel counts it (fdinfo memlock):\n\n");
	printf("| prefixes | lookup | echo ns | x 1 prefix | NS ns | x 1 prefix |"
	       " trie memory | all maps |\n");
	printf("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < CURVE_POINTS; i++) {
		const struct instance_size *s = &b->size[curve[i].prog];

		if (!bench_case_on(&b->opt, curve[i].echo) || !bench_case_on(&b->opt, curve[i].ns))
			continue;
		ratio_text(bench_ratio(b, curve[i].echo, C_THINGS_ECHO_FAST), echo, sizeof(echo));
		ratio_text(bench_ratio(b, curve[i].ns, C_THINGS_NS_FAST), ns, sizeof(ns));
		printf("| %u | %s | %.1f | %s | %.1f | %s | %s | %s |\n", s->prefixes,
		       fast_table(b, curve[i].prog) ? "fast table" : "trie",
		       b->result[curve[i].echo].median, echo, b->result[curve[i].ns].median, ns,
		       bytes_text(s->trie_bytes, trie, sizeof(trie)),
		       bytes_text(s->map_bytes, all, sizeof(all)));
	}
}

void report_table(const struct bench *b)
{
	const struct result *r = b->result;
	enum prog_id things;
	struct utsname u;

	uname(&u);
	printf("BPF_PROG_TEST_RUN, %u x %u runs x %u rounds, Linux %s %s, %ld CPUs; ns/packet:"
	       " median (min, max) of the rounds; x minimal: the median of the ratios round by"
	       " round (the middle half of them)\n\n",
	       b->opt.repeat, BENCH_INNER_RUNS, b->opt.rounds, u.release, u.machine,
	       sysconf(_SC_NPROCESSORS_ONLN));
	cases_table(b);
	curve_table(b);
	printf("\n");
	if (bench_case_on(&b->opt, C_THINGS_ECHO_FAST) && bench_case_on(&b->opt, C_THINGS_NS_FAST))
		printf("Above the nop floor, things_xdp costs %.2fx the minimal responder for echo"
		       " and %.2fx for NS (fast table).\n",
		       bench_ratio_above_nop(b, C_THINGS_ECHO_FAST, C_MINIMAL_ECHO),
		       bench_ratio_above_nop(b, C_THINGS_NS_FAST, C_MINIMAL_NS));
	printf("The nop floor: %.2f ns (the trimmed mean of its rounds). The harness's restore"
	       " and call, measured and taken out: %.1f ns (echo), %.1f ns (NS).\n", b->floor_ns,
	       r[C_MINIMAL_ECHO].harness_median, r[C_MINIMAL_NS].harness_median);
	things = report_things(b);
	printf("Instructions after the verifier / bytes of machine code / instructions"
	       " verified: nop %u/%u/%u, minimal %u/%u/%u, things_xdp %u/%u/%u.\n",
	       b->info[PROG_NOP].xlated_prog_len / 8, b->info[PROG_NOP].jited_prog_len,
	       b->info[PROG_NOP].verified_insns, b->info[PROG_MINIMAL].xlated_prog_len / 8,
	       b->info[PROG_MINIMAL].jited_prog_len, b->info[PROG_MINIMAL].verified_insns,
	       b->info[things].xlated_prog_len / 8, b->info[things].jited_prog_len,
	       b->info[things].verified_insns);
	if (things)
		printf("things_xdp as a program: %u bytes of machine code; as the function its"
		       " harness calls: %u bytes. Of its %u instructions after the verifier, %d"
		       " differ there, and %d loads of an address (each object has its own"
		       " read-only data).\n",
		       b->info[things].jited_prog_len, b->harness[things].func_bytes,
		       b->info[things].xlated_prog_len / 8, b->harness[things].insns_differing,
		       b->harness[things].addresses_differing);
	replies_text(b);
}

static void json_rounds(FILE *out, const double *v, unsigned int n)
{
	fprintf(out, "[");
	for (unsigned int i = 0; i < n; i++)
		fprintf(out, "%s%.2f", i ? ", " : "", v[i]);
	fprintf(out, "]");
}

static void json_ratio(FILE *out, const char *name, struct ratio r)
{
	/* A ratio to a case left out (--case) is not a number, which JSON
	 * has no word for but null. */
	if (isnan(r.median)) {
		fprintf(out, "\"%s\": null", name);
		return;
	}
	fprintf(out, "\"%s\": {\"median\": %.4f, \"q1\": %.4f, \"q3\": %.4f, \"min\": %.4f,"
		" \"max\": %.4f}", name, r.median, r.q1, r.q3, r.min, r.max);
}

static void json_program(FILE *out, const char *name, const struct bpf_prog_info *info,
			 const char *sep)
{
	fprintf(out, "    \"%s\": {\"xlated_insns\": %u, \"jited_bytes\": %u,"
		" \"verified_insns\": %u}%s\n",
		name, info->xlated_prog_len / 8, info->jited_prog_len, info->verified_insns, sep);
}

static void json_cases(FILE *out, const struct bench *b)
{
	const char *sep = "";
	char label[96];

	for (int id = 0; id < C_COUNT; id++) {
		const struct result *r = &b->result[id];

		if (!bench_case_on(&b->opt, id))
			continue;
		case_label(b, id, label, sizeof(label));
		fprintf(out, "%s    {\"key\": \"%s\", \"label\": \"%s\", \"reference\": \"%s\","
			" \"median_ns\": %.2f, \"min_ns\": %.2f, \"max_ns\": %.2f,"
			" \"above_nop_ns\": %.2f, \"harness_ns\": %.2f, ", sep, cases[id].key, label,
			cases[cases[id].minimal].key, r->median, r->min, r->max, r->above_median,
			r->harness_median);
		json_ratio(out, "ratio_to_minimal", bench_ratio(b, id, cases[id].minimal));
		fprintf(out, ", \"rounds_ns\": ");
		json_rounds(out, r->ns, b->opt.rounds);
		if (bench_is_things(cases[id].prog))
			fprintf(out, ", \"prefixes\": %u, \"reply_identical\": %s,"
				" \"reply_right\": %s", b->size[cases[id].prog].prefixes,
				b->identical[id] ? "true" : "false",
				b->reply_wrong[id] ? "false" : "true");
		fprintf(out, "}");
		sep = ",\n";
	}
	fprintf(out, "\n");
}

static void json_targets(FILE *out, const struct bench *b)
{
	const char *sep = "";

	for (size_t i = 0; i < TARGET_COUNT; i++) {
		const struct bench_target *t = &targets[i];

		if (!target_on(b, t))
			continue;
		fprintf(out, "%s    {\"key\": \"%s\", \"label\": \"%s\", ", sep, t->key, t->label);
		json_ratio(out, "ratio", bench_ratio(b, t->measured, t->reference));
		fprintf(out, ", \"limit\": %.2f, \"met\": %s}", t->limit,
			bench_target_met(b, t) ? "true" : "false");
		sep = ",\n";
	}
	fprintf(out, "\n");
}

static void json_curve(FILE *out, const struct bench *b)
{
	const char *sep = "";

	for (size_t i = 0; i < CURVE_POINTS; i++) {
		const struct instance_size *s = &b->size[curve[i].prog];

		if (!bench_case_on(&b->opt, curve[i].echo) || !bench_case_on(&b->opt, curve[i].ns))
			continue;
		fprintf(out, "%s    {\"prefixes\": %u, \"fast_table\": %s, \"echo_ns\": %.2f,"
			" \"ns_ns\": %.2f, ", sep, s->prefixes,
			fast_table(b, curve[i].prog) ? "true" : "false",
			b->result[curve[i].echo].median, b->result[curve[i].ns].median);
		json_ratio(out, "echo_vs_1_fast", bench_ratio(b, curve[i].echo, C_THINGS_ECHO_FAST));
		fprintf(out, ", ");
		json_ratio(out, "ns_vs_1_fast", bench_ratio(b, curve[i].ns, C_THINGS_NS_FAST));
		fprintf(out, ", \"trie_bytes\": %llu, \"map_bytes\": %llu, \"fill_seconds\": %.3f}",
			(unsigned long long)s->trie_bytes, (unsigned long long)s->map_bytes,
			s->fill_seconds);
		sep = ",\n";
	}
	fprintf(out, "\n");
}

/* The first instance of things_xdp loaded (all are the same program), or
 * 0 if none is. */
enum prog_id report_things(const struct bench *b)
{
	for (int id = PROG_THINGS_ROUTED; id < PROG_COUNT; id++)
		if (b->obj[id])
			return id;
	return 0;
}

int report_json(const struct bench *b, const char *path)
{
	enum prog_id things = report_things(b);
	FILE *out = fopen(path, "w");
	int err;

	if (!out) {
		err = -errno;
		pr_err("%s: cannot create the JSON file: %s\n", path, strerror(-err));
		return err;
	}
	fprintf(out, "{\n  \"repeat\": %u,\n  \"inner_runs\": %u,\n  \"rounds\": %u,\n"
		"  \"random_prefixes\": %u,\n  \"large\": %u,\n  \"seed\": %llu,\n"
		"  \"near\": %s,\n  \"floor_ns\": %.3f,\n  \"programs\": {\n",
		b->opt.repeat, BENCH_INNER_RUNS, b->opt.rounds, b->opt.prefixes, b->opt.large,
		b->opt.seed, b->opt.near ? "true" : "false", b->floor_ns);
	json_program(out, "nop", &b->info[PROG_NOP], ",");
	json_program(out, "minimal", &b->info[PROG_MINIMAL], things ? "," : "");
	if (things)
		json_program(out, "things_xdp", &b->info[things], "");
	fprintf(out, "  },\n  \"cases\": [\n");
	json_cases(out, b);
	fprintf(out, "  ],\n  \"targets\": [\n");
	json_targets(out, b);
	fprintf(out, "  ],\n  \"curve\": [\n");
	json_curve(out, b);
	fprintf(out, "  ]\n}\n");
	if (fclose(out)) {
		err = -errno;
		pr_err("%s: writing the JSON file failed: %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}
