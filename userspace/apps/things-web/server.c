// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * HTTP with libmicrohttpd: one daemon per listening address, each with a
 * pool of threads on epoll. What keeps one client from stalling the others
 * or growing memory is libmicrohttpd's: a request must fit in a fixed
 * memory pool per connection (a longer URL or header is answered 414/431
 * and the connection closed), an idle connection is closed after a
 * timeout, the number of connections is capped, and a slow reader only
 * holds its own connection (responses are shared, never copied per
 * client). Only GET and HEAD are served; a body is dropped as it comes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "names.h"
#include "text.h"
#include "web.h"

/* Per connection: the request line, the headers and the reply's headers
 * must fit; a URL longer than this is refused, whatever its length. */
#define CONNECTION_MEMORY (32 * 1024)

struct server {
	struct MHD_Daemon *d;
	struct hub *h;
	const struct web_opts *o;
};

static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
			  "img-src 'self'; connect-src 'self'; base-uri 'none'; "
			  "form-action 'none'; frame-ancestors 'none'";

void reply_sbuf(struct reply *r, unsigned int status, const char *type, struct sbuf *b)
{
	r->status = status;
	r->type = type;
	r->body = blob_from_sbuf(b);
	if (!r->body)
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
}

void reply_json(struct reply *r, unsigned int status, json_object *j)
{
	struct sbuf b = { 0 };

	sb_puts(&b, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	sb_puts(&b, "\n");
	json_object_put(j);
	reply_sbuf(r, status, "application/json", &b);
}

void reply_error(struct reply *r, unsigned int status, bool api, const char *fmt, ...)
{
	char msg[APPSTATE_WHY_LEN + 128], safe[4 * sizeof(msg)];
	struct sbuf b = { 0 };
	json_object *j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The message may quote the URL: only printable ASCII goes out. */
	things_escape(safe, sizeof(safe), msg);
	if (api) {
		j = json_object_new_object();
		json_object_object_add(j, "error", json_object_new_string(safe));
		reply_json(r, status, j);
		return;
	}
	sb_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<link rel=\"stylesheet\" href=\"/static/things.css\">");
	sb_printf(&b, "<title>%u · IPv6 Things</title></head><body><main class=\"error\">"
		      "<h1>%u</h1><p>", status, status);
	sb_html(&b, safe);
	sb_puts(&b, "</p><p><a href=\"/\">All apps</a></p></main></body></html>\n");
	reply_sbuf(r, status, "text/html; charset=utf-8", &b);
}

int request_app(struct request *q, struct reply *r, const char *name, int kind, bool api,
		struct appstate_app *app)
{
	struct appstate_app *apps = malloc(THINGS_MAX_APPS * sizeof(*apps));
	const struct appstate_app *found = NULL;
	char why[APPSTATE_WHY_LEN];
	int err;

	if (!apps) {
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, api, "out of memory for the apps");
		return -ENOMEM;
	}
	/* Pins that cannot be read are the server's trouble, not the URL's. */
	err = appstate_read_apps(q->o->pin_dir, apps, why, sizeof(why));
	if (err < 0) {
		reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, api, "%s", why);
	} else if (!things_app_name_valid(name) || !(found = appstate_app_by_name(apps, name))) {
		reply_error(r, MHD_HTTP_NOT_FOUND, api, "no app named '%s'", name);
		err = -ENOENT;
	} else if (kind >= 0 && (err = appstate_check_kind(found, kind, why, sizeof(why)))) {
		reply_error(r, MHD_HTTP_NOT_FOUND, api, "%s", why);
	} else {
		*app = *found;
		err = 0;
	}
	free(apps);
	return err;
}

/* The rest of url after prefix, or NULL. */
static const char *after(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(url, prefix, n) ? NULL : url + n;
}

/* "board/NAME" into what and name; "apps" into what, name "". False for
 * anything else (more slashes, too long). */
static bool split(const char *path, char what[16], char name[THINGS_APP_NAME_MAX + 8])
{
	const char *slash = strchr(path, '/');
	size_t wlen = slash ? (size_t)(slash - path) : strlen(path);
	const char *rest = slash ? slash + 1 : "";

	if (!wlen || wlen >= 16 || strlen(rest) >= THINGS_APP_NAME_MAX + 8 || strchr(rest, '/') ||
	    (slash && !*rest))
		return false;
	memcpy(what, path, wlen);
	what[wlen] = '\0';
	strcpy(name, rest);
	return true;
}

static void route(struct request *q, struct reply *r)
{
	char what[16], name[THINGS_APP_NAME_MAX + 8];
	const char *rest;
	int kind;

	if (!strcmp(q->url, "/")) {
		page_index(q, r);
	} else if (!strcmp(q->url, "/metrics")) {
		metrics(q, r);
	} else if ((rest = after(q->url, "/static/"))) {
		if (!asset(rest, r))
			reply_error(r, MHD_HTTP_NOT_FOUND, false, "no such file");
	} else if ((rest = after(q->url, "/api/"))) {
		if (split(rest, what, name))
			api(q, r, what, name);
		else
			reply_error(r, MHD_HTTP_NOT_FOUND, true, "no such API");
	} else if ((rest = after(q->url, "/events/"))) {
		if (split(rest, what, name))
			events(q, r, what, name);
		else
			reply_error(r, MHD_HTTP_NOT_FOUND, false, "no such event stream");
	} else if (split(q->url + 1, what, name) && *name &&
		   ((kind = things_kind_parse(what)) == THINGS_KIND_BOARD ||
		    kind == THINGS_KIND_TREE || kind == THINGS_KIND_CANVAS)) {
		size_t n = strlen(name);

		/* A canvas's snapshot: its page's name with .png. */
		if (kind == THINGS_KIND_CANVAS && n > 4 && !strcmp(name + n - 4, ".png")) {
			name[n - 4] = '\0';
			page_canvas_png(q, r, name);
		} else {
			page_app(q, r, kind, name);
		}
	} else {
		reply_error(r, MHD_HTTP_NOT_FOUND, false, "nothing is here");
	}
}

static void unref_body(void *cls)
{
	blob_unref(cls);
}

static void add_common_headers(struct MHD_Response *resp, const struct reply *r)
{
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (!r->response)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
					r->cache ? "no-cache" : "no-store");
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r)
{
	struct MHD_Response *resp = r->response;
	enum MHD_Result ret;
	const char *match;

	if (!resp) {
		match = r->etag ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_IF_NONE_MATCH) :
				  NULL;
		if (match && !strcmp(match, r->etag)) {
			blob_unref(r->body);
			r->body = NULL;
			r->status = MHD_HTTP_NOT_MODIFIED;
		}
		resp = r->body ? MHD_create_response_from_buffer_with_free_callback_cls(
					 r->body->len, r->body->data, unref_body, r->body) :
				 MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (!resp) {
			blob_unref(r->body);
			return MHD_NO;
		}
		if (r->type && r->status != MHD_HTTP_NOT_MODIFIED)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
		if (r->etag)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	}
	add_common_headers(resp, r);
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct server *s = cls;
	struct request q = { .h = s->h, .o = s->o, .conn = conn, .url = url };
	struct reply r = { .status = MHD_HTTP_OK };
	char safe[256], safe_method[64];

	static char seen;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);

	(void)version;
	(void)upload_data;
	/*
	 * libmicrohttpd calls once with the headers, then with the body if
	 * any. A GET is answered after the body (dropped unread, whatever its
	 * size), which keeps the connection open for the next request; other
	 * methods on the headers, which closes it.
	 */
	if (!*req_cls) {
		*req_cls = &seen;
		if (s->o->verbose > 1) {
			things_escape(safe, sizeof(safe), url);
			things_escape(safe_method, sizeof(safe_method), method);
			pr_debug("%s %s\n", safe_method, safe);
		}
		if (get)
			return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (get)
		route(&q, &r);
	else
		reply_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED, false,
			    "only GET and HEAD are served here");
	return send_reply(conn, &r);
}

/* libmicrohttpd's messages are about clients (a closed connection, a bad
 * request): detail, shown from -vv, escaped as they may quote a client. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512], safe[4 * sizeof(msg)];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	things_escape(safe, sizeof(safe), msg);
	pr_debug("http: %s\n", safe);
}

struct server *server_start(struct hub *h, const struct web_opts *o, const struct web_listen *l)
{
	struct server *s = calloc(1, sizeof(*s));
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if (!s) {
		pr_err("out of memory for the server on %s\n", l->text);
		return NULL;
	}
	s->h = h;
	s->o = o;
	if (l->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&l->addr,
				MHD_OPTION_THREAD_POOL_SIZE, o->threads,
				MHD_OPTION_CONNECTION_LIMIT, o->max_clients,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip,
				MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				MHD_OPTION_END);
	if (!s->d) {
		/* libmicrohttpd says why only in its log; errno is its bind's */
		pr_err("cannot listen on %s: %s\n", l->text,
		       errno ? strerror(errno) : "libmicrohttpd refused to start");
		free(s);
		return NULL;
	}
	return s;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
