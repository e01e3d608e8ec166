// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The PROXY protocol header, versions 1 and 2. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "proxyproto.h"

static const unsigned char v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					  0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static size_t v1(const struct sockaddr_in6 *src, const struct sockaddr_in6 *dst, bool v4,
		 unsigned char *buf)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int n;

	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? (const void *)&src->sin6_addr.s6_addr[12]
					      : (const void *)&src->sin6_addr, s, sizeof(s));
	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? (const void *)&dst->sin6_addr.s6_addr[12]
					      : (const void *)&dst->sin6_addr, d, sizeof(d));
	n = snprintf((char *)buf, THINGS_PROXY_HDR_MAX, "PROXY %s %s %s %u %u\r\n",
		     v4 ? "TCP4" : "TCP6", s, d, ntohs(src->sin6_port), ntohs(dst->sin6_port));
	return (size_t)n;
}

static size_t v2(const struct sockaddr_in6 *src, const struct sockaddr_in6 *dst, bool v4,
		 unsigned char *buf)
{
	size_t alen = v4 ? 4 : 16, off = 16;

	memcpy(buf, v2_sig, sizeof(v2_sig));
	buf[12] = 0x21;			/* version 2, PROXY */
	buf[13] = v4 ? 0x11 : 0x21;	/* AF_INET or AF_INET6, STREAM */
	buf[14] = 0;
	buf[15] = (unsigned char)(2 * alen + 4);
	memcpy(buf + off, &src->sin6_addr.s6_addr[16 - alen], alen);
	memcpy(buf + off + alen, &dst->sin6_addr.s6_addr[16 - alen], alen);
	memcpy(buf + off + 2 * alen, &src->sin6_port, 2);
	memcpy(buf + off + 2 * alen + 2, &dst->sin6_port, 2);
	return off + 2 * alen + 4;
}

size_t things_proxy_header(int version, const struct sockaddr_in6 *src,
			   const struct sockaddr_in6 *dst, unsigned char *buf)
{
	bool v4 = IN6_IS_ADDR_V4MAPPED(&src->sin6_addr) && IN6_IS_ADDR_V4MAPPED(&dst->sin6_addr);

	return version == 1 ? v1(src, dst, v4, buf) : v2(src, dst, v4, buf);
}
