// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Configured interfaces: the data plane attached, the MAC in the ifaces map,
 * allmulticast while an on-link app needs it, and undoing all of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <net/if.h>

#include "log.h"
#include "maps.h"
#include "prefix.h"
#include "thingsd.h"

static bool iface_needs_allmulti(struct thingsd *d, const char *name)
{
	for (int i = 0; i < d->n_apps; i++)
		if (d->apps[i].cfg.onlink && !strcmp(d->apps[i].cfg.iface, name))
			return true;
	return false;
}

static void iface_allmulti(struct thingsd *d, struct iface_state *ifc, unsigned int link_flags)
{
	bool need = iface_needs_allmulti(d, ifc->name);
	int err;

	if (need && !(link_flags & IFF_ALLMULTI)) {
		err = rtnl_link_set_allmulti(d->rt, ifc->ifindex, true);
		if (err)
			pr_warn("%s: cannot set allmulticast: %s\n", ifc->name, strerror(-err));
		else
			ifc->allmulti_set = true;
	} else if (!need && ifc->allmulti_set) {
		err = rtnl_link_set_allmulti(d->rt, ifc->ifindex, false);
		if (err)
			pr_warn("%s: cannot clear allmulticast: %s\n", ifc->name, strerror(-err));
		ifc->allmulti_set = false;
	}
}

static int iface_up(struct thingsd *d, struct iface_state *ifc)
{
	struct things_iface prev = { 0 };
	struct rtnl_link link;
	int err;

	err = rtnl_link_get_by_name(d->rt, ifc->name, &link);
	if (err) {
		if (ifc->ifindex || err != -ENODEV)
			pr_warn("%s: not present (%s): will attach when it appears\n", ifc->name,
				strerror(-err));
		ifc->ifindex = 0;
		ifc->attached = false;
		return 0;
	}
	if (ifc->ifindex != link.ifindex)
		ifc->attached = false;
	ifc->ifindex = link.ifindex;
	memcpy(ifc->mac, link.mac, sizeof(ifc->mac));

	/* A daemon before us may have turned allmulticast on. */
	if (!things_iface_get(d->dp.ifaces_fd, (__u32)ifc->ifindex, &prev) &&
	    (prev.flags & THINGS_IF_ALLMULTI_SET))
		ifc->allmulti_set = true;
	iface_allmulti(d, ifc, link.flags);
	err = things_iface_set(d->dp.ifaces_fd, (__u32)ifc->ifindex, ifc->mac,
			       ifc->allmulti_set ? THINGS_IF_ALLMULTI_SET : 0);
	if (err == -ENOSPC)
		pr_err("%s: the ifaces map has no slot left for ifindex %d: slots %d to %d"
		       " (mod %d) hold other interfaces\n", ifc->name, ifc->ifindex,
		       ifc->ifindex % THINGS_IFACE_SLOTS,
		       (ifc->ifindex + THINGS_IFACE_PROBES - 1) % THINGS_IFACE_SLOTS,
		       THINGS_IFACE_SLOTS);
	else if (err)
		pr_err("%s: writing the ifaces map: %s\n", ifc->name, strerror(-err));
	if (err)
		return err;
	/* Ask the kernel what runs there rather than trust our own flag:
	 * someone may have detached the program since. */
	if (ifc->attached && dataplane_query(&d->dp, ifc->ifindex, &ifc->mode) != DP_OURS)
		pr_warn("%s: things_xdp was detached by someone else: attaching it again\n",
			ifc->name);
	err = dataplane_attach(&d->dp, ifc->ifindex, ifc->want, &ifc->mode);
	if (err) {
		ifc->attached = false;
		return err;
	}
	if (!ifc->attached)
		pr_info("%s: things_xdp attached (%s mode)\n", ifc->name,
			ifc->mode == XDP_MODE_SKB ? "generic" : "native");
	ifc->attached = true;
	return 0;
}

/* Interfaces in the pinned map that the config no longer names, say after
 * a change made while the daemon was down: undo what was done to them. */
static void forget_stale_ifaces(struct thingsd *d)
{
	struct things_iface all[THINGS_MAX_IFACES];
	int n = things_iface_list(d->dp.ifaces_fd, all, THINGS_MAX_IFACES);

	for (int i = 0; i < n; i++) {
		struct iface_state gone = { .ifindex = (int)all[i].ifindex };
		bool known = false;

		for (int j = 0; j < d->n_ifaces; j++)
			known |= d->ifaces[j].ifindex == gone.ifindex;
		if (known)
			continue;
		if (!if_indextoname(all[i].ifindex, gone.name))
			snprintf(gone.name, sizeof(gone.name), "ifindex %u", all[i].ifindex);
		gone.allmulti_set = all[i].flags & THINGS_IF_ALLMULTI_SET;
		pr_info("%s: no longer in the config\n", gone.name);
		iface_down(d, &gone);
	}
}

/* One interface that cannot be served does not keep the others from it;
 * the first error is returned. */
int apply_ifaces(struct thingsd *d)
{
	int err = 0;

	for (int i = 0; i < d->n_ifaces; i++) {
		int e = iface_up(d, &d->ifaces[i]);

		if (!err)
			err = e;
	}
	forget_stale_ifaces(d);
	return err;
}

void iface_down(struct thingsd *d, struct iface_state *ifc)
{
	int err;

	if (!ifc->ifindex)
		return;
	if (ifc->allmulti_set) {
		err = rtnl_link_set_allmulti(d->rt, ifc->ifindex, false);
		if (err && err != -ENODEV)
			pr_warn("%s: cannot clear allmulticast: %s\n", ifc->name, strerror(-err));
		ifc->allmulti_set = false;
	}
	err = dataplane_detach(&d->dp, ifc->ifindex);
	if (err)
		pr_warn("%s: cannot detach things_xdp: %s\n", ifc->name, strerror(-err));
	else
		pr_info("%s: things_xdp detached\n", ifc->name);
	things_iface_del(d->dp.ifaces_fd, (__u32)ifc->ifindex);
	ifc->attached = false;
}
