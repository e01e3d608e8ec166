/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_RTNL_H
#define THINGS_RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include "things_abi.h"

/*
 * rtnetlink, over libmnl: the local routes that make the kernel accept
 * traffic for an app prefix, the host's own addresses, link state, and
 * notifications of their changes. Functions return 0 or -errno unless
 * they say otherwise.
 *
 * Requests and notifications use separate sockets, so an event callback
 * may call the request functions; a dump callback (routes, addresses)
 * may not. The dumps return -EAGAIN when a concurrent change interrupted
 * them: cb has then seen part of a possibly inconsistent picture and the
 * caller should dump again.
 */

/* Routes we install carry this protocol number ("things" in `ip route`
 * output is not needed: `proto 248`), so a restarted daemon can tell its
 * own routes from anyone else's. */
#define THINGS_RTPROT 248

struct rtnl;

/* groups: RTMGRP_* bits to subscribe to for notifications, 0 for none.
 * Returns NULL with errno set on failure. */
struct rtnl *rtnl_open(unsigned int groups);
void rtnl_close(struct rtnl *rt);
/* For poll/epoll: readable when notifications are pending. -EBADF if
 * opened with no groups. */
int rtnl_fd(const struct rtnl *rt);

/* `ip -6 route add local PREFIX dev lo table local proto 248`.
 * -EEXIST if any route for exactly that prefix is already in table local. */
int rtnl_local_route_add(struct rtnl *rt, const struct things_prefix_key *pfx);
/* Deletes the local route for PREFIX only if its protocol is ours:
 * -ENOENT if there is none of ours. */
int rtnl_local_route_del(struct rtnl *rt, const struct things_prefix_key *pfx);
/* Calls cb for every route in table local whose protocol is ours. A
 * non-zero return from cb stops the walk and is returned. */
typedef int (*rtnl_route_cb)(const struct things_prefix_key *pfx, void *arg);
int rtnl_local_routes_list(struct rtnl *rt, rtnl_route_cb cb, void *arg);

struct rtnl_addr {
	int ifindex;
	unsigned char addr[16];
	unsigned int prefixlen;
	unsigned int flags;	/* IFA_F_* (tentative, deprecated, ...) */
};
typedef int (*rtnl_addr_cb)(const struct rtnl_addr *a, void *arg);
/* Every IPv6 address on ifindex (0: on every interface). */
int rtnl_addr_dump(struct rtnl *rt, int ifindex, rtnl_addr_cb cb, void *arg);

struct rtnl_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned char mac[6];
	unsigned int flags;	/* IFF_* (IFF_UP, IFF_ALLMULTI, ...) */
	unsigned int mtu;
	unsigned int xdp_prog_id;	/* 0: no XDP program attached */
};
int rtnl_link_get(struct rtnl *rt, int ifindex, struct rtnl_link *out);
int rtnl_link_get_by_name(struct rtnl *rt, const char *name, struct rtnl_link *out);
/* Sets or clears IFF_ALLMULTI on the interface. */
int rtnl_link_set_allmulti(struct rtnl *rt, int ifindex, bool on);

/* Calls cb for every IPv6 route of any table that has a gateway (a
 * single next hop). A non-zero return from cb stops the walk. */
typedef int (*rtnl_gateway_cb)(const struct things_prefix_key *dst, const unsigned char gw[16],
			       void *arg);
int rtnl_gateways_list(struct rtnl *rt, rtnl_gateway_cb cb, void *arg);

enum rtnl_event_type {
	RTNL_EV_ADDR_NEW,
	RTNL_EV_ADDR_DEL,
	RTNL_EV_LINK_NEW,	/* new link, or a change: name, MAC, flags */
	RTNL_EV_LINK_DEL,
};
struct rtnl_event {
	enum rtnl_event_type type;
	union {
		struct rtnl_addr addr;	/* ADDR_* (IPv6 only) */
		struct rtnl_link link;	/* LINK_* */
	};
};
typedef int (*rtnl_event_cb)(const struct rtnl_event *ev, void *arg);
/* Reads what notifications are pending without blocking and calls cb for
 * each. -ENOBUFS means the kernel dropped some: the caller must resync by
 * dumping. A non-zero return from cb stops the reading and is returned;
 * notifications not yet read stay pending. -EBADF if opened with no
 * groups. */
int rtnl_process_events(struct rtnl *rt, rtnl_event_cb cb, void *arg);

#endif
