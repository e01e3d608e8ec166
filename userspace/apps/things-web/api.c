// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The JSON API (thingsctl -j's shapes, built by the same functions) and
 * the event streams the pages follow.
 */
#include <string.h>

#include "names.h"
#include "web.h"

static void api_json(struct reply *r, json_object *j, const char *why)
{
	if (j)
		reply_json(r, MHD_HTTP_OK, j);
	else
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, true, "%s", why);
}

/* {"name", "width", "height", "version", "png"}: what to fetch, and when
 * it last changed; a canvas has no thingsctl -j view. */
static json_object *canvas_json(struct request *q, const struct appstate_app *app, char *why,
				size_t why_len)
{
	struct view *v = hub_view(q->h, app);
	char png[THINGS_APP_NAME_MAX + 16];
	struct blob *b;
	json_object *j;
	__u64 version;

	if (view_refresh(q->h, v, q->o->frame_ms, false, why, why_len))
		return NULL;
	b = view_get(v, VIEW_PNG, &version);
	blob_unref(b);
	if (!b) {
		snprintf(why, why_len, "canvas '%s' has no picture yet", app->app.name);
		return NULL;
	}
	snprintf(png, sizeof(png), "/canvas/%s.png", app->app.name);
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(app->app.name));
	json_object_object_add(j, "width", json_object_new_int(app->cfg.width));
	json_object_object_add(j, "height", json_object_new_int(app->cfg.height));
	json_object_object_add(j, "version", json_object_new_uint64(version));
	json_object_object_add(j, "png", json_object_new_string(png));
	return j;
}

void api(struct request *q, struct reply *r, const char *what, const char *name)
{
	const char *pin_dir = q->o->pin_dir;
	char why[APPSTATE_WHY_LEN] = "";
	struct appstate_app app;
	int kind = things_kind_parse(what);

	if (!*name && !strcmp(what, "apps")) {
		api_json(r, content_apps(pin_dir, why, sizeof(why)), why);
	} else if (!*name && !strcmp(what, "stats")) {
		api_json(r, content_stats(pin_dir, why, sizeof(why)), why);
	} else if (!*name && !strcmp(what, "ifaces")) {
		api_json(r, content_ifaces(pin_dir, why, sizeof(why)), why);
	} else if (!*name || (kind != THINGS_KIND_BOARD && kind != THINGS_KIND_TREE &&
			      kind != THINGS_KIND_CANVAS)) {
		reply_error(r, MHD_HTTP_NOT_FOUND, true, "no such API");
	} else if (!request_app(q, r, name, kind, true, &app)) {
		if (kind == THINGS_KIND_BOARD)
			api_json(r, content_board(pin_dir, &app, false, why, sizeof(why)), why);
		else if (kind == THINGS_KIND_TREE)
			api_json(r, content_tree(pin_dir, &app, false, why, sizeof(why)), why);
		else
			api_json(r, canvas_json(q, &app, why, sizeof(why)), why);
	}
}

void events(struct request *q, struct reply *r, const char *what, const char *name)
{
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	struct view *v;
	int kind = things_kind_parse(what);

	if (!*name && !strcmp(what, "apps")) {
		v = &q->h->views[0];
	} else if (*name && (kind == THINGS_KIND_BOARD || kind == THINGS_KIND_TREE ||
			     kind == THINGS_KIND_CANVAS)) {
		if (request_app(q, r, name, kind, false, &app))
			return;
		v = hub_view(q->h, &app);
	} else {
		reply_error(r, MHD_HTTP_NOT_FOUND, false, "no such event stream");
		return;
	}
	/* The first event is the state now: made here, not at the next poll. */
	if (view_refresh(q->h, v, q->o->frame_ms, false, why, sizeof(why))) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, false, "%s", why);
		return;
	}
	r->response = sse_response(q->h, v, q->conn);
	if (!r->response)
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, false, "out of memory for a stream");
}
