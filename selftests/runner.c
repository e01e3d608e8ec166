// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Runs the registered test groups. The last line is "N passed, N failed"
 * (cases, not groups), which CI reads; any failure makes the exit status
 * non-zero.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "env.h"
#include "test.h"

static struct test_def *tests;

/* Every group runs once per way the program can find a prefix. */
static const struct {
	const char *name;
	bool fast;
} lookups[] = { { "trie", false }, { "fast", true } };

static struct {
	const char *obj_path;
	const char *filter;
	bool verbose;
	bool list;
} opt;

/* The group and case being run. */
static struct {
	const struct test_def *group;
	int lookup;
	int group_nr, case_nr, group_failed, group_run;
	char name[128];
	bool active, failed;
	char *log;
	size_t log_len;
	FILE *log_f;
	struct test_env env;
	enum { ENV_NONE, ENV_READY, ENV_BROKEN } env_state;
} cur;

static int passed, failed;

void test_register(struct test_def *def)
{
	struct test_def **p = &tests;

	/* Kept sorted by name so the order does not depend on the link order. */
	while (*p && strcmp((*p)->name, def->name) < 0)
		p = &(*p)->next;
	def->next = *p;
	*p = def;
}

void test_log(const char *fmt, ...)
{
	FILE *out = cur.log_f ? cur.log_f : stderr;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	FILE *out = cur.log_f ? cur.log_f : stderr;
	va_list ap;

	cur.failed = true;
	fprintf(out, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static void finish_case(void)
{
	if (!cur.active)
		return;
	cur.active = false;
	fclose(cur.log_f);
	cur.log_f = NULL;
	cur.group_run++;
	if (cur.failed) {
		failed++;
		cur.group_failed++;
	} else {
		passed++;
	}
	if (cur.failed || opt.verbose) {
		printf("#%d/%d %s/%s: %s\n", cur.group_nr, cur.case_nr,
		       cur.group->name, cur.name, cur.failed ? "FAIL" : "OK");
		fwrite(cur.log, 1, cur.log_len, stdout);
	}
	free(cur.log);
	cur.log = NULL;
}

static bool env_ready(void)
{
	if (cur.env_state == ENV_NONE) {
		int err = env_open(&cur.env, opt.obj_path, lookups[cur.lookup].fast);

		cur.env_state = err ? ENV_BROKEN : ENV_READY;
		if (err)
			test_fail_at(__FILE__, __LINE__, "setting up %s failed: %s",
				     opt.obj_path ? opt.obj_path : "the built-in object",
				     strerror(-err));
	} else if (cur.env_state == ENV_BROKEN) {
		/* Reported with the group's first case; the rest did not run. */
		test_fail_at(__FILE__, __LINE__, "not run: no environment");
	}
	return cur.env_state == ENV_READY;
}

bool test_start(const char *fmt, ...)
{
	char full[sizeof(cur.name) + 64];
	va_list ap;

	finish_case();
	va_start(ap, fmt);
	vsnprintf(cur.name, sizeof(cur.name), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s/%s/%s", lookups[cur.lookup].name, cur.group->name,
		 cur.name);
	if (opt.filter && !strstr(full, opt.filter))
		return false;
	if (opt.list) {
		puts(full);
		return false;
	}

	cur.case_nr++;
	cur.failed = false;
	cur.log_f = open_memstream(&cur.log, &cur.log_len);
	if (!cur.log_f) {
		perror("open_memstream");
		exit(2);
	}
	cur.active = true;
	return env_ready();
}

static void run_group(const struct test_def *t, int lookup, int nr)
{
	cur.group = t;
	cur.lookup = lookup;
	cur.group_nr = nr;
	cur.case_nr = cur.group_failed = cur.group_run = 0;
	cur.env_state = ENV_NONE;

	t->run(&cur.env);
	finish_case();
	if (cur.env_state != ENV_NONE)
		env_close(&cur.env);
	if (!cur.group_run || opt.list)
		return;
	if (cur.group_failed)
		printf("#%d %s/%s: FAIL (%d of %d cases)\n", nr, lookups[lookup].name, t->name,
		       cur.group_failed, cur.group_run);
	else
		printf("#%d %s/%s: OK (%d cases)\n", nr, lookups[lookup].name, t->name,
		       cur.group_run);
}

static void usage(const char *prog, int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s [-o OBJ] [-t NAME] [-v] [-l]\n"
		"  -o OBJ   BPF object to test (default: the one built into the skeleton)\n"
		"  -t NAME  run only the cases whose group/case name contains NAME\n"
		"  -v       show every case and its log, not only failures\n"
		"  -l       list the cases and exit\n", prog);
	exit(status);
}

int main(int argc, char **argv)
{
	int c, nr = 0;

	while ((c = getopt(argc, argv, "o:t:vlh")) != -1) {
		switch (c) {
		case 'o':
			opt.obj_path = optarg;
			break;
		case 't':
			opt.filter = optarg;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'l':
			opt.list = true;
			break;
		case 'h':
			usage(argv[0], 0);
			break;
		default:
			usage(argv[0], 2);
		}
	}
	if (optind != argc)
		usage(argv[0], 2);

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t l = 0; l < sizeof(lookups) / sizeof(lookups[0]); l++)
		for (const struct test_def *t = tests; t; t = t->next)
			run_group(t, (int)l, ++nr);
	if (opt.list)
		return 0;
	if (!passed && !failed) {
		fprintf(stderr, "no case matches \"%s\"\n", opt.filter ? opt.filter : "");
		return 2;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
