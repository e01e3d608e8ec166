// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"
#include "prefix.h"
#include "trie.h"

static int prefix_add(int fd, const struct things_prefix_key *key, __u32 app, __u16 kind,
		      __u16 flags, __u64 update_flags)
{
	struct things_prefix_value val = {
		.app_id = app,
		.kind = kind,
		.flags = flags,
	};

	return bpf_map_update_elem(fd, key, &val, update_flags) ? -errno : 0;
}

int trie_prefix_add(int fd, const char *text, __u32 app, __u16 kind, __u16 flags)
{
	struct things_prefix_key key;
	const char *why;
	int err;

	if (things_prefix_parse(text, &key, 0, &why)) {
		pr_err("%s: %s\n", text, why);
		return -EINVAL;
	}
	err = prefix_add(fd, &key, app, kind, flags, BPF_ANY);
	if (err)
		pr_err("adding %s to the prefixes map: %s\n", text, strerror(-err));
	return err;
}

/* splitmix64: deterministic on every platform, unlike rand(). */
static __u64 next_random(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void random_prefix(__u64 *state, int near, struct things_prefix_key *key)
{
	static const __u8 near_32[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	__u64 bits = next_random(state);
	unsigned int plen = 48 + (unsigned int)(next_random(state) % 17);

	memset(key, 0, sizeof(*key));
	key->prefixlen = plen;
	for (int i = 0; i < 8; i++)
		key->addr[i] = (__u8)(bits >> (8 * i));
	if (near)
		memcpy(key->addr, near_32, sizeof(near_32));
	else
		key->addr[0] = 0xfd;
	for (unsigned int bit = plen; bit < 64; bit++)
		key->addr[bit / 8] &= (__u8) ~(0x80 >> (bit % 8));
}

int trie_random_fill(int fd, __u32 count, __u64 seed, int near, const __u8 (*avoid)[16],
		     int n_avoid, __u32 app_first, __u32 app_count)
{
	__u64 state = seed;
	__u32 added = 0;
	int err;

	while (added < count) {
		struct things_prefix_key key;
		int holds = 0;

		random_prefix(&state, near, &key);
		/* One that holds an address the requests ask for would take
		 * it from its real prefix: another path would be timed. */
		for (int i = 0; i < n_avoid; i++)
			holds |= things_prefix_contains(&key, avoid[i]);
		if (holds)
			continue;
		/* A repeat would leave the trie short of the count. */
		err = prefix_add(fd, &key, app_first + added % app_count, THINGS_KIND_ECHO, 0,
				 BPF_NOEXIST);
		if (err == -EEXIST)
			continue;
		if (err) {
			pr_err("adding random prefix %u of %u to the prefixes map: %s\n", added + 1,
			       count, strerror(-err));
			return err;
		}
		added++;
	}
	return 0;
}

int trie_map_memlock(int fd, __u64 *bytes)
{
	char path[64], line[128];
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", (unsigned long long *)bytes) == 1) {
			err = 0;
			break;
		}
	fclose(f);
	return err;
}
