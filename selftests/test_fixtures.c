// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Frames on which the data plane and its model (tests/dataplane_model.py)
 * once disagreed, replayed forever after: each file of
 * selftests/fixtures/dataplane/ (THINGS_FIXTURES names another folder)
 * holds a frame and what the model expects of it in this world, the apps'
 * state fresh. Lines: "in HEX", "verdict XDP_...", "out HEX" or "out same",
 * "reason NAME", "app ID"; '#' starts a comment.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "apps.h"
#include "env.h"
#include "names.h"
#include "test.h"

#define FIXTURE_DIR "selftests/fixtures/dataplane"

struct fixture {
	struct frame in, out;
	bool same;
	int verdict, reason, app;
};

static int hex_frame(const char *hex, struct frame *f)
{
	size_t n = strlen(hex);

	frame_init(f);
	if (n % 2 || n / 2 > FRAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		unsigned int byte;

		if (sscanf(hex + i, "%2x", &byte) != 1)
			return -1;
		f->b[f->len++] = (uint8_t)byte;
	}
	return 0;
}

static int name_index(const char *name, const char *(*name_of)(unsigned int), int max)
{
	for (int i = 0; i < max; i++)
		if (name_of((unsigned int)i) && !strcmp(name_of((unsigned int)i), name))
			return i;
	return -1;
}

static const char *verdict_of(unsigned int v)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX" };

	return v < 4 ? names[v] : NULL;
}

/* Returns 0, or -1 with the line that is wrong logged. */
static int fixture_read(const char *path, struct fixture *fx)
{
	char line[2 * FRAME_MAX + 64], key[16], val[2 * FRAME_MAX + 1];
	int have = 0, err = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		test_log("%s: %s", path, strerror(errno));
		return -1;
	}
	memset(fx, 0, sizeof(*fx));
	while (!err && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%15s %7040s", key, val) != 2) {
			err = -1;
		} else if (!strcmp(key, "in")) {
			err = hex_frame(val, &fx->in);
			have |= 1;
		} else if (!strcmp(key, "out")) {
			fx->same = !strcmp(val, "same");
			err = fx->same ? 0 : hex_frame(val, &fx->out);
			have |= 2;
		} else if (!strcmp(key, "verdict")) {
			err = (fx->verdict = name_index(val, verdict_of, 4)) < 0;
			have |= 4;
		} else if (!strcmp(key, "reason")) {
			err = (fx->reason = name_index(val, things_reason_name, THINGS_R_MAX)) < 0;
			have |= 8;
		} else if (!strcmp(key, "app")) {
			fx->app = atoi(val);
			have |= 16;
		} else {
			err = -1;
		}
		if (err)
			test_log("%s: cannot read: %s", path, line);
	}
	fclose(f);
	return err || have != 31 ? -1 : 0;
}

/* The apps' state as a fresh world has it, as the fixture assumes. */
static int apps_reset(const struct test_env *env)
{
	static const struct things_board board;
	static const struct things_tree tree;
	static const struct things_board_event ev;
	struct things_canvas_slot black = { 0 };

	for (__u32 app = 1; app < APPS_WATCHED; app++) {
		if (bpf_map_update_elem(env->boards_fd, &app, &board, BPF_ANY) ||
		    bpf_map_update_elem(env->trees_fd, &app, &tree, BPF_ANY))
			return -errno;
		for (__u32 i = 0; env->fb_fd[app] >= 0 &&
				  i < THINGS_CANVAS_SLOTS(CANVAS_WIDTH, CANVAS_HEIGHT); i++)
			if (bpf_map_update_elem(env->fb_fd[app], &i, &black, BPF_ANY))
				return -errno;
	}
	for (__u32 i = 0; i <= THINGS_BOARD_LOG_SLOTS; i++)
		if (bpf_map_update_elem(env->board_log_fd, &i, &ev, BPF_ANY))
			return -errno;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

DEFINE_TEST(fixtures)
{
	const char *dir = getenv("THINGS_FIXTURES") ?: FIXTURE_DIR;
	struct dirent **names;
	static struct fixture fx;
	char path[4096];
	int n;

	n = scandir(dir, &names, NULL, by_name);
	if (n < 0) {
		if (test_start("folder"))
			test_fail_at(__FILE__, __LINE__, "%s: %s (run from the top of the tree)",
				     dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (len < 5 || strcmp(name + len - 4, ".txt") || !test_start("%s", name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!ASSERT_OK(fixture_read(path, &fx), "read the fixture") ||
		    !ASSERT_OK(apps_reset(env), "reset the apps' state"))
			continue;
		check_xdp(env, &fx.in, &(struct expect){
			.verdict = (enum xdp_action)fx.verdict,
			.out = fx.same ? NULL : &fx.out,
			.reason = (enum things_reason)fx.reason,
			.app = fx.app ? fx.app : NO_APP,
			.action = (enum things_action)things_reason_action((unsigned int)fx.reason),
		});
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
