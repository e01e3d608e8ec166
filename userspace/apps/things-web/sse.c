// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Server-sent events. Each stream sends its view's newest version, never a
 * backlog: a page needs the state, not the history, so a slow reader skips
 * versions instead of making the server queue them. A stream with nothing
 * to send is suspended (libmicrohttpd leaves it out of its event loop) and
 * woken by the view when a version is published, so thousands of idle
 * streams cost no thread and no polling. What a stream holds is a
 * reference to one shared event and its place in it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web.h"

#define RETRY "retry: 2000\n\n"
#define KEEPALIVE ": keep-alive\n\n"
/* A stream that wrote nothing for this long says it is alive. */
#define KEEPALIVE_S 7

struct stream {
	struct hub *h;
	struct view *v;
	struct MHD_Connection *conn;
	__u64 gen;		/* the view's, when the stream began */
	__u64 sent;		/* the version last sent; 0: none */
	struct blob *out;	/* being sent, from off */
	const char *lit;	/* or a constant text, from off */
	size_t off;
	time_t last;		/* when something was last written */
	bool suspended;
	struct stream *next;	/* in the view's waiters */
};

struct blob *sse_event(const char *name, __u64 version, const struct blob *payload)
{
	struct sbuf b = { 0 };

	/* The payload is JSON on one line: it needs no data: continuations. */
	sb_printf(&b, "event: %s\nid: %llu\ndata: ", name, (unsigned long long)version);
	sb_putn(&b, payload->data, payload->len);
	sb_puts(&b, "\n\n");
	return blob_from_sbuf(&b);
}

void view_wake_locked(struct view *v)
{
	for (struct stream *s = v->waiters; s; s = s->next) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
	}
	v->waiters = NULL;
}

static time_t seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Copies what remains of the current text into buf. */
static ssize_t drain(struct stream *s, char *buf, size_t max)
{
	const char *src = s->out ? s->out->data : s->lit;
	size_t len = s->out ? s->out->len : strlen(s->lit), n = len - s->off;

	if (n > max)
		n = max;
	memcpy(buf, src + s->off, n);
	s->off += n;
	if (s->off == len) {
		blob_unref(s->out);
		s->out = NULL;
		s->lit = NULL;
		s->off = 0;
	}
	s->last = seconds();
	return (ssize_t)n;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	struct view *v = s->v;

	(void)pos;
	if (s->out || s->lit)
		return drain(s, buf, max);
	pthread_mutex_lock(&v->lock);
	/* The hub closing, or another app at the id: the page reconnects
	 * and learns what there is now. */
	if (atomic_load(&s->h->closing) || v->gen != s->gen) {
		pthread_mutex_unlock(&v->lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (v->event && v->version != s->sent) {
		s->out = blob_ref(v->event);
		s->sent = v->version;
	} else if (seconds() - s->last >= KEEPALIVE_S) {
		s->lit = KEEPALIVE;
	} else {
		/* Under the view's lock, so a version published from now on
		 * finds the stream among the waiters and wakes it. */
		s->suspended = true;
		s->next = v->waiters;
		v->waiters = s;
		MHD_suspend_connection(s->conn);
		pthread_mutex_unlock(&v->lock);
		return 0;
	}
	pthread_mutex_unlock(&v->lock);
	return drain(s, buf, max);
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	struct view *v = s->v;

	pthread_mutex_lock(&v->lock);
	if (s->suspended) {
		for (struct stream **p = &v->waiters; *p; p = &(*p)->next) {
			if (*p == s) {
				*p = s->next;
				break;
			}
		}
	}
	v->streams--;
	pthread_mutex_unlock(&v->lock);
	blob_unref(s->out);
	free(s);
}

struct MHD_Response *sse_response(struct hub *h, struct view *v, struct MHD_Connection *conn)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *r;

	if (!s)
		return NULL;
	s->h = h;
	s->v = v;
	s->conn = conn;
	s->lit = RETRY;
	s->last = seconds();
	pthread_mutex_lock(&v->lock);
	s->gen = v->gen;
	v->streams++;
	pthread_mutex_unlock(&v->lock);
	atomic_fetch_add(&h->streams_total, 1);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
	if (!r) {
		stream_free(s);
		return NULL;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	/* Proxies such as nginx pass each event on as it comes. */
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	return r;
}
