// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* PROXY protocol headers built (userspace/lib/proxyproto.c) for any pair
 * of addresses and ports, judged against HAProxy's specification. */
#include <arpa/inet.h>
#include <string.h>

#include "proxyproto.h"

static const unsigned char v2_sig[12] = "\r\n\r\n\0\r\nQUIT\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char buf[THINGS_PROXY_HDR_MAX + 64];
	struct sockaddr_in6 src = { .sin6_family = AF_INET6 }, dst = src;
	size_t n;

	if (size < 37)
		return 0;
	memcpy(&src.sin6_addr, data, 16);
	memcpy(&dst.sin6_addr, data + 16, 16);
	memcpy(&src.sin6_port, data + 32, 2);
	memcpy(&dst.sin6_port, data + 34, 2);
	memset(buf, 0xa5, sizeof(buf));
	n = things_proxy_header(data[36] & 1 ? 2 : 1, &src, &dst, buf);
	if (n > THINGS_PROXY_HDR_MAX || buf[THINGS_PROXY_HDR_MAX] != 0xa5)
		__builtin_trap();
	if (data[36] & 1) {
		/* Signature, version 2 PROXY, the length of what follows. */
		if (n < 16 || memcmp(buf, v2_sig, 12) || buf[12] != 0x21 ||
		    (size_t)(buf[14] << 8 | buf[15]) != n - 16)
			__builtin_trap();
	} else {
		/* "PROXY TCP4|TCP6 ...\r\n", at most 107 bytes, no other CR or LF. */
		if (n < 8 || n > 107 || memcmp(buf, "PROXY TCP", 9) || buf[n - 2] != '\r' ||
		    buf[n - 1] != '\n' || memchr(buf, '\n', n - 1) || memchr(buf, '\r', n - 2))
			__builtin_trap();
	}
	return 0;
}
