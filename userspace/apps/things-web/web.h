/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_WEB_H
#define THINGS_WEB_H

/*
 * things-web: a live web view of the apps and Prometheus metrics, built
 * only from the pinned maps, opened read-only. It keeps no state of its
 * own: what it holds in memory (the last PNG of a canvas, the last board
 * it sent) is a cache of the pins that a restart rebuilds.
 */

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "appstate.h"

#define THINGS_WEB_VERSION "0.1"
#define EXIT_USAGE 2

#define WEB_MAX_LISTEN 16
#define WEB_DEF_INTERVAL_MS 25
#define WEB_DEF_FRAME_MS 100
#define WEB_DEF_TIMEOUT_S 30
#define WEB_DEF_MAX_CLIENTS 1024
/* PNGs alive at once (each client holds the frame it is being sent):
 * past this, no new frame is made until clients catch up. */
#define WEB_PNG_BUDGET (256UL << 20)

struct web_listen {
	char text[128];			/* as given, for messages */
	struct sockaddr_storage addr;
	socklen_t len;
};

struct web_opts {
	const char *pin_dir;
	struct web_listen listen[WEB_MAX_LISTEN];
	unsigned int n_listen;
	unsigned int interval_ms;	/* how often watched apps are looked at */
	unsigned int frame_ms;		/* the least time between two canvas frames */
	unsigned int threads;		/* per listening address */
	unsigned int timeout_s;		/* an idle connection is closed after this */
	unsigned int max_clients;	/* per listening address */
	unsigned int max_per_ip;	/* 0: no limit */
	int verbose;
};

/* ---- sbuf.c: text that grows, and shared immutable bytes ---- */

/* A string being built; on a failed allocation it stops growing and says
 * so in failed, so a caller checks once at the end. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

void sb_putn(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
__attribute__((format(printf, 2, 3))) void sb_printf(struct sbuf *b, const char *fmt, ...);
/* s with & < > " ' as character references: safe in text and in quoted
 * attribute values. */
void sb_html(struct sbuf *b, const char *s);
/* s as the value of a Prometheus label: \ " and newline escaped. */
void sb_label(struct sbuf *b, const char *s);
void sb_free(struct sbuf *b);

/* Bytes many readers share (a page of events, a PNG): freed with the last
 * reference. */
struct blob {
	atomic_uint refs;
	bool borrowed;			/* data is not ours to free */
	atomic_size_t *account;		/* counts len while the blob lives, or NULL */
	size_t len;
	char *data;
};

/* Takes data (malloc'd) and returns a blob with one reference, or NULL
 * (data freed). */
struct blob *blob_wrap(void *data, size_t len);
/* The sbuf's text as a blob (the sbuf is emptied), or NULL. */
struct blob *blob_from_sbuf(struct sbuf *b);
/* A blob of constant data (never freed), or NULL. */
struct blob *blob_static(const char *data, size_t len);
struct blob *blob_ref(struct blob *b);
/* Counts the blob's bytes in *account until it is freed. */
void blob_account(struct blob *b, atomic_size_t *account);
void blob_unref(struct blob *b);

/* ---- hub.c: what the pins look like now, and who waits for a change ---- */

/*
 * What a watched thing shows. Slot 0 is the list of apps (id 0 is no app);
 * slot id the app of that id. A view is brought up to date only when a
 * cheap signal says it changed (a counter of the data plane), and publishes
 * a new version only when what it shows differs, so a change is read and
 * encoded once however many people watch.
 */
struct stream;

struct view {
	pthread_mutex_t build;		/* one refresh at a time */
	pthread_mutex_t lock;		/* everything below */
	bool live;			/* an app is at this id */
	struct appstate_app app;
	__u64 gen;			/* another app took the id: streams end */
	__u64 version;			/* what is shown changed */
	bool have_signal;
	__u64 signal;			/* the counter when the pins were last read */
	struct timespec checked;	/* when the pins were last read */
	struct blob *payload;		/* the JSON shown, without event framing */
	struct blob *event;		/* the same as one server-sent event */
	struct blob *png;		/* canvas: the PNG of version */
	__u32 *pixels;			/* canvas: what png shows */
	size_t npixels;
	unsigned int streams;		/* open event streams */
	struct stream *waiters;		/* suspended streams, woken on a change */
	__u64 encodes;			/* PNGs made */
	double encode_seconds;		/* spent encoding them */
};

struct hub {
	const struct web_opts *o;
	struct view views[THINGS_MAX_APPS];
	pthread_t thread;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;			/* under stop_lock: the poller ends */
	atomic_bool closing;		/* event streams end */
	atomic_ulong streams_total;	/* event streams ever opened */
	atomic_size_t png_bytes;	/* PNGs alive: shown, or still being sent */
	/* Versions start again with each process: entity tags carry this
	 * too, so that a browser's copy from before a restart never matches. */
	unsigned long long boot;
};

int hub_start(struct hub *h, const struct web_opts *o);
/* Ends every event stream and the poller; before the HTTP daemons stop. */
void hub_close(struct hub *h);
void hub_destroy(struct hub *h);

/* The view of app (found in the pins just now), its identity brought up to
 * date: an app of another name, kind or size at the id starts it anew. */
struct view *hub_view(struct hub *h, const struct appstate_app *app);
/*
 * Brings a view up to date with the pins: not at all when it was read less
 * than min_age_ms ago; else only when its signal moved or force. 0, or
 * -errno with why.
 */
int view_refresh(struct hub *h, struct view *v, unsigned int min_age_ms, bool force, char *why,
		 size_t why_len);
/* A reference to what the view shows now (payload, event or png), or NULL. */
enum view_part { VIEW_PAYLOAD, VIEW_EVENT, VIEW_PNG };
struct blob *view_get(struct view *v, enum view_part part, __u64 *version);
/* Wakes every stream suspended on v. Call with v->lock held. */
void view_wake_locked(struct view *v);

/* ---- content.c: what each kind of view shows ---- */

/* The counter that moves when the app's state changes (board-posted,
 * tree-lit, canvas-painted); -ENOTSUP for a view without one. */
int content_signal(const char *pin_dir, const struct appstate_app *app, __u64 *signal);
/* The JSON a view shows; NULL with why. */
json_object *content_board(const char *pin_dir, const struct appstate_app *app, bool with_net,
			   char *why, size_t why_len);
json_object *content_tree(const char *pin_dir, const struct appstate_app *app, bool view,
			  char *why, size_t why_len);
json_object *content_apps(const char *pin_dir, char *why, size_t why_len);
json_object *content_stats(const char *pin_dir, char *why, size_t why_len);
json_object *content_ifaces(const char *pin_dir, char *why, size_t why_len);

/* ---- sse.c: server-sent events ---- */

/* A response that streams the view's versions as they come, or NULL. */
struct MHD_Response *sse_response(struct hub *h, struct view *v, struct MHD_Connection *conn);
/* The SSE event text for one version. */
struct blob *sse_event(const char *name, __u64 version, const struct blob *payload);

/* ---- server.c: HTTP ---- */

struct server;
struct server *server_start(struct hub *h, const struct web_opts *o, const struct web_listen *l);
void server_stop(struct server *s);

/* What a handler gives back to the router. */
struct reply {
	unsigned int status;
	const char *type;		/* Content-Type */
	struct blob *body;		/* taken; NULL: an empty body */
	struct MHD_Response *response;	/* instead of body: made by the handler */
	const char *etag;		/* a quoted entity tag, or NULL */
	char etag_buf[48];		/* room for one */
	bool cache;			/* may be cached and revalidated */
};

/* A request being answered. */
struct request {
	struct hub *h;
	const struct web_opts *o;
	struct MHD_Connection *conn;
	const char *url;
};

/* Replies built of text: the body taken from the sbuf. */
void reply_sbuf(struct reply *r, unsigned int status, const char *type, struct sbuf *b);
void reply_json(struct reply *r, unsigned int status, json_object *j);
/* An error page or JSON (api) with the message, escaped. */
void reply_error(struct reply *r, unsigned int status, bool api, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Finds app name of kind: 0, or a reply (404, 503) already made. */
int request_app(struct request *q, struct reply *r, const char *name, int kind, bool api,
		struct appstate_app *app);

/* ---- pages.c, tree_svg.c, metrics.c, api.c, assets.c ---- */

void page_index(struct request *q, struct reply *r);
void page_app(struct request *q, struct reply *r, int kind, const char *name);
void page_canvas_png(struct request *q, struct reply *r, const char *name);
/* The tree as SVG: its lights (THINGS_LIGHT_ON | 0xRRGGBB, 0 dark). */
void tree_svg(struct sbuf *b, const __u32 *lights, unsigned int n, bool small);
void metrics(struct request *q, struct reply *r);
void api(struct request *q, struct reply *r, const char *what, const char *name);
void events(struct request *q, struct reply *r, const char *what, const char *name);
/* A static asset by name ("things.css"); false if there is none. */
bool asset(const char *name, struct reply *r);

/* The address to ping for a sample of the app's input, and what it does
 * ("posts “Hi there”"); false for kinds that read no address. */
bool sample_address(const struct appstate_app *app, char *addr, size_t addr_len, char *what,
		    size_t what_len);
/* The groups of the address every address of the app starts with, as the
 * pages' address helper completes them: "2001:db8:1:b0a" (board, canvas:
 * 4 groups; tree: 5). */
void address_head(const struct appstate_app *app, char *buf, size_t len);

#endif
