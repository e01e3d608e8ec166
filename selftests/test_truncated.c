// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packets that end early. Whole valid requests are cut at every length, with
 * the IPv6 payload length left claiming the full message, or made to agree
 * with the cut, or left whole with a payload length that claims more than
 * the frame has. Whatever the cut, the program must not answer, must not
 * touch the frame, and must count it once.
 */
#include <errno.h>

#include "env.h"
#include "solicit.h"
#include "test.h"
#include "world.h"

#define ETH_HLEN 14
#define ETH_ZLEN 60	/* shortest Ethernet frame without FCS: NICs pad to it */
#define ECHO_DATA_LEN 56

enum msg { MSG_ECHO, MSG_NS };

static const struct base {
	const char *name;
	enum msg msg;
	const char *src, *dst;	/* NS: dst is the target */
	unsigned int vary;	/* VAR_* */
	unsigned int ns_opts;	/* NS_OPT_*, sent to the solicited-node group */
	int app;
} bases[] = {
	{ "echo", MSG_ECHO, REMOTE, "2001:db8:1::2", 0, 0, APP_ECHO },
	{ "echo-silent", MSG_ECHO, REMOTE, "2001:db8:5::2", 0, 0, APP_SILENT },
	{ "echo-vlan-ext", MSG_ECHO, REMOTE, "2001:db8:1::2",
	  VAR_VLAN | VAR_HBH | VAR_ROUTING, 0, APP_ECHO },
	{ "ns-slla", MSG_NS, NEIGHBOR, "2001:db8:2:3::42", 0, NS_OPT_SLLA, APP_ONLINK },
	{ "ns-slla-vlan-ext", MSG_NS, NEIGHBOR, "2001:db8:2:3::42",
	  VAR_VLAN | VAR_DSTOPTS, NS_OPT_SLLA, APP_ONLINK },
	{ "ns-dad-nonce", MSG_NS, "::", "fd00:0:0:1::7", 0, NS_OPT_NONCE, APP_ROUTER },
};

static void build_base(const struct base *b, struct frame *f)
{
	uint8_t data[ECHO_DATA_LEN];
	struct hdrs h;
	struct ns ns;

	switch (b->msg) {
	case MSG_ECHO:
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)i;
		h = hdrs_to(b->src, b->dst);
		hdrs_vary(&h, b->vary);
		build_echo(f, &h, &(struct echo){ .type = ICMP6_ECHO_REQUEST, .id = 9,
			   .seq = 9, .data = data, .data_len = sizeof(data) });
		break;
	case MSG_NS:
		ns = ns_from(b->src, b->dst, true, b->ns_opts);
		hdrs_vary(&ns.h, b->vary);
		build_ns_frame(f, &ns);
		break;
	}
}

/* The shortest upper-layer message that is still the base's request: one
 * byte shorter and it can only be refused. */
static size_t shortest_request(const struct base *b, const struct frame *f)
{
	return b->msg == MSG_ECHO ? ICMP6_HDR_LEN : f->len - f->l4_off;
}

/*
 * The reason for a base whose message is l4_len bytes, as the IPv6 payload
 * length says. Nothing to read: truncated, before any app. An NS too short
 * for its target has no app either; one that has it fails its options or,
 * with them whole but a byte missing, its checksum.
 */
static struct expect expect_short(const struct base *b, size_t l4_len)
{
	struct expect e = { XDP_PASS, NULL, THINGS_R_PASS_TRUNCATED, NO_APP, 0 };

	if (!l4_len)
		return e;
	if (b->msg == MSG_NS && l4_len < ND_MSG_LEN) {
		e.reason = THINGS_R_NS_LENGTH;
		return e;
	}
	e.app = b->app;
	e.action = THINGS_ACT_INVALID;
	if (b->msg == MSG_NS)
		e.reason = l4_len == ND_MSG_LEN ? THINGS_R_NS_CHECKSUM :
						  THINGS_R_NS_OPTION_LENGTH;
	return e;
}

static void set_payload_len(struct frame *f, size_t len)
{
	frame_set16(f, f->ip6_off + 4, (uint16_t)len);
}

/* Every cut the kernel accepts, payload length unchanged. */
static void cut(const struct test_env *env, const struct frame *full)
{
	struct expect e = { XDP_PASS, NULL, THINGS_R_PASS_TRUNCATED, NO_APP, 0 };
	struct xdp_result res;
	struct frame in;

	/* Shorter than an Ethernet header is refused before it runs. */
	for (size_t len = 0; len < ETH_HLEN; len++)
		if (!ASSERT_EQ(env_run(env, full->b, len, &res), -EINVAL, "sub-Ethernet run"))
			return;
	for (size_t len = ETH_HLEN; len < full->len; len++) {
		in = *full;
		in.len = len;
		if (!check_xdp(env, &in, &e)) {
			test_log("cut to %zu of %zu bytes", len, full->len);
			return;
		}
	}
}

/* Cuts inside the upper-layer message with the payload length made to
 * agree; padded: then padded as a NIC would, to the Ethernet minimum. */
static void short_msg(const struct test_env *env, const struct base *b,
		      const struct frame *full, bool padded)
{
	size_t ip6_end = full->ip6_off + 40;
	struct frame in;

	for (size_t l4 = 0; l4 < shortest_request(b, full); l4++) {
		struct expect e = expect_short(b, l4);

		in = *full;
		in.len = full->l4_off + l4;
		set_payload_len(&in, in.len - ip6_end);
		if (padded && in.len < ETH_ZLEN)
			frame_fill(&in, 0, ETH_ZLEN - in.len);
		if (!check_xdp(env, &in, &e)) {
			test_log("message cut to %zu bytes", l4);
			return;
		}
	}
}

/* The whole frame, with a payload length past its end. */
static void long_claim(const struct test_env *env, const struct frame *full)
{
	struct expect e = { XDP_PASS, NULL, THINGS_R_PASS_TRUNCATED, NO_APP, 0 };
	uint16_t payload = frame_get16(full, full->ip6_off + 4);
	const uint16_t extra[] = { 1, 8, 100, (uint16_t)(0xffff - payload) };
	struct frame in;

	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		in = *full;
		set_payload_len(&in, payload + extra[i]);
		if (!check_xdp(env, &in, &e)) {
			test_log("payload length %u of %u", payload + extra[i], payload);
			return;
		}
	}
}

/* An extension header whose length runs past the IPv6 payload. */
static void ext_past_end(const struct test_env *env, const struct frame *full)
{
	struct expect e = { XDP_PASS, NULL, THINGS_R_PASS_TRUNCATED, NO_APP, 0 };
	size_t hdr_len_byte = full->ip6_off + 40 + 1;
	struct frame in = *full;

	in.b[hdr_len_byte] = 200;
	check_xdp(env, &in, &e);
}

DEFINE_TEST(truncated)
{
	struct frame full;

	for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
		const struct base *b = &bases[i];

		build_base(b, &full);
		if (test_start("%s-cut", b->name))
			cut(env, &full);
		if (test_start("%s-short", b->name))
			short_msg(env, b, &full, false);
		if (test_start("%s-short-padded", b->name))
			short_msg(env, b, &full, true);
		if (test_start("%s-long-claim", b->name))
			long_claim(env, &full);
		if (b->vary & (VAR_HBH | VAR_DSTOPTS) && test_start("%s-ext-past-end", b->name))
			ext_past_end(env, &full);
	}
}
