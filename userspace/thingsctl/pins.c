// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * While thingsd is down the data plane keeps running on its pinned maps;
 * these reports read them with the daemon's own report functions, so both
 * paths print the same thing.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "report.h"
#include "thingsctl.h"
#include "things_abi.h"

struct pins {
	int apps;
	int stats;
	int ifaces;
	int app_cfg;	/* -1: pinned by a version without it */
	int tcp_stats;	/* -1 likewise */
	int tcp_socks;
};

static int open_pin(const char *dir, const char *name, int *fd, char *why, size_t why_len)
{
	char path[PATH_MAX];

	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* Reading is all we do: the pins need not be writable to us. */
	*fd = bpf_obj_get_opts(path, &ro);
	if (*fd < 0) {
		snprintf(why, why_len, "cannot open the pinned map %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int pins_open(struct pins *p, const char *dir, char *why, size_t why_len)
{
	if (open_pin(dir, THINGS_PIN_APPS, &p->apps, why, why_len) ||
	    open_pin(dir, THINGS_PIN_STATS, &p->stats, why, why_len) ||
	    open_pin(dir, THINGS_PIN_IFACES, &p->ifaces, why, why_len))
		return -1;
	if (open_pin(dir, THINGS_PIN_APP_CFG, &p->app_cfg, why, why_len))
		p->app_cfg = -1;
	if (open_pin(dir, THINGS_PIN_TCP_STATS, &p->tcp_stats, why, why_len))
		p->tcp_stats = -1;
	if (open_pin(dir, THINGS_PIN_TCP_SOCKS, &p->tcp_socks, why, why_len))
		p->tcp_socks = -1;
	return 0;
}

static void pins_close(struct pins *p)
{
	int *fds[] = { &p->apps, &p->stats, &p->ifaces, &p->app_cfg, &p->tcp_stats, &p->tcp_socks };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

/* The pinned program (pinned at its first attach): id, name, tag, or NULL. */
static json_object *program_json(const char *dir)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX], tag[2 * BPF_TAG_SIZE + 1];
	json_object *o = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, THINGS_PIN_PROG_XDP);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return NULL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	for (int i = 0; i < BPF_TAG_SIZE; i++)
		snprintf(tag + 2 * i, 3, "%02x", info.tag[i]);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int((int)info.id));
	json_object_object_add(o, "name", json_object_new_string(info.name));
	json_object_object_add(o, "tag", json_object_new_string(tag));
out:
	close(fd);
	return o;
}

/* What `status` can say without the daemon: the same keys where the pins
 * know the answer, "running": false, and the pinned program. */
static json_object *status_json(const struct ctl_opts *o, const struct pins *p)
{
	json_object *st, *apps, *ifaces = things_report_ifaces(p->ifaces);

	apps = things_report_apps(p->apps, p->stats, NULL);
	if (!apps) {
		json_object_put(ifaces);
		return NULL;
	}
	for (size_t i = 0; i < json_object_array_length(ifaces); i++) {
		json_object *ifc = json_object_array_get_idx(ifaces, i);
		const char *mode =
			xdp_things_mode(json_object_get_int(json_object_object_get(ifc, "ifindex")));

		json_object_object_add(ifc, "attached", json_object_new_boolean(strcmp(mode, "none")));
		json_object_object_add(ifc, "mode", json_object_new_string(mode));
	}
	st = json_object_new_object();
	json_object_object_add(st, "running", json_object_new_boolean(0));
	json_object_object_add(st, "pin_dir", json_object_new_string(o->pin_dir));
	json_object_object_add(st, "run_dir", json_object_new_string(o->run_dir));
	json_object_object_add(st, "program", program_json(o->pin_dir));
	json_object_object_add(st, "apps", json_object_new_int((int)json_object_array_length(apps)));
	json_object_object_add(st, "interfaces", ifaces);
	json_object_put(apps);
	return st;
}

json_object *pins_report(const struct ctl_opts *o, enum pin_report what, const char *name,
			 char *why, size_t why_len)
{
	struct pins p = { .apps = -1, .stats = -1, .ifaces = -1, .app_cfg = -1, .tcp_stats = -1,
			  .tcp_socks = -1 };
	json_object *res = NULL;

	if (pins_open(&p, o->pin_dir, why, why_len))
		goto out;
	switch (what) {
	case PIN_REPORT_STATUS:
		res = status_json(o, &p);
		break;
	case PIN_REPORT_APPS:
		res = things_report_apps(p.apps, p.stats, name);
		if (res)
			things_report_name_interfaces(res);
		if (res && p.app_cfg >= 0)
			things_report_app_settings(res, p.app_cfg);
		break;
	case PIN_REPORT_IFACES:
		res = things_report_ifaces(p.ifaces);
		break;
	case PIN_REPORT_TCP:
		res = p.tcp_stats < 0 ? json_object_new_array() :
			things_report_tcp(p.apps, p.tcp_stats, p.tcp_socks, NULL);
		break;
	case PIN_REPORT_STATS:
		res = things_report_stats(p.stats, p.apps);
		if (res)
			things_report_name_interfaces(json_object_object_get(res, "apps"));
		break;
	}
	if (!res)
		snprintf(why, why_len, "cannot read the maps pinned in %s: %s", o->pin_dir,
			 strerror(errno));
out:
	pins_close(&p);
	return res;
}
