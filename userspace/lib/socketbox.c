// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* socketbox's "A" protocol, both ends (socketbox.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "socketbox.h"

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int things_socketbox_bind(const char *path, unsigned int mode)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, err = unix_addr(path, &sa);

	if (err)
		return err;
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || (mode && chmod(path, mode))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Closes every descriptor of every SCM_RIGHTS message in msg but keep. */
static void close_fds(struct msghdr *msg, int keep)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd != keep)
				close(fd);
		}
	}
}

int things_socketbox_recv(int sock, int flags)
{
	/* Room for more than one: whatever else comes is closed, not leaked. */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(16 * sizeof(int))];
	} control;
	char byte[16];
	struct iovec iov = { byte, sizeof(byte) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	int fd = -1;

	if (recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC) < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c && fd < 0; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (msg.msg_flags & MSG_CTRUNC) {
		close_fds(&msg, -1);
		return -EMSGSIZE;
	}
	close_fds(&msg, fd);
	return fd >= 0 ? fd : -EBADMSG;
}

int things_socketbox_send(int sock, const char *path, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct sockaddr_un sa;
	char zero = '\0';
	struct iovec iov = { &zero, 1 };
	struct msghdr msg = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c;
	int err = unix_addr(path, &sa);

	if (err)
		return err;
	memset(&control, 0, sizeof(control));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -errno;
}
