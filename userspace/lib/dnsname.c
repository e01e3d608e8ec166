// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dnsname.h"

#define LABEL_MAX 63
#define WIRE_MAX 255

static size_t put_byte(unsigned char c, enum things_dns_style style, char *out)
{
	if (isalnum(c) || c == '-' || c == '_') {
		*out = (char)c;
		return 1;
	}
	return (size_t)sprintf(out, style == THINGS_DNS_ZONE ? "\\%03u" : "\\%03o", c);
}

size_t things_dns_name(const char *text, enum things_dns_style style, char *out)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t o = 0, wire = 1;	/* the root's length byte */

	while (*p) {
		size_t len = strcspn((const char *)p, ".");

		if (len > LABEL_MAX)
			len = LABEL_MAX;
		/* What does not fit is dropped, a whole label at a time. */
		if (len && wire + 1 + len > WIRE_MAX)
			break;
		if (len) {
			wire += 1 + len;
			for (size_t i = 0; i < len; i++)
				o += put_byte(p[i], style, out + o);
			out[o++] = '.';
		}
		p += len;
		if (*p == '.')
			p++;
	}
	if (!o && style == THINGS_DNS_ZONE)
		out[o++] = '.';
	/* tinydns-data names have no final dot. */
	if (o && style == THINGS_DNS_TINYDNS)
		o--;
	out[o] = '\0';
	return wire > 1 ? o : 0;
}

void things_arpa_name(const unsigned char addr[16], unsigned int nibbles, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (nibbles > 32)
		nibbles = 32;
	for (unsigned int i = nibbles; i-- > 0;) {
		unsigned char b = addr[i / 2];

		out[o++] = hex[i % 2 ? b & 0xf : b >> 4];
		out[o++] = '.';
	}
	strcpy(out + o, "ip6.arpa.");
}
