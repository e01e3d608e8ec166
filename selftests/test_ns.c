// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Valid Neighbor Solicitations for targets in on-link prefixes become
 * Neighbor Advertisements (RFC 4861 7.2.4): from the target, with our
 * interface's MAC, to the solicitor or, for DAD, to all nodes.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "env.h"
#include "maps.h"
#include "solicit.h"
#include "test.h"
#include "world.h"

static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };

/* What RFC 4861 7.2.4 and the design ask of our answer to ns. */
static void expected_na(struct frame *out, const struct ns *ns, uint32_t router_flag)
{
	bool dad = IN6_IS_ADDR_UNSPECIFIED(&ns->h.src);
	struct in6_addr target = addr6(ns->target);
	struct hdrs h = {
		.vlan_tpid = ns->h.vlan_tpid,
		.vlan_tci = ns->h.vlan_tci,
		.hop_limit = 255,
		.src = target,
		.dst = dad ? addr6("ff02::1") : ns->h.src,
	};

	memcpy(h.eth_dst, dad ? all_nodes_mac : ns->h.eth_src, 6);
	memcpy(h.eth_src, MAC_IFACE, 6);
	build_na(out, &h, router_flag | (dad ? 0 : NA_FLAG_S) | NA_FLAG_O, &target,
		 MAC_IFACE);
}

static const struct {
	const char *name;
	const char *src, *target;
	bool to_solicited_node;	/* false: to the target itself */
	unsigned int opts;	/* NS_OPT_* */
	unsigned int vary;	/* VAR_* */
	size_t pad;
	int app;
	uint32_t router_flag;
} answered[] = {
	{ "unicast", NEIGHBOR, "2001:db8:2:3::42", false, 0, 0, 0, APP_ONLINK, 0 },
	{ "unicast-slla", NEIGHBOR, "2001:db8:2:3::42", false, NS_OPT_SLLA, 0, 0,
	  APP_ONLINK, 0 },
	{ "multicast", NEIGHBOR, "2001:db8:2:3::43", true, 0, 0, 0, APP_ONLINK, 0 },
	{ "multicast-slla", NEIGHBOR, "2001:db8:2:3:ab:cd:ef:1", true, NS_OPT_SLLA, 0,
	  0, APP_ONLINK, 0 },
	{ "multicast-slla-nonce", NEIGHBOR, "2001:db8:2:3::44", true,
	  NS_OPT_SLLA | NS_OPT_NONCE, 0, 0, APP_ONLINK, 0 },
	{ "unknown-option-ignored", NEIGHBOR, "2001:db8:2:3::45", true,
	  NS_OPT_UNKNOWN | NS_OPT_SLLA, 0, 0, APP_ONLINK, 0 },
	{ "most-options", NEIGHBOR, "2001:db8:2:3::46", true,
	  NS_OPT_SLLA | NS_OPT_FILL, 0, 0, APP_ONLINK, 0 },
	{ "link-local-source", "fe80::2", "2001:db8:2:3:ffff:ffff:ffff:ffff", true,
	  NS_OPT_SLLA, 0, 0, APP_ONLINK, 0 },
	{ "dad", "::", "2001:db8:2:3::47", true, NS_OPT_NONCE, 0, 0, APP_ONLINK, 0 },
	{ "dad-no-options", "::", "2001:db8:2:3::48", true, 0, 0, 0, APP_ONLINK, 0 },
	{ "router", NEIGHBOR, "fd00:0:0:1::5", true, NS_OPT_SLLA, 0, 0, APP_ROUTER,
	  NA_FLAG_R },
	{ "router-dad", "::", "fd00:0:0:1::6", true, NS_OPT_NONCE, 0, 0, APP_ROUTER,
	  NA_FLAG_R },
	{ "silent-app-still-answers", NEIGHBOR, "2001:db8:5::77", true, NS_OPT_SLLA, 0,
	  0, APP_SILENT, 0 },
	{ "vlan-8021q", NEIGHBOR, "2001:db8:2:3::49", true, NS_OPT_SLLA, VAR_VLAN, 0,
	  APP_ONLINK, 0 },
	{ "vlan-8021ad", NEIGHBOR, "2001:db8:2:3::4a", false, 0, VAR_QINQ, 0,
	  APP_ONLINK, 0 },
	{ "vlan-dad", "::", "2001:db8:2:3::4b", true, 0, VAR_VLAN, 0, APP_ONLINK, 0 },
	{ "class-flow-cleared", NEIGHBOR, "2001:db8:2:3::4c", true, NS_OPT_SLLA,
	  VAR_CLASS_FLOW, 0, APP_ONLINK, 0 },
	{ "padding", NEIGHBOR, "2001:db8:2:3::4d", false, 0, 0, 6, APP_ONLINK, 0 },
	{ "padding-slla", NEIGHBOR, "2001:db8:2:3::4d", true, NS_OPT_SLLA, 0, 18,
	  APP_ONLINK, 0 },
	{ "hop-by-hop-removed", NEIGHBOR, "2001:db8:2:3::4e", true, NS_OPT_SLLA,
	  VAR_HBH, 0, APP_ONLINK, 0 },
	{ "four-headers-removed", NEIGHBOR, "2001:db8:2:3::4f", false, NS_OPT_SLLA,
	  VAR_FOUR_EXT, 0, APP_ONLINK, 0 },
	{ "vlan-hop-by-hop-removed", NEIGHBOR, "2001:db8:2:3::50", true, NS_OPT_SLLA,
	  VAR_VLAN | VAR_HBH, 0, APP_ONLINK, 0 },
	{ "qinq-dest-opts-removed", NEIGHBOR, "2001:db8:2:3::51", true,
	  NS_OPT_SLLA | NS_OPT_NONCE, VAR_QINQ | VAR_DSTOPTS, 3, APP_ONLINK, 0 },
	{ "dad-vlan-four-headers", "::", "fd00:0:0:1::52", true, NS_OPT_NONCE,
	  VAR_VLAN | VAR_FOUR_EXT, 0, APP_ROUTER, NA_FLAG_R },
};

/* An NS whose checksum is 0x0000 computed, sent as 0xffff: equal in one's
 * complement, so still valid. The nonce is chosen to get there. */
static void negative_zero_csum(const struct test_env *env)
{
	struct ns ns = ns_from(NEIGHBOR, "2001:db8:2:3::60", true,
			       NS_OPT_SLLA | NS_OPT_NONCE);
	size_t nonce_end = ND_MSG_LEN + 8 + 8 - 2;
	struct frame in, out;

	build_ns_frame(&in, &ns);
	if (!ASSERT_TRUE(steer_csum(&in, in.l4_off + nonce_end, 0x0000),
			 "a nonce for checksum 0"))
		return;
	frame_set16(&in, frame_csum_off(&in), 0xffff);
	expected_na(&out, &ns, 0);
	check_xdp(env, &in, &(struct expect){ XDP_TX, &out, THINGS_R_TX_NA, APP_ONLINK,
					      THINGS_ACT_NA });
}

/* The NA goes to the frame's Ethernet source even when the SLLA option
 * names another MAC: the sender is on the link, the option is a claim. */
static void eth_source_not_slla(const struct test_env *env)
{
	static const uint8_t sender[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };
	struct ns ns = ns_from(NEIGHBOR, "2001:db8:2:3::61", true, NS_OPT_SLLA);
	struct frame in, out;

	memcpy(ns.h.eth_src, sender, sizeof(sender));
	build_ns_frame(&in, &ns);
	expected_na(&out, &ns, 0);
	check_xdp(env, &in, &(struct expect){ XDP_TX, &out, THINGS_R_TX_NA, APP_ONLINK,
					      THINGS_ACT_NA });
}

/* Other interfaces whose home slot in `ifaces` is lo's (ifindex 1): that
 * many slots apart. Only userspace writes them; no frame comes from them. */
static const uint32_t lo_rivals[THINGS_IFACE_PROBES] = {
	LO_IFINDEX + THINGS_IFACE_SLOTS, LO_IFINDEX + 2 * THINGS_IFACE_SLOTS,
	LO_IFINDEX + 3 * THINGS_IFACE_SLOTS, LO_IFINDEX + 4 * THINGS_IFACE_SLOTS,
};

static bool na_from_lo(const struct test_env *env, const char *target, int reason)
{
	struct ns ns = ns_from(NEIGHBOR, target, true, NS_OPT_SLLA);
	struct frame in, out;

	build_ns_frame(&in, &ns);
	expected_na(&out, &ns, 0);
	return check_xdp(env, &in, &(struct expect){
		reason == THINGS_R_TX_NA ? XDP_TX : XDP_PASS,
		reason == THINGS_R_TX_NA ? &out : NULL, reason, APP_ONLINK,
		reason == THINGS_R_TX_NA ? THINGS_ACT_NA : THINGS_ACT_PASS });
}

/* lo's home slot taken by another interface: lo goes to the next one,
 * where the data plane still finds it, also once the other is gone. */
static void iface_probe_slot(const struct test_env *env)
{
	struct things_iface val;

	if (!ASSERT_OK(things_iface_del(env->ifaces_fd, LO_IFINDEX), "remove lo") ||
	    !ASSERT_OK(things_iface_set(env->ifaces_fd, lo_rivals[0], MAC_IFACE, 0), "rival") ||
	    !ASSERT_OK(things_iface_set(env->ifaces_fd, LO_IFINDEX, MAC_IFACE, 0), "lo again"))
		goto cleanup;
	if (!ASSERT_OK(bpf_map_lookup_elem(env->ifaces_fd, &(uint32_t){ LO_IFINDEX + 1 }, &val),
		       "read lo's slot") ||
	    !ASSERT_EQ(val.ifindex, LO_IFINDEX, "lo in the slot after its own"))
		goto cleanup;
	na_from_lo(env, "2001:db8:2:3::70", THINGS_R_TX_NA);
	if (ASSERT_OK(things_iface_del(env->ifaces_fd, lo_rivals[0]), "remove the rival"))
		na_from_lo(env, "2001:db8:2:3::71", THINGS_R_TX_NA);
cleanup:
	things_iface_del(env->ifaces_fd, lo_rivals[0]);
	things_iface_del(env->ifaces_fd, LO_IFINDEX);
	things_iface_set(env->ifaces_fd, LO_IFINDEX, MAC_IFACE, 0);
}

/* Every probe slot of lo's taken: it cannot be added, and is not served,
 * until one is free again. */
static void iface_slots_full(const struct test_env *env)
{
	size_t i;

	if (!ASSERT_OK(things_iface_del(env->ifaces_fd, LO_IFINDEX), "remove lo"))
		goto cleanup;
	for (i = 0; i < ARRAY_SIZE(lo_rivals); i++)
		if (!ASSERT_OK(things_iface_set(env->ifaces_fd, lo_rivals[i], MAC_IFACE, 0),
			       "rival"))
			goto cleanup;
	if (!ASSERT_EQ(things_iface_set(env->ifaces_fd, LO_IFINDEX, MAC_IFACE, 0), -ENOSPC,
		       "lo has no slot"))
		goto cleanup;
	na_from_lo(env, "2001:db8:2:3::72", THINGS_R_PASS_IFACE_UNKNOWN);
	if (ASSERT_OK(things_iface_del(env->ifaces_fd, lo_rivals[2]), "free one") &&
	    ASSERT_OK(things_iface_set(env->ifaces_fd, LO_IFINDEX, MAC_IFACE, 0), "lo in it"))
		na_from_lo(env, "2001:db8:2:3::73", THINGS_R_TX_NA);
cleanup:
	for (i = 0; i < ARRAY_SIZE(lo_rivals); i++)
		things_iface_del(env->ifaces_fd, lo_rivals[i]);
	things_iface_del(env->ifaces_fd, LO_IFINDEX);
	things_iface_set(env->ifaces_fd, LO_IFINDEX, MAC_IFACE, 0);
}

DEFINE_TEST(ns)
{
	struct frame in, out;

	for (size_t i = 0; i < ARRAY_SIZE(answered); i++) {
		struct ns ns = ns_from(answered[i].src, answered[i].target,
				       answered[i].to_solicited_node, answered[i].opts);
		bool dad = IN6_IS_ADDR_UNSPECIFIED(&ns.h.src);

		if (!test_start("%s", answered[i].name))
			continue;
		hdrs_vary(&ns.h, answered[i].vary);
		build_ns_frame(&in, &ns);
		frame_fill(&in, 0, answered[i].pad);
		expected_na(&out, &ns, answered[i].router_flag);
		check_xdp(env, &in, &(struct expect){ XDP_TX, &out,
			  dad ? THINGS_R_TX_NA_DAD : THINGS_R_TX_NA, answered[i].app,
			  dad ? THINGS_ACT_NA_DAD : THINGS_ACT_NA });
	}

	if (test_start("csum-negative-zero"))
		negative_zero_csum(env);
	if (test_start("eth-source-not-slla"))
		eth_source_not_slla(env);
	if (test_start("iface-probe-slot"))
		iface_probe_slot(env);
	if (test_start("iface-slots-full"))
		iface_slots_full(env);
}
