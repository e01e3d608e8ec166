// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tcp list, tcp stats and tcp register. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "table.h"
#include "tcprules.h"
#include "thingsctl.h"

static const char *str_or(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : dflt;
}

static uint64_t u64(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static size_t n_items(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

void render_tcp_list(const struct ctl_opts *o, json_object *apps)
{
	static const char *const head[] = { "NAME", "ID", "PREFIX", "PORTS", "FROM", "TARGET",
					    "SOCKET", NULL };
	struct table *t = table_new("lrlllll", head);

	(void)o;
	for (size_t i = 0; i < n_items(apps); i++) {
		json_object *a = json_object_array_get_idx(apps, i), *v;
		char id[16], target[THINGS_TCP_PATH_MAX + 32], sock[64];
		const char *tgt = str_or(a, "target", "-");

		snprintf(id, sizeof(id), "%" PRIu64, u64(a, "id"));
		if (!strcmp(tgt, "socketbox"))
			snprintf(target, sizeof(target), "socketbox:%s", str_or(a, "path", ""));
		else if (json_object_object_get_ex(a, "exec", &v))
			snprintf(target, sizeof(target), "listen (exec)");
		else
			snprintf(target, sizeof(target), "%s", tgt);
		if (json_object_object_get_ex(a, "server_pid", &v) && v)
			snprintf(sock, sizeof(sock), "yes (server %d)", json_object_get_int(v));
		else
			snprintf(sock, sizeof(sock), "%s",
				 json_object_get_boolean(json_object_object_get(a, "socket")) ? "yes"
											   : "no");
		table_row(t, str_or(a, "name", "?"), id, str_or(a, "prefix", "?"),
			  str_or(a, "ports", "-"), str_or(a, "from", "any"), target, sock);
	}
	table_print(t, stdout);
}

void render_tcp_stats(const struct ctl_opts *o, json_object *apps)
{
	static const char *const head[] = { "NAME", "ACCEPTED", "PASSED", "REFUSED", "FAILED",
					    NULL };
	struct table *t = table_new("lrrrr", head);

	for (size_t i = 0; i < n_items(apps); i++) {
		json_object *a = json_object_array_get_idx(apps, i);
		char c[4][24];
		const char *keys[4] = { "accepted", "passed", "refused", "failed" };

		for (int k = 0; k < 4; k++)
			snprintf(c[k], sizeof(c[k]), "%" PRIu64, u64(a, keys[k]));
		table_row(t, str_or(a, "name", "?"), c[0], c[1], c[2], c[3]);
	}
	table_print(t, stdout);
	if (o->verbose) {
		/* Where the four come from: the program's and thingsd's own. */
		for (size_t i = 0; i < n_items(apps); i++) {
			json_object *a = json_object_array_get_idx(apps, i);
			json_object *raw = json_object_object_get(a, "counters");

			printf("\n%s:\n", str_or(a, "name", "?"));
			if (!json_object_is_type(raw, json_type_object))
				continue;
			json_object_object_foreach(raw, k, v)
				printf("  %-14s %" PRIu64 "\n", k, json_object_get_uint64(v));
		}
	}
}

/* ---- tcp register ---- */

int cmd_tcp_register(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	const char *name;
	json_object *req, *result = NULL;
	char why[512];
	int fd = o->fd >= 0 ? o->fd : 3, listening = 0, ret;
	socklen_t len = sizeof(listening);

	name = app_name_arg(cmd, argc, argv);
	if (!name)
		return EXIT_USAGE;
	/* Said here, before thingsd is asked: the usual mistake is a server
	 * that did not pass its socket as descriptor 3. */
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len))
		return fail("descriptor %d is not a socket (%s): pass the server's listening socket "
			    "as descriptor 3, or name it with --fd N", fd, strerror(errno));
	if (!listening)
		return fail("descriptor %d is a socket that does not listen", fd);
	req = json_object_new_object();
	json_object_object_add(req, "command", json_object_new_string("tcp-register"));
	json_object_object_add(req, "name", json_object_new_string(name));
	switch (client_call_fd(o, req, fd, &result, why, sizeof(why))) {
	case CLIENT_OK:
		if (o->json)
			print_json(o, result);
		ret = EXIT_SUCCESS;
		break;
	case CLIENT_DOWN:
		ret = fail("thingsd is not running (%s): '%s' needs it", why, cmd);
		break;
	default:
		ret = fail("%s", why);
		break;
	}
	json_object_put(result);
	json_object_put(req);
	return ret;
}
