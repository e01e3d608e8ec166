// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "rtnl.h"

/*
 * Large enough for a whole kernel dump skb (the kernel grows them up to
 * 32 KiB when the reader's buffer allows), so a dump takes few reads and
 * nothing is truncated.
 */
#define RTNL_BUF_SIZE		32768
/* Room for the notifications of a burst of changes (many addresses on a
 * link going down at once) before the kernel has to drop some. */
#define RTNL_EV_RCVBUF		(1 << 20)
/* A dump interrupted by a concurrent change is redone this many times
 * before the lookup gives up with -EAGAIN. */
#define RTNL_DUMP_TRIES		5

struct rtnl {
	/* Requests and their replies only: never subscribed to a group,
	 * so a reply is never interleaved with a notification. */
	struct mnl_socket *req;
	/* Notifications only; NULL when opened with no groups. */
	struct mnl_socket *ev;
	unsigned int portid;
	unsigned int seq;
	/* Separate buffers, so an event callback may issue requests. */
	char req_buf[RTNL_BUF_SIZE];
	char ev_buf[RTNL_BUF_SIZE];
};

/* ---- sockets ---------------------------------------------------------- */

static struct mnl_socket *socket_open(unsigned int groups)
{
	struct mnl_socket *nl;
	int saved;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	return nl;
err:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return NULL;
}

static void request_socket_tune(struct mnl_socket *nl)
{
	int one = 1;

	/* Lets the kernel filter dumps by table and interface, so a host
	 * with a full routing table in main does not send it all to us.
	 * Older kernels lack it; every reply is filtered here as well. */
	mnl_socket_setsockopt(nl, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	/* The kernel answers at once; a reply that never comes must not
	 * leave the caller blocked where no signal reaches it. */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 5 }, sizeof(struct timeval));
}

static void event_socket_tune(struct mnl_socket *nl)
{
	int size = RTNL_EV_RCVBUF;

	/* Best effort: a smaller buffer only means an earlier -ENOBUFS. */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

struct rtnl *rtnl_open(unsigned int groups)
{
	struct rtnl *rt;
	int saved;

	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	rt->req = socket_open(0);
	if (!rt->req)
		goto err;
	request_socket_tune(rt->req);
	rt->portid = mnl_socket_get_portid(rt->req);
	if (groups) {
		rt->ev = socket_open(groups);
		if (!rt->ev)
			goto err;
		event_socket_tune(rt->ev);
	}
	return rt;
err:
	saved = errno;
	rtnl_close(rt);
	errno = saved;
	return NULL;
}

void rtnl_close(struct rtnl *rt)
{
	if (!rt)
		return;
	if (rt->ev)
		mnl_socket_close(rt->ev);
	if (rt->req)
		mnl_socket_close(rt->req);
	free(rt);
}

int rtnl_fd(const struct rtnl *rt)
{
	return rt->ev ? mnl_socket_get_fd(rt->ev) : -EBADF;
}

/* ---- requests ---------------------------------------------------------- */

static unsigned int next_seq(struct rtnl *rt)
{
	/* 0 would turn off libmnl's sequence check. */
	if (++rt->seq == 0)
		rt->seq = 1;
	return rt->seq;
}

/* The kernel may report a failed dump in NLMSG_DONE's payload rather than
 * in an NLMSG_ERROR. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*err) && *err < 0) {
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/* The kernel's ack (error 0) or refusal. Needed here because libmnl
 * uses none of its own control callbacks once given an array. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error < 0) {
		errno = -err->error;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/* Not const only because libmnl's prototype is not. */
static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
};

static ssize_t recv_reply(struct rtnl *rt)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(rt->req, rt->req_buf, sizeof(rt->req_buf));
	while (n < 0 && errno == EINTR);
	return n;
}

/* Left over from an earlier request that ended early (an error in the
 * middle of a dump): its datagrams carry an older sequence number. */
static bool reply_is_stale(const void *buf, ssize_t len, unsigned int seq)
{
	const struct nlmsghdr *nlh = buf;

	return (size_t)len >= sizeof(*nlh) && nlh->nlmsg_seq != seq;
}

/*
 * Sends nlh and feeds every reply to cb until the kernel's ack or the end
 * of the dump. Returns 0 or -errno: the kernel's error, or -EINTR when a
 * change interrupted a dump (libmnl's reading of NLM_F_DUMP_INTR).
 */
static int rtnl_talk(struct rtnl *rt, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned int seq = next_seq(rt);
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(rt->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = recv_reply(rt);
		if (n < 0)
			return -errno;
		if (reply_is_stale(rt->req_buf, n, seq))
			continue;
		errno = 0;
		ret = mnl_cb_run2(rt->req_buf, (size_t)n, seq, rt->portid, cb, data,
				  ctl_cbs, NLMSG_MIN_TYPE);
		if (ret < 0)
			return errno ? -errno : -EPROTO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *request_start(struct rtnl *rt, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(rt->req_buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* ---- attributes -------------------------------------------------------- */

struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_collect(const struct nlattr *attr, void *data)
{
	const struct attr_table *t = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static int attrs_parse(const struct nlmsghdr *nlh, size_t hdrlen,
		       const struct nlattr **tb, unsigned int max)
{
	struct attr_table t = { .tb = tb, .max = max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse(nlh, (unsigned int)hdrlen, attr_collect, &t);
}

/* A fixed-size attribute's payload, or NULL if absent or the wrong size. */
static const void *attr_fixed(const struct nlattr *attr, size_t len)
{
	if (!attr || mnl_attr_get_payload_len(attr) != len)
		return NULL;
	return mnl_attr_get_payload(attr);
}

static bool attr_u32(const struct nlattr *attr, unsigned int *out)
{
	const uint32_t *v = attr_fixed(attr, sizeof(*v));

	if (v)
		*out = *v;
	return v != NULL;
}

/* ---- routes ------------------------------------------------------------ */

struct route_info {
	struct things_prefix_key pfx;
	unsigned int table;
	unsigned int protocol;
	unsigned int type;
	unsigned int metric;
};

typedef int (*route_fn)(const struct route_info *r, void *arg);

struct route_walk {
	route_fn fn;
	void *arg;
	/* First non-zero return of fn; later routes are read but skipped,
	 * so the rest of the dump does not linger in the socket. */
	int stop;
};

static bool route_parse(const struct nlmsghdr *nlh, struct route_info *r)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];
	const void *dst;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) || rtm->rtm_family != AF_INET6 ||
	    rtm->rtm_dst_len > 128)
		return false;
	if (attrs_parse(nlh, sizeof(*rtm), tb, RTA_MAX) < 0)
		return false;
	memset(r, 0, sizeof(*r));
	r->pfx.prefixlen = rtm->rtm_dst_len;
	dst = attr_fixed(tb[RTA_DST], sizeof(r->pfx.addr));
	if (dst)
		memcpy(r->pfx.addr, dst, sizeof(r->pfx.addr));
	else if (rtm->rtm_dst_len)
		return false;
	r->table = rtm->rtm_table;
	attr_u32(tb[RTA_TABLE], &r->table);
	attr_u32(tb[RTA_PRIORITY], &r->metric);
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	return true;
}

static int route_walk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_walk *w = data;
	struct route_info r;

	if (w->stop || nlh->nlmsg_type != RTM_NEWROUTE || !route_parse(nlh, &r))
		return MNL_CB_OK;
	if (r.table == RT_TABLE_LOCAL)
		w->stop = w->fn(&r, w->arg);
	return MNL_CB_OK;
}

/* Calls w->fn for every IPv6 route in table local; w->stop says whether
 * and why it stopped early. */
static int local_table_walk(struct rtnl *rt, struct route_walk *w)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	w->stop = 0;
	nlh = request_start(rt, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_table = RT_TABLE_LOCAL;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_LOCAL);
	return rtnl_talk(rt, nlh, route_walk_cb, w);
}

/* For a dump the caller sees, an interrupted one is reported: the caller
 * already saw part of it. */
static int dump_result(int err, int stop)
{
	if (err)
		return err == -EINTR ? -EAGAIN : err;
	return stop;
}

static bool same_prefix(const struct things_prefix_key *a, const struct things_prefix_key *b)
{
	return a->prefixlen == b->prefixlen && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool route_is_ours(const struct route_info *r)
{
	return r->protocol == THINGS_RTPROT && r->type == RTN_LOCAL;
}

struct route_find {
	const struct things_prefix_key *pfx;
	bool ours_only;
	bool found;
	unsigned int metric;
};

static int route_find_cb(const struct route_info *r, void *arg)
{
	struct route_find *f = arg;

	if (!same_prefix(&r->pfx, f->pfx) || (f->ours_only && !route_is_ours(r)))
		return 0;
	f->found = true;
	f->metric = r->metric;
	return 1;
}

/* Fills f->found and f->metric; returns 0 or -errno. Only records, so an
 * interrupted dump, which may have missed the route, is simply redone. */
static int route_find(struct rtnl *rt, struct route_find *f)
{
	struct route_walk w = { .fn = route_find_cb, .arg = f };
	int err = -EINTR;

	for (int i = 0; i < RTNL_DUMP_TRIES && err == -EINTR; i++) {
		f->found = false;
		err = local_table_walk(rt, &w);
	}
	return err == -EINTR ? -EAGAIN : err;
}

static void put_route_key(struct nlmsghdr *nlh, const struct things_prefix_key *pfx)
{
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_LOCAL);
	/* A default route has no destination attribute. */
	if (pfx->prefixlen)
		mnl_attr_put(nlh, RTA_DST, sizeof(pfx->addr), pfx->addr);
}

static struct rtmsg *put_route_header(struct nlmsghdr *nlh, const struct things_prefix_key *pfx)
{
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = (unsigned char)pfx->prefixlen;
	rtm->rtm_table = RT_TABLE_LOCAL;
	rtm->rtm_protocol = THINGS_RTPROT;
	rtm->rtm_type = RTN_LOCAL;
	return rtm;
}

int rtnl_local_route_add(struct rtnl *rt, const struct things_prefix_key *pfx)
{
	struct route_find f = { .pfx = pfx };
	struct rtnl_link lo;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	if (pfx->prefixlen > 128)
		return -EINVAL;
	err = rtnl_link_get_by_name(rt, "lo", &lo);
	if (err)
		return err;
	/* NLM_F_EXCL alone only refuses a route of the same metric; a
	 * kernel route for one of the host's own addresses (metric 0)
	 * would otherwise be shadowed by ours without a word. */
	err = route_find(rt, &f);
	if (err)
		return err;
	if (f.found)
		return -EEXIST;

	nlh = request_start(rt, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	rtm = put_route_header(nlh, pfx);
	rtm->rtm_scope = RT_SCOPE_HOST;
	put_route_key(nlh, pfx);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)lo.ifindex);
	return rtnl_talk(rt, nlh, NULL, NULL);
}

int rtnl_local_route_del(struct rtnl *rt, const struct things_prefix_key *pfx)
{
	struct route_find f = { .pfx = pfx, .ours_only = true };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	if (pfx->prefixlen > 128)
		return -EINVAL;
	err = route_find(rt, &f);
	if (err)
		return err;
	if (!f.found)
		return -ENOENT;

	/* Protocol and metric both narrow the kernel's match, so another
	 * route for the same prefix (same prefix, other metric) is never
	 * the one removed, even if it changed since the lookup. */
	nlh = request_start(rt, RTM_DELROUTE, NLM_F_ACK);
	rtm = put_route_header(nlh, pfx);
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	put_route_key(nlh, pfx);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, f.metric);
	err = rtnl_talk(rt, nlh, NULL, NULL);
	/* Gone between the lookup and the delete. */
	return err == -ESRCH ? -ENOENT : err;
}

struct route_list {
	rtnl_route_cb cb;
	void *arg;
};

static int route_list_cb(const struct route_info *r, void *arg)
{
	const struct route_list *l = arg;

	return route_is_ours(r) ? l->cb(&r->pfx, l->arg) : 0;
}

int rtnl_local_routes_list(struct rtnl *rt, rtnl_route_cb cb, void *arg)
{
	struct route_list l = { .cb = cb, .arg = arg };
	struct route_walk w = { .fn = route_list_cb, .arg = &l };
	int err = local_table_walk(rt, &w);

	return dump_result(err, w.stop);
}

/* ---- addresses --------------------------------------------------------- */

static bool addr_parse(const struct nlmsghdr *nlh, struct rtnl_addr *a)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1];
	const void *addr;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) || ifa->ifa_family != AF_INET6)
		return false;
	if (attrs_parse(nlh, sizeof(*ifa), tb, IFA_MAX) < 0)
		return false;
	/* On a point-to-point address IFA_ADDRESS is the peer's and
	 * IFA_LOCAL ours; otherwise only IFA_ADDRESS is sent. */
	addr = attr_fixed(tb[IFA_LOCAL], sizeof(a->addr));
	if (!addr)
		addr = attr_fixed(tb[IFA_ADDRESS], sizeof(a->addr));
	if (!addr)
		return false;
	memset(a, 0, sizeof(*a));
	a->ifindex = (int)ifa->ifa_index;
	memcpy(a->addr, addr, sizeof(a->addr));
	a->prefixlen = ifa->ifa_prefixlen;
	/* ifa_flags is 8 bits; newer flags (noprefixroute, ...) only
	 * come in IFA_FLAGS. */
	if (!attr_u32(tb[IFA_FLAGS], &a->flags))
		a->flags = ifa->ifa_flags;
	return true;
}

struct addr_walk {
	int ifindex;
	rtnl_addr_cb cb;
	void *arg;
	int stop;
};

static int addr_walk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_walk *w = data;
	struct rtnl_addr a;

	if (w->stop || nlh->nlmsg_type != RTM_NEWADDR || !addr_parse(nlh, &a))
		return MNL_CB_OK;
	if (!w->ifindex || a.ifindex == w->ifindex)
		w->stop = w->cb(&a, w->arg);
	return MNL_CB_OK;
}

int rtnl_addr_dump(struct rtnl *rt, int ifindex, rtnl_addr_cb cb, void *arg)
{
	struct addr_walk w = { .ifindex = ifindex, .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int err;

	if (ifindex < 0)
		return -EINVAL;
	nlh = request_start(rt, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_index = (unsigned int)ifindex;
	err = rtnl_talk(rt, nlh, addr_walk_cb, &w);
	return dump_result(err, w.stop);
}

/* ---- links ------------------------------------------------------------- */

static int xdp_attr_cb(const struct nlattr *attr, void *data)
{
	struct rtnl_link *l = data;
	unsigned int id = 0;

	/* One program attached in one mode comes as PROG_ID; programs in
	 * several modes each as their mode's id. Any of ours will do. */
	switch (mnl_attr_get_type(attr)) {
	case IFLA_XDP_PROG_ID:
	case IFLA_XDP_DRV_PROG_ID:
	case IFLA_XDP_SKB_PROG_ID:
	case IFLA_XDP_HW_PROG_ID:
		if (attr_u32(attr, &id) && !l->xdp_prog_id)
			l->xdp_prog_id = id;
		break;
	}
	return MNL_CB_OK;
}

static void link_parse_xdp(const struct nlattr *xdp, struct rtnl_link *l)
{
	mnl_attr_parse_nested(xdp, xdp_attr_cb, l);
}

static bool link_parse(const struct nlmsghdr *nlh, struct rtnl_link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1];
	const void *mac;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return false;
	if (attrs_parse(nlh, sizeof(*ifi), tb, IFLA_MAX) < 0)
		return false;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		strncpy(l->name, mnl_attr_get_str(tb[IFLA_IFNAME]), sizeof(l->name) - 1);
	/* Only Ethernet-sized addresses; a link without one (a tun, ...)
	 * keeps an all-zero MAC. */
	mac = attr_fixed(tb[IFLA_ADDRESS], sizeof(l->mac));
	if (mac)
		memcpy(l->mac, mac, sizeof(l->mac));
	attr_u32(tb[IFLA_MTU], &l->mtu);
	if (tb[IFLA_XDP])
		link_parse_xdp(tb[IFLA_XDP], l);
	return true;
}

struct link_get {
	struct rtnl_link *out;
	bool found;
};

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_get *g = data;

	if (nlh->nlmsg_type == RTM_NEWLINK && !g->found)
		g->found = link_parse(nlh, g->out);
	return MNL_CB_OK;
}

static int link_request(struct rtnl *rt, int ifindex, const char *name, struct rtnl_link *out)
{
	struct link_get g = { .out = out };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	/* The ack ends the exchange: a lone reply message would not. */
	nlh = request_start(rt, RTM_GETLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Statistics are most of a link message and of no use here. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = rtnl_talk(rt, nlh, link_get_cb, &g);
	if (err)
		return err;
	return g.found ? 0 : -ENODEV;
}

int rtnl_link_get(struct rtnl *rt, int ifindex, struct rtnl_link *out)
{
	if (ifindex <= 0)
		return -EINVAL;
	return link_request(rt, ifindex, NULL, out);
}

int rtnl_link_get_by_name(struct rtnl *rt, const char *name, struct rtnl_link *out)
{
	if (!name || !*name || strlen(name) >= IF_NAMESIZE)
		return -EINVAL;
	return link_request(rt, 0, name, out);
}

int rtnl_link_set_allmulti(struct rtnl *rt, int ifindex, bool on)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex <= 0)
		return -EINVAL;
	nlh = request_start(rt, RTM_NEWLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_ALLMULTI;
	ifi->ifi_flags = on ? IFF_ALLMULTI : 0;
	return rtnl_talk(rt, nlh, NULL, NULL);
}

/* ---- notifications ----------------------------------------------------- */

struct event_walk {
	rtnl_event_cb cb;
	void *arg;
	int stop;
};

static bool event_parse(const struct nlmsghdr *nlh, struct rtnl_event *ev)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	memset(ev, 0, sizeof(*ev));
	switch (nlh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
		ev->type = nlh->nlmsg_type == RTM_NEWADDR ? RTNL_EV_ADDR_NEW : RTNL_EV_ADDR_DEL;
		return addr_parse(nlh, &ev->addr);
	case RTM_NEWLINK:
	case RTM_DELLINK:
		/* A bridge also reports its ports with AF_BRIDGE messages
		 * on this group, and an RTM_DELLINK of those only means
		 * the port left the bridge: the link itself lives on. */
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi) || ifi->ifi_family != AF_UNSPEC)
			return false;
		ev->type = nlh->nlmsg_type == RTM_NEWLINK ? RTNL_EV_LINK_NEW : RTNL_EV_LINK_DEL;
		return link_parse(nlh, &ev->link);
	default:
		return false;
	}
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct event_walk *w = data;
	struct rtnl_event ev;

	if (!event_parse(nlh, &ev))
		return MNL_CB_OK;
	w->stop = w->cb(&ev, w->arg);
	return w->stop ? MNL_CB_STOP : MNL_CB_OK;
}

/* One datagram of notifications, or -errno (-EAGAIN: none pending). */
static ssize_t recv_event(struct rtnl *rt)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = rt->ev_buf, .iov_len = sizeof(rt->ev_buf) };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	do
		n = recvmsg(mnl_socket_get_fd(rt->ev), &msg, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* A notification cut short is one lost: the caller resyncs. */
	if (msg.msg_flags & MSG_TRUNC)
		return -ENOBUFS;
	/* Only the kernel speaks for the rtnetlink groups; anything else
	 * is skipped as if it had not arrived. */
	if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0)
		return 0;
	return n;
}

int rtnl_process_events(struct rtnl *rt, rtnl_event_cb cb, void *arg)
{
	struct event_walk w = { .cb = cb, .arg = arg };
	ssize_t n;

	if (!rt->ev)
		return -EBADF;
	while (!w.stop) {
		n = recv_event(rt);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return 0;
		if (n < 0)
			return (int)n;
		if (n == 0)
			continue;
		errno = 0;
		if (mnl_cb_run(rt->ev_buf, (size_t)n, 0, 0, event_cb, &w) < 0)
			return errno ? -errno : -EPROTO;
	}
	return w.stop;
}

/* ---- gateways ---------------------------------------------------------- */

struct gw_walk {
	rtnl_gateway_cb cb;
	void *arg;
	int stop;
};

static int gw_walk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gw_walk *w = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];
	struct things_prefix_key dst = { 0 };
	const void *gw, *d;

	if (w->stop || nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) || rtm->rtm_family != AF_INET6 ||
	    rtm->rtm_dst_len > 128 || attrs_parse(nlh, sizeof(*rtm), tb, RTA_MAX) < 0)
		return MNL_CB_OK;
	gw = attr_fixed(tb[RTA_GATEWAY], 16);
	if (!gw)
		return MNL_CB_OK;
	dst.prefixlen = rtm->rtm_dst_len;
	d = attr_fixed(tb[RTA_DST], sizeof(dst.addr));
	if (d)
		memcpy(dst.addr, d, sizeof(dst.addr));
	w->stop = w->cb(&dst, gw, w->arg);
	return MNL_CB_OK;
}

int rtnl_gateways_list(struct rtnl *rt, rtnl_gateway_cb cb, void *arg)
{
	struct gw_walk w = { .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	nlh = request_start(rt, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	err = rtnl_talk(rt, nlh, gw_walk_cb, &w);
	return dump_result(err, w.stop);
}
