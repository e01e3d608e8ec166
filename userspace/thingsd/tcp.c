// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TCP apps: the steering program things_sk_lookup, attached to the network
 * namespace with a pinned BPF link so that steering goes on while thingsd
 * restarts; its pinned maps (rules, the SOCKMAP of listening sockets,
 * counters); and each tcp app's slot: a registered server's socket, a
 * server or relay worker thingsd runs (tcp_server.c, tcp_relay.c), or a
 * listener of thingsd's own for socketbox and inetd (tcp_box.c,
 * tcp_inetd.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "names.h"
#include "prefix.h"
#include "report.h"
#include "sk_lookup.skel.h"
#include "tcp.h"
#include "thingsd.h"

long long tcp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tcp_listen_socket(int flags)
{
	/* Bound to loopback on a port of the kernel's choosing, so nothing
	 * but the steering program sends it connections from outside. */
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | flags, 0), err;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int tcp_sock_set(struct tcp *t, __u32 id, int fd)
{
	/* The SOCKMAP's values are 8 bytes: the fd goes in as a __u64. */
	__u64 val = (__u64)fd;

	return bpf_map_update_elem(t->socks_fd, &id, &val, BPF_ANY);
}

/* ---- the program, its maps and its link ---- */

static void pin_path(const struct tcp *t, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", t->pin_dir, name);
}

static bool link_fits(struct bpf_link *link, ino_t netns)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	return !bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len) &&
	       info.type == BPF_LINK_TYPE_NETNS && info.netns.netns_ino == netns &&
	       info.netns.attach_type == BPF_SK_LOOKUP;
}

/*
 * The pinned link of an earlier thingsd keeps steering while we start: it
 * is given the program loaded now, atomically. A link pinned for another
 * network namespace (the pin dir moved with a config) is replaced.
 */
static int attach_link(struct tcp *t)
{
	struct bpf_program *prog = t->skel->progs.things_sk_lookup;
	char path[PATH_MAX + 64];
	struct stat ns;
	int nsfd, err;

	pin_path(t, THINGS_PIN_SK_LOOKUP_LINK, path, sizeof(path));
	if (stat("/proc/self/ns/net", &ns)) {
		err = -errno;
		pr_err("cannot find our network namespace: %s\n", strerror(errno));
		return err;
	}
	t->link = bpf_link__open(path);
	if (t->link) {
		if (link_fits(t->link, ns.st_ino) && !bpf_link__update_program(t->link, prog))
			return 0;
		pr_warn("%s is not a steering link of this network namespace: replacing it\n",
			path);
		bpf_link__unpin(t->link);
		bpf_link__destroy(t->link);
		t->link = NULL;
	}
	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		err = -errno;
		pr_err("cannot open our network namespace: %s\n", strerror(errno));
		return err;
	}
	t->link = bpf_program__attach_netns(prog, nsfd);
	close(nsfd);
	if (!t->link) {
		err = -errno;
		pr_err("cannot attach things_sk_lookup to the network namespace: %s\n",
		       strerror(errno));
		return err;
	}
	err = bpf_link__pin(t->link, path);
	if (err) {
		pr_err("cannot pin the steering link at %s: %s\n", path, strerror(-err));
		return err;
	}
	pr_info("things_sk_lookup attached to the network namespace\n");
	return 0;
}

struct tcp *tcp_open(const char *pin_dir, const char *run_dir)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct tcp *t = calloc(1, sizeof(*t));
	char path[PATH_MAX + 64];
	int err;

	if (!t) {
		pr_err("cannot allocate the tcp state: %s\n", strerror(errno));
		return NULL;
	}
	t->rules_fd = t->socks_fd = t->stats_fd = t->ep = t->send_fd = -1;
	t->kids_next = -1;
	for (int i = 0; i < THINGS_MAX_APPS; i++)
		t->slot[i].pidfd = t->slot[i].box_fd = -1;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s", pin_dir);
	snprintf(t->run_dir, sizeof(t->run_dir), "%s", run_dir);

	t->skel = sk_lookup_bpf__open();
	if (!t->skel) {
		pr_err("cannot open the steering program: %s\n", strerror(errno));
		goto err;
	}
	err = dataplane_pin_maps(t->skel->obj, pin_dir);
	if (!err)
		err = sk_lookup_bpf__load(t->skel);
	if (err) {
		pr_err("cannot load things_sk_lookup with the maps pinned in %s: %s\n", pin_dir,
		       strerror(-err));
		goto err;
	}
	t->rules_fd = bpf_map__fd(t->skel->maps.tcp_rules);
	t->socks_fd = bpf_map__fd(t->skel->maps.tcp_socks);
	t->stats_fd = bpf_map__fd(t->skel->maps.tcp_stats);
	pin_path(t, THINGS_PIN_PROG_SK_LOOKUP, path, sizeof(path));
	unlink(path);
	if (bpf_program__pin(t->skel->progs.things_sk_lookup, path))
		pr_warn("cannot pin the steering program at %s: %s\n", path, strerror(errno));
	if (attach_link(t))
		goto err;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->send_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->ep < 0 || t->send_fd < 0) {
		pr_err("cannot make the tcp sockets: %s\n", strerror(errno));
		goto err;
	}
	(void)ev;
	return t;
err:
	tcp_close(t, true);
	return NULL;
}

void tcp_close(struct tcp *t, bool keep)
{
	if (!t)
		return;
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		struct tcp_slot *s = &t->slot[id];

		if (s->state == SLOT_BOX)
			tcp_box_close(t, id);
		/* --keep: servers keep serving; the next thingsd adopts them. */
		if (!keep && (s->state == SLOT_SERVER || s->state == SLOT_SERVER_WAIT))
			tcp_server_stop(t, id);
		if (s->pidfd >= 0)
			close(s->pidfd);
	}
	if (!keep)
		tcp_server_reap_all(t, 3000);
	tcp_inetd_close(t);
	for (int i = 0; i < t->n_stopping; i++)
		close(t->stopping[i].pidfd);
	if (t->link) {
		if (!keep) {
			bpf_link__unpin(t->link);
			pr_info("things_sk_lookup detached\n");
		}
		bpf_link__destroy(t->link);
	}
	sk_lookup_bpf__destroy(t->skel);
	if (t->ep >= 0)
		close(t->ep);
	if (t->send_fd >= 0)
		close(t->send_fd);
	free(t);
}

void tcp_counters_zero(struct tcp *t, __u32 id)
{
	__u64 zero = 0;

	for (__u32 c = 0; c < THINGS_TCP_SLOTS; c++) {
		__u32 idx = THINGS_TCP_STATS_IDX(id, c);

		bpf_map_update_elem(t->stats_fd, &idx, &zero, BPF_ANY);
	}
	/* A socket registered for the id's earlier app is not this one's. */
	bpf_map_delete_elem(t->socks_fd, &id);
	memset(t->slot[id].ctr, 0, sizeof(t->slot[id].ctr));
}

/* ---- the rules ---- */

struct entry {
	struct things_tcp_key key;
	struct things_tcp_match match;
};

struct entries {
	struct entry *e;
	int n, cap;
};

static int collect(const struct things_tcp_key *key, const struct things_tcp_match *m, void *arg)
{
	struct entries *l = arg;

	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 256;
		struct entry *more = realloc(l->e, (size_t)cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		l->e = more;
		l->cap = cap;
	}
	l->e[l->n].key = *key;
	l->e[l->n++].match = *m;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct things_tcp_key));
}

static int tcp_rules_of(struct thingsd *d, struct things_tcp_rule *rules)
{
	int n = 0;

	for (int i = 0; i < d->n_apps; i++)
		if (d->apps[i].cfg.kind == THINGS_KIND_TCP)
			rules[n++] = things_cfg_app_tcp_rule(&d->apps[i].cfg, d->apps[i].id);
	return n;
}

int tcp_rules_check(struct thingsd *d, const struct things_cfg_app *extra, const char **why)
{
	struct things_tcp_rule rules[THINGS_MAX_APPS + 1];
	int n = tcp_rules_of(d, rules), bad;

	if (extra)
		rules[n++] = things_cfg_app_tcp_rule(extra, THINGS_MAX_APPS);
	return things_tcp_build(rules, n, NULL, NULL, &bad, why) < 0 ? -EINVAL : 0;
}

static const char *rule_app_name(struct thingsd *d, __u32 id)
{
	for (int i = 0; i < d->n_apps; i++)
		if (d->apps[i].id == id)
			return d->apps[i].cfg.name;
	return "?";
}

/* The trie holds exactly the entries the rules make: new and changed ones
 * are written over in place, then the stale ones go. */
static int rules_sync(struct thingsd *d)
{
	struct tcp *t = d->tcp;
	struct things_tcp_rule rules[THINGS_MAX_APPS];
	struct entries want = { 0 };
	struct things_tcp_key key, next, *prev = NULL, *stale = NULL;
	int n_stale = 0, cap = 0, bad, err = 0;
	const char *why;

	err = things_tcp_build(rules, tcp_rules_of(d, rules), collect, &want, &bad, &why);
	if (err == -EINVAL)
		pr_err("tcp app '%s': %s\n", rule_app_name(d, rules[bad].app_id), why);
	if (err < 0)
		goto out;
	err = 0;
	/* Sorted: entries are in key order already within a rule, and
	 * bsearch needs the whole list so. */
	if (want.n)
		qsort(want.e, (size_t)want.n, sizeof(want.e[0]), key_cmp);
	while (!bpf_map_get_next_key(t->rules_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (want.n && bsearch(&key, want.e, (size_t)want.n, sizeof(want.e[0]), key_cmp))
			continue;
		if (n_stale == cap) {
			struct things_tcp_key *more;

			cap = cap ? 2 * cap : 256;
			more = realloc(stale, (size_t)cap * sizeof(*more));
			if (!more) {
				err = -ENOMEM;
				goto out;
			}
			stale = more;
		}
		stale[n_stale++] = key;
	}
	for (int i = 0; i < want.n && !err; i++)
		if (bpf_map_update_elem(t->rules_fd, &want.e[i].key, &want.e[i].match, BPF_ANY))
			err = -errno;
	for (int i = 0; i < n_stale && !err; i++)
		if (bpf_map_delete_elem(t->rules_fd, &stale[i]) && errno != ENOENT)
			err = -errno;
	if (err)
		pr_err("cannot write the tcp steering rules: %s\n", strerror(-err));
	else if (n_stale || want.n)
		pr_debug("tcp steering: %d entries, %d removed\n", want.n, n_stale);
out:
	free(want.e);
	free(stale);
	return err;
}

/* ---- slots ---- */

static bool slot_is(const struct tcp_slot *s, const struct things_cfg_app *app)
{
	return !strcmp(s->name, app->name) && s->target == app->target &&
	       !strcmp(s->arg, app->arg) && !strcmp(s->exec, app->exec) &&
	       !strcmp(s->user, app->user) && !strcmp(s->group, app->group) &&
	       !memcmp(&s->backend, &app->backend, sizeof(s->backend)) && s->proxy == app->proxy &&
	       s->max_children == app->max_children && s->timeout == app->timeout &&
	       s->max_connections == app->max_connections &&
	       s->connect_timeout == app->connect_timeout && s->idle_timeout == app->idle_timeout;
}

/* Stops what runs for the slot; forget: its socket is no longer steered
 * to (a registered server's too). */
static void slot_release(struct tcp *t, __u32 id, bool forget)
{
	struct tcp_slot *s = &t->slot[id];

	if (s->state == SLOT_BOX)
		tcp_box_close(t, id);
	if (s->state == SLOT_SERVER || s->state == SLOT_SERVER_WAIT)
		tcp_server_stop(t, id);
	if (forget)
		bpf_map_delete_elem(t->socks_fd, &id);
	s->state = SLOT_NONE;
	s->name[0] = '\0';
}

static void slot_setup(struct tcp *t, __u32 id, const struct things_cfg_app *app)
{
	struct tcp_slot *s = &t->slot[id];
	bool fresh = !s->name[0];

	if (!fresh && slot_is(s, app))
		return;
	/* A registered server's socket outlives thingsd: a fresh slot (our
	 * start) keeps it; a changed app does not. */
	slot_release(t, id, !fresh);
	snprintf(s->name, sizeof(s->name), "%s", app->name);
	s->target = app->target;
	strcpy(s->arg, app->arg);
	strcpy(s->exec, app->exec);
	strcpy(s->user, app->user);
	strcpy(s->group, app->group);
	s->backend = app->backend;
	s->proxy = app->proxy;
	s->max_children = app->max_children;
	s->timeout = app->timeout;
	s->max_connections = app->max_connections;
	s->connect_timeout = app->connect_timeout;
	s->idle_timeout = app->idle_timeout;
	s->gen++;
	if (app->target == THINGS_TCP_INETD)
		tcp_inetd_setup(s);
	if (app->target == THINGS_TCP_SOCKETBOX || app->target == THINGS_TCP_INETD) {
		tcp_box_open(t, id);
	} else if (app->exec[0] || app->target == THINGS_TCP_RELAY) {
		s->backoff_ms = 0;
		if (!(fresh && tcp_server_adopt(t, id)))
			tcp_server_start(t, id, app);
	}
}

int apply_tcp(struct thingsd *d)
{
	struct tcp *t = d->tcp;
	bool want[THINGS_MAX_APPS] = { false };
	int err;

	/* Sockets first, then the rules that lead to them; rules go before
	 * their sockets do. */
	for (int i = 0; i < d->n_apps; i++) {
		struct app_state *a = &d->apps[i];

		if (a->cfg.kind != THINGS_KIND_TCP || !a->id)
			continue;
		want[a->id] = true;
		slot_setup(t, a->id, &a->cfg);
	}
	err = rules_sync(d);
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++)
		if (!want[id]) {
			if (t->slot[id].name[0])
				pr_info("tcp app '%s' (id %u): gone\n", t->slot[id].name, id);
			slot_release(t, id, true);
		}
	return err;
}

int tcp_register(struct thingsd *d, const char *name, int fd, bool *replaced, const char **why)
{
	struct app_state *a = thingsd_app(d, name);
	int domain, type, proto, listening;
	socklen_t len = sizeof(int);
	__u64 cookie;

	*replaced = false;
	if (!a || a->cfg.kind != THINGS_KIND_TCP) {
		*why = "no tcp app of that name";
		return -ENOENT;
	}
	if (a->cfg.target != THINGS_TCP_LISTEN || a->cfg.exec[0]) {
		*why = a->cfg.exec[0] ? "thingsd runs this app's server itself (exec)"
				      : "the app's target is not listen";
		return -EINVAL;
	}
	if (fd < 0) {
		*why = "no descriptor came with the request (SCM_RIGHTS)";
		return -EBADF;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) {
		*why = "the descriptor is not a socket";
		return -ENOTSOCK;
	}
	if (domain != AF_INET6 || type != SOCK_STREAM || proto != IPPROTO_TCP || !listening) {
		*why = "the descriptor is not a listening IPv6 TCP socket";
		return -EINVAL;
	}
	*replaced = !bpf_map_lookup_elem(d->tcp->socks_fd, &a->id, &cookie);
	if (tcp_sock_set(d->tcp, a->id, fd)) {
		*why = strerror(errno);
		return -errno;
	}
	return 0;
}

/* ---- the event loop ---- */

int tcp_fd(const struct tcp *t)
{
	return t->ep;
}

int tcp_timeout(const struct tcp *t)
{
	long long first = -1, now = tcp_now_ms();

	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		const struct tcp_slot *s = &t->slot[id];
		long long at = s->state == SLOT_SERVER_WAIT ? s->restart_at :
			       s->state == SLOT_BOX && s->paused ? s->resume_at : -1;

		if (at >= 0 && (first < 0 || at < first))
			first = at;
	}
	for (int i = 0; i < t->n_stopping; i++)
		if (first < 0 || t->stopping[i].kill_at < first)
			first = t->stopping[i].kill_at;
	if (t->kids_next >= 0 && (first < 0 || t->kids_next < first))
		first = t->kids_next;
	if (first < 0)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

void tcp_serve(struct thingsd *d)
{
	struct tcp *t = d->tcp;
	struct epoll_event got[32];
	int n = epoll_wait(t->ep, got, 32, 0);

	for (int i = 0; i < n; i++) {
		__u64 tag = got[i].data.u64 & ~0xffffffffULL;
		__u32 v = (__u32)got[i].data.u64;

		if (tag == TCP_TAG_BOX && v < THINGS_MAX_APPS)
			tcp_box_accept(t, v);
		else if (tag == TCP_TAG_PIDFD)
			tcp_server_exited(t, (int)v);
		else if (tag == TCP_TAG_CHILD)
			tcp_inetd_exited(t, v);
	}
	tcp_server_timers(t, d, tcp_now_ms());
	tcp_box_timers(t, tcp_now_ms());
	tcp_inetd_timers(t, tcp_now_ms());
}

/* ---- tcp-list ---- */

static void tcp_report_target(json_object *j, const struct things_cfg_app *c)
{
	static const char *const kinds[] = { "listen", "socketbox", "inetd", "relay" };
	static const char *const proxy[] = { "none", "v1", "v2" };

	json_object_object_add(j, "target", json_object_new_string(kinds[c->target]));
	switch (c->target) {
	case THINGS_TCP_SOCKETBOX:
		json_object_object_add(j, "path", json_object_new_string(c->arg));
		break;
	case THINGS_TCP_INETD:
		json_object_object_add(j, "command", json_object_new_string(c->arg));
		json_object_object_add(j, "max_children", json_object_new_int64(c->max_children));
		json_object_object_add(j, "timeout", json_object_new_int64(c->timeout));
		break;
	case THINGS_TCP_RELAY:
		json_object_object_add(j, "backend", json_object_new_string(c->arg));
		json_object_object_add(j, "proxy_protocol", json_object_new_string(proxy[c->proxy]));
		json_object_object_add(j, "max_connections",
				       json_object_new_int64(c->max_connections));
		json_object_object_add(j, "connect_timeout",
				       json_object_new_int64(c->connect_timeout));
		json_object_object_add(j, "idle_timeout", json_object_new_int64(c->idle_timeout));
		break;
	}
}

json_object *tcp_report(struct thingsd *d)
{
	int targets[THINGS_MAX_APPS];
	json_object *list;

	for (int i = 0; i < THINGS_MAX_APPS; i++)
		targets[i] = -1;
	for (int i = 0; i < d->n_apps; i++)
		if (d->apps[i].cfg.kind == THINGS_KIND_TCP)
			targets[d->apps[i].id] = d->apps[i].cfg.target;
	list = things_report_tcp(d->dp.apps_fd, d->tcp->stats_fd, d->tcp->socks_fd, targets);
	if (!list)
		return NULL;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *j = json_object_array_get_idx(list, i), *v;
		struct app_state *a;
		struct tcp_slot *s;
		char ports[16 * 12], pfx[THINGS_PREFIX_STRLEN];

		if (!json_object_object_get_ex(j, "name", &v))
			continue;
		a = thingsd_app(d, json_object_get_string(v));
		if (!a || a->cfg.kind != THINGS_KIND_TCP)
			continue;
		s = &d->tcp->slot[a->id];
		things_tcp_ports_format(a->cfg.ports, a->cfg.n_ports, ports, sizeof(ports));
		json_object_object_add(j, "ports", json_object_new_string(ports));
		tcp_report_target(j, &a->cfg);
		json_object_object_add(j, "from", a->cfg.from.prefixlen ?
			json_object_new_string(things_prefix_format(&a->cfg.from, pfx, sizeof(pfx))) :
			NULL);
		if (a->cfg.exec[0])
			json_object_object_add(j, "exec", json_object_new_string(a->cfg.exec));
		if (a->cfg.exec[0] || a->cfg.target == THINGS_TCP_RELAY)
			json_object_object_add(j, "server_pid", s->state == SLOT_SERVER ?
					       json_object_new_int(s->pid) : NULL);
		json_object_object_add(j, "origin",
				       json_object_new_string(a->runtime ? "runtime" : "config"));
	}
	return list;
}
