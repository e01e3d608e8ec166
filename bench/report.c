// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "log.h"
#include "micro.h"

static void case_label(const struct bench *b, enum case_id id, char *buf, size_t len)
{
	const struct bench_case *c = &cases[id];

	if (!bench_is_things(c->prog))
		snprintf(buf, len, "%s", c->label);
	else if (c->prog == PROG_THINGS_MANY)
		snprintf(buf, len, "%s, %u prefixes%s", c->label, b->opt.prefixes + 2,
			 b->opt.near ? " (near)" : "");
	else if (c->prog == PROG_THINGS_ROUTED_FAST || c->prog == PROG_THINGS_ONLINK_FAST)
		snprintf(buf, len, "%s, 1 prefix, fast table", c->label);
	else if (c->prog == PROG_THINGS_APPS_FAST)
		snprintf(buf, len, "%s, fast table", c->label);
	else
		snprintf(buf, len, "%s, 1 prefix, trie", c->label);
}

static const struct bench_target *target_of(enum case_id id)
{
	for (size_t i = 0; i < TARGET_COUNT; i++)
		if (targets[i].measured == id)
			return &targets[i];
	return NULL;
}

static void target_text(const struct bench *b, enum case_id id, char *buf, size_t len)
{
	const struct bench_target *t = target_of(id);
	const char *verdict;

	if (!t) {
		buf[0] = '\0';
		return;
	}
	verdict = bench_target_met(b, t) ? "met" : "missed";
	if (t->reference == cases[id].minimal)
		snprintf(buf, len, "<= %.1fx minimal: %s", t->limit, verdict);
	else
		snprintf(buf, len, "%.2fx of %s, <= %.1fx: %s",
			 bench_ratio(b, t->measured, t->reference), t->versus, t->limit, verdict);
}

/* Where the things_xdp replies stand against the minimal responder's. */
static void replies_text(const struct bench *b)
{
	int all_identical = 1;

	for (int id = 0; id < C_COUNT; id++)
		if (bench_is_things(cases[id].prog) && !b->identical[id])
			all_identical = 0;
	if (all_identical) {
		printf("Replies: things_xdp's are byte for byte the minimal responder's, and"
		       " right (fields and checksums checked).\n");
		return;
	}
	for (int id = 0; id < C_COUNT; id++) {
		char label[64];

		if (!bench_is_things(cases[id].prog) || b->identical[id])
			continue;
		case_label(b, id, label, sizeof(label));
		printf("Replies: %s differs from the minimal responder's%s%s.\n", label,
		       b->reply_wrong[id] ? " and is wrong: " : ", but is right",
		       b->reply_wrong[id] ? b->reply_wrong[id] : "");
	}
}

void report_table(const struct bench *b)
{
	const struct result *r = b->result;
	struct utsname u;
	char label[64], goal[96];

	uname(&u);
	printf("BPF_PROG_TEST_RUN, %u runs x %u rounds, Linux %s %s, %ld CPUs;"
	       " ns/packet: median (min, max) of the rounds\n\n",
	       b->opt.repeat, b->opt.rounds, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
	printf("| case | ns/packet | min | max | above nop | x minimal | target |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
	for (int id = 0; id < C_COUNT; id++) {
		case_label(b, id, label, sizeof(label));
		target_text(b, id, goal, sizeof(goal));
		printf("| %s | %.1f | %.1f | %.1f | %.1f | %.2f | %s |\n", label, r[id].median,
		       r[id].min, r[id].max, r[id].above_median,
		       bench_ratio(b, id, cases[id].minimal), goal);
	}
	printf("\nAbove the nop floor, things_xdp costs %.2fx the minimal responder for echo"
	       " and %.2fx for NS.\n",
	       bench_ratio_above_nop(b, C_THINGS_ECHO, C_MINIMAL_ECHO),
	       bench_ratio_above_nop(b, C_THINGS_NS, C_MINIMAL_NS));
	printf("Restore and tail call, measured and taken out: %.1f ns (echo), %.1f ns (NS).\n",
	       r[C_MINIMAL_ECHO].harness_median, r[C_MINIMAL_NS].harness_median);
	printf("Instructions after the verifier / bytes of machine code / instructions"
	       " verified: nop %u/%u/%u, minimal %u/%u/%u, things_xdp %u/%u/%u.\n",
	       b->info[PROG_NOP].xlated_prog_len / 8, b->info[PROG_NOP].jited_prog_len,
	       b->info[PROG_NOP].verified_insns, b->info[PROG_MINIMAL].xlated_prog_len / 8,
	       b->info[PROG_MINIMAL].jited_prog_len, b->info[PROG_MINIMAL].verified_insns,
	       b->info[PROG_THINGS_MANY].xlated_prog_len / 8,
	       b->info[PROG_THINGS_MANY].jited_prog_len,
	       b->info[PROG_THINGS_MANY].verified_insns);
	replies_text(b);
}

static void json_rounds(FILE *out, const double *v, unsigned int n)
{
	fprintf(out, "[");
	for (unsigned int i = 0; i < n; i++)
		fprintf(out, "%s%.1f", i ? ", " : "", v[i]);
	fprintf(out, "]");
}

static void json_program(FILE *out, const char *name, const struct bpf_prog_info *info,
			 const char *sep)
{
	fprintf(out, "    \"%s\": {\"xlated_insns\": %u, \"jited_bytes\": %u,"
		" \"verified_insns\": %u}%s\n",
		name, info->xlated_prog_len / 8, info->jited_prog_len, info->verified_insns, sep);
}

int report_json(const struct bench *b, const char *path)
{
	FILE *out = fopen(path, "w");
	char label[64];
	int err;

	if (!out) {
		err = -errno;
		pr_err("%s: cannot create the JSON file: %s\n", path, strerror(-err));
		return err;
	}
	fprintf(out, "{\n  \"repeat\": %u,\n  \"rounds\": %u,\n  \"random_prefixes\": %u,\n"
		"  \"seed\": %llu,\n  \"near\": %s,\n  \"fill_seconds\": %.3f,\n  \"programs\": {\n",
		b->opt.repeat, b->opt.rounds, b->opt.prefixes, b->opt.seed,
		b->opt.near ? "true" : "false", b->fill_seconds);
	json_program(out, "nop", &b->info[PROG_NOP], ",");
	json_program(out, "minimal", &b->info[PROG_MINIMAL], ",");
	json_program(out, "things_xdp", &b->info[PROG_THINGS_MANY], "");
	fprintf(out, "  },\n  \"cases\": [\n");
	for (int id = 0; id < C_COUNT; id++) {
		const struct result *r = &b->result[id];

		case_label(b, id, label, sizeof(label));
		fprintf(out, "    {\"key\": \"%s\", \"label\": \"%s\", \"median_ns\": %.1f,"
			" \"min_ns\": %.1f, \"max_ns\": %.1f, \"above_nop_ns\": %.1f,"
			" \"harness_ns\": %.1f, \"ratio_to_minimal\": %.3f, \"rounds_ns\": ",
			cases[id].key, label, r->median, r->min, r->max, r->above_median,
			r->harness_median, bench_ratio(b, id, cases[id].minimal));
		json_rounds(out, r->ns, b->opt.rounds);
		if (bench_is_things(cases[id].prog))
			fprintf(out, ", \"reply_identical\": %s, \"reply_right\": %s",
				b->identical[id] ? "true" : "false",
				b->reply_wrong[id] ? "false" : "true");
		fprintf(out, "}%s\n", id + 1 < C_COUNT ? "," : "");
	}
	fprintf(out, "  ],\n  \"targets\": [\n");
	for (size_t i = 0; i < TARGET_COUNT; i++) {
		const struct bench_target *t = &targets[i];

		fprintf(out, "    {\"key\": \"%s\", \"label\": \"%s\", \"ratio\": %.3f,"
			" \"limit\": %.1f, \"met\": %s}%s\n",
			t->key, t->label, bench_ratio(b, t->measured, t->reference), t->limit,
			bench_target_met(b, t) ? "true" : "false", i + 1 < TARGET_COUNT ? "," : "");
	}
	fprintf(out, "  ]\n}\n");
	if (fclose(out)) {
		err = -errno;
		pr_err("%s: writing the JSON file failed: %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}
