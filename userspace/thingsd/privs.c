// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Once set up, thingsd keeps only the capabilities that reloading, running
 * TCP targets and tearing down need, and drops the rest from its bounding
 * set too, so that neither it nor anything it runs can get them back by
 * exec (unless it runs programs as root, which may need them). Why each
 * one stays is in privs.h.
 */
#define _GNU_SOURCE	/* setresuid() */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "privs.h"

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

static int kept(int cap, bool as_user)
{
	static const int keep[] = { THINGSD_KEPT_CAPS };

	if (as_user && cap == CAP_DAC_READ_SEARCH)
		return 1;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (keep[i] == cap)
			return 1;
	return 0;
}

bool privs_root_children(const struct things_config *cfg)
{
	/* Under [daemon] user, programs without user= run as that user. */
	if (cfg->user[0])
		return false;
	for (int i = 0; i < cfg->n_apps; i++) {
		const struct things_cfg_app *a = &cfg->apps[i];

		if (a->kind == THINGS_KIND_TCP && !a->user[0] &&
		    (a->target == THINGS_TCP_INETD || a->exec[0]))
			return true;
	}
	return false;
}

int privs_set_ids(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

static int clear_ambient(void)
{
	/* EINVAL: a kernel without ambient capabilities, so none to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	return 0;
}

/* To uid and gid (and no other group), keeping the permitted set: its
 * effective set is made again by privs_drop(). */
static int become(uid_t uid, gid_t gid)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || privs_set_ids(uid, gid)) {
		pr_err("cannot become uid %u gid %u: %s\n", (unsigned int)uid, (unsigned int)gid,
		       strerror(errno));
		return -errno;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

int privs_drop(bool keep_bounding, const struct privs_user *user)
{
	bool as_user = user && user->uid;

	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	int last = last_cap();

	/* The bounding set first: dropping from it takes CAP_SETPCAP, which
	 * goes next. */
	for (int cap = 0; cap <= last && !keep_bounding; cap++)
		if (!kept(cap, as_user) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			pr_err("cannot drop capability %d from the bounding set: %s\n", cap,
			       strerror(errno));
			return -errno;
		}
	if (clear_ambient()) {
		pr_err("cannot clear the ambient capabilities: %s\n", strerror(errno));
		return -errno;
	}
	if (as_user && become(user->uid, user->gid))
		return -EPERM;
	if (syscall(SYS_capget, &hdr, data)) {
		pr_err("cannot read the capabilities: %s\n", strerror(errno));
		return -errno;
	}
	for (int i = 0; i < 2; i++) {
		__u32 mask = 0;

		for (int bit = 0; bit < 32; bit++)
			if (kept(32 * i + bit, as_user))
				mask |= 1U << bit;
		data[i].permitted &= mask;
		data[i].effective = data[i].permitted;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data)) {
		pr_err("cannot drop capabilities: %s\n", strerror(errno));
		return -errno;
	}
	if (as_user)
		pr_info("running as uid %u gid %u from now on\n", (unsigned int)user->uid,
			(unsigned int)user->gid);
	pr_debug("capabilities dropped to those thingsd needs after setup\n");
	return 0;
}

void privs_worker_user(struct privs_user *user)
{
	struct passwd *pw = getpwnam("nobody");

	user->uid = pw ? pw->pw_uid : 65534;
	user->gid = pw ? pw->pw_gid : 65534;
}

int privs_worker(const struct privs_user *user)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2] = {};

	/* thingsd keeps CAP_SETUID and CAP_SETGID for this; the capabilities
	 * go last, as they are what the change of ids takes. */
	if (clear_ambient() || privs_set_ids(user->uid, user->gid) ||
	    syscall(SYS_capset, &hdr, none) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}
