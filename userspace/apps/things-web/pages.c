// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The pages. Each is whole without its script (made here from the pins);
 * the script then keeps it live from the event stream. Everything from the
 * pins or the URL is HTML-escaped; the Content-Security-Policy allows no
 * inline script or style, so the pages carry their data in attributes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "names.h"
#include "prefix.h"
#include "web.h"

#define HTML "text/html; charset=utf-8"
#define PREVIEW_MSGS 3

/* Short names of the actions, for the counters. */
static const char *const action_labels[THINGS_ACT_COUNT] = {
	[THINGS_ACT_ECHO_REPLY] = "replies",
	[THINGS_ACT_NA] = "NAs",
	[THINGS_ACT_NA_DAD] = "DAD NAs",
	[THINGS_ACT_SILENT_DROP] = "silent",
	[THINGS_ACT_PASS] = "to kernel",
	[THINGS_ACT_INVALID] = "invalid",
	[THINGS_ACT_APP_UPDATE] = "updates",
	[THINGS_ACT_APP_IGNORED] = "ignored",
	[THINGS_ACT_RATE_LIMITED] = "rate-limited",
};

static void page_begin(struct sbuf *b, const char *title, const char *view, const char *app)
{
	sb_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		   "<meta name=\"color-scheme\" content=\"dark\">"
		   "<link rel=\"stylesheet\" href=\"/static/things.css\">"
		   "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">"
		   "<script src=\"/static/things.js\" defer></script><title>");
	sb_html(b, title);
	sb_puts(b, " · IPv6 Things</title></head>\n<body data-view=\"");
	sb_html(b, view);
	sb_puts(b, "\" data-app=\"");
	sb_html(b, app);
	sb_puts(b, "\"><header><a class=\"brand\" href=\"/\"><span class=\"logo\">v6</span>"
		   "IPv6 Things</a><span id=\"live\" class=\"live\">static</span></header>\n"
		   "<main>");
}

static void page_end(struct sbuf *b)
{
	sb_puts(b, "</main>\n<footer>A read-only view of the data plane: "
		   "<a href=\"/api/apps\">JSON</a> · <a href=\"/metrics\">metrics</a></footer>"
		   "</body></html>\n");
}

static void prefix_line(struct sbuf *b, const struct appstate_app *app)
{
	char pfx[THINGS_PREFIX_STRLEN];

	sb_puts(b, "<code class=\"prefix\">");
	sb_html(b, things_prefix_format(&app->app.prefix, pfx, sizeof(pfx)));
	sb_puts(b, "</code>");
	if (app->app.flags & THINGS_PF_ONLINK)
		sb_puts(b, " <span class=\"tag\">on-link</span>");
	if (app->app.flags & THINGS_PF_SILENT)
		sb_puts(b, " <span class=\"tag\">silent</span>");
}

/* "ping ADDR — posts “Hi there”", with the address ready to copy. */
static void ping_line(struct sbuf *b, const struct appstate_app *app)
{
	char addr[64], what[96];

	if (!sample_address(app, addr, sizeof(addr), what, sizeof(what)))
		return;
	sb_puts(b, "<p class=\"ping\"><span class=\"cmd\">ping -6</span> <code class=\"addr\">");
	sb_html(b, addr);
	sb_puts(b, "</code> <span class=\"what\">");
	sb_html(b, what);
	sb_puts(b, "</span></p>");
}

static const char *str_field(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : dflt;
}

/* A message as the script renders it too. */
static void message_li(struct sbuf *b, json_object *m)
{
	const char *when = str_field(m, "time", NULL);

	sb_puts(b, "<li data-seq=\"");
	sb_html(b, str_field(m, "seq", ""));
	sb_puts(b, "\"><q>");
	sb_html(b, str_field(m, "text", ""));
	sb_puts(b, "</q> <span class=\"net\">");
	sb_html(b, str_field(m, "net", ""));
	sb_puts(b, "</span> ");
	if (when) {
		sb_puts(b, "<time datetime=\"");
		sb_html(b, when);
		sb_puts(b, "\">");
		sb_html(b, when);
		sb_puts(b, "</time>");
	}
	sb_puts(b, "</li>");
}

static void messages(struct sbuf *b, json_object *msgs, size_t max, bool mini)
{
	size_t n = json_object_array_length(msgs);

	sb_printf(b, "<ol class=\"msgs%s\" data-msgs>", mini ? " mini" : "");
	for (size_t i = 0; i < n && i < max; i++)
		message_li(b, json_object_array_get_idx(msgs, i));
	sb_printf(b, "</ol><p class=\"empty\" data-empty%s>No messages yet.</p>", n ? " hidden" : "");
}

/* The tree of app as SVG; false (and nothing written) if it cannot be read. */
static bool tree_of(struct sbuf *b, const char *pin_dir, const struct appstate_app *app,
		    bool small, __u64 *lit)
{
	struct things_tree *tree = malloc(sizeof(*tree));
	char why[APPSTATE_WHY_LEN];
	bool ok;

	if (!tree)
		return false;
	ok = !appstate_tree_read(pin_dir, app, tree, why, sizeof(why));
	if (ok) {
		tree_svg(b, tree->light, app->cfg.lights, small);
		if (lit)
			*lit = tree->lit;
	}
	free(tree);
	return ok;
}

/* The canvas's current PNG version, made now if nobody has asked yet. */
static __u64 canvas_version(struct request *q, const struct appstate_app *app)
{
	struct view *v = hub_view(q->h, app);
	char why[APPSTATE_WHY_LEN];
	__u64 version = 0;

	if (!view_refresh(q->h, v, q->o->frame_ms, false, why, sizeof(why)))
		blob_unref(view_get(v, VIEW_PNG, &version));
	return version;
}

static void canvas_img(struct sbuf *b, const struct appstate_app *app, __u64 version, bool thumb)
{
	sb_printf(b, "<img class=\"%s\" data-canvas src=\"/canvas/", thumb ? "thumb" : "canvas");
	sb_html(b, app->app.name);
	sb_printf(b, ".png?v=%llu\" width=\"%u\" height=\"%u\" alt=\"canvas ",
		  (unsigned long long)version, app->cfg.width, app->cfg.height);
	sb_html(b, app->app.name);
	sb_printf(b, ", %u by %u pixels\">", app->cfg.width, app->cfg.height);
}

static void preview(struct request *q, struct sbuf *b, const struct appstate_app *app)
{
	char why[APPSTATE_WHY_LEN];
	json_object *j;

	switch (app->app.kind) {
	case THINGS_KIND_BOARD:
		j = content_board(q->o->pin_dir, app, true, why, sizeof(why));
		if (j) {
			messages(b, json_object_object_get(j, "messages"), PREVIEW_MSGS, true);
			json_object_put(j);
		}
		break;
	case THINGS_KIND_TREE:
		tree_of(b, q->o->pin_dir, app, true, NULL);
		break;
	case THINGS_KIND_CANVAS:
		canvas_img(b, app, canvas_version(q, app), true);
		break;
	default:
		break;
	}
}

static void counters(struct sbuf *b, const struct things_counter row[THINGS_R_MAX])
{
	__u64 sums[THINGS_ACT_COUNT] = { 0 };

	for (unsigned int r = 0; r < THINGS_R_MAX; r++)
		sums[things_reason_action(r)] += row[r].packets;
	sb_puts(b, "<dl class=\"counters\">");
	for (unsigned int a = 0; a < THINGS_ACT_COUNT; a++) {
		sb_printf(b, "<div class=\"%s\"><dt>%s</dt><dd data-action=\"%s\">%llu</dd></div>",
			  sums[a] ? "" : "zero", action_labels[a], things_action_name(a),
			  (unsigned long long)sums[a]);
	}
	sb_puts(b, "</dl>");
}

static void app_card(struct request *q, struct sbuf *b, const struct appstate_app *app,
		     const struct things_counter row[THINGS_R_MAX])
{
	const char *kind = things_kind_name(app->app.kind);
	bool has_page = app->app.kind == THINGS_KIND_BOARD || app->app.kind == THINGS_KIND_TREE ||
			app->app.kind == THINGS_KIND_CANVAS;

	kind = kind ? kind : "unknown";
	sb_puts(b, "<li class=\"app\" data-app=\"");
	sb_html(b, app->app.name);
	sb_printf(b, "\" data-kind=\"%s\"><div class=\"head\"><h2>", kind);
	if (has_page) {
		sb_printf(b, "<a href=\"/%s/", kind);
		sb_html(b, app->app.name);
		sb_puts(b, "\">");
	}
	sb_html(b, app->app.name);
	sb_printf(b, "%s</h2><span class=\"kind k-%s\">%s</span></div><p>", has_page ? "</a>" : "",
		  kind, kind);
	prefix_line(b, app);
	sb_puts(b, "</p>");
	if (has_page) {
		sb_puts(b, "<div class=\"preview\">");
		preview(q, b, app);
		sb_puts(b, "</div>");
	}
	ping_line(b, app);
	counters(b, row);
	sb_puts(b, "</li>");
}

void page_index(struct request *q, struct reply *r)
{
	struct appstate_app *apps = malloc(THINGS_MAX_APPS * sizeof(*apps));
	struct things_counter(*rows)[THINGS_R_MAX] = calloc(THINGS_MAX_APPS, sizeof(*rows));
	char why[APPSTATE_WHY_LEN];
	struct sbuf b = { 0 };
	int n = -1, fd;

	if (!apps || !rows) {
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, false, "out of memory for the apps");
		goto out;
	}
	n = appstate_read_apps(q->o->pin_dir, apps, why, sizeof(why));
	if (n < 0) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, false, "%s", why);
		goto out;
	}
	fd = appstate_open_pin(q->o->pin_dir, THINGS_PIN_STATS, false, why, sizeof(why));
	/* Counters that cannot be read show as zero: the apps still show. */
	if (fd >= 0) {
		things_stats_read(fd, rows);
		close(fd);
	}
	page_begin(&b, "Apps", "apps", "");
	sb_printf(&b, "<h1>Apps <span class=\"count\">%d</span></h1>", n);
	if (!n)
		sb_puts(&b, "<p class=\"empty\">No apps: thingsd has none configured.</p>");
	sb_puts(&b, "<ul class=\"apps\">");
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++)
		if (apps[id].id)
			app_card(q, &b, &apps[id], rows[id]);
	sb_puts(&b, "</ul>");
	page_end(&b);
	reply_sbuf(r, MHD_HTTP_OK, HTML, &b);
out:
	free(apps);
	free(rows);
}

/* The address helper: inputs, and the address the script makes of what is
 * typed there from head; and how to send many at once. */
static void helper(struct sbuf *b, const struct appstate_app *app, const char *title,
		   const char *how, const char *inputs, const char *tool_args)
{
	char head[48], addr[64], what[96], pfx[THINGS_PREFIX_STRLEN];

	address_head(app, head, sizeof(head));
	sample_address(app, addr, sizeof(addr), what, sizeof(what));
	sb_printf(b, "<section class=\"how\"><h2>%s</h2><p>%s</p><div class=\"helper\" "
		     "data-head=\"%s\">%s<p class=\"ping\"><span class=\"cmd\">ping -6</span> "
		     "<code class=\"addr\" data-out>", title, how, head, inputs);
	sb_html(b, addr);
	sb_printf(b, "</code></p></div><p class=\"hint\">Or many at once: <code>things-ping %s ",
		  things_kind_name(app->app.kind));
	sb_html(b, things_prefix_format(&app->app.prefix, pfx, sizeof(pfx)));
	sb_printf(b, " %s</code></p></section>", tool_args);
}

static void app_title(struct sbuf *b, const struct appstate_app *app, const char *extra)
{
	const char *kind = things_kind_name(app->app.kind);

	sb_puts(b, "<h1>");
	sb_html(b, app->app.name);
	sb_printf(b, " <span class=\"kind k-%s\">%s</span></h1><p class=\"meta\">", kind, kind);
	prefix_line(b, app);
	sb_printf(b, " %s</p>", extra);
}

static void board_page(struct request *q, struct reply *r, struct sbuf *b,
		       const struct appstate_app *app)
{
	char why[APPSTATE_WHY_LEN], extra[128];
	json_object *j = content_board(q->o->pin_dir, app, true, why, sizeof(why));

	if (!j) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, false, "%s", why);
		return;
	}
	snprintf(extra, sizeof(extra), "· <span data-posts>%s</span> posts · the last %u kept",
		 str_field(j, "posts", "0"), app->cfg.lines);
	app_title(b, app, extra);
	messages(b, json_object_object_get(j, "messages"), THINGS_BOARD_MAX_LINES, false);
	json_object_put(j);
	helper(b, app, "Post a message",
	       "Ping an address whose last 64 bits are your text: up to 8 printable ASCII "
	       "characters. The same text twice in a row is posted once.",
	       "<label>Text <input data-in=\"text\" maxlength=\"8\" value=\"Hi there\" "
	       "autocomplete=\"off\" spellcheck=\"false\"></label>",
	       "'Hello!'");
}

static void tree_page(struct request *q, struct reply *r, struct sbuf *b,
		      const struct appstate_app *app)
{
	struct sbuf svg = { 0 };
	char extra[128];
	__u64 lit = 0;

	if (!tree_of(&svg, q->o->pin_dir, app, false, &lit)) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, false, "cannot read tree '%s'",
			    app->app.name);
		sb_free(&svg);
		return;
	}
	snprintf(extra, sizeof(extra), "· %u lights · <span data-lit>%llu</span> lit so far",
		 app->cfg.lights, (unsigned long long)lit);
	app_title(b, app, extra);
	sb_puts(b, "<figure class=\"tree\">");
	sb_putn(b, svg.s ? svg.s : "", svg.len);
	sb_puts(b, "</figure>");
	sb_free(&svg);
	helper(b, app, "Light the next light",
	       "Ping an address whose last three groups are a colour, one byte each: "
	       "<code>::RR:GG:BB</code>.",
	       "<label>Colour <input data-in=\"colour\" type=\"color\" value=\"#ff0000\">"
	       "</label>",
	       "red");
}

static void canvas_page(struct request *q, struct reply *r, struct sbuf *b,
			const struct appstate_app *app)
{
	__u64 version = canvas_version(q, app);
	char extra[128], inputs[512];

	if (!version) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, false, "cannot read canvas '%s'",
			    app->app.name);
		return;
	}
	snprintf(extra, sizeof(extra), "· %u × %u pixels", app->cfg.width, app->cfg.height);
	app_title(b, app, extra);
	sb_puts(b, "<figure class=\"canvas\">");
	canvas_img(b, app, version, false);
	sb_puts(b, "</figure>");
	snprintf(inputs, sizeof(inputs),
		 "<label>x <input data-in=\"x\" type=\"number\" min=\"0\" max=\"%u\" "
		 "value=\"%u\"></label><label>y <input data-in=\"y\" type=\"number\" min=\"0\" "
		 "max=\"%u\" value=\"%u\"></label><label>Colour <input data-in=\"colour\" "
		 "type=\"color\" value=\"#ff0000\"></label>",
		 app->cfg.width - 1, app->cfg.width / 2, app->cfg.height - 1, app->cfg.height / 2);
	helper(b, app, "Paint a pixel",
	       "Ping <code>XXXX:YYYY:RRGG:BBAA</code> in the last 64 bits: the pixel, its "
	       "colour and its alpha (ff covers, 00 leaves it).",
	       inputs, "picture.png --at X,Y");
}

void page_app(struct request *q, struct reply *r, int kind, const char *name)
{
	struct appstate_app app;
	struct sbuf b = { 0 };

	if (request_app(q, r, name, kind, false, &app))
		return;
	page_begin(&b, app.app.name, things_kind_name(app.app.kind), app.app.name);
	if (kind == THINGS_KIND_BOARD)
		board_page(q, r, &b, &app);
	else if (kind == THINGS_KIND_TREE)
		tree_page(q, r, &b, &app);
	else
		canvas_page(q, r, &b, &app);
	if (r->status != MHD_HTTP_OK) {
		/* an error page was made instead */
		sb_free(&b);
		return;
	}
	page_end(&b);
	reply_sbuf(r, MHD_HTTP_OK, HTML, &b);
}

void page_canvas_png(struct request *q, struct reply *r, const char *name)
{
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	struct view *v;
	__u64 version;
	int err;

	if (request_app(q, r, name, THINGS_KIND_CANVAS, false, &app))
		return;
	v = hub_view(q->h, &app);
	err = view_refresh(q->h, v, q->o->frame_ms, false, why, sizeof(why));
	r->body = err ? NULL : view_get(v, VIEW_PNG, &version);
	if (!r->body) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, false, "%s",
			    err ? why : "the canvas has no picture yet");
		return;
	}
	r->status = MHD_HTTP_OK;
	r->type = "image/png";
	r->cache = true;
	snprintf(r->etag_buf, sizeof(r->etag_buf), "\"%llx-%llu\"",
		 (unsigned long long)q->h->boot, (unsigned long long)version);
	r->etag = r->etag_buf;
}
