// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The host's own addresses and configured links, followed through
 * rtnetlink notifications. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "maps.h"
#include "thingsd.h"

static int add_addr(const struct rtnl_addr *a, void *arg)
{
	struct thingsd *d = arg;
	struct host_addr *more;

	for (int i = 0; i < d->n_addrs; i++)
		if (!memcmp(d->addrs[i].addr, a->addr, 16) && d->addrs[i].ifindex == a->ifindex)
			return 0;
	more = realloc(d->addrs, (size_t)(d->n_addrs + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	d->addrs = more;
	d->addrs[d->n_addrs].ifindex = a->ifindex;
	memcpy(d->addrs[d->n_addrs].addr, a->addr, 16);
	d->n_addrs++;
	return 0;
}

static void del_addr(struct thingsd *d, const struct rtnl_addr *a)
{
	for (int i = 0; i < d->n_addrs; i++)
		if (!memcmp(d->addrs[i].addr, a->addr, 16) && d->addrs[i].ifindex == a->ifindex) {
			d->addrs[i] = d->addrs[--d->n_addrs];
			return;
		}
}

int host_sync_addrs(struct thingsd *d)
{
	int err, tries = 0;

	/* A dump that an address change interrupted is started again. */
	do {
		d->n_addrs = 0;
		err = rtnl_addr_dump(d->rt, 0, add_addr, d);
	} while (err == -EAGAIN && ++tries < 10);
	return err;
}

static struct iface_state *iface_by_ifindex(struct thingsd *d, int ifindex)
{
	for (int i = 0; i < d->n_ifaces; i++)
		if (d->ifaces[i].ifindex == ifindex)
			return &d->ifaces[i];
	return NULL;
}

struct event_ctx {
	struct thingsd *d;
	bool trie;	/* host addresses changed */
	bool ifaces;	/* a configured link appeared, changed or went */
};

static int on_event(const struct rtnl_event *ev, void *arg)
{
	struct event_ctx *res = arg;
	struct thingsd *d = res->d;
	struct iface_state *ifc;
	int err = 0;

	switch (ev->type) {
	case RTNL_EV_ADDR_NEW:
		err = add_addr(&ev->addr, d);
		res->trie = true;
		break;
	case RTNL_EV_ADDR_DEL:
		del_addr(d, &ev->addr);
		res->trie = true;
		break;
	case RTNL_EV_LINK_NEW:
		ifc = thingsd_iface(d, ev->link.name);
		/* A change of XDP program may be someone detaching ours. */
		if (ifc && (ifc->ifindex != ev->link.ifindex || !ifc->attached ||
			    memcmp(ifc->mac, ev->link.mac, sizeof(ifc->mac)) ||
			    ifc->xdp_prog_id != ev->link.xdp_prog_id))
			res->ifaces = true;
		if (ifc && ifc->ifindex == ev->link.ifindex)
			ifc->xdp_prog_id = ev->link.xdp_prog_id;
		/* A rename away from a configured name. */
		ifc = iface_by_ifindex(d, ev->link.ifindex);
		if (ifc && strcmp(ifc->name, ev->link.name))
			res->ifaces = true;
		break;
	case RTNL_EV_LINK_DEL:
		ifc = iface_by_ifindex(d, ev->link.ifindex);
		if (ifc) {
			pr_info("%s: link removed\n", ifc->name);
			things_iface_del(d->dp.ifaces_fd, (__u32)ifc->ifindex);
			ifc->ifindex = 0;
			ifc->attached = false;
			ifc->allmulti_set = false;
		}
		break;
	}
	return err;
}

int host_handle_events(struct thingsd *d)
{
	struct event_ctx res = { .d = d };
	int err;

	err = rtnl_process_events(d->rt, on_event, &res);
	if (err == -ENOBUFS) {
		pr_warn("rtnetlink notifications were lost: resynchronising\n");
		err = host_sync_addrs(d);
		if (!err)
			err = apply_all(d);
		return err;
	}
	if (err)
		return err;
	if (res.ifaces) {
		err = apply_ifaces(d);
		if (!err)
			err = apply_apps(d);
	}
	if (!err && (res.trie || res.ifaces))
		err = apply_trie(d);
	return err;
}
