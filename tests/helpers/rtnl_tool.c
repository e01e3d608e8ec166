// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * rtnl-tool: runs each function of the rtnetlink library from the command
 * line, so the tests can check it against iproute2. Output is one record
 * per line, "key=value" separated by spaces, for easy parsing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/rtnetlink.h>

#include "prefix.h"
#include "rtnl.h"

#define EXIT_USAGE	2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rtnl-tool COMMAND [ARGS]\n"
		"\n"
		"  route-add PREFIX           add our local route for PREFIX\n"
		"  route-del PREFIX           delete our local route for PREFIX\n"
		"  routes                     list our local routes\n"
		"  addrs [IFNAME]             list IPv6 addresses\n"
		"  link IFNAME                show a link\n"
		"  allmulti IFNAME on|off     set or clear allmulticast\n"
		"  monitor SECONDS            print link and IPv6 address events\n"
		"\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "rtnl-tool: %s: %s\n", what, strerror(-err));
	return EXIT_FAILURE;
}

static int parse_prefix(const char *text, struct things_prefix_key *pfx)
{
	const char *why;

	if (things_prefix_parse(text, pfx, 0, &why)) {
		fprintf(stderr, "rtnl-tool: %s: %s\n", text, why);
		return -1;
	}
	return 0;
}

static void print_mac(const unsigned char mac[6])
{
	printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static void print_link(const char *tag, const struct rtnl_link *l)
{
	printf("%sname=%s ifindex=%d mac=", tag, l->name, l->ifindex);
	print_mac(l->mac);
	printf(" mtu=%u flags=0x%x up=%s allmulti=%s\n", l->mtu, l->flags,
	       l->flags & IFF_UP ? "on" : "off", l->flags & IFF_ALLMULTI ? "on" : "off");
}

static void print_addr(const char *tag, const struct rtnl_addr *a)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a->addr, text, sizeof(text));
	printf("%sifindex=%d addr=%s/%u flags=0x%x\n", tag, a->ifindex, text, a->prefixlen,
	       a->flags);
}

static int print_route(const struct things_prefix_key *pfx, void *arg)
{
	char text[THINGS_PREFIX_STRLEN];

	(void)arg;
	printf("%s\n", things_prefix_format(pfx, text, sizeof(text)));
	return 0;
}

static int print_addr_cb(const struct rtnl_addr *a, void *arg)
{
	(void)arg;
	print_addr("", a);
	return 0;
}

static int print_event(const struct rtnl_event *ev, void *arg)
{
	(void)arg;
	switch (ev->type) {
	case RTNL_EV_ADDR_NEW:
		print_addr("addr-new ", &ev->addr);
		break;
	case RTNL_EV_ADDR_DEL:
		print_addr("addr-del ", &ev->addr);
		break;
	case RTNL_EV_LINK_NEW:
		print_link("link-new ", &ev->link);
		break;
	case RTNL_EV_LINK_DEL:
		print_link("link-del ", &ev->link);
		break;
	}
	return 0;
}

static int cmd_route(struct rtnl *rt, int argc, char **argv, bool add)
{
	struct things_prefix_key pfx;
	int err;

	if (argc != 1)
		return EXIT_USAGE;
	if (parse_prefix(argv[0], &pfx))
		return EXIT_USAGE;
	err = add ? rtnl_local_route_add(rt, &pfx) : rtnl_local_route_del(rt, &pfx);
	return err ? fail(argv[0], err) : EXIT_SUCCESS;
}

static int cmd_routes(struct rtnl *rt, int argc, char **argv)
{
	int err;

	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	err = rtnl_local_routes_list(rt, print_route, NULL);
	return err ? fail("listing routes", err) : EXIT_SUCCESS;
}

static int cmd_addrs(struct rtnl *rt, int argc, char **argv)
{
	struct rtnl_link l = { 0 };
	int err;

	if (argc > 1)
		return EXIT_USAGE;
	if (argc == 1) {
		err = rtnl_link_get_by_name(rt, argv[0], &l);
		if (err)
			return fail(argv[0], err);
	}
	err = rtnl_addr_dump(rt, l.ifindex, print_addr_cb, NULL);
	return err ? fail("listing addresses", err) : EXIT_SUCCESS;
}

static int cmd_link(struct rtnl *rt, int argc, char **argv)
{
	struct rtnl_link l;
	int err;

	if (argc != 1)
		return EXIT_USAGE;
	err = rtnl_link_get_by_name(rt, argv[0], &l);
	if (err)
		return fail(argv[0], err);
	print_link("", &l);
	return EXIT_SUCCESS;
}

static int cmd_allmulti(struct rtnl *rt, int argc, char **argv)
{
	struct rtnl_link l;
	bool on;
	int err;

	if (argc != 2)
		return EXIT_USAGE;
	if (!strcmp(argv[1], "on"))
		on = true;
	else if (!strcmp(argv[1], "off"))
		on = false;
	else
		return EXIT_USAGE;
	err = rtnl_link_get_by_name(rt, argv[0], &l);
	if (!err)
		err = rtnl_link_set_allmulti(rt, l.ifindex, on);
	return err ? fail(argv[0], err) : EXIT_SUCCESS;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits for events until the deadline; one line per event. */
static int monitor_loop(struct rtnl *rt, long long deadline)
{
	struct pollfd pfd = { .fd = rtnl_fd(rt), .events = POLLIN };
	long long left;
	int err;

	while ((left = deadline - now_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		err = rtnl_process_events(rt, print_event, NULL);
		/* A monitor only reports the loss; the daemon would resync. */
		if (err == -ENOBUFS)
			printf("lost-events\n");
		else if (err)
			return err;
	}
	return 0;
}

static int cmd_monitor(int argc, char **argv)
{
	struct rtnl *rt;
	char *end;
	long secs;
	int err;

	if (argc != 1)
		return EXIT_USAGE;
	errno = 0;
	secs = strtol(argv[0], &end, 10);
	if (errno || end == argv[0] || *end || secs < 0 || secs > 86400)
		return EXIT_USAGE;
	rt = rtnl_open(RTMGRP_LINK | RTMGRP_IPV6_IFADDR);
	if (!rt)
		return fail("opening rtnetlink", -errno);
	/* Tells a reader that changes made from now on will be seen. */
	printf("monitoring\n");
	err = monitor_loop(rt, now_ms() + secs * 1000);
	rtnl_close(rt);
	return err ? fail("monitor", err) : EXIT_SUCCESS;
}

static int run(const char *cmd, int argc, char **argv)
{
	struct rtnl *rt;
	int ret;

	if (!strcmp(cmd, "monitor"))
		return cmd_monitor(argc, argv);
	rt = rtnl_open(0);
	if (!rt)
		return fail("opening rtnetlink", -errno);
	if (!strcmp(cmd, "route-add"))
		ret = cmd_route(rt, argc, argv, true);
	else if (!strcmp(cmd, "route-del"))
		ret = cmd_route(rt, argc, argv, false);
	else if (!strcmp(cmd, "routes"))
		ret = cmd_routes(rt, argc, argv);
	else if (!strcmp(cmd, "addrs"))
		ret = cmd_addrs(rt, argc, argv);
	else if (!strcmp(cmd, "link"))
		ret = cmd_link(rt, argc, argv);
	else if (!strcmp(cmd, "allmulti"))
		ret = cmd_allmulti(rt, argc, argv);
	else
		ret = EXIT_USAGE;
	rtnl_close(rt);
	return ret;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	/* Line by line, so a test reading the monitor through a pipe sees
	 * each event as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = run(argv[1], argc - 2, argv + 2);
	if (ret == EXIT_USAGE)
		usage(stderr);
	if (fflush(stdout) && ret == EXIT_SUCCESS) {
		fprintf(stderr, "rtnl-tool: writing stdout: %s\n", strerror(errno));
		ret = EXIT_FAILURE;
	}
	return ret;
}
