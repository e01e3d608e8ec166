// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * socketbox targets: thingsd accepts each connection the steering program
 * hands its listener and sends it on with socketbox's "A" protocol
 * (socketbox.h) to the rule's path, its tokens filled from the
 * connection's local address and port. Sending never waits: a receiver
 * that is gone, refuses or is full costs the connection (reset, and
 * counted), never the daemon. accept() failing for want of descriptors or
 * memory pauses the listener, for longer each time, instead of spinning.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "socketbox.h"
#include "tcp.h"

#define ACCEPTS_PER_ROUND 256
#define PAUSE_FIRST_MS	  50
#define PAUSE_MAX_MS	  1000

static void listen_events(struct tcp *t, __u32 id, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.u64 = TCP_TAG_BOX | id };

	epoll_ctl(t->ep, EPOLL_CTL_MOD, t->slot[id].box_fd, &ev);
}

int tcp_box_open(struct tcp *t, __u32 id)
{
	struct tcp_slot *s = &t->slot[id];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TCP_TAG_BOX | id };
	int fd = tcp_listen_socket(SOCK_NONBLOCK);

	if (fd < 0) {
		pr_err("app '%s': cannot make its socketbox listener: %s\n", s->name, strerror(-fd));
		return fd;
	}
	/* Counted on from where an earlier thingsd left off. */
	for (int c = 0; c < TCP_BOX_COUNTERS; c++) {
		__u32 idx = THINGS_TCP_STATS_IDX(id, THINGS_TCP_ACCEPTED + c);

		if (bpf_map_lookup_elem(t->stats_fd, &idx, &s->ctr[c]))
			s->ctr[c] = 0;
	}
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) ||
	    tcp_sock_set(t, id, fd)) {
		int err = -errno;

		pr_err("app '%s': cannot put its socketbox listener in place: %s\n", s->name,
		       strerror(errno));
		close(fd);
		return err;
	}
	s->box_fd = fd;
	s->paused = false;
	s->pause_ms = 0;
	s->state = SLOT_BOX;
	pr_info("app '%s': passing connections to socketbox:%s\n", s->name, s->path);
	return 0;
}

void tcp_box_close(struct tcp *t, __u32 id)
{
	struct tcp_slot *s = &t->slot[id];

	if (s->box_fd < 0)
		return;
	tcp_box_flush(t, id);
	/* Closing it empties its slot in the SOCKMAP too. */
	epoll_ctl(t->ep, EPOLL_CTL_DEL, s->box_fd, NULL);
	close(s->box_fd);
	s->box_fd = -1;
	s->state = SLOT_NONE;
}

void tcp_box_flush(struct tcp *t, __u32 id)
{
	struct tcp_slot *s = &t->slot[id];

	if (!s->ctr_dirty)
		return;
	for (int c = 0; c < TCP_BOX_COUNTERS; c++) {
		__u32 idx = THINGS_TCP_STATS_IDX(id, THINGS_TCP_ACCEPTED + c);

		bpf_map_update_elem(t->stats_fd, &idx, &s->ctr[c], BPF_ANY);
	}
	s->ctr_dirty = false;
}

static void count(struct tcp_slot *s, enum things_tcp_counter c)
{
	s->ctr[c - THINGS_TCP_ACCEPTED]++;
	s->ctr_dirty = true;
}

/* A connection not passed on: reset, so the client knows at once. */
static void drop(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void pass(struct tcp *t, struct tcp_slot *s, int fd)
{
	struct sockaddr_in6 local;
	socklen_t len = sizeof(local);
	char path[THINGS_TCP_PATH_MAX];
	int err;

	if (getsockname(fd, (struct sockaddr *)&local, &len) || local.sin6_family != AF_INET6) {
		count(s, THINGS_TCP_FAILED);
		drop(fd);
		return;
	}
	things_socketbox_path(s->path, local.sin6_addr.s6_addr, ntohs(local.sin6_port), path);
	err = things_socketbox_send(t->send_fd, path, fd);
	if (!err) {
		count(s, THINGS_TCP_PASSED);
		close(fd);
		return;
	}
	if (err == -EAGAIN || err == -ECONNREFUSED || err == -ENOENT)
		count(s, THINGS_TCP_REFUSED);
	else
		count(s, THINGS_TCP_FAILED);
	pr_debug("app '%s': cannot pass a connection to %s: %s\n", s->name, path, strerror(-err));
	drop(fd);
}

static void pause_accepting(struct tcp *t, __u32 id, int err)
{
	struct tcp_slot *s = &t->slot[id];

	s->pause_ms = !s->pause_ms ? PAUSE_FIRST_MS :
		      s->pause_ms * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : s->pause_ms * 2;
	s->paused = true;
	s->resume_at = tcp_now_ms() + s->pause_ms;
	listen_events(t, id, 0);
	things_log(s->pause_ms == PAUSE_FIRST_MS ? THINGS_LOG_WARN : THINGS_LOG_DEBUG,
		   "app '%s': accept: %s: pausing %d ms\n", s->name, strerror(err), s->pause_ms);
}

void tcp_box_accept(struct tcp *t, __u32 id)
{
	struct tcp_slot *s = &t->slot[id];

	for (int i = 0; i < ACCEPTS_PER_ROUND && s->box_fd >= 0 && !s->paused; i++) {
		/* Blocking, as receivers expect the sockets they are given. */
		int fd = accept4(s->box_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0) {
			s->pause_ms = 0;
			count(s, THINGS_TCP_ACCEPTED);
			pass(t, s, fd);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			pause_accepting(t, id, errno);
			break;
		}
		/* ECONNABORTED and the like: that connection only. */
		if (errno != ECONNABORTED && errno != EINTR)
			pr_debug("app '%s': accept: %s\n", s->name, strerror(errno));
	}
	tcp_box_flush(t, id);
}

void tcp_box_timers(struct tcp *t, long long now)
{
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		struct tcp_slot *s = &t->slot[id];

		if (s->state != SLOT_BOX || !s->paused || s->resume_at > now)
			continue;
		s->paused = false;
		listen_events(t, id, EPOLLIN);
		tcp_box_accept(t, id);
	}
}
