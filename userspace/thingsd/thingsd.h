/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_H
#define THINGSD_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "dataplane.h"
#include "rtnl.h"

/* An app as the daemon runs it: from the config file, or added at run time
 * with `thingsctl app add` (kept in state_dir, so those survive a reload,
 * a restart and a crash). */
struct app_state {
	struct things_cfg_app cfg;
	__u32 id;			/* index in the apps map, 1.. */
	bool runtime;
};

/* A configured interface as found on the host. */
struct iface_state {
	char name[IF_NAMESIZE];
	enum things_xdp_mode want;
	int ifindex;			/* 0: not present now */
	bool attached;
	enum xdp_attach_mode mode;
	bool allmulti_set;		/* we turned IFF_ALLMULTI on */
	unsigned int xdp_prog_id;	/* as the last link notification said */
	unsigned char mac[6];
};

struct host_addr {
	int ifindex;
	unsigned char addr[16];
};

struct thingsd {
	const char *config_path;
	struct things_config cfg;
	struct dataplane dp;
	struct rtnl *rt;
	struct tcp *tcp;		/* TCP steering and targets (tcp.h) */
	bool keep;			/* leave the data plane running on exit */
	bool root_children;		/* the bounding set was left whole for them */
	time_t started;

	struct app_state *apps;
	int n_apps;
	struct iface_state *ifaces;
	int n_ifaces;
	struct host_addr *addrs;
	int n_addrs;
};

/* apply.c: make the host match the daemon's picture. Each is idempotent. */
int apply_all(struct thingsd *d);
int apply_apps(struct thingsd *d);
int apply_trie(struct thingsd *d);
int apply_routes(struct thingsd *d);
int apply_ifaces(struct thingsd *d);
/* Replaces the config with cfg (taken over) and applies the difference. */
int apply_config(struct thingsd *d, struct things_config *cfg);
/* Runtime apps: 0, or -errno with *why for the caller to report. */
int apply_app_add(struct thingsd *d, const struct things_cfg_app *app, const char **why);
int apply_app_del(struct thingsd *d, const char *name);
/* tcp.c: can the tcp apps, with extra (NULL: none), be ordered? */
int tcp_rules_check(struct thingsd *d, const struct things_cfg_app *extra, const char **why);
/* appmaps.c: app id's settings and state for app (NULL: none any more),
 * given what the apps map held for it (old). */
int appmaps_sync(struct thingsd *d, __u32 id, const struct things_app *old,
		 const struct things_cfg_app *app);
/* stories.c: the trace apps' stories, and the host's error limit. */
int apply_stories(struct thingsd *d);
int apply_err_cfg(struct thingsd *d);
/* ifaces.c, routes.c: the parts of teardown that apply.c shares. */
void iface_down(struct thingsd *d, struct iface_state *ifc);
void routes_remove_ours(struct thingsd *d);
/* Undo what we did to the host; with d->keep the data plane stays. */
void apply_teardown(struct thingsd *d);

/* routes.c: warns (FILE:LINE) of app prefixes that hold one of the host's
 * gateways. Returns how many, or -errno. */
int routes_warn_gateways(struct rtnl *rt, const struct things_config *cfg, const char *path);

/* state.c: the runtime apps, kept in state_dir across restarts. */
int state_load(struct thingsd *d, const char *state_dir);
int state_save(struct thingsd *d, const char **why);

/* host.c: the host's addresses and links, from rtnetlink. */
int host_sync_addrs(struct thingsd *d);
int host_handle_events(struct thingsd *d);

struct app_state *thingsd_app(struct thingsd *d, const char *name);
struct iface_state *thingsd_iface(struct thingsd *d, const char *name);

#endif
