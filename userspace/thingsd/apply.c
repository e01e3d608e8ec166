// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reconciliation: each apply_* reads what is there (maps, routes, links) and
 * changes only what differs from the daemon's picture, so a reload, a
 * restart over pinned state, or a resync after lost notifications are all
 * the same operation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <net/if.h>

#include "log.h"
#include "maps.h"
#include "names.h"
#include "prefix.h"
#include "tcp.h"
#include "thingsd.h"

struct app_state *thingsd_app(struct thingsd *d, const char *name)
{
	for (int i = 0; i < d->n_apps; i++)
		if (!strcmp(d->apps[i].cfg.name, name))
			return &d->apps[i];
	return NULL;
}

struct iface_state *thingsd_iface(struct thingsd *d, const char *name)
{
	for (int i = 0; i < d->n_ifaces; i++)
		if (!strcmp(d->ifaces[i].name, name))
			return &d->ifaces[i];
	return NULL;
}

/* ---- apps map: ids that outlive the daemon ---- */

static bool id_taken(const struct thingsd *d, __u32 id)
{
	for (int i = 0; i < d->n_apps; i++)
		if (d->apps[i].id == id)
			return true;
	return false;
}

static int app_ifindex(struct thingsd *d, const struct things_cfg_app *app)
{
	struct iface_state *ifc = app->onlink ? thingsd_iface(d, app->iface) : NULL;

	return ifc ? ifc->ifindex : 0;
}

static int reset_app_counters(struct thingsd *d, __u32 id)
{
	tcp_counters_zero(d->tcp, id);
	return things_counters_zero(d->dp.stats_fd, THINGS_STATS_IDX(id, 0), THINGS_REASON_SLOTS);
}

int apply_apps(struct thingsd *d)
{
	struct things_app slots[THINGS_MAX_APPS];
	int err;

	for (__u32 id = 0; id < THINGS_MAX_APPS; id++)
		if (bpf_map_lookup_elem(d->dp.apps_fd, &id, &slots[id]))
			return -errno;

	/* Known names keep their ids, so counters follow the app. */
	for (int i = 0; i < d->n_apps; i++) {
		struct app_state *a = &d->apps[i];

		for (__u32 id = 1; !a->id && id < THINGS_MAX_APPS; id++)
			if (!strncmp(slots[id].name, a->cfg.name, sizeof(slots[id].name)) &&
			    !id_taken(d, id))
				a->id = id;
	}
	for (int i = 0; i < d->n_apps; i++) {
		struct app_state *a = &d->apps[i];

		for (__u32 id = 1; !a->id && id < THINGS_MAX_APPS; id++)
			if (!slots[id].name[0] && !id_taken(d, id)) {
				a->id = id;
				err = reset_app_counters(d, id);
				if (err)
					return err;
			}
		if (!a->id)
			return -ENOSPC;
	}

	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		struct things_app want = { 0 };
		const struct things_cfg_app *cfg = NULL;

		for (int i = 0; i < d->n_apps; i++) {
			struct app_state *a = &d->apps[i];

			if (a->id != id)
				continue;
			cfg = &a->cfg;
			strcpy(want.name, a->cfg.name);
			want.prefix = a->cfg.prefix;
			want.kind = (__u16)a->cfg.kind;
			want.flags = things_cfg_app_flags(&a->cfg);
			want.ifindex = (__u32)app_ifindex(d, &a->cfg);
		}
		/* The app's state and settings are in place before its prefix
		 * is in the trie (apply_trie comes after). */
		if (cfg || slots[id].name[0]) {
			err = appmaps_sync(d, id, &slots[id], cfg);
			if (err)
				return err;
		}
		if (!memcmp(&want, &slots[id], sizeof(want)))
			continue;
		if (bpf_map_update_elem(d->dp.apps_fd, &id, &want, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* ---- the prefixes trie: apps, and the host's own addresses ---- */

struct trie_entry {
	struct things_prefix_key key;
	struct things_prefix_value val;
};

static int desired_entries(struct thingsd *d, struct trie_entry **out)
{
	struct trie_entry *e = calloc((size_t)(d->n_apps + d->n_addrs + 1), sizeof(*e));
	int n = 0;

	if (!e)
		return -ENOMEM;
	for (int i = 0; i < d->n_apps; i++, n++) {
		e[n].key = d->apps[i].cfg.prefix;
		e[n].val.app_id = d->apps[i].id;
		e[n].val.kind = (__u16)d->apps[i].cfg.kind;
		e[n].val.flags = things_cfg_app_flags(&d->apps[i].cfg);
	}
	/* Later entries win: the host's own address beats an app's /128. */
	for (int i = 0; i < d->n_addrs; i++, n++) {
		e[n].key.prefixlen = 128;
		memcpy(e[n].key.addr, d->addrs[i].addr, 16);
		e[n].val.kind = THINGS_KIND_HOST;
	}
	*out = e;
	return n;
}

static bool entry_wanted(const struct trie_entry *e, int n, const struct things_prefix_key *k)
{
	for (int i = 0; i < n; i++)
		if (!memcmp(&e[i].key, k, sizeof(*k)))
			return true;
	return false;
}

int apply_trie(struct thingsd *d)
{
	struct things_prefix_key key, next, *stale = NULL;
	struct trie_entry *want;
	int n_want, n_stale = 0, err = 0;
	void *prev = NULL;

	n_want = desired_entries(d, &want);
	if (n_want < 0)
		return n_want;
	/* Lookups go to the trie while it changes. */
	err = things_fast_off(d->dp.fast_fd);
	if (err)
		goto out;

	/* Collect first: deleting while walking an LPM trie restarts the walk. */
	while (!bpf_map_get_next_key(d->dp.prefixes_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (entry_wanted(want, n_want, &key))
			continue;
		struct things_prefix_key *more = realloc(stale, (size_t)(n_stale + 1) * sizeof(*stale));

		if (!more) {
			err = -ENOMEM;
			goto out;
		}
		stale = more;
		stale[n_stale++] = key;
	}
	for (int i = 0; i < n_want && !err; i++)
		err = things_prefix_set(d->dp.prefixes_fd, &want[i].key, &want[i].val);
	for (int i = 0; i < n_stale && !err; i++) {
		err = things_prefix_del(d->dp.prefixes_fd, &stale[i]);
		if (err == -ENOENT)
			err = 0;
	}
	if (!err)
		err = things_fast_sync(d->dp.fast_fd, d->dp.prefixes_fd);
out:
	free(stale);
	free(want);
	return err;
}

int apply_all(struct thingsd *d)
{
	int err;

	err = apply_ifaces(d);
	if (!err)
		err = apply_apps(d);
	/* Stories before the prefixes: a trace app goes live with them. */
	if (!err)
		err = apply_stories(d);
	if (!err)
		err = apply_err_cfg(d);
	if (!err)
		err = apply_trie(d);
	/* Rules and their sockets before the routes that bring connections. */
	if (!err)
		err = apply_tcp(d);
	if (!err)
		err = apply_routes(d);
	return err;
}

/* ---- config changes ---- */

static int build_ifaces(struct thingsd *d, const struct things_config *cfg,
			struct iface_state **out)
{
	struct iface_state *n = calloc((size_t)cfg->n_ifaces + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (int i = 0; i < cfg->n_ifaces; i++) {
		struct iface_state *old = thingsd_iface(d, cfg->ifaces[i].name);

		if (old)
			n[i] = *old;
		strcpy(n[i].name, cfg->ifaces[i].name);
		n[i].want = cfg->ifaces[i].mode;
	}
	*out = n;
	return 0;
}

static int build_apps(struct thingsd *d, const struct things_config *cfg,
		      struct app_state **out, int *count)
{
	struct app_state *n = calloc((size_t)(cfg->n_apps + d->n_apps) + 1, sizeof(*n));
	int k = 0;

	if (!n)
		return -ENOMEM;
	for (int i = 0; i < cfg->n_apps; i++, k++) {
		struct app_state *old = thingsd_app(d, cfg->apps[i].name);

		n[k].cfg = cfg->apps[i];
		n[k].id = old ? old->id : 0;
	}
	for (int i = 0; i < d->n_apps; i++) {
		struct app_state *a = &d->apps[i];
		bool clash = false;

		if (!a->runtime)
			continue;
		for (int j = 0; j < cfg->n_apps; j++)
			clash |= !strcmp(cfg->apps[j].name, a->cfg.name) ||
				 (!memcmp(&cfg->apps[j].prefix, &a->cfg.prefix, sizeof(a->cfg.prefix)) &&
				  !(a->cfg.kind == THINGS_KIND_TCP &&
				    cfg->apps[j].kind == THINGS_KIND_TCP));
		if (a->cfg.onlink && !things_config_iface(cfg, a->cfg.iface))
			clash = true;
		if (clash) {
			pr_warn("runtime app '%s' conflicts with the new config: removed\n",
				a->cfg.name);
			continue;
		}
		n[k++] = *a;
	}
	*out = n;
	*count = k;
	return 0;
}

int apply_config(struct thingsd *d, struct things_config *cfg)
{
	struct iface_state *ifaces = NULL;
	struct app_state *apps = NULL;
	const char *why;
	int n_apps, err;

	err = build_ifaces(d, cfg, &ifaces);
	if (!err)
		err = build_apps(d, cfg, &apps, &n_apps);
	if (err) {
		free(ifaces);
		things_config_free(cfg);
		return err;
	}
	for (int i = 0; i < d->n_ifaces; i++)
		if (!things_config_iface(cfg, d->ifaces[i].name))
			iface_down(d, &d->ifaces[i]);

	free(d->ifaces);
	free(d->apps);
	things_config_free(&d->cfg);
	d->cfg = *cfg;
	d->ifaces = ifaces;
	d->n_ifaces = cfg->n_ifaces;
	d->apps = apps;
	d->n_apps = n_apps;
	err = apply_all(d);
	/* Runtime apps the new config pushed out are gone for good. */
	if (state_save(d, &why))
		pr_warn("cannot keep the runtime apps: %s\n", why);
	return err;
}

int apply_app_add(struct thingsd *d, const struct things_cfg_app *app, const char **why)
{
	struct app_state *more;
	int err;

	if (thingsd_app(d, app->name)) {
		*why = "an app of that name exists";
		return -EEXIST;
	}
	for (int i = 0; i < d->n_apps; i++)
		if (!memcmp(&d->apps[i].cfg.prefix, &app->prefix, sizeof(app->prefix)) &&
		    !(app->kind == THINGS_KIND_TCP && d->apps[i].cfg.kind == THINGS_KIND_TCP)) {
			*why = "another app has exactly that prefix";
			return -EEXIST;
		}
	if (app->kind == THINGS_KIND_TCP && tcp_rules_check(d, app, why))
		return -EINVAL;
	if (app->onlink && !thingsd_iface(d, app->iface)) {
		*why = "on-link apps need an interface from the config";
		return -EINVAL;
	}
	if (d->n_apps >= THINGS_MAX_APPS - 1) {
		*why = "no free app id";
		return -ENOSPC;
	}
	more = realloc(d->apps, (size_t)(d->n_apps + 1) * sizeof(*more));
	if (!more) {
		*why = "out of memory";
		return -ENOMEM;
	}
	d->apps = more;
	memset(&d->apps[d->n_apps], 0, sizeof(d->apps[0]));
	d->apps[d->n_apps].cfg = *app;
	d->apps[d->n_apps].runtime = true;
	d->n_apps++;
	err = apply_all(d);
	if (err)
		*why = strerror(-err);
	/* Kept before it is reported added: a crash now loses nothing. */
	else
		err = state_save(d, why);
	if (err) {
		/* Leave no half-added app behind: back to what was. */
		d->n_apps--;
		apply_all(d);
	}
	return err;
}

int apply_app_del(struct thingsd *d, const char *name)
{
	struct app_state *a = thingsd_app(d, name);
	const char *why;
	bool runtime;
	int err;

	if (!a)
		return -ENOENT;
	runtime = a->runtime;
	*a = d->apps[--d->n_apps];
	err = apply_all(d);
	if (runtime && state_save(d, &why))
		pr_warn("cannot keep the runtime apps: %s\n", why);
	return err;
}

void apply_teardown(struct thingsd *d)
{
	if (d->keep) {
		pr_info("--keep: leaving things_xdp attached and the local routes in place\n");
		return;
	}
	for (int i = 0; i < d->n_ifaces; i++)
		iface_down(d, &d->ifaces[i]);
	routes_remove_ours(d);
}
