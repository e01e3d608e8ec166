// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The control socket: see control_proto.h for the protocol. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <signal.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control.h"
#include "control_proto.h"
#include "log.h"
#include "names.h"
#include "prefix.h"
#include "report.h"
#include "thingsd.h"

struct control {
	int fd;
	gid_t gid;
	bool have_group;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct control *control_open(const char *run_dir, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *ctl = calloc(1, sizeof(*ctl));
	struct group *gr;

	if (!ctl)
		return NULL;
	if ((size_t)snprintf(ctl->path, sizeof(ctl->path), "%s/%s", run_dir, THINGS_SOCKET_NAME) >=
	    sizeof(ctl->path)) {
		pr_err("control socket path under %s is too long\n", run_dir);
		goto err_free;
	}
	strcpy(sa.sun_path, ctl->path);
	ctl->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->fd < 0) {
		pr_err("cannot create the control socket: %s\n", strerror(errno));
		goto err_free;
	}
	/* We hold the lock, so a socket file left here is a dead daemon's. */
	unlink(ctl->path);
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(ctl->fd, 16)) {
		pr_err("cannot listen on %s: %s\n", ctl->path, strerror(errno));
		goto err_close;
	}
	gr = getgrnam(group);
	if (gr) {
		ctl->gid = gr->gr_gid;
		ctl->have_group = true;
		if (chown(ctl->path, 0, gr->gr_gid))
			pr_warn("cannot give %s to group %s: %s\n", ctl->path, group,
				strerror(errno));
	} else {
		pr_info("no group '%s': the control socket is for root only\n", group);
	}
	if (chmod(ctl->path, 0660))
		pr_warn("cannot chmod %s: %s\n", ctl->path, strerror(errno));
	return ctl;

err_close:
	close(ctl->fd);
err_free:
	free(ctl);
	return NULL;
}

int control_fd(const struct control *ctl)
{
	return ctl->fd;
}

void control_close(struct control *ctl)
{
	if (!ctl)
		return;
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

/* root, the socket's group as primary group, or a member of it */
static bool peer_allowed(const struct control *ctl, const struct ucred *cred)
{
	struct passwd *pw;
	gid_t groups[256];
	int n = 256;

	if (cred->uid == 0)
		return true;
	if (!ctl->have_group)
		return false;
	if (cred->gid == ctl->gid)
		return true;
	pw = getpwuid(cred->uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == ctl->gid)
			return true;
	return false;
}

static json_object *error_reply(const char *fmt, const char *arg)
{
	json_object *o = json_object_new_object();
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
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
	json_object_object_add(o, "started", json_object_new_int64(d->started));
	json_object_object_add(o, "apps", json_object_new_int(d->n_apps));
	for (int i = 0; i < d->n_ifaces; i++) {
		struct iface_state *ifc = &d->ifaces[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(ifc->name));
		json_object_object_add(j, "ifindex", json_object_new_int(ifc->ifindex));
		json_object_object_add(j, "attached", json_object_new_boolean(ifc->attached));
		json_object_object_add(j, "mode", json_object_new_string(
			!ifc->attached ? "none" : ifc->mode == XDP_MODE_SKB ? "generic" : "native"));
		json_object_object_add(j, "allmulti_set", json_object_new_boolean(ifc->allmulti_set));
		json_object_array_add(ifaces, j);
	}
	json_object_object_add(o, "interfaces", ifaces);
	return o;
}

static bool get_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Builds a config app from a request, with the config's own rules. */
static const char *parse_app(json_object *j, struct things_cfg_app *app)
{
	const char *name = get_str(j, "name"), *kind = get_str(j, "kind");
	const char *prefix = get_str(j, "prefix"), *iface = get_str(j, "interface"), *why;

	memset(app, 0, sizeof(*app));
	if (!name || !*name || strlen(name) >= sizeof(app->name))
		return "app needs a name of 1 to 31 characters";
	strcpy(app->name, name);
	app->kind = kind ? things_kind_parse(kind) : THINGS_KIND_ECHO;
	if (app->kind != THINGS_KIND_ECHO)
		return "kind must be one this version serves (echo)";
	if (!prefix)
		return "app needs a prefix";
	if (things_prefix_parse(prefix, &app->prefix, 0, &why))
		return why;
	app->has_prefix = true;
	app->onlink = get_bool(j, "onlink");
	app->silent = get_bool(j, "silent");
	app->router = get_bool(j, "router");
	if (iface && strlen(iface) >= sizeof(app->iface))
		return "interface name too long";
	if (iface)
		strcpy(app->iface, iface);
	if (app->onlink && !iface)
		return "on-link apps need an interface";
	if (!app->onlink && iface)
		return "only on-link apps take an interface";
	return NULL;
}

static json_object *handle(struct thingsd *d, json_object *req)
{
	const char *cmd = get_str(req, "command"), *name = get_str(req, "name"), *why;
	json_object *j;
	int err;

	if (!cmd)
		return error_reply("request has no \"command\"%s", "");
	if (!strcmp(cmd, "status"))
		return ok_reply(status(d));
	if (!strcmp(cmd, "app-list") || !strcmp(cmd, "app-show")) {
		bool one = !strcmp(cmd, "app-show");

		if (one && !name)
			return error_reply("%s needs a \"name\"", cmd);
		j = things_report_apps(d->dp.apps_fd, d->dp.stats_fd, one ? name : NULL);
		if (!j)
			return error_reply("cannot read the apps map: %s", strerror(errno));
		if (one && !json_object_array_length(j)) {
			json_object_put(j);
			return error_reply("no app named '%s'", name);
		}
		mark_origin(d, j);
		return ok_reply(j);
	}
	if (!strcmp(cmd, "iface-list")) {
		j = things_report_ifaces(d->dp.ifaces_fd);
		return j ? ok_reply(j) : error_reply("cannot read the ifaces map: %s", strerror(errno));
	}
	if (!strcmp(cmd, "stats")) {
		j = things_report_stats(d->dp.stats_fd, d->dp.apps_fd);
		if (!j)
			return error_reply("cannot read the counters: %s", strerror(errno));
		mark_origin(d, json_object_object_get(j, "apps"));
		return ok_reply(j);
	}
	if (!strcmp(cmd, "app-add")) {
		struct things_cfg_app app;

		if (!json_object_object_get_ex(req, "app", &j))
			return error_reply("app-add needs an \"app\" object%s", "");
		why = parse_app(j, &app);
		if (why)
			return error_reply("%s", why);
		err = apply_app_add(d, &app, &why);
		if (err)
			return error_reply("cannot add the app: %s", why);
		pr_info("app '%s' added at run time\n", app.name);
		return ok_reply(NULL);
	}
	if (!strcmp(cmd, "app-del")) {
		if (!name)
			return error_reply("app-del needs a \"name\"%s", "");
		err = apply_app_del(d, name);
		if (err == -ENOENT)
			return error_reply("no app named '%s'", name);
		if (err)
			return error_reply("cannot apply: %s", strerror(-err));
		pr_info("app '%s' deleted\n", name);
		return ok_reply(NULL);
	}
	if (!strcmp(cmd, "reload")) {
		kill(getpid(), SIGHUP);
		return ok_reply(NULL);
	}
	return error_reply("unknown command '%s'", cmd);
}

void control_serve(struct control *ctl, struct thingsd *d)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	json_object *req = NULL, *reply;
	char *buf = NULL;
	const char *out;
	ssize_t n;
	int fd;

	fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* A client that connects and says nothing must not stall the daemon. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 1 },
		   sizeof(struct timeval));
	/* The request is read even from a peer that is refused: closing on
	 * an unread message would reset the connection before it learns why. */
	buf = malloc(THINGS_CTL_MAX_MSG + 1);
	n = buf ? recv(fd, buf, THINGS_CTL_MAX_MSG, 0) : -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || !peer_allowed(ctl, &cred)) {
		reply = error_reply("permission denied: root or group members only%s", "");
		goto send;
	}
	if (n <= 0) {
		reply = error_reply("cannot read the request%s", "");
		goto send;
	}
	buf[n] = '\0';
	req = json_tokener_parse(buf);
	reply = req ? handle(d, req) : error_reply("the request is not JSON%s", "");
send:
	out = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	if (send(fd, out, strlen(out), MSG_NOSIGNAL) < 0)
		pr_debug("control: cannot send the reply: %s\n", strerror(errno));
	json_object_put(reply);
	json_object_put(req);
	free(buf);
	close(fd);
}
