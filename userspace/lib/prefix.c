// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"

static int host_bits_set(const unsigned char *addr, unsigned int plen)
{
	for (unsigned int bit = plen; bit < 128; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return 1;
	return 0;
}

static void clear_host_bits(unsigned char *addr, unsigned int plen)
{
	for (unsigned int bit = plen; bit < 128; bit++)
		addr[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
}

int things_prefix_parse(const char *text, struct things_prefix_key *key,
			int allow_host_bits, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	unsigned long plen = 128;
	size_t alen;

	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN) {
		*why = "not an IPv6 address";
		return -EINVAL;
	}
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	memset(key, 0, sizeof(*key));
	if (inet_pton(AF_INET6, buf, key->addr) != 1) {
		*why = "not an IPv6 address";
		return -EINVAL;
	}
	if (slash) {
		const char *d = slash + 1;

		/* Digits only: strtoul would also take spaces and a sign. */
		plen = 0;
		for (; *d >= '0' && *d <= '9' && plen <= 128; d++)
			plen = plen * 10 + (unsigned long)(*d - '0');
		if (d == slash + 1 || *d || plen > 128 || d - slash > 4) {
			*why = "prefix length must be 0 to 128";
			return -EINVAL;
		}
	}
	if (host_bits_set(key->addr, (unsigned int)plen)) {
		if (!allow_host_bits) {
			*why = "address has bits set past the prefix length";
			return -EINVAL;
		}
		clear_host_bits(key->addr, (unsigned int)plen);
	}
	key->prefixlen = (unsigned int)plen;
	return 0;
}

char *things_prefix_format(const struct things_prefix_key *key, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, key->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, key->prefixlen);
	return buf;
}

int things_prefix_contains(const struct things_prefix_key *key, const unsigned char addr[16])
{
	unsigned int full = key->prefixlen / 8, rest = key->prefixlen % 8;

	if (memcmp(key->addr, addr, full))
		return 0;
	if (!rest)
		return 1;
	return ((key->addr[full] ^ addr[full]) & (0xff00 >> rest)) == 0;
}

/* Ranges no app may touch: answering there would break the host or be
 * meaningless (RFC 4291 2.4, RFC 4291 2.5.5.2). */
static const struct {
	unsigned char addr[16];
	unsigned int len;
	const char *what;
} reserved[] = {
	{ { 0xff }, 8, "multicast (ff00::/8)" },
	{ { 0xfe, 0x80 }, 10, "link-local (fe80::/10)" },
	{ { 0 }, 128, "the unspecified address (::)" },
	{ { [15] = 1 }, 128, "the loopback address (::1)" },
	{ { [10] = 0xff, [11] = 0xff }, 96, "IPv4-mapped (::ffff:0:0/96)" },
};

int things_prefix_policy(const struct things_prefix_key *key, int allow_wide, const char **why)
{
	static char msg[128];

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		struct things_prefix_key r = { .prefixlen = reserved[i].len };

		memcpy(r.addr, reserved[i].addr, 16);
		/* Overlap: one of the two holds the other's first address. */
		if (things_prefix_contains(key, r.addr) ||
		    (key->prefixlen >= r.prefixlen && things_prefix_contains(&r, key->addr))) {
			snprintf(msg, sizeof(msg), "prefix overlaps %s", reserved[i].what);
			*why = msg;
			return -EINVAL;
		}
	}
	if (key->prefixlen < THINGS_PREFIX_MIN_LEN && !allow_wide) {
		snprintf(msg, sizeof(msg),
			 "prefix is shorter than /%d: say allow_wide = yes if that is meant",
			 THINGS_PREFIX_MIN_LEN);
		*why = msg;
		return -EINVAL;
	}
	return 0;
}
