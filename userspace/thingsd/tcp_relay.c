// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * relay targets: a worker process per rule, forked by thingsd and watched
 * as the servers it runs are (tcp_server.c), owns the rule's listener. For
 * each connection it connects to the backend and moves the bytes with
 * splice(2) through a pipe per direction: the kernel moves the pages from
 * one socket to the other and the worker never copies them.
 *
 * Why a worker and not thingsd's own loop: a relay that moves gigabytes
 * and holds thousands of connections would share one loop with the
 * control socket, reloads and every other rule; in a process of its own it
 * has its own descriptors (6 per connection), its own CPU to run on, and a
 * fault or overload ends that rule's connections only, while thingsd
 * starts it again. It costs one fork per rule, not per connection.
 *
 * Each direction ends as TCP does: end of stream from one side, once what
 * was read is written, is a shutdown(SHUT_WR) to the other; the
 * connection is closed when both directions have ended. An error on
 * either side closes both at once, the other with a reset. Timeouts: the
 * backend must accept within connect_timeout, and a connection with no
 * byte either way for idle_timeout is closed; both lists are kept in
 * deadline order, so checking them costs nothing per connection.
 *
 * Counters go to the rule's slots of the pinned tcp_stats map, every
 * FLUSH_MS at most while busy and at once when the worker goes idle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "proxyproto.h"
#include "tcp.h"

#define PIPE_SIZE	(256 * 1024)
#define ROUNDS		8	/* splices per direction before others get a turn */
#define ACCEPTS		64
#define FLUSH_MS	50
#define POOL_MAX	64	/* empty pipes kept for the next connections */
#define FDS_PER_CONN	6

enum { C2B, B2C };

struct conn {
	int fd[2];		/* [C2B]: the client, [B2C]: the backend (by source) */
	int pipe[2][2];		/* per direction: read end, write end */
	size_t queued[2];	/* bytes in the pipe */
	bool eof[2];		/* the source of the direction has ended */
	bool done[2];		/* ... and the shutdown was passed on */
	bool connecting, in_run;
	long long deadline;
	struct conn *prev, *next;	/* the connecting or the open list */
	struct conn *run_next;		/* more to do without a new event */
	struct conn *free_next;		/* on the dead or the free list */
};

struct list {
	struct conn *head, *tail;
};

struct relay {
	const struct tcp_slot *s;
	__u32 id;
	int ep, lfd, sig, stats_fd;
	long long now, last_flush;
	struct list connecting, open;
	/* closed this round: reused only from the next one, so a stale event
	 * of this round never meets a new connection in the same memory */
	struct conn *run, *dead, *free;
	int pool[POOL_MAX][2][2];
	int n_pool;
	__u32 active;
	__u64 ctr[TCP_BOX_COUNTERS];
	bool dirty, paused;
	long long resume_at;
};

static const int listen_tag, signal_tag;

static void count(struct relay *r, enum things_tcp_counter c, __s64 by)
{
	r->ctr[c - THINGS_TCP_ACCEPTED] += (__u64)by;
	r->dirty = true;
}

static void flush(struct relay *r)
{
	__u32 keys[TCP_BOX_COUNTERS], n = TCP_BOX_COUNTERS;

	r->ctr[THINGS_TCP_ACTIVE - THINGS_TCP_ACCEPTED] = r->active;
	for (__u32 c = 0; c < TCP_BOX_COUNTERS; c++)
		keys[c] = THINGS_TCP_STATS_IDX(r->id, THINGS_TCP_ACCEPTED + c);
	/* One call for all of them where the kernel has batches for arrays. */
	if (bpf_map_update_batch(r->stats_fd, keys, r->ctr, &n, NULL))
		for (__u32 c = 0; c < TCP_BOX_COUNTERS; c++)
			bpf_map_update_elem(r->stats_fd, &keys[c], &r->ctr[c], BPF_ANY);
	r->dirty = false;
	r->last_flush = r->now;
}

/* ---- lists ---- */

static void list_del(struct list *l, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_add_tail(struct list *l, struct conn *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* ---- pipes ---- */

static int pipes_get(struct relay *r, struct conn *c)
{
	if (r->n_pool) {
		memcpy(c->pipe, r->pool[--r->n_pool], sizeof(c->pipe));
		return 0;
	}
	for (int d = 0; d < 2; d++) {
		if (pipe2(c->pipe[d], O_NONBLOCK | O_CLOEXEC)) {
			if (d) {
				close(c->pipe[0][0]);
				close(c->pipe[0][1]);
			}
			return -1;
		}
		/* Fewer splices per byte; a smaller pipe is still correct. */
		fcntl(c->pipe[d][1], F_SETPIPE_SZ, PIPE_SIZE);
	}
	return 0;
}

static void pipes_put(struct relay *r, struct conn *c)
{
	/* Only empty pipes are reused: bytes of one connection must never
	 * reach another. */
	if (r->n_pool < POOL_MAX && !c->queued[0] && !c->queued[1]) {
		memcpy(r->pool[r->n_pool++], c->pipe, sizeof(c->pipe));
		return;
	}
	for (int d = 0; d < 2; d++) {
		close(c->pipe[d][0]);
		close(c->pipe[d][1]);
	}
}

/* With no connection left, the pool goes too: an idle worker holds its
 * listener and nothing else. */
static void pipes_trim(struct relay *r)
{
	while (r->n_pool) {
		int(*p)[2] = r->pool[--r->n_pool];

		for (int d = 0; d < 2; d++) {
			close(p[d][0]);
			close(p[d][1]);
		}
	}
}

/* ---- connections ---- */

static void conn_close(struct relay *r, struct conn *c, bool failed)
{
	list_del(c->connecting ? &r->connecting : &r->open, c);
	for (int d = 0; d < 2; d++) {
		/* One side failed: the other learns it as a reset, not as an
		 * orderly end it would take for a whole answer. */
		if (failed)
			tcp_reset(c->fd[d]);
		else
			close(c->fd[d]);
	}
	pipes_put(r, c);
	r->active--;
	count(r, THINGS_TCP_ACTIVE, 0);
	c->fd[0] = c->fd[1] = -1;
	/* Still on the run queue: the queue drops it when it gets there. */
	if (!c->in_run) {
		c->free_next = r->dead;
		r->dead = c;
	}
}

static struct conn *conn_new(struct relay *r)
{
	struct conn *c = r->free;

	if (c)
		r->free = c->free_next;
	else
		c = malloc(sizeof(*c));
	if (c)
		memset(c, 0, sizeof(*c));
	return c;
}

/* The backend's events carry the connection's address with its low bit
 * set: while connecting, only the backend's say anything. */
#define BACKEND_BIT 1UL

static int watch(struct relay *r, int fd, struct conn *c, unsigned long side)
{
	/* Edge-triggered: each side is drained until the kernel says
	 * EAGAIN, so one registration serves both directions for good. */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				  .data.u64 = (unsigned long)c | side };

	return epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* One direction, as far as it goes now: 1 if it is blocked or done, 0 if
 * its budget ran out first, -1 if it failed. */
static int pump(struct relay *r, struct conn *c, int d)
{
	int src = c->fd[d], dst = c->fd[!d];

	for (int i = 0; i < ROUNDS; i++) {
		ssize_t n;

		if (c->queued[d]) {
			n = splice(c->pipe[d][0], NULL, dst, NULL, c->queued[d],
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0)
				return errno == EAGAIN ? 1 : -1;
			c->queued[d] -= (size_t)n;
			count(r, d == C2B ? THINGS_TCP_BYTES_IN : THINGS_TCP_BYTES_OUT, n);
			continue;
		}
		if (c->eof[d]) {
			if (!c->done[d]) {
				/* The other side may still answer: half-close. */
				if (shutdown(dst, SHUT_WR) && errno != ENOTCONN)
					return -1;
				c->done[d] = true;
			}
			return 1;
		}
		n = splice(src, NULL, c->pipe[d][1], NULL, PIPE_SIZE,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0)
			return errno == EAGAIN ? 1 : -1;
		if (n == 0)
			c->eof[d] = true;
		c->queued[d] += (size_t)n;
	}
	return 0;
}

static void conn_run(struct relay *r, struct conn *c)
{
	int a = pump(r, c, C2B), b = pump(r, c, B2C);

	if (a < 0 || b < 0) {
		count(r, THINGS_TCP_FAILED, 1);
		conn_close(r, c, true);
		return;
	}
	if (c->done[C2B] && c->done[B2C]) {
		conn_close(r, c, false);
		return;
	}
	/* Something moved or may: the idle clock starts again. */
	c->deadline = r->s->idle_timeout ? r->now + (long long)r->s->idle_timeout * 1000 : -1;
	list_del(&r->open, c);
	list_add_tail(&r->open, c);
	if ((!a || !b) && !c->in_run) {
		c->in_run = true;
		c->run_next = r->run;
		r->run = c;
	}
}

static int send_header(struct relay *r, struct conn *c)
{
	unsigned char hdr[THINGS_PROXY_HDR_MAX];
	struct sockaddr_in6 peer, local;
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	size_t len;

	if (getpeername(c->fd[C2B], (struct sockaddr *)&peer, &pl) ||
	    getsockname(c->fd[C2B], (struct sockaddr *)&local, &ll))
		return -1;
	len = things_proxy_header(r->s->proxy == THINGS_PROXY_V1 ? 1 : 2, &peer, &local, hdr);
	/* A new connection's send buffer takes a few dozen bytes whole. */
	return send(c->fd[B2C], hdr, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static void connected(struct relay *r, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd[B2C], SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		pr_debug("app '%s': backend %s: %s\n", r->s->name, r->s->arg, strerror(err));
		count(r, THINGS_TCP_FAILED, 1);
		conn_close(r, c, true);
		return;
	}
	list_del(&r->connecting, c);
	c->connecting = false;
	list_add_tail(&r->open, c);
	if (r->s->proxy != THINGS_PROXY_NONE && send_header(r, c)) {
		count(r, THINGS_TCP_FAILED, 1);
		conn_close(r, c, true);
		return;
	}
	count(r, THINGS_TCP_PASSED, 1);
	conn_run(r, c);
}

static void start(struct relay *r, int cfd)
{
	struct conn *c;
	int bfd, off = 0;

	count(r, THINGS_TCP_ACCEPTED, 1);
	if (r->active >= r->s->max_connections) {
		count(r, THINGS_TCP_REFUSED, 1);
		tcp_reset(cfd);
		return;
	}
	c = conn_new(r);
	bfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!c || bfd < 0 || pipes_get(r, c)) {
		if (bfd >= 0)
			close(bfd);
		if (c) {
			c->free_next = r->free;
			r->free = c;
		}
		count(r, THINGS_TCP_FAILED, 1);
		tcp_reset(cfd);
		return;
	}
	/* v4-mapped backends through the same IPv6 socket. */
	setsockopt(bfd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	nodelay(cfd);
	nodelay(bfd);
	c->fd[C2B] = cfd;
	c->fd[B2C] = bfd;
	c->connecting = true;
	c->deadline = r->now + (long long)r->s->connect_timeout * 1000;
	list_add_tail(&r->connecting, c);
	r->active++;
	count(r, THINGS_TCP_ACTIVE, 0);
	if ((connect(bfd, (const struct sockaddr *)&r->s->backend, sizeof(r->s->backend)) &&
	     errno != EINPROGRESS) ||
	    watch(r, cfd, c, 0) || watch(r, bfd, c, BACKEND_BIT)) {
		pr_debug("app '%s': backend %s: %s\n", r->s->name, r->s->arg, strerror(errno));
		count(r, THINGS_TCP_FAILED, 1);
		conn_close(r, c, true);
	}
	/* Connected or not, epoll says so: EPOLLOUT on the backend. */
}

static void accept_some(struct relay *r)
{
	for (int i = 0; i < ACCEPTS && !r->paused; i++) {
		int fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			start(r, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Out of descriptors: wait instead of spinning. */
			struct epoll_event ev = { .events = 0, .data.ptr = (void *)&listen_tag };

			epoll_ctl(r->ep, EPOLL_CTL_MOD, r->lfd, &ev);
			r->paused = true;
			r->resume_at = r->now + 100;
			pr_warn("app '%s': accept: %s: pausing\n", r->s->name, strerror(errno));
		}
		if (errno != ECONNABORTED && errno != EINTR)
			break;
	}
}

static void timers(struct relay *r)
{
	while (r->connecting.head && r->connecting.head->deadline <= r->now) {
		count(r, THINGS_TCP_TIMED_OUT, 1);
		count(r, THINGS_TCP_FAILED, 1);
		conn_close(r, r->connecting.head, true);
	}
	while (r->open.head && r->open.head->deadline >= 0 && r->open.head->deadline <= r->now) {
		count(r, THINGS_TCP_TIMED_OUT, 1);
		conn_close(r, r->open.head, false);
	}
	if (r->paused && r->resume_at <= r->now) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = (void *)&listen_tag };

		epoll_ctl(r->ep, EPOLL_CTL_MOD, r->lfd, &ev);
		r->paused = false;
		accept_some(r);
	}
}

/* ms until the next thing to do without an event, or -1. */
static int next_wait(struct relay *r)
{
	long long at = -1;

	if (r->run)
		return 0;
	if (r->connecting.head)
		at = r->connecting.head->deadline;
	if (r->open.head && r->open.head->deadline >= 0 && (at < 0 || r->open.head->deadline < at))
		at = r->open.head->deadline;
	if (r->paused && (at < 0 || r->resume_at < at))
		at = r->resume_at;
	if (r->dirty && (at < 0 || r->last_flush + FLUSH_MS < at))
		at = r->last_flush + FLUSH_MS;
	if (at < 0)
		return -1;
	return at <= r->now ? 0 : (int)(at - r->now);
}

static void run_queue(struct relay *r)
{
	struct conn *c = r->run;

	r->run = NULL;
	while (c) {
		struct conn *next = c->run_next;

		c->in_run = false;
		if (c->fd[0] < 0) {
			c->free_next = r->dead;
			r->dead = c;
		} else {
			conn_run(r, c);
		}
		c = next;
	}
}

static void raise_fd_limit(const struct tcp_slot *s)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)s->max_connections * FDS_PER_CONN + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		pr_warn("app '%s': cannot raise the descriptor limit: %s\n", s->name,
			strerror(errno));
}

static int relay_setup(struct relay *r, int sock)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	r->sig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	r->lfd = sock;
	if (r->sig < 0 || r->ep < 0 || fcntl(sock, F_SETFL, O_NONBLOCK))
		return -1;
	ev.data.ptr = (void *)&listen_tag;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, sock, &ev))
		return -1;
	ev.data.ptr = (void *)&signal_tag;
	return epoll_ctl(r->ep, EPOLL_CTL_ADD, r->sig, &ev);
}

void tcp_relay_main(const struct tcp_slot *s, __u32 id, int sock, int stats_fd)
{
	struct relay r = { .s = s, .id = id, .stats_fd = stats_fd };
	struct epoll_event got[128];

	r.now = r.last_flush = tcp_now_ms();
	raise_fd_limit(s);
	/* Counted on from where the worker before this one left off. */
	for (__u32 c = 0; c < TCP_BOX_COUNTERS; c++) {
		__u32 idx = THINGS_TCP_STATS_IDX(id, THINGS_TCP_ACCEPTED + c);

		if (bpf_map_lookup_elem(stats_fd, &idx, &r.ctr[c]))
			r.ctr[c] = 0;
	}
	if (relay_setup(&r, sock)) {
		pr_err("app '%s': relay worker: cannot set up: %s\n", s->name, strerror(errno));
		_exit(1);
	}
	flush(&r);
	for (;;) {
		int wait = next_wait(&r), n;

		if (wait != 0 && r.dirty) {
			flush(&r);
			wait = next_wait(&r);
		}
		if (wait < 0 && !r.active)
			pipes_trim(&r);
		n = epoll_wait(r.ep, got, 128, wait);
		r.now = tcp_now_ms();
		if (n < 0 && errno != EINTR) {
			pr_err("app '%s': relay worker: epoll: %s\n", s->name, strerror(errno));
			_exit(1);
		}
		for (int i = 0; i < n; i++) {
			unsigned long tag = (unsigned long)got[i].data.u64;
			struct conn *c = (struct conn *)(tag & ~BACKEND_BIT);

			if (c == (void *)&listen_tag) {
				accept_some(&r);
			} else if (c == (void *)&signal_tag) {
				/* Stopped: the connections end with the worker. */
				r.active = 0;
				flush(&r);
				_exit(0);
			} else if (c->fd[0] < 0) {
				continue;	/* closed by an earlier event of this round */
			} else if (c->connecting) {
				if (tag & BACKEND_BIT)
					connected(&r, c);
			} else {
				conn_run(&r, c);
			}
		}
		run_queue(&r);
		timers(&r);
		while (r.dead) {
			struct conn *c = r.dead;

			r.dead = c->free_next;
			c->free_next = r.free;
			r.free = c;
		}
		if (r.dirty && r.now - r.last_flush >= FLUSH_MS)
			flush(&r);
	}
}
