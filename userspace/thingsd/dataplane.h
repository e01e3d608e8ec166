/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_DATAPLANE_H
#define THINGSD_DATAPLANE_H

#include <limits.h>
#include <xdp/libxdp.h>
#include "config.h"

struct things_bpf;

/* Control-plane state pinned beside the data plane's maps: the local
 * routes this instance added (hash of struct things_prefix_key). */
#define THINGSD_PIN_ROUTES	"owned_routes"
#define THINGSD_MAX_ROUTES	1024

/* The loaded program and the pinned maps it shares with every earlier and
 * later instance of the daemon. */
struct dataplane {
	struct things_bpf *skel;	/* loaded by libxdp, for its dispatcher */
	struct xdp_program *prog;
	struct things_bpf *direct;	/* loaded by us: replaces a direct attach */
	char pin_dir[PATH_MAX];
	int prefixes_fd;
	int fast_fd;
	int ifaces_fd;
	int apps_fd;
	int stats_fd;
	int app_cfg_fd;
	int boards_fd;
	int trees_fd;
	int canvases_fd;
	int stories_fd;
	int story_lines_fd;
	int err_cfg_fd;
	int routes_fd;
	__u32 prefixes_id;		/* what tells our programs from others' */
};

/* Who runs XDP on an interface, as far as this instance is concerned. */
enum dp_owner {
	DP_NONE,		/* nothing */
	DP_OURS,		/* things_xdp on our pins */
	DP_OTHER_THINGS,	/* things_xdp of another instance (other pins) */
	DP_FOREIGN,		/* some other program, alone */
};

/* Mounts bpffs if need be, loads things_xdp with the maps pinned under
 * pin_dir (reusing them when they exist) and pins the program. */
int dataplane_open(struct dataplane *dp, const char *pin_dir);
/*
 * Makes sure the program loaded now runs on the interface: nothing to do
 * if it does; an earlier one of ours is replaced without a moment
 * unanswered; another instance's or a foreign program is never touched
 * (-EBUSY, logged). *mode_out: the mode it runs in.
 */
int dataplane_attach(struct dataplane *dp, int ifindex, enum things_xdp_mode mode,
		     enum xdp_attach_mode *mode_out);
/* What runs on the interface now (read from the kernel, not remembered). */
enum dp_owner dataplane_query(const struct dataplane *dp, int ifindex,
			      enum xdp_attach_mode *mode);
const char *dataplane_owner_name(enum dp_owner o);
/* Points every map of obj (but .rodata and the like) at its pin under
 * pin_dir, so loading reuses or creates the pins. */
struct bpf_object;
int dataplane_pin_maps(struct bpf_object *obj, const char *pin_dir);
/* Detaches our programs from the interface, never anyone else's. */
int dataplane_detach(const struct dataplane *dp, int ifindex);
void dataplane_close(struct dataplane *dp);

#endif
