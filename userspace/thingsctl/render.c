// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Text output. Everything here reads the JSON a command printed with -j,
 * so the tables can never say more, or other, than the JSON does.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "table.h"
#include "tcprules.h"
#include "thingsctl.h"

static const char *str(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : dflt;
}

static bool flag(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static uint64_t counter(json_object *c, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(c, key, &v) ? json_object_get_uint64(v) : 0;
}

/* json-c asserts on the type of what it is given: a reply of the wrong
 * shape must print as nothing, not abort. */
static size_t count(json_object *array)
{
	return json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

void print_json(const struct ctl_opts *o, json_object *obj)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (o->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
				 JSON_C_TO_STRING_PLAIN);

	puts(json_object_to_json_string_ext(obj, flags));
}

static void format_uptime(time_t started, char *buf, size_t len)
{
	long s = (long)difftime(time(NULL), started);
	char since[32];

	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", localtime(&started));
	if (s >= 86400)
		snprintf(buf, len, "since %s (up %ldd %ldh)", since, s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "since %s (up %ldh %02ldm)", since, s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "since %s (up %ldm %02lds)", since, s / 60, s % 60);
}

void render_status(const struct ctl_opts *o, json_object *st)
{
	struct table *kv = table_new("ll", NULL), *ifs;
	json_object *ifaces = json_object_object_get(st, "interfaces"), *prog;
	char line[256], uptime[128];

	(void)o;
	if (flag(st, "running")) {
		format_uptime((time_t)num(st, "started"), uptime, sizeof(uptime));
		snprintf(line, sizeof(line), "running, pid %" PRId64 ", %s", num(st, "pid"), uptime);
	} else {
		snprintf(line, sizeof(line), "not running (what follows is from the pins)");
	}
	table_row(kv, "thingsd", line);
	if (str(st, "config", NULL))
		table_row(kv, "config", str(st, "config", NULL));
	table_row(kv, "pin dir", str(st, "pin_dir", "-"));
	table_row(kv, "run dir", str(st, "run_dir", "-"));
	if (json_object_object_get_ex(st, "program", &prog)) {
		if (prog)
			snprintf(line, sizeof(line), "%s id %" PRId64 " tag %s", str(prog, "name", "?"),
				 num(prog, "id"), str(prog, "tag", "?"));
		else
			snprintf(line, sizeof(line), "not pinned (never attached)");
		table_row(kv, "program", line);
	}
	snprintf(line, sizeof(line), "%" PRId64, num(st, "apps"));
	table_row(kv, "apps", line);
	snprintf(line, sizeof(line), "%zu", count(ifaces));
	table_row(kv, "interfaces", line);
	table_print(kv, stdout);

	if (!count(ifaces))
		return;
	ifs = table_new("lrlll",
			(const char *const[]){ "NAME", "IFINDEX", "ATTACHED", "MODE", "ALLMULTI" });
	for (size_t i = 0; i < count(ifaces); i++) {
		json_object *ifc = json_object_array_get_idx(ifaces, i);
		char idx[16];

		snprintf(idx, sizeof(idx), "%" PRId64, num(ifc, "ifindex"));
		table_row(ifs, str(ifc, "name", "-"), idx, yes_no(flag(ifc, "attached")),
			  str(ifc, "mode", "-"), yes_no(flag(ifc, "allmulti_set")));
	}
	putchar('\n');
	table_print(ifs, stdout);
}

static void app_flags(json_object *app, char *buf, size_t len)
{
	static const char *const names[] = { "onlink", "silent", "router" };

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flag(app, names[i]))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "",
				 names[i]);
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* thingsd names the interface; from the pins it may be only an ifindex. */
static void app_interface(json_object *app, char *buf, size_t len)
{
	if (str(app, "interface", NULL))
		snprintf(buf, len, "%s", str(app, "interface", NULL));
	else if (flag(app, "onlink"))
		snprintf(buf, len, "ifindex %" PRId64, num(app, "ifindex"));
	else
		snprintf(buf, len, "-");
}

void render_app_list(const struct ctl_opts *o, json_object *apps)
{
	struct table *t;

	(void)o;
	if (!count(apps)) {
		puts("no apps");
		return;
	}
	t = table_new("rllllll", (const char *const[]){ "ID", "NAME", "KIND", "PREFIX", "FLAGS",
							"INTERFACE", "ORIGIN" });
	for (size_t i = 0; i < count(apps); i++) {
		json_object *app = json_object_array_get_idx(apps, i);
		char id[16], flags[32], ifname[32];

		snprintf(id, sizeof(id), "%" PRId64, num(app, "id"));
		app_flags(app, flags, sizeof(flags));
		app_interface(app, ifname, sizeof(ifname));
		table_row(t, id, str(app, "name", "?"), str(app, "kind", "?"), str(app, "prefix", "?"),
			  flags, ifname, str(app, "origin", "-"));
	}
	table_print(t, stdout);
}

/* Rows of one app's counters, led by its name if with_name; zero rows
 * only when all are wanted. */
static void counter_rows(struct table *t, json_object *app, bool with_name, bool all)
{
	json_object *counters = json_object_object_get(app, "counters");

	if (!json_object_is_type(counters, json_type_object))
		return;
	json_object_object_foreach(counters, action, c) {
		char packets[24], bytes[24];

		if (!all && !counter(c, "packets") && !counter(c, "bytes"))
			continue;
		snprintf(packets, sizeof(packets), "%" PRIu64, counter(c, "packets"));
		snprintf(bytes, sizeof(bytes), "%" PRIu64, counter(c, "bytes"));
		if (with_name)
			table_row(t, str(app, "name", "?"), action, packets, bytes);
		else
			table_row(t, action, packets, bytes);
	}
}

/* One row per setting the app's kind has (rate, lines, width, ...). */
static void app_settings(struct table *kv, json_object *app)
{
	json_object *s;

	if (!json_object_object_get_ex(app, "settings", &s) ||
	    !json_object_is_type(s, json_type_object))
		return;
	json_object_object_foreach(s, key, val) {
		char v[32];

		snprintf(v, sizeof(v), "%" PRId64, json_object_get_int64(val));
		table_row(kv, key, v);
	}
}

void render_app_show(const struct ctl_opts *o, json_object *apps)
{
	json_object *app = json_object_array_get_idx(apps, 0);
	struct table *kv = table_new("ll", NULL), *t;
	char line[64];

	(void)o;
	snprintf(line, sizeof(line), "%" PRId64, num(app, "id"));
	table_row(kv, "app", str(app, "name", "?"));
	table_row(kv, "id", line);
	table_row(kv, "kind", str(app, "kind", "?"));
	table_row(kv, "prefix", str(app, "prefix", "?"));
	app_flags(app, line, sizeof(line));
	table_row(kv, "flags", line);
	app_interface(app, line, sizeof(line));
	table_row(kv, "interface", line);
	table_row(kv, "origin", str(app, "origin", "-"));
	app_settings(kv, app);
	table_print(kv, stdout);

	t = table_new("lrr", (const char *const[]){ "ACTION", "PACKETS", "BYTES" });
	counter_rows(t, app, false, true);
	putchar('\n');
	table_print(t, stdout);
}

void render_ifaces(const struct ctl_opts *o, json_object *ifaces)
{
	struct table *t;

	(void)o;
	if (!count(ifaces)) {
		puts("no interfaces");
		return;
	}
	t = table_new("rlll", (const char *const[]){ "IFINDEX", "NAME", "MAC", "ALLMULTI" });
	for (size_t i = 0; i < count(ifaces); i++) {
		json_object *ifc = json_object_array_get_idx(ifaces, i);
		char idx[16];

		snprintf(idx, sizeof(idx), "%" PRId64, num(ifc, "ifindex"));
		/* the name is empty when the link is gone */
		table_row(t, idx, *str(ifc, "name", "") ? str(ifc, "name", "") : "-",
			  str(ifc, "mac", "?"), yes_no(flag(ifc, "allmulti_set")));
	}
	table_print(t, stdout);
}

void render_stats(const struct ctl_opts *o, json_object *stats)
{
	json_object *reasons = json_object_object_get(stats, "reasons");
	json_object *apps = json_object_object_get(stats, "apps");
	json_object *total = json_object_object_get(stats, "total");
	struct table *t = table_new("lrr", (const char *const[]){ "REASON", "PACKETS", "BYTES" });
	char packets[24], bytes[24];

	if (json_object_is_type(reasons, json_type_object)) {
		json_object_object_foreach(reasons, reason, c) {
			if (!o->verbose && !counter(c, "packets") && !counter(c, "bytes"))
				continue;
			snprintf(packets, sizeof(packets), "%" PRIu64, counter(c, "packets"));
			snprintf(bytes, sizeof(bytes), "%" PRIu64, counter(c, "bytes"));
			table_row(t, reason, packets, bytes);
		}
	}
	snprintf(packets, sizeof(packets), "%" PRIu64, counter(total, "packets"));
	snprintf(bytes, sizeof(bytes), "%" PRIu64, counter(total, "bytes"));
	table_row(t, "total", packets, bytes);
	table_print(t, stdout);

	t = table_new("llrr", (const char *const[]){ "APP", "ACTION", "PACKETS", "BYTES" });
	for (size_t i = 0; i < count(apps); i++)
		counter_rows(t, json_object_array_get_idx(apps, i), true, o->verbose);
	if (table_rows(t) > 1) {
		putchar('\n');
		table_print(t, stdout);
	} else {
		table_free(t);
	}
}

void render_tcp_list(const struct ctl_opts *o, json_object *apps)
{
	static const char *const head[] = { "NAME", "ID", "PREFIX", "PORTS", "FROM", "TARGET",
					    "SOCKET", NULL };
	struct table *t = table_new("lrlllll", head);

	(void)o;
	for (size_t i = 0; i < count(apps); i++) {
		json_object *a = json_object_array_get_idx(apps, i), *v;
		char id[16], target[THINGS_TCP_PATH_MAX + 32], sock[64];
		const char *tgt = str(a, "target", "-");

		snprintf(id, sizeof(id), "%" PRIu64, counter(a, "id"));
		if (!strcmp(tgt, "socketbox"))
			snprintf(target, sizeof(target), "socketbox:%s", str(a, "path", ""));
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
		table_row(t, str(a, "name", "?"), id, str(a, "prefix", "?"),
			  str(a, "ports", "-"), str(a, "from", "any"), target, sock);
	}
	table_print(t, stdout);
}

void render_tcp_stats(const struct ctl_opts *o, json_object *apps)
{
	static const char *const head[] = { "NAME", "ACCEPTED", "PASSED", "REFUSED", "FAILED",
					    NULL };
	struct table *t = table_new("lrrrr", head);

	for (size_t i = 0; i < count(apps); i++) {
		json_object *a = json_object_array_get_idx(apps, i);
		char c[4][24];
		const char *keys[4] = { "accepted", "passed", "refused", "failed" };

		for (int k = 0; k < 4; k++)
			snprintf(c[k], sizeof(c[k]), "%" PRIu64, counter(a, keys[k]));
		table_row(t, str(a, "name", "?"), c[0], c[1], c[2], c[3]);
	}
	table_print(t, stdout);
	if (o->verbose) {
		/* Where the four come from: the program's and thingsd's own. */
		for (size_t i = 0; i < count(apps); i++) {
			json_object *a = json_object_array_get_idx(apps, i);
			json_object *raw = json_object_object_get(a, "counters");

			printf("\n%s:\n", str(a, "name", "?"));
			if (!json_object_is_type(raw, json_type_object))
				continue;
			json_object_object_foreach(raw, k, v)
				printf("  %-14s %" PRIu64 "\n", k, json_object_get_uint64(v));
		}
	}
}
