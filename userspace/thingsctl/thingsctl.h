/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSCTL_H
#define THINGSCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "appstate.h"

#define EXIT_USAGE 2

/* What the global options set; every command gets it. */
struct ctl_opts {
	bool json;
	bool pretty;
	int verbose;
	const char *run_dir;
	const char *pin_dir;
	int timeout;		/* seconds to wait for the daemon's reply */
	long count;		/* board follow: new messages to wait for; 0: no end */
	int fd;			/* tcp register: the socket's descriptor; -1: 3 */
};

/* Each prints "thingsctl: MSG" on stderr; they return the exit status. */
__attribute__((format(printf, 1, 2))) int fail(const char *fmt, ...);
/* ... followed by the hint to read the help. */
__attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...);

/*
 * commands.c. cmd is the command's words ("app list"), for messages; argv
 * starts after them. The read-only commands differ only in what they ask
 * and print, so they are data for one function.
 */
struct query;
extern const struct query query_status, query_app_list, query_app_show, query_iface_list,
	query_stats, query_tcp_list, query_tcp_stats;
int cmd_query(const struct ctl_opts *o, const char *cmd, const struct query *q, int argc,
	      char **argv);
int cmd_app_add(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
int cmd_app_del(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
int cmd_reload(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
/* A command that changes something: thingsd must be there. The request
 * (taken over) goes with pass_fd as SCM_RIGHTS when it is >= 0. */
int run_change_fd(const struct ctl_opts *o, const char *what, json_object *req, int pass_fd);
/* The NAME argument of the app commands (argv[0] of argc), or NULL after a
 * usage error. */
const char *app_name_arg(const char *cmd, int argc, char **argv);

/* client.c: one request, one reply over the control socket. */
enum client_status {
	CLIENT_OK,		/* *result holds the reply's "result" */
	CLIENT_DOWN,		/* no daemon listens: why says how we know */
	CLIENT_FAILED,		/* transport error or the daemon's error reply */
};
enum client_status client_call(const struct ctl_opts *o, json_object *req,
			       json_object **result, char *why, size_t why_len);
/* The same, passing a descriptor along (SCM_RIGHTS) when pass_fd >= 0. */
enum client_status client_call_fd(const struct ctl_opts *o, json_object *req, int pass_fd,
				  json_object **result, char *why, size_t why_len);

/* pins.c: the same reports thingsd answers, built from the pinned maps. */
enum pin_report {
	PIN_REPORT_STATUS,
	PIN_REPORT_APPS,
	PIN_REPORT_IFACES,
	PIN_REPORT_STATS,
	PIN_REPORT_TCP,
};
/* name: only that app (PIN_REPORT_APPS). NULL with why set on failure. */
json_object *pins_report(const struct ctl_opts *o, enum pin_report what, const char *name,
			 char *why, size_t why_len);

/* xdp.c: "native", "generic" or "offload" if things_xdp runs on the
 * interface (through libxdp's dispatcher or alone), else "none". */
const char *xdp_things_mode(int ifindex);

/* render.c: aligned text for each result. */
void render_status(const struct ctl_opts *o, json_object *status);
void render_app_list(const struct ctl_opts *o, json_object *apps);
void render_app_show(const struct ctl_opts *o, json_object *apps);
void render_ifaces(const struct ctl_opts *o, json_object *ifaces);
void render_stats(const struct ctl_opts *o, json_object *stats);
/* tcp.c */
void render_tcp_list(const struct ctl_opts *o, json_object *apps);
void render_tcp_stats(const struct ctl_opts *o, json_object *apps);
int cmd_tcp_register(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
/* -j output: one line, or indented with -p. */
void print_json(const struct ctl_opts *o, json_object *obj);

/*
 * The app views: they read the pins (appstate.h), never the daemon, so they
 * work while it is down, and only `canvas clear` needs write access.
 */
int cmd_board_show(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
int cmd_board_follow(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
int cmd_tree_show(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
int cmd_canvas_export(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
int cmd_canvas_clear(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
int cmd_trace_show(const struct ctl_opts *o, const char *cmd, int argc, char **argv);
int cmd_trace_zone(const struct ctl_opts *o, const char *cmd, int argc, char **argv);

/* views.c: finds the app argv[0] names, of kind, in the pins; the command
 * takes nargs words, whose names args gives for messages. Returns 0, or the
 * exit status after printing why not. */
int view_find_app(const struct ctl_opts *o, const char *cmd, int argc, char **argv, int nargs,
		  const char *args, enum things_app_kind kind, struct appstate_app *app);
/* board.c, for board follow too: up to max of the board's messages, newest
 * first, as a JSON array (NULL after printing why not); one message as a
 * line of text, or of JSON with -j. */
json_object *board_messages(const struct ctl_opts *o, const struct appstate_app *app,
			    unsigned int max);
void board_print_line(const struct ctl_opts *o, json_object *msg);

#endif
