// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include "dataplane.h"
#include "log.h"
#include "things.skel.h"

#define BPFFS_ROOT "/sys/fs/bpf"

static int ensure_bpffs(const char *pin_dir)
{
	struct statfs st;
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (statfs(parent, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (strcmp(parent, BPFFS_ROOT)) {
		pr_err("%s is not on a BPF filesystem: mount one there or choose a pin_dir under %s\n",
		       parent, BPFFS_ROOT);
		return -ENOTDIR;
	}
	pr_info("mounting bpffs on %s\n", BPFFS_ROOT);
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_err("cannot mount bpffs on %s: %s\n", BPFFS_ROOT, strerror(errno));
		return err;
	}
	return 0;
}

static int set_pin_paths(struct bpf_object *obj, const char *pin_dir)
{
	struct bpf_map *map;
	char path[PATH_MAX + 64];

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		/* .rodata and friends are the program's own, not state. */
		if (strchr(name, '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
		if (bpf_map__set_pin_path(map, path))
			return -errno;
	}
	return 0;
}

/* An object whose maps are the pinned ones: libbpf reuses a pinned map on
 * load, or creates and pins it. */
static struct things_bpf *open_pinned(const char *pin_dir)
{
	struct things_bpf *skel = things_bpf__open();
	int err;

	if (!skel)
		return NULL;
	err = set_pin_paths(skel->obj, pin_dir);
	if (err) {
		things_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

/*
 * Loads the program with the pinned maps (creating the pins, or checking
 * that existing ones fit this program) before any interface needs it, so
 * the maps exist and can be filled while nothing is attached. The loaded
 * program is kept: it is what replaces an earlier things_xdp attached
 * without libxdp's dispatcher.
 */
static int load_direct(struct dataplane *dp)
{
	int err;

	dp->direct = open_pinned(dp->pin_dir);
	if (!dp->direct) {
		err = -errno;
		pr_err("cannot open the BPF object: %s\n", strerror(errno));
		return err;
	}
	err = things_bpf__load(dp->direct);
	if (err) {
		pr_err("cannot load things_xdp with the maps pinned in %s: %s "
		       "(maps pinned by an incompatible version must be removed first)\n",
		       dp->pin_dir, strerror(-err));
		things_bpf__destroy(dp->direct);
		dp->direct = NULL;
	}
	return err;
}

static int open_pin(const char *pin_dir, const char *name, int *fd)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		int err = -errno;

		pr_err("cannot open pinned map %s: %s\n", path, strerror(errno));
		return err;
	}
	return 0;
}

static int open_maps(struct dataplane *dp)
{
	struct {
		const char *name;
		int *fd;
	} pins[] = {
		{ THINGS_PIN_PREFIXES, &dp->prefixes_fd },
		{ THINGS_PIN_FAST, &dp->fast_fd },
		{ THINGS_PIN_IFACES, &dp->ifaces_fd },
		{ THINGS_PIN_APPS, &dp->apps_fd },
		{ THINGS_PIN_STATS, &dp->stats_fd },
	};

	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		int err = open_pin(dp->pin_dir, pins[i].name, pins[i].fd);

		if (err)
			return err;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void close_maps(struct dataplane *dp)
{
	close_fd(&dp->prefixes_fd);
	close_fd(&dp->fast_fd);
	close_fd(&dp->ifaces_fd);
	close_fd(&dp->apps_fd);
	close_fd(&dp->stats_fd);
}

int dataplane_open(struct dataplane *dp, const char *pin_dir)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .prog_name = "things_xdp");
	int err;

	memset(dp, 0, sizeof(*dp));
	dp->prefixes_fd = dp->fast_fd = dp->ifaces_fd = dp->apps_fd = -1;
	dp->stats_fd = -1;
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", pin_dir);
	err = ensure_bpffs(pin_dir);
	if (err)
		return err;
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		err = -errno;
		pr_err("cannot create %s: %s\n", pin_dir, strerror(errno));
		return err;
	}
	err = load_direct(dp);
	if (err)
		return err;
	err = open_maps(dp);
	if (err)
		goto err_maps;

	/* libxdp loads this one itself, as an extension of its dispatcher,
	 * when it is first attached. */
	dp->skel = open_pinned(pin_dir);
	if (!dp->skel) {
		err = -errno;
		pr_err("cannot open the BPF object: %s\n", strerror(errno));
		goto err_maps;
	}
	opts.obj = dp->skel->obj;
	dp->prog = xdp_program__create(&opts);
	err = (int)libxdp_get_error(dp->prog);
	if (err) {
		dp->prog = NULL;
		pr_err("cannot prepare things_xdp for libxdp: %s\n", strerror(-err));
		goto err_skel;
	}
	return 0;

err_skel:
	things_bpf__destroy(dp->skel);
	dp->skel = NULL;
err_maps:
	close_maps(dp);
	things_bpf__destroy(dp->direct);
	dp->direct = NULL;
	return err;
}

/* Pinned so that the program's id and tag can be found from the pins. */
static void pin_prog(struct dataplane *dp, int prog_fd)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, THINGS_PIN_PROG_XDP);
	unlink(path);
	if (bpf_obj_pin(prog_fd, path))
		pr_warn("cannot pin the program at %s: %s\n", path, strerror(errno));
}

static bool is_things_prog(struct xdp_program *p)
{
	return !strcmp(xdp_program__name(p), "things_xdp");
}

/* Detaches the things_xdp programs on ifindex other than keep_id. */
static int detach_others(int ifindex, __u32 keep_id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p = NULL;
	enum xdp_attach_mode mode;
	int err = (int)libxdp_get_error(mp);

	if (err)
		return err == -ENOENT ? 0 : err;
	if (!mp)
		return 0;
	mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && is_things_prog(p) && xdp_program__id(p) != keep_id)
			err = xdp_program__detach(p, ifindex, mode, 0);
		goto out;
	}
	while ((p = xdp_multiprog__next_prog(p, mp))) {
		if (!is_things_prog(p) || xdp_program__id(p) == keep_id)
			continue;
		err = xdp_program__detach(p, ifindex, mode, 0);
		if (err)
			break;
	}
out:
	xdp_multiprog__close(mp);
	return err;
}

/*
 * Without libxdp's dispatcher (a kernel that refuses freplace programs
 * makes libxdp attach one program directly), a new things_xdp cannot join
 * an old one: it takes its place atomically instead.
 */
static int replace_direct(struct dataplane *dp, int ifindex, struct xdp_program *old,
			  enum xdp_attach_mode mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = xdp_program__fd(old));
	__u32 flags = XDP_FLAGS_REPLACE |
		      (mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

	if (bpf_xdp_attach(ifindex, bpf_program__fd(dp->direct->progs.things_xdp), flags, &opts))
		return -errno;
	return 0;
}

/* Someone else's program attached directly: name it, never replace it. */
static int attached_directly(struct dataplane *dp, int ifindex, enum xdp_attach_mode *mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int err = 0;

	if (libxdp_get_error(mp) || !mp || !xdp_multiprog__is_legacy(mp))
		goto out;
	p = xdp_multiprog__main_prog(mp);
	if (!p)
		goto out;
	*mode = xdp_multiprog__attach_mode(mp);
	if (is_things_prog(p)) {
		err = replace_direct(dp, ifindex, p, *mode);
		if (err)
			pr_err("ifindex %d: cannot replace the earlier things_xdp: %s\n", ifindex,
			       strerror(-err));
		else
			err = 1;
	} else {
		pr_err("ifindex %d: XDP program '%s' (id %u) is attached without libxdp's "
		       "dispatcher, so nothing can run beside it: unload it first\n",
		       ifindex, xdp_program__name(p), xdp_program__id(p));
		err = -EBUSY;
	}
out:
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	return err;
}

int dataplane_attach(struct dataplane *dp, int ifindex, enum things_xdp_mode mode,
		     enum xdp_attach_mode *mode_out)
{
	enum xdp_attach_mode want = mode == THINGS_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	int err;

	err = attached_directly(dp, ifindex, mode_out);
	if (err > 0) {
		pr_info("ifindex %d: replaced the earlier things_xdp in place\n", ifindex);
		pin_prog(dp, bpf_program__fd(dp->direct->progs.things_xdp));
		return 0;
	}
	if (err)
		return err;

	err = xdp_program__attach(dp->prog, ifindex, want, 0);
	if (err && want == XDP_MODE_NATIVE && err != -EBUSY && err != -EEXIST) {
		pr_warn("ifindex %d: native XDP failed (%s), falling back to generic mode\n",
			ifindex, strerror(-err));
		want = XDP_MODE_SKB;
		err = xdp_program__attach(dp->prog, ifindex, want, 0);
	}
	if (err) {
		pr_err("ifindex %d: cannot attach things_xdp: %s\n", ifindex, strerror(-err));
		return err;
	}
	pin_prog(dp, xdp_program__fd(dp->prog));
	*mode_out = want;
	/* The new program runs before the old one is taken out: a daemon
	 * restart never leaves a gap. */
	err = detach_others(ifindex, xdp_program__id(dp->prog));
	if (err)
		pr_warn("ifindex %d: cannot detach an earlier things_xdp: %s\n", ifindex,
			strerror(-err));
	return 0;
}

int dataplane_detach(int ifindex)
{
	return detach_others(ifindex, 0);
}

void dataplane_close(struct dataplane *dp)
{
	if (dp->prog)
		xdp_program__close(dp->prog);
	dp->prog = NULL;
	if (dp->skel)
		things_bpf__destroy(dp->skel);
	dp->skel = NULL;
	things_bpf__destroy(dp->direct);
	dp->direct = NULL;
	close_maps(dp);
}
