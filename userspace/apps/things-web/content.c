// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What the pages, the events and the API show, read from the pins each
 * time: the JSON shapes are thingsctl -j's, built by the same library
 * functions, so both always agree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "report.h"
#include "web.h"

int content_signal(const char *pin_dir, const struct appstate_app *app, __u64 *signal)
{
	struct things_counter sum;
	char why[APPSTATE_WHY_LEN];
	enum things_reason reason;
	int fd, err;

	switch (app->app.kind) {
	case THINGS_KIND_BOARD:
		reason = THINGS_R_BOARD_POSTED;
		break;
	case THINGS_KIND_TREE:
		reason = THINGS_R_TREE_LIT;
		break;
	case THINGS_KIND_CANVAS:
		reason = THINGS_R_CANVAS_PAINTED;
		break;
	default:
		return -ENOTSUP;
	}
	fd = appstate_open_pin(pin_dir, THINGS_PIN_STATS, false, why, sizeof(why));
	if (fd < 0)
		return fd;
	err = things_counter_read(fd, THINGS_STATS_IDX(app->id, reason), &sum);
	close(fd);
	if (!err)
		*signal = sum.packets;
	return err;
}

/* "2001:db8:ff::/64": the sender's /64, which is what a page shows of it. */
static json_object *net64(const __u8 src[16])
{
	char text[INET6_ADDRSTRLEN + 4];
	__u8 net[16] = { 0 };

	memcpy(net, src, 8);
	inet_ntop(AF_INET6, net, text, INET6_ADDRSTRLEN);
	strcat(text, "/64");
	return json_object_new_string(text);
}

/*
 * with_net: the view's shape, {"posts": N, "lines": L, "messages": [...]},
 * each message with its sender's /64 as "net" too; else thingsctl -j board
 * show's array.
 */
json_object *content_board(const char *pin_dir, const struct appstate_app *app, bool with_net,
			   char *why, size_t why_len)
{
	struct things_board_msg *msgs = calloc(THINGS_BOARD_MAX_LINES, sizeof(*msgs));
	json_object *arr, *o;
	__u64 posts = 0;
	int n;

	if (!msgs) {
		snprintf(why, why_len, "out of memory for a board");
		return NULL;
	}
	n = appstate_board_read(pin_dir, app, msgs, THINGS_BOARD_MAX_LINES, &posts, why, why_len);
	if (n < 0) {
		free(msgs);
		return NULL;
	}
	arr = json_object_new_array();
	for (int i = 0; i < n; i++) {
		json_object *m = appstate_msg_json(&msgs[i]);

		if (with_net)
			json_object_object_add(m, "net", net64(msgs[i].src));
		json_object_array_add(arr, m);
	}
	free(msgs);
	if (!with_net)
		return arr;
	o = json_object_new_object();
	json_object_object_add(o, "posts", json_object_new_uint64(posts));
	json_object_object_add(o, "lines", json_object_new_int(app->cfg.lines));
	json_object_object_add(o, "messages", arr);
	return o;
}

/* view: {"lit": N, "lights": [...]}; else thingsctl -j tree show's array. */
json_object *content_tree(const char *pin_dir, const struct appstate_app *app, bool view,
			  char *why, size_t why_len)
{
	struct things_tree *tree = malloc(sizeof(*tree));
	json_object *lights = NULL, *o;

	if (!tree) {
		snprintf(why, why_len, "out of memory for a tree");
		return NULL;
	}
	if (!appstate_tree_read(pin_dir, app, tree, why, why_len))
		lights = appstate_tree_json(tree, app->cfg.lights);
	if (!lights || !view) {
		free(tree);
		return lights;
	}
	o = json_object_new_object();
	json_object_object_add(o, "lit", json_object_new_uint64(tree->lit));
	json_object_object_add(o, "lights", lights);
	free(tree);
	return o;
}

/* The pins a report reads, opened read-only. */
struct report_pins {
	int apps, stats, ifaces;
};

static int report_open(const char *pin_dir, struct report_pins *p, bool ifaces, char *why,
		       size_t why_len)
{
	*p = (struct report_pins){ -1, -1, -1 };
	p->apps = appstate_open_pin(pin_dir, THINGS_PIN_APPS, false, why, why_len);
	if (p->apps >= 0)
		p->stats = appstate_open_pin(pin_dir, THINGS_PIN_STATS, false, why, why_len);
	if (p->stats >= 0 && ifaces)
		p->ifaces = appstate_open_pin(pin_dir, THINGS_PIN_IFACES, false, why, why_len);
	return p->apps >= 0 && p->stats >= 0 && (!ifaces || p->ifaces >= 0) ? 0 : -1;
}

static void report_close(struct report_pins *p)
{
	if (p->apps >= 0)
		close(p->apps);
	if (p->stats >= 0)
		close(p->stats);
	if (p->ifaces >= 0)
		close(p->ifaces);
}

enum report_kind { REPORT_APPS, REPORT_STATS, REPORT_IFACES };

/* The reports thingsctl -j makes from the pins when thingsd is down. */
static json_object *report(const char *pin_dir, enum report_kind kind, char *why, size_t why_len)
{
	struct report_pins p;
	json_object *j = NULL;
	int fd;

	if (report_open(pin_dir, &p, kind == REPORT_IFACES, why, why_len))
		goto out;
	switch (kind) {
	case REPORT_APPS:
		j = things_report_apps(p.apps, p.stats, NULL);
		if (j)
			things_report_name_interfaces(j);
		fd = j ? appstate_open_pin(pin_dir, THINGS_PIN_APP_CFG, false, why, why_len) : -1;
		if (fd >= 0) {
			things_report_app_settings(j, fd);
			close(fd);
		}
		break;
	case REPORT_STATS:
		j = things_report_stats(p.stats, p.apps);
		if (j)
			things_report_name_interfaces(json_object_object_get(j, "apps"));
		break;
	case REPORT_IFACES:
		j = things_report_ifaces(p.ifaces);
		break;
	}
	if (!j)
		snprintf(why, why_len, "cannot read the maps pinned in %s: %s", pin_dir,
			 strerror(errno));
out:
	report_close(&p);
	return j;
}

json_object *content_apps(const char *pin_dir, char *why, size_t why_len)
{
	return report(pin_dir, REPORT_APPS, why, why_len);
}

json_object *content_stats(const char *pin_dir, char *why, size_t why_len)
{
	return report(pin_dir, REPORT_STATS, why, why_len);
}

json_object *content_ifaces(const char *pin_dir, char *why, size_t why_len)
{
	return report(pin_dir, REPORT_IFACES, why, why_len);
}
