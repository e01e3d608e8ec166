// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * things_sk_lookup under BPF_PROG_TEST_RUN, with the rules thingsd builds
 * (tcprules.c): which listening socket each (local address, port, client)
 * reaches, judged by the socket cookie the kernel reports as selected.
 * It loads its own copy of the program and maps, pinned nowhere.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sk_lookup.skel.h"
#include "prefix.h"
#include "tcprules.h"
#include "test.h"

enum { WIDE = 1, NARROW, FROM, GONE, N_RULES };

struct rig {
	struct sk_lookup_bpf *skel;
	int sock[N_RULES];
	__u64 cookie[N_RULES];
};

static const struct {
	const char *prefix, *from, *ports;
} rules_text[N_RULES] = {
	[WIDE] = { "2001:db8:1::/48", NULL, "80, 8000-8100" },
	[NARROW] = { "2001:db8:1:a::/64", NULL, "80" },
	/* the same prefix and port, for one client: tried first */
	[FROM] = { "2001:db8:1:a::/64", "2001:db8:ff::/64", "80" },
	/* a rule whose socket is gone */
	[GONE] = { "2001:db8:1:dead::/64", NULL, "80" },
};

static int emit(const struct things_tcp_key *key, const struct things_tcp_match *m, void *arg)
{
	struct rig *r = arg;

	return bpf_map_update_elem(bpf_map__fd(r->skel->maps.tcp_rules), key, m, BPF_ANY) ? -errno : 0;
}

static int listener(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool rig_up(struct rig *r)
{
	struct things_port_range ports[N_RULES][THINGS_TCP_MAX_RANGES];
	struct things_tcp_rule rules[N_RULES - 1];
	const char *why;
	int bad;

	r->skel = sk_lookup_bpf__open_and_load();
	if (!ASSERT_TRUE(r->skel != NULL, "load things_sk_lookup"))
		return false;
	for (int i = WIDE; i < N_RULES; i++) {
		struct things_tcp_rule *rule = &rules[i - 1];
		socklen_t len = sizeof(r->cookie[i]);
		__u64 fd;

		*rule = (struct things_tcp_rule){ .app_id = (__u32)i, .ports = ports[i] };
		if (!ASSERT_OK(things_prefix_parse(rules_text[i].prefix, &rule->prefix, 0, &why),
			       "prefix") ||
		    (rules_text[i].from &&
		     !ASSERT_OK(things_prefix_parse(rules_text[i].from, &rule->from, 0, &why), "from")) ||
		    !ASSERT_OK(things_tcp_ports_parse(rules_text[i].ports, ports[i], &rule->n_ports, &why),
			       "ports"))
			return false;
		r->sock[i] = listener();
		if (!ASSERT_TRUE(r->sock[i] >= 0, "a listening socket") ||
		    !ASSERT_OK(getsockopt(r->sock[i], SOL_SOCKET, SO_COOKIE, &r->cookie[i], &len),
			       "SO_COOKIE"))
			return false;
		fd = (__u64)r->sock[i];
		if (!ASSERT_OK(bpf_map_update_elem(bpf_map__fd(r->skel->maps.tcp_socks), &rule->app_id,
						   &fd, BPF_ANY), "into the SOCKMAP"))
			return false;
	}
	/* Its server is gone: closing the socket empties its slot. */
	close(r->sock[GONE]);
	r->sock[GONE] = -1;
	return ASSERT_TRUE(things_tcp_build(rules, N_RULES - 1, emit, r, &bad, &why) > 0,
			   "build the rules");
}

static void rig_down(struct rig *r)
{
	for (int i = WIDE; i < N_RULES; i++)
		if (r->sock[i] > 0)
			close(r->sock[i]);
	sk_lookup_bpf__destroy(r->skel);
}

/* The cookie of the socket selected for the connection, 0 for none. */
static bool lookup(struct rig *r, const char *local, unsigned int port, const char *remote,
		   __u64 *cookie)
{
	struct bpf_sk_lookup ctx = {
		.family = AF_INET6,
		.protocol = IPPROTO_TCP,
		.local_port = port,
		.remote_port = htons(40000),
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .ctx_out = &ctx, .ctx_size_out = sizeof(ctx));

	inet_pton(AF_INET6, local, ctx.local_ip6);
	inet_pton(AF_INET6, remote, ctx.remote_ip6);
	if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(r->skel->progs.things_sk_lookup), &opts),
		       "BPF_PROG_TEST_RUN") ||
	    !ASSERT_EQ(opts.retval, SK_PASS, "verdict"))
		return false;
	*cookie = ctx.cookie;
	return true;
}

static __u64 counter(struct rig *r, __u32 id, enum things_tcp_counter c)
{
	__u32 idx = THINGS_TCP_STATS_IDX(id, c);
	__u64 v = 0;

	bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.tcp_stats), &idx, &v);
	return v;
}

static const struct {
	const char *name, *local, *remote;
	unsigned int port;
	int rule;		/* 0: no socket selected */
} cases[] = {
	{ "longest-prefix-wins", "2001:db8:1:a::1", "2001:db8:99::1", 80, NARROW },
	{ "from-holds-the-client", "2001:db8:1:a::1", "2001:db8:ff::7", 80, FROM },
	{ "shorter-prefix-elsewhere", "2001:db8:1:b::1", "2001:db8:ff::7", 80, WIDE },
	{ "port-range", "2001:db8:1:a::1", "2001:db8:ff::7", 8050, WIDE },
	{ "port-no-rule-owns", "2001:db8:1:a::1", "2001:db8:ff::7", 81, 0 },
	{ "address-no-rule-owns", "2001:db8:2::1", "2001:db8:ff::7", 80, 0 },
	{ "socket-gone", "2001:db8:1:dead::1", "2001:db8:ff::7", 80, 0 },
};

DEFINE_TEST(sk_lookup)
{
	struct rig r = { 0 };
	bool up = false;

	(void)env;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u64 cookie = 1;

		if (!test_start("%s", cases[i].name))
			continue;
		if (!up && !(up = rig_up(&r)))
			break;
		if (!lookup(&r, cases[i].local, cases[i].port, cases[i].remote, &cookie))
			continue;
		ASSERT_EQ(cookie, cases[i].rule ? r.cookie[cases[i].rule] : 0, "selected socket");
	}
	if (up && test_start("counters")) {
		ASSERT_EQ(counter(&r, NARROW, THINGS_TCP_STEERED), 1, "narrow steered");
		ASSERT_EQ(counter(&r, FROM, THINGS_TCP_STEERED), 1, "from steered");
		ASSERT_EQ(counter(&r, WIDE, THINGS_TCP_STEERED), 2, "wide steered");
		ASSERT_EQ(counter(&r, GONE, THINGS_TCP_MATCHED), 1, "gone matched");
		ASSERT_EQ(counter(&r, GONE, THINGS_TCP_NO_SOCKET), 1, "gone: no socket");
	}
	if (r.skel)
		rig_down(&r);
}
