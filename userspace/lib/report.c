// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "maps.h"
#include "names.h"
#include "prefix.h"
#include "report.h"
#include "tcprules.h"

static json_object *counter_json(const struct things_counter *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "packets", json_object_new_uint64(c->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(c->bytes));
	return o;
}

/* Per action: the sum of the reasons that mean it. */
static json_object *actions_json(const struct things_counter row[THINGS_R_MAX])
{
	struct things_counter sums[THINGS_ACT_COUNT] = { 0 };
	json_object *o = json_object_new_object();

	for (__u32 r = 0; r < THINGS_R_MAX; r++) {
		int act = things_reason_action(r);

		sums[act].packets += row[r].packets;
		sums[act].bytes += row[r].bytes;
	}
	for (__u32 act = 0; act < THINGS_ACT_COUNT; act++)
		json_object_object_add(o, things_action_name(act), counter_json(&sums[act]));
	return o;
}

static json_object *app_json(__u32 id, const struct things_app *app, int stats_fd)
{
	struct things_counter row[THINGS_R_MAX];
	json_object *o = json_object_new_object(), *counters;
	char pfx[THINGS_PREFIX_STRLEN];
	const char *kind = things_kind_name(app->kind);

	json_object_object_add(o, "id", json_object_new_int((int)id));
	json_object_object_add(o, "name", json_object_new_string(app->name));
	json_object_object_add(o, "kind", json_object_new_string(kind ? kind : "unknown"));
	json_object_object_add(o, "prefix",
			       json_object_new_string(things_prefix_format(&app->prefix, pfx,
									   sizeof(pfx))));
	json_object_object_add(o, "onlink",
			       json_object_new_boolean(app->flags & THINGS_PF_ONLINK));
	json_object_object_add(o, "silent",
			       json_object_new_boolean(app->flags & THINGS_PF_SILENT));
	json_object_object_add(o, "router",
			       json_object_new_boolean(app->flags & THINGS_PF_ROUTER));
	json_object_object_add(o, "ifindex", json_object_new_int((int)app->ifindex));
	if (things_stats_row(stats_fd, id, row))
		memset(row, 0, sizeof(row));
	counters = actions_json(row);
	json_object_object_add(o, "counters", counters);
	return o;
}

json_object *things_report_apps(int apps_fd, int stats_fd, const char *name)
{
	json_object *arr = json_object_new_array();

	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		struct things_app app;

		if (bpf_map_lookup_elem(apps_fd, &id, &app)) {
			json_object_put(arr);
			return NULL;
		}
		app.name[sizeof(app.name) - 1] = '\0';
		if (!app.name[0] || (name && strcmp(name, app.name)))
			continue;
		json_object_array_add(arr, app_json(id, &app, stats_fd));
	}
	return arr;
}

static void add_uint(json_object *o, const char *key, __u32 v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void things_report_app_settings(json_object *apps, int app_cfg_fd)
{
	for (size_t i = 0; i < json_object_array_length(apps); i++) {
		json_object *app = json_object_array_get_idx(apps, i), *v, *s;
		struct things_app_cfg c;
		const char *kind;
		__u32 id;

		if (!json_object_object_get_ex(app, "id", &v))
			continue;
		id = (__u32)json_object_get_int(v);
		if (bpf_map_lookup_elem(app_cfg_fd, &id, &c))
			continue;
		kind = json_object_get_string(json_object_object_get(app, "kind"));
		s = json_object_new_object();
		if (c.rate) {
			add_uint(s, "rate", c.rate);
			add_uint(s, "burst", c.burst);
			add_uint(s, "rate_prefix", c.rate_prefix);
		}
		if (kind && !strcmp(kind, "board"))
			add_uint(s, "lines", c.lines);
		if (kind && !strcmp(kind, "tree"))
			add_uint(s, "lights", c.lights);
		if (kind && !strcmp(kind, "canvas")) {
			add_uint(s, "width", c.width);
			add_uint(s, "height", c.height);
		}
		json_object_object_add(app, "settings", s);
	}
}

json_object *things_report_stats(int stats_fd, int apps_fd)
{
	struct things_counter total = { 0 }, sums[THINGS_R_MAX] = { 0 };
	struct things_counter (*rows)[THINGS_R_MAX] = calloc(THINGS_MAX_APPS, sizeof(*rows));
	json_object *o, *reasons, *apps;
	int err;

	if (!rows)
		return NULL;
	/* Every app's row, deleted apps' too: the reasons add up to all
	 * traffic since the maps were created. */
	err = things_stats_read(stats_fd, rows);
	for (__u32 id = 0; !err && id < THINGS_MAX_APPS; id++) {
		for (__u32 r = 0; r < THINGS_R_MAX; r++) {
			sums[r].packets += rows[id][r].packets;
			sums[r].bytes += rows[id][r].bytes;
		}
	}
	free(rows);
	if (err) {
		errno = -err;
		return NULL;
	}
	apps = things_report_apps(apps_fd, stats_fd, NULL);
	if (!apps)
		return NULL;
	o = json_object_new_object();
	reasons = json_object_new_object();
	for (__u32 r = 0; r < THINGS_R_MAX; r++) {
		total.packets += sums[r].packets;
		total.bytes += sums[r].bytes;
		json_object_object_add(reasons, things_reason_name(r), counter_json(&sums[r]));
	}
	json_object_object_add(o, "total", counter_json(&total));
	json_object_object_add(o, "reasons", reasons);
	json_object_object_add(o, "apps", apps);
	return o;
}

void things_report_name_interfaces(json_object *apps)
{
	for (size_t i = 0; i < json_object_array_length(apps); i++) {
		json_object *app = json_object_array_get_idx(apps, i), *v;
		char name[IF_NAMESIZE];

		if (!json_object_object_get_ex(app, "onlink", &v) || !json_object_get_boolean(v) ||
		    !json_object_object_get_ex(app, "ifindex", &v))
			continue;
		if (if_indextoname((unsigned int)json_object_get_int(v), name))
			json_object_object_add(app, "interface", json_object_new_string(name));
	}
}

json_object *things_report_ifaces(int ifaces_fd)
{
	json_object *arr = json_object_new_array();
	struct things_iface all[THINGS_MAX_IFACES];
	int n = things_iface_list(ifaces_fd, all, THINGS_MAX_IFACES);

	for (int i = 0; i < n; i++) {
		const struct things_iface ifc = all[i];
		char name[IF_NAMESIZE] = "", mac[18];
		json_object *o;

		o = json_object_new_object();
		if (!if_indextoname(ifc.ifindex, name))
			name[0] = '\0';
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ifc.mac[0], ifc.mac[1],
			 ifc.mac[2], ifc.mac[3], ifc.mac[4], ifc.mac[5]);
		json_object_object_add(o, "ifindex", json_object_new_int((int)ifc.ifindex));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(o, "allmulti_set",
				       json_object_new_boolean(ifc.flags & THINGS_IF_ALLMULTI_SET));
		json_object_array_add(arr, o);
	}
	return arr;
}

#define TCP_COUNTER_NAME(sym, name) name,
static const char *const tcp_counter_names[] = { THINGS_TCP_COUNTERS(TCP_COUNTER_NAME) };

static void tcp_counters(json_object *o, int stats_fd, __u32 id, int target)
{
	__u64 c[THINGS_TCP_N_COUNTERS];
	json_object *raw = json_object_new_object();
	bool box;

	for (__u32 i = 0; i < THINGS_TCP_N_COUNTERS; i++) {
		__u32 idx = THINGS_TCP_STATS_IDX(id, i);

		if (bpf_map_lookup_elem(stats_fd, &idx, &c[i]))
			c[i] = 0;
		json_object_object_add(raw, tcp_counter_names[i], json_object_new_uint64(c[i]));
	}
	box = target > THINGS_TCP_LISTEN || (target < 0 && c[THINGS_TCP_ACCEPTED]);
	/* listen: the kernel accepts for the server, so the program's view
	 * is the rule's; socketbox, inetd, relay: thingsd's (or its relay
	 * worker's), plus what never reached it. */
	json_object_object_add(o, "accepted", json_object_new_uint64(
		box ? c[THINGS_TCP_ACCEPTED] : c[THINGS_TCP_MATCHED]));
	json_object_object_add(o, "passed", json_object_new_uint64(
		box ? c[THINGS_TCP_PASSED] : c[THINGS_TCP_STEERED]));
	json_object_object_add(o, "refused", json_object_new_uint64(
		c[THINGS_TCP_NO_SOCKET] + (box ? c[THINGS_TCP_REFUSED] : 0)));
	json_object_object_add(o, "failed", json_object_new_uint64(
		c[THINGS_TCP_ASSIGN_FAILED] + (box ? c[THINGS_TCP_FAILED] : 0)));
	json_object_object_add(o, "active", json_object_new_uint64(c[THINGS_TCP_ACTIVE]));
	json_object_object_add(o, "bytes_in", json_object_new_uint64(c[THINGS_TCP_BYTES_IN]));
	json_object_object_add(o, "bytes_out", json_object_new_uint64(c[THINGS_TCP_BYTES_OUT]));
	json_object_object_add(o, "timed_out", json_object_new_uint64(c[THINGS_TCP_TIMED_OUT]));
	json_object_object_add(o, "counters", raw);
}

json_object *things_report_tcp(int apps_fd, int tcp_stats_fd, int socks_fd, const int *targets)
{
	json_object *arr = json_object_new_array();

	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		char pfx[THINGS_PREFIX_STRLEN];
		struct things_app app;
		json_object *o;
		__u64 cookie;

		if (bpf_map_lookup_elem(apps_fd, &id, &app)) {
			json_object_put(arr);
			return NULL;
		}
		app.name[sizeof(app.name) - 1] = '\0';
		if (!app.name[0] || app.kind != THINGS_KIND_TCP)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int((int)id));
		json_object_object_add(o, "name", json_object_new_string(app.name));
		json_object_object_add(o, "prefix", json_object_new_string(
			things_prefix_format(&app.prefix, pfx, sizeof(pfx))));
		json_object_object_add(o, "socket", json_object_new_boolean(
			socks_fd >= 0 && !bpf_map_lookup_elem(socks_fd, &id, &cookie)));
		tcp_counters(o, tcp_stats_fd, id, targets ? targets[id] : -1);
		json_object_array_add(arr, o);
	}
	return arr;
}
