// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The control protocol's commands (control_proto.h): one request in, one
 * reply out. Fields are checked strictly: a field a command does not take,
 * or a value of the wrong JSON type, is an error that names it. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control.h"
#include "control_parse.h"
#include "log.h"
#include "names.h"
#include "prefix.h"
#include "report.h"
#include "tcp.h"
#include "thingsd.h"

json_object *control_error(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static json_object *ok_reply(json_object *result)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "result", result ? result : json_object_new_object());
	return o;
}

/* Adds the daemon's own knowledge (origin) to the apps report. */
static void mark_origin(struct thingsd *d, json_object *apps)
{
	for (size_t i = 0; i < json_object_array_length(apps); i++) {
		json_object *app = json_object_array_get_idx(apps, i), *name;
		struct app_state *a;

		if (!json_object_object_get_ex(app, "name", &name))
			continue;
		a = thingsd_app(d, json_object_get_string(name));
		json_object_object_add(app, "origin",
				       json_object_new_string(a && a->runtime ? "runtime" : "config"));
		if (a && a->cfg.onlink)
			json_object_object_add(app, "interface", json_object_new_string(a->cfg.iface));
	}
}

static json_object *status(struct thingsd *d)
{
	json_object *o = json_object_new_object(), *ifaces = json_object_new_array();

	json_object_object_add(o, "running", json_object_new_boolean(1));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "config", json_object_new_string(d->config_path));
	json_object_object_add(o, "pin_dir", json_object_new_string(d->cfg.pin_dir));
	json_object_object_add(o, "run_dir", json_object_new_string(d->cfg.run_dir));
	json_object_object_add(o, "state_dir", json_object_new_string(d->cfg.state_dir));
	json_object_object_add(o, "started", json_object_new_int64(d->started));
	json_object_object_add(o, "apps", json_object_new_int(d->n_apps));
	for (int i = 0; i < d->n_ifaces; i++) {
		struct iface_state *ifc = &d->ifaces[i];
		json_object *j = json_object_new_object();
		enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
		/* What is attached now, not what we last did: someone else may
		 * have detached it since. */
		enum dp_owner owner = ifc->ifindex ? dataplane_query(&d->dp, ifc->ifindex, &mode)
						   : DP_NONE;

		json_object_object_add(j, "name", json_object_new_string(ifc->name));
		json_object_object_add(j, "ifindex", json_object_new_int(ifc->ifindex));
		json_object_object_add(j, "attached", json_object_new_boolean(owner == DP_OURS));
		json_object_object_add(j, "mode", json_object_new_string(
			owner != DP_OURS ? "none" : mode == XDP_MODE_SKB ? "generic" : "native"));
		json_object_object_add(j, "program", json_object_new_string(dataplane_owner_name(owner)));
		json_object_object_add(j, "allmulti_set", json_object_new_boolean(ifc->allmulti_set));
		json_object_array_add(ifaces, j);
	}
	json_object_object_add(o, "interfaces", ifaces);
	return o;
}

struct command {
	const char *name;
	const char *const fields[3];	/* besides "command" */
	bool changes;
	json_object *(*run)(struct thingsd *d, json_object *req, int fd);
};

static json_object *need_name(json_object *req, const char *cmd, const char **name)
{
	if (control_get_str(req, "name", name))
		return control_error("field \"name\" must be a string");
	if (!*name)
		return control_error("%s needs a \"name\"", cmd);
	if (!things_app_name_valid(*name))
		return control_error("no app named that: app names are letters, digits, '-', '_' and '.'");
	return NULL;
}

static json_object *cmd_status(struct thingsd *d, json_object *req, int fd)
{
	(void)fd;
	(void)req;
	return ok_reply(status(d));
}

static json_object *apps_report(struct thingsd *d, const char *name)
{
	json_object *j = things_report_apps(d->dp.apps_fd, d->dp.stats_fd, name);

	if (!j)
		return control_error("cannot read the apps map: %s", strerror(errno));
	if (name && !json_object_array_length(j)) {
		json_object_put(j);
		return control_error("no app named '%s'", name);
	}
	things_report_app_settings(j, d->dp.app_cfg_fd);
	mark_origin(d, j);
	return ok_reply(j);
}

static json_object *cmd_app_list(struct thingsd *d, json_object *req, int fd)
{
	(void)fd;
	(void)req;
	return apps_report(d, NULL);
}

static json_object *cmd_app_show(struct thingsd *d, json_object *req, int fd)
{
	(void)fd;
	const char *name;
	json_object *bad = need_name(req, "app-show", &name);

	return bad ? bad : apps_report(d, name);
}

static json_object *cmd_iface_list(struct thingsd *d, json_object *req, int fd)
{
	(void)fd;
	json_object *j = things_report_ifaces(d->dp.ifaces_fd);

	(void)req;
	return j ? ok_reply(j) : control_error("cannot read the ifaces map: %s", strerror(errno));
}

static json_object *cmd_stats(struct thingsd *d, json_object *req, int fd)
{
	(void)fd;
	json_object *j = things_report_stats(d->dp.stats_fd, d->dp.apps_fd);

	(void)req;
	if (!j)
		return control_error("cannot read the counters: %s", strerror(errno));
	mark_origin(d, json_object_object_get(j, "apps"));
	return ok_reply(j);
}

static json_object *cmd_app_add(struct thingsd *d, json_object *req, int fd)
{
	(void)fd;
	struct things_cfg_app app;
	const char *why;
	json_object *j;

	if (!json_object_object_get_ex(req, "app", &j))
		return control_error("app-add needs an \"app\" object");
	why = control_parse_app(j, &app);
	if (why)
		return control_error("%s", why);
	if (apply_app_add(d, &app, &why))
		return control_error("cannot add the app: %s", why);
	pr_info("app '%s' added at run time\n", app.name);
	return ok_reply(NULL);
}

static json_object *cmd_app_del(struct thingsd *d, json_object *req, int fd)
{
	(void)fd;
	const char *name;
	json_object *bad = need_name(req, "app-del", &name);
	int err;

	if (bad)
		return bad;
	err = apply_app_del(d, name);
	if (err == -ENOENT)
		return control_error("no app named '%s'", name);
	if (err)
		return control_error("cannot apply: %s", strerror(-err));
	pr_info("app '%s' deleted\n", name);
	return ok_reply(NULL);
}

static json_object *cmd_reload(struct thingsd *d, json_object *req, int fd)
{
	(void)fd;
	(void)d;
	(void)req;
	kill(getpid(), SIGHUP);
	return ok_reply(NULL);
}

static json_object *cmd_tcp_list(struct thingsd *d, json_object *req, int fd)
{
	json_object *j = tcp_report(d);

	(void)req;
	(void)fd;
	return j ? ok_reply(j) : control_error("cannot read the tcp maps: %s", strerror(errno));
}

static json_object *cmd_tcp_register(struct thingsd *d, json_object *req, int fd)
{
	json_object *result;
	const char *name, *why;
	json_object *bad = need_name(req, "tcp-register", &name);
	bool replaced;

	if (bad)
		return bad;
	if (tcp_register(d, name, fd, &replaced, &why))
		return control_error("cannot register a socket for '%s': %s", name, why);
	pr_info("app '%s': a server registered its listening socket%s\n", name,
		replaced ? " (replacing the one before)" : "");
	result = json_object_new_object();
	json_object_object_add(result, "replaced", json_object_new_boolean(replaced));
	return ok_reply(result);
}

static const struct command commands[] = {
	{ "status", { NULL }, false, cmd_status },
	{ "app-list", { NULL }, false, cmd_app_list },
	{ "app-show", { "name", NULL }, false, cmd_app_show },
	{ "iface-list", { NULL }, false, cmd_iface_list },
	{ "stats", { NULL }, false, cmd_stats },
	{ "app-add", { "app", NULL }, true, cmd_app_add },
	{ "app-del", { "name", NULL }, true, cmd_app_del },
	{ "reload", { NULL }, true, cmd_reload },
	{ "tcp-list", { NULL }, false, cmd_tcp_list },
	{ "tcp-register", { "name", NULL }, true, cmd_tcp_register },
};

json_object *control_handle(struct thingsd *d, json_object *req, bool admin, int fd)
{
	const char *cmd, *bad;

	if (control_get_str(req, "command", &cmd))
		return control_error("field \"command\" must be a string");
	if (!cmd)
		return control_error("request has no \"command\"");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		const char *allowed[5] = { "command" };

		if (strcmp(cmd, c->name))
			continue;
		for (int f = 0; f < 3 && c->fields[f]; f++)
			allowed[f + 1] = c->fields[f];
		bad = control_unknown_field(req, allowed);
		if (bad)
			return control_error("%s takes no field \"%.40s\"", cmd, bad);
		if (c->changes && !admin)
			return control_error("permission denied: %s changes things, which only root may",
					   cmd);
		return c->run(d, req, fd);
	}
	return control_error("unknown command '%.40s'", cmd);
}
