// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "apps.h"
#include "world.h"

struct in6_addr app_addr(const char *prefix, const void *iid)
{
	struct in6_addr a = addr6(prefix);

	memcpy(a.s6_addr + 8, iid, 8);
	return a;
}

void app_pair(struct frame *in, struct frame *out, const char *src,
	      const struct in6_addr *dst, size_t len)
{
	struct hdrs h = hdrs_to(src, "::");
	uint8_t data[FRAME_MAX];

	for (size_t i = 0; i < len && i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	h.dst = *dst;
	build_echo_pair(in, out, &h, &(struct echo){ .type = ICMP6_ECHO_REQUEST,
			.id = 0x7070, .seq = 1, .data = data, .data_len = len });
}

bool app_is_silent(int app)
{
	return app == APP_BOARD_SILENT || app == APP_TREE_SILENT || app == APP_CANVAS_SILENT;
}

static int lookup(int fd, __u32 key, void *val)
{
	return bpf_map_lookup_elem(fd, &key, val) ? -errno : 0;
}

int app_cfg_get(const struct test_env *env, int app, struct things_app_cfg *cfg)
{
	return lookup(env->app_cfg_fd, (__u32)app, cfg);
}

int app_cfg_set(const struct test_env *env, int app, const struct things_app_cfg *cfg)
{
	__u32 key = (__u32)app;

	return bpf_map_update_elem(env->app_cfg_fd, &key, cfg, BPF_ANY) ? -errno : 0;
}

int board_get(const struct test_env *env, int app, struct things_board *b)
{
	return lookup(env->boards_fd, (__u32)app, b);
}

int board_log_get(const struct test_env *env, __u32 slot, struct things_board_event *ev)
{
	return lookup(env->board_log_fd, slot, ev);
}

int tree_get(const struct test_env *env, int app, struct things_tree *t)
{
	return lookup(env->trees_fd, (__u32)app, t);
}
