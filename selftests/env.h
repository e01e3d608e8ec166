/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The program under test, loaded once per test group with the world's
 * maps filled in, and the one way to run a packet through it and judge the
 * verdict, the bytes that come out and the counters that moved.
 */
#ifndef SELFTEST_ENV_H
#define SELFTEST_ENV_H

#include <stdbool.h>
#include <linux/bpf.h>

#include "frame.h"
#include "things_abi.h"
#include "world.h"

struct test_env {
	struct bpf_object *obj;
	int prog_fd;
	int prefixes_fd, fast_fd, ifaces_fd, stats_fd;
	/* The state of the apps that read the address. */
	int app_cfg_fd, rate_fd, boards_fd, board_log_fd, trees_fd, canvases_fd;
	int fb_fd[APPS_WATCHED];	/* canvas apps' framebuffers; -1: none */
	/* Traceroute stories and the ICMPv6 error limit. */
	int stories_fd, story_lines_fd, err_cfg_fd, err_bucket_fd;
};

/* obj_path NULL: the object built into the skeleton. fast: the world's
 * prefixes are also in the fast table, as thingsd puts them when they fit;
 * else every lookup goes to the trie. Returns 0 or -errno. */
int env_open(struct test_env *env, const char *obj_path, bool fast);
void env_close(struct test_env *env);

struct xdp_result {
	__u32 verdict;
	/* Room for a frame the program grew, and then some. */
	uint8_t out[FRAME_MAX + 256];
	size_t out_len;
};

/* One BPF_PROG_TEST_RUN from ingress on lo. Returns 0 or -errno. */
int env_run(const struct test_env *env, const void *data, size_t len,
	    struct xdp_result *res);

/* The rows of the stats map for apps 0 (none) .. APPS_WATCHED-1. */
struct counters {
	struct things_counter slot[APPS_WATCHED][THINGS_R_MAX];
};

int counters_read(const struct test_env *env, struct counters *c);

#define NO_APP (-1)

struct expect {
	enum xdp_action verdict;
	const struct frame *out;	/* NULL: the input, untouched */
	enum things_reason reason;
	int app;			/* NO_APP: no app counter moves */
	enum things_action action;
};

/* One run of a frame, and the counters around it. */
struct xdp_run {
	struct counters before, after;
	struct xdp_result res;
};

/* Returns 0 or -errno. */
int xdp_run(const struct test_env *env, const struct frame *in, struct xdp_run *run);

/*
 * Judges a run of in, logging each mismatch: the verdict, the output byte
 * for byte, and exactly one counter up by one packet of in's length: the
 * expected (app, reason), app 0 for NO_APP; and that the reason means the
 * expected action to the app.
 */
bool judge_xdp_at(const char *file, int line, const struct frame *in,
		  const struct xdp_run *run, const struct expect *exp);

/* Runs in and judges the run. */
/* Variadic: a compound literal for exp has commas in it. */
#define check_xdp(env, in, ...) check_xdp_at(__FILE__, __LINE__, (env), (in), __VA_ARGS__)

bool check_xdp_at(const char *file, int line, const struct test_env *env,
		  const struct frame *in, const struct expect *exp);

#endif
