// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"

static int syscall_result(int ret)
{
	return ret < 0 ? -errno : 0;
}

int things_prefix_set(int prefixes_fd, const struct things_prefix_key *key,
		      const struct things_prefix_value *val)
{
	return syscall_result(bpf_map_update_elem(prefixes_fd, key, val, BPF_ANY));
}

int things_prefix_del(int prefixes_fd, const struct things_prefix_key *key)
{
	return syscall_result(bpf_map_delete_elem(prefixes_fd, key));
}

/* The slot that holds ifindex (0), or -ENOENT and in *free a probe slot
 * that is free (or -1). */
static int iface_find(int fd, __u32 ifindex, __u32 *slot, struct things_iface *val, int *free)
{
	*free = -1;
	if (!ifindex)
		return -EINVAL;
	for (__u32 i = 0; i < THINGS_IFACE_PROBES; i++) {
		*slot = (ifindex + i) & (THINGS_IFACE_SLOTS - 1);
		if (bpf_map_lookup_elem(fd, slot, val))
			return -errno;
		if (val->ifindex == ifindex)
			return 0;
		if (!val->ifindex && *free < 0)
			*free = (int)*slot;
	}
	return -ENOENT;
}

int things_iface_set(int ifaces_fd, __u32 ifindex, const unsigned char mac[6],
		     __u16 flags)
{
	struct things_iface val;
	int err, free;
	__u32 slot;

	err = iface_find(ifaces_fd, ifindex, &slot, &val, &free);
	if (err == -ENOENT && free < 0)
		return -ENOSPC;
	if (err == -ENOENT)
		slot = (__u32)free;
	else if (err)
		return err;
	val = (struct things_iface){ .flags = flags, .ifindex = ifindex };
	memcpy(val.mac, mac, sizeof(val.mac));
	return syscall_result(bpf_map_update_elem(ifaces_fd, &slot, &val, BPF_ANY));
}

int things_iface_get(int ifaces_fd, __u32 ifindex, struct things_iface *val)
{
	__u32 slot;
	int free;

	return iface_find(ifaces_fd, ifindex, &slot, val, &free);
}

int things_iface_del(int ifaces_fd, __u32 ifindex)
{
	struct things_iface val;
	__u32 slot;
	int err, free;

	err = iface_find(ifaces_fd, ifindex, &slot, &val, &free);
	if (err)
		return err;
	memset(&val, 0, sizeof(val));
	return syscall_result(bpf_map_update_elem(ifaces_fd, &slot, &val, BPF_ANY));
}

int things_iface_list(int ifaces_fd, struct things_iface *out, int max)
{
	struct things_iface val;
	int n = 0;

	for (__u32 slot = 0; slot < THINGS_IFACE_SLOTS && n < max; slot++) {
		if (bpf_map_lookup_elem(ifaces_fd, &slot, &val))
			return -errno;
		if (val.ifindex)
			out[n++] = val;
	}
	return n;
}

static int fast_write(int fast_fd, const struct things_fast_table *t)
{
	__u32 zero = 0;

	return syscall_result(bpf_map_update_elem(fast_fd, &zero, t, BPF_ANY));
}

int things_fast_off(int fast_fd)
{
	struct things_fast_table t;
	__u32 zero = 0;

	/* Same entries, count 0: a lookup under way sees entries that do not
	 * change, and every later one goes to the trie. */
	if (bpf_map_lookup_elem(fast_fd, &zero, &t))
		return -errno;
	if (!t.count)
		return 0;
	t.count = 0;
	return fast_write(fast_fd, &t);
}

static void fast_entry(struct things_fast_entry *e, const struct things_prefix_key *k,
		       const struct things_prefix_value *v)
{
	unsigned char mask[16] = { 0 };

	memset(e, 0, sizeof(*e));
	for (__u32 bit = 0; bit < k->prefixlen && bit < 128; bit++)
		mask[bit / 8] |= (unsigned char)(0x80 >> (bit % 8));
	memcpy(e->addr, k->addr, sizeof(e->addr));
	memcpy(e->mask, mask, sizeof(e->mask));
	e->addr[0] &= e->mask[0];
	e->addr[1] &= e->mask[1];
	e->val = *v;
	e->prefixlen = k->prefixlen;
}

/* Whether entry a holds entry b: b's prefix is inside a's, or is a's. */
static bool fast_holds(const struct things_fast_entry *a, const struct things_fast_entry *b)
{
	return a->prefixlen <= b->prefixlen && (b->addr[0] & a->mask[0]) == a->addr[0] &&
	       (b->addr[1] & a->mask[1]) == a->addr[1];
}

/*
 * The host's own addresses that no app prefix holds go last: an address
 * that one of them matches matches nothing else, so the first match is
 * still the longest, and the apps' requests, which the data plane is
 * there for, pass fewer entries on their way. Every other entry keeps its
 * place, longer prefixes first.
 */
static void fast_hosts_last(struct things_fast_entry *e, __u32 n)
{
	struct things_fast_entry moved[THINGS_FAST_SLOTS];
	__u32 kept = 0, m = 0;

	for (__u32 i = 0; i < n; i++) {
		bool held = false;

		for (__u32 j = 0; j < n && e[i].val.kind == THINGS_KIND_HOST; j++)
			held |= j != i && fast_holds(&e[j], &e[i]);
		if (e[i].val.kind == THINGS_KIND_HOST && !held)
			moved[m++] = e[i];
		else
			e[kept++] = e[i];
	}
	memcpy(&e[kept], moved, m * sizeof(*moved));
}

static int longer_first(const void *a, const void *b)
{
	const struct things_fast_entry *x = a, *y = b;

	return (int)y->prefixlen - (int)x->prefixlen;
}

int things_fast_sync(int fast_fd, int prefixes_fd)
{
	struct things_fast_table t = { 0 };
	struct things_prefix_key key, next, *prev = NULL;
	__u32 n = 0;
	int err;

	err = things_fast_off(fast_fd);
	if (err)
		return err;
	while (!bpf_map_get_next_key(prefixes_fd, prev, &next)) {
		struct things_prefix_value val;

		key = next;
		prev = &key;
		if (n == THINGS_FAST_SLOTS)
			return 0;	/* does not fit: the trie it is */
		if (bpf_map_lookup_elem(prefixes_fd, &key, &val))
			return -errno;
		fast_entry(&t.entries[n++], &key, &val);
	}
	if (!n)
		return 0;
	/* Two prefixes of one length never overlap, so only length orders. */
	qsort(t.entries, n, sizeof(t.entries[0]), longer_first);
	fast_hosts_last(t.entries, n);
	err = fast_write(fast_fd, &t);
	if (err)
		return err;
	/* The entries are in place; now, and only now, they are used. */
	t.count = n;
	return fast_write(fast_fd, &t);
}

int things_counter_read(int map_fd, __u32 idx, struct things_counter *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct things_counter *per_cpu;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(map_fd, &idx, per_cpu) < 0) {
		err = -errno;
		goto out;
	}
	for (int cpu = 0; cpu < ncpu; cpu++) {
		sum->packets += per_cpu[cpu].packets;
		sum->bytes += per_cpu[cpu].bytes;
	}
out:
	free(per_cpu);
	return err;
}

int things_stats_row(int stats_fd, __u32 app_id, struct things_counter row[THINGS_R_MAX])
{
	for (__u32 r = 0; r < THINGS_R_MAX; r++) {
		int err = things_counter_read(stats_fd, THINGS_STATS_IDX(app_id, r), &row[r]);

		if (err)
			return err;
	}
	return 0;
}

int things_stats_read(int stats_fd, struct things_counter (*rows)[THINGS_R_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 count = THINGS_STATS_ENTRIES, out_batch, *keys;
	struct things_counter *vals;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	keys = calloc(count, sizeof(*keys));
	vals = calloc((size_t)count * (size_t)ncpu, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	/* The whole array in one call: the map ends inside it (ENOENT). */
	if (bpf_map_lookup_batch(stats_fd, NULL, &out_batch, keys, vals, &count, NULL) &&
	    errno != ENOENT) {
		err = -errno;
		goto out;
	}
	memset(rows, 0, sizeof(*rows) * THINGS_MAX_APPS);
	for (__u32 i = 0; i < count; i++) {
		__u32 app = keys[i] / THINGS_REASON_SLOTS, reason = keys[i] % THINGS_REASON_SLOTS;

		if (app >= THINGS_MAX_APPS || reason >= THINGS_R_MAX)
			continue;
		for (int cpu = 0; cpu < ncpu; cpu++) {
			rows[app][reason].packets += vals[(size_t)i * ncpu + cpu].packets;
			rows[app][reason].bytes += vals[(size_t)i * ncpu + cpu].bytes;
		}
	}
out:
	free(keys);
	free(vals);
	return err;
}

int things_counters_zero(int map_fd, __u32 first, __u32 count)
{
	int ncpu = libbpf_num_possible_cpus();
	struct things_counter *zero;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (__u32 idx = first; idx < first + count && !err; idx++)
		err = syscall_result(bpf_map_update_elem(map_fd, &idx, zero, BPF_ANY));
	free(zero);
	return err;
}

int things_canvas_create(__u32 app_id, __u32 width, __u32 height)
{
	/* The shape of the `canvases` template; only the size differs. */
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	if (!width || !height || width > THINGS_CANVAS_MAX_SIDE || height > THINGS_CANVAS_MAX_SIDE)
		return -EINVAL;
	snprintf(name, sizeof(name), THINGS_PIN_CANVAS_FMT, app_id);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
			    sizeof(struct things_canvas_slot), THINGS_CANVAS_SLOTS(width, height),
			    &opts);
	return fd < 0 ? -errno : fd;
}
