/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_PRIVS_H
#define THINGSD_PRIVS_H

/*
 * The capabilities thingsd keeps once it is set up, and why:
 *   CAP_BPF         maps and programs: new apps on reload, pins, sockmap
 *   CAP_PERFMON     libxdp's dispatcher is an freplace (BPF_PROG_TYPE_EXT)
 *                   program, which the kernel loads only with it
 *   CAP_NET_ADMIN   attaching XDP and sk_lookup, routes, allmulticast
 *   CAP_SYS_ADMIN   libxdp finds the programs attached to an interface by
 *                   id (BPF_PROG_GET_FD_BY_ID), to attach beside them and to
 *                   detach ours on exit: the kernel asks for it there alone
 *   CAP_SETUID, CAP_SETGID   inetd targets and servers run as their user=;
 *                            relay workers become nobody
 *   CAP_KILL        ending those children, and relay workers, past timeout
 *   CAP_NET_BIND_SERVICE     a reload's new socketbox or inetd ports below 1024
 * With an inetd or exec target that runs as root, the bounding set keeps
 * everything, for those children; thingsd's own sets drop all the same.
 * Not kept: CAP_NET_RAW (thingsd opens no raw socket), CAP_DAC_OVERRIDE
 * and CAP_DAC_READ_SEARCH (story files and socketbox sockets must be
 * readable and writable by thingsd's user), CAP_CHOWN (the control socket
 * is made once, at start), CAP_SETPCAP and everything else.
 */
#define THINGSD_KEPT_CAPS CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SETUID, \
	CAP_SETGID, CAP_KILL, CAP_NET_BIND_SERVICE

#include <stdbool.h>
#include <sys/types.h>

struct things_config;

/* [daemon] user: whom thingsd becomes once set up. */
struct privs_user {
	uid_t uid;
	gid_t gid;
};

/* Whether cfg has programs thingsd runs as root (inetd or exec targets
 * without user=): they may need any of root's powers (sshd -i chroots), so
 * the bounding set is left to them. */
bool privs_root_children(const struct things_config *cfg);

/* Drops every other capability, and from the bounding set too unless
 * keep_bounding; with user (not root), becomes that user too, keeping
 * CAP_DAC_READ_SEARCH besides: libxdp takes its lock in a directory of
 * root's alone (/sys/fs/bpf/xdp) at every attach and detach. 0 or -errno. */
int privs_drop(bool keep_bounding, const struct privs_user *user);

/* To uid and gid, real, effective and saved, with no supplementary
 * group: for the children thingsd runs as another user. 0 or -errno, with
 * errno set. */
int privs_set_ids(uid_t uid, gid_t gid);

/* For a relay worker, in the child after fork: becomes user (and no other
 * group) with no capability left, and can gain none again (no_new_privs).
 * 0 or -errno, with errno set. */
int privs_worker(const struct privs_user *user);

/* Whom relay workers run as: nobody, or uid and gid 65534 where no
 * account has that name. */
void privs_worker_user(struct privs_user *user);

#endif
