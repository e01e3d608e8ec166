// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* canvas export, canvas clear: the framebuffer as a PNG, or black again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thingsctl.h"

/* To standard output the PNG is encoded in memory first, so a reader sees
 * a whole picture or nothing, never the start of one. */
static int png_to_stdout(const __u32 *pixels, unsigned int w, unsigned int h)
{
	char why[APPSTATE_WHY_LEN];
	size_t len;
	void *png;
	int ret = EXIT_SUCCESS;

	if (appstate_png_encode(pixels, w, h, APPSTATE_PNG_RGB, &png, &len, why, sizeof(why)))
		return fail("%s", why);
	if (fwrite(png, 1, len, stdout) != len || fflush(stdout))
		ret = fail("cannot write the PNG to standard output: %s", strerror(errno));
	free(png);
	return ret;
}

/* A file that could not be written whole is removed, not left half a
 * picture. */
static int png_to_file(const char *path, const __u32 *pixels, unsigned int w, unsigned int h)
{
	char why[APPSTATE_WHY_LEN];
	FILE *out = fopen(path, "wb");
	int err;

	if (!out)
		return fail("cannot create %s: %s", path, strerror(errno));
	err = appstate_png_write(out, pixels, w, h, APPSTATE_PNG_RGB, why, sizeof(why));
	if (fclose(out) && !err) {
		err = -errno;
		snprintf(why, sizeof(why), "cannot write %s: %s", path, strerror(-err));
	}
	if (err) {
		unlink(path);
		return fail("%s", why);
	}
	return EXIT_SUCCESS;
}

int cmd_canvas_export(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	size_t count;
	__u32 *pixels;
	json_object *res;
	int ret = view_find_app(o, cmd, argc, argv, 2, "NAME FILE", THINGS_KIND_CANVAS, &app);

	if (ret)
		return ret;
	if (o->json && !strcmp(argv[1], "-"))
		return usage_error("-j and FILE '-' would both write to standard output");
	count = (size_t)app.cfg.width * app.cfg.height;
	pixels = malloc((count ? count : 1) * sizeof(*pixels));
	if (!pixels)
		return fail("out of memory for %zu pixels", count);
	if (appstate_canvas_read(o->pin_dir, &app, pixels, count, why, sizeof(why)))
		ret = fail("%s", why);
	else
		ret = strcmp(argv[1], "-") ?
			      png_to_file(argv[1], pixels, app.cfg.width, app.cfg.height) :
			      png_to_stdout(pixels, app.cfg.width, app.cfg.height);
	free(pixels);
	if (ret || !o->json)
		return ret;
	res = json_object_new_object();
	json_object_object_add(res, "width", json_object_new_int(app.cfg.width));
	json_object_object_add(res, "height", json_object_new_int(app.cfg.height));
	json_object_object_add(res, "file", json_object_new_string(argv[1]));
	print_json(o, res);
	json_object_put(res);
	return EXIT_SUCCESS;
}

int cmd_canvas_clear(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	int err, ret = view_find_app(o, cmd, argc, argv, 1, "NAME", THINGS_KIND_CANVAS, &app);

	if (ret)
		return ret;
	err = appstate_canvas_clear(o->pin_dir, &app, why, sizeof(why));
	if (err == -EACCES || err == -EPERM)
		return fail("%s (clearing a canvas needs root)", why);
	if (err)
		return fail("%s", why);
	if (o->json)
		puts("{}");
	return EXIT_SUCCESS;
}
