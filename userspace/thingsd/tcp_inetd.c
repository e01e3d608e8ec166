// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * inetd targets: for each connection thingsd accepts on the rule's
 * listener, a child with the connection on stdin and stdout (stderr is
 * thingsd's, the log), in a session of its own, as the rule's user and
 * group, with ucspi-tcp's environment (PROTO, TCPLOCALIP, TCPLOCALPORT,
 * TCPREMOTEIP, TCPREMOTEPORT). Each child is watched through a pidfd in
 * the event loop and reaped there: no SIGCHLD handler, no zombie, and the
 * exit statuses of the servers thingsd runs (also reaped by pidfd) are
 * never taken by a wait for any child. Children outlive a change of their
 * rule and thingsd itself, as inetd's do; while thingsd runs they are
 * reaped wherever their rule went.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"
#include "tcp.h"

#define KILL_GRACE_MS 2000
#define ENV_MAX	      8

bool tcp_inetd_setup(struct tcp_slot *s)
{
	const char *why;

	s->argv_ok = false;
	if (things_cmd_split(s->arg, s->words, s->argv, &why) < 0) {
		pr_err("app '%s': inetd command: %s\n", s->name, why);
		return false;
	}
	if (!tcp_slot_ids(s, &s->uid, &s->gid, &s->set_ids))
		return false;
	s->argv_ok = true;
	return true;
}

/* ucspi-tcp's names for the two ends, as tcpserver sets them. */
static int make_env(int fd, char env[ENV_MAX][80], char **envp)
{
	struct sockaddr_in6 local, peer;
	socklen_t ll = sizeof(local), pl = sizeof(peer);
	char l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
	int n = 0;

	if (getsockname(fd, (struct sockaddr *)&local, &ll) ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) || local.sin6_family != AF_INET6)
		return -1;
	inet_ntop(AF_INET6, &local.sin6_addr, l, sizeof(l));
	inet_ntop(AF_INET6, &peer.sin6_addr, r, sizeof(r));
	snprintf(env[n++], 80, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(env[n++], 80, "PROTO=TCP");
	snprintf(env[n++], 80, "TCPLOCALIP=%s", l);
	snprintf(env[n++], 80, "TCPLOCALPORT=%u", ntohs(local.sin6_port));
	snprintf(env[n++], 80, "TCPREMOTEIP=%s", r);
	snprintf(env[n++], 80, "TCPREMOTEPORT=%u", ntohs(peer.sin6_port));
	for (int i = 0; i < n; i++)
		envp[i] = env[i];
	envp[n] = NULL;
	return 0;
}

struct spawn {
	const struct tcp_slot *s;
	int fd;
	char **envp;
};

/*
 * In the child, which shares thingsd's memory until it execs (a fork would
 * copy thingsd's page tables for each connection, the bulk of the cost):
 * system calls only, nothing that allocates or writes what thingsd reads.
 */
static int exec_child(void *arg)
{
	const struct spawn *sp = arg;
	const struct tcp_slot *s = sp->s;
	int fd = sp->fd;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (dup2(fd, 0) != 0 || dup2(fd, 1) != 1)
		_exit(127);
	close_range(3, ~0U, 0);
	if (s->set_ids && privs_set_ids(s->uid, s->gid)) {
		dprintf(2, "thingsd: app '%s': cannot take user and group ids: %s\n", s->name,
			strerror(errno));
		_exit(127);
	}
	execvpe(s->argv[0], s->argv, sp->envp);
	dprintf(2, "thingsd: app '%s': cannot run %s: %s\n", s->name, s->argv[0], strerror(errno));
	_exit(127);
}

/* The child's stack: the parent waits (CLONE_VFORK) until it has exec'd,
 * so one serves every child. */
static char child_stack[64 * 1024] __attribute__((aligned(16)));

/* A child running exec_child: its pidfd, or -1 (errno set). */
static int spawn(const struct tcp_slot *s, int fd, char **envp, pid_t *pid)
{
	struct spawn sp = { s, fd, envp };
	int pidfd = -1;

	*pid = clone(exec_child, child_stack + sizeof(child_stack),
		     CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &sp, &pidfd);
	return *pid < 0 ? -1 : pidfd;
}

/* A free entry of the children's table, which grows as needed: entries
 * never move, since epoll knows them by index. */
static int kid_slot(struct tcp *t)
{
	for (int i = 0; i < t->n_kids; i++)
		if (t->kids[i].pidfd < 0)
			return i;
	if (t->n_kids == t->cap_kids) {
		int cap = t->cap_kids ? 2 * t->cap_kids : 64;
		struct tcp_child *more = realloc(t->kids, (size_t)cap * sizeof(*more));

		if (!more)
			return -1;
		t->kids = more;
		t->cap_kids = cap;
	}
	t->kids[t->n_kids].pidfd = -1;
	return t->n_kids++;
}

void tcp_inetd_spawn(struct tcp *t, __u32 id, int fd)
{
	struct tcp_slot *s = &t->slot[id];
	struct epoll_event ev = { .events = EPOLLIN };
	char env[ENV_MAX][80], *envp[ENV_MAX + 1];
	struct tcp_child *k;
	int i, pidfd;
	pid_t pid;

	/* Children that have ended but whose pidfd events wait behind this
	 * round of accepts are not running: reaped first, not counted. */
	if (s->ctr[THINGS_TCP_ACTIVE - THINGS_TCP_ACCEPTED] >= s->max_children)
		for (int k = 0; k < t->n_kids; k++)
			if (t->kids[k].pidfd >= 0 && t->kids[k].id == id)
				tcp_inetd_exited(t, (__u32)k);
	if (s->ctr[THINGS_TCP_ACTIVE - THINGS_TCP_ACCEPTED] >= s->max_children) {
		tcp_box_count(s, THINGS_TCP_REFUSED, 1);
		tcp_reset(fd);
		return;
	}
	i = kid_slot(t);
	if (i < 0 || !s->argv_ok || make_env(fd, env, envp)) {
		tcp_box_count(s, THINGS_TCP_FAILED, 1);
		tcp_reset(fd);
		return;
	}
	pidfd = spawn(s, fd, envp, &pid);
	close(fd);
	if (pidfd < 0) {
		pr_warn("app '%s': cannot start a child: %s\n", s->name, strerror(errno));
		tcp_box_count(s, THINGS_TCP_FAILED, 1);
		return;
	}
	ev.data.u64 = TCP_TAG_CHILD | (__u32)i;
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, pidfd, &ev)) {
		/* Unwatched it would be a zombie: end it now. */
		pr_warn("app '%s': cannot watch child %d: %s\n", s->name, pid, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(pidfd);
		tcp_box_count(s, THINGS_TCP_FAILED, 1);
		return;
	}
	k = &t->kids[i];
	*k = (struct tcp_child){ .pid = pid, .pidfd = pidfd, .id = id, .gen = s->gen,
				 .end_at = -1, .kill_at = -1 };
	if (s->timeout) {
		k->end_at = tcp_now_ms() + (long long)s->timeout * 1000;
		if (t->kids_next < 0 || k->end_at < t->kids_next)
			t->kids_next = k->end_at;
	}
	tcp_box_count(s, THINGS_TCP_PASSED, 1);
	tcp_box_count(s, THINGS_TCP_ACTIVE, 1);
}

void tcp_inetd_exited(struct tcp *t, __u32 idx)
{
	struct tcp_child *k;
	siginfo_t info = { 0 };

	if (idx >= (__u32)t->n_kids || t->kids[idx].pidfd < 0)
		return;
	k = &t->kids[idx];
	if (waitid(P_PIDFD, (id_t)k->pidfd, &info, WEXITED | WNOHANG) || !info.si_pid)
		return;		/* not yet: epoll tells again */
	epoll_ctl(t->ep, EPOLL_CTL_DEL, k->pidfd, NULL);
	close(k->pidfd);
	k->pidfd = -1;
	if (t->slot[k->id].state == SLOT_BOX && t->slot[k->id].gen == k->gen) {
		tcp_box_count(&t->slot[k->id], THINGS_TCP_ACTIVE, -1);
		tcp_box_flush(t, k->id);
	}
	while (t->n_kids && t->kids[t->n_kids - 1].pidfd < 0)
		t->n_kids--;
}

void tcp_inetd_timers(struct tcp *t, long long now)
{
	long long next = -1;

	if (t->kids_next < 0 || t->kids_next > now)
		return;
	for (int i = 0; i < t->n_kids; i++) {
		struct tcp_child *k = &t->kids[i];

		if (k->pidfd < 0)
			continue;
		if (k->end_at >= 0 && k->end_at <= now) {
			pidfd_send_signal(k->pidfd, SIGTERM, NULL, 0);
			k->end_at = -1;
			k->kill_at = now + KILL_GRACE_MS;
			if (t->slot[k->id].gen == k->gen) {
				tcp_box_count(&t->slot[k->id], THINGS_TCP_TIMED_OUT, 1);
				tcp_box_flush(t, k->id);
			}
		} else if (k->kill_at >= 0 && k->kill_at <= now) {
			pidfd_send_signal(k->pidfd, SIGKILL, NULL, 0);
			k->kill_at = -1;
		}
		if (k->end_at >= 0 && (next < 0 || k->end_at < next))
			next = k->end_at;
		if (k->kill_at >= 0 && (next < 0 || k->kill_at < next))
			next = k->kill_at;
	}
	t->kids_next = next;
}

void tcp_inetd_close(struct tcp *t)
{
	/* The children go on, as inetd's do; only our watch ends. */
	for (int i = 0; i < t->n_kids; i++)
		if (t->kids[i].pidfd >= 0)
			close(t->kids[i].pidfd);
	free(t->kids);
	t->kids = NULL;
	t->n_kids = t->cap_kids = 0;
}
