/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Requests to the apps that read the address, what they must be answered
 * with, and the app state the tests read back from the maps.
 */
#ifndef SELFTEST_APPS_H
#define SELFTEST_APPS_H

#include <stdbool.h>

#include "env.h"

/* Bytes of echo data in a request unless a test says otherwise: ping's. */
#define APP_DATA_LEN 56

/* prefix (PREFIX_*) with the 8 bytes of iid as its interface ID. */
struct in6_addr app_addr(const char *prefix, const void *iid);

/* An echo request from src to dst with len bytes of data, and the reply
 * it must turn into. */
void app_pair(struct frame *in, struct frame *out, const char *src,
	      const struct in6_addr *dst, size_t len);

bool app_is_silent(int app);

/*
 * Runs a request to app that it must judge as reason, meaning action:
 * answered with out, or for a silent app dropped untouched; the one
 * counter check_xdp() checks.
 */
#define check_app(env, in, out, reason, app, action)				\
	check_xdp((env), (in), &(struct expect){				\
		  app_is_silent(app) ? XDP_DROP : XDP_TX,			\
		  app_is_silent(app) ? NULL : (out), (reason), (app), (action) })

/* A request that must change nothing and get no answer: the kernel
 * judges it (a wrong checksum). */
#define check_app_passed(env, in, reason, app)					\
	check_xdp((env), (in), &(struct expect){ XDP_PASS, NULL, (reason), (app), \
		  THINGS_ACT_INVALID })

/* The app's settings, and setting them for the cases that need others;
 * each returns 0 or -errno. */
int app_cfg_get(const struct test_env *env, int app, struct things_app_cfg *cfg);
int app_cfg_set(const struct test_env *env, int app, const struct things_app_cfg *cfg);

/* The maps the apps write, read back. Each returns 0 or -errno. */
int board_get(const struct test_env *env, int app, struct things_board *b);
int board_log_get(const struct test_env *env, __u32 slot, struct things_board_event *ev);
int tree_get(const struct test_env *env, int app, struct things_tree *t);

#endif
