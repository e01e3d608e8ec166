// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>

#include "solicit.h"
#include "world.h"

#define ND_OPT_UNKNOWN 200

static size_t opt_unknown(uint8_t *buf, uint8_t fill)
{
	buf[0] = ND_OPT_UNKNOWN;
	buf[1] = 1;
	memset(buf + 2, fill, 6);
	return 8;
}

struct ns ns_from(const char *src, const char *target, bool to_solicited_node,
		  unsigned int opts)
{
	struct in6_addr t = addr6(target);
	struct ns ns = { .target = target };

	ns.h = hdrs_to(src, target);
	ns.h.hop_limit = 255;
	if (to_solicited_node) {
		ns.h.dst = solicited_node(&t);
		solicited_node_mac(&t, ns.h.eth_dst);
	}
	if (opts & NS_OPT_SLLA)
		ns.opts_len += nd_opt_lla(ns.opts + ns.opts_len, ND_OPT_SLLA, MAC_PEER);
	if (opts & NS_OPT_NONCE)
		ns.opts_len += nd_opt_nonce(ns.opts + ns.opts_len, 0x0123456789abULL);
	if (opts & NS_OPT_UNKNOWN)
		ns.opts_len += opt_unknown(ns.opts + ns.opts_len, 0xaa);
	while ((opts & NS_OPT_FILL) && ns.opts_len < NS_MAX_OPTS_LEN)
		ns.opts_len += opt_unknown(ns.opts + ns.opts_len, (uint8_t)ns.opts_len);
	return ns;
}

void build_ns_frame(struct frame *f, const struct ns *ns)
{
	struct in6_addr target = addr6(ns->target);

	build_ns(f, &ns->h, ns->code, &target, ns->opts, ns->opts_len);
}
