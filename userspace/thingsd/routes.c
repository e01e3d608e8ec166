// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The `local` routes that make the kernel accept an app prefix's traffic: ours
 * carry THINGS_RTPROT, so only those are ever removed. */
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

static const char *pfx_str(const struct things_prefix_key *k, char *buf)
{
	return things_prefix_format(k, buf, THINGS_PREFIX_STRLEN);
}

struct route_list {
	struct things_prefix_key *keys;
	int n;
};

static int collect_route(const struct things_prefix_key *pfx, void *arg)
{
	struct route_list *l = arg;
	struct things_prefix_key *more = realloc(l->keys, (size_t)(l->n + 1) * sizeof(*more));

	if (!more)
		return -ENOMEM;
	l->keys = more;
	l->keys[l->n++] = *pfx;
	return 0;
}

static int sync_routes(struct thingsd *d, bool want_any)
{
	struct route_list ours = { 0 };
	char buf[THINGS_PREFIX_STRLEN];
	int err;

	for (int tries = 0; tries < 10; tries++) {
		ours.n = 0;
		err = rtnl_local_routes_list(d->rt, collect_route, &ours);
		if (err != -EAGAIN)
			break;
	}
	if (err)
		goto out;
	for (int i = 0; i < ours.n; i++) {
		bool wanted = false;

		for (int j = 0; want_any && j < d->n_apps; j++)
			wanted |= !memcmp(&d->apps[j].cfg.prefix, &ours.keys[i], sizeof(ours.keys[i]));
		if (wanted)
			continue;
		err = rtnl_local_route_del(d->rt, &ours.keys[i]);
		if (err && err != -ENOENT) {
			pr_warn("cannot remove local route %s: %s\n", pfx_str(&ours.keys[i], buf),
				strerror(-err));
		} else {
			pr_info("removed local route %s\n", pfx_str(&ours.keys[i], buf));
		}
	}
	for (int j = 0; want_any && j < d->n_apps; j++) {
		bool have = false;

		for (int i = 0; i < ours.n; i++)
			have |= !memcmp(&d->apps[j].cfg.prefix, &ours.keys[i], sizeof(ours.keys[i]));
		if (have)
			continue;
		err = rtnl_local_route_add(d->rt, &d->apps[j].cfg.prefix);
		pfx_str(&d->apps[j].cfg.prefix, buf);
		if (err == -EEXIST)
			pr_info("a local route for %s exists already and is not ours: left alone\n", buf);
		else if (err)
			pr_warn("cannot add local route %s: %s\n", buf, strerror(-err));
		else
			pr_info("added local route %s dev lo\n", buf);
	}
	err = 0;
out:
	free(ours.keys);
	return err;
}

int apply_routes(struct thingsd *d)
{
	return sync_routes(d, true);
}

void routes_remove_ours(struct thingsd *d)
{
	sync_routes(d, false);
}
