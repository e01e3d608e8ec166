/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_CONFIG_H
#define THINGS_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include "things_abi.h"

#define THINGS_DEFAULT_CONFIG	"/etc/things/thingsd.conf"
#define THINGS_DEFAULT_RUN_DIR	"/run/things"
#define THINGS_DEFAULT_GROUP	"things"
#define THINGS_SOCKET_NAME	"thingsd.sock"
#define THINGS_LOCK_NAME	"thingsd.lock"

enum things_xdp_mode {
	THINGS_XDP_NATIVE,	/* driver mode; falls back to generic, logged */
	THINGS_XDP_GENERIC,
};

struct things_cfg_iface {
	char name[IF_NAMESIZE];
	enum things_xdp_mode mode;
	int line;
};

struct things_cfg_app {
	char name[THINGS_APP_NAME_MAX];
	int kind;			/* enum things_app_kind, -1 unset */
	struct things_prefix_key prefix;
	bool has_prefix;
	bool onlink;
	bool silent;
	bool router;
	char iface[IF_NAMESIZE];	/* on-link apps only */
	int line;			/* of the section header */
};

struct things_config {
	char pin_dir[PATH_MAX];
	char run_dir[PATH_MAX];		/* control socket and lock file */
	char group[64];			/* may use the control socket */
	struct things_cfg_iface *ifaces;
	int n_ifaces;
	struct things_cfg_app *apps;
	int n_apps;
};

struct things_config_error {
	int line;			/* 0: not about one line */
	char msg[256];
};

/*
 * Reads and validates a whole config file. Nothing is applied here, so a
 * bad file can never half-apply. Returns 0, or -EINVAL (err says where and
 * why), or -errno if the file cannot be read.
 */
int things_config_load(const char *path, struct things_config *cfg,
		       struct things_config_error *err);
void things_config_free(struct things_config *cfg);

/* The [interface] section called name, or NULL. */
const struct things_cfg_iface *things_config_iface(const struct things_config *cfg,
						   const char *name);
/* The prefix-table flags an app's settings map to. */
__u16 things_cfg_app_flags(const struct things_cfg_app *app);

#endif
