// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What the app views (board, tree, canvas) share: finding their app. */
#include <errno.h>
#include <stdlib.h>

#include "thingsctl.h"

int view_find_app(const struct ctl_opts *o, const char *cmd, int argc, char **argv, int nargs,
		  const char *args, enum things_app_kind kind, struct appstate_app *app)
{
	char why[APPSTATE_WHY_LEN];
	int err;

	if (argc < nargs)
		return usage_error("'%s' needs %s", cmd, args);
	if (argc > nargs)
		return usage_error("unexpected argument '%s' after '%s %s'", argv[nargs], cmd, args);
	if (!app_name_arg(cmd, 1, argv))
		return EXIT_USAGE;
	err = appstate_find_app(o->pin_dir, argv[0], app, why, sizeof(why));
	if (!err)
		err = appstate_check_kind(app, kind, why, sizeof(why));
	return err ? fail("%s", why) : 0;
}
