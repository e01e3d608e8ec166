// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tcp register: a server's listening socket, handed to thingsd. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "thingsctl.h"

int cmd_tcp_register(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	const char *name;
	json_object *req;
	int fd = o->fd >= 0 ? o->fd : 3, listening = 0;
	socklen_t len = sizeof(listening);

	name = app_name_arg(cmd, argc, argv);
	if (!name)
		return EXIT_USAGE;
	/* Said here, before thingsd is asked: the usual mistake is a server
	 * that did not pass its socket as descriptor 3. */
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len))
		return fail("descriptor %d is not a socket (%s): pass the server's listening socket "
			    "as descriptor 3, or name it with --fd N", fd, strerror(errno));
	if (!listening)
		return fail("descriptor %d is a socket that does not listen", fd);
	req = json_object_new_object();
	json_object_object_add(req, "command", json_object_new_string("tcp-register"));
	json_object_object_add(req, "name", json_object_new_string(name));
	return run_change_fd(o, cmd, req, fd);
}
