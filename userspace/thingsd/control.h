/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_CONTROL_H
#define THINGSD_CONTROL_H

#include <stdbool.h>
#include <json-c/json.h>

struct control;
struct thingsd;

/* Listens on RUN_DIR/thingsd.sock; NULL (logged) on failure. Root may do
 * everything, members of group may read. */
struct control *control_open(const char *run_dir, const char *group);
/* Readable when something is to be done: give it to control_serve(). */
int control_fd(const struct control *ctl);
/* Accepts and answers what is ready, without ever waiting for a client. */
void control_serve(struct control *ctl, struct thingsd *d);
/* Milliseconds until the next pending connection's deadline, or -1; and
 * closing the connections past theirs. */
int control_timeout(const struct control *ctl);
void control_expire(struct control *ctl);
void control_close(struct control *ctl);

/* control_cmds.c: one request, its reply. admin: may change things (root).
 * fd: a descriptor that came with the request, or -1; the caller closes
 * it (the handler keeps what it needs by other means). */
json_object *control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
json_object *control_handle(struct thingsd *d, json_object *req, bool admin, int fd);

#endif
