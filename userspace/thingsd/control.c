// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket: see control_proto.h for the protocol.
 *
 * It shares the daemon's only event loop, so nothing here may wait for a
 * client: connections are accepted without blocking, a request that is
 * already there is answered at once, and the others wait in a small table
 * with a deadline. A full table gives up its oldest entry, so any number of
 * clients that connect and say nothing cost the others nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control.h"
#include "control_parse.h"
#include "control_proto.h"
#include "log.h"
#include "thingsd.h"

#define MAX_PENDING	64
#define DEADLINE_MS	2000
#define ACCEPTS_PER_ROUND 256
#define MAX_PEER_GROUPS	1024

struct pending {
	int fd;
	long long deadline;	/* CLOCK_MONOTONIC ms */
};

struct control {
	int fd;			/* the listening socket */
	int ep;			/* it and the pending connections */
	gid_t gid;
	bool have_group;
	struct pending pending[MAX_PENDING];
	int n_pending;
	char *buf;		/* THINGS_CTL_MAX_MSG + 1 */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct control *control_open(const char *run_dir, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct control *ctl = calloc(1, sizeof(*ctl));
	struct group *gr;

	if (!ctl)
		return NULL;
	ctl->fd = ctl->ep = -1;
	ctl->buf = malloc(THINGS_CTL_MAX_MSG + 1);
	if (!ctl->buf) {
		pr_err("cannot allocate the control buffer: %s\n", strerror(errno));
		goto err;
	}
	if ((size_t)snprintf(ctl->path, sizeof(ctl->path), "%s/%s", run_dir, THINGS_SOCKET_NAME) >=
	    sizeof(ctl->path)) {
		pr_err("control socket path under %s is too long\n", run_dir);
		goto err;
	}
	strcpy(sa.sun_path, ctl->path);
	ctl->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ctl->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->fd < 0 || ctl->ep < 0) {
		pr_err("cannot create the control socket: %s\n", strerror(errno));
		goto err;
	}
	/* We hold the lock in a directory only root can write, so a socket
	 * file left here is a dead daemon's. */
	unlink(ctl->path);
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(ctl->fd, SOMAXCONN)) {
		pr_err("cannot listen on %s: %s\n", ctl->path, strerror(errno));
		goto err;
	}
	ev.data.fd = ctl->fd;
	if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, ctl->fd, &ev)) {
		pr_err("cannot watch the control socket: %s\n", strerror(errno));
		goto err;
	}
	gr = getgrnam(group);
	ctl->have_group = gr != NULL;
	if (gr) {
		ctl->gid = gr->gr_gid;
		if (chown(ctl->path, 0, gr->gr_gid))
			pr_warn("cannot give %s to group %s: %s\n", ctl->path, group,
				strerror(errno));
	} else {
		pr_info("no group '%s': the control socket is for root only\n", group);
	}
	if (chmod(ctl->path, 0660))
		pr_warn("cannot chmod %s: %s\n", ctl->path, strerror(errno));
	return ctl;

err:
	control_close(ctl);
	return NULL;
}

int control_fd(const struct control *ctl)
{
	return ctl->ep;
}

static void drop_pending(struct control *ctl, int i)
{
	epoll_ctl(ctl->ep, EPOLL_CTL_DEL, ctl->pending[i].fd, NULL);
	close(ctl->pending[i].fd);
	ctl->pending[i] = ctl->pending[--ctl->n_pending];
}

void control_close(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->n_pending)
		drop_pending(ctl, 0);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		unlink(ctl->path);
	}
	if (ctl->ep >= 0)
		close(ctl->ep);
	free(ctl->buf);
	free(ctl);
}

enum role { ROLE_NONE, ROLE_READ, ROLE_ADMIN };

/* Root: everything; the group: reading. The peer's own groups at connect
 * time (SO_PEERGROUPS), not what /etc/group says now. */
static enum role peer_role(const struct control *ctl, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[MAX_PEER_GROUPS];
	enum role role = ROLE_NONE;
	int n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return ROLE_NONE;
	if (cred.uid == 0)
		return ROLE_ADMIN;
	len = sizeof(groups);
	n = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) ? 0 : (int)(len / sizeof(gid_t));
	groups[n < MAX_PEER_GROUPS ? n : MAX_PEER_GROUPS - 1] = cred.gid;
	n = n < MAX_PEER_GROUPS ? n + 1 : n;
	for (int i = 0; i < n && ctl->have_group; i++)
		if (groups[i] == ctl->gid)
			role = ROLE_READ;
	return role;
}

/*
 * Reads a request and the descriptor that may come with it (SCM_RIGHTS,
 * for tcp-register): *passed is the first one or -1. Any others, and all of
 * a message whose control data was cut short, are closed here.
 */
static ssize_t read_request(struct control *ctl, int fd, int *passed)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;
	struct iovec iov = { ctl->buf, THINGS_CTL_MAX_MSG };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);

	*passed = -1;
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*passed < 0 && !(msg.msg_flags & MSG_CTRUNC))
				*passed = got;
			else
				close(got);
		}
	}
	return n;
}

/* Answers one connection whose request may be there; false if it is not
 * there yet. The fd is closed unless false is returned, and so is any
 * descriptor the request brought, whatever the answer. */
static bool answer(struct control *ctl, struct thingsd *d, int fd, bool must)
{
	json_object *req = NULL, *reply;
	enum role role;
	const char *out, *why;
	int passed;
	ssize_t n;

	/* The request is read even from a peer that is refused: closing on
	 * an unread message would reset the connection before it learns why. */
	n = read_request(ctl, fd, &passed);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !must)
		return false;
	role = peer_role(ctl, fd);
	if (role == ROLE_NONE) {
		reply = control_error("permission denied: root or group members only");
		goto send;
	}
	if (n <= 0) {
		reply = control_error("cannot read the request");
		goto send;
	}
	if (n > THINGS_CTL_MAX_MSG) {
		reply = control_error("the request is longer than %d bytes", THINGS_CTL_MAX_MSG);
		goto send;
	}
	ctl->buf[n] = '\0';
	req = control_parse_request(ctl->buf, (size_t)n, &why);
	if (!req) {
		reply = control_error("%s", why);
		goto send;
	}
	reply = control_handle(d, req, role == ROLE_ADMIN, passed);
send:
	out = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	/* Never wait for a client that does not read its answer. */
	if (send(fd, out, strlen(out), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("control: cannot send the reply: %s\n", strerror(errno));
	json_object_put(reply);
	json_object_put(req);
	if (passed >= 0)
		close(passed);
	close(fd);
	return true;
}

static void add_pending(struct control *ctl, struct thingsd *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (ctl->n_pending == MAX_PENDING) {
		int oldest = 0;

		for (int i = 1; i < ctl->n_pending; i++)
			if (ctl->pending[i].deadline < ctl->pending[oldest].deadline)
				oldest = i;
		/* Its request may have come meanwhile; if not, it is dropped. */
		epoll_ctl(ctl->ep, EPOLL_CTL_DEL, ctl->pending[oldest].fd, NULL);
		if (!answer(ctl, d, ctl->pending[oldest].fd, false))
			close(ctl->pending[oldest].fd);
		ctl->pending[oldest] = ctl->pending[--ctl->n_pending];
	}
	if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return;
	}
	ctl->pending[ctl->n_pending++] = (struct pending){ fd, now_ms() + DEADLINE_MS };
}

static void accept_some(struct control *ctl, struct thingsd *d)
{
	for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				pr_warn("control: accept: %s\n", strerror(errno));
			return;
		}
		if (!answer(ctl, d, fd, false))
			add_pending(ctl, d, fd);
	}
}

void control_serve(struct control *ctl, struct thingsd *d)
{
	struct epoll_event got[32];
	int n = epoll_wait(ctl->ep, got, 32, 0);

	for (int i = 0; i < n; i++) {
		int fd = got[i].data.fd;

		if (fd == ctl->fd) {
			accept_some(ctl, d);
			continue;
		}
		for (int j = 0; j < ctl->n_pending; j++)
			if (ctl->pending[j].fd == fd) {
				epoll_ctl(ctl->ep, EPOLL_CTL_DEL, fd, NULL);
				ctl->pending[j] = ctl->pending[--ctl->n_pending];
				answer(ctl, d, fd, true);
				break;
			}
	}
	control_expire(ctl);
}

int control_timeout(const struct control *ctl)
{
	long long first = -1, now = now_ms();

	for (int i = 0; i < ctl->n_pending; i++)
		if (first < 0 || ctl->pending[i].deadline < first)
			first = ctl->pending[i].deadline;
	if (first < 0)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

void control_expire(struct control *ctl)
{
	long long now = now_ms();

	for (int i = 0; i < ctl->n_pending;) {
		if (ctl->pending[i].deadline <= now)
			drop_pending(ctl, i);
		else
			i++;
	}
}
