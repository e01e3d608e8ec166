// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Echo requests from one raw socket, BATCH to a sendmmsg call. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "things-ping.h"

#define BATCH 64
/* ENOBUFS means a full queue on the way out: wait for it to drain, but
 * not forever. */
#define STALL_MS 1
#define MAX_STALLS 2000
#define RCVBUF (4 << 20)

struct echo_request {
	struct icmp6_hdr hdr;
	struct probe_payload payload;
};

struct sender {
	int fd;
	const struct send_opts *o;
	struct reply_count rc;
	uint64_t sent;		/* requests sent so far: the next one's index */
	unsigned int batch;
	struct timespec start;
	struct echo_request pkts[BATCH];
	struct sockaddr_in6 dsts[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
};

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int open_socket(const struct send_opts *o, int *out)
{
	struct icmp6_filter filter;
	char q[QUOTE_MAX];
	int fd, rcvbuf = RCVBUF, ret = EXIT_FAILURE;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return fail("cannot open a raw ICMPv6 socket: %s%s", strerror(errno),
			    errno == EPERM || errno == EACCES ?
			    " (sending needs root or CAP_NET_RAW; --print needs neither)" : "");
	/* Only replies are read, and only with --wait: anything else would
	 * queue up unread. The kernel computes the checksum of what we send. */
	ICMP6_FILTER_SETBLOCKALL(&filter);
	if (o->wait > 0)
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter))) {
		fail("cannot set the socket's ICMPv6 filter: %s", strerror(errno));
		goto err;
	}
	if (o->wait > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (o->ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->ifname,
				    (socklen_t)strlen(o->ifname))) {
		fail("cannot send through interface '%s': %s", quote(o->ifname, q, sizeof(q)),
		     strerror(errno));
		goto err;
	}
	if (o->source) {
		struct sockaddr_in6 src = { .sin6_family = AF_INET6 };

		inet_pton(AF_INET6, o->source, &src.sin6_addr);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src))) {
			fail("cannot send from %s: %s%s", o->source, strerror(errno),
			     errno == EADDRNOTAVAIL ? " (it is no address of this host)" : "");
			goto err;
		}
	}
	if (o->hop_limit &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &o->hop_limit, sizeof(o->hop_limit))) {
		fail("cannot set the hop limit to %d: %s", o->hop_limit, strerror(errno));
		goto err;
	}
	*out = fd;
	return 0;
err:
	close(fd);
	return ret;
}

/* The next up to s->batch requests of the round; 0 when it is over. */
static unsigned int fill_batch(struct sender *s, struct targets *t)
{
	unsigned int n;

	for (n = 0; n < s->batch; n++) {
		struct echo_request *p = &s->pkts[n];
		uint32_t index = (uint32_t)(s->sent + n);

		if (!t->next(t, &s->dsts[n].sin6_addr))
			break;
		s->dsts[n].sin6_family = AF_INET6;
		p->hdr = (struct icmp6_hdr){ .icmp6_type = ICMP6_ECHO_REQUEST };
		p->hdr.icmp6_id = htons(s->rc.ident);
		p->hdr.icmp6_seq = htons(probe_seq(index));
		memcpy(p->payload.magic, PROBE_MAGIC, sizeof(p->payload.magic));
		p->payload.index = htonl(index);
		memcpy(p->payload.cookie, s->rc.cookie, sizeof(p->payload.cookie));
		p->payload.dst = s->dsts[n].sin6_addr;
	}
	return n;
}

static int send_error(const struct sender *s, const struct sockaddr_in6 *dst, int err)
{
	char addr[INET6_ADDRSTRLEN];
	const char *hint = "";

	if (err == ENETUNREACH || err == EHOSTUNREACH)
		hint = " (no route to it: see 'ip -6 route get' for it, or -I)";
	else if (err == EPERM || err == EACCES)
		hint = " (a firewall rule refused it)";
	inet_ntop(AF_INET6, &dst->sin6_addr, addr, sizeof(addr));
	return fail("cannot send to %s after %llu of %llu echo requests: %s%s", addr,
		    (unsigned long long)s->sent, (unsigned long long)s->rc.total, strerror(err),
		    hint);
}

/* Starts each batch at its time: request k is due k / rate seconds in. */
static void pace(const struct sender *s)
{
	struct timespec due = s->start;
	uint64_t ns;

	if (!s->o->rate)
		return;
	ns = (uint64_t)((double)s->sent * 1e9 / (double)s->o->rate);
	due.tv_sec += (time_t)(ns / 1000000000ULL);
	due.tv_nsec += (long)(ns % 1000000000ULL);
	if (due.tv_nsec >= 1000000000L) {
		due.tv_sec++;
		due.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
		;
}

static int send_batch(struct sender *s, unsigned int n)
{
	unsigned int done = 0, stalls = 0;

	pace(s);
	while (done < n) {
		int r = sendmmsg(s->fd, s->msgs + done, n - done, 0);

		if (r > 0) {
			done += (unsigned int)r;
			s->sent += (unsigned int)r;
			stalls = 0;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == ENOBUFS || errno == EAGAIN) && ++stalls < MAX_STALLS) {
			struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

			poll(&pfd, 1, STALL_MS);
			continue;
		}
		return send_error(s, &s->dsts[done], r < 0 ? errno : EIO);
	}
	if (s->rc.seen) {
		int err = replies_drain(&s->rc, s->fd);

		if (err)
			return fail("cannot read echo replies: %s", strerror(-err));
	}
	return 0;
}

static int send_rounds(struct sender *s, struct targets *t)
{
	for (unsigned int r = 0; r < s->o->rounds; r++) {
		unsigned int n;

		t->rewind(t);
		while ((n = fill_batch(s, t))) {
			int ret = send_batch(s, n);

			if (ret)
				return ret;
		}
	}
	return 0;
}

static int wait_replies(struct sender *s)
{
	struct timespec t0;
	double left;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((err = replies_drain(&s->rc, s->fd)) == 0 && s->rc.answered < s->rc.total &&
	       (left = s->o->wait - since(&t0)) > 0) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

		poll(&pfd, 1, (int)(left * 1000) + 1);
	}
	if (err)
		return fail("cannot read echo replies: %s", strerror(-err));
	if (!s->o->quiet) {
		fprintf(stderr, "things-ping: %llu of %llu echo requests answered",
			(unsigned long long)s->rc.answered, (unsigned long long)s->rc.total);
		if (s->rc.duplicates)
			fprintf(stderr, ", %llu duplicate replies",
				(unsigned long long)s->rc.duplicates);
		fprintf(stderr, " (waited up to %g s)\n", s->o->wait);
	}
	return 0;
}

static void summary(const struct sender *s, size_t per_round, double secs)
{
	const char *addresses = per_round == 1 ? "address" : "addresses";

	fprintf(stderr, "things-ping: sent %llu echo request%s", (unsigned long long)s->sent,
		s->sent == 1 ? "" : "s");
	if (s->o->rounds > 1)
		fprintf(stderr, " (%u rounds of %zu %s)", s->o->rounds, per_round, addresses);
	else
		fprintf(stderr, " to %zu %s", per_round, addresses);
	fprintf(stderr, " in %.3f s", secs);
	if (secs > 0)
		fprintf(stderr, " (%.0f/s)", (double)s->sent / secs);
	fputc('\n', stderr);
}

int send_targets(struct targets *t, const struct send_opts *o)
{
	uint64_t total = (uint64_t)t->count * o->rounds;
	struct sender *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return fail("out of memory");
	s->o = o;
	if (replies_init(&s->rc, total, o->wait > 0)) {
		free(s);
		return fail("out of memory to track %llu replies", (unsigned long long)total);
	}
	/* With a rate, batches shrink so that pacing stays smooth (100 a
	 * second or more); without one they are as large as they go. */
	s->batch = BATCH;
	if (o->rate && o->rate / 100 < BATCH)
		s->batch = o->rate / 100 ? (unsigned int)(o->rate / 100) : 1;
	for (unsigned int i = 0; i < BATCH; i++) {
		s->iov[i] = (struct iovec){ &s->pkts[i], sizeof(s->pkts[i]) };
		s->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &s->dsts[i],
						      .msg_namelen = sizeof(s->dsts[i]),
						      .msg_iov = &s->iov[i], .msg_iovlen = 1 };
	}
	ret = open_socket(o, &s->fd);
	if (ret)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	ret = send_rounds(s, t);
	if (!ret && !o->quiet)
		summary(s, t->count, since(&s->start));
	if (!ret && o->wait > 0)
		ret = wait_replies(s);
	close(s->fd);
out:
	replies_free(&s->rc);
	free(s);
	return ret;
}
