// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "env.h"
#include "maps.h"
#include "names.h"
#include "test.h"
#include "things.skel.h"

static struct bpf_object *open_object(const char *obj_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "things_bpf");
	const void *elf;
	size_t size;

	if (obj_path)
		return bpf_object__open_file(obj_path, NULL);
	elf = things_bpf__elf_bytes(&size);
	return bpf_object__open_mem(elf, size, &opts);
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	int fd = bpf_object__find_map_fd_by_name(obj, name);

	if (fd < 0)
		fprintf(stderr, "no map %s in the object\n", name);
	return fd < 0 ? -ENOENT : fd;
}

int env_open(struct test_env *env, const char *obj_path, bool fast)
{
	struct bpf_program *prog;
	int err;

	*env = (struct test_env){ .prog_fd = -1 };
	for (int i = 0; i < APPS_WATCHED; i++)
		env->fb_fd[i] = -1;
	env->obj = open_object(obj_path);
	if (!env->obj)
		return -errno;
	err = bpf_object__load(env->obj);
	if (err)
		goto fail;
	prog = bpf_object__find_program_by_name(env->obj, THINGS_PIN_PROG_XDP);
	err = -ENOENT;
	if (!prog)
		goto fail;
	env->prog_fd = bpf_program__fd(prog);
	if ((err = env->prefixes_fd = map_fd(env->obj, THINGS_PIN_PREFIXES)) < 0 ||
	    (err = env->fast_fd = map_fd(env->obj, THINGS_PIN_FAST)) < 0 ||
	    (err = env->ifaces_fd = map_fd(env->obj, THINGS_PIN_IFACES)) < 0 ||
	    (err = env->stats_fd = map_fd(env->obj, THINGS_PIN_STATS)) < 0 ||
	    (err = env->app_cfg_fd = map_fd(env->obj, THINGS_PIN_APP_CFG)) < 0 ||
	    (err = env->rate_fd = map_fd(env->obj, THINGS_PIN_RATE)) < 0 ||
	    (err = env->boards_fd = map_fd(env->obj, THINGS_PIN_BOARDS)) < 0 ||
	    (err = env->board_log_fd = map_fd(env->obj, THINGS_PIN_BOARD_LOG)) < 0 ||
	    (err = env->trees_fd = map_fd(env->obj, THINGS_PIN_TREES)) < 0 ||
	    (err = env->canvases_fd = map_fd(env->obj, THINGS_PIN_CANVASES)) < 0 ||
	    (err = env->stories_fd = map_fd(env->obj, THINGS_PIN_STORIES)) < 0 ||
	    (err = env->story_lines_fd = map_fd(env->obj, THINGS_PIN_STORY_LINES)) < 0 ||
	    (err = env->err_cfg_fd = map_fd(env->obj, THINGS_PIN_ERR_CFG)) < 0 ||
	    (err = env->err_bucket_fd = map_fd(env->obj, THINGS_PIN_ERR_BUCKET)) < 0)
		goto fail;
	err = world_install(env);
	if (err)
		goto fail;
	if (fast) {
		struct things_fast_table t;
		__u32 zero = 0;

		err = things_fast_sync(env->fast_fd, env->prefixes_fd);
		if (!err && bpf_map_lookup_elem(env->fast_fd, &zero, &t))
			err = -errno;
		/* A world too big for the table would test the trie twice. */
		if (!err && !t.count)
			err = -E2BIG;
		if (err)
			goto fail;
	}
	return 0;
fail:
	env_close(env);
	return err;
}

void env_close(struct test_env *env)
{
	for (int i = 0; i < APPS_WATCHED; i++) {
		if (env->fb_fd[i] >= 0)
			close(env->fb_fd[i]);
		env->fb_fd[i] = -1;
	}
	bpf_object__close(env->obj);
	env->obj = NULL;
}

int env_run(const struct test_env *env, const void *data, size_t len,
	    struct xdp_result *res)
{
	/* The kernel wants data_end to be the frame length and no metadata. */
	struct xdp_md ctx = {
		.data_end = (__u32)len,
		.ingress_ifindex = LO_IFINDEX,
		.rx_queue_index = 0,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data,
		.data_size_in = (__u32)len,
		.data_out = res->out,
		.data_size_out = sizeof(res->out),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);

	if (bpf_prog_test_run_opts(env->prog_fd, &opts))
		return -errno;
	res->verdict = opts.retval;
	res->out_len = opts.data_size_out;
	return 0;
}

int counters_read(const struct test_env *env, struct counters *c)
{
	for (__u32 app = 0; app < APPS_WATCHED; app++) {
		int err = things_stats_row(env->stats_fd, app, c->slot[app]);

		if (err)
			return err;
	}
	return 0;
}

static const char *verdict_name(__u32 v)
{
	static const char *const names[] = {
		[XDP_ABORTED] = "XDP_ABORTED", [XDP_DROP] = "XDP_DROP",
		[XDP_PASS] = "XDP_PASS", [XDP_TX] = "XDP_TX",
		[XDP_REDIRECT] = "XDP_REDIRECT",
	};

	return v < ARRAY_SIZE(names) ? names[v] : "unknown";
}

static void slot_name(size_t idx, char *buf, size_t size)
{
	snprintf(buf, size, "app %zu %s", idx / THINGS_R_MAX,
		 things_reason_name((unsigned int)(idx % THINGS_R_MAX)));
}

/* Only slot `want` (none if negative) may move, by one packet of `bytes`. */
static bool check_moves(const char *file, int line,
			const struct things_counter *before,
			const struct things_counter *after, size_t slots,
			long want, size_t bytes)
{
	bool ok = true;
	char name[64];

	for (size_t i = 0; i < slots; i++) {
		unsigned long long dp = after[i].packets - before[i].packets;
		unsigned long long db = after[i].bytes - before[i].bytes;
		bool wanted = (long)i == want;

		if (dp == wanted && db == (wanted ? bytes : 0))
			continue;
		slot_name(i, name, sizeof(name));
		test_fail_at(file, line, "%s: expected +%d packets +%zu bytes, got +%llu +%llu",
			     name, wanted, wanted ? bytes : 0, dp, db);
		ok = false;
	}
	return ok;
}

int xdp_run(const struct test_env *env, const struct frame *in, struct xdp_run *run)
{
	int err = counters_read(env, &run->before);

	if (!err)
		err = env_run(env, in->b, in->len, &run->res);
	if (!err)
		err = counters_read(env, &run->after);
	return err;
}

bool judge_xdp_at(const char *file, int line, const struct frame *in,
		  const struct xdp_run *run, const struct expect *exp)
{
	const struct frame *want = exp->out ? exp->out : in;
	long slot = (exp->app == NO_APP ? 0 : exp->app) * THINGS_R_MAX + (long)exp->reason;
	const struct xdp_result *res = &run->res;
	bool ok;

	if (!ASSERT_TRUE(exp->app < APPS_WATCHED, "expected app is watched"))
		return false;
	test_log("%s:%d: %zu bytes in, %s, %zu bytes out", file, line, in->len,
		 verdict_name(res->verdict), res->out_len);
	ok = res->verdict == exp->verdict;
	if (!ok)
		test_fail_at(file, line, "verdict: expected %s, got %s",
			     verdict_name(exp->verdict), verdict_name(res->verdict));
	ok &= test_memeq(file, line, res->out, res->out_len, want->b, want->len,
			 "output frame");
	ok &= check_moves(file, line, &run->before.slot[0][0], &run->after.slot[0][0],
			  APPS_WATCHED * THINGS_R_MAX, slot, in->len);
	if (exp->app != NO_APP && things_reason_action(exp->reason) != (int)exp->action) {
		test_fail_at(file, line, "reason %s means %s to an app, not %s",
			     things_reason_name(exp->reason),
			     things_action_name((unsigned int)things_reason_action(exp->reason)),
			     things_action_name(exp->action));
		ok = false;
	}
	return ok;
}

bool check_xdp_at(const char *file, int line, const struct test_env *env,
		  const struct frame *in, const struct expect *exp)
{
	struct xdp_run run;

	if (!ASSERT_OK(xdp_run(env, in, &run), "run the frame"))
		return false;
	return judge_xdp_at(file, line, in, &run, exp);
}
