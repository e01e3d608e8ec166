// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "env.h"
#include "maps.h"
#include "prefix.h"
#include "world.h"

const uint8_t MAC_IFACE[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t MAC_PEER[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static const struct {
	const char *prefix;
	__u32 app_id;
	__u16 kind;
	__u16 flags;
} prefixes[] = {
	{ "2001:db8:1::/48", APP_ECHO, THINGS_KIND_ECHO, 0 },
	{ "2001:db8:1:ff::/64", APP_SUBNET, THINGS_KIND_ECHO, 0 },
	{ HOST_ROUTED "/128", 0, THINGS_KIND_HOST, 0 },
	{ "2001:db8:2:3::/64", APP_ONLINK, THINGS_KIND_ECHO, THINGS_PF_ONLINK },
	{ HOST_ONLINK "/128", 0, THINGS_KIND_HOST, THINGS_PF_ONLINK },
	{ "fd00:0:0:1::/64", APP_ROUTER, THINGS_KIND_ECHO,
	  THINGS_PF_ONLINK | THINGS_PF_ROUTER },
	{ "2001:db8:5::/48", APP_SILENT, THINGS_KIND_ECHO,
	  THINGS_PF_ONLINK | THINGS_PF_SILENT },
	{ "ff3e:30:2001:db8:1::/96", APP_MCAST, THINGS_KIND_ECHO, THINGS_PF_ONLINK },
	{ "fd00:0:0:99::/64", APP_OUT_OF_RANGE, THINGS_KIND_ECHO, THINGS_PF_ONLINK },
	{ PREFIX_BOARD "/64", APP_BOARD, THINGS_KIND_BOARD, 0 },
	{ PREFIX_TREE "/64", APP_TREE, THINGS_KIND_TREE, 0 },
	/* On-link: answering echo must not depend on it. */
	{ PREFIX_CANVAS "/64", APP_CANVAS, THINGS_KIND_CANVAS, THINGS_PF_ONLINK },
	{ PREFIX_BOARD_SILENT "/64", APP_BOARD_SILENT, THINGS_KIND_BOARD, THINGS_PF_SILENT },
	{ PREFIX_TREE_SILENT "/64", APP_TREE_SILENT, THINGS_KIND_TREE, THINGS_PF_SILENT },
	{ PREFIX_CANVAS_SILENT "/64", APP_CANVAS_SILENT, THINGS_KIND_CANVAS, THINGS_PF_SILENT },
	{ PREFIX_TRACE "/64", APP_TRACE, THINGS_KIND_TRACE, 0 },
};

struct things_app_cfg world_app_cfg(int app)
{
	switch (app) {
	case APP_BOARD:
	case APP_BOARD_SILENT:
		return (struct things_app_cfg){ .lines = BOARD_LINES };
	case APP_TREE:
	case APP_TREE_SILENT:
		return (struct things_app_cfg){ .lights = TREE_LIGHTS };
	case APP_CANVAS:
	case APP_CANVAS_SILENT:
		return (struct things_app_cfg){ .width = CANVAS_WIDTH, .height = CANVAS_HEIGHT };
	}
	return (struct things_app_cfg){ 0 };
}

/* As thingsd makes one: the shape of the `canvases` template, any size. */
static int canvas_create(struct test_env *env, int app)
{
	__u32 key = (__u32)app;
	int fd = things_canvas_create(key, CANVAS_WIDTH, CANVAS_HEIGHT);

	if (fd < 0) {
		fprintf(stderr, "creating the framebuffer of app %d: %s\n", app, strerror(-fd));
		return fd;
	}
	env->fb_fd[app] = fd;
	if (bpf_map_update_elem(env->canvases_fd, &key, &fd, BPF_ANY)) {
		fprintf(stderr, "putting app %d's framebuffer in canvases: %s\n", app,
			strerror(errno));
		return -errno;
	}
	return 0;
}

static int apps_install(struct test_env *env)
{
	for (int app = 1; app < APPS_WATCHED; app++) {
		struct things_app_cfg cfg = world_app_cfg(app);
		__u32 key = (__u32)app;
		int err;

		if (bpf_map_update_elem(env->app_cfg_fd, &key, &cfg, BPF_ANY))
			return -errno;
		if (cfg.width && (err = canvas_create(env, app)))
			return err;
	}
	return 0;
}

struct in6_addr story_list_line(unsigned int h)
{
	struct in6_addr a = addr6("2001:db8:16:1::");

	a.s6_addr[15] = (uint8_t)h;
	return a;
}

struct in6_addr story_addr_line(unsigned int h, unsigned int v)
{
	struct in6_addr a = addr6("2001:db8:16:2::");

	a.s6_addr[13] = (uint8_t)h;
	a.s6_addr[15] = (uint8_t)v;
	return a;
}

static int story_add(struct test_env *env, const char *dest, unsigned int len, __u32 app,
		     __u16 story, __u8 hops, __u8 bits)
{
	struct things_prefix_key key = { .prefixlen = len };
	struct things_story s = { .app_id = app, .story = story, .hops = hops, .bits = bits };
	struct in6_addr a = addr6(dest);

	memcpy(key.addr, &a, sizeof(key.addr));
	return bpf_map_update_elem(env->stories_fd, &key, &s, BPF_ANY) ? -errno : 0;
}

static int line_add(struct test_env *env, __u32 app, __u16 story, __u16 slot,
		    const struct in6_addr *addr)
{
	struct things_story_line_key key = { .app_id = app, .story = story, .slot = slot };
	struct things_story_line line = { 0 };

	memcpy(line.addr, addr, sizeof(line.addr));
	snprintf(line.name, sizeof(line.name), "story-%u.slot-%u", story, slot);
	return bpf_map_update_elem(env->story_lines_fd, &key, &line, BPF_ANY) ? -errno : 0;
}

/* The trace app's stories (world.h). */
static int stories_install(struct test_env *env)
{
	struct in6_addr a;
	int err;

	err = story_add(env, STORY_LIST, 128, APP_TRACE, 0, STORY_LIST_HOPS, 0);
	for (unsigned int h = 1; !err && h <= STORY_LIST_HOPS; h++) {
		a = story_list_line(h);
		err = line_add(env, APP_TRACE, 0, (__u16)(h - 1), &a);
	}
	if (!err)
		err = story_add(env, STORY_ADDR, 80, APP_TRACE, 1, STORY_ADDR_HOPS,
				STORY_ADDR_BITS);
	for (unsigned int h = 1; !err && h <= STORY_ADDR_HOPS; h++)
		for (unsigned int v = 0; !err && v < 1U << STORY_ADDR_BITS; v++) {
			a = story_addr_line(h, v);
			err = line_add(env, APP_TRACE, 1, (__u16)((h - 1) << STORY_ADDR_BITS | v), &a);
		}
	if (!err)
		err = story_add(env, STORY_GAP, 128, APP_TRACE, 2, 2, 0);
	if (!err) {
		a = story_list_line(7);
		err = line_add(env, APP_TRACE, 2, 0, &a);
	}
	if (!err)
		err = story_add(env, STORY_FOREIGN, 128, APP_ECHO, 0, 1, 0);
	if (!err) {
		a = story_list_line(8);
		err = line_add(env, APP_ECHO, 0, 0, &a);
	}
	return err;
}

int world_install(struct test_env *env)
{
	int err;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct things_prefix_value val = {
			.app_id = prefixes[i].app_id,
			.kind = prefixes[i].kind,
			.flags = prefixes[i].flags,
		};
		struct things_prefix_key key;
		const char *why;

		err = things_prefix_parse(prefixes[i].prefix, &key, 0, &why);
		if (err) {
			fprintf(stderr, "%s: %s\n", prefixes[i].prefix, why);
			return err;
		}
		err = things_prefix_set(env->prefixes_fd, &key, &val);
		if (err)
			return err;
	}
	err = apps_install(env);
	if (!err)
		err = stories_install(env);
	if (err)
		return err;
	return things_iface_set(env->ifaces_fd, LO_IFINDEX, MAC_IFACE, 0);
}

struct in6_addr addr6(const char *text)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, text, &a) != 1) {
		fprintf(stderr, "not an IPv6 address: %s\n", text);
		abort();
	}
	return a;
}

struct hdrs hdrs_to(const char *src, const char *dst)
{
	struct hdrs h = { .hop_limit = 64, .src = addr6(src), .dst = addr6(dst) };

	memcpy(h.eth_dst, MAC_IFACE, 6);
	memcpy(h.eth_src, MAC_PEER, 6);
	return h;
}

void hdrs_vary(struct hdrs *h, unsigned int variants)
{
	if (variants & VAR_VLAN)
		hdrs_vlan(h, ETHERTYPE_VLAN, 0x2064);
	if (variants & VAR_QINQ)
		hdrs_vlan(h, ETHERTYPE_QINQ, 0x0fff);
	if (variants & VAR_CLASS_FLOW) {
		h->tclass = 0xb8;
		h->flow = 0xabcde;
	}
	if (variants & (VAR_HBH | VAR_FOUR_EXT))
		hdrs_add_ext(h, PROTO_HOPOPTS, 1, 0);
	if (variants & (VAR_DSTOPTS | VAR_FOUR_EXT))
		hdrs_add_ext(h, PROTO_DSTOPTS, 5, 0);
	if (variants & (VAR_ROUTING | VAR_FOUR_EXT))
		hdrs_add_ext(h, PROTO_ROUTING, 3, 0);
	if (variants & VAR_FOUR_EXT)
		hdrs_add_ext(h, PROTO_DSTOPTS, 1, 0);
}
