// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* thingsd: the host-wide owner of the IPv6 Things data plane. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <pwd.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <xdp/libxdp.h>

#include "control.h"
#include "log.h"
#include "paths.h"
#include "privs.h"
#include "tcp.h"
#include "thingsd.h"

#define EXIT_USAGE 2

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check", required_argument, NULL, 'C' },
	{ "keep", no_argument, NULL, 'k' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: thingsd [-c FILE] [-k] [-v]...\n"
		"       thingsd --check FILE\n"
		"\n"
		"Loads the IPv6 Things data plane on the interfaces of the config, keeps\n"
		"the app prefixes, local routes and maps in line with it, and serves\n"
		"thingsctl on a control socket.\n"
		"\n"
		"  -c, --config FILE  config file (default " THINGS_DEFAULT_CONFIG ")\n"
		"      --check FILE   validate FILE, print any error as FILE:LINE, exit\n"
		"  -k, --keep         on exit, leave the data plane and routes running\n"
		"  -v, --verbose      more log output (-vv for libbpf/libxdp detail)\n"
		"  -h, --help         this text\n"
		"\n"
		"Signals: SIGHUP reloads the config; SIGTERM or SIGINT stops.\n"
		"Exit status: 0 ok, 1 failure, 2 usage or config error.\n");
}

/* FILE:LINE: for a line, FILE: for the file or a default. */
static void config_error(const char *path, int line, const char *msg)
{
	if (line > 0)
		fprintf(stderr, "%s:%d: %s\n", path, line, msg);
	else
		fprintf(stderr, "%s: %s\n", path, msg);
}

static int load_config(const char *path, struct things_config *cfg)
{
	struct things_config_error err;
	int ret = things_config_load(path, cfg, &err);

	/* A story file's errors are FILE:LINE of that file. */
	if (ret)
		config_error(err.file[0] ? err.file : path, ret == -EINVAL ? err.line : 0, err.msg);
	return ret;
}

/*
 * What the config names on this host, checked before anything is made:
 * the directories are root's alone (or can be made so), pin_dir is on
 * bpffs. Returns 0 or -errno, with FILE:LINE printed.
 */
static int check_host(const char *path, const struct things_config *cfg,
		      struct privs_user *user)
{
	const struct {
		const char *key;
		const char *dir;
		int line;
		bool pins;
	} dirs[] = {
		{ "run_dir", cfg->run_dir, cfg->run_dir_line, false },
		{ "state_dir", cfg->state_dir, cfg->state_dir_line, false },
		{ "pin_dir", cfg->pin_dir, cfg->pin_dir_line, true },
	};
	char why[PATH_MAX + 256], msg[sizeof(why) + 64];

	*user = (struct privs_user){ 0 };
	if (cfg->user[0]) {
		struct passwd *pw = getpwnam(cfg->user);

		if (!pw) {
			snprintf(msg, sizeof(msg), "user '%s': no such user on this host",
				 cfg->user);
			config_error(path, cfg->user_line, msg);
			return -ENOENT;
		}
		user->uid = pw->pw_uid;
		user->gid = pw->pw_gid;
		/* Its directories, made its own at an earlier start, are fine. */
		paths_allow_owner(pw->pw_uid);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int err = dirs[i].pins ? paths_check_pin_dir(dirs[i].dir, why, sizeof(why))
				       : paths_check_dir(dirs[i].dir, why, sizeof(why));

		if (err) {
			snprintf(msg, sizeof(msg), "%s%s: %s", dirs[i].key,
				 dirs[i].line ? "" : " (the default)", why);
			config_error(path, dirs[i].line, msg);
			return err;
		}
	}
	return 0;
}

/* Warnings only: a prefix may hold a gateway on purpose. */
static void warn_gateways(const char *path, const struct things_config *cfg)
{
	struct rtnl *rt = rtnl_open(0);
	int n;

	if (!rt)
		return;
	n = routes_warn_gateways(rt, cfg, path);
	if (n < 0)
		pr_warn("cannot read the host's routes to check gateways: %s\n", strerror(-n));
	rtnl_close(rt);
}

/* [daemon] user: what thingsd writes in from now on becomes that user's. */
static int give_dirs(const struct things_config *cfg, uid_t uid)
{
	const char *dirs[] = { cfg->run_dir, cfg->state_dir, cfg->pin_dir };
	char why[PATH_MAX + 256];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (paths_give_tree(dirs[i], uid, why, sizeof(why))) {
			pr_err("%s\n", why);
			return -1;
		}
	return 0;
}

static int make_dirs(const struct things_config *cfg)
{
	char why[PATH_MAX + 256];

	if (paths_make_dir(cfg->run_dir, 0755, why, sizeof(why)) ||
	    paths_make_dir(cfg->state_dir, 0755, why, sizeof(why))) {
		pr_err("%s\n", why);
		return -1;
	}
	return 0;
}

static int take_lock(const char *run_dir)
{
	char path[PATH_MAX + 32], pid[32], why[PATH_MAX + 128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", run_dir, THINGS_LOCK_NAME);
	fd = paths_open_file(run_dir, THINGS_LOCK_NAME, O_RDWR | O_CREAT, 0644, why, sizeof(why));
	if (fd < 0) {
		pr_err("%s\n", why);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ssize_t n = read(fd, pid, sizeof(pid) - 1);

		pid[n > 0 ? n : 0] = '\0';
		pr_err("another thingsd holds %s (pid %s)\n", path,
		       n > 0 ? strtok(pid, "\n") : "unknown");
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%d\n", getpid());
	return fd;
}

static int signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void reload(struct thingsd *d)
{
	struct things_config cfg;
	int err;

	pr_info("SIGHUP: reloading %s\n", d->config_path);
	if (load_config(d->config_path, &cfg)) {
		pr_err("the new config has errors: still running the old one\n");
		return;
	}
	if (strcmp(cfg.pin_dir, d->cfg.pin_dir) || strcmp(cfg.run_dir, d->cfg.run_dir) ||
	    strcmp(cfg.state_dir, d->cfg.state_dir) || strcmp(cfg.group, d->cfg.group) ||
	    strcmp(cfg.user, d->cfg.user)) {
		pr_warn("[daemon] settings change only on restart: keeping the running ones\n");
		strcpy(cfg.pin_dir, d->cfg.pin_dir);
		strcpy(cfg.run_dir, d->cfg.run_dir);
		strcpy(cfg.state_dir, d->cfg.state_dir);
		strcpy(cfg.group, d->cfg.group);
		strcpy(cfg.user, d->cfg.user);
	}
	warn_gateways(d->config_path, &cfg);
	err = apply_config(d, &cfg);
	if (err) {
		pr_err("reload: %s\n", strerror(-err));
		return;
	}
	pr_info("reloaded: %d app(s), %d interface(s)\n", d->n_apps, d->n_ifaces);
	if (!d->root_children && privs_root_children(&d->cfg))
		pr_warn("programs to run as root (inetd or exec without user=) since the "
			"start: they get only thingsd's capabilities; restart thingsd to give "
			"them root's\n");
}

/* Returns when asked to stop: 0, or -errno if the event loop broke. */
static int run(struct thingsd *d, struct control *ctl, int sig_fd)
{
	struct epoll_event ev = { .events = EPOLLIN }, got[4];
	int ep = epoll_create1(EPOLL_CLOEXEC), err = 0;

	if (ep < 0)
		return -errno;
	ev.data.fd = sig_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sig_fd, &ev);
	ev.data.fd = rtnl_fd(d->rt);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = control_fd(ctl);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = tcp_fd(d->tcp);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);

	for (;;) {
		/* Wakes for the control socket's deadlines and the tcp timers
		 * (restarts, paused listeners) too. */
		int ct = control_timeout(ctl), tt = tcp_timeout(d->tcp);
		int n = epoll_wait(ep, got, 4, ct < 0 ? tt : tt < 0 ? ct : ct < tt ? ct : tt);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			control_expire(ctl);
			tcp_serve(d);
		}
		if (n < 0) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = got[i].data.fd;

			if (fd == sig_fd) {
				struct signalfd_siginfo si;

				while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						reload(d);
						continue;
					}
					pr_info("%s: stopping\n", strsignal((int)si.ssi_signo));
					goto out;
				}
			} else if (fd == rtnl_fd(d->rt)) {
				err = host_handle_events(d);
				if (err)
					pr_warn("applying a host change: %s\n", strerror(-err));
			} else if (fd == tcp_fd(d->tcp)) {
				tcp_serve(d);
			} else {
				control_serve(ctl, d);
			}
		}
	}
out:
	close(ep);
	return err;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBXDP_WARN ? things_log_level() < THINGS_LOG_INFO
				 : things_log_level() <= THINGS_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct thingsd d = { .config_path = THINGS_DEFAULT_CONFIG };
	struct things_config cfg;
	struct privs_user user;
	struct control *ctl = NULL;
	int opt, verbose = 0, lock_fd = -1, sig_fd = -1, err, ret = EXIT_FAILURE;
	const char *check = NULL;
	bool cfg_given = false;	/* to apply_config(), which owns it then */

	while ((opt = getopt_long(argc, argv, "c:kvh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'C':
			check = optarg;
			break;
		case 'k':
			d.keep = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'thingsd --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "thingsd: unexpected argument '%s'\nTry 'thingsd --help'.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	things_log_set_ident("thingsd");
	things_log_set_level(THINGS_LOG_INFO + verbose);
	things_log_libbpf();
	libxdp_set_print(libxdp_print);

	if (check) {
		if (load_config(check, &cfg))
			return EXIT_USAGE;
		if (check_host(check, &cfg, &user)) {
			things_config_free(&cfg);
			return EXIT_USAGE;
		}
		warn_gateways(check, &cfg);
		printf("%s: OK: %d interface(s), %d app(s)\n", check, cfg.n_ifaces, cfg.n_apps);
		things_config_free(&cfg);
		return EXIT_SUCCESS;
	}
	if (load_config(d.config_path, &cfg))
		return EXIT_USAGE;
	/* Everything that can be known before touching the host is checked
	 * first: a config that cannot start creates nothing. */
	if (check_host(d.config_path, &cfg, &user)) {
		things_config_free(&cfg);
		return EXIT_USAGE;
	}
	warn_gateways(d.config_path, &cfg);

	lock_fd = make_dirs(&cfg) ? -1 : take_lock(cfg.run_dir);
	if (lock_fd < 0) {
		things_config_free(&cfg);
		return EXIT_FAILURE;
	}
	sig_fd = signals_fd();
	if (sig_fd < 0) {
		pr_err("cannot set up signals: %s\n", strerror(errno));
		goto out_lock;
	}
	d.rt = rtnl_open(RTMGRP_LINK | RTMGRP_IPV6_IFADDR);
	if (!d.rt) {
		pr_err("cannot open rtnetlink: %s\n", strerror(errno));
		goto out_sig;
	}
	err = dataplane_open(&d.dp, cfg.pin_dir);
	if (err)
		goto out_rtnl;
	d.tcp = tcp_open(cfg.pin_dir, cfg.run_dir);
	if (!d.tcp)
		goto out_dp;
	err = host_sync_addrs(&d);
	if (err) {
		pr_err("cannot read the host's addresses: %s\n", strerror(-err));
		goto out_dp;
	}
	/* Before apply_config(), which keeps the runtime apps it finds. */
	err = state_load(&d, cfg.state_dir);
	if (err)
		goto out_dp;
	ctl = control_open(cfg.run_dir, cfg.group);
	if (!ctl)
		goto out_dp;
	d.started = time(NULL);
	cfg_given = true;
	err = apply_config(&d, &cfg);
	if (err) {
		pr_err("cannot apply %s: %s\n", d.config_path, strerror(-err));
		goto out_teardown;
	}
	d.root_children = privs_root_children(&d.cfg);
	if (d.root_children)
		pr_info("programs run as root (inetd or exec without user=): the capability "
			"bounding set stays whole for them\n");
	if (user.uid && give_dirs(&d.cfg, user.uid))
		goto out_teardown;
	if (privs_drop(d.root_children, &user))
		goto out_teardown;
	pr_info("running: %d app(s) on %d interface(s), pins in %s\n", d.n_apps, d.n_ifaces,
		d.cfg.pin_dir);

	err = run(&d, ctl, sig_fd);
	ret = err ? EXIT_FAILURE : EXIT_SUCCESS;

out_teardown:
	apply_teardown(&d);
	control_close(ctl);
out_dp:
	tcp_close(d.tcp, d.keep);
	dataplane_close(&d.dp);
out_rtnl:
	rtnl_close(d.rt);
out_sig:
	close(sig_fd);
out_lock:
	close(lock_fd);
	if (!cfg_given)
		things_config_free(&cfg);
	things_config_free(&d.cfg);
	free(d.apps);
	free(d.ifaces);
	free(d.addrs);
	return ret;
}
