// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Apps added at run time outlive the daemon: they are kept in
 * STATE_DIR/runtime-apps.conf, in the config file's own [app NAME] syntax
 * (so an operator can read it, and the one parser checks it), rewritten
 * whole and renamed into place after every change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "paths.h"
#include "thingsd.h"

int state_save(struct thingsd *d, const char **why)
{
	static char msg[PATH_MAX + 160];
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	int err = 0, n = 0;

	*why = msg;
	if (!out) {
		snprintf(msg, sizeof(msg), "out of memory");
		return -ENOMEM;
	}
	fprintf(out, "# Apps added with `thingsctl app add`, kept by thingsd: not for editing\n"
		     "# while it runs (it rewrites this file on every change).\n\n");
	for (int i = 0; i < d->n_apps && !err; i++)
		if (d->apps[i].runtime) {
			err = things_cfg_app_write(&d->apps[i].cfg, out);
			n++;
		}
	if (fclose(out) || err) {
		free(text);
		snprintf(msg, sizeof(msg), "cannot format the runtime apps");
		return -EIO;
	}
	err = paths_write_file(d->cfg.state_dir, THINGS_STATE_APPS_NAME, text, size, msg,
			       sizeof(msg));
	free(text);
	if (!err)
		pr_debug("%d runtime app(s) kept in %s/%s\n", n, d->cfg.state_dir,
			 THINGS_STATE_APPS_NAME);
	return err;
}

int state_load(struct thingsd *d, const char *state_dir)
{
	struct things_config apps;
	struct things_config_error e;
	char path[PATH_MAX + 64];
	struct stat st;
	int err;

	snprintf(path, sizeof(path), "%s/%s", state_dir, THINGS_STATE_APPS_NAME);
	if (lstat(path, &st) && errno == ENOENT)
		return 0;
	err = things_config_load_apps(path, &apps, &e);
	if (err) {
		pr_err("%s:%d: %s\n", path, e.line, e.msg);
		return err;
	}
	free(d->apps);
	d->apps = calloc((size_t)apps.n_apps + 1, sizeof(*d->apps));
	if (!d->apps) {
		things_config_free(&apps);
		return -ENOMEM;
	}
	for (int i = 0; i < apps.n_apps; i++) {
		d->apps[i].cfg = apps.apps[i];
		d->apps[i].runtime = true;
	}
	d->n_apps = apps.n_apps;
	if (apps.n_apps)
		pr_info("%d runtime app(s) from %s\n", apps.n_apps, path);
	things_config_free(&apps);
	return 0;
}
