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
#include "paths.h"
#include "things.skel.h"

#define BPFFS_ROOT "/sys/fs/bpf"

/* paths_check_pin_dir() allowed pin_dir off bpffs only under an
 * unmounted /sys/fs/bpf: mount it, then make the directories. */
static int ensure_bpffs(const char *pin_dir)
{
	char why[PATH_MAX + 128];
	struct statfs st;
	int err;

	if (statfs(BPFFS_ROOT, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		goto mkdirs;
	if (strncmp(pin_dir, BPFFS_ROOT "/", strlen(BPFFS_ROOT) + 1))
		goto mkdirs;
	pr_info("mounting bpffs on %s\n", BPFFS_ROOT);
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_err("cannot mount bpffs on %s: %s\n", BPFFS_ROOT, strerror(errno));
		return err;
	}
mkdirs:
	err = paths_make_dir(pin_dir, 0700, why, sizeof(why));
	if (err)
		pr_err("pin_dir: %s\n", why);
	return err;
}

int dataplane_pin_maps(struct bpf_object *obj, const char *pin_dir)
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
	err = dataplane_pin_maps(skel->obj, pin_dir);
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

static int map_id(int fd, __u32 *id)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return 0;
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
		{ THINGS_PIN_APP_CFG, &dp->app_cfg_fd },
		{ THINGS_PIN_BOARDS, &dp->boards_fd },
		{ THINGS_PIN_TREES, &dp->trees_fd },
		{ THINGS_PIN_CANVASES, &dp->canvases_fd },
		{ THINGS_PIN_STORIES, &dp->stories_fd },
		{ THINGS_PIN_STORY_LINES, &dp->story_lines_fd },
		{ THINGS_PIN_ERR_CFG, &dp->err_cfg_fd },
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

/* Not the program's: made by us the first time, then found pinned. */
static int open_routes(struct dataplane *dp)
{
	char path[PATH_MAX + 64];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, THINGSD_PIN_ROUTES);
	dp->routes_fd = bpf_obj_get(path);
	if (dp->routes_fd >= 0)
		return 0;
	if (errno != ENOENT) {
		err = -errno;
		pr_err("cannot open %s: %s\n", path, strerror(errno));
		return err;
	}
	dp->routes_fd = bpf_map_create(BPF_MAP_TYPE_HASH, THINGSD_PIN_ROUTES,
				       sizeof(struct things_prefix_key), sizeof(__u32),
				       THINGSD_MAX_ROUTES, NULL);
	if (dp->routes_fd < 0 || bpf_obj_pin(dp->routes_fd, path)) {
		err = -errno;
		pr_err("cannot create %s: %s\n", path, strerror(errno));
		return err;
	}
	return 0;
}

static void close_maps(struct dataplane *dp)
{
	close_fd(&dp->routes_fd);
	close_fd(&dp->app_cfg_fd);
	close_fd(&dp->boards_fd);
	close_fd(&dp->trees_fd);
	close_fd(&dp->canvases_fd);
	close_fd(&dp->stories_fd);
	close_fd(&dp->story_lines_fd);
	close_fd(&dp->err_cfg_fd);
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
	dp->stats_fd = dp->routes_fd = -1;
	dp->app_cfg_fd = dp->boards_fd = dp->trees_fd = dp->canvases_fd = -1;
	dp->stories_fd = dp->story_lines_fd = dp->err_cfg_fd = -1;
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", pin_dir);
	err = ensure_bpffs(pin_dir);
	if (err)
		return err;
	err = load_direct(dp);
	if (err)
		return err;
	err = open_maps(dp);
	if (err)
		goto err_maps;
	err = open_routes(dp);
	if (err)
		goto err_maps;
	err = map_id(dp->prefixes_fd, &dp->prefixes_id);
	if (err) {
		pr_err("cannot read the prefixes map's id: %s\n", strerror(-err));
		goto err_maps;
	}

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

static __u32 prog_id_of_fd(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/*
 * A things_xdp is ours if it uses our pinned prefixes map: the program is
 * known by the pins it works on, not by its name, so another instance's
 * (its own pin_dir) is never taken for ours, and an older one of ours (a
 * restart) always is.
 */
static bool prog_is_ours(const struct dataplane *dp, __u32 prog_id)
{
	__u32 ids[64], len;
	struct bpf_prog_info info;
	bool ours = false;
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (__u32 i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++)
			ours |= ids[i] == dp->prefixes_id;
	close(fd);
	return ours;
}

/* The program this daemon runs (either of the two it may attach). */
static bool is_current(const struct dataplane *dp, __u32 id)
{
	return id && (id == prog_id_of_fd(bpf_program__fd(dp->direct->progs.things_xdp)) ||
		      (dp->prog && id == xdp_program__id(dp->prog)));
}

static enum dp_owner owner_of_id(const struct dataplane *dp, __u32 id, const char *name)
{
	if (prog_is_ours(dp, id))
		return DP_OURS;
	return !strcmp(name, THINGS_PIN_PROG_XDP) ? DP_OTHER_THINGS : DP_FOREIGN;
}

static enum dp_owner owner_of(const struct dataplane *dp, struct xdp_program *p)
{
	return owner_of_id(dp, xdp_program__id(p), xdp_program__name(p));
}

/* The program attached on ifindex without libxdp's dispatcher. */
struct direct_prog {
	__u32 id;			/* 0: none */
	enum xdp_attach_mode mode;
	char name[BPF_OBJ_NAME_LEN];
};

/*
 * Reads what the kernel says runs on ifindex: 1 when it is one program
 * attached directly (or none: d->id 0), 0 when it is libxdp's dispatcher,
 * whose programs only libxdp lists. libxdp 1.3's
 * xdp_multiprog__get_from_ifindex() leaks a descriptor of the program it
 * finds, one per call (fixed in 1.4): a daemon that asks on every reload
 * and status request must not ask it when it need not.
 */
static int direct_prog(int ifindex, struct direct_prog *d)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd;

	memset(d, 0, sizeof(*d));
	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	switch (q.attach_mode) {
	case XDP_ATTACHED_NONE:
		return 1;
	case XDP_ATTACHED_DRV:
		d->mode = XDP_MODE_NATIVE;
		break;
	case XDP_ATTACHED_SKB:
		d->mode = XDP_MODE_SKB;
		break;
	default:
		return 0;
	}
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return 0;
	}
	close(fd);
	if (!strcmp(info.name, "xdp_dispatcher"))
		return 0;
	d->id = q.prog_id;
	snprintf(d->name, sizeof(d->name), "%s", info.name);
	return 1;
}

const char *dataplane_owner_name(enum dp_owner o)
{
	switch (o) {
	case DP_NONE:
		return "none";
	case DP_OURS:
		return "ours";
	case DP_OTHER_THINGS:
		return "another thingsd's";
	case DP_FOREIGN:
		return "foreign";
	}
	return "unknown";
}

/*
 * What runs on ifindex: DP_OURS if a program of ours does (*current says
 * whether it is the one loaded now), else another instance's or a foreign
 * program (*name, *id), else none.
 */
static enum dp_owner examine(const struct dataplane *dp, int ifindex, enum xdp_attach_mode *mode,
			     bool *current, char *name, size_t name_len, __u32 *id)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p = NULL;
	enum dp_owner best = DP_NONE;
	struct direct_prog dp1;

	*current = false;
	if (direct_prog(ifindex, &dp1)) {
		if (!dp1.id)
			return DP_NONE;
		*mode = dp1.mode;
		best = owner_of_id(dp, dp1.id, dp1.name);
		*current = best == DP_OURS && is_current(dp, dp1.id);
		snprintf(name, name_len, "%s", dp1.name);
		*id = dp1.id;
		return best;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || !mp)
		return DP_NONE;
	*mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p) {
			best = owner_of(dp, p);
			*current = best == DP_OURS && is_current(dp, xdp_program__id(p));
			snprintf(name, name_len, "%s", xdp_program__name(p));
			*id = xdp_program__id(p);
		}
		goto out;
	}
	while ((p = xdp_multiprog__next_prog(p, mp))) {
		enum dp_owner o = owner_of(dp, p);

		if (o == DP_OURS) {
			*current |= is_current(dp, xdp_program__id(p));
			best = DP_OURS;
		} else if (o == DP_OTHER_THINGS) {
			/* Another instance beside ours is what matters most. */
			snprintf(name, name_len, "%s", xdp_program__name(p));
			*id = xdp_program__id(p);
			xdp_multiprog__close(mp);
			return DP_OTHER_THINGS;
		}
	}
out:
	xdp_multiprog__close(mp);
	return best;
}

enum dp_owner dataplane_query(const struct dataplane *dp, int ifindex, enum xdp_attach_mode *mode)
{
	char name[64];
	bool current;
	__u32 id;

	return examine(dp, ifindex, mode, &current, name, sizeof(name), &id);
}

/* Detaches our programs on ifindex, except the one loaded now if
 * keep_current. Never anyone else's. */
static int detach_ours(const struct dataplane *dp, int ifindex, bool keep_current)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p = NULL;
	enum xdp_attach_mode mode;
	struct direct_prog d1;
	int err;

	if (direct_prog(ifindex, &d1)) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts);

		if (!d1.id || !prog_is_ours(dp, d1.id) || (keep_current && is_current(dp, d1.id)))
			return 0;
		/* Only if it is still that program: never one attached since. */
		opts.old_prog_fd = bpf_prog_get_fd_by_id(d1.id);
		if (opts.old_prog_fd < 0)
			return 0;
		err = bpf_xdp_detach(ifindex, XDP_FLAGS_REPLACE | (d1.mode == XDP_MODE_SKB ?
				     XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE), &opts) ? -errno : 0;
		close(opts.old_prog_fd);
		return err;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = (int)libxdp_get_error(mp);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (!mp)
		return 0;
	mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && prog_is_ours(dp, xdp_program__id(p)) &&
		    !(keep_current && is_current(dp, xdp_program__id(p))))
			err = xdp_program__detach(p, ifindex, mode, 0);
		goto out;
	}
	while ((p = xdp_multiprog__next_prog(p, mp))) {
		if (!prog_is_ours(dp, xdp_program__id(p)) ||
		    (keep_current && is_current(dp, xdp_program__id(p))))
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
static int replace_direct(struct dataplane *dp, int ifindex, __u32 old_id,
			  enum xdp_attach_mode mode)
{
	int old_fd = bpf_prog_get_fd_by_id(old_id), err = 0;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
	__u32 flags = XDP_FLAGS_REPLACE |
		      (mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

	if (old_fd < 0)
		return -errno;
	if (bpf_xdp_attach(ifindex, bpf_program__fd(dp->direct->progs.things_xdp), flags, &opts))
		err = -errno;
	close(old_fd);
	return err;
}

int dataplane_attach(struct dataplane *dp, int ifindex, enum things_xdp_mode mode,
		     enum xdp_attach_mode *mode_out)
{
	enum xdp_attach_mode want = mode == THINGS_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	enum xdp_attach_mode have = XDP_MODE_UNSPEC;
	struct xdp_multiprog *mp;
	bool current, legacy = false;
	char name[64] = "";
	__u32 id = 0;
	int err;

	switch (examine(dp, ifindex, &have, &current, name, sizeof(name), &id)) {
	case DP_OTHER_THINGS:
		pr_err("ifindex %d: another thingsd's things_xdp (id %u, with other pins) runs "
		       "here: one interface is served by one instance\n", ifindex, id);
		return -EBUSY;
	case DP_OURS:
		if (current) {
			*mode_out = have;
			return 0;	/* nothing to do: a reload */
		}
		break;
	case DP_FOREIGN:
		pr_err("ifindex %d: XDP program '%s' (id %u) is attached without libxdp's "
		       "dispatcher, so nothing can run beside it: unload it first\n",
		       ifindex, name, id);
		return -EBUSY;
	case DP_NONE:
		break;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		legacy = xdp_multiprog__is_legacy(mp);
		if (legacy)
			id = xdp_program__id(xdp_multiprog__main_prog(mp));
		xdp_multiprog__close(mp);
	}
	if (legacy) {
		/* Our older program, attached alone: replaced in place. */
		err = replace_direct(dp, ifindex, id, have);
		if (err) {
			pr_err("ifindex %d: cannot replace the earlier things_xdp: %s\n", ifindex,
			       strerror(-err));
			return err;
		}
		pr_info("ifindex %d: replaced the earlier things_xdp in place\n", ifindex);
		pin_prog(dp, bpf_program__fd(dp->direct->progs.things_xdp));
		*mode_out = have;
		return 0;
	}

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
	err = detach_ours(dp, ifindex, true);
	if (err)
		pr_warn("ifindex %d: cannot detach an earlier things_xdp: %s\n", ifindex,
			strerror(-err));
	return 0;
}

int dataplane_detach(const struct dataplane *dp, int ifindex)
{
	return detach_ours(dp, ifindex, false);
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
