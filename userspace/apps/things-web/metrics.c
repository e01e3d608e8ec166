// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * /metrics in the Prometheus text exposition format (0.0.4). Every family
 * is written whole before the next, with its HELP and TYPE. The counters
 * are the data plane's own, read from the pins at each scrape.
 */
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "names.h"
#include "prefix.h"
#include "rtnl.h"
#include "web.h"

#define TEXT_FORMAT "text/plain; version=0.0.4; charset=utf-8"

/* What one scrape reads. */
struct scrape {
	struct request *q;
	struct appstate_app *apps;		/* by id; .id 0: none */
	struct things_counter (*rows)[THINGS_R_MAX];
	/* Packets of no app now (id 0, or apps since removed). */
	struct things_counter other[THINGS_R_MAX];
};

static void family(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{app="NAME"[,more]} */
static void app_series(struct sbuf *b, const char *name, const struct appstate_app *app)
{
	sb_printf(b, "%s{app=\"", name);
	sb_label(b, app->app.name);
	sb_puts(b, "\"}");
}

static const char *kind_of(const struct appstate_app *app)
{
	const char *kind = things_kind_name(app->app.kind);

	return kind ? kind : "unknown";
}

static void build_info(struct sbuf *b)
{
	family(b, "things_web_build_info", "gauge",
	       "things-web's version and the versions of the libraries it runs with.");
	sb_printf(b, "things_web_build_info{version=\"%s\",libbpf=\"%u.%u\","
		     "libmicrohttpd=\"", THINGS_WEB_VERSION, libbpf_major_version(),
		  libbpf_minor_version());
	sb_label(b, MHD_get_version());
	sb_puts(b, "\",json_c=\"");
	sb_label(b, json_c_version());
	sb_puts(b, "\",libpng=\"");
	sb_label(b, png_get_libpng_ver(NULL));
	sb_puts(b, "\"} 1\n");
}

static void app_info(struct sbuf *b, const struct scrape *s)
{
	family(b, "things_app_info", "gauge",
	       "Each app the data plane serves, with its id, kind and prefix.");
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		const struct appstate_app *a = &s->apps[id];
		char pfx[THINGS_PREFIX_STRLEN];

		if (!a->id)
			continue;
		sb_puts(b, "things_app_info{app=\"");
		sb_label(b, a->app.name);
		sb_printf(b, "\",id=\"%u\",kind=\"%s\",prefix=\"%s\",onlink=\"%s\",silent=\"%s\"} 1\n",
			  id, kind_of(a), things_prefix_format(&a->app.prefix, pfx, sizeof(pfx)),
			  a->app.flags & THINGS_PF_ONLINK ? "true" : "false",
			  a->app.flags & THINGS_PF_SILENT ? "true" : "false");
	}
}

/* One row of counters: every reason, labelled with its action too, so
 * that sum by (action) gives thingsctl's per-action view. */
static void counter_row(struct sbuf *b, const char *metric, const char *app, const char *kind,
			const struct things_counter row[THINGS_R_MAX], bool bytes)
{
	for (unsigned int r = 0; r < THINGS_R_MAX; r++) {
		sb_printf(b, "%s{app=\"", metric);
		sb_label(b, app);
		sb_printf(b, "\",kind=\"%s\",reason=\"%s\",action=\"%s\"} %llu\n", kind,
			  things_reason_name(r), things_action_name(things_reason_action(r)),
			  (unsigned long long)(bytes ? row[r].bytes : row[r].packets));
	}
}

static void counters(struct sbuf *b, const struct scrape *s, bool bytes)
{
	const char *metric = bytes ? "things_bytes_total" : "things_packets_total";

	family(b, metric, "counter",
	       bytes ? "Bytes of the packets the data plane counted, by app, reason and the "
		       "action the reason means; app=\"\" is traffic of no app (or of an app "
		       "since removed)." :
		       "Packets the data plane counted, by app, reason and the action the reason "
		       "means; app=\"\" is traffic of no app (or of an app since removed).");
	counter_row(b, metric, "", "", s->other, bytes);
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++)
		if (s->apps[id].id)
			counter_row(b, metric, s->apps[id].app.name, kind_of(&s->apps[id]),
				    s->rows[id], bytes);
}

static void boards(struct sbuf *b, const struct scrape *s)
{
	const char *pin_dir = s->q->o->pin_dir;
	char why[APPSTATE_WHY_LEN];
	__u64 head = 0;
	int fd;

	family(b, "things_board_posts_total", "counter", "Messages posted to each board.");
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		__u64 posts;

		if (s->apps[id].app.kind != THINGS_KIND_BOARD || !s->apps[id].id ||
		    appstate_board_read(pin_dir, &s->apps[id], NULL, 0, &posts, why, sizeof(why)) < 0)
			continue;
		app_series(b, "things_board_posts_total", &s->apps[id]);
		sb_printf(b, " %llu\n", (unsigned long long)posts);
	}
	family(b, "things_board_lines", "gauge", "Messages each board keeps.");
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		if (s->apps[id].app.kind != THINGS_KIND_BOARD || !s->apps[id].id)
			continue;
		app_series(b, "things_board_lines", &s->apps[id]);
		sb_printf(b, " %u\n", s->apps[id].cfg.lines);
	}
	fd = appstate_open_pin(pin_dir, THINGS_PIN_BOARD_LOG, false, why, sizeof(why));
	if (fd >= 0 && !appstate_log_head(fd, &head, why, sizeof(why))) {
		family(b, "things_board_log_events_total", "counter",
		       "Posts of every board logged for live readers.");
		sb_printf(b, "things_board_log_events_total %llu\n", (unsigned long long)head);
	}
	if (fd >= 0)
		close(fd);
}

static void trees(struct sbuf *b, const struct scrape *s)
{
	struct things_tree *tree = malloc(sizeof(*tree));
	struct sbuf lit = { 0 }, on = { 0 }, lights = { 0 };
	char why[APPSTATE_WHY_LEN];

	if (!tree)
		return;
	family(&lit, "things_tree_lit_total", "counter", "Lights set on each tree so far.");
	family(&on, "things_tree_lights_on", "gauge", "Lights of each tree that are lit now.");
	family(&lights, "things_tree_lights", "gauge", "Lights of each tree.");
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		const struct appstate_app *a = &s->apps[id];
		unsigned int n = 0;

		if (a->app.kind != THINGS_KIND_TREE || !a->id ||
		    appstate_tree_read(s->q->o->pin_dir, a, tree, why, sizeof(why)))
			continue;
		for (unsigned int i = 0; i < a->cfg.lights; i++)
			n += !!(tree->light[i] & THINGS_LIGHT_ON);
		app_series(&lit, "things_tree_lit_total", a);
		sb_printf(&lit, " %llu\n", (unsigned long long)tree->lit);
		app_series(&on, "things_tree_lights_on", a);
		sb_printf(&on, " %u\n", n);
		app_series(&lights, "things_tree_lights", a);
		sb_printf(&lights, " %u\n", a->cfg.lights);
	}
	free(tree);
	sb_putn(b, lit.s, lit.len);
	sb_putn(b, on.s, on.len);
	sb_putn(b, lights.s, lights.len);
	b->failed |= lit.failed || on.failed || lights.failed;
	sb_free(&lit);
	sb_free(&on);
	sb_free(&lights);
}

static void canvases(struct sbuf *b, const struct scrape *s)
{
	static const struct {
		const char *name, *type, *help;
	} fams[] = {
		{ "things_canvas_width_pixels", "gauge", "Width of each canvas." },
		{ "things_canvas_height_pixels", "gauge", "Height of each canvas." },
		{ "things_canvas_pixels_painted_total", "counter",
		  "Pixels painted on each canvas (its canvas-painted packets)." },
		{ "things_web_png_encodes_total", "counter",
		  "PNGs this things-web made of each canvas: one per change of its pixels." },
		{ "things_web_png_encode_seconds_total", "counter",
		  "Time this things-web spent encoding them." },
	};

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		family(b, fams[f].name, fams[f].type, fams[f].help);
		for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
			const struct appstate_app *a = &s->apps[id];
			struct view *v = &s->q->h->views[id];
			__u64 encodes;
			double secs;

			if (a->app.kind != THINGS_KIND_CANVAS || !a->id)
				continue;
			pthread_mutex_lock(&v->lock);
			encodes = v->live && !strcmp(v->app.app.name, a->app.name) ? v->encodes : 0;
			secs = encodes ? v->encode_seconds : 0;
			pthread_mutex_unlock(&v->lock);
			app_series(b, fams[f].name, a);
			switch (f) {
			case 0:
				sb_printf(b, " %u\n", a->cfg.width);
				break;
			case 1:
				sb_printf(b, " %u\n", a->cfg.height);
				break;
			case 2:
				sb_printf(b, " %llu\n", (unsigned long long)s->rows[id]
								[THINGS_R_CANVAS_PAINTED].packets);
				break;
			case 3:
				sb_printf(b, " %llu\n", (unsigned long long)encodes);
				break;
			default:
				sb_printf(b, " %.6f\n", secs);
				break;
			}
		}
	}
}

static void interfaces(struct sbuf *b, const struct scrape *s)
{
	char why[APPSTATE_WHY_LEN];
	json_object *ifaces = content_ifaces(s->q->o->pin_dir, why, sizeof(why));
	struct rtnl *rt = rtnl_open(0);
	static const char *const names[] = { "things_interface_info", "things_interface_up",
					     "things_interface_xdp_attached",
					     "things_interface_allmulti_set" };
	static const char *const helps[] = {
		"Each interface the data plane answers NDP on, with its MAC.",
		"1 if the interface is up.",
		"1 if an XDP program is attached to the interface.",
		"1 if thingsd turned allmulticast on there (and will turn it off).",
	};

	for (size_t f = 0; ifaces && f < 4; f++) {
		family(b, names[f], "gauge", helps[f]);
		for (size_t i = 0; i < json_object_array_length(ifaces); i++) {
			json_object *ifc = json_object_array_get_idx(ifaces, i);
			int ifindex = json_object_get_int(json_object_object_get(ifc, "ifindex"));
			struct rtnl_link link = { 0 };
			bool have = rt && !rtnl_link_get(rt, ifindex, &link);

			sb_printf(b, "%s{interface=\"", names[f]);
			sb_label(b, json_object_get_string(json_object_object_get(ifc, "name")));
			if (f == 0) {
				sb_printf(b, "\",ifindex=\"%d\",mac=\"", ifindex);
				sb_label(b, json_object_get_string(json_object_object_get(ifc, "mac")));
				sb_puts(b, "\"} 1\n");
			} else if (f == 1) {
				sb_printf(b, "\"} %d\n", have && (link.flags & IFF_UP));
			} else if (f == 2) {
				sb_printf(b, "\"} %d\n", have && link.xdp_prog_id);
			} else {
				sb_printf(b, "\"} %d\n", json_object_get_boolean(json_object_object_get(
								ifc, "allmulti_set")));
			}
		}
	}
	if (rt)
		rtnl_close(rt);
	json_object_put(ifaces);
}

static void web_streams(struct sbuf *b, struct hub *h)
{
	static const char *const kinds[] = { "apps", "board", "tree", "canvas" };
	unsigned long open[4] = { 0 };

	for (__u32 id = 0; id < THINGS_MAX_APPS; id++) {
		struct view *v = &h->views[id];
		int k;

		pthread_mutex_lock(&v->lock);
		k = id == 0 ? 0 : v->app.app.kind == THINGS_KIND_BOARD ? 1 :
			      v->app.app.kind == THINGS_KIND_TREE ? 2 : 3;
		open[k] += v->streams;
		pthread_mutex_unlock(&v->lock);
	}
	family(b, "things_web_event_streams", "gauge", "Event streams open now, by what they show.");
	for (int k = 0; k < 4; k++)
		sb_printf(b, "things_web_event_streams{stream=\"%s\"} %lu\n", kinds[k], open[k]);
	family(b, "things_web_event_streams_opened_total", "counter", "Event streams ever opened.");
	sb_printf(b, "things_web_event_streams_opened_total %lu\n",
		  atomic_load(&h->streams_total));
	family(b, "things_web_png_bytes", "gauge",
	       "Bytes of canvas PNGs alive: shown now, or still being sent to a client.");
	sb_printf(b, "things_web_png_bytes %zu\n", atomic_load(&h->png_bytes));
}

void metrics(struct request *q, struct reply *r)
{
	struct scrape s = { .q = q };
	char why[APPSTATE_WHY_LEN];
	struct sbuf b = { 0 };
	int fd, err;

	s.apps = malloc(THINGS_MAX_APPS * sizeof(*s.apps));
	s.rows = calloc(THINGS_MAX_APPS, sizeof(*s.rows));
	if (!s.apps || !s.rows) {
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, false, "out of memory for a scrape");
		goto out;
	}
	if (appstate_read_apps(q->o->pin_dir, s.apps, why, sizeof(why)) < 0) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, false, "%s", why);
		goto out;
	}
	fd = appstate_open_pin(q->o->pin_dir, THINGS_PIN_STATS, false, why, sizeof(why));
	err = fd < 0 ? fd : things_stats_read(fd, s.rows);
	if (fd >= 0)
		close(fd);
	if (err) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, false, "cannot read %s/%s: %s",
			    q->o->pin_dir, THINGS_PIN_STATS, strerror(-err));
		goto out;
	}
	for (__u32 id = 0; id < THINGS_MAX_APPS; id++) {
		if (id && s.apps[id].id)
			continue;
		for (unsigned int rs = 0; rs < THINGS_R_MAX; rs++) {
			s.other[rs].packets += s.rows[id][rs].packets;
			s.other[rs].bytes += s.rows[id][rs].bytes;
		}
	}
	build_info(&b);
	app_info(&b, &s);
	counters(&b, &s, false);
	counters(&b, &s, true);
	boards(&b, &s);
	trees(&b, &s);
	canvases(&b, &s);
	interfaces(&b, &s);
	web_streams(&b, q->h);
	reply_sbuf(r, MHD_HTTP_OK, TEXT_FORMAT, &b);
out:
	free(s.apps);
	free(s.rows);
}
