// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The `local` routes that make the kernel accept an app prefix's traffic.
 * Ours carry THINGS_RTPROT, but so do those of any other thingsd on the
 * host (with its own pin_dir): each instance also records the routes it
 * added in a pinned map of its own, and only ever removes those. The
 * record is written before the route is added, so a crash between the two
 * leaves a record of a route that is not there, which the next sync
 * settles, never a route no one owns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
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

static bool listed(const struct route_list *l, const struct things_prefix_key *k)
{
	for (int i = 0; i < l->n; i++)
		if (!memcmp(&l->keys[i], k, sizeof(*k)))
			return true;
	return false;
}

static bool wanted(const struct thingsd *d, bool want_any, const struct things_prefix_key *k)
{
	for (int j = 0; want_any && j < d->n_apps; j++)
		if (!memcmp(&d->apps[j].cfg.prefix, k, sizeof(*k)))
			return true;
	return false;
}

static int owned_list(struct thingsd *d, struct route_list *owned)
{
	struct things_prefix_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(d->dp.routes_fd, prev, &next)) {
		int err = collect_route(&next, owned);

		if (err)
			return err;
		key = next;
		prev = &key;
	}
	return 0;
}

static void add_route(struct thingsd *d, const struct things_prefix_key *pfx)
{
	char buf[THINGS_PREFIX_STRLEN];
	__u32 one = 1;
	int err;

	pfx_str(pfx, buf);
	if (bpf_map_update_elem(d->dp.routes_fd, pfx, &one, BPF_ANY)) {
		pr_warn("cannot record local route %s: %s: not adding it\n", buf, strerror(errno));
		return;
	}
	err = rtnl_local_route_add(d->rt, pfx);
	if (!err) {
		pr_info("added local route %s dev lo\n", buf);
		return;
	}
	bpf_map_delete_elem(d->dp.routes_fd, pfx);
	if (err == -EEXIST)
		pr_info("a local route for %s exists already and is not ours: left alone\n", buf);
	else
		pr_warn("cannot add local route %s: %s\n", buf, strerror(-err));
}

static int sync_routes(struct thingsd *d, bool want_any)
{
	struct route_list kernel = { 0 }, owned = { 0 };
	char buf[THINGS_PREFIX_STRLEN];
	int err;

	for (int tries = 0; tries < 10; tries++) {
		kernel.n = 0;
		err = rtnl_local_routes_list(d->rt, collect_route, &kernel);
		if (err != -EAGAIN)
			break;
	}
	if (!err)
		err = owned_list(d, &owned);
	if (err)
		goto out;
	for (int i = 0; i < owned.n; i++) {
		const struct things_prefix_key *k = &owned.keys[i];

		if (wanted(d, want_any, k) && listed(&kernel, k))
			continue;
		if (listed(&kernel, k)) {
			err = rtnl_local_route_del(d->rt, k);
			if (err && err != -ENOENT) {
				pr_warn("cannot remove local route %s: %s\n", pfx_str(k, buf),
					strerror(-err));
				continue;	/* still ours: tried again next time */
			}
			pr_info("removed local route %s\n", pfx_str(k, buf));
		}
		/* Gone, or wanted again and added below. */
		bpf_map_delete_elem(d->dp.routes_fd, k);
	}
	for (int j = 0; want_any && j < d->n_apps; j++) {
		const struct things_prefix_key *k = &d->apps[j].cfg.prefix;
		bool seen = false;

		/* tcp apps may share a prefix: one route for it. */
		for (int i = 0; i < j && !seen; i++)
			seen = !memcmp(&d->apps[i].cfg.prefix, k, sizeof(*k));
		if (seen || (listed(&owned, k) && listed(&kernel, k)))
			continue;
		if (listed(&kernel, k)) {
			pr_info("local route %s belongs to another thingsd: left alone\n",
				pfx_str(k, buf));
			continue;
		}
		add_route(d, k);
	}
	err = 0;
out:
	free(kernel.keys);
	free(owned.keys);
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

/* ---- gateways an app prefix would swallow ---- */

struct gw_check {
	const struct things_config *cfg;
	const char *path;
	int warned;
};

static int check_gateway(const struct things_prefix_key *dst, const unsigned char gw[16],
			 void *arg)
{
	struct gw_check *c = arg;
	char g[THINGS_PREFIX_STRLEN], p[THINGS_PREFIX_STRLEN], r[THINGS_PREFIX_STRLEN];
	struct things_prefix_key gwk = { .prefixlen = 128 };

	memcpy(gwk.addr, gw, 16);
	for (int i = 0; i < c->cfg->n_apps; i++) {
		const struct things_cfg_app *app = &c->cfg->apps[i];

		if (!things_prefix_contains(&app->prefix, gw))
			continue;
		pfx_str(&gwk, g);
		g[strlen(g) - 4] = '\0';	/* the "/128" */
		fprintf(stderr,
			"%s:%d: warning: app '%s' prefix %s holds %s, the gateway of the route to "
			"%s: the program would answer for that router\n",
			c->path, app->key_line[THINGS_CFG_APP_PREFIX] > 0 ?
			app->key_line[THINGS_CFG_APP_PREFIX] : app->line,
			app->name, pfx_str(&app->prefix, p), g, pfx_str(dst, r));
		c->warned++;
	}
	return 0;
}

int routes_warn_gateways(struct rtnl *rt, const struct things_config *cfg, const char *path)
{
	struct gw_check c = { .cfg = cfg, .path = path };
	int err = -EAGAIN;

	for (int tries = 0; tries < 10 && err == -EAGAIN; tries++)
		err = rtnl_gateways_list(rt, check_gateway, &c);
	return err ? err : c.warned;
}
