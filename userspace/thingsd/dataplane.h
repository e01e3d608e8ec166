/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_DATAPLANE_H
#define THINGSD_DATAPLANE_H

#include <limits.h>
#include <xdp/libxdp.h>
#include "config.h"

struct things_bpf;

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
};

/* Mounts bpffs if need be, loads things_xdp with the maps pinned under
 * pin_dir (reusing them when they exist) and pins the program. */
int dataplane_open(struct dataplane *dp, const char *pin_dir);
/* Attaches through libxdp's dispatcher, replacing any earlier things_xdp
 * on the interface without a moment unanswered. *mode_out: what it got. */
int dataplane_attach(struct dataplane *dp, int ifindex, enum things_xdp_mode mode,
		     enum xdp_attach_mode *mode_out);
/* Detaches every things_xdp from the interface. */
int dataplane_detach(int ifindex);
void dataplane_close(struct dataplane *dp);

#endif
