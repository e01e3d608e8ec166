// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * loadgen things: things_xdp on a server's veth with as many prefixes as
 * a point of the scale curve asks for, more than thingsd's 256 apps could
 * hold: the routed /48 and the on-link /64 of `make demo`, where loadgen's
 * requests go, and random ones beside them, in the trie and, when they
 * fit, in the fast table, as thingsd would put them. It attaches the
 * program and exits; the program stays until the veth's XDP is removed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "loadgen_cmd.h"
#include "log.h"
#include "maps.h"
#include "trie.h"

#define DEFAULT_BUILD		"build"
#define ROUTED_PREFIX		"2001:db8:1::/48"
#define ONLINK_PREFIX		"2001:db8:2:3::/64"
#define APP_ROUTED		1
#define APP_ONLINK		2
#define APP_RANDOM_FIRST	3
#define APP_RANDOM_COUNT	200

static void usage(FILE *out)
{
	fprintf(out,
		"usage: loadgen things --dev DEV --prefixes N [--seed N] [--build DIR] [-v]\n"
		"\n"
		"Attaches build/things.bpf.o to DEV in native mode with N prefixes (at\n"
		"least 2): echo on " ROUTED_PREFIX ", on-link echo on " ONLINK_PREFIX " (NS\n"
		"answered on DEV, with DEV's MAC), and N - 2 random /48s to /64s in\n"
		"fd00::/8; up to %u of them in the fast table, as thingsd puts them. Prints\n"
		"one JSON object: the prefixes, whether the fast table holds them, the\n"
		"memory of the trie and of all maps, and how long the trie took to fill.\n"
		"The program stays attached: `ip link set DEV xdp off` removes it.\n",
		THINGS_FAST_SLOTS);
}

static int map_fd(struct prog *p, const char *name, int *fd)
{
	*fd = bpf_object__find_map_fd_by_name(p->obj, name);
	if (*fd < 0)
		pr_err("things.bpf.o has no map %s\n", name);
	return *fd < 0 ? *fd : 0;
}

int loadgen_things(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "prefixes", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "build", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dev = NULL, *build = DEFAULT_BUILD;
	unsigned long long prefixes = 0, seed = 1;
	struct prog things = { .fd = -1 };
	struct things_fast_table fast;
	struct timespec t0, t1;
	int c, verbose = 0, err, pfd, ifd, ffd;
	__u64 trie_bytes = 0, map_bytes = 0, bytes;
	unsigned char mac[6];
	struct bpf_map *map;
	__u32 ifindex;
	char *end;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'p':
		case 's':
			errno = 0;
			*(c == 'p' ? &prefixes : &seed) = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    (c == 'p' && (prefixes < 2 || prefixes > THINGS_MAX_PREFIXES))) {
				pr_err("--%s: \"%s\" is not a number%s\n", c == 'p' ? "prefixes" : "seed",
				       optarg, c == 'p' ? " from 2 to 1048576" : "");
				return 2;
			}
			break;
		case 'b':
			build = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	things_log_set_verbosity(THINGS_LOG_WARN, verbose);
	if (!dev || !prefixes || optind < argc) {
		pr_err("things needs --dev and --prefixes, and nothing else\n");
		usage(stderr);
		return 2;
	}
	if (loadgen_device(dev, &ifindex, mac))
		return 1;
	if ((err = loadgen_prog_open(&things, build, "things.bpf.o")) ||
	    (err = loadgen_prog_load(&things, "things_xdp")) ||
	    (err = map_fd(&things, THINGS_PIN_PREFIXES, &pfd)) ||
	    (err = map_fd(&things, THINGS_PIN_IFACES, &ifd)) ||
	    (err = map_fd(&things, THINGS_PIN_FAST, &ffd)))
		goto cleanup;
	if ((err = things_iface_set(ifd, ifindex, mac, 0))) {
		pr_err("%s: adding it to the ifaces map: %s\n", dev, strerror(-err));
		goto cleanup;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((err = trie_prefix_add(pfd, ROUTED_PREFIX, APP_ROUTED, THINGS_KIND_ECHO, 0)) ||
	    (err = trie_prefix_add(pfd, ONLINK_PREFIX, APP_ONLINK, THINGS_KIND_ECHO,
				   THINGS_PF_ONLINK)) ||
	    (err = trie_random_fill(pfd, (__u32)prefixes - 2, seed, 0, NULL, 0, APP_RANDOM_FIRST,
				    APP_RANDOM_COUNT)))
		goto cleanup;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((err = things_fast_sync(ffd, pfd)) ||
	    (bpf_map_lookup_elem(ffd, &(__u32){ 0 }, &fast) && (err = -errno))) {
		pr_err("filling the fast table: %s\n", strerror(-err));
		goto cleanup;
	}
	if ((err = trie_map_memlock(pfd, &trie_bytes)))
		goto cleanup;
	bpf_object__for_each_map(map, things.obj) {
		if ((err = trie_map_memlock(bpf_map__fd(map), &bytes)))
			goto cleanup;
		map_bytes += bytes;
	}
	if ((err = loadgen_prog_attach(&things, dev, ifindex)))
		goto cleanup;
	/* Netlink attachments outlive their loader: leave it attached. */
	things.attached_to = 0;
	printf("{\"prefixes\": %llu, \"fast_table\": %s, \"trie_bytes\": %llu, \"map_bytes\": %llu,"
	       " \"fill_seconds\": %.3f}\n", prefixes, fast.count ? "true" : "false",
	       (unsigned long long)trie_bytes, (unsigned long long)map_bytes,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
cleanup:
	loadgen_prog_close(&things);
	return err ? 1 : 0;
}
