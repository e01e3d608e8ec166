/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_TCP_H
#define THINGSD_TCP_H

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "config.h"

struct thingsd;
struct sk_lookup_bpf;
struct bpf_link;

/* What runs for a slot (a tcp app's id). */
enum tcp_slot_state {
	SLOT_NONE,		/* nothing of ours: a registered server's, or none */
	SLOT_SERVER,		/* exec: the server runs (pidfd is watched) */
	SLOT_SERVER_WAIT,	/* exec: it exited; started again at restart_at */
	SLOT_BOX,		/* socketbox: box_fd listens, steered to */
};

/* The thingsd counters of a socketbox slot, from ACCEPTED on. */
#define TCP_BOX_COUNTERS (THINGS_TCP_N_COUNTERS - THINGS_TCP_ACCEPTED)

struct tcp_slot {
	enum tcp_slot_state state;
	/* what the slot was set up for: a change means a new setup */
	int target;
	char name[THINGS_APP_NAME_MAX];
	char path[THINGS_TCP_PATH_MAX];
	char exec[THINGS_TCP_EXEC_MAX];
	char user[THINGS_TCP_ID_MAX], group[THINGS_TCP_ID_MAX];
	/* exec */
	pid_t pid;
	int pidfd;		/* -1: none */
	bool child;		/* ours to reap (else adopted from an earlier thingsd) */
	long long started_ms, restart_at;
	int backoff_ms;
	/* socketbox */
	int box_fd;		/* -1: none */
	bool paused;		/* accept failed for want of resources */
	long long resume_at;
	int pause_ms;
	__u64 ctr[TCP_BOX_COUNTERS];
	bool ctr_dirty;
};

/* A server being stopped: reaped when it exits, killed if it takes long. */
struct tcp_stopping {
	pid_t pid;
	int pidfd;
	bool child;
	long long kill_at;
};
#define TCP_MAX_STOPPING 64

struct tcp {
	struct sk_lookup_bpf *skel;
	struct bpf_link *link;
	int rules_fd, socks_fd, stats_fd;
	int ep;			/* pidfds and socketbox listeners */
	int send_fd;		/* unbound AF_UNIX datagram socket: socketbox sends */
	char pin_dir[PATH_MAX];
	char run_dir[PATH_MAX];
	struct tcp_slot slot[THINGS_MAX_APPS];
	struct tcp_stopping stopping[TCP_MAX_STOPPING];
	int n_stopping;
};

/* tcp.c: the steering program, pinned maps and link; the slots. */
struct tcp *tcp_open(const char *pin_dir, const char *run_dir);
/* keep: leave the program attached and the servers running. */
void tcp_close(struct tcp *t, bool keep);
/* Makes sockets, servers and the steering rules match d's tcp apps. */
int apply_tcp(struct thingsd *d);
/* The event loop: an fd to watch, the ms until the next timer (or -1), and
 * what to do when either fires. */
int tcp_fd(const struct tcp *t);
int tcp_timeout(const struct tcp *t);
void tcp_serve(struct thingsd *d);
/* Zeroes app id's counters (a new app in the slot). */
void tcp_counters_zero(struct tcp *t, __u32 id);
/* A server's listening socket for app (tcp-register). 0, or -errno with
 * *why. */
int tcp_register(struct thingsd *d, const char *name, int fd, bool *replaced, const char **why);
/* tcp-list: each tcp app with its rule, target, socket and counters. */
json_object *tcp_report(struct thingsd *d);

/* tcp_server.c: servers thingsd runs for target = listen, exec = ... */
void tcp_server_start(struct tcp *t, __u32 id, const struct things_cfg_app *app);
/* A server an earlier thingsd left running (--keep), if it is still the
 * one in the slot: watched as if it were ours. */
bool tcp_server_adopt(struct tcp *t, __u32 id);
/* SIGTERM, then SIGKILL if it has not gone in a while; never waits. */
void tcp_server_stop(struct tcp *t, __u32 id);
/* Waits (at most timeout_ms) for stopped servers to go: shutdown only. */
void tcp_server_reap_all(struct tcp *t, int timeout_ms);
void tcp_server_exited(struct tcp *t, int pidfd);
void tcp_server_timers(struct tcp *t, struct thingsd *d, long long now);

/* tcp_box.c: socketbox targets. */
int tcp_box_open(struct tcp *t, __u32 id);
void tcp_box_close(struct tcp *t, __u32 id);
void tcp_box_accept(struct tcp *t, __u32 id);
void tcp_box_timers(struct tcp *t, long long now);
void tcp_box_flush(struct tcp *t, __u32 id);

/* Shared: a listening TCP socket on [::1], reached only through the
 * steering program (flags: SOCK_NONBLOCK or 0); epoll tags. */
int tcp_listen_socket(int flags);
long long tcp_now_ms(void);
/* Puts fd's socket in the steering map at id: 0 or -1 with errno. */
int tcp_sock_set(struct tcp *t, __u32 id, int fd);
#define TCP_TAG_PIDFD	(1ULL << 32)
#define TCP_TAG_BOX	(2ULL << 32)

#endif
