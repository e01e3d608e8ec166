// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "maps.h"
#include "prefix.h"
#include "world.h"

const uint8_t MAC_IFACE[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t MAC_PEER[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static const struct {
	const char *prefix;
	__u32 app_id;
	__u16 kind;
	__u16 flags;
} prefixes[] = {
	{ "2001:db8:1::/48", APP_ECHO, THINGS_KIND_ECHO, 0 },
	{ "2001:db8:1:ff::/64", APP_SUBNET, THINGS_KIND_BOARD, 0 },
	{ HOST_ROUTED "/128", 0, THINGS_KIND_HOST, 0 },
	{ "2001:db8:2:3::/64", APP_ONLINK, THINGS_KIND_ECHO, THINGS_PF_ONLINK },
	{ HOST_ONLINK "/128", 0, THINGS_KIND_HOST, THINGS_PF_ONLINK },
	{ "fd00:0:0:1::/64", APP_ROUTER, THINGS_KIND_ECHO,
	  THINGS_PF_ONLINK | THINGS_PF_ROUTER },
	{ "2001:db8:5::/48", APP_SILENT, THINGS_KIND_ECHO,
	  THINGS_PF_ONLINK | THINGS_PF_SILENT },
	{ "ff3e:30:2001:db8:1::/96", APP_MCAST, THINGS_KIND_ECHO, THINGS_PF_ONLINK },
	{ "fd00:0:0:99::/64", APP_OUT_OF_RANGE, THINGS_KIND_ECHO, THINGS_PF_ONLINK },
};

int world_install(const struct test_env *env)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct things_prefix_value val = {
			.app_id = prefixes[i].app_id,
			.kind = prefixes[i].kind,
			.flags = prefixes[i].flags,
		};
		struct things_prefix_key key;
		const char *why;
		int err;

		err = things_prefix_parse(prefixes[i].prefix, &key, 0, &why);
		if (err) {
			fprintf(stderr, "%s: %s\n", prefixes[i].prefix, why);
			return err;
		}
		err = things_prefix_set(env->prefixes_fd, &key, &val);
		if (err)
			return err;
	}
	return things_iface_set(env->ifaces_fd, LO_IFINDEX, MAC_IFACE, 0);
}

struct in6_addr addr6(const char *text)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, text, &a) != 1) {
		fprintf(stderr, "not an IPv6 address: %s\n", text);
		abort();
	}
	return a;
}

struct hdrs hdrs_to(const char *src, const char *dst)
{
	struct hdrs h = { .hop_limit = 64, .src = addr6(src), .dst = addr6(dst) };

	memcpy(h.eth_dst, MAC_IFACE, 6);
	memcpy(h.eth_src, MAC_PEER, 6);
	return h;
}

void hdrs_vary(struct hdrs *h, unsigned int variants)
{
	if (variants & VAR_VLAN)
		hdrs_vlan(h, ETHERTYPE_VLAN, 0x2064);
	if (variants & VAR_QINQ)
		hdrs_vlan(h, ETHERTYPE_QINQ, 0x0fff);
	if (variants & VAR_CLASS_FLOW) {
		h->tclass = 0xb8;
		h->flow = 0xabcde;
	}
	if (variants & (VAR_HBH | VAR_FOUR_EXT))
		hdrs_add_ext(h, PROTO_HOPOPTS, 1, 0);
	if (variants & (VAR_DSTOPTS | VAR_FOUR_EXT))
		hdrs_add_ext(h, PROTO_DSTOPTS, 5, 0);
	if (variants & (VAR_ROUTING | VAR_FOUR_EXT))
		hdrs_add_ext(h, PROTO_ROUTING, 3, 0);
	if (variants & VAR_FOUR_EXT)
		hdrs_add_ext(h, PROTO_DSTOPTS, 1, 0);
}
