/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_CONTROL_H
#define THINGSD_CONTROL_H

struct control;
struct thingsd;

/* Listens on RUN_DIR/thingsd.sock; NULL (logged) on failure. */
struct control *control_open(const char *run_dir, const char *group);
int control_fd(const struct control *ctl);
/* Accepts one pending connection and answers its request. */
void control_serve(struct control *ctl, struct thingsd *d);
void control_close(struct control *ctl);

#endif
