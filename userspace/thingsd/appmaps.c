// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The state of the apps that read the address: their app_cfg slot, their
 * board or tree, their canvas framebuffer. All of it is pinned and outlives
 * the daemon; it is reset only when its app id gets another app, another
 * kind, or a size that no longer fits the state (a board's lines, a
 * canvas's width and height), and never for any other app.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "maps.h"
#include "thingsd.h"

static int canvas_pin_path(const struct thingsd *d, __u32 id, char *path, size_t len)
{
	char name[32];

	snprintf(name, sizeof(name), THINGS_PIN_CANVAS_FMT, id);
	if ((size_t)snprintf(path, len, "%s/%s", d->dp.pin_dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The framebuffer pinned for id, if its size is right: its fd, else -1. */
static int canvas_find(const struct thingsd *d, __u32 id, __u32 slots)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (canvas_pin_path(d, id, path, sizeof(path)))
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.max_entries != slots ||
	    info.value_size != sizeof(struct things_canvas_slot)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void canvas_remove(struct thingsd *d, __u32 id)
{
	char path[PATH_MAX];

	bpf_map_delete_elem(d->dp.canvases_fd, &id);
	if (!canvas_pin_path(d, id, path, sizeof(path)) && !unlink(path))
		pr_debug("removed the framebuffer %s\n", path);
}

/* A new, black framebuffer of the app's size in place of any other. */
static int canvas_make(struct thingsd *d, __u32 id, const struct things_cfg_app *app)
{
	char path[PATH_MAX];
	int fd, err;

	err = canvas_pin_path(d, id, path, sizeof(path));
	if (err)
		return err;
	fd = things_canvas_create(id, app->width, app->height);
	if (fd < 0) {
		pr_err("app '%s': cannot make a %ux%u framebuffer: %s\n", app->name, app->width,
		       app->height, strerror(-fd));
		return fd;
	}
	unlink(path);
	if (bpf_obj_pin(fd, path) || bpf_map_update_elem(d->dp.canvases_fd, &id, &fd, BPF_ANY)) {
		err = -errno;
		pr_err("app '%s': cannot put its framebuffer in place (%s): %s\n", app->name, path,
		       strerror(errno));
		unlink(path);
	} else {
		pr_info("app '%s': a new %ux%u canvas\n", app->name, app->width, app->height);
	}
	close(fd);
	return err;
}

/* The framebuffer for a canvas: the pinned one if it fits, else a new one. */
static int canvas_sync(struct thingsd *d, __u32 id, const struct things_cfg_app *app, bool reset)
{
	int fd = reset ? -1 : canvas_find(d, id, THINGS_CANVAS_SLOTS(app->width, app->height));
	int err = 0;

	if (fd < 0)
		return canvas_make(d, id, app);
	/* Pinned and right: make sure the data plane sees this one. */
	if (bpf_map_update_elem(d->dp.canvases_fd, &id, &fd, BPF_ANY)) {
		err = -errno;
		pr_err("app '%s': cannot put its framebuffer in place: %s\n", app->name,
		       strerror(errno));
	}
	close(fd);
	return err;
}

static int zero_slot(int fd, __u32 id, size_t size)
{
	void *zero = calloc(1, size);
	int err = 0;

	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, &id, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

/* Does the state kept for id (old, old_cfg) still belong to app? */
static bool state_fits(const struct things_app *old, const struct things_app_cfg *old_cfg,
		       const struct things_cfg_app *app, const struct things_app_cfg *cfg)
{
	if (strncmp(old->name, app->name, sizeof(old->name)) || old->kind != app->kind)
		return false;
	switch (app->kind) {
	case THINGS_KIND_BOARD:
		return old_cfg->lines == cfg->lines;
	case THINGS_KIND_TREE:
		return old_cfg->lights == cfg->lights;
	case THINGS_KIND_CANVAS:
		return old_cfg->width == cfg->width && old_cfg->height == cfg->height;
	}
	return true;
}

int appmaps_sync(struct thingsd *d, __u32 id, const struct things_app *old,
		 const struct things_cfg_app *app)
{
	struct things_app_cfg old_cfg = { 0 }, cfg = { 0 };
	bool fits;
	int err = 0;

	if (bpf_map_lookup_elem(d->dp.app_cfg_fd, &id, &old_cfg))
		return -errno;
	if (app)
		cfg = things_cfg_app_params(app);
	fits = app && state_fits(old, &old_cfg, app, &cfg);
	if (!fits && old->name[0] && app)
		pr_info("app '%s' (id %u): new state%s\n", app->name, id,
			strncmp(old->name, app->name, sizeof(old->name)) ? "" :
			" (its kind or size changed)");

	/* Whatever the slot held before that is not this app's any more. */
	if (!fits) {
		if (old->kind == THINGS_KIND_BOARD || (app && app->kind == THINGS_KIND_BOARD))
			err = zero_slot(d->dp.boards_fd, id, sizeof(struct things_board));
		if (!err && (old->kind == THINGS_KIND_TREE || (app && app->kind == THINGS_KIND_TREE)))
			err = zero_slot(d->dp.trees_fd, id, sizeof(struct things_tree));
		if (!err && old->kind == THINGS_KIND_CANVAS &&
		    !(app && app->kind == THINGS_KIND_CANVAS))
			canvas_remove(d, id);
	}
	if (!err && app && app->kind == THINGS_KIND_CANVAS)
		err = canvas_sync(d, id, app, !fits);
	if (!err && memcmp(&old_cfg, &cfg, sizeof(cfg)) &&
	    bpf_map_update_elem(d->dp.app_cfg_fd, &id, &cfg, BPF_ANY))
		err = -errno;
	return err;
}
