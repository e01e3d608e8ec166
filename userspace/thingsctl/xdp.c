// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Is things_xdp running on an interface? Asked only when thingsd is down,
 * so from the kernel alone: libxdp attaches a dispatcher and links our
 * program to it as an extension, so the dispatcher's id leads to a link
 * whose program has our name.
 */
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "things_abi.h"
#include "thingsctl.h"

/* The program is pinned under its own name. */
#define THINGS_PROG_NAME THINGS_PIN_PROG_XDP

static bool prog_is_things(__u32 id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	bool yes = false;
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		yes = !strcmp(info.name, THINGS_PROG_NAME);
	close(fd);
	return yes;
}

static bool dispatcher_runs_things(__u32 dispatcher_id)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);
		bool match;

		if (fd < 0)
			continue;	/* gone since the walk found it */
		memset(&info, 0, sizeof(info));
		match = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
			info.type == BPF_LINK_TYPE_TRACING &&
			info.tracing.target_obj_id == dispatcher_id;
		close(fd);
		if (match && prog_is_things(info.prog_id))
			return true;
	}
	return false;
}

const char *xdp_things_mode(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	const struct {
		__u32 *id;
		const char *mode;
	} slots[] = {
		{ &q.drv_prog_id, "native" },
		{ &q.skb_prog_id, "generic" },
		{ &q.hw_prog_id, "offload" },
	};

	if (bpf_xdp_query(ifindex, 0, &q))
		return "none";
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		__u32 id = *slots[i].id;

		/* Without a dispatcher (legacy mode) our program is attached
		 * itself. */
		if (id && (prog_is_things(id) || dispatcher_runs_things(id)))
			return slots[i].mode;
	}
	return "none";
}
