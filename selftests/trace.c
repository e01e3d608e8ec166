// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "apps.h"
#include "names.h"
#include "test.h"
#include "trace.h"
#include "world.h"

const char *const probe_names[PROBE_KINDS] = { "icmp", "udp", "tcp" };

/* traceroute's defaults: UDP to 33434 and up, TCP SYN to 80. */
#define UDP_SPORT 40000
#define UDP_DPORT 33437
#define TCP_SPORT 40001
#define TCP_DPORT 80

void probe_build(struct frame *f, struct hdrs *h, enum probe_kind kind, const char *dst,
		 uint8_t hl, size_t len)
{
	uint8_t data[FRAME_MAX];

	for (size_t i = 0; i < len && i < sizeof(data); i++)
		data[i] = (uint8_t)(0x40 + i % 61);
	h->dst = addr6(dst);
	h->hop_limit = hl;
	switch (kind) {
	case PROBE_ICMP:
		build_echo(f, h, &(struct echo){ .type = ICMP6_ECHO_REQUEST, .id = 0x5151,
			   .seq = hl, .data = data, .data_len = len });
		break;
	case PROBE_UDP:
		build_udp(f, h, UDP_SPORT, UDP_DPORT, data, len);
		break;
	default:
		build_tcp_syn(f, h, TCP_SPORT, TCP_DPORT, data, len);
		break;
	}
}

bool expect_time_exceeded(const struct test_env *env, const struct frame *in,
			  const struct hdrs *h, const struct in6_addr *from)
{
	struct frame out;

	build_icmp6_error(&out, in, h, from, ICMP6_TIME_EXCEEDED, 0, ERR_HOP_LIMIT(h->hop_limit));
	return check_xdp(env, in, &(struct expect){ XDP_TX, &out, THINGS_R_TX_TIME_EXCEEDED,
			 APP_TRACE, THINGS_ACT_ICMP_ERROR });
}

bool expect_end(const struct test_env *env, const struct frame *in, const struct hdrs *h,
		enum probe_kind kind, unsigned int hops)
{
	struct frame out;

	switch (kind) {
	case PROBE_ICMP: {
		/* The reply to exactly this request: rebuilt from its bytes. */
		struct hdrs rh = reply_hdrs(h);
		size_t off = in->l4_off;
		size_t len = in->ip6_off + 40 + frame_get16(in, in->ip6_off + 4) - off;

		frame_init(&out);
		put_headers(&out, &rh, PROTO_ICMPV6);
		frame_put(&out, in->b + off, len);
		out.b[out.l4_off] = ICMP6_ECHO_REPLY;
		frame_finish(&out);
		return check_xdp(env, in, &(struct expect){ XDP_TX, &out, THINGS_R_TX_ECHO_REPLY,
				 APP_TRACE, THINGS_ACT_ECHO_REPLY });
	}
	case PROBE_UDP:
		build_icmp6_error(&out, in, h, &h->dst, ICMP6_DEST_UNREACH, ICMP6_PORT_UNREACH,
				  ERR_HOP_LIMIT(hops + 1));
		return check_xdp(env, in, &(struct expect){ XDP_TX, &out,
				 THINGS_R_TX_PORT_UNREACHABLE, APP_TRACE, THINGS_ACT_ICMP_ERROR });
	default:
		return check_xdp(env, in, &(struct expect){ XDP_PASS, NULL, THINGS_R_PASS_NOT_ICMP,
				 APP_TRACE, THINGS_ACT_PASS });
	}
}

bool expect_left(const struct test_env *env, const struct frame *in, enum xdp_action verdict,
		 enum things_reason reason)
{
	return check_xdp(env, in, &(struct expect){ verdict, NULL, reason, APP_TRACE,
			 (enum things_action)things_reason_action(reason) });
}

void trace_limits(const struct test_env *env, __u32 rate, __u32 burst, __u32 err_rate,
		  __u32 err_burst)
{
	struct things_app_cfg cfg = world_app_cfg(APP_TRACE);
	struct things_err_cfg ec = { .rate = err_rate, .burst = err_burst };
	__u32 zero = 0;

	cfg.rate = rate;
	cfg.burst = burst;
	cfg.rate_prefix = 64;
	ASSERT_OK(app_cfg_set(env, APP_TRACE, &cfg), "set the source limit");
	ASSERT_OK(bpf_map_update_elem(env->err_cfg_fd, &zero, &ec, BPF_ANY) ? -errno : 0,
		  "set the host's limit");
}
