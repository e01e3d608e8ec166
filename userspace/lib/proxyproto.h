/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_PROXYPROTO_H
#define THINGS_PROXYPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

/* The longest header written: v1's "PROXY TCP6 " and two full addresses
 * and ports, with CRLF (HAProxy's specification allows 107 bytes). */
#define THINGS_PROXY_HDR_MAX 108

/*
 * The PROXY protocol header (HAProxy's "proxy-protocol.txt") a relay sends
 * its backend first: version 1 (text) or 2 (binary), for a TCP connection
 * from src to dst. Both v4-mapped: TCP4 / AF_INET, else TCP6 / AF_INET6.
 * buf has THINGS_PROXY_HDR_MAX bytes. Returns the header's length.
 */
size_t things_proxy_header(int version, const struct sockaddr_in6 *src,
			   const struct sockaddr_in6 *dst, unsigned char *buf);

#endif
