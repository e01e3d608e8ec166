// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcpbench: both ends of the TCP measurements and tests.
 *
 *   tcpbench serve --listen-fds | --bind ADDR PORT | --socketbox PATH
 *	An HTTP/1.0 server on one epoll loop: each request is answered with
 *	200 and a body naming the connection's local and remote address;
 *	keep-alive when the request asks for it (wrk does), else closed.
 *	--listen-fds takes descriptor 3 (systemd's LISTEN_FDS), --socketbox
 *	receives connections with socketbox's "A" protocol.
 *   tcpbench serve --stdio
 *	One request on descriptor 0, as an inetd program gets it.
 *   tcpbench load [-n N] [-c CONC] [-s SECONDS] ADDR PORT...
 *	N new connections (or as many as fit in SECONDS), CONC at a time,
 *	one request each, spread over the addresses given; prints one JSON
 *	line: ok, refused, reset, failed, seconds, per_second.
 *   tcpbench sink ADDR PORT
 *	Reads each connection to its end, one at a time, and answers with the
 *	byte count as one line.
 *   tcpbench blast BYTES ADDR PORT
 *	Sends BYTES, shuts its side down and waits for the sink's count;
 *	prints one JSON line: bytes, seconds, gbytes_per_s (10^9 bytes).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

#include "socketbox.h"

#define MAX_EVENTS 256
#define BUF 2048

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: tcpbench serve --listen-fds | --bind ADDR PORT | --socketbox PATH | "
			"--stdio\n"
			"       tcpbench load [-n N] [-c CONC] [-s SECONDS] ADDR PORT...\n"
			"       tcpbench sink ADDR PORT\n"
			"       tcpbench blast BYTES ADDR PORT\n");
	return 2;
}

/* ---- serve ---- */

static void addr_text(const struct sockaddr_in6 *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &sa->sin6_addr, a, sizeof(a));
	snprintf(buf, len, "[%s]:%u", a, ntohs(sa->sin6_port));
}

/* Answers what the client sent; false when the connection is done. */
static int answer(int fd)
{
	char req[BUF], body[256], resp[512], l[80], r[80];
	struct sockaddr_in6 local, peer;
	socklen_t ll = sizeof(local), pl = sizeof(peer);
	ssize_t n = recv(fd, req, sizeof(req) - 1, 0);
	int keep, len;

	if (n <= 0)
		return n < 0 && errno == EAGAIN;
	req[n] = '\0';
	if (!strstr(req, "\r\n\r\n") && !strstr(req, "\n\n"))
		return 1;	/* the rest is on its way: short requests only */
	keep = strstr(req, "HTTP/1.1") && !strcasestr(req, "Connection: close");
	getsockname(fd, (struct sockaddr *)&local, &ll);
	getpeername(fd, (struct sockaddr *)&peer, &pl);
	addr_text(&local, l, sizeof(l));
	addr_text(&peer, r, sizeof(r));
	len = snprintf(body, sizeof(body), "local=%s peer=%s\n", l, r);
	len = snprintf(resp, sizeof(resp), "HTTP/1.%d 200 OK\r\nContent-Length: %d\r\n%s\r\n%s",
		       keep, len, keep ? "" : "Connection: close\r\n", body);
	if (send(fd, resp, (size_t)len, MSG_NOSIGNAL) != len)
		return 0;
	return keep;
}

static void add(int ep, int fd, __u64 tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

#define TAG_LISTEN (1ULL << 40)
#define TAG_BOX (2ULL << 40)

static int serve(int argc, char **argv)
{
	struct epoll_event got[MAX_EVENTS];
	int ep = epoll_create1(EPOLL_CLOEXEC), lfd = -1, box = -1;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 1 && !strcmp(argv[0], "--listen-fds")) {
		const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

		if (!pid || !fds || atoi(pid) != getpid() || atoi(fds) != 1) {
			fprintf(stderr, "tcpbench: no LISTEN_FDS=1 for this process\n");
			return 1;
		}
		lfd = 3;
	} else if (argc == 3 && !strcmp(argv[0], "--bind")) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
					   .sin6_port = htons((uint16_t)atoi(argv[2])) };
		int one = 1;

		lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (inet_pton(AF_INET6, argv[1], &sa.sin6_addr) != 1 ||
		    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4096)) {
			perror("tcpbench: bind");
			return 1;
		}
	} else if (argc == 1 && !strcmp(argv[0], "--stdio")) {
		while (answer(0))
			;
		return 0;
	} else if (argc == 2 && !strcmp(argv[0], "--socketbox")) {
		box = things_socketbox_bind(argv[1], 0600);
		if (box < 0) {
			fprintf(stderr, "tcpbench: %s: %s\n", argv[1], strerror(-box));
			return 1;
		}
	} else {
		return usage();
	}
	if (lfd >= 0) {
		fcntl(lfd, F_SETFL, O_NONBLOCK);
		add(ep, lfd, TAG_LISTEN);
	} else {
		fcntl(box, F_SETFL, O_NONBLOCK);
		add(ep, box, TAG_BOX);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, got, MAX_EVENTS, -1);

		for (int i = 0; i < n; i++) {
			__u64 tag = got[i].data.u64;
			int fd;

			if (tag == TAG_LISTEN || tag == TAG_BOX) {
				for (;;) {
					fd = tag == TAG_LISTEN ?
						accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK) :
						things_socketbox_recv(box, MSG_DONTWAIT);
					if (fd < 0)
						break;
					fcntl(fd, F_SETFL, O_NONBLOCK);
					add(ep, fd, (__u32)fd);
				}
				continue;
			}
			fd = (int)(__u32)tag;
			if (!answer(fd)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
}

/* ---- load ---- */

struct target {
	struct sockaddr_in6 sa;
};

struct load {
	struct target *t;
	int n_targets, next_target;
	long want, started, done, ok, refused, reset, failed;
	double deadline;
	int ep;
};

static const char request[] = "GET / HTTP/1.0\r\nHost: things\r\n\r\n";

static int start_one(struct load *l)
{
	struct target *t = &l->t[l->next_target++ % l->n_targets];
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct epoll_event ev = { .events = EPOLLOUT };

	if (fd < 0)
		return -1;
	l->started++;
	if (connect(fd, (struct sockaddr *)&t->sa, sizeof(t->sa)) && errno != EINPROGRESS) {
		l->failed++;
		l->done++;
		close(fd);
		return 0;
	}
	ev.data.fd = fd;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static void finish(struct load *l, int fd, long *what)
{
	(*what)++;
	l->done++;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

static void step(struct load *l, struct epoll_event *e)
{
	int fd = e->data.fd, err = 0;
	socklen_t len = sizeof(err);
	char buf[BUF];
	ssize_t n;

	if (e->events & EPOLLOUT) {
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			finish(l, fd, err == ECONNREFUSED ? &l->refused :
				      err == ECONNRESET ? &l->reset : &l->failed);
			return;
		}
		if (send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) != sizeof(request) - 1) {
			finish(l, fd, errno == ECONNRESET ? &l->reset : &l->failed);
			return;
		}
		e->events = EPOLLIN;
		epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, e);
		return;
	}
	/* The reply, then EOF: short replies come whole in one read. */
	n = recv(fd, buf, sizeof(buf), 0);
	if (n > 0) {
		if (!strncmp(buf, "HTTP/1.0 200", 12))
			finish(l, fd, &l->ok);
		else
			finish(l, fd, &l->failed);
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	finish(l, fd, n < 0 && errno == ECONNRESET ? &l->reset :
		      n < 0 && errno == ECONNREFUSED ? &l->refused : &l->failed);
}

static int load(int argc, char **argv)
{
	struct load l = { .want = 1000 };
	struct epoll_event got[MAX_EVENTS];
	int conc = 32, opt;
	double seconds = 0, t0;

	while ((opt = getopt(argc, argv, "n:c:s:")) != -1) {
		if (opt == 'n')
			l.want = atol(optarg);
		else if (opt == 'c')
			conc = atoi(optarg);
		else if (opt == 's')
			seconds = atof(optarg);
		else
			return usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc % 2 || conc < 1 || l.want < 1)
		return usage();
	l.n_targets = argc / 2;
	l.t = calloc((size_t)l.n_targets, sizeof(*l.t));
	for (int i = 0; i < l.n_targets; i++) {
		l.t[i].sa.sin6_family = AF_INET6;
		l.t[i].sa.sin6_port = htons((uint16_t)atoi(argv[2 * i + 1]));
		if (inet_pton(AF_INET6, argv[2 * i], &l.t[i].sa.sin6_addr) != 1)
			return usage();
	}
	if (seconds > 0)
		l.want = 1L << 40;
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	t0 = now_s();
	l.deadline = seconds > 0 ? t0 + seconds : 0;
	while (l.done < l.started || (l.started < l.want && (!l.deadline || now_s() < l.deadline))) {
		while (l.started - l.done < conc && l.started < l.want &&
		       (!l.deadline || now_s() < l.deadline))
			if (start_one(&l))
				break;
		int n = epoll_wait(l.ep, got, MAX_EVENTS, 5000);

		if (n == 0)
			break;	/* stuck connections count as failed below */
		for (int i = 0; i < n; i++)
			step(&l, &got[i]);
	}
	l.failed += l.started - l.done;
	t0 = now_s() - t0;
	printf("{\"ok\": %ld, \"refused\": %ld, \"reset\": %ld, \"failed\": %ld, "
	       "\"seconds\": %.3f, \"per_second\": %.0f}\n",
	       l.ok, l.refused, l.reset, l.failed, t0, l.ok / t0);
	free(l.t);
	return 0;
}

/* ---- sink and blast: one large transfer ---- */

#define CHUNK (1 << 20)

static int tcp_socket_to(const char *addr, const char *port, struct sockaddr_in6 *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET6, addr, &sa->sin6_addr) != 1)
		return -1;
	return socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static int sink(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	char *buf = malloc(CHUNK);
	int one = 1, lfd;

	if (argc != 2 || !buf)
		return usage();
	lfd = tcp_socket_to(argv[0], argv[1], &sa);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 128)) {
		perror("tcpbench: sink");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		unsigned long long total = 0;
		char line[32];
		ssize_t n;

		if (fd < 0)
			continue;
		while ((n = recv(fd, buf, CHUNK, 0)) > 0)
			total += (unsigned long long)n;
		n = snprintf(line, sizeof(line), "%llu\n", total);
		send(fd, line, (size_t)n, MSG_NOSIGNAL);
		close(fd);
	}
}

static int blast(int argc, char **argv)
{
	unsigned long long want, sent = 0;
	struct sockaddr_in6 sa;
	char *buf = calloc(1, CHUNK), reply[32] = "";
	double t0, secs;
	ssize_t n;
	int fd, ret = 1;

	if (argc != 3 || !buf) {
		free(buf);
		return usage();
	}
	want = strtoull(argv[0], NULL, 10);
	fd = tcp_socket_to(argv[1], argv[2], &sa);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("tcpbench: blast");
		goto out;
	}
	t0 = now_s();
	while (sent < want) {
		size_t len = want - sent < CHUNK ? (size_t)(want - sent) : CHUNK;

		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0) {
			perror("tcpbench: blast: send");
			goto out;
		}
		sent += (unsigned long long)n;
	}
	shutdown(fd, SHUT_WR);
	n = recv(fd, reply, sizeof(reply) - 1, MSG_WAITALL);
	secs = now_s() - t0;
	if (n <= 0 || strtoull(reply, NULL, 10) != want) {
		fprintf(stderr, "tcpbench: blast: the sink got %s, not %llu bytes\n",
			n > 0 ? reply : "nothing", want);
		goto out;
	}
	printf("{\"bytes\": %llu, \"seconds\": %.3f, \"gbytes_per_s\": %.3f}\n", want, secs,
	       want / secs / 1e9);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return serve(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "load"))
		return load(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "sink"))
		return sink(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "blast"))
		return blast(argc - 2, argv + 2);
	return usage();
}
