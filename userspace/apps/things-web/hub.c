// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The hub: one view per app (and one of the app list), brought up to date
 * from the pins when a cheap signal says they changed, and a poller that
 * does so for the views someone streams. A read-only reader cannot be
 * woken by the data plane (the maps have no notification), so the watched
 * views are polled: one counter lookup per watched app and interval.
 *
 * Change detection: the data plane's own counter of the app's updates
 * (board-posted, tree-lit, canvas-painted, per-CPU and summed) says when to
 * read the state at all; what was read is then compared with what is shown
 * (the JSON, or the canvas's pixels), and only a difference publishes a
 * new version. A PNG is thus encoded once per change of the pixels, however
 * many viewers there are. A watched view is also read every few seconds
 * without a signal, for changes no counter sees (thingsctl canvas clear).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "web.h"

/* A watched view is read at least this often, signal or not. */
#define RECHECK_MS 2000
/* The list of apps changes with every packet's counter: once a second. */
#define APPS_MS 1000
/* Streams with nothing to say are woken this often to send a comment, so
 * that a client gone away is noticed and proxies keep the stream. */
#define KEEPALIVE_MS 15000

static struct timespec now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

static long long ms_between(struct timespec a, struct timespec b)
{
	return (b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static double seconds_between(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static void view_drop_content(struct view *v)
{
	blob_unref(v->payload);
	blob_unref(v->event);
	blob_unref(v->png);
	free(v->pixels);
	v->payload = v->event = v->png = NULL;
	v->pixels = NULL;
	v->npixels = 0;
	v->have_signal = false;
	v->checked = (struct timespec){ 0 };
}

static bool same_app(const struct appstate_app *a, const struct appstate_app *b)
{
	return a->id == b->id && !strcmp(a->app.name, b->app.name) && a->app.kind == b->app.kind &&
	       !memcmp(&a->app.prefix, &b->app.prefix, sizeof(a->app.prefix)) &&
	       !memcmp(&a->cfg, &b->cfg, sizeof(a->cfg));
}

/* Another app (or none) at the view's id: what it showed is void, and its
 * streams end, so their pages reconnect and find out what is there now. */
static void view_reset_locked(struct view *v, const struct appstate_app *app)
{
	v->live = app != NULL;
	if (app)
		v->app = *app;
	v->gen++;
	v->version++;
	v->encodes = 0;
	v->encode_seconds = 0;
	view_drop_content(v);
	view_wake_locked(v);
}

struct view *hub_view(struct hub *h, const struct appstate_app *app)
{
	struct view *v = &h->views[app->id];

	pthread_mutex_lock(&v->lock);
	if (!v->live || !same_app(&v->app, app))
		view_reset_locked(v, app);
	pthread_mutex_unlock(&v->lock);
	return v;
}

struct blob *view_get(struct view *v, enum view_part part, __u64 *version)
{
	struct blob *b;

	pthread_mutex_lock(&v->lock);
	b = blob_ref(part == VIEW_PNG ? v->png : part == VIEW_EVENT ? v->event : v->payload);
	if (version)
		*version = v->version;
	pthread_mutex_unlock(&v->lock);
	return b;
}

/* What a refresh read, to be published if it differs. */
struct fresh {
	struct blob *payload;
	__u32 *pixels;
	size_t npixels;
	struct blob *png;
	double seconds;		/* spent on the PNG */
};

static const char *event_name(const struct appstate_app *app)
{
	switch (app->app.kind) {
	case THINGS_KIND_BOARD:
		return "board";
	case THINGS_KIND_TREE:
		return "tree";
	case THINGS_KIND_CANVAS:
		return "canvas";
	default:
		return "apps";
	}
}

static struct blob *json_blob(json_object *j)
{
	struct sbuf b = { 0 };

	sb_puts(&b, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return blob_from_sbuf(&b);
}

static int read_json(struct hub *h, const struct appstate_app *app, struct fresh *f, char *why,
		     size_t why_len)
{
	const char *pin_dir = h->o->pin_dir;
	json_object *j;

	if (app->id == 0)
		j = content_apps(pin_dir, why, why_len);
	else if (app->app.kind == THINGS_KIND_BOARD)
		j = content_board(pin_dir, app, true, why, why_len);
	else
		j = content_tree(pin_dir, app, true, why, why_len);
	if (!j)
		return -EIO;
	f->payload = json_blob(j);
	if (!f->payload) {
		snprintf(why, why_len, "out of memory for what %s shows", app->app.name);
		return -ENOMEM;
	}
	return 0;
}

static int read_canvas(struct hub *h, const struct appstate_app *app, struct fresh *f, char *why,
		       size_t why_len)
{
	f->npixels = (size_t)app->cfg.width * app->cfg.height;
	f->pixels = malloc(f->npixels * sizeof(*f->pixels) + 1);
	if (!f->pixels) {
		snprintf(why, why_len, "out of memory for canvas '%s'", app->app.name);
		return -ENOMEM;
	}
	return appstate_canvas_read(h->o->pin_dir, app, f->pixels, f->npixels, why, why_len);
}

/* The canvas's PNG and its payload; the version it will be published as. */
static int encode_canvas(struct hub *h, const struct appstate_app *app, __u64 version,
			 __u64 painted, struct fresh *f, char *why, size_t why_len)
{
	struct timespec t0 = now();
	json_object *j;
	size_t len;
	void *png;
	int err;

	err = appstate_png_encode_fast(f->pixels, app->cfg.width, app->cfg.height, APPSTATE_PNG_RGB,
				       &png, &len, why, why_len);
	if (err)
		return err;
	f->png = blob_wrap(png, len);
	if (f->png)
		blob_account(f->png, &h->png_bytes);
	j = json_object_new_object();
	json_object_object_add(j, "version", json_object_new_uint64(version));
	json_object_object_add(j, "width", json_object_new_int(app->cfg.width));
	json_object_object_add(j, "height", json_object_new_int(app->cfg.height));
	json_object_object_add(j, "painted", json_object_new_uint64(painted));
	f->payload = json_blob(j);
	f->seconds = seconds_between(t0, now());
	if (!f->png || !f->payload) {
		snprintf(why, why_len, "out of memory for the PNG of canvas '%s'", app->app.name);
		return -ENOMEM;
	}
	return 0;
}

static void fresh_free(struct fresh *f)
{
	blob_unref(f->payload);
	blob_unref(f->png);
	free(f->pixels);
}

/* Does what was read differ from what the view shows? Call under lock. */
static bool differs_locked(const struct view *v, const struct fresh *f)
{
	if (!v->payload)
		return true;
	if (f->pixels)
		return f->npixels != v->npixels ||
		       memcmp(f->pixels, v->pixels, f->npixels * sizeof(*f->pixels));
	return f->payload->len != v->payload->len ||
	       memcmp(f->payload->data, v->payload->data, f->payload->len);
}

/* Publishes what was read as the next version, unless the view was reset
 * meanwhile (what was read belongs to the app that was there). */
static void publish_locked(struct view *v, struct fresh *f, struct blob *event)
{
	blob_unref(v->payload);
	blob_unref(v->event);
	v->payload = f->payload;
	v->event = event;
	f->payload = NULL;
	if (f->pixels) {
		blob_unref(v->png);
		free(v->pixels);
		v->png = f->png;
		v->pixels = f->pixels;
		v->npixels = f->npixels;
		f->png = NULL;
		f->pixels = NULL;
		v->encodes++;
		v->encode_seconds += f->seconds;
	}
	v->version++;
	view_wake_locked(v);
}

int view_refresh(struct hub *h, struct view *v, unsigned int min_age_ms, bool force, char *why,
		 size_t why_len)
{
	struct appstate_app app;
	struct fresh f = { 0 };
	struct blob *event = NULL;
	struct timespec t = now(), checked;
	bool live, shown, had_signal, have_signal, differs;
	__u64 gen, version, old_signal, signal = 0;
	int err = 0;

	pthread_mutex_lock(&v->build);
	pthread_mutex_lock(&v->lock);
	live = v->live;
	app = v->app;
	gen = v->gen;
	version = v->version;
	checked = v->checked;
	shown = v->payload != NULL;
	had_signal = v->have_signal;
	old_signal = v->signal;
	pthread_mutex_unlock(&v->lock);

	if (!live) {
		err = -ENOENT;
		snprintf(why, why_len, "the app is gone");
		goto out;
	}
	if (shown && ms_between(checked, t) < min_age_ms)
		goto out;
	/* Clients still being sent older frames hold them: no new one until
	 * they catch up, so slow clients slow the frames, not grow memory. */
	if (shown && app.id && app.app.kind == THINGS_KIND_CANVAS &&
	    atomic_load(&h->png_bytes) > WEB_PNG_BUDGET)
		goto out;
	/* Read before the state, so that a change made while the state is
	 * read moves it again and is read next time. */
	have_signal = app.id && !content_signal(h->o->pin_dir, &app, &signal);
	if (shown && !force && have_signal && had_signal && signal == old_signal) {
		pthread_mutex_lock(&v->lock);
		v->checked = t;
		pthread_mutex_unlock(&v->lock);
		goto out;
	}
	if (app.id && app.app.kind == THINGS_KIND_CANVAS)
		err = read_canvas(h, &app, &f, why, why_len);
	else
		err = read_json(h, &app, &f, why, why_len);
	if (err)
		goto out;

	pthread_mutex_lock(&v->lock);
	differs = v->gen == gen && differs_locked(v, &f);
	pthread_mutex_unlock(&v->lock);
	if (differs && f.pixels)
		err = encode_canvas(h, &app, version + 1, signal, &f, why, why_len);
	if (differs && !err) {
		event = sse_event(event_name(&app), version + 1, f.payload);
		if (!event) {
			err = -ENOMEM;
			snprintf(why, why_len, "out of memory for an event of %s", app.app.name);
		}
	}
	if (err)
		goto out;

	pthread_mutex_lock(&v->lock);
	if (v->gen == gen) {
		if (differs) {
			publish_locked(v, &f, event);
			event = NULL;
		}
		v->checked = t;
		v->have_signal = have_signal;
		v->signal = signal;
	}
	pthread_mutex_unlock(&v->lock);
out:
	pthread_mutex_unlock(&v->build);
	blob_unref(event);
	fresh_free(&f);
	return err;
}

/* ---- the poller ---- */

/* Brings the identity of every streamed view up to date with the pins. */
static void sync_streamed(struct hub *h, struct appstate_app *apps)
{
	char why[APPSTATE_WHY_LEN];

	/* Pins that cannot be read (thingsd never ran, or is making them
	 * anew): the streams wait, with keep-alives, for what comes. */
	if (appstate_read_apps(h->o->pin_dir, apps, why, sizeof(why)) < 0) {
		pr_debug("%s\n", why);
		return;
	}
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		struct view *v = &h->views[id];

		pthread_mutex_lock(&v->lock);
		if (v->streams) {
			if (!apps[id].id && v->live)
				view_reset_locked(v, NULL);
			else if (apps[id].id && (!v->live || !same_app(&v->app, &apps[id])))
				view_reset_locked(v, &apps[id]);
		}
		pthread_mutex_unlock(&v->lock);
	}
}

static void refresh_streamed(struct hub *h, struct timespec t)
{
	char why[APPSTATE_WHY_LEN];

	for (__u32 id = 0; id < THINGS_MAX_APPS; id++) {
		struct view *v = &h->views[id];
		unsigned int min_age = 0, kind;
		bool watched, recheck;

		pthread_mutex_lock(&v->lock);
		watched = v->streams && v->live;
		recheck = ms_between(v->checked, t) >= RECHECK_MS;
		kind = v->app.app.kind;
		pthread_mutex_unlock(&v->lock);
		if (!watched)
			continue;
		if (id == 0) {
			min_age = APPS_MS;
			recheck = true;
		} else if (kind == THINGS_KIND_CANVAS) {
			min_age = h->o->frame_ms;
		}
		if (view_refresh(h, v, min_age, recheck, why, sizeof(why)))
			pr_debug("%s\n", why);
	}
}

static void wake_all(struct hub *h)
{
	for (__u32 id = 0; id < THINGS_MAX_APPS; id++) {
		pthread_mutex_lock(&h->views[id].lock);
		view_wake_locked(&h->views[id]);
		pthread_mutex_unlock(&h->views[id].lock);
	}
}

static bool any_streams(struct hub *h)
{
	bool any = false;

	for (__u32 id = 0; id < THINGS_MAX_APPS && !any; id++) {
		pthread_mutex_lock(&h->views[id].lock);
		any = h->views[id].streams;
		pthread_mutex_unlock(&h->views[id].lock);
	}
	return any;
}

/* Sleeps one interval; false once the hub is closing. */
static bool tick(struct hub *h)
{
	struct timespec until;
	bool go;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)h->o->interval_ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&h->stop_lock);
	while (!h->stopping &&
	       pthread_cond_timedwait(&h->stop_cond, &h->stop_lock, &until) != ETIMEDOUT)
		;
	go = !h->stopping;
	pthread_mutex_unlock(&h->stop_lock);
	return go;
}

static void *poller(void *arg)
{
	struct hub *h = arg;
	struct appstate_app *apps = malloc(THINGS_MAX_APPS * sizeof(*apps));
	struct timespec last_keepalive = now();

	if (!apps) {
		pr_err("out of memory for the poller: nothing is streamed\n");
		return NULL;
	}
	while (tick(h)) {
		struct timespec t = now();

		if (!any_streams(h))
			continue;
		sync_streamed(h, apps);
		refresh_streamed(h, t);
		if (ms_between(last_keepalive, t) >= KEEPALIVE_MS / 2) {
			wake_all(h);
			last_keepalive = t;
		}
	}
	free(apps);
	return NULL;
}

static void init_clock_cond(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

int hub_start(struct hub *h, const struct web_opts *o)
{
	int err;

	memset(h, 0, sizeof(*h));
	h->o = o;
	if (getrandom(&h->boot, sizeof(h->boot), 0) != sizeof(h->boot))
		h->boot = (unsigned long long)time(NULL) << 16 ^ (unsigned long long)getpid();
	for (__u32 id = 0; id < THINGS_MAX_APPS; id++) {
		pthread_mutex_init(&h->views[id].build, NULL);
		pthread_mutex_init(&h->views[id].lock, NULL);
		h->views[id].app.id = id;
	}
	/* Slot 0, the list of apps, is always there. */
	h->views[0].live = true;
	h->views[0].app.app.kind = THINGS_KIND_MAX;
	pthread_mutex_init(&h->stop_lock, NULL);
	init_clock_cond(&h->stop_cond);
	err = pthread_create(&h->thread, NULL, poller, h);
	if (err) {
		pr_err("cannot start the poller thread: %s\n", strerror(err));
		return -err;
	}
	return 0;
}

void hub_close(struct hub *h)
{
	pthread_mutex_lock(&h->stop_lock);
	h->stopping = true;
	pthread_cond_signal(&h->stop_cond);
	pthread_mutex_unlock(&h->stop_lock);
	pthread_join(h->thread, NULL);
	/* Before the wake-up, so that no stream suspends itself after it. */
	atomic_store(&h->closing, true);
	wake_all(h);
}

void hub_destroy(struct hub *h)
{
	for (__u32 id = 0; id < THINGS_MAX_APPS; id++) {
		view_drop_content(&h->views[id]);
		pthread_mutex_destroy(&h->views[id].build);
		pthread_mutex_destroy(&h->views[id].lock);
	}
	pthread_cond_destroy(&h->stop_cond);
	pthread_mutex_destroy(&h->stop_lock);
}
