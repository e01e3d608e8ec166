// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Processes thingsd runs for a rule and keeps running: relay workers
 * (tcp_relay.c, forked with the rule's listener), and servers for `target
 * = listen` with `exec = ...`, started
 * with the systemd socket-activation convention: the listening socket is
 * descriptor 3, LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES=APP. thingsd keeps
 * no copy of the socket: a server that exits frees its slot, so connections
 * for it are refused until it is started again, after a back-off.
 *
 * Each server's pid is kept in RUN_DIR/tcp-APP.pid with its start time, so
 * that a thingsd restarted over --keep adopts the servers it left running
 * (watched through a pidfd) instead of starting second ones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "paths.h"
#include "privs.h"
#include "tcp.h"
#include "thingsd.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS	 30000
#define RAN_LONG_MS	 10000	/* a server that ran this long starts again at once */
#define STOP_GRACE_MS	 3000

static void pidfile_name(const struct tcp_slot *s, char *name, size_t len)
{
	snprintf(name, len, "tcp-%s.pid", s->name);
}

/* Field 22 of /proc/PID/stat: tells a pid from a later one of the same
 * number. 0 if the process is gone. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The name may hold anything: fields count from its closing ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %llu", &st) != 1)
		return 0;
	return st;
}

static void watch(struct tcp *t, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TCP_TAG_PIDFD | (__u32)pidfd };

	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, pidfd, &ev))
		pr_warn("cannot watch a server: %s\n", strerror(errno));
}

static void unwatch(struct tcp *t, int pidfd)
{
	epoll_ctl(t->ep, EPOLL_CTL_DEL, pidfd, NULL);
	close(pidfd);
}

static void schedule_restart(struct tcp_slot *s, long long now)
{
	if (now - s->started_ms >= RAN_LONG_MS || !s->backoff_ms)
		s->backoff_ms = BACKOFF_FIRST_MS;
	else if (s->backoff_ms < BACKOFF_MAX_MS)
		s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
	s->restart_at = now + s->backoff_ms;
	s->state = SLOT_SERVER_WAIT;
}

/* In the child: never returns. */
static void exec_server(const struct tcp_slot *s, int sock, char **argv, uid_t uid, gid_t gid,
			bool set_ids)
{
	sigset_t none;
	char pid[24];
	int null;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (sock == 3)
		fcntl(3, F_SETFD, 0);
	else if (dup2(sock, 3) != 3)
		_exit(127);
	null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != 0) {
		dup2(null, 0);
		if (null > 3)
			close(null);
	}
	close_range(4, ~0U, 0);
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", s->name, 1);
	if (set_ids && privs_set_ids(uid, gid)) {
		dprintf(2, "thingsd: app '%s': cannot take user and group ids: %s\n", s->name,
			strerror(errno));
		_exit(127);
	}
	execvp(argv[0], argv);
	dprintf(2, "thingsd: app '%s': cannot run %s: %s\n", s->name, argv[0], strerror(errno));
	_exit(127);
}

/*
 * In the child: a relay worker with the listener as descriptor 3 and the
 * counters' map as 4, and nothing else of thingsd's: not its user either,
 * nor any of its capabilities. It reads bytes from anyone and needs no
 * power to move them; its counters are written through the descriptor.
 */
static void run_relay(const struct tcp_slot *s, __u32 id, int sock, int stats_fd,
		      const struct privs_user *nobody)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) || dup2(sock, 3) != 3 || dup2(stats_fd, 4) != 4)
		_exit(127);
	close_range(5, ~0U, 0);
	if (privs_worker(nobody)) {
		dprintf(2, "thingsd: app '%s': relay worker: cannot become uid %u gid %u without "
			"capabilities: %s\n", s->name, (unsigned int)nobody->uid,
			(unsigned int)nobody->gid, strerror(errno));
		_exit(127);
	}
	tcp_relay_main(s, id, 3, 4);
}

bool tcp_slot_ids(const struct tcp_slot *s, uid_t *uid, gid_t *gid, bool *set)
{
	*set = s->user[0] || s->group[0];
	*uid = getuid();
	*gid = getgid();
	if (s->user[0]) {
		struct passwd *pw = getpwnam(s->user);

		if (!pw) {
			pr_err("app '%s': no user '%s'\n", s->name, s->user);
			return false;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (s->group[0]) {
		struct group *gr = getgrnam(s->group);

		if (!gr) {
			pr_err("app '%s': no group '%s'\n", s->name, s->group);
			return false;
		}
		*gid = gr->gr_gid;
	}
	return true;
}

void tcp_server_start(struct tcp *t, __u32 id, const struct things_cfg_app *app)
{
	struct tcp_slot *s = &t->slot[id];
	char words[THINGS_TCP_EXEC_MAX], *argv[THINGS_TCP_EXEC_ARGS + 1];
	char name[64], text[64], why[PATH_MAX + 128];
	const char *wwhy;
	long long now = tcp_now_ms();
	struct privs_user nobody;
	bool set_ids = false;
	uid_t uid = 0;
	gid_t gid = 0;
	int sock = -1, pidfd;
	pid_t pid;

	(void)app;
	s->started_ms = now;
	/* Looked up here: the worker, once forked, opens nothing of its own. */
	if (s->target == THINGS_TCP_RELAY)
		privs_worker_user(&nobody);
	if (s->target != THINGS_TCP_RELAY &&
	    (things_cmd_split(s->exec, words, argv, &wwhy) < 0 || !tcp_slot_ids(s, &uid, &gid, &set_ids)))
		goto retry;
	sock = tcp_listen_socket(0);
	if (sock < 0) {
		pr_err("app '%s': cannot make its listening socket: %s\n", s->name, strerror(-sock));
		goto retry;
	}
	pid = fork();
	if (pid < 0) {
		pr_err("app '%s': cannot fork: %s\n", s->name, strerror(errno));
		goto retry;
	}
	if (pid == 0 && s->target == THINGS_TCP_RELAY)
		run_relay(s, id, sock, t->stats_fd, &nobody);
	if (pid == 0)
		exec_server(s, sock, argv, uid, gid, set_ids);
	/* Steered to from now on; ours closed, so the server's exit frees it. */
	if (tcp_sock_set(t, id, sock))
		pr_err("app '%s': cannot put its socket in the steering map: %s\n", s->name,
		       strerror(errno));
	close(sock);
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		pr_err("app '%s': cannot watch server %d: %s\n", s->name, pid, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto retry_nosock;
	}
	s->pid = pid;
	s->pidfd = pidfd;
	s->child = true;
	s->state = SLOT_SERVER;
	watch(t, pidfd);
	pidfile_name(s, name, sizeof(name));
	snprintf(text, sizeof(text), "%d %llu\n", pid, start_time(pid));
	if (paths_write_file(t->run_dir, name, text, strlen(text), why, sizeof(why)))
		pr_warn("app '%s': %s\n", s->name, why);
	if (s->target == THINGS_TCP_RELAY)
		pr_info("app '%s': started relay worker %d for %s\n", s->name, pid, s->arg);
	else
		pr_info("app '%s': started server %d: %s\n", s->name, pid, s->exec);
	return;
retry:
	if (sock >= 0)
		close(sock);
retry_nosock:
	schedule_restart(s, now);
}

bool tcp_server_adopt(struct tcp *t, __u32 id)
{
	struct tcp_slot *s = &t->slot[id];
	char path[PATH_MAX + 80], name[64], buf[64];
	unsigned long long st = 0;
	__u64 cookie;
	FILE *f;
	int pid = 0, pidfd;

	pidfile_name(s, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", t->run_dir, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%d %llu", &pid, &st) != 2 || pid <= 1)
		pid = 0;
	fclose(f);
	/* Its socket in the slot is what says it still serves this app. */
	if (!pid || !st || start_time(pid) != st ||
	    bpf_map_lookup_elem(t->socks_fd, &id, &cookie))
		return false;
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0)
		return false;
	s->pid = pid;
	s->pidfd = pidfd;
	s->child = false;
	s->started_ms = tcp_now_ms();
	s->state = SLOT_SERVER;
	watch(t, pidfd);
	pr_info("app '%s': server %d of an earlier thingsd still serves: adopted\n", s->name, pid);
	return true;
}

void tcp_server_stop(struct tcp *t, __u32 id)
{
	struct tcp_slot *s = &t->slot[id];

	if (s->state == SLOT_SERVER && s->pidfd >= 0) {
		epoll_ctl(t->ep, EPOLL_CTL_DEL, s->pidfd, NULL);
		if (pidfd_send_signal(s->pidfd, SIGTERM, NULL, 0) && errno != ESRCH)
			pr_warn("app '%s': cannot stop server %d: %s\n", s->name, s->pid,
				strerror(errno));
		if (t->n_stopping < TCP_MAX_STOPPING) {
			struct tcp_stopping *st = &t->stopping[t->n_stopping++];
			struct epoll_event ev = { .events = EPOLLIN,
						  .data.u64 = TCP_TAG_PIDFD | (__u32)s->pidfd };

			*st = (struct tcp_stopping){ s->pid, s->pidfd, s->child,
						     tcp_now_ms() + STOP_GRACE_MS };
			epoll_ctl(t->ep, EPOLL_CTL_ADD, s->pidfd, &ev);
		} else {
			close(s->pidfd);
		}
		pr_info("app '%s': stopping server %d\n", s->name, s->pid);
	}
	if (s->exec[0] || s->target == THINGS_TCP_RELAY) {
		char name[64], path[PATH_MAX + 80];

		pidfile_name(s, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", t->run_dir, name);
		unlink(path);
	}
	s->pidfd = -1;
	s->pid = 0;
	s->state = SLOT_NONE;
}

static void reap(int pidfd, bool child, siginfo_t *info)
{
	memset(info, 0, sizeof(*info));
	if (child)
		waitid(P_PIDFD, (id_t)pidfd, info, WEXITED | WNOHANG);
}

static void describe_exit(const siginfo_t *info, char *buf, size_t len)
{
	if (info->si_code == CLD_EXITED)
		snprintf(buf, len, "exit status %d", info->si_status);
	else if (info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED)
		snprintf(buf, len, "signal %s", strsignal(info->si_status));
	else
		snprintf(buf, len, "exited");
}

void tcp_server_exited(struct tcp *t, int pidfd)
{
	long long now = tcp_now_ms();
	siginfo_t info;
	char how[64];

	for (int i = 0; i < t->n_stopping; i++)
		if (t->stopping[i].pidfd == pidfd) {
			reap(pidfd, t->stopping[i].child, &info);
			unwatch(t, pidfd);
			t->stopping[i] = t->stopping[--t->n_stopping];
			return;
		}
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		struct tcp_slot *s = &t->slot[id];

		if (s->state != SLOT_SERVER || s->pidfd != pidfd)
			continue;
		reap(pidfd, s->child, &info);
		describe_exit(&info, how, sizeof(how));
		unwatch(t, pidfd);
		s->pidfd = -1;
		schedule_restart(s, now);
		pr_warn("app '%s': server %d ended (%s): starting it again in %d ms\n", s->name,
			s->pid, s->child ? how : "not our child", s->backoff_ms);
		s->pid = 0;
		return;
	}
}

void tcp_server_timers(struct tcp *t, struct thingsd *d, long long now)
{
	for (int i = 0; i < t->n_stopping; i++)
		if (t->stopping[i].kill_at <= now) {
			pidfd_send_signal(t->stopping[i].pidfd, SIGKILL, NULL, 0);
			/* Reaped when its pidfd says it is gone. */
			t->stopping[i].kill_at = now + 60 * 60 * 1000LL;
		}
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		struct tcp_slot *s = &t->slot[id];
		struct app_state *a;

		if (s->state != SLOT_SERVER_WAIT || s->restart_at > now)
			continue;
		a = thingsd_app(d, s->name);
		if (a && a->cfg.kind == THINGS_KIND_TCP && a->id == id)
			tcp_server_start(t, id, &a->cfg);
		else
			s->state = SLOT_NONE;
	}
}

void tcp_server_reap_all(struct tcp *t, int timeout_ms)
{
	long long end = tcp_now_ms() + timeout_ms;

	while (t->n_stopping) {
		struct pollfd pfd = { .fd = t->stopping[0].pidfd, .events = POLLIN };
		long long left = end - tcp_now_ms();

		if (left > 0 && poll(&pfd, 1, (int)left) > 0) {
			tcp_server_exited(t, pfd.fd);
			continue;
		}
		pidfd_send_signal(pfd.fd, SIGKILL, NULL, 0);
		if (poll(&pfd, 1, 1000) > 0) {
			tcp_server_exited(t, pfd.fd);
			continue;
		}
		/* Even SIGKILL did not end it in time: let it go. */
		unwatch(t, pfd.fd);
		t->stopping[0] = t->stopping[--t->n_stopping];
	}
}
