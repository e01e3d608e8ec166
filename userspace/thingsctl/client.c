// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The client side of the control protocol (control_proto.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "control_proto.h"
#include "log.h"
#include "thingsctl.h"

/* The daemon is down, not merely unwilling, only when nothing is there to
 * connect to: a socket file without a listener is a daemon that died. */
static bool daemon_absent(int err)
{
	return err == ENOENT || err == ECONNREFUSED || err == ENOTDIR;
}

static int connect_daemon(const struct ctl_opts *o, char *path, size_t path_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = o->timeout };
	int fd;

	if ((size_t)snprintf(path, path_len, "%s/%s", o->run_dir, THINGS_SOCKET_NAME) >=
	    sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* The daemon answers between its other work; a wedged one must not
	 * hang the shell that asked. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Takes the reply apart: the "result", or the daemon's "error" in why. */
static enum client_status unpack(json_object *reply, json_object **result, char *why,
				 size_t why_len)
{
	json_object *ok, *val;

	if (!json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "ok", &ok)) {
		snprintf(why, why_len, "thingsd sent a reply without \"ok\"");
		return CLIENT_FAILED;
	}
	if (!json_object_get_boolean(ok)) {
		snprintf(why, why_len, "%s",
			 json_object_object_get_ex(reply, "error", &val) ?
				 json_object_get_string(val) : "thingsd refused without a reason");
		return CLIENT_FAILED;
	}
	if (!json_object_object_get_ex(reply, "result", &val))
		val = NULL;
	*result = val ? json_object_get(val) : json_object_new_object();
	return CLIENT_OK;
}

enum client_status client_call(const struct ctl_opts *o, json_object *req,
			       json_object **result, char *why, size_t why_len)
{
	return client_call_fd(o, req, -1, result, why, why_len);
}

/* The request, with fd (if >= 0) as its one SCM_RIGHTS descriptor. */
static ssize_t send_request(int sock, const char *text, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { (void *)text, strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

enum client_status client_call_fd(const struct ctl_opts *o, json_object *req, int pass_fd,
				  json_object **result, char *why, size_t why_len)
{
	enum client_status ret = CLIENT_FAILED;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
	json_object *reply = NULL;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	const char *text;
	char *buf = NULL;
	ssize_t n;
	int fd;

	*result = NULL;
	fd = connect_daemon(o, path, sizeof(path));
	if (fd < 0) {
		if (errno == ENAMETOOLONG)
			snprintf(why, why_len, "socket path %s/%s is too long", o->run_dir,
				 THINGS_SOCKET_NAME);
		else
			snprintf(why, why_len, "cannot connect to %s: %s%s", path, strerror(errno),
				 errno == EACCES ? " (thingsd answers root and its group only)" : "");
		return daemon_absent(errno) ? CLIENT_DOWN : CLIENT_FAILED;
	}
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	pr_debug("%s <- %s\n", path, text);
	if (send_request(fd, text, pass_fd) < 0) {
		snprintf(why, why_len, "cannot send the request to %s: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(THINGS_CTL_MAX_MSG + 1);
	if (!buf) {
		snprintf(why, why_len, "cannot allocate the reply buffer: %s", strerror(errno));
		goto out;
	}
	iov = (struct iovec){ .iov_base = buf, .iov_len = THINGS_CTL_MAX_MSG };
	n = recvmsg(fd, &msg, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		snprintf(why, why_len, "thingsd did not answer within %d s (see --timeout)",
			 o->timeout);
		goto out;
	}
	if (n < 0) {
		snprintf(why, why_len, "cannot read the reply from %s: %s", path, strerror(errno));
		goto out;
	}
	if (n == 0) {
		snprintf(why, why_len, "thingsd closed %s without a reply", path);
		goto out;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		snprintf(why, why_len, "the reply from thingsd is longer than %d bytes",
			 THINGS_CTL_MAX_MSG);
		goto out;
	}
	buf[n] = '\0';
	pr_debug("%s -> %s\n", path, buf);
	reply = json_tokener_parse(buf);
	if (!reply) {
		snprintf(why, why_len, "the reply from thingsd is not JSON");
		goto out;
	}
	ret = unpack(reply, result, why, why_len);
out:
	json_object_put(reply);
	free(buf);
	close(fd);
	return ret;
}
