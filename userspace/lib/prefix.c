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
		char *end;

		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > 128) {
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
