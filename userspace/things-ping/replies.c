// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Which of one run's echo requests were answered. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "things-ping.h"

/* The identifier and cookie only tell our replies from other pings' and
 * other runs': they need to differ, not to be secret. */
static void run_identity(struct reply_count *rc)
{
	uint8_t buf[2 + sizeof(rc->cookie)];

	if (getrandom(buf, sizeof(buf), GRND_NONBLOCK) != (ssize_t)sizeof(buf)) {
		struct timespec ts;
		uint64_t mix;

		clock_gettime(CLOCK_REALTIME, &ts);
		mix = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid() << 32 ^
		      (uint64_t)ts.tv_sec;
		memcpy(buf, &mix, sizeof(mix));
		memcpy(buf + 2, &mix, sizeof(mix));
	}
	rc->ident = (uint16_t)(buf[0] << 8 | buf[1]);
	memcpy(rc->cookie, buf + 2, sizeof(rc->cookie));
}

int replies_init(struct reply_count *rc, uint64_t total, bool track)
{
	memset(rc, 0, sizeof(*rc));
	run_identity(rc);
	rc->total = total;
	if (!track)
		return 0;
	rc->seen = calloc(total / 8 + 1, 1);
	return rc->seen ? 0 : -ENOMEM;
}

static void count_reply(struct reply_count *rc, const uint8_t *msg, size_t len,
			const struct sockaddr_in6 *from)
{
	struct probe_payload p;
	struct icmp6_hdr h;
	uint32_t index;

	if (len < sizeof(h) + sizeof(p))
		return;
	memcpy(&h, msg, sizeof(h));
	memcpy(&p, msg + sizeof(h), sizeof(p));
	if (h.icmp6_type != ICMP6_ECHO_REPLY || h.icmp6_code != 0 ||
	    ntohs(h.icmp6_id) != rc->ident || memcmp(p.magic, PROBE_MAGIC, sizeof(p.magic)) ||
	    memcmp(p.cookie, rc->cookie, sizeof(p.cookie)))
		return;
	index = ntohl(p.index);
	/* An answer counts only from the address the request went to. */
	if (index >= rc->total || ntohs(h.icmp6_seq) != probe_seq(index) ||
	    memcmp(&p.dst, &from->sin6_addr, sizeof(p.dst)))
		return;
	if (rc->seen[index / 8] & (1U << (index % 8))) {
		rc->duplicates++;
		return;
	}
	rc->seen[index / 8] |= (uint8_t)(1U << (index % 8));
	rc->answered++;
}

int replies_drain(struct reply_count *rc, int fd)
{
	uint8_t buf[1280];

	for (;;) {
		struct sockaddr_in6 from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fromlen >= sizeof(from) && from.sin6_family == AF_INET6)
			count_reply(rc, buf, (size_t)n, &from);
	}
}

void replies_free(struct reply_count *rc)
{
	free(rc->seen);
	rc->seen = NULL;
}
